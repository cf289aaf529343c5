"""A measure's gaps written in short steps: the same rows as one transaction, a new period out
of sight until whole, its snapshot written with its last step."""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest

from domain.measures.period import MeasurementPeriod
from storage.db import open_database
from storage.demo.generate import create_demo_pod
from storage.measures import gap_steps
from storage.measures.recompute import recompute

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
GAPS = ("SELECT g.patient_id, g.measure_id, g.group_index, g.initial_population, g.denominator, "
        "g.denominator_exclusion, g.denominator_exception, g.numerator, g.state, g.due_date, g.evidence_key FROM gap g")
EVIDENCE = "SELECT g.patient_id, g.measure_id, g.group_index, e.items FROM gap_evidence e JOIN gap g ON g.id = e.gap_id"
HISTORY = ("SELECT g.patient_id, g.measure_id, g.group_index, h.from_state, h.to_state FROM gap_history h "
           "JOIN gap g ON g.id = h.gap_id")
SNAPSHOT = ("SELECT practice_id, measure_id, group_index, numerator, denominator, rate, rank, pod_median "
            "FROM quality_snapshot")
MONTH = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def pod(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("steps") / "pod.db"
    create_demo_pod(path, seed=5, practices=3, patients=400)
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def _recompute(path: Path, **kwargs):
    engine = open_database(path)
    try:
        return recompute(engine, PERIOD, ["CMS138", "CMS125"], workers=1, snapshot_month=MONTH, **kwargs)
    finally:
        engine.dispose()


def _copy(pod, tmp_path, name):
    shutil.copy(pod, tmp_path / name)
    return tmp_path / name


def test_many_small_steps_write_what_one_transaction_writes(pod, tmp_path, monkeypatch):
    whole = _copy(pod, tmp_path, "whole.db")
    _recompute(whole)
    monkeypatch.setattr(gap_steps, "STEP_ROWS", 37)
    stepped = _copy(pod, tmp_path, "stepped.db")
    _recompute(stepped)
    for sql in (GAPS, EVIDENCE, HISTORY, SNAPSHOT):
        assert _rows(stepped, sql) == _rows(whole, sql)
    # and a second run that changes stored gaps (a patient marked in error) does so in steps too
    for path in (whole, stepped):
        with sqlite3.connect(path) as con:
            con.execute("UPDATE patient SET birth_date = '1950-01-01' WHERE id % 3 = 0")
            con.execute("UPDATE clinical_fact SET entered_in_error = 1 WHERE id % 5 = 0")
        _recompute(path)
    for sql in (GAPS, EVIDENCE, HISTORY, SNAPSHOT):
        assert _rows(stepped, sql) == _rows(whole, sql)
    assert _rows(stepped, "SELECT count(*) FROM gap_staging") == [(0,)]


def test_a_new_period_is_out_of_sight_until_its_last_step(pod, tmp_path, monkeypatch):
    from storage.queries.gaps import gap_periods, patient_gaps

    path = _copy(pod, tmp_path, "sight.db")
    monkeypatch.setattr(gap_steps, "STEP_ROWS", 50)
    seen = []
    write_next = gap_steps._Steps.write_next

    def look(self, con, mid, ps, pe):
        write_next(self, con, mid, ps, pe)
        # what another connection sees of the measure after the steps committed so far
        reader = open_database(path, upgrade=False)
        try:
            periods = [p for p in gap_periods(reader, mid)]
            written = _rows(path, f"SELECT count(*) FROM gap WHERE measure_id = '{mid}'")[0][0]
            chart = [g for g in patient_gaps(reader, 1) if g.measure_id == mid]
            seen.append((mid, written, periods, chart))
        finally:
            reader.dispose()

    monkeypatch.setattr(gap_steps._Steps, "write_next", look)
    _recompute(path)
    steps_with_rows = [s for s in seen if s[1] > 0]
    assert len(steps_with_rows) > 10  # written in many steps
    assert all(periods == [] and chart == [] for _mid, _n, periods, chart in seen)  # none seen before the end
    engine = open_database(path)
    try:
        assert gap_periods(engine, "CMS138") == [(PERIOD.start, PERIOD.end)]
    finally:
        engine.dispose()


def test_the_snapshot_is_written_with_the_last_step(pod, tmp_path, monkeypatch):
    """A kill between a measure's gaps and its monthly snapshot left the snapshot missing."""
    path = _copy(pod, tmp_path, "snap.db")
    monkeypatch.setattr(gap_steps, "STEP_ROWS", 100)

    def killed(*_args):
        raise KeyboardInterrupt  # the process stops right after the last step's rows

    monkeypatch.setattr(gap_steps, "_keep_snapshot", killed)
    with pytest.raises(KeyboardInterrupt):
        _recompute(path)
    assert _rows(path, SNAPSHOT) == []
    assert _rows(path, "SELECT measure_id FROM gap_staging") == [("CMS138",)]  # its rows out of sight
    monkeypatch.undo()
    _recompute(path)  # the next run completes it, snapshot and all
    whole = _copy(pod, tmp_path, "whole.db")
    _recompute(whole)
    for sql in (GAPS, EVIDENCE, SNAPSHOT):
        assert _rows(path, sql) == _rows(whole, sql)
    assert _rows(path, "SELECT count(*) FROM gap_staging") == [(0,)]
