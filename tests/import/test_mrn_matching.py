"""A new patient's MRN against the practice's records: the first bulk load of an empty practice
asks the database nothing per patient (loader._had_no_patients), and gives the same MRNs and
matches as a load into a practice that already has patients."""
from __future__ import annotations

import json

import sqlalchemy as sa

from helpers import add_practice
from storage.importers.run import import_paths

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def _patient(pid, family, born, mrn=None, typed=True):
    resource = {"resourceType": "Patient", "id": pid, "name": [{"family": family}], "birthDate": born}
    if mrn:
        resource["identifier"] = [dict({"type": MR} if typed else {}, system="urn:x", value=mrn)]
    return json.dumps(resource) + "\n"


def _write(folder, *lines):
    folder.mkdir(parents=True)
    (folder / "Patient.ndjson").write_text("".join(lines))
    return folder


def _mrns(engine):
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT mrn, family FROM patient")).all())


def test_mrns_of_a_first_load_and_of_a_later_one(engine, tmp_path):
    add_practice(engine)
    first = _write(tmp_path / "a" / "export",
                   _patient("p1", "Ames", "1950-01-01", "M1"),
                   _patient("p2", "Bell", "1960-01-01", "M2", typed=False),
                   _patient("p3", "Cole", "1970-01-01"),
                   _patient("FHIR-p3x", "Dunn", "1971-01-01", "FHIR-p4", typed=False),
                   _patient("p4", "Eddy", "1972-01-01"))
    report = import_paths(engine, [first], practice_code="OAK")
    assert report.errors == []
    # p4's own FHIR-p4 is taken by an untyped identifier in the same file: it gets the source
    assert _mrns(engine) == {"M1": "Ames", "M2": "Bell", "FHIR-p3": "Cole", "FHIR-p4": "Dunn",
                             "FHIR-p4@export": "Eddy"}

    second = _write(tmp_path / "b" / "export",
                    _patient("q1", "Ames", "1950-01-01", "M1"),               # the same person: matched
                    _patient("q2", "Frey", "1980-01-01", "M2", typed=False),  # taken: falls back
                    _patient("p3", "Gale", "1981-01-01"))                     # FHIR-p3 taken
    report = import_paths(engine, [second], practice_code="OAK", source="other")
    assert report.errors == []
    with engine.connect() as conn:  # Ames matched, not added
        assert conn.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 7
    assert _mrns(engine) == {"M1": "Ames", "M2": "Bell", "FHIR-p3": "Cole", "FHIR-p4": "Dunn",
                             "FHIR-p4@export": "Eddy", "FHIR-q2": "Frey", "FHIR-p3@other": "Gale"}

    clash = _write(tmp_path / "c" / "export", _patient("r1", "Hart", "1990-01-01", "M1"))
    report = import_paths(engine, [clash], practice_code="OAK", source="third")
    assert [p.reason for p in report.errors][0].startswith("MRN M1 already belongs to another patient")
