"""compact: the free pages inside the file given back to the disk, every row kept, the change in the
audit trail; refused, with nothing changed, while another program writes or when the disk is short."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import ROOT

AS = ("--as", "Dana Reyes")  # one of the demo pod's active staff (tests/reliability/conftest.py)


def _carepod(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def _with_free_pages(demo, tmp_path):
    """A copy of the demo with about 4 MB of free pages inside its file (as a migration leaves)."""
    db = tmp_path / "pod.db"
    shutil.copy(demo, db)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE scratch (x BLOB)")
    con.executemany("INSERT INTO scratch VALUES (randomblob(4000))", [()] * 1000)
    con.commit()
    con.execute("DROP TABLE scratch")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return db


def _rows(db) -> dict[str, list]:
    con = sqlite3.connect(db)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' AND name NOT IN ('audit_event', 'audit_chain') ORDER BY name")]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
    finally:
        con.close()


def _free_pages(db) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA freelist_count").fetchone()[0]
    finally:
        con.close()


def test_compact_gives_the_free_pages_back_and_keeps_every_row(demo, tmp_path):
    db = _with_free_pages(demo, tmp_path)
    before_size, before_rows = db.stat().st_size, _rows(db)
    assert _free_pages(db) > 200
    out = _carepod("compact", "--db", db, *AS)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Compacted in ") and "MB before" in out.stdout and "Traceback" not in out.stderr
    assert _free_pages(db) == 0
    assert db.stat().st_size < before_size - 3_000_000
    assert _rows(db) == before_rows
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        actor, action, record_type, detail = con.execute(
            "SELECT actor, action, record_type, detail FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    assert (actor, action, record_type) == ("Dana Reyes", "change", "Database")
    assert detail.startswith("compacted from ") and " MB to " in detail


@pytest.mark.parametrize("busy", ["writing", "reading", "open"])
def test_compact_refuses_while_another_program_has_the_database(demo, tmp_path, busy):
    """Writing, in the middle of a read (the file could not shrink until it ends), or just open
    (a window): nothing is changed, and the message says to close it."""
    db = _with_free_pages(demo, tmp_path)
    free, size = _free_pages(db), db.stat().st_size
    other = sqlite3.connect(db, isolation_level=None)
    try:
        if busy == "writing":
            other.execute("BEGIN IMMEDIATE")
        elif busy == "reading":
            other.execute("BEGIN")
            other.execute("SELECT count(*) FROM patient").fetchone()
        else:
            other.execute("SELECT count(*) FROM patient").fetchone()
        out = _carepod("compact", "--db", db, *AS)
        if other.in_transaction:
            other.execute("ROLLBACK")
    finally:
        other.close()
    assert out.returncode == 3, out.stderr
    assert "is open in another Carepod window or command" in out.stderr and "Nothing was changed." in out.stderr
    assert "Traceback" not in out.stderr
    assert _free_pages(db) == free and db.stat().st_size == size


def test_compact_with_too_little_disk_says_how_much_it_needs(demo, tmp_path, monkeypatch):
    from application.compaction import CompactFailed, compact_pod
    from application.pod import open_pod
    from storage import compaction

    db = _with_free_pages(demo, tmp_path)
    free = _free_pages(db)
    monkeypatch.setattr(compaction, "_disk_free", lambda _folder: 1_000_000)
    pod = open_pod(db, "Dana Reyes", create=False)
    try:
        try:
            compact_pod(pod)
        except CompactFailed as exc:
            message = str(exc)
        else:
            raise AssertionError("compacting with 1 MB free went ahead")
    finally:
        pod.close()
    assert message.startswith("Compacting pod.db needs ") and "GB free in the database's folder" in message
    assert f"({tmp_path})" in message
    assert message.endswith("Nothing was changed.")
    assert _free_pages(db) == free
