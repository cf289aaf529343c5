"""Staff saves wait for a busy writer instead of failing with "database is locked"."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from domain import services
from domain.practice import Practice
from storage.db import write_transaction
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]


def _patient(engine) -> int:
    with UnitOfWork(engine, "Dana") as uow:
        practice = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        uow.commit()
        practice_id = practice.id
    with UnitOfWork(engine, "Dana") as uow:
        return services.register_patient(uow, practice_id=practice_id, mrn="E1", family="Vance",
                                         given="Iris", birth_date=dt.date(1948, 7, 4))


def test_a_save_that_reads_first_waits_for_another_writer(engine):
    """Opening a chart reads the patient, then audits the view. Another connection commits in
    between: begun as a read, the save failed at once ("database is locked"); begun as a
    write, the other connection waits for it instead, and both are saved."""
    patient_id = _patient(engine)
    read_done, other_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    finished: dict[str, float] = {}

    def other_writer() -> None:
        try:
            read_done.wait(10)
            other_started.set()
            with write_transaction(engine) as conn:
                conn.execute(sa.text("INSERT INTO payer (code, name, kind) VALUES ('P1', 'Payer', '')"))
            finished["other"] = time.monotonic()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        with UnitOfWork(engine, "Nurse Kim") as uow:
            uow.patients.get(patient_id)
            read_done.set()
            other_started.wait(10)
            time.sleep(0.3)  # the other connection is writing (or waiting) now
            uow.audit.record("view", "Patient", patient_id, patient_id, "chart opened")
            uow.commit()
            finished["chart"] = time.monotonic()
    finally:
        read_done.set()
        thread.join(30)
    assert not errors, errors
    assert finished["chart"] <= finished["other"]  # the other writer waited for the save
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_event WHERE action = 'view'")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM payer")).scalar() == 1


THREADS = textwrap.dedent("""
    import datetime as dt, sys, threading
    sys.path.insert(0, {root!r})
    from storage.db import open_database
    from storage.uow import UnitOfWork
    engine = open_database({db!r})
    barrier = threading.Barrier(4)
    failures = []

    def work():
        barrier.wait()
        try:
            with UnitOfWork(engine, "Nurse Kim") as uow:
                uow.practices.all()
                uow.gap_overrides.for_patient(1)
                uow.referrals.for_patient(1)
        except Exception as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()
    print("failures", len(failures), failures[:1])
""")


def test_first_use_of_the_unit_of_work_from_four_threads(tmp_path):
    """Each fresh process maps the records once: four threads that needed them at the same
    moment saw them half made."""
    db = tmp_path / "threads.db"
    from storage.db import open_database

    open_database(db).dispose()
    for _ in range(5):
        proc = subprocess.run([sys.executable, "-c", THREADS.format(root=str(ROOT), db=str(db))],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "failures 0" in proc.stdout, proc.stdout


def test_an_exclusion_documented_on_a_pod_never_recomputed(engine):
    """The measure rows came only with the first recompute: documenting an exclusion before it
    failed with a raw FOREIGN KEY error."""
    import pytest

    from domain.errors import DomainError

    patient_id = _patient(engine)
    with UnitOfWork(engine, "Dana") as uow:
        override_id = services.document_gap_override(
            uow, patient_id=patient_id, measure_id="CMS125", period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 12, 31), kind="declined", reason_code="declined-after-discussion",
            reason="Declined screening today", applies_from=dt.date(2026, 1, 1), source="patient")
    assert override_id
    with UnitOfWork(engine, "Dana") as uow, pytest.raises(DomainError, match="CMS999"):
        services.document_gap_override(uow, patient_id=patient_id, measure_id="CMS999",
                                       period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31),
                                       kind="declined", reason_code="other", reason="Declined screening today",
                                       applies_from=dt.date(2026, 1, 1), source="patient")


def test_staff_saves_are_durable_and_bulk_steps_say_so():
    """A save the user was told succeeded survives a power cut: every connection commits with
    synchronous=FULL (the log synced); bulk writers lower it on their own connection only."""
    import tempfile

    from storage.db import open_database

    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"{folder}/d.db")
        try:
            with UnitOfWork(engine, "Dana") as uow:
                assert uow.session.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            with write_transaction(engine) as conn:
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        finally:
            engine.dispose()
