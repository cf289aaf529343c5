"""What the worklist and its export read to explain a gap: only the evidence an explanation can
cite (domain.measures.explain.cited), each explanation made once for the gaps that share it; the
words are the same as from every item of the gap's evidence."""
from __future__ import annotations

import csv
import datetime as dt

import sqlalchemy as sa

from domain.measures.explain import EvidenceItem, cited, explain_gap
from storage import schema as t
from storage.measures import evidence_items
from storage.queries import gaps as q
from tests.integration.test_gap_counts import PERIOD, demo_file, pod_engine  # noqa: F401 (fixtures)
from storage.codings import fact_display


def _every_item(conn, gap_ids) -> dict[int, list[EvidenceItem]]:
    """Each gap's evidence whole, every item with its fact: what an explanation was made from before."""
    e, f = t.gap_evidence, t.clinical_fact
    stored = dict(conn.execute(sa.select(e.c.gap_id, e.c["items"]).where(e.c.gap_id.in_(gap_ids))).all())
    facts = {r.id: r for r in conn.execute(sa.select(f.c.id, fact_display(f), f.c.kind, f.c.value_num, f.c.value_unit))}
    found = {}
    for gid in gap_ids:
        items = []
        for population, rule, fact_id, system, code, day, detail in evidence_items.decode(stored.get(gid)):
            fact = facts.get(fact_id)
            items.append(EvidenceItem(population, rule, system or "", code or "",
                                      dt.date.fromisoformat(day) if day else None, detail or "",
                                      fact.display or "" if fact else "", fact.kind or "" if fact else "",
                                      fact.value_num if fact else None, fact.value_unit or "" if fact else ""))
        found[gid] = items
    return found


def test_explanations_from_the_citable_evidence_are_those_from_all_of_it(pod_engine):
    from application.gaps import document_override
    from tests.conftest import app_pod_for

    with pod_engine.connect() as conn:
        patient = conn.scalar(sa.select(t.gap.c.patient_id).where(t.gap.c.measure_id == "CMS125",
                                                                   t.gap.c.state == "open").limit(1))
    document_override(app_pod_for(pod_engine).with_actor("Dana Reyes"), patient_id=patient, measure_id="CMS125",
                      period_start=PERIOD.start, period_end=PERIOD.end, kind="declined",
                      reason_code="declined-after-discussion", reason="Does not want a mammogram",
                      applies_from=dt.date(2025, 3, 1), source="chart", confirm_past_period=True)
    with pod_engine.connect() as conn:
        rows = conn.execute(sa.select(t.gap, t.measure.c.title, t.measure.c.inverse)
                            .join(t.measure, t.measure.c.id == t.gap.c.measure_id)).all()
        every = _every_item(conn, [r.id for r in rows])
        notes = q._page_override_notes(conn, rows)
        shown = q._short_reasons(conn, rows)
    assert {r.state for r in rows} >= {"open", "closed", "excluded", "not_applicable"}
    uncited = sum(not cited(item.population, item.rule) for items in every.values() for item in items)
    assert uncited > len(rows)  # most of a gap's evidence is never cited: not read
    for r in rows:
        whole = explain_gap(state=r.state, measure_id=r.measure_id, measure_title=r.title, inverse=bool(r.inverse),
                            period_start=r.period_start, period_end=r.period_end, due_date=r.due_date,
                            evidence=every[r.id], group_index=r.group_index,
                            overrides=notes.get((r.patient_id, r.measure_id, r.period_end), []))
        assert shown[r.id] == whole, r.id


def test_the_export_writes_each_row_s_own_explanation(pod_engine, tmp_path):
    """Explanations made once and kept by their inputs: each row still has its own."""
    path = tmp_path / "all.csv"
    with pod_engine.connect() as conn:
        practice = conn.scalar(sa.select(t.practice.c.id).where(t.practice.c.holding.is_(False)).limit(1))
    flt = q.GapFilter(state=None, period_end=PERIOD.end, practice_id=practice)
    q.export_csv(pod_engine, "Dana Reyes", flt, path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    why = rows[0].index("Why")
    written = [row[why] for row in rows[1:]]
    assert written == [r.why for r in q.iter_gaps(pod_engine, flt)]
    pages = []
    after = None
    while True:
        page = q.gap_page(pod_engine, flt, after=after, limit=7)
        pages += [r.why for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert pages == written and len(set(written)) > 10


def test_an_explanation_kept_for_one_gap_is_not_given_to_a_gap_that_differs(pod_engine):
    """Kept by everything it is made from: two open gaps differing only in their due date (a
    child's immunizations, due by their birthday) are explained each with its own."""
    with pod_engine.connect() as conn:
        row = conn.execute(sa.select(t.gap, t.measure.c.title, t.measure.c.inverse)
                           .join(t.measure, t.measure.c.id == t.gap.c.measure_id)
                           .where(t.gap.c.state == "open", t.gap.c.due_date.is_not(None)).limit(1)).one()
        row = q._records([row])[0]
        later = row._replace(id=row.id + 10**9, due_date=row.due_date + dt.timedelta(days=40))  # no evidence
        kept: dict = {}
        first = q._short_reasons(conn, [row], kept)[row.id]
        second = q._short_reasons(conn, [later], kept)[later.id]
    assert row.due_date.isoformat() in first and later.due_date.isoformat() in second
