"""The pod's staff, for choosing who is using the app."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t


def active_staff_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(t.staff_member.c.name)
                                 .where(t.staff_member.c.active.is_(True)).order_by(t.staff_member.c.name)))
