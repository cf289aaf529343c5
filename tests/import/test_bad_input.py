"""Bad input: each case is a clear rejection naming file, place and reason, and leaves the
database exactly as it was (every table compared; the import log excepted)."""
from __future__ import annotations

import json

import pytest

from helpers import add_practice, snapshot
from storage.importers import reader
from storage.importers.run import import_paths
from storage.codings import with_text

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Rivera", "given": ["Ana"]}],
           "birthDate": "1961-04-12", "gender": "female",
           "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "M1"}]}


def condition(**overrides):
    resource = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                "onsetDateTime": "2024-02-03"}
    resource.update(overrides)
    return resource


def bundle(*resources):
    return json.dumps({"resourceType": "Bundle", "type": "collection",
                       "entry": [{"resource": r} for r in resources]})


def ndjson(*resources):
    return "\n".join(json.dumps(r) for r in resources) + "\n"


CASES = {
    "malformed.json": ('{"resourceType": "Bundle", "entry": [', "malformed JSON"),
    "truncated.ndjson": (ndjson(PATIENT) + json.dumps(condition())[:40], "line 2"),
    "wrongtype.json": (bundle(PATIENT, dict(condition(), resourceType="Conditionz")), "not imported"),
    "notype.json": (bundle(PATIENT, {"id": "x"}), "resourceType is missing"),
    "nobirth.json": (bundle({k: v for k, v in PATIENT.items() if k != "birthDate"}), "birthDate is missing"),
    "nofamily.json": (bundle(dict(PATIENT, name=[{"given": ["A"]}])), "family"),
    "nocode.json": (bundle(PATIENT, condition(code={"text": "sugar"})), "Condition.code has no coding"),
    "baddate.json": (bundle(PATIENT, condition(onsetDateTime="2024-02-30")), "onsetDateTime"),
    "baddate2.json": (bundle(PATIENT, condition(onsetDateTime="yesterday")), "not a FHIR date"),
    "dangling.json": (bundle(PATIENT, condition(subject={"reference": "Patient/nobody"}),
                             dict(PATIENT, id="p2", identifier=[])), "Patient/nobody"),
    "future.json": (bundle(dict(PATIENT, birthDate="2999-01-01")), "in the future"),
    "dupmrn.json": (bundle(PATIENT, dict(PATIENT, id="p2")), "MRN M1 appears twice"),
    "dupid.json": (bundle(PATIENT, PATIENT), "appears twice in this file"),
    "nosubject.json": (bundle(PATIENT, {k: v for k, v in condition().items() if k != "subject"}), "names no patient"),
    "badvalue.json": (bundle(PATIENT, {"resourceType": "Observation", "id": "o1", "subject": {"reference": "Patient/p1"},
                                       "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                                       "valueQuantity": {"value": "high"}}), "is not a number"),
    "empty.json": ("", "empty (0 bytes)"),
    "empty.ndjson": ("", "empty (0 bytes)"),
    "panel_missing_col.csv": ("practice_code,mrn,family\nOAK,1,Rivera\n", "missing column(s): birth_date"),
    "panel_bad_date.csv": ("practice_code,mrn,family,birth_date\nOAK,1,Rivera,12-04-1961\n", "YYYY-MM-DD or MM/DD/YYYY"),
    "panel_dup.csv": ("practice_code,mrn,family,birth_date\nOAK,1,A,1961-04-12\nOAK,1,B,1962-04-12\n", "appears twice"),
    "panel_unknown_practice.csv": ("practice_code,mrn,family,birth_date\nELM,1,A,1961-04-12\n", "no practice has the code ELM"),
    # a quote left open swallows the row's other cells: named as such, where it opened
    "panel_open_quote.csv": ('practice_code,mrn,family,birth_date\nOAK,1,"Jones,1961-04-12\n',
                             'line 2, PanelRow: rejected: a quote (") opened in the family cell is never closed'),
    "panel_open_quote_runs_on.csv": ('practice_code,mrn,family,birth_date\nOAK,1,"Jones,1961-04-12\nOAK,2,Lee,1960-01-01\n',
                                     "line 2, PanelRow: rejected: a quote (\") opened in the family cell is never closed, "
                                     "so everything after it up to line 3"),
    "panel_short_row.csv": ("practice_code,mrn,family,birth_date\nOAK,1,Jones\n", "3 cells but the header has 4"),
}


@pytest.fixture
def seeded(engine, tmp_path):
    """A database with a practice and one imported patient, so 'unchanged' is tested on real rows."""
    add_practice(engine)
    good = tmp_path / "good.json"
    good.write_text(bundle(PATIENT, condition()))
    report = import_paths(engine, [good], source="clinic")
    assert report.errors == []
    return engine


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_is_rejected_and_changes_nothing(seeded, tmp_path, name):
    text, expected = CASES[name]
    path = tmp_path / name
    path.write_text(text)
    before = snapshot(seeded)
    report = import_paths(seeded, [path], source="clinic2")
    assert report.exit_status in (1, 2)
    messages = [p.as_text() for p in report.errors]
    assert any(expected in m for m in messages), messages
    assert all(m.startswith(str(path)) for m in messages)
    assert snapshot(seeded) == before


def test_unknown_code_system_is_kept_with_a_warning(engine, tmp_path):
    path = tmp_path / "odd.json"
    path.write_text(bundle(PATIENT, condition(code={"coding": [{"system": "http://example.org/local-codes", "code": "X1"}]})))
    report = import_paths(engine, [path])
    assert report.errors == [] and report.exit_status == 0
    assert any("http://example.org/local-codes" in w.reason for w in report.warnings)
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT system, code FROM {with_text()} c")).all() == [("http://example.org/local-codes", "X1")]


def test_non_utf8_bytes(seeded, tmp_path):
    before = snapshot(seeded)
    bad_json = tmp_path / "latin1.json"
    bad_json.write_bytes(bundle(PATIENT).replace('"Rivera"', '"Peña"').encode("latin-1"))
    bad_nd = tmp_path / "latin1.ndjson"
    bad_nd.write_bytes(ndjson(PATIENT).encode() + json.dumps(dict(PATIENT, id="p9", name=[{"family": "Peña"}]),
                                                            ensure_ascii=False).encode("latin-1") + b"\n")
    bad_csv = tmp_path / "latin1.csv"
    bad_csv.write_bytes("practice_code,mrn,family,birth_date\nOAK,7,Peña,1961-04-12\n".encode("latin-1"))
    report = import_paths(seeded, [bad_json, bad_nd, bad_csv])
    texts = [p.as_text() for p in report.errors]
    assert any("latin1.json" in t and "not UTF-8" in t for t in texts)
    assert any("latin1.ndjson: line 2" in t and "not UTF-8" in t for t in texts)
    assert any("latin1.csv: line 2" in t and "not UTF-8" in t for t in texts)
    assert snapshot(seeded) == before


def test_huge_single_line_is_refused_without_loading_it(seeded, tmp_path, monkeypatch):
    import psutil

    path = tmp_path / "huge.ndjson"
    with open(path, "wb") as handle:  # 100 MB on one line, then a good resource
        handle.write(b'{"resourceType": "Patient", "id": "big", "text": "')
        block = b"x" * (1024 * 1024)
        for _ in range(100):
            handle.write(block)
        handle.write(b'"}\n' + json.dumps(dict(PATIENT, id="p5")).encode() + b"\n")
    before = snapshot(seeded)
    rss_before = psutil.Process().memory_info().rss
    report = import_paths(seeded, [path])
    grown = psutil.Process().memory_info().rss - rss_before
    assert any("line 1" in p.location and "MB are refused" in p.reason for p in report.errors)
    assert grown < 60 * 1024 * 1024  # the line was skipped in blocks, never held whole
    assert snapshot(seeded) == before
    assert reader.MAX_LINE_BYTES < 100 * 1024 * 1024


def test_good_files_land_beside_a_rejected_one(engine, tmp_path):
    good = tmp_path / "a_good.json"
    good.write_text(bundle(PATIENT, condition()))
    bad = tmp_path / "b_bad.json"
    bad.write_text(bundle(dict(PATIENT, id="p2"), condition(id="c2", subject={"reference": "Patient/p2"},
                                                           onsetDateTime="not a date")))
    report = import_paths(engine, [good, bad])
    assert report.exit_status == 1 and report.files_imported == 1 and report.files_rejected == 1
    assert report.counts["Patient"]["created"] == 1 and report.counts["Patient"]["rejected"] == 1
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT family FROM patient")).scalars().all() == ["Rivera"]
        problems = conn.execute(text("SELECT file, location, resource_type, resource_id, reason FROM import_problem")).all()
    assert any(p[0].endswith("b_bad.json") and p[1] == "entry 1" and p[2] == "Condition" and p[3] == "c2"
               for p in problems)


def test_missing_path_and_unknown_practice_exit_2(engine, tmp_path):
    assert import_paths(engine, [tmp_path / "nothing-here"]).exit_status == 2
    good = tmp_path / "good.json"
    good.write_text(bundle(PATIENT))
    report = import_paths(engine, [good], practice_code="ELM")
    assert report.exit_status == 2 and "No practice has the code 'ELM'" in report.errors[0].reason


def test_a_resource_twice_in_one_ndjson_file_is_refused_even_chunks_apart(seeded, tmp_path):
    from storage.importers.loader import CHUNK

    filler = [condition(id=f"f{i}") for i in range(CHUNK + 5)]
    path = tmp_path / "Condition.ndjson"
    path.write_text(ndjson(condition(id="twice"), *filler, condition(id="twice", onsetDateTime="2024-05-06")))
    before = snapshot(seeded)
    report = import_paths(seeded, [path], source="clinic")
    messages = [p.as_text() for p in report.errors]
    assert any("Condition/twice appears twice in this file (also at line 1)" in m for m in messages), messages
    assert snapshot(seeded) == before
