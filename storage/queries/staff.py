"""The pod's staff: who can be chosen as the person using Carepod, and the Staff page's rows."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.practice import UnknownStaffMember, unknown_staff_message
from storage import schema as t


@dataclasses.dataclass(frozen=True)
class StaffRow:
    id: int
    name: str
    roles: tuple[str, ...]
    email: str
    active: bool
    practice_ids: tuple[int, ...]
    practice_codes: tuple[str, ...]  # in the order of practice_ids, by code


def active_staff_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(t.staff_member.c.name)
                                 .where(t.staff_member.c.active.is_(True)).order_by(t.staff_member.c.name)))


def staff_rows(engine: Engine) -> list[StaffRow]:
    """Every staff member (active first, then by name) with the practices each covers."""
    s, sp, pr = t.staff_member, t.staff_practice, t.practice
    with engine.connect() as conn:
        members = list(conn.execute(sa.select(s).order_by(s.c.active.desc(), s.c.name)))
        covered: dict[int, list[tuple[str, int]]] = {}
        for staff_id, practice_id, code in conn.execute(
                sa.select(sp.c.staff_id, sp.c.practice_id, pr.c.code).join(pr, pr.c.id == sp.c.practice_id)):
            covered.setdefault(staff_id, []).append((code, practice_id))
    rows = []
    for m in members:
        practices = sorted(covered.get(m.id, []))
        rows.append(StaffRow(m.id, m.name, tuple(r for r in (m.roles or "").split(",") if r), m.email or "",
                             bool(m.active), tuple(pid for _c, pid in practices), tuple(c for c, _p in practices)))
    return rows


def acting_staff_name(engine: Engine, name: str | None) -> str:
    """The active staff member called ``name`` (any case, spaces trimmed), as the pod spells it:
    the one name every record and audit event carries. Raises :class:`UnknownStaffMember`."""
    wanted = " ".join((name or "").split()).casefold()
    names = active_staff_names(engine)
    found = next((n for n in names if n.casefold() == wanted), None)
    if found is None:
        raise UnknownStaffMember(unknown_staff_message(name or "", names))
    return found
