"""The audit trail only grows, and ``audit --verify`` finds any change, removal or insertion."""
from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

import pytest
import sqlalchemy as sa

from domain import services
from domain.practice import Practice
from storage import audit_chain
from storage.uow import UnitOfWork
from tests.conftest import ROOT, add_staff_member


def _events(engine, views: int = 6) -> int:
    with UnitOfWork(engine, "Dana Reyes") as uow:
        practice = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        uow.commit()
        practice_id = practice.id
    with UnitOfWork(engine, "Dana Reyes") as uow:
        patient_id = services.register_patient(uow, practice_id=practice_id, mrn="E1", family="Vance",
                                               given="Iris", birth_date=dt.date(1948, 7, 4))
    for n in range(views):
        with UnitOfWork(engine, f"Nurse {n}") as uow:
            services.open_chart(uow, patient_id)
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar()


def _audit(db_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "audit", "--verify", "--db", str(db_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def _tamper(db_path, *statements: str) -> None:
    """What someone with the file and the sqlite3 shell could do."""
    con = sqlite3.connect(db_path, isolation_level=None)
    for sql in statements:
        con.execute(sql)
    con.close()


def test_an_untouched_trail_is_whole(engine, db_path):
    count = _events(engine)
    engine.dispose()
    out = _audit(db_path)
    assert out.returncode == 0, out.stderr
    assert f"is whole: {count} events" in out.stdout
    verdict = audit_chain.verify(sa.create_engine(f"sqlite:///{db_path}"))
    assert verdict.ok and verdict.events == count and verdict.last_hash in out.stdout


@pytest.mark.parametrize("statement", [
    "REPLACE INTO audit_event (id, at, actor, action, record_type, detail) "
    "VALUES (3, '2026-01-01 00:00:00.000000', 'Mallory', 'view', 'Patient', '')",
    "INSERT OR REPLACE INTO audit_event (id, at, actor, action, record_type, detail) "
    "VALUES (3, '2026-01-01 00:00:00.000000', 'Mallory', 'view', 'Patient', '')",
    "UPDATE audit_event SET actor = 'Mallory' WHERE id = 3",
    "DELETE FROM audit_event WHERE id = 3",
    "UPDATE audit_chain SET events = events - 1",
    "DELETE FROM audit_chain",
    "INSERT INTO audit_chain (id, events, last_hash) VALUES (2, 0, '')",
])
def test_the_database_refuses_to_rewrite_an_event(engine, db_path, statement):
    """REPLACE INTO an existing id replaced the event: the delete trigger never fires for it."""
    _events(engine)
    engine.dispose()
    with pytest.raises(sqlite3.DatabaseError, match="audit"):
        _tamper(db_path, statement)
    assert _audit(db_path).returncode == 0


def test_a_changed_event_is_named(engine, db_path):
    _events(engine)
    engine.dispose()
    _tamper(db_path, "DROP TRIGGER audit_event_no_update",
            "UPDATE audit_event SET actor = 'Mallory' WHERE id = 4")
    out = _audit(db_path)
    assert out.returncode == 1
    assert "broken at event 4 (" in out.stdout and "Mallory" in out.stdout
    assert "trigger audit_event_no_update" in out.stdout  # and the missing protection is named


def test_a_removed_event_is_found_at_the_next_one(engine, db_path):
    _events(engine)
    engine.dispose()
    _tamper(db_path, "DROP TRIGGER audit_event_no_delete", "DELETE FROM audit_event WHERE id = 4")
    out = _audit(db_path)
    assert out.returncode == 1
    assert "broken at event 5 (" in out.stdout


def test_an_event_slipped_into_the_past_is_named(engine, db_path):
    count = _events(engine)
    engine.dispose()
    # make room after event 3 and put a forged event there, chained as a forger would guess
    _tamper(db_path, "DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_replace",
            *(f"UPDATE audit_event SET id = id + 1 WHERE id = {n}" for n in range(count, 3, -1)),
            "INSERT INTO audit_event (id, at, actor, action, record_type, detail, chain_hash) "
            "VALUES (4, '2026-01-01 00:00:00.000000', 'Mallory', 'view', 'Patient', '', "
            "(SELECT chain_hash FROM audit_event WHERE id = 3))")
    out = _audit(db_path)
    assert out.returncode == 1
    assert "broken at event 4 (2026-01-01 00:00, Mallory" in out.stdout


def test_an_event_added_outside_carepod_is_named(engine, db_path):
    count = _events(engine)
    engine.dispose()
    _tamper(db_path, "INSERT INTO audit_event (at, actor, action, record_type, detail) "
                     "VALUES ('2026-01-01 00:00:00.000000', 'Mallory', 'view', 'Patient', '')")
    out = _audit(db_path)
    assert out.returncode == 1 and f"broken at event {count + 1} (" in out.stdout


def test_removing_the_newest_events_is_found(engine, db_path):
    count = _events(engine)
    engine.dispose()
    _tamper(db_path, "DROP TRIGGER audit_event_no_delete", f"DELETE FROM audit_event WHERE id >= {count - 1}")
    out = _audit(db_path)
    assert out.returncode == 1
    assert f"{count} events were recorded, {count - 2} are there" in out.stdout


def test_opening_the_pod_checks_the_newest_events(engine, db_path):
    from application.pod import open_pod

    _events(engine)
    engine.dispose()
    _tamper(db_path, "DROP TRIGGER audit_event_no_update", "UPDATE audit_event SET detail = 'x' WHERE id = 5")
    pod = open_pod(db_path)
    try:
        assert any("broken at event 5" in message for message in pod.findings)
    finally:
        pod.close()


def test_the_importer_chains_its_events_too(engine, db_path, tmp_path):
    from storage.importers.run import import_paths

    _events(engine, views=1)
    panel = tmp_path / "panel.csv"
    panel.write_text("practice_code,mrn,family,given,birth_date,sex\nELM,E2,Reyes,Ana,1950-02-03,female\n")
    report = import_paths(engine, [panel], actor="Importer")
    assert report.files_imported == 1, report.problems
    with UnitOfWork(engine, "Nurse Kim") as uow:
        services.open_chart(uow, 1)
    assert audit_chain.verify(engine).ok


def test_older_events_are_chained_by_the_upgrade(db_path):
    """A pod from before the chain: its events are linked, oldest first, when it is opened."""
    from storage.db import create_engine, open_database
    from storage.migrate import upgrade_to

    engine = create_engine(db_path)
    upgrade_to(engine, "0012")
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(sa.text("INSERT INTO audit_event (at, actor, action, record_type, detail) "
                                 f"VALUES ('2025-0{n + 1}-01 10:00:00.000000', 'Dana', 'view', 'Patient', '')"))
    engine.dispose()
    engine = open_database(db_path)
    verdict = audit_chain.verify(engine)
    assert verdict.ok and verdict.events == 3
    engine.dispose()


def test_patient_level_measure_output_is_audited_per_patient(engine, db_path):
    """evaluate-measure --report-type individual prints every patient's populations: each patient
    shown is audited as a view would be, with who asked (--as)."""
    _events(engine, views=0)
    add_staff_member(engine, "Dana Reyes")  # --as names one of the pod's active staff
    engine.dispose()
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "evaluate-measure", "--db", str(db_path),
                          "--measure", "CMS125", "--period-start", "2026-01-01", "--period-end", "2026-12-31",
                          "--report-type", "individual", "--as", "Dana Reyes"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    check = sa.create_engine(f"sqlite:///{db_path}")
    with check.connect() as conn:
        rows = conn.execute(sa.text("SELECT actor, action, record_type, patient_id FROM audit_event "
                                    "WHERE action = 'export'")).all()
    assert [tuple(r) for r in rows] == [("Dana Reyes", "export", "MeasureReport", 1)]
    assert audit_chain.verify(check).ok
