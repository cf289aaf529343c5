"""Files with patient data are readable by the user only, whatever the umask."""
from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
import sqlalchemy as sa

from storage.db import default_db_path, open_database


@pytest.fixture(autouse=True)
def _lax_umask():
    """A common default: files 0644 and folders 0755 unless Carepod says otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_log_files(tmp_path):
    db = tmp_path / "pod.db"
    engine = open_database(db)
    with engine.begin() as conn:  # a write: the log files are there now
        conn.execute(sa.text("INSERT INTO practice (code, name) VALUES ('OAK', 'Oak')"))
        assert _mode(db) == 0o600
        assert _mode(f"{db}-wal") == 0o600
        assert _mode(f"{db}-shm") == 0o600
    engine.dispose()


def test_the_default_folder_is_made_private(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREPOD_HOME", str(tmp_path / "data" / "carepod"))
    path = default_db_path(create_folder=True)
    assert _mode(path.parent) == 0o700
    open_database(None).dispose()
    assert _mode(path) == 0o600


def test_an_existing_database_readable_by_others_is_narrowed(tmp_path):
    db = tmp_path / "old.db"
    open_database(db).dispose()
    os.chmod(db, 0o644)
    open_database(db).dispose()
    assert _mode(db) == 0o600


def test_a_csv_export_and_a_problem_list(engine, tmp_path):
    from domain import services
    from domain.practice import Practice
    from storage.importers.history import write_problems_csv
    from storage.importers.report import Problem
    from storage.queries.gaps import GapFilter, export_csv
    from storage.uow import UnitOfWork

    with UnitOfWork(engine, "Dana") as uow:
        practice = uow.practices.add(Practice(code="ELM", name="Elm"))
        uow.commit()
        services.register_patient(uow, practice_id=practice.id, mrn="E1", family="Vance", given="Iris",
                                  birth_date=dt.date(1948, 7, 4))
    out = tmp_path / "gaps.csv"
    export_csv(engine, "Dana", GapFilter(), out)
    assert _mode(out) == 0o600
    problems = tmp_path / "problems.csv"
    write_problems_csv(problems, [Problem("a.json", "entry 1", "Patient", "p1", "no name")])
    assert _mode(problems) == 0o600
