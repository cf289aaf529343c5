"""A process killed in the middle of a transaction leaves the last committed state."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa

from storage.db import open_database

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import datetime as dt, os, signal, sys
    sys.path.insert(0, {root!r})
    from storage.db import open_database
    from storage.uow import UnitOfWork
    from domain.practice import Practice
    from domain.patient import Patient
    engine = open_database({db!r})
    with UnitOfWork(engine, "Test") as uow:
        practice = uow.practices.add(Practice(code="OAK", name="Oak"))
        uow.patients.add(Patient(practice_id=practice.id, mrn="KEEP", family="Kept", given="A",
                                 birth_date=dt.date(1980, 1, 1)))
        uow.commit()
    with UnitOfWork(engine, "Test") as uow:
        for i in range(2000):
            uow.patients.add(Patient(practice_id=practice.id, mrn=f"LOST{{i}}", family="Lost", given="B",
                                     birth_date=dt.date(1980, 1, 1)))
        uow.session.flush()  # rows are in the database file's journal, not committed
        print("flushed", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
""")


def test_sigkill_mid_transaction_keeps_last_commit(tmp_path):
    db = tmp_path / "crash.db"
    proc = subprocess.run([sys.executable, "-c", WRITER.format(root=str(ROOT), db=str(db))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "flushed" in proc.stdout
    engine = open_database(db)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        mrns = conn.execute(sa.text("SELECT mrn FROM patient")).scalars().all()
        creates = conn.execute(sa.text(
            "SELECT count(*) FROM audit_event WHERE action='create' AND record_type='Patient'")).scalar()
    assert mrns == ["KEEP"]
    assert creates == 1
