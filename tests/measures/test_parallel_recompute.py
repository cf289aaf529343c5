"""A complete recompute shared out between worker processes writes exactly what one process
writes; a cancel or a failing worker keeps what was written and says so."""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from domain.measures.catalogue import catalogue
from domain.measures.period import MeasurementPeriod
from storage.db import open_database
from storage.demo.generate import create_demo_pod
from storage.measures.engine import Cancelled
from storage.measures.parallel import hand_out_order, worker_count
from storage.measures.recompute import ALL_MEASURES, recompute
from storage.measures.valuesets import ensure_valuesets
from tests.measures.conftest import count_evidence_writes

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
GAPS = ("SELECT g.patient_id, g.measure_id, g.group_index, g.initial_population, g.denominator, "
        "g.denominator_exclusion, g.denominator_exception, g.numerator, g.state, g.due_date FROM gap g")
EVIDENCE = ("SELECT g.patient_id, g.measure_id, g.group_index, e.items FROM gap_evidence e JOIN gap g ON g.id = e.gap_id")
HISTORY = ("SELECT g.patient_id, g.measure_id, g.group_index, h.from_state, h.to_state FROM gap_history h "
           "JOIN gap g ON g.id = h.gap_id")
CREATED = "SELECT patient_id, measure_id, group_index, created_at = computed_at FROM gap"


@pytest.fixture(scope="module")
def pod(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "pod.db"
    create_demo_pod(path, seed=11, practices=3, patients=400)
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as con:
        return sorted(con.execute(sql).fetchall(), key=repr)


def _recompute(path: Path, workers: int, **kwargs):
    engine = open_database(path)
    try:
        return recompute(engine, PERIOD, workers=workers, **kwargs)
    finally:
        engine.dispose()


def test_two_processes_write_what_one_process_writes(pod, tmp_path):
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    shutil.copy(pod, one)
    shutil.copy(pod, two)
    seen = []
    summary_one = _recompute(one, 1)
    summary_two = _recompute(two, 2, progress=lambda done, total, label: seen.append((done, total)))
    assert summary_two == summary_one and list(summary_two) == list(ALL_MEASURES)
    for sql in (GAPS, EVIDENCE, HISTORY, CREATED):
        assert _rows(two, sql) == _rows(one, sql)
    assert len(_rows(two, EVIDENCE)) > 1000
    with sqlite3.connect(two) as con:  # the bulk write skips per-row look-ups; nothing dangles
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    # progress counts every criterion of every measure once, up to the total
    assert seen[-1][0] == seen[-1][1] and all(t == seen[-1][1] for _, t in seen)
    # the monthly pod-peer snapshot is taken once, after both workers
    assert _rows(two, "SELECT measure_id, group_index, practice_id, numerator, denominator FROM quality_snapshot") \
        == _rows(one, "SELECT measure_id, group_index, practice_id, numerator, denominator FROM quality_snapshot")


def test_a_second_parallel_run_changes_no_gap(pod, tmp_path):
    path = tmp_path / "again.db"
    shutil.copy(pod, path)
    _recompute(path, 2)
    before = {sql: _rows(path, sql + suffix) for sql, suffix in ((GAPS, ""), (EVIDENCE, ""), (HISTORY, ""))}
    stamps = _rows(path, "SELECT id, computed_at, created_at, evidence_key FROM gap")
    with sqlite3.connect(path) as con:
        count_evidence_writes(con)
    _recompute(path, 2)
    assert {sql: _rows(path, sql) for sql in before} == before
    # nothing changed, nothing rewritten: the evidence keys worked out by the new worker
    # processes match those of the first run's
    assert _rows(path, "SELECT id, computed_at, created_at, evidence_key FROM gap") == stamps
    assert _rows(path, "SELECT n FROM evidence_writes") == [(0,)]


@pytest.fixture(scope="module")
def serial(pod, tmp_path_factory) -> Path:
    """The pod recomputed in one process: what every measure's gaps should be."""
    path = tmp_path_factory.mktemp("serial") / "serial.db"
    shutil.copy(pod, path)
    _recompute(path, 1)
    return path


def _measure_rows(path: Path, measures) -> list[tuple]:
    return [row for row in _rows(path, GAPS) if row[1] in measures]


def test_cancel_stops_both_workers_and_keeps_finished_measures(pod, serial, tmp_path):
    path = tmp_path / "cancel.db"
    shutil.copy(pod, path)
    progress = []
    with pytest.raises(Cancelled):
        _recompute(path, 2, progress=lambda done, total, label: progress.append(done),
                   cancel=lambda: len(progress) >= 40)
    written = {m for (m,) in _rows(path, "SELECT DISTINCT measure_id FROM gap")}
    assert written < set(ALL_MEASURES)  # not all: the run stopped
    assert _measure_rows(path, written) == _measure_rows(serial, written)  # each one whole
    # each measure written has this month's snapshot, the same as a whole run's; no other has one
    snapshot = "SELECT measure_id, group_index, practice_id, numerator, denominator FROM quality_snapshot"
    assert {row[0] for row in _rows(path, snapshot)} == written
    assert _rows(path, snapshot) == [row for row in _rows(serial, snapshot) if row[0] in written]


def test_a_worker_killed_midway_is_reported_and_leaves_whole_measures(pod, serial, tmp_path):
    path = tmp_path / "killed.db"
    shutil.copy(pod, path)
    killed = []

    def kill_one(done, total, label):
        if not killed and done >= 30:
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed.append(victim.name)

    with pytest.raises(RuntimeError, match="recompute worker process was killed"):
        _recompute(path, 2, progress=kill_one)
    assert killed
    written = {m for (m,) in _rows(path, "SELECT DISTINCT measure_id FROM gap")}
    assert _measure_rows(path, written) == _measure_rows(serial, written)
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_longest_measures_are_handed_out_first():
    order = hand_out_order(list(ALL_MEASURES))
    assert sorted(order) == sorted(ALL_MEASURES)
    cost = catalogue().costs()
    assert [cost[m] for m in order] == sorted((cost[m] for m in ALL_MEASURES), reverse=True)
    assert hand_out_order(["CMS125", "PAYER-X"]) == ["PAYER-X", "CMS125"]  # unknown: counts 2


def test_some_patients_or_a_memory_database_are_done_in_one_process(engine, tmp_path):
    assert worker_count(engine, list(ALL_MEASURES), {1, 2}, 4) == 1
    assert worker_count(engine, ["CMS125"], None, 4) == 1
    assert worker_count(engine, list(ALL_MEASURES), None, 3) == 3
    memory = open_database("sqlite://")
    try:
        assert worker_count(memory, list(ALL_MEASURES), None, 4) == 1
    finally:
        memory.dispose()


def test_what_the_workers_write_is_copied_into_the_database_file(pod, tmp_path):
    """The workers leave checkpoints to the parent (a thread copies the log as they go):
    once the run is over, the database file alone holds every gap, even while another
    connection keeps the log open."""
    path = tmp_path / "log.db"
    shutil.copy(pod, path)
    engine = open_database(path)
    try:
        recompute(engine, PERIOD, workers=2)
        with engine.connect() as conn:  # an open connection: closing the last one would checkpoint
            gaps = conn.exec_driver_sql("SELECT count(*) FROM gap").scalar()
            shutil.copy(path, tmp_path / "file-only.db")  # without its -wal
        with sqlite3.connect(tmp_path / "file-only.db") as con:
            assert con.execute("SELECT count(*) FROM gap").fetchone()[0] == gaps > 1000
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced_again_after_a_recompute(pod, tmp_path):
    path = tmp_path / "fk.db"
    shutil.copy(pod, path)
    engine = open_database(path)
    try:
        recompute(engine, PERIOD, ["CMS125"], workers=1)  # in this process, on a pooled connection
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_worker_evaluates_its_next_measure_while_its_sibling_writes(pod, tmp_path, monkeypatch):
    import threading

    from storage.measures import gap_writer, local_run
    from storage.measures.engine import raw_connection
    from storage.measures.measure_table import install_measures
    from storage.measures.write_lock import in_write_transaction

    path = tmp_path / "overlap.db"
    shutil.copy(pod, path)
    engine = open_database(path)
    ensure_valuesets(engine)
    fairy, con = raw_connection(engine)
    in_write_transaction(con, install_measures, con, ["CMS125", "CMS130"])
    fairy.close()
    sibling = sqlite3.connect(path, check_same_thread=False)
    sibling.execute("BEGIN IMMEDIATE")  # the other worker is writing
    attempts, begin_now = [], gap_writer.begin_now

    def attempt(con):
        began = begin_now(con)
        attempts.append(began)
        if not began and len(attempts) == 1:  # the sibling finishes a moment later
            threading.Timer(0.3, sibling.rollback).start()
        return began
    monkeypatch.setattr(gap_writer, "begin_now", attempt)
    try:
        measures = iter(["CMS125", "CMS130"])
        written = local_run.recompute_here(engine, PERIOD, measures, write_lock_wait_ms=60_000,
                                           still_to_come=lambda: [])
    finally:
        engine.dispose()
        sibling.close()
    # CMS125 found the lock taken: the worker went on with CMS130, trying again between its
    # criteria until the sibling was done, and then wrote both
    assert attempts[0] is False and attempts[-1] is True and len(attempts) > 2
    assert set(written) == {"CMS125", "CMS130"} and all(written.values())
    one = tmp_path / "one.db"
    shutil.copy(pod, one)
    _recompute(one, 1, measure_ids=["CMS125", "CMS130"])
    assert _rows(path, GAPS) == _rows(one, GAPS) and _rows(path, EVIDENCE) == _rows(one, EVIDENCE)
    assert {row[1] for row in _rows(path, GAPS)} == {"CMS125", "CMS130"}


def test_a_write_worked_out_before_another_write_of_the_measure_is_worked_out_again(pod, tmp_path):
    from storage.measures.engine import evaluate_each, raw_connection
    from storage.measures.gap_writer import plan_writes, write_plan
    from storage.measures.local_run import run_time
    from storage.measures.measure_table import install_measures
    from storage.measures.write_lock import in_write_transaction

    path = tmp_path / "stale.db"
    shutil.copy(pod, path)
    engine = open_database(path)
    ensure_valuesets(engine)
    fairy, con = raw_connection(engine)
    try:
        in_write_transaction(con, install_measures, con, ["CMS125"])
        result = next(evaluate_each(con, ["CMS125"], PERIOD))
        plan = plan_writes(con, result, PERIOD, run_time(), False)
        # meanwhile one patient's CMS125 gap is written by another recompute (after an import)
        patient = min(result.groups[0].populations["initial-population"])
        recompute(engine, PERIOD, ["CMS125"], patient_ids=[patient])
        write_plan(con, plan)  # would add that patient's gap a second time
    finally:
        fairy.close()
        engine.dispose()
    one = tmp_path / "one.db"
    shutil.copy(pod, one)
    _recompute(one, 1, measure_ids=["CMS125"])
    assert _rows(path, GAPS) == _rows(one, GAPS) and _rows(path, EVIDENCE) == _rows(one, EVIDENCE)
    assert len(_rows(path, GAPS)) > 20


def test_memory_tuning_is_skipped_where_it_does_not_apply(monkeypatch):
    """Workers tune glibc's allocator on Linux; elsewhere (Windows cannot load "no library")
    the worker starts as it is."""
    import ctypes

    from storage.measures import parallel

    def no_library(_name):
        raise AssertionError("no C library is loaded off Linux")

    monkeypatch.setattr(parallel.sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    parallel._keep_freed_memory()
