"""A full disk, a read-only database, a file that is not a database or is damaged, a killed
recompute worker: each told in one sentence naming the file and the reason, with a documented
exit status, and nothing changed. No traceback reaches the user."""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.reliability.conftest import damage

FULL = ("the disk is full", "the disk could not be read or written")



def _copy(demo, tmp_path, name="pod.db"):
    path = tmp_path / name
    shutil.copy(demo, path)
    return path


def _carepod(*args, limit_bytes: int | None = None, timeout=300, env=None):
    def small_disk():  # files may not grow past the limit: what a full disk does to SQLite
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, preexec_fn=small_disk if limit_bytes else None, env=env)


def _state(path) -> tuple:
    """What a command must leave unchanged: every row but the import log's."""
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT IN ('import_run', 'import_problem') ORDER BY name")]
        return tuple((t, hash(tuple(sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))))))
                     for t in tables if not t.startswith("sqlite_"))
    finally:
        con.close()


def _one_sentence(out, *reasons):
    assert "Traceback" not in out.stderr + out.stdout
    assert any(reason in out.stderr for reason in reasons), out.stderr


def _ndjson(tmp_path, patients=20_000):
    path = tmp_path / "Patient.ndjson"
    with path.open("w") as handle:
        for n in range(patients):
            handle.write(json.dumps({"resourceType": "Patient", "id": f"big{n}", "birthDate": "1961-04-12",
                                     "name": [{"family": f"Family{n}", "given": ["Ana"]}]}) + "\n")
    return path


def test_a_full_disk_during_an_import(demo, tmp_path):
    path = _copy(demo, tmp_path)
    before = _state(path)
    code = sqlite3.connect(path).execute("SELECT code FROM practice LIMIT 1").fetchone()[0]
    out = _carepod("import", "--db", path, "--as", "Dana Reyes", "--practice", code, _ndjson(tmp_path),
                   limit_bytes=os.path.getsize(path))
    assert out.returncode == 3, out.stderr + out.stdout
    _one_sentence(out, *FULL)
    assert str(path) in out.stderr and "Nothing was changed" in out.stderr
    assert _state(path) == before


def test_a_full_disk_during_a_recompute(demo, tmp_path):
    path = _copy(demo, tmp_path)
    before = _state(path)
    out = _carepod("recompute", "--db", path, "--period-start", "2026-01-01", "--period-end", "2026-12-31",
                   limit_bytes=64 * 1024)  # the write-ahead log cannot grow past 64 KB
    assert out.returncode == 3, out.stderr + out.stdout
    _one_sentence(out, *FULL)
    assert "cannot rollback" not in out.stderr
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    assert _state(path) == before or "stay written" in out.stderr


def test_a_full_disk_during_a_demo(tmp_path):
    target = tmp_path / "new.db"
    out = _carepod("demo", "--db", target, "--practices", "2", "--patients", "300", "--quiet",
                   limit_bytes=256 * 1024)
    assert out.returncode == 3, out.stderr + out.stdout
    _one_sentence(out, *FULL)
    assert str(target) in out.stderr
    assert not target.exists()  # nothing half-made is left


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("shopping list")
    for command in (["import", "--db", path, "--history"], ["import", "--db", path, "--as", "Dana Reyes", str(tmp_path)],
                    ["recompute", "--db", path], ["check", "--db", path], ["audit", "--verify", "--db", path]):
        out = _carepod(*command)
        assert out.returncode == 2, (command, out.stderr)
        _one_sentence(out, f"{path} is not a Carepod database (it is not an SQLite file)")
    assert path.read_text() == "shopping list"


def test_another_applications_database_is_never_changed(tmp_path):
    path = tmp_path / "music.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    bundle = tmp_path / "b.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    for command in (["import", "--db", path, "--as", "Dana Reyes", bundle], ["import", "--db", path, "--history"],
                    ["import", "--db", path, "--show-run", "1"], ["recompute", "--db", path],
                    ["evaluate-measure", "--db", path, "--measure", "CMS125", "--period-start", "2026-01-01",
                     "--period-end", "2026-12-31", "--as", "Dana Reyes"], ["check", "--db", path],
                    ["audit", "--verify", "--db", path],
                    ["backup", "--db", path, "--out", tmp_path / "copy.db", "--as", "Dana Reyes"]):
        out = _carepod(*command)
        assert out.returncode == 2, (command, out.stderr)
        _one_sentence(out, "is an SQLite database but not a Carepod one")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "music.sqlite"]  # no -wal, -shm, copy


def test_commands_that_only_read_never_create_a_database(tmp_path):
    missing = tmp_path / "missing.db"
    for command in (["import", "--db", missing, "--history"], ["import", "--db", missing, "--show-run", "1"],
                    ["check", "--db", missing], ["audit", "--verify", "--db", missing], ["recompute", "--db", missing],
                    ["evaluate-measure", "--db", missing, "--measure", "CMS125", "--period-start", "2026-01-01",
                     "--period-end", "2026-12-31", "--as", "Dana Reyes"],
                    ["backup", "--db", missing, "--out", tmp_path / "copy.db", "--as", "Dana Reyes"]):
        out = _carepod(*command)
        assert out.returncode == 2, (command, out.stderr)
        _one_sentence(out, "does not exist")
    assert list(tmp_path.iterdir()) == []



def test_a_damaged_database_is_noticed_read_and_never_written(demo, tmp_path):
    path = _copy(demo, tmp_path)
    damage(path)
    before = path.read_bytes()
    bundle = tmp_path / "b.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    for command in (["import", "--db", path, "--as", "Dana Reyes", bundle], ["recompute", "--db", path],
                    ["evaluate-measure", "--db", path, "--measure", "CMS125", "--period-start", "2026-01-01",
                     "--period-end", "2026-12-31", "--as", "Dana Reyes"]):
        out = _carepod(*command)
        assert out.returncode == 3, (command, out.stdout, out.stderr)
        _one_sentence(out, f"{path} is damaged (SQLite's check found:")
    out = _carepod("check", "--db", path)
    assert out.returncode == 1 and f"{path} is damaged" in out.stdout, out.stderr
    out = _carepod("import", "--db", path, "--history")  # reading stays possible
    assert out.returncode == 0, out.stderr
    assert path.read_bytes() == before


def test_a_damaged_database_refuses_staff_writes_but_reads(demo, tmp_path):
    from application.pod import open_pod
    from domain.errors import DomainError  # noqa: F401 - what a screen shows is a sentence

    path = _copy(demo, tmp_path)
    damage(path)
    pod = open_pod(path, "Dana Reyes")
    try:
        assert pod.damaged and any("is damaged" in message for message in pod.findings)
        with pod.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM practice").scalar() == 2
        with pytest.raises(Exception, match="readonly"), pod.unit_of_work() as uow:
            uow.audit.record("view", "Patient", 1, 1, "chart opened")
            uow.commit()
    finally:
        pod.close()


def test_a_killed_recompute_worker_is_one_sentence(demo, tmp_path):
    path = _copy(demo, tmp_path)
    env = {**os.environ, "CAREPOD_RECOMPUTE_WORKERS": "2"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "recompute", "--db", str(path),
                             "--period-start", "2026-01-01", "--period-end", "2026-12-31"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    victim, deadline = None, time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and proc.poll() is None:
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        workers = [c for c in children
                   if "spawn_main" in open(f"/proc/{c}/cmdline", "rb").read().decode(errors="replace")]
        if workers:
            # at once: on a quiet machine this small pod's recompute ends within half a second
            victim = int(workers[0])
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=300)
    assert victim is not None, "no worker process to kill"
    assert proc.returncode == 1, err
    assert "Traceback" not in err + out
    assert "The recompute stopped: a recompute worker process was killed" in err
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


@pytest.fixture
def read_only_folder(demo, tmp_path):
    """A folder (and the pod in it) that cannot be written: a read-only mount when the tests
    run as root (root writes through permissions), else permissions."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)]).returncode != 0:
            pytest.skip("cannot mount a read-only folder here")
        shutil.copy(demo, folder / "pod.db")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        try:
            yield folder / "pod.db"
        finally:
            if subprocess.run(["umount", str(folder)]).returncode != 0:
                subprocess.run(["umount", "-l", str(folder)])
    else:
        shutil.copy(demo, folder / "pod.db")
        os.chmod(folder / "pod.db", 0o400)
        os.chmod(folder, 0o500)
        yield folder / "pod.db"
        os.chmod(folder, 0o700)


def test_a_read_only_database_or_folder(read_only_folder, tmp_path):
    path = read_only_folder
    con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    code = con.execute("SELECT code FROM practice LIMIT 1").fetchone()[0]
    con.close()
    bundle = tmp_path / "b.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": '
                      '"Patient", "id": "p", "birthDate": "1961-04-12", "name": [{"family": "Rivera"}]}}]}')
    for command in (["import", "--db", path, "--as", "Dana Reyes", "--practice", code, bundle],
                    ["recompute", "--db", path],
                    ["demo", "--db", path.parent / "new.db", "--patients", "50", "--quiet"]):
        out = _carepod(*command)
        if command[0] == "demo":  # a new file in a read-only folder
            assert out.returncode in (2, 3), (command, out.stderr)
        else:  # the pod is there but cannot be written: the database could not be used, not a user error
            assert out.returncode == 3, (command, out.stderr)
        _one_sentence(out, "read-only", "cannot be opened", "cannot be written", "cannot be read or written")
        assert str(path.parent) in out.stderr


def test_another_applications_wal_database_gets_no_files_beside_it(tmp_path):
    path = tmp_path / "notes.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    con.commit()
    con.close()
    before = path.read_bytes()
    out = _carepod("import", "--db", path, "--history")
    assert out.returncode == 2 and "not a Carepod one" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"] and path.read_bytes() == before
