"""Every command that views, changes, prints or exports what a pod holds (``main.ACTING``) acts
as a staff member named with ``--as``: without it the command says so in the same sentence,
exits 2 and writes nothing (no audit event, no file); with it the audit trail carries the
pod's spelling of the name, never the computer's login name."""
from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

import main
from storage import schema as t
from storage.db import open_database
from tests.conftest import add_staff_member

SENTENCE = "with --as NAME (one of the pod's active staff); the audit trail records the name"


@pytest.fixture(scope="module")
def made_pod(tmp_path_factory):
    """Four practices, their patients and 2025's gaps; Dana Reyes on the staff; and a backup of it."""
    from tests.ui.test_gaps_data import build_pod

    folder = tmp_path_factory.mktemp("acting")
    path = folder / "pod.db"
    engine = open_database(path)
    build_pod(engine)
    add_staff_member(engine, "Dana Reyes")
    engine.dispose()
    assert main.main(["backup", "--db", str(path), "--out", str(folder / "backup.db"), "--as", "Dana Reyes"]) == 0
    return folder


@pytest.fixture
def pod(made_pod, tmp_path):
    """A fresh copy of the pod (pod.db) and its backup (backup.db), and an ``out`` folder. Both
    are copies of the backup: one file, whole (the pod's own file may have its newest pages in
    a write-ahead log this process still holds)."""
    for name in ("pod.db", "backup.db"):
        shutil.copy(made_pod / "backup.db", tmp_path / name)
    (tmp_path / "out").mkdir()
    return tmp_path


def _command(name: str, folder) -> list[str]:
    db, out = str(folder / "pod.db"), folder / "out"
    return {
        "import": ["import", "--db", db, "--practice", "ALD", str(folder / "bundle.json")],
        "report": ["report", "--db", db, "--practice", "ALD", "--period", "2025-06", "--out", str(out)],
        "med-list": ["med-list", "--db", db, "--patient", "1", "--out", str(out / "list.pdf")],
        "handoff": ["handoff", "--db", db, "--practice", "ALD", "--date", "2025-06-02", "--out",
                    str(out / "sheet.pdf")],
        "backup": ["backup", "--db", db, "--out", str(out / "copy.db")],
        "restore": ["restore", "--db", db, "--from", str(folder / "backup.db"), "--yes"],
        "compact": ["compact", "--db", db],
        "evaluate-measure": ["evaluate-measure", "--db", db, "--measure", "CMS125", "--period-start",
                             "2025-01-01", "--period-end", "2025-12-31", "--report-type", "summary"],
    }[name]


def _bundle(folder) -> None:
    (folder / "bundle.json").write_text(
        '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", '
        '"id": "p1", "birthDate": "1961-04-12", "gender": "female", "name": [{"family": "Rivera"}]}}]}')


def _audit(db) -> list[tuple]:
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.action,
                                                             t.audit_event.c.record_type).order_by(t.audit_event.c.id))]
    finally:
        engine.dispose()


def test_every_acting_command_is_covered_here():
    assert main.ACTING == {"import", "report", "med-list", "handoff", "backup", "restore", "compact",
                           "evaluate-measure"}


@pytest.mark.parametrize("name", sorted(main.ACTING))
def test_without_as_the_command_says_so_and_writes_nothing(pod, name, capsys):
    _bundle(pod)
    before = {p.name: p.read_bytes() for p in pod.rglob("*") if p.is_file()}
    assert main.main(_command(name, pod)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert SENTENCE in captured.err and captured.err.count("\n") == 1, captured.err
    assert captured.err.split(": ", 1)[1].startswith("say who is ")
    after = {p.name: p.read_bytes() for p in pod.rglob("*") if p.is_file()}
    assert after == before  # no database touched, no file made (no -wal, no PDF, no copy)


@pytest.mark.parametrize("name, action, record_type", [
    ("import", "import", "ImportRun"),
    ("report", "export", "Practice"),
    ("med-list", "print", "Patient"),
    ("handoff", "print", "Practice"),
    ("backup", "export", "Database"),
    ("restore", "change", "Database"),
    ("compact", "change", "Database"),
    ("evaluate-measure", "export", "MeasureReport"),
])
def test_with_as_the_audit_trail_names_the_staff_member_as_the_pod_spells_it(pod, name, action, record_type,
                                                                              capsys):
    _bundle(pod)
    before = len(_audit(pod / "pod.db"))
    assert main.main([*_command(name, pod), "--as", "  dana   REYES "]) == 0, capsys.readouterr().err
    events = _audit(pod / "pod.db")[before if name != "restore" else 0:]
    if name == "restore":  # the backup's trail, now the database's, ends with the restore
        events = events[-1:]
    assert (action, record_type) in {(a, r) for _actor, a, r in events}, events
    assert {actor for actor, _a, _r in events} == {"Dana Reyes"}


def test_restore_names_someone_on_the_backups_staff(pod, capsys):
    """The backup becomes the database and records the restore: the name is looked up in it
    (read only) once it is checked, and the database it would replace is left as it was."""
    before = (pod / "pod.db").read_bytes()
    assert main.main([*_command("restore", pod), "--as", "Sam Ortiz"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restore: in the backup backup.db, 'Sam Ortiz' is not an active staff member of this pod; "
                          "the active staff are: Dana Reyes. Nothing was changed."), err
    assert (pod / "pod.db").read_bytes() == before
    assert sorted(p.name for p in pod.iterdir()) == ["backup.db", "out", "pod.db"]


def test_evaluating_bundles_without_a_pod_needs_no_one(tmp_path, capsys):
    """--additional-data: no pod, no staff list, nothing recorded."""
    from tests.conftest import SHARED

    case = SHARED / "ecqm" / "CMS125" / "cases"
    assert main.main(["evaluate-measure", "--measure", "CMS125", "--period-start", "2025-01-01",
                      "--period-end", "2025-12-31", "--report-type", "summary", "--additional-data", str(case)]) == 0
    assert '"resourceType": "MeasureReport"' in capsys.readouterr().out
