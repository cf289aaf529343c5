"""What the printed reports read that no screen's query already gives."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t
from domain.patient import status_note
from storage.queries.gaps import GapRow, _short_reasons


def practice_by_code(engine: Engine, code: str) -> tuple[int, str, str] | None:
    """(id, code, name) of the practice with this code, active or not; None when the pod has none."""
    pr = t.practice
    with engine.connect() as conn:
        row = conn.execute(sa.select(pr.c.id, pr.c.code, pr.c.name).where(pr.c.code == code)).first()
    return tuple(row) if row else None


def practice_open_gaps(engine: Engine, practice_id: int, period_end: dt.date, *,
                       cancel: Callable[[], bool] | None = None) -> list[GapRow]:
    """Every open gap of the practice's patients (not entered in error) in the period, by measure
    and group, patients in name order, with the same "why" the Gaps worklist shows.

    One read from the practice's patients (ix_patient_practice_name, then each patient's gaps by
    their unique index), instead of the worklist's pages of 2,000: a practice of 22,000 patients
    has 35,000 open gaps. Each "why" is made as the worklist makes it (its evidence an
    explanation can cite, a condition the measure did not count, a documented exclusion or
    refusal: storage.queries.gaps), once per distinct set of inputs; tests/reports check that
    every "why" equals the worklist's."""
    g, p, m = t.gap, t.patient, t.measure
    o = t.outreach_attempt
    last_outreach = (sa.select(sa.func.max(o.c.at)).where(o.c.patient_id == p.c.id, o.c.entered_in_error.is_(False))
                     .scalar_subquery())
    query = (sa.select(g.c.id, g.c.patient_id, p.c.family, p.c.given, p.c.birth_date, p.c.mrn, g.c.measure_id,
                       m.c.title, m.c.inverse, g.c.group_index, g.c.state, g.c.period_start, g.c.period_end,
                       g.c.due_date, last_outreach.label("last_outreach_at"), p.c.status, p.c.deceased_date)
             .select_from(p.join(g, g.c.patient_id == p.c.id).join(m, m.c.id == g.c.measure_id))
             .where(p.c.practice_id == practice_id, p.c.entered_in_error.is_(False), g.c.period_end == period_end,
                    g.c.state == "open")
             .order_by(p.c.family_key, p.c.given_key, p.c.id, g.c.measure_id, g.c.group_index))
    rows = []
    with engine.connect() as conn:
        for n, r in enumerate(conn.execute(query)):
            rows.append(r)
            if cancel and n % 5000 == 0 and cancel():
                return []
        reasons = _short_reasons(conn, rows)
    result = [GapRow(r.id, r.patient_id, f"{r.family}, {r.given}".strip(", "), r.birth_date, r.mrn, "",
                     r.measure_id, r.title, r.group_index, r.state, r.period_start, r.period_end,
                     r.due_date, r.last_outreach_at, reasons[r.id],
                     status_note=status_note(r.status, r.deceased_date)) for r in rows]
    result.sort(key=lambda row: (row.measure_id, row.group_index))  # stable: name order within each
    return result


def practices_overview(engine: Engine, period_end: dt.date) -> list[tuple[int, str, str, int, int]]:
    """(id, code, name, patients, open gaps in the period) of every active practice (never the
    holding place of patients whose practice is not known), by name:
    what the Reports section lists. Open gaps are counted from the period's open gaps
    (ix_gap_worklist) and their patients, once for all practices."""
    p, g, pr = t.patient, t.gap, t.practice
    with engine.connect() as conn:
        patients = dict(conn.execute(sa.select(p.c.practice_id, sa.func.count()).where(
            p.c.entered_in_error.is_(False)).group_by(p.c.practice_id)).all())
        open_gaps = dict(conn.execute(
            sa.select(p.c.practice_id, sa.func.count()).select_from(g.join(p, p.c.id == g.c.patient_id))
            .where(g.c.period_end == period_end, g.c.state == "open", p.c.entered_in_error.is_(False))
            .group_by(p.c.practice_id)).all())
        practices = conn.execute(sa.select(pr.c.id, pr.c.code, pr.c.name)
                                 .where(pr.c.active.is_(True), pr.c.holding.is_(False))  # not a practice
                                 .order_by(pr.c.name)).all()
    return [(pid, code, name, patients.get(pid, 0), open_gaps.get(pid, 0)) for pid, code, name in practices]
