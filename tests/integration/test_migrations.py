"""The migration chain: one straight line, empty → head matches the tables, previous → head works."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import PAGE_SIZE, create_engine, open_database
from storage.migrate import alembic_config, current_revision, head_revision, upgrade_to
from storage.schema import metadata


def test_chain_is_one_straight_line():
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert sum(1 for r in revisions if r.down_revision is None) == 1


def test_empty_to_head_matches_the_tables(db_path):
    engine = open_database(db_path)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_previous_revision_upgrades_to_head_keeping_rows(db_path):
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_revision(head_revision())
    previous = head.down_revision
    assert previous is not None, "a single revision has no previous one to upgrade from"
    engine = create_engine(db_path)
    upgrade_to(engine, previous)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (code, name) VALUES ('OAK', 'Oak Family Medicine')"))
    engine.dispose()

    engine = open_database(db_path)  # what the app does when it opens an older file
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM practice WHERE code='OAK'")).scalar() == "Oak Family Medicine"


def test_downgrade_to_base_and_back(db_path):
    engine = open_database(db_path)
    command.downgrade(alembic_config(engine), "base")
    assert current_revision(engine) is None
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys(db_path):
    engine = open_database(db_path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE
    engine.dispose()


def test_an_older_database_keeps_its_page_size(db_path):
    import sqlite3

    con = sqlite3.connect(db_path)  # made by an older Carepod (or anything else): 4 KB pages
    con.execute("PRAGMA page_size = 4096")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("CREATE TABLE kept (x)")
    con.execute("INSERT INTO kept VALUES (1)")
    con.commit()
    con.close()
    engine = create_engine(db_path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert conn.exec_driver_sql("SELECT x FROM kept").scalar() == 1
    engine.dispose()


def test_the_fast_start_check_names_the_real_head():
    from storage.migrate import HEAD

    assert HEAD == head_revision(), "update storage.migrate.HEAD when adding a migration"
