"""Reading a patient's risk tier: the components of the last recompute, and the tier set by hand."""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t


@dataclasses.dataclass(frozen=True)
class RiskRow:
    tier: str
    score: int
    score_before: int
    chronic_groups: str
    ed_visits: int
    admissions: int
    discharged_at: dt.datetime | None
    admitted_at: dt.datetime | None
    as_of: dt.date
    high_cut: int | None
    discharged_raw: str = ""  # the source's own date-time of those two, for the practice's calendar day
    admitted_raw: str = ""


@dataclasses.dataclass(frozen=True)
class RevisionRow:
    changed_at: dt.datetime
    changed_by: str
    reason: str
    old_values: dict
    new_values: dict


def risk_row(engine: Engine, patient_id: int) -> RiskRow | None:
    s, r, f = t.risk_score, t.risk_run, t.clinical_fact

    def raw(column, instant) -> sa.ScalarSelect:
        return (sa.select(column).where(f.c.patient_id == patient_id, f.c.kind == "encounter",
                                        instant == (f.c.end_at if column is f.c.end_raw else f.c.start_at))
                .limit(1).scalar_subquery())

    with engine.connect() as conn:
        row = conn.execute(
            sa.select(s.c.tier, s.c.score, s.c.score_before, s.c.chronic_groups, s.c.ed_visits, s.c.admissions,
                      s.c.discharged_at, s.c.admitted_at, r.c.as_of, r.c.high_cut,
                      sa.func.coalesce(raw(f.c.end_raw, s.c.discharged_at), ""),
                      sa.func.coalesce(raw(f.c.start_raw, s.c.admitted_at), ""))
            .select_from(s.join(r, r.c.id == s.c.run_id)).where(s.c.patient_id == patient_id)).first()
    return None if row is None else RiskRow(*row)


def override_history(engine: Engine, patient_id: int) -> list[RevisionRow]:
    """The changes of the tier set by hand, newest first (kept in record_revision)."""
    rv = t.record_revision
    with engine.connect() as conn:
        rows = conn.execute(sa.select(rv.c.changed_at, rv.c.changed_by, rv.c.reason, rv.c.old_values, rv.c.new_values)
                            .where(rv.c.record_type == "Patient", rv.c.record_id == patient_id)
                            .order_by(rv.c.changed_at.desc(), rv.c.id.desc())).all()
    return [RevisionRow(*row) for row in rows if "risk_override" in (row.new_values or {})]


def latest_run(engine: Engine):
    """The last recompute of the tiers (any scope), or None."""
    r = t.risk_run
    with engine.connect() as conn:
        return conn.execute(sa.select(r).order_by(r.c.id.desc()).limit(1)).mappings().first()
