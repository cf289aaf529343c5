"""Bad data is refused with the file, entry, field and reason, never silently changed; files
that cannot be read are named with why; and nothing of a refused file lands."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from storage.importers.run import import_paths
from tests.conftest import ROOT, add_staff_member

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1961-04-12",
           "name": [{"family": "Rivera", "given": ["Ana"]}]}


def _observation(**changes):
    resource = {"resourceType": "Observation", "id": "o1", "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2025-03-04",
                "valueQuantity": {"value": 7.1, "unit": "%"}}
    resource.update(changes)
    return {k: v for k, v in resource.items() if v is not ...}


def _bundle(*resources) -> str:
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]})


def _value(literal: str) -> str:
    return _bundle(PATIENT, _observation(valueQuantity={"value": "X", "unit": "%"})).replace('"X"', literal)


# (file name, text, the reason the report gives) — each a file the importer refuses whole
REFUSED = [
    ("entry-object.json", '{"resourceType": "Bundle", "type": "collection", "entry": {}}',
     "Bundle.entry is {}: a list of entries belongs there"),
    ("entry-null.json", '{"resourceType": "Bundle", "type": "collection", "entry": null}',
     "Bundle.entry is null"),
    ("nan.json", _value("NaN"), "Observation.valueQuantity.value: nan is not a finite number"),
    ("infinity.json", _value("Infinity"), "Observation.valueQuantity.value: inf is not a finite number"),
    ("huge.json", _value("1e400"), "is not a finite number"),
    ("null-value.json", _value("null"), "Observation.valueQuantity.value is null"),
    ("nobody.json", _bundle(PATIENT, _observation(subject={"reference": "Patient/nobody"})),
     "its patient Patient/nobody is not in this import"),
    ("empty-date.json", _bundle(PATIENT, _observation(effectiveDateTime="")), "effectiveDateTime is empty"),
    ("period-text.json", _bundle(PATIENT, _observation(effectiveDateTime=..., effectivePeriod="2025")),
     "effectivePeriod is '2025': a Period"),
    ("family-number.json", _bundle({**PATIENT, "name": [{"family": 12, "given": ["Ana"]}]}),
     "Patient.name.family is 12, not text"),
    ("status-number.json", _bundle(PATIENT, _observation(status=5)), "Observation.status is 5, not text"),
    ("code-number.json", _bundle(PATIENT, _observation(code={"coding": [{"system": "http://loinc.org",
                                                                          "code": 4548}]})),
     "a coding's code is 4548 (a number) where FHIR has text"),
    ("subject-text.json", _bundle(PATIENT, _observation(subject="Patient/p1")),
     "Observation.subject is 'Patient/p1': a Reference"),
    ("identifier-object.json", _bundle({**PATIENT, "identifier": {"system": "urn:x", "value": "1"}}),
     "Patient.identifier is {'system': 'urn:x', 'value': '1'}: a list of identifiers belongs there"),
    ("component-text.json", _bundle(PATIENT, _observation(component="x")),
     "Observation.component is 'x': a list of components belongs there"),
    ("surrogate.json", _bundle({**PATIENT, "name": [{"family": "Riv\\ud800era"}]}).replace("\\\\ud800", "\\ud800"),
     "name[0].family holds half of a UTF-16 surrogate pair"),
    ("surrogate.ndjson", json.dumps({**PATIENT, "name": [{"family": "Riv\\ud800era"}]}).replace("\\\\ud800", "\\ud800"),
     "name[0].family holds half of a UTF-16 surrogate pair"),
    ("deep.json", '{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "id": "p", '
                  '"extension": ' + "[" * 5000 + "]" * 5000 + "}}]}", "the JSON is nested too deeply"),
    ("deep.ndjson", '{"resourceType": "Patient", "id": "p", "extension": ' + "[" * 5000 + "]" * 5000 + "}",
     "the JSON is nested too deeply"),
    ("nul.csv", "practice_code,mrn,family,given,birth_date,sex\nOAK,N1,Ri\x00vera,Ana,1950-02-03,female\n",
     "the family cell holds a NUL character"),
]


@pytest.fixture
def pod(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (code, name) VALUES ('OAK', 'Oak')"))
    return engine


def _rows(engine) -> dict:
    from helpers import snapshot  # tests/import/helpers.py: every table but the import log

    return snapshot(engine)


@pytest.mark.parametrize("name,text,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_the_reason_and_nothing_lands(pod, tmp_path, name, text, reason):
    sys.path.insert(0, str(ROOT / "tests" / "import"))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = _rows(pod)
    report = import_paths(pod, [path], practice_code="OAK")
    assert report.exit_status in (1, 2)
    assert any(reason in p.reason and p.file == str(path) for p in report.errors), \
        [p.as_text() for p in report.problems]
    assert _rows(pod) == before


def test_the_published_misnamed_patient_is_attached_only_when_asked(pod, tmp_path):
    """A test Bundle evaluated alone may name its one patient by another id (published CMS124
    cases do): only then is the fact its patient's, with a warning."""
    path = tmp_path / "case.json"
    path.write_text(_bundle(PATIENT, _observation(subject={"reference": "Patient/Patient-5"})))
    report = import_paths(pod, [path], practice_code="OAK", sole_patient_bundles=True)
    assert report.exit_status == 0 and any("attached to the one patient" in p.reason for p in report.warnings)


def _special_paths(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "x.json").mkdir()
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    return [("empty", "the folder holds no file to import"), ("x.json", "the folder holds no file to import"),
            ("pipe.json", "it is a named pipe (FIFO), not a file"),
            ("zero.json", "it is a device (through a link), not a file"),
            ("missing.json", "no such file or folder")]


def test_paths_that_are_not_files_are_named_with_why(pod, tmp_path):
    for name, reason in _special_paths(tmp_path):
        report = import_paths(pod, [tmp_path / name], practice_code="OAK")
        assert report.exit_status == 2
        assert [p.file for p in report.errors] == [str(tmp_path / name)]
        assert report.errors[0].reason.startswith(reason)


def test_the_command_line_says_it_in_sentences(pod, db_path, tmp_path):
    """No traceback on stderr; the documented exit status; the reason on the report."""
    files = []
    for name, text, _reason in REFUSED:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    add_staff_member(pod)
    pod.dispose()
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", "--db", str(db_path), "--practice", "OAK",
                          "--as", "Dana Reyes", *files], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout
    for name, _text, reason in REFUSED:
        assert any(name in line and reason in line for line in out.stdout.splitlines()), (name, reason)
