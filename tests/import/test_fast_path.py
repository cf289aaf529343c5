"""The fused fast path (storage.importers.fastpath) writes exactly what the general path writes:
the same data imported both ways gives the same rows in every table, ids included."""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

from helpers import assert_same_import, snapshot
from storage.importers import fastpath, loader, run
from storage.importers.run import import_paths

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 1, 2, 3, 4, 5)


def _bench_generate():
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "bench_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def _both_ways(tmp_path, monkeypatch, paths, name, then=None, **options):
    """(rows, first report, second report) of importing ``paths`` the general way and the fast
    way; the second import is of ``then`` (changed files) or the same again (nothing changes)."""
    from storage.db import open_database

    monkeypatch.setattr(run, "utcnow", lambda: NOW)
    out = {}
    for fast in (False, True):
        monkeypatch.setattr(loader, "FAST_PATH", fast)
        engine = open_database(tmp_path / f"{name}-{fast}.db")
        report = import_paths(engine, paths, actor="Test Import", **options)
        again = import_paths(engine, then or paths, actor="Test Import", **options)
        out[fast] = (snapshot(engine), report, again)
        engine.dispose()
    return out[False], out[True]


def test_bench_export_lands_identically(tmp_path, monkeypatch):
    _bench_generate()(tmp_path / "export", 300)
    general, fast = _both_ways(tmp_path, monkeypatch, [tmp_path / "export"], "bench")
    assert len(fast[0]["clinical_fact"]) == 300 * 6
    assert fast[2].total("unchanged") == 300 * 7
    assert_same_import(general, fast)


def test_changed_and_new_resources_of_a_second_export_land_identically(tmp_path, monkeypatch):
    generate = _bench_generate()
    generate(tmp_path / "first" / "export", 40)
    generate(tmp_path / "second" / "export", 60, seed=8)  # the same source: 40 patients changed, 20 new
    general, fast = _both_ways(tmp_path, monkeypatch, [tmp_path / "first" / "export"], "second",
                               then=[tmp_path / "second" / "export"])
    assert fast[2].total("created") == 20 * 7 and fast[2].total("updated") > 0
    assert_same_import(general, fast)


def test_ecqm_cases_and_synthea_land_identically(tmp_path, monkeypatch):
    shared = ROOT.parent / "shared"
    paths = sorted(shared.glob("ecqm/*/cases")) + [shared / "synthea"]
    general, fast = _both_ways(tmp_path, monkeypatch, paths, "ecqm", sole_patient_bundles=True)
    assert general[1].errors == []
    assert_same_import(general, fast)


def _line(**resource) -> str:
    return json.dumps(resource) + "\n"


def test_unusual_and_bad_resources_land_or_fail_identically(tmp_path, monkeypatch):
    """Shapes the fast path hands to the general path, bad values, and references it cannot resolve."""
    folder = tmp_path / "odd"
    folder.mkdir()
    subject = {"reference": "Patient/p1"}
    (folder / "Patient.ndjson").write_text(_line(resourceType="Patient", id="p1", gender="female",
                                                 birthDate="1960-01-02", name=[{"family": "Odd", "given": ["A"]}]))
    code = {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"},
                       {"system": "http://example.org/local", "code": "D1"},
                       {"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}
    good = "".join([
        _line(resourceType="Encounter", id="e1", status="finished", subject=subject,
              **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
              type=[{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]}],
              period={"start": "2025-03-04T09:00:00+02:00"}, reasonCode=[code],
              diagnosis=[{"condition": {"reference": "Condition/c1"}}]),
        _line(resourceType="Encounter", id="e2", status="finished", subject=subject,
              type=[{"coding": [{"code": "99213"}]}], period={"start": "2025-03-04", "end": "2025-03-05T10:00Z"},
              serviceType={"coding": [{"code": "x"}]}),
    ])
    (folder / "Encounter.ndjson").write_text(good)
    facts = "".join([
        _line(resourceType="Condition", id="c1", subject=subject, code=code, onsetDateTime="2019",
              abatementDateTime="2024-05-06T07:08:09.123456789Z", recordedDate="2019-02-03",
              verificationStatus={"coding": [{"code": "entered-in-error"}]},
              category=[{"coding": [{"code": "problem-list-item"}, {"code": "problem-list-item"}]}],
              bodySite=[{"coding": [{"code": "B1"}]}], encounter={"reference": "Encounter/e1"}),
        _line(resourceType="Condition", id="c2", subject=subject, code=code, onsetPeriod={"start": "2020-01", "end": "2020-06"},
              abatementString="childhood", category=[]),
        _line(resourceType="Condition", id="c3", subject=subject, code=code,
              extension=[{"url": "http://hl7.org/fhir/us/qicore/StructureDefinition/qicore-notDoneReason",
                          "valueCodeableConcept": {"coding": [{"code": "R"}]}}]),
        _line(resourceType="Observation", id="o1", status="not-done", subject=subject, code=code,
              effectivePeriod={"start": "2025-01-01T00:00:00Z", "end": "2025-01-02"}, issued="2025-01-03T04:05:06Z",
              valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "8517006"}], "text": "Ex"},
              interpretation=[{"coding": [{"code": "H"}]}], encounter={"reference": "Encounter/nowhere"}),
        _line(resourceType="Observation", id="o2", status="final", subject=subject, code=code,
              effectiveDateTime="2025-01-01", valueString="positive", dataAbsentReason={"coding": [{"code": "x"}]},
              component=[{"code": {"coding": [{"code": "8480-6"}]}, "valueQuantity": {"value": 120, "unit": "mmHg"}},
                         {"code": {"coding": [{"code": "8462-4"}]}, "valueCodeableConcept": {"text": "low"}}]),
        _line(resourceType="Observation", id="o3", status="final", subject=subject, code=code,
              effectiveDateTime="2025-01-01", hasMember=[{"reference": "Observation/o2"}],
              valueQuantity={"value": 7.25, "unit": "%", "comparator": "<"}),
        _line(resourceType="Procedure", id="pr1", status="completed", subject=subject, code=code,
              performedDateTime="2025-02-03T04:05:06-05:00", reasonReference=[{"reference": "Condition/c1"}]),
        _line(resourceType="Procedure", id="pr2", status="completed", subject=subject, code=code,
              performedPeriod={"start": "2025-02-03"}, bodySite=[{"coding": [{"code": "B"}]}]),
        _line(resourceType="Immunization", id="i1", status="completed", patient=subject,
              vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
              occurrenceString="last autumn", recorded="2025-10-01"),
        _line(resourceType="Immunization", id="i2", status="entered-in-error", patient=subject,
              vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
              occurrenceDateTime="2025-10-01T10:00:00Z"),
        _line(resourceType="MedicationRequest", id="m1", status="active", intent="order", subject=subject,
              medicationCodeableConcept={"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                     "code": "197361"}]}, authoredOn="2025-04-05"),
        _line(resourceType="MedicationRequest", id="m2", status="active", intent="order", subject=subject,
              contained=[{"resourceType": "Medication", "id": "med", "code": code}],
              medicationReference={"reference": "#med"}, authoredOn="2025-04-05"),
        _line(resourceType="Observation", id="o4", status="final", code=code, effectiveDateTime="2025",
              subject={"reference": "Patient/p1"}, category={"coding": [{"code": "vital-signs"}]}),
    ])
    (folder / "Facts.ndjson").write_text(facts)
    general, fast = _both_ways(tmp_path, monkeypatch, [folder], "odd")
    assert general[1].errors == [], [p.as_text() for p in general[1].errors]
    assert_same_import(general, fast)

    # a file with bad resources is rejected the same way, with the same reasons and line numbers
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "Patient.ndjson").write_text((folder / "Patient.ndjson").read_text())
    (bad / "Facts.ndjson").write_text("".join([
        _line(resourceType="Condition", id="b1", subject=subject, code=code, onsetDateTime="2025-13-01"),
        _line(resourceType="Observation", id="b2", subject=subject, code={"coding": [{"display": "no code"}]}),
        _line(resourceType="Observation", id="b3", subject={"reference": "Patient/elsewhere"}, code=code),
        _line(resourceType="Procedure", id="b4", code=code),
        _line(resourceType="Observation", id="b5", subject=subject, code=code, valueQuantity={"value": "high"}),
        _line(resourceType="Encounter", id="b6", subject=subject, type=[{"coding": [{"code": "1"}]}],
              period={"start": "yesterday"}),
        _line(resourceType="MedicationRequest", id="b7", subject=subject, authoredOn="2025",
              medicationCodeableConcept={"text": "no coding"}),
    ]))
    general, fast = _both_ways(tmp_path, monkeypatch, [bad], "bad")
    assert len(general[1].errors) == 8  # seven resources, and the file
    assert_same_import(general, fast)


@pytest.mark.parametrize("rtype", sorted(fastpath.FAST_TYPES))
def test_fast_path_declines_what_only_the_general_path_reads(rtype):
    subject = {"reference": "Patient/p1"}
    resource = {"resourceType": rtype, "id": "x", "subject": subject, "patient": subject,
                "code": {"coding": [{"code": "1"}]}, "vaccineCode": {"coding": [{"code": "1"}]},
                "type": [{"coding": [{"code": "1"}]}], "medicationCodeableConcept": {"coding": [{"code": "1"}]}}
    assert fastpath.fast_fact(resource, rtype) is not None
    assert fastpath.fast_fact(dict(resource, extension=[]), rtype) is None
    assert fastpath.fast_fact(dict(resource, reasonReference=[subject]), rtype) is None


def test_fast_rows_follow_the_fact_columns():
    """The writer appends (id, patient_id, *middle, encounter_fact_id, source_key, resource_json,
    entered_in_error, created_at): the column list it is buffered under must keep that order, and
    the one it is written under holds the code's concept in place of its system and display."""
    from storage.importers.store import FACT_ROW, FACT_WRITTEN

    assert FACT_ROW[:2] == ("id", "patient_id")
    assert FACT_ROW[2:24] == fastpath.MIDDLE_COLUMNS
    assert FACT_ROW[24:] == ("encounter_fact_id", "source_key", "resource_json", "entered_in_error", "created_at")
    assert FACT_WRITTEN == (*FACT_ROW[:3], "code", *FACT_ROW[6:], "concept_id")


def test_where_patients_and_encounters_landed_is_reused_only_once_committed(tmp_path, monkeypatch):
    """The run keeps where a committed file's patients and encounters landed, and a file where its
    earlier chunks' did; a rejected file's patients are not kept, so what refers to them is
    rejected as when every reference is looked up in source_record."""
    from storage.db import open_database

    folder = tmp_path / "export"
    folder.mkdir()
    patient = dict(resourceType="Patient", gender="female", birthDate="1960-01-02", name=[{"family": "Kept"}])
    (folder / "Patient.ndjson").write_text(_line(id="p1", **patient) + _line(id="p2", **patient))
    (folder / "Patient2.ndjson").write_text(_line(id="p3", **patient) + _line(id="bad", **dict(patient, birthDate="")))
    code = {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}
    encounter_type = [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]}]
    (folder / "Facts1.ndjson").write_text("".join(
        _line(resourceType="Encounter", id=f"e{n}", subject={"reference": f"Patient/p{n % 2 + 1}"},
              type=encounter_type, period={"start": "2025-03-04"}) +
        _line(resourceType="Condition", id=f"c{n}", subject={"reference": f"Patient/p{n % 2 + 1}"}, code=code,
              encounter={"reference": f"Encounter/e{max(n - 1, 0)}"})
        for n in range(5)))
    (folder / "Facts2.ndjson").write_text(_line(resourceType="Condition", id="x1", code=code,
                                                subject={"reference": "Patient/p3"}))
    monkeypatch.setattr(run, "utcnow", lambda: NOW)
    referred, limit = loader.REFERRED_TYPES, run.LANDED_LIMIT
    for chunk in (2000, 2, 3):  # small chunks: references to earlier chunks of the file
        out = []
        for kept in (False, True):  # False: every reference looked up in source_record
            monkeypatch.setattr(run, "CHUNK", chunk)
            monkeypatch.setattr(loader, "REFERRED_TYPES", referred if kept else frozenset())
            monkeypatch.setattr(run, "LANDED_LIMIT", limit if kept else 0)
            engine = open_database(tmp_path / f"{chunk}-{kept}.db")
            report = import_paths(engine, [folder], actor="Test Import")
            again = import_paths(engine, [folder], actor="Test Import")
            out.append((snapshot(engine), report, again))
            engine.dispose()
        rows, report = out[1][0], out[1][1]
        assert report.files_rejected == 2  # Patient2 (a bad patient), Facts2 (its patient p3 never landed)
        assert any("Patient/p3" in p.as_text() for p in report.errors)
        assert len(rows["clinical_fact"]) == 10
        encounter_ids = {r[0] for r in rows["clinical_fact"] if r[2] == "encounter"}
        from storage.schema import FACT_COLUMNS

        linked = {r[FACT_COLUMNS.index("encounter_fact_id")] for r in rows["clinical_fact"] if r[2] == "condition"}
        assert len(linked) == 4 and linked <= encounter_ids  # c0 and c1 name e0
        assert_same_import(*out)


def test_landed_keeps_within_its_bound():
    state = run.RunState(None, NOW)
    state.remember_landed("s", {("Patient", str(n)): ("patient", n) for n in range(3)})
    assert len(state.landed["s"]) == 3
    state.remember_landed("s", {("Patient", str(n)): ("patient", n) for n in range(3, run.LANDED_LIMIT + 1)})
    assert len(state.landed["s"]) == 3  # over the bound: later files look theirs up in source_record


def test_a_type_new_to_the_source_is_looked_up_again_in_its_next_file(tmp_path, monkeypatch):
    """A file whose resource type the source had no record of skips the look-up of what the
    source sent before; a later file of that type from the same source (in the same run, and
    in the next) must still find the first file's resources: updated or unchanged, never doubled."""
    folder = tmp_path / "export"
    folder.mkdir()
    subject = {"reference": "Patient/p1"}
    (folder / "Patient.ndjson").write_text(_line(resourceType="Patient", id="p1", gender="female",
                                                 birthDate="1960-01-02", name=[{"family": "Twice"}]))
    code = {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]}

    def observation(rid, value):
        return _line(resourceType="Observation", id=rid, status="final", subject=subject, code=code,
                     effectiveDateTime="2025-01-01", valueQuantity={"value": value, "unit": "%"})

    (folder / "Observation-a.ndjson").write_text(observation("o1", 7.0) + observation("o2", 8.0))
    (folder / "Observation-b.ndjson").write_text(observation("o1", 7.5) + observation("o2", 8.0)
                                                 + observation("o3", 9.0))
    general, fast = _both_ways(tmp_path, monkeypatch, [folder], "twice")
    report, again = fast[1], fast[2]
    assert report.errors == [] and report.counts["Observation"] == {"created": 3, "updated": 1, "unchanged": 1}
    # again: o1 differs between the two files, so each sets it back; the rest is unchanged
    assert again.counts["Observation"] == {"updated": 2, "unchanged": 3} and again.total("unchanged") == 4
    assert len(fast[0]["clinical_fact"]) == 3 and len(fast[0]["source_record"]) == 4
    assert len(fast[0]["record_revision"]) >= 1
    assert_same_import(general, fast)


def test_new_patients_of_every_kind_land_identically(tmp_path, monkeypatch):
    """New patients go the short way (loader._write_plans) only into a practice that had none
    before the file; MRN clashes, matches, clinicians and organizations land the same both ways."""
    folder = tmp_path / "patients"
    folder.mkdir()
    person = dict(resourceType="Patient", gender="female", birthDate="1960-01-02", name=[{"family": "Same"}])
    typed = lambda value: [{"type": {"coding": [{"code": "MR"}]}, "system": "urn:x", "value": value}]  # noqa: E731
    (folder / "a.ndjson").write_text("".join([
        _line(resourceType="Practitioner", id="dr1", name=[{"family": "Doc"}],
              identifier=[{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}]),
        _line(resourceType="Organization", id="org1", name="Somewhere"),
        _line(id="p1", identifier=typed("M1"), **person),
        _line(id="p2", identifier=[{"system": "urn:y", "value": "U2"}], **person),
        _line(id="p3", **person),
        _line(id="p4", generalPractitioner=[{"reference": "Practitioner/dr1"}], **person),
        _line(id="p5", managingOrganization={"reference": "Organization/org1"}, **person),
        _line(id="p6", identifier=typed("FHIR-p3"), **person),
        _line(id="p7", identifier=typed("M7"), **dict(person, birthDate="2999-01-01")),
    ]))
    (folder / "b.ndjson").write_text("".join([  # the practice has patients now: matched or refused
        _line(id="q1", identifier=typed("M1"), **person),
        _line(id="q2", identifier=typed("M2"), **person),
        _line(id="q3", **person),
    ]))
    (folder / "c.ndjson").write_text(_line(id="q4", identifier=typed("M1"), **dict(person, name=[{"family": "Other"}])))
    (folder / "d.ndjson").write_text(_line(id="r1", identifier=typed("M9"), **person)
                                     + _line(id="r2", identifier=typed("M9"), **person))
    general, fast = _both_ways(tmp_path, monkeypatch, [folder], "patients")
    assert general[1].files_rejected == 2 and general[1].files_imported == 2  # a (p6's MRN, p7 born later), d
    assert_same_import(general, fast)
    (folder / "a.ndjson").write_text((folder / "a.ndjson").read_text().replace("2999-01-01", "1999-01-01")
                                     .replace("FHIR-p3", "M6"))
    general, fast = _both_ways(tmp_path, monkeypatch, [folder], "patients2")
    assert general[1].files_imported == 3 and general[1].counts["Patient"]["created"] >= 7
    assert_same_import(general, fast)
