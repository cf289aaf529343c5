"""The command line's ``--as NAME`` and the default database (issues 23.9 and 23.10): the same
staff list as the window, an unknown name an error naming it (exit 2), the person recorded the
same way; a command that reads never creates a database."""
from __future__ import annotations

import json

import sqlalchemy as sa

import main
from storage import schema as t
from storage.db import default_db_path, open_database


def _bundle(path, pid="p1"):
    patient = {"resourceType": "Patient", "id": pid, "name": [{"family": "Rivera", "given": ["Ana"]}],
               "birthDate": "1961-04-12", "gender": "female"}
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}]}))
    return path


def _pod_with_staff(db_path):
    engine = open_database(db_path)
    with engine.begin() as conn:
        conn.execute(sa.insert(t.practice).values(code="OAK", name="Oak"))
        conn.execute(sa.insert(t.staff_member).values(name="Dana Reyes", roles="care_manager"))
        conn.execute(sa.insert(t.staff_member).values(name="Lee Park", roles="nurse", active=False))
    engine.dispose()


def test_import_records_the_staff_member_named_with_as(db_path, tmp_path, capsys):
    _pod_with_staff(db_path)
    files = [str(_bundle(tmp_path / "a.json"))]
    assert main.main(["import", "--db", str(db_path), "--practice", "OAK", *files]) == 2
    assert "say who is importing with --as NAME" in capsys.readouterr().err
    assert main.main(["import", "--db", str(db_path), "--as", "Dana Reye", *files]) == 2
    assert ("'Dana Reye' is not an active staff member of this pod; the active staff are: Dana Reyes."
            in capsys.readouterr().err)
    assert main.main(["--as", "Lee Park", "import", "--db", str(db_path), *files]) == 2  # inactive
    assert main.main(["--as", "dana  reyes", "import", "--db", str(db_path), "--practice", "OAK", *files]) == 0
    engine = open_database(db_path)
    with engine.connect() as conn:
        runs = list(conn.scalars(sa.select(t.import_run.c.actor)))
        audit = set(conn.scalars(sa.select(t.audit_event.c.actor)))
    engine.dispose()
    assert runs == ["Dana Reyes"] and audit == {"Dana Reyes"}  # spelt as the pod (and the window) spell it


def test_a_reading_command_never_creates_a_database(tmp_path, capsys):
    missing = tmp_path / "nothing-here.db"
    assert main.main(["import", "--db", str(missing), "--history"]) == 2
    assert f"{missing} does not exist: there is no Carepod database there yet" in capsys.readouterr().err
    assert main.main(["staff", "--db", str(missing)]) == 2
    assert main.main(["--as", "Dana", "recompute", "--db", str(missing)]) == 2
    assert not missing.exists()
    assert main.main(["import", "--history"]) == 2  # the default database, not there yet
    assert not default_db_path().exists()


def test_the_first_staff_member_can_be_added_from_the_command_line(db_path, capsys):
    open_database(db_path).dispose()
    assert main.main(["staff", "--db", str(db_path)]) == 0
    assert "No staff yet" in capsys.readouterr().out
    assert main.main(["staff", "--db", str(db_path), "--add", "Dana Reyes", "--roles", "care_manager,administrator"]) == 0
    assert main.main(["staff", "--db", str(db_path), "--add", "Sam Ortiz", "--roles", "pharmacist"]) == 2
    assert "say who is adding the staff member with --as NAME" in capsys.readouterr().err
    assert main.main(["staff", "--db", str(db_path), "--as", "Dana Reyes", "--add", "Sam Ortiz",
                      "--roles", "pharmacist", "--practices", "NOPE"]) == 2
    assert "No practice with code NOPE" in capsys.readouterr().err
    assert main.main(["staff", "--db", str(db_path), "--as", "Dana Reyes", "--add", "Sam Ortiz",
                      "--roles", "pharmacist"]) == 0
    capsys.readouterr()
    assert main.main(["staff", "--db", str(db_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["Dana Reyes\tcare_manager,administrator\t-\tactive",
                                                    "Sam Ortiz\tpharmacist\t-\tactive"]
    engine = open_database(db_path)
    with engine.connect() as conn:
        actors = [tuple(r) for r in conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.record_id)
                                                 .where(t.audit_event.c.action == "create"))]
    engine.dispose()
    assert actors == [("Dana Reyes", 1), ("Dana Reyes", 2)]


def test_the_window_refuses_an_unknown_as_with_exit_2(db_path, capsys):
    _pod_with_staff(db_path)
    assert main.main(["--db", str(db_path), "--as", "Nobody"]) == 2
    assert "'Nobody' is not an active staff member" in capsys.readouterr().err
