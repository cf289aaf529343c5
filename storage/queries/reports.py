"""What the printed reports read that no screen's query already gives."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t


def practice_by_code(engine: Engine, code: str) -> tuple[int, str, str] | None:
    """(id, code, name) of the practice with this code, active or not; None when the pod has none."""
    pr = t.practice
    with engine.connect() as conn:
        row = conn.execute(sa.select(pr.c.id, pr.c.code, pr.c.name).where(pr.c.code == code)).first()
    return tuple(row) if row else None
