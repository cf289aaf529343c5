"""Reading the import log (import_run, import_problem) and the choices an import screen offers."""
from __future__ import annotations

import sqlalchemy as sa

from storage import schema as t


def practice_choices(engine) -> list[tuple[str, str]]:
    """(code, name) of the active practices, by name."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.practice.c.code, t.practice.c.name).where(t.practice.c.active.is_(True))
            .order_by(t.practice.c.name))]


def recent_runs(engine, limit: int = 50) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            sa.select(t.import_run).order_by(t.import_run.c.id.desc()).limit(limit)).mappings()]


def run_problems(engine, run_id: int) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            sa.select(t.import_problem).where(t.import_problem.c.import_run_id == run_id)
            .order_by(t.import_problem.c.id)).mappings()]
