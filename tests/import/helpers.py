"""Shared helpers of the import tests (imported by path: tests/import is not a package)."""
from __future__ import annotations

import sqlalchemy as sa

from storage import schema

# the import log is meant to grow with every run, even a rejected or no-op one
LOG_TABLES = {"import_run", "import_problem"}


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table except the import log, in a comparable form."""
    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table.name in LOG_TABLES:
                continue
            rows = conn.execute(sa.text(f"SELECT * FROM {table.name}")).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def add_practice(engine, code="OAK", name="Oak Family Practice", npi=""):
    from domain.practice import Practice
    from storage.uow import UnitOfWork

    with UnitOfWork(engine, "Test Admin") as uow:
        practice = uow.practices.add(Practice(code=code, name=name, npi=npi))
        uow.commit()
        return practice.id


def assert_same_import(one, other) -> None:
    """Two ways of importing the same files (each: table rows, first report, re-import
    report) stored the same rows and reported the same counts, problems and file outcomes."""
    (rows_a, report_a, again_a), (rows_b, report_b, again_b) = one, other
    assert set(rows_a) == set(rows_b)
    for table in rows_a:
        assert rows_b[table] == rows_a[table], f"table {table} differs"
    for a, b in ((report_a, report_b), (again_a, again_b)):
        assert a.plain_counts() == b.plain_counts()
        assert [p.as_text() for p in a.problems] == [p.as_text() for p in b.problems]
        assert (a.files_imported, a.files_rejected, a.files_unreadable) == \
            (b.files_imported, b.files_rejected, b.files_unreadable)
