"""backup: a checked copy taken while others write; restore: after confirmation, the current
database kept aside, a damaged backup refused with nothing changed."""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.reliability.conftest import damage

AS = ("--as", "Dana Reyes")  # one of the demo pod's active staff (tests/reliability/conftest.py)

def _carepod(*args, stdin: str = ""):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def _patients(path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM patient").fetchone()[0]
    finally:
        con.close()


def test_backup_while_a_recompute_writes_is_whole_and_private(demo, tmp_path):
    db = tmp_path / "pod.db"
    shutil.copy(demo, db)
    recompute = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "recompute", "--db", str(db)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        out = _carepod("backup", "--db", db, "--out", tmp_path / "copy.db", *AS)
    finally:
        recompute.communicate(timeout=300)
    assert out.returncode == 0, out.stderr
    assert "checked whole" in out.stdout and "Traceback" not in out.stderr
    copy = tmp_path / "copy.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert not (tmp_path / "copy.db.part").exists()
    con = sqlite3.connect(copy)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file, no log beside it
    con.close()
    assert _patients(copy) == _patients(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT actor, action, record_type FROM audit_event ORDER BY id DESC LIMIT 1").fetchone() == \
        ("Dana Reyes", "export", "Database")
    con.close()



def test_a_damaged_database_is_not_backed_up(demo, tmp_path):
    db = tmp_path / "pod.db"
    shutil.copy(demo, db)
    damage(db)
    out = _carepod("backup", "--db", db, "--out", tmp_path / "copy.db", *AS)
    assert out.returncode == 3 and "is damaged" in out.stderr, out.stderr
    assert not (tmp_path / "copy.db").exists() and not (tmp_path / "copy.db.part").exists()


def test_restore_keeps_the_current_database_aside(demo, tmp_path):
    db, backup = tmp_path / "pod.db", tmp_path / "backup.db"
    shutil.copy(demo, db)
    assert _carepod("backup", "--db", db, "--out", backup, *AS).returncode == 0
    con = sqlite3.connect(db)
    con.execute("UPDATE patient SET family = 'Changed' WHERE id = 1")
    con.commit()
    con.close()
    backup_bytes = backup.read_bytes()
    out = _carepod("restore", "--db", db, "--from", backup, "--as", "dana REYES", stdin="yes\n")
    assert out.returncode == 0, out.stderr
    assert backup.read_bytes() == backup_bytes  # the name was checked in it read-only
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("backup.db-")]  # no -wal, -shm left
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("pod.db.before-restore-")]
    assert len(kept) == 1 and f"kept as {kept[0]}" in out.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT family FROM patient WHERE id = 1").fetchone()[0] != "Changed"
    actor, detail = con.execute("SELECT actor, detail FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    assert actor == "Dana Reyes" and "restored from backup backup.db" in detail  # the backup's spelling
    con.close()
    con = sqlite3.connect(kept[0])
    assert con.execute("SELECT family FROM patient WHERE id = 1").fetchone()[0] == "Changed"
    con.close()
    assert _carepod("audit", "--verify", "--db", db).returncode == 0


def test_restore_asks_first_and_refuses_a_damaged_backup(demo, tmp_path):
    db, backup = tmp_path / "pod.db", tmp_path / "backup.db"
    shutil.copy(demo, db)
    assert _carepod("backup", "--db", db, "--out", backup, *AS).returncode == 0
    before = db.read_bytes()
    out = _carepod("restore", "--db", db, "--from", backup, *AS, stdin="no\n")
    assert out.returncode == 1 and "nothing was changed" in out.stderr
    damage(backup)
    out = _carepod("restore", "--db", db, "--from", backup, "--yes", *AS)
    assert out.returncode == 3 and f"The backup {backup} is damaged" in out.stderr, out.stderr
    notes = tmp_path / "notes.db"
    notes.write_text("not a database")
    out = _carepod("restore", "--db", db, "--from", notes, "--yes", *AS)
    assert out.returncode == 2 and "is not a Carepod database" in out.stderr
    assert db.read_bytes() == before
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-turns", "-wal", "-shm")))
    assert files == ["backup.db", "notes.db", "pod.db"]


def test_restore_waits_for_nobody_else_to_have_the_database(demo, tmp_path):
    from storage.db import open_database

    db, backup = tmp_path / "pod.db", tmp_path / "backup.db"
    shutil.copy(demo, db)
    assert _carepod("backup", "--db", db, "--out", backup, *AS).returncode == 0
    engine = open_database(db)  # the app is open on it
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT count(*) FROM patient")).scalar()
            out = _carepod("restore", "--db", db, "--from", backup, "--yes", *AS)
        assert out.returncode == 3 and "is open in another Carepod window or command" in out.stderr
        assert not [p for p in tmp_path.iterdir() if "before-restore" in p.name]
    finally:
        engine.dispose()
    assert _carepod("restore", "--db", db, "--from", backup, "--yes", *AS).returncode == 0


def test_backup_through_the_application_layer(demo, tmp_path):
    from application.backups import backup_pod, suggested_backup_name
    from application.pod import open_pod

    db = tmp_path / "pod.db"
    shutil.copy(demo, db)
    pod = open_pod(db, "Dana Reyes")
    steps = []
    try:
        name = suggested_backup_name(pod)
        assert name.startswith("pod-") and name.endswith(".db")
        made = backup_pod(pod, tmp_path / name, steps.append)
    finally:
        pod.close()
    assert made.path.exists() and steps[-1] == "Checking the copy…"
