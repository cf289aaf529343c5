"""Two imports of one database: the second waits its turn or is refused, and is always logged;
a killed import shows as interrupted."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from storage import file_locks
from storage.importers import turn
from storage.importers.history import recent_runs
from tests.conftest import ROOT, add_staff_member


def _bundle(path, pid="p1"):
    patient = {"resourceType": "Patient", "id": pid, "name": [{"family": "Rivera", "given": ["Ana"]}],
               "birthDate": "1961-04-12"}
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}))
    return path


def _import(db, *args, **kwargs):
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "import", "--db", str(db), "--as", "Dana Reyes",
                             *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, **kwargs)


def _add_practice(engine):
    """Practice OAK, and Dana Reyes of the pod's staff, who imports."""
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (code, name) VALUES ('OAK', 'Oak')"))
    add_staff_member(engine, "Dana Reyes")


def test_a_second_import_is_refused_clearly_and_logged(engine, db_path, tmp_path):
    _add_practice(engine)
    other = file_locks.try_exclusive(turn.lock_file(engine))  # another import is running
    try:
        proc = _import(db_path, "--practice", "OAK", "--no-wait", str(_bundle(tmp_path / "a.json")))
        out, err = proc.communicate(timeout=120)
    finally:
        other.release()
    assert proc.returncode == 3, err
    assert "Traceback" not in err
    assert "not started: another import of this database is running" in out
    run = recent_runs(engine)[0]
    assert run.status == "refused" and run.total("created") == 0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 0


def test_a_second_import_waits_for_the_first_and_says_so(engine, db_path, tmp_path):
    _add_practice(engine)
    other = file_locks.try_exclusive(turn.lock_file(engine))
    proc = _import(db_path, "--practice", "OAK", str(_bundle(tmp_path / "a.json")))
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and recent_runs(engine)[:1] == []:
            time.sleep(0.1)
        time.sleep(0.5)
        assert recent_runs(engine)[0].status == "waiting"
    finally:
        other.release()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Waiting for another import of this database to finish" in err
    assert recent_runs(engine)[0].status == "ok"


def test_a_killed_import_shows_as_interrupted(engine, db_path, tmp_path):
    _add_practice(engine)
    lines = tmp_path / "Patient.ndjson"
    with lines.open("w") as handle:
        for n in range(60_000):
            handle.write(json.dumps({"resourceType": "Patient", "id": f"p{n}", "birthDate": "1961-04-12",
                                     "name": [{"family": f"Family{n}", "given": ["Ana"]}]}) + "\n")
    proc = _import(db_path, "--practice", "OAK", str(lines))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (recent_runs(engine) and turn.importing_now(engine)):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    killed = recent_runs(engine)[0]
    assert killed.status == "interrupted"  # as the log shows it: nobody holds the import's lock
    proc = _import(db_path, "--practice", "OAK", str(_bundle(tmp_path / "b.json", pid="other")))
    proc.communicate(timeout=120)
    with engine.connect() as conn:  # the next import marked it so for good
        assert conn.execute(sa.text("SELECT status FROM import_run WHERE id = :i"), {"i": killed.id}).scalar() == \
            "interrupted"
