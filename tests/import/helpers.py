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
