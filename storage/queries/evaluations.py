"""When gaps of a period were last evaluated, for the whole pod or for some patients.

A patient in no measure's population has no gap row, exactly like a patient nobody has
evaluated yet; the chart tells the two apart with these rows: the whole pod's latest
evaluation of a period (``patient_id`` NULL) and those of some patients (after an import).
Only evaluations of every measure count (one measure recomputed says nothing of the others).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t

e = t.gap_evaluation
_BATCH = 500


def record_evaluation(engine: Engine, period_start: dt.date, period_end: dt.date,
                      patient_ids: Iterable[int] | None, at: dt.datetime) -> None:
    """Every measure of the period was evaluated at ``at`` for these patients (None: the whole pod)."""
    with engine.begin() as conn:
        if patient_ids is None:
            # the pod's evaluation supersedes every earlier one of the period
            conn.execute(e.delete().where(e.c.period_end == period_end, e.c.period_start == period_start))
            conn.execute(e.insert().values(period_start=period_start, period_end=period_end, patient_id=None,
                                           evaluated_at=at))
            return
        ids = sorted({int(p) for p in patient_ids})
        for start in range(0, len(ids), _BATCH):
            part = ids[start:start + _BATCH]
            conn.execute(e.delete().where(e.c.patient_id.in_(part), e.c.period_end == period_end,
                                          e.c.period_start == period_start))
            conn.execute(e.insert(), [{"period_start": period_start, "period_end": period_end,
                                       "patient_id": pid, "evaluated_at": at} for pid in part])


def last_evaluated(conn, patient_id: int, period_end: dt.date) -> dt.datetime | None:
    """When every measure of the period was last evaluated for this patient (with the pod or alone)."""
    return conn.scalar(sa.select(sa.func.max(e.c.evaluated_at)).where(
        e.c.period_end == period_end, sa.or_(e.c.patient_id.is_(None), e.c.patient_id == patient_id)))


def data_changed_at(conn, patient_id: int) -> dt.datetime | None:
    """The latest moment the patient's record or clinical facts were written."""
    p, f = t.patient, t.clinical_fact
    row = conn.execute(sa.select(p.c.created_at, p.c.updated_at).where(p.c.id == patient_id)).first()
    fact = conn.scalar(sa.select(sa.func.max(f.c.created_at)).where(f.c.patient_id == patient_id))
    moments = [m for m in (*(row or ()), fact) if m is not None]
    moments = [dt.datetime.fromisoformat(m) if isinstance(m, str) else m for m in moments]
    return max(moments) if moments else None


def evaluated_periods(conn, patient_id: int) -> set[tuple[dt.date, dt.date]]:
    """The periods evaluated for the whole pod or for this patient (a period can have been
    evaluated and hold no gap of the patient, or none at all)."""
    rows = conn.execute(sa.select(e.c.period_start, e.c.period_end).where(
        sa.or_(e.c.patient_id.is_(None), e.c.patient_id == patient_id)).distinct())
    return {(start, end) for start, end in rows}
