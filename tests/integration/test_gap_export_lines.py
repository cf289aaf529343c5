"""A practice's (or a typed name's) CSV export, written from the rows as read (the values many
rows share formatted once, the explanations made once per set of inputs), is byte for byte what
the csv module writes from the worklist's own rows (iter_gaps: its pages, read and explained the
other way), at the edges: names and numbers a spreadsheet would misread or that need quoting, a
patient without phone, the last outreach (one in error left out), a gap without evidence, a
documented refusal, a condition the measure did not count, every state, every sort."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from domain.measures.explain import NOT_COUNTED
from domain.text import phone_display
from storage import schema as t
from storage.measures import evidence_items
from storage.queries import gaps as q
from tests.integration.test_gap_counts import PERIOD, demo_file, pod_engine  # noqa: F401 (fixtures)


def _expected(engine, flt, sort, descending) -> str:
    """The export as the csv module writes it from the worklist's rows."""
    def text(value):  # q._csv_text: never a formula
        return "'" + value if value and value[0] in "=+-@\t\r" else value

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(q.CSV_HEADER)
    for r in q.iter_gaps(engine, flt, sort=sort, descending=descending):
        writer.writerow((
            text(r.patient_name), r.birth_date.isoformat() if r.birth_date else "", text(r.mrn), text(r.practice_code),
            text(phone_display(r.phone)), text(r.language), r.measure_id, r.group_index + 1, text(r.measure_title),
            r.period_start.isoformat(), r.period_end.isoformat(), r.state, r.due_date.isoformat() if r.due_date else "",
            r.last_outreach_at.isoformat(sep=" ", timespec="minutes") if r.last_outreach_at else "", text(r.why),
            r.status_note))
    return out.getvalue()


def _replace_items(conn, gap_id, items) -> None:
    e = t.gap_evidence
    conn.execute(sa.delete(e).where(e.c.gap_id == gap_id))
    if items is not None:
        conn.execute(sa.insert(e).values(gap_id=gap_id, items=evidence_items.encode(items)))


def _items(conn, gap_id) -> list[tuple]:
    return evidence_items.decode(conn.scalar(sa.select(t.gap_evidence.c["items"])
                                             .where(t.gap_evidence.c.gap_id == gap_id)))


@pytest.fixture
def edges(pod_engine):
    """The pod with a practice whose patients and gaps have every edge the export meets; its id."""
    from application.gaps import document_override
    from tests.conftest import app_pod_for

    g, p = t.gap, t.patient
    with pod_engine.connect() as conn:
        practice = conn.scalar(sa.select(t.practice.c.id).where(t.practice.c.holding.is_(False))
                               .order_by(t.practice.c.id).limit(1))
        patients = list(conn.scalars(sa.select(p.c.id).where(p.c.practice_id == practice).order_by(p.c.id)))
        declined = conn.scalar(sa.select(g.c.patient_id).join(p, p.c.id == g.c.patient_id)
                               .where(p.c.practice_id == practice, g.c.measure_id == "CMS125",
                                      g.c.state == "open", g.c.period_end == PERIOD.end).limit(1))
    # a documented refusal: the gap excluded, its evidence the documentation (no fact behind it)
    document_override(app_pod_for(pod_engine).with_actor("Dana Reyes"), patient_id=declined, measure_id="CMS125",
                      period_start=PERIOD.start, period_end=PERIOD.end, kind="declined",
                      reason_code="declined-after-discussion", reason='Said "no, not now", twice',
                      applies_from=dt.date(2025, 3, 1), source="chart", confirm_past_period=True)
    with pod_engine.begin() as conn:
        odd = [{"family": 'O"Brien, Jr', "given": "Ann\nMarie", "mrn": "=1+2", "phone": "", "language": "-es"},
               {"family": "@Smith", "given": "", "mrn": "+A7", "phone": "6175550147", "language": ""},
               {"family": "Nguyen", "given": "Lan, Mai", "mrn": "M,1", "phone": "+44 20 7946 0958", "language": "vi"}]
        for pid, values in zip(patients, odd):
            conn.execute(sa.update(p).where(p.c.id == pid).values(**values))
        o = t.outreach_attempt
        for pid, at, in_error in ((patients[0], dt.datetime(2025, 6, 1, 9, 30), False),
                                  (patients[0], dt.datetime(2025, 7, 2, 14, 5), True),  # in error: not the last
                                  (patients[1], dt.datetime(2025, 5, 3, 8, 0), False)):
            conn.execute(sa.insert(o).values(patient_id=pid, at=at, channel="phone", outcome="reached", by="Dana Reyes",
                                             entered_in_error=in_error))
        gaps = {state: list(conn.scalars(sa.select(g.c.id).join(p, p.c.id == g.c.patient_id)
                                         .where(p.c.practice_id == practice, g.c.state == state,
                                                g.c.period_end == PERIOD.end).order_by(g.c.id)))
                for state in q.STATE_ORDER}
        # a gap without evidence; a closed gap whose evidence holds a backslash and a quote (in its
        # explanation), another with an initial population spelled otherwise and a fact behind it
        _replace_items(conn, gaps["open"][1], None)
        items = _items(conn, gaps["closed"][0])
        _replace_items(conn, gaps["closed"][0], [item[:6] + ('read "as \\ written"',) for item in items])
        items = _items(conn, gaps["closed"][1])
        _replace_items(conn, gaps["closed"][1], [("initialPopulation",) + tuple(item[1:]) for item in items])
        # a condition the measure did not count, on a gap out of the measure's population
        gap_id = gaps["not_applicable"][0]
        fact_id = conn.scalar(sa.select(t.clinical_fact.c.id).limit(1))
        _replace_items(conn, gap_id, _items(conn, gap_id) + [
            (NOT_COUNTED, "Hysterectomy with no residual cervix", fact_id, "http://snomed.info/sct", "428078001",
             "2019-05-02", "inactive")])
        family_key = conn.scalar(sa.select(p.c.family_key).where(p.c.id == patients[2]))
        # a patient who has died: her gaps are listed as computed, saying so
        conn.execute(sa.update(p).where(p.c.id == patients[1]).values(status="deceased",
                                                                       deceased_date=dt.date(2025, 10, 11)))
    return practice, family_key


@pytest.mark.parametrize("sort, descending", [("state", False), ("patient", False), ("due", True),
                                              ("last_outreach", False), ("measure", True)])
def test_a_practice_export_is_what_the_csv_module_writes_from_the_worklist(pod_engine, edges, tmp_path, sort,
                                                                           descending):
    flt = q.GapFilter(practice_id=edges[0], state=None, period_end=PERIOD.end)
    path = tmp_path / "gaps.csv"
    written = q.export_csv(pod_engine, "Dana Reyes", flt, path, sort=sort, descending=descending)
    text = path.read_bytes().decode("utf-8")
    assert text == _expected(pod_engine, flt, sort, descending)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert written == len(rows)
    statuses = {r["Patient status"] for r in rows}
    assert {"", "patient deceased 10/11/2025"} <= statuses
    assert all(s == "" or s.startswith(("patient deceased", "patient moved")) for s in statuses)
    assert {r["State"] for r in rows} == set(q.STATE_ORDER)  # every state, once the refusal excluded one
    assert any(r["Patient"] == 'O"Brien, Jr, Ann\nMarie' and r["MRN"] == "'=1+2" and r["Phone"] == ""
               and r["Preferred language"] == "'-es" and r["Last outreach (UTC)"] == "2025-06-01 09:30" for r in rows)
    assert any(r["State"] == "excluded" and 'Said "no, not now", twice' in r["Why"] for r in rows)
    assert any("the measure does not count it" in r["Why"] for r in rows)
    assert any('read "as \\ written"' in r["Why"] for r in rows)


def test_a_typed_name_s_export_and_one_state_s(pod_engine, edges, tmp_path):
    practice, family_key = edges
    for flt in (q.GapFilter(practice_id=practice, state="open", period_end=PERIOD.end),
                q.GapFilter(text=family_key.lower(), state=None, period_end=None),
                q.GapFilter(practice_id=practice, state="excluded", measure_id="CMS125")):
        path = tmp_path / "gaps.csv"
        q.export_csv(pod_engine, "Dana Reyes", flt, path)
        assert path.read_bytes().decode("utf-8") == _expected(pod_engine, flt, q.DEFAULT_SORT, False), flt
