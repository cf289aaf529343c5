"""What outreach about a patient can be about, and where a target's outreach stands."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.referral import FINAL, LABELS as REFERRAL_LABELS
from storage import schema as t


@dataclasses.dataclass(frozen=True)
class OutreachTarget:
    gap_id: int | None
    referral_id: int | None
    label: str  # 'Gap CMS125 · Breast Cancer Screening (due 12/31/2026)', 'Referral to Cardiology (Sent)'


def outreach_targets(engine: Engine, patient_id: int) -> list[OutreachTarget]:
    """The patient's open gaps of each measure's newest period, then their open referrals."""
    g, m, r = t.gap, t.measure, t.referral
    with engine.connect() as conn:
        newest = (sa.select(g.c.measure_id, sa.func.max(g.c.period_end).label("period_end"))
                  .where(g.c.patient_id == patient_id).group_by(g.c.measure_id).subquery())
        gaps = conn.execute(
            sa.select(g.c.id, g.c.measure_id, g.c.group_index, g.c.due_date, m.c.title)
            .select_from(g.join(newest, sa.and_(newest.c.measure_id == g.c.measure_id,
                                                newest.c.period_end == g.c.period_end))
                         .join(m, m.c.id == g.c.measure_id))
            .where(g.c.patient_id == patient_id, g.c.state == "open")
            .order_by(g.c.measure_id, g.c.group_index)).all()
        referrals = conn.execute(
            sa.select(r.c.id, r.c.specialty, r.c.state, r.c.ordered_at)
            .where(r.c.patient_id == patient_id, r.c.state.not_in(sorted(FINAL)), r.c.entered_in_error.is_(False))
            .order_by(r.c.ordered_at.desc())).all()
    targets = []
    for x in gaps:
        group = f" · {x.group_index + 1}" if x.group_index else ""
        due = f" (due {x.due_date:%m/%d/%Y})" if x.due_date else ""
        targets.append(OutreachTarget(x.id, None, f"Gap {x.measure_id}{group} · {x.title}{due}"))
    for x in referrals:
        targets.append(OutreachTarget(None, x.id, f"Referral to {x.specialty} ({REFERRAL_LABELS.get(x.state, x.state)},"
                                                  f" ordered {x.ordered_at:%m/%d/%Y})"))
    return targets


def gap_patient(conn: Connection, gap_id: int) -> int | None:
    return conn.scalar(sa.select(t.gap.c.patient_id).where(t.gap.c.id == gap_id))


def plan_status(conn: Connection, target: str) -> str | None:
    return conn.scalar(sa.select(t.outreach_plan.c.status).where(t.outreach_plan.c.target == target))
