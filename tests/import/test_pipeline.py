"""NDJSON read by a reader process (storage.importers.pipeline) lands exactly as NDJSON read in
the importing process: the same rows in every table, ids included, the same counts and the same
problems; a reader that dies or a cancelled import neither hangs nor changes that."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal

import pytest

from helpers import assert_same_import, snapshot
from storage.importers import loader, pipeline, run
from storage.importers.run import import_paths
from test_fast_path import _bench_generate

NOW = dt.datetime(2026, 1, 2, 3, 4, 5)
SUBJECT = {"reference": "Patient/p1"}
CODE = {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}


def _line(**resource) -> str:
    return json.dumps(resource) + "\n"


def _readers() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "carepod-import-reader"]


def _import(tmp_path, monkeypatch, paths, name, *, piped: bool, fast: bool = True, then=None, **options):
    from storage.db import open_database

    monkeypatch.setattr(run, "utcnow", lambda: NOW)
    monkeypatch.setattr(run, "CHUNK", 7)  # many chunks, so that chunk boundaries are compared too
    monkeypatch.setattr(loader, "FAST_PATH", fast)
    monkeypatch.setattr(pipeline, "PIPELINE", piped)
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    engine = open_database(tmp_path / f"{name}-{piped}-{fast}.db")
    report = import_paths(engine, paths, actor="Test Import", **options)
    again = import_paths(engine, then or paths, actor="Test Import")
    rows = snapshot(engine)
    engine.dispose()
    assert _readers() == []  # every reader has ended
    return rows, report, again


def _odd_export(folder):
    """Every kind of line: good, general-path shapes, bad ones, unreadable ones, a bad file."""
    folder.mkdir()
    (folder / "Patient.ndjson").write_text("".join([
        _line(resourceType="Patient", id="p1", gender="female", birthDate="1960-01-02",
              name=[{"family": "Odd", "given": ["A"]}],
              identifier=[{"type": {"coding": [{"code": "MR"}]}, "system": "urn:x", "value": "M1"}]),
        _line(resourceType="Patient", id="p2", gender="male", birthDate="1970-05-06", name=[{"family": "Even"}],
              address=[{"line": ["1 Main St"], "city": "Oak"}], deceasedDateTime="2020-01-01",
              communication=[{"language": {"text": "Spanish"}}]),
        _line(resourceType="Organization", id="org1", name="Somewhere"),
        _line(resourceType="Condition", id="c2", subject={"reference": "Patient?identifier=urn:x|M1"}, code=CODE),
        "\n",
    ]))
    (folder / "Facts.ndjson").write_text("".join([
        _line(resourceType="Encounter", id="e1", status="finished", subject=SUBJECT,
              **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
              type=[{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]}],
              period={"start": "2025-03-04T09:00:00+02:00"}, diagnosis=[{"condition": {"reference": "Condition/c1"}}]),
        _line(resourceType="Condition", id="c1", subject=SUBJECT, code=CODE, onsetDateTime="2019",
              encounter={"reference": "Encounter/e1"}),
        _line(resourceType="Condition", id="c3", subject=SUBJECT, code=CODE,
              extension=[{"url": "http://example.org/x", "valueString": "y"}]),
        _line(resourceType="Observation", id="o1", status="final", subject={"reference": "Patient/p2"}, code=CODE,
              effectiveDateTime="2025-01-01", valueQuantity={"value": 7.25, "unit": "%"},
              component=[{"code": {"coding": [{"code": "8480-6"}]}, "valueQuantity": {"value": 120}}]),
        _line(resourceType="Observation", id="o2", status="final", subject=SUBJECT, code=CODE,
              effectiveDateTime="2025-01-02", encounter={"reference": "Encounter/nowhere"}),  # unresolved
        _line(resourceType="Observation", id="o3", status="final", subject=SUBJECT, code=CODE,
              effectiveDateTime="2025-01-03", encounter={"reference": "urn:uuid:9d4a"}),  # no key to send
        _line(resourceType="Goal", id="g1", subject=SUBJECT),
        _line(resourceType="MedicationRequest", id="m1", status="active", intent="order", subject=SUBJECT,
              medicationReference={"reference": "Medication/med1"}, authoredOn="2025-04-05"),
        _line(resourceType="Medication", id="med1", code=CODE),
        _line(resourceType="Immunization", id="i1", status="completed", patient=SUBJECT,
              vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140"}]},
              occurrenceDateTime="2025-10-01T10:00:00Z"),
        _line(resourceType="Procedure", id="  pr1  ", status="completed", subject=SUBJECT, code=CODE,
              performedDateTime="2025-02-03"),
    ]))
    (folder / "Bad.ndjson").write_bytes("".join([
        _line(resourceType="Condition", id="b1", subject=SUBJECT, code=CODE, onsetDateTime="2025-13-01"),
        _line(resourceType="Observation", id="b2", subject={"reference": "Patient/elsewhere"}, code=CODE),
        _line(resourceType="Condition", id="b3", subject=SUBJECT),
        _line(resourceType="Conditionz", id="b4"),
        _line(resourceType="Bundle", id="b5"),
        _line(resourceType="Condition", subject=SUBJECT, code=CODE),
        "[1, 2]\n", '{"resourceType": "Condition", "id": \n',
        _line(resourceType="Condition", id="b1", subject=SUBJECT, code=CODE),
        _line(resourceType="Patient", id="p9", birthDate="2999-01-01", name=[{"family": "Later"}]),
    ]).encode() + b'{"resourceType": "Patient", "id": "\xff"}\n')
    (folder / "Empty.ndjson").write_text("")
    (folder / "One.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-02", "name": [{"family": "J"}]}},
        {"resource": {"resourceType": "Condition", "id": "j1", "subject": SUBJECT, "code": CODE}}]}))


@pytest.mark.parametrize("fast", [True, False])
def test_odd_and_bad_lines_land_or_fail_identically(tmp_path, monkeypatch, fast):
    folder = tmp_path / "odd"
    _odd_export(folder)
    local = _import(tmp_path, monkeypatch, [folder], "odd", piped=False, fast=fast)
    piped = _import(tmp_path, monkeypatch, [folder], "odd", piped=True, fast=fast)
    assert local[1].files_imported == 3 and local[1].files_rejected == 1 and local[1].files_unreadable == 1
    assert any("Bad.ndjson: line 11" in p.as_text() and "not UTF-8" in p.as_text() for p in local[1].errors)
    assert_same_import(local, piped)


def test_bench_export_and_its_changes_land_identically(tmp_path, monkeypatch):
    generate = _bench_generate()
    generate(tmp_path / "first" / "export", 40)
    generate(tmp_path / "second" / "export", 60, seed=8)  # the same source: 40 patients changed, 20 new
    first, second = [tmp_path / "first" / "export"], [tmp_path / "second" / "export"]
    local = _import(tmp_path, monkeypatch, first, "bench", piped=False, then=second)
    piped = _import(tmp_path, monkeypatch, first, "bench", piped=True, then=second)
    assert piped[2].total("created") == 20 * 7 and piped[2].total("updated") > 0
    assert_same_import(local, piped)
    again = _import(tmp_path, monkeypatch, first, "again", piped=True)
    assert again[2].total("unchanged") == 40 * 7


@pytest.mark.parametrize("when", [0, 7, 28])  # resources done in the file when the reader is killed
def test_a_killed_reader_neither_hangs_nor_changes_what_lands(tmp_path, monkeypatch, caplog, when):
    generate = _bench_generate()
    generate(tmp_path / "export", 300)  # more than the pipe holds: the reader is still reading when killed

    def kill_reader(progress):
        if progress.file.endswith("Condition.ndjson") and progress.resources == when:
            for process in _readers():
                os.kill(process.pid, signal.SIGKILL)
                process.join(10)

    local = _import(tmp_path, monkeypatch, [tmp_path / "export"], "killed", piped=False)
    piped = _import(tmp_path, monkeypatch, [tmp_path / "export"], "killed", piped=True, progress=kill_reader)
    assert piped[1].errors == []
    assert any("reader process stopped; reading" in r.getMessage() and "Condition.ndjson" in r.getMessage()
               for r in caplog.records)
    assert_same_import(local, piped)


def test_cancel_mid_file_rolls_it_back_and_stops_the_reader(tmp_path, monkeypatch):
    from storage.db import open_database

    generate = _bench_generate()
    generate(tmp_path / "export", 30)
    monkeypatch.setattr(run, "CHUNK", 7)
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    out = []
    for piped in (False, True):
        monkeypatch.setattr(pipeline, "PIPELINE", piped)
        stop = {"now": False}

        def progress(state):
            if state.file.endswith("Encounter.ndjson") and state.resources >= 14:
                stop["now"] = True

        engine = open_database(tmp_path / f"cancel-{piped}.db")
        report = import_paths(engine, [tmp_path / "export"], progress=progress, cancel=lambda: stop["now"])
        assert _readers() == []
        rows = snapshot(engine)
        engine.dispose()
        assert report.cancelled and report.files_imported == 1  # the Patient file, loaded first
        assert any("cancelled: nothing from this file was saved" in p.as_text() for p in report.problems)
        assert len(rows["patient"]) == 30 and rows["clinical_fact"] == []
        out.append((rows["patient"], report.plain_counts()))
    assert [counts for _rows, counts in out][0] == out[1][1]


def test_a_reader_is_started_only_for_enough_ndjson(tmp_path, monkeypatch):
    (tmp_path / "a.ndjson").write_text(_line(resourceType="Goal", id="g"))
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 1024)
    with pipeline.NdjsonChunks([tmp_path / "a.ndjson"], 10, fast=True) as chunks:
        assert chunks.process is None
        assert [len(c) for c in chunks.chunks(tmp_path / "a.ndjson")] == [1]
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)
    with pipeline.NdjsonChunks([tmp_path / "a.ndjson"], 10, fast=True) as chunks:
        assert chunks.process is not None
        assert [len(c) for c in chunks.chunks(tmp_path / "a.ndjson")] == [1]
    assert _readers() == []
    monkeypatch.setattr(pipeline, "PIPELINE", False)
    with pipeline.NdjsonChunks([tmp_path / "a.ndjson"], 10, fast=True) as chunks:
        assert chunks.process is None


def test_a_reader_that_cannot_start_is_read_in_process(tmp_path, monkeypatch):
    (tmp_path / "a.ndjson").write_text(_line(resourceType="Goal", id="g"))
    monkeypatch.setattr(pipeline, "PIPELINE_MIN_BYTES", 0)

    def refuse(self):
        raise OSError("no more processes")

    monkeypatch.setattr(multiprocessing.get_context("spawn").Process, "start", refuse)
    with pipeline.NdjsonChunks([tmp_path / "a.ndjson"], 10, fast=True) as chunks:
        assert chunks.process is None
        assert [len(c) for c in chunks.chunks(tmp_path / "a.ndjson")] == [1]


def test_the_reader_reports_unreadable_files_and_goes_on(tmp_path):
    import pickle

    class Pipe:
        def __init__(self):
            self.messages = []

        def send_bytes(self, data):
            self.messages.append(pickle.loads(data))

        def close(self):
            pass

    (tmp_path / "empty.ndjson").write_text("")
    (tmp_path / "good.ndjson").write_text(_line(resourceType="Condition", id="c", subject=SUBJECT, code=CODE)
                                          + _line(resourceType="Goal", id="g") + "[1]\n")
    pipe = Pipe()
    pipeline._read_files(pipe, [(str(tmp_path / "empty.ndjson"), "s"), (str(tmp_path / "gone.ndjson"), "s"),
                                (str(tmp_path / "good.ndjson"), "s")], 10, True)
    kinds = [m[0] for m in pipe.messages]
    assert kinds == ["problem", "failed", "chunk", "end"]
    assert "empty" in pipe.messages[0][1] and isinstance(pipe.messages[1][1], FileNotFoundError)
    condition, goal, bad = pipe.messages[2][1]
    assert condition[2:4] == ("Condition", "c") and condition[5] is not None  # its fast-path fact
    assert goal.resource["resourceType"] == "Goal" and bad.error == "the line is not a JSON object"
