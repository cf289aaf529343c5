"""Where imported patients landed, and the holding place of those whose practice is not known.

The holding place (``practice.holding``) is not a practice: it is never a pod peer, never a
filter choice, and a person empties it by assigning each patient a practice.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t

_BATCH = 500


@dataclasses.dataclass(frozen=True)
class Landing:
    """How many of an import's patients are in one practice (or the holding place)."""

    practice_id: int
    code: str
    name: str
    holding: bool
    patients: int


@dataclasses.dataclass(frozen=True)
class HoldingPlace:
    practice_id: int
    name: str
    patients: int  # waiting for a practice (not entered in error)


def landing(engine: Engine, patient_ids: Iterable[int]) -> list[Landing]:
    """Per practice, how many of these patients are in it; the holding place last."""
    ids = sorted(set(patient_ids))
    counts: dict[int, int] = {}
    p, pr = t.patient, t.practice
    with engine.connect() as conn:
        for start in range(0, len(ids), _BATCH):
            for practice_id, n in conn.execute(sa.select(p.c.practice_id, sa.func.count())
                                               .where(p.c.id.in_(ids[start:start + _BATCH]))
                                               .group_by(p.c.practice_id)):
                counts[practice_id] = counts.get(practice_id, 0) + n
        practices = {r.id: r for r in conn.execute(
            sa.select(pr.c.id, pr.c.code, pr.c.name, pr.c.holding).where(pr.c.id.in_(list(counts))))}
    found = [Landing(pid, practices[pid].code, practices[pid].name, bool(practices[pid].holding), n)
             for pid, n in counts.items()]
    return sorted(found, key=lambda x: (x.holding, x.name))


def holding_place(engine: Engine) -> HoldingPlace | None:
    """The holding place and how many patients wait in it (None: there is none)."""
    p, pr = t.patient, t.practice
    with engine.connect() as conn:
        row = conn.execute(sa.select(pr.c.id, pr.c.name).where(pr.c.holding.is_(True)).order_by(pr.c.id)).first()
        if row is None:
            return None
        waiting = conn.scalar(sa.select(sa.func.count()).select_from(p).where(
            p.c.practice_id == row.id, p.c.entered_in_error.is_(False)))
    return HoldingPlace(row.id, row.name, waiting)


def waiting_patient_ids(engine: Engine, limit: int | None = None) -> list[int]:
    """The patients waiting in the holding place, by name."""
    p, pr = t.patient, t.practice
    query = (sa.select(p.c.id).join(pr, pr.c.id == p.c.practice_id)
             .where(pr.c.holding.is_(True), p.c.entered_in_error.is_(False)).order_by(p.c.family_key, p.c.given_key))
    with engine.connect() as conn:
        return list(conn.scalars(query.limit(limit) if limit else query))


def waiting_among(engine: Engine, patient_ids: Iterable[int]) -> list[int]:
    """Those of these patients who wait in the holding place."""
    ids = sorted(set(patient_ids))
    p, pr = t.patient, t.practice
    found: list[int] = []
    with engine.connect() as conn:
        holding = list(conn.scalars(sa.select(pr.c.id).where(pr.c.holding.is_(True))))
        if not holding:
            return []
        for start in range(0, len(ids), _BATCH):
            found += conn.scalars(sa.select(p.c.id).where(p.c.id.in_(ids[start:start + _BATCH]),
                                                          p.c.practice_id.in_(holding)))
    return sorted(found)


def candidate_duplicates_among(engine: Engine, patient_ids: Iterable[int]) -> int:
    """How many undecided duplicate candidates involve these patients (after an import)."""
    ids = sorted(set(patient_ids))
    link = t.patient_link
    found: set[int] = set()
    with engine.connect() as conn:
        for start in range(0, len(ids), _BATCH):
            part = ids[start:start + _BATCH]
            found |= set(conn.scalars(sa.select(link.c.id).where(
                link.c.status == "candidate", sa.or_(link.c.patient_a_id.in_(part), link.c.patient_b_id.in_(part)))))
    return len(found)
