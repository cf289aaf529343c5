"""Gap worklist queries, chart explanations and pod-peer rates on a small synthetic pod."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from storage import schema as t
from storage.queries import gaps as q
from storage.queries import quality
from tests.query_plans import query_plans, statements_run
from tests.ui.test_gaps_data import CMS125_STATES, PERIOD, build_pod


@pytest.fixture
def pod(engine):
    return build_pod(engine)


def _all(engine, flt, sort=q.DEFAULT_SORT, descending=False):
    return q.gap_page(engine, flt, sort=sort, descending=descending, limit=10_000).rows


def test_counts_by_state_ignore_the_state_filter(engine, pod):
    counts = q.count_gaps(engine, q.GapFilter(measure_id="CMS125", state="open", period_end=PERIOD[1]))
    assert counts.by_state == {"open": 4, "closed": 5, "excluded": 2, "not_applicable": 1}
    assert counts.total == 12 and counts.of("open") == 4 and counts.of(None) == 12
    ald = q.count_gaps(engine, q.GapFilter(measure_id="CMS125", practice_id=pod.practices["ALD"],
                                          period_end=PERIOD[1]))
    assert ald.by_state == {"open": 1, "closed": 2, "excluded": 1}
    assert q.count_gaps(engine, q.GapFilter(practice_id=pod.practices["DEN"])).total == 0


def test_state_and_period_filters(engine, pod):
    rows = _all(engine, q.GapFilter(measure_id="CMS125", state="open", period_end=PERIOD[1]))
    assert {r.mrn for r in rows} == {m for m, s in CMS125_STATES.items() if s == "open"}
    assert all(r.state == "open" for r in rows)
    every_period = _all(engine, q.GapFilter(measure_id="CMS125", state=None))
    assert len(every_period) == 13  # 12 of 2025 + one of 2024
    assert q.gap_periods(engine) == [PERIOD, (dt.date(2024, 1, 1), dt.date(2024, 12, 31))]
    assert q.gap_periods(engine, "CMS122") == [PERIOD]
    assert q.gap_periods(engine, "CMS999") == []


@pytest.mark.parametrize("text, expected", [
    ("smith", {"B203", "C302"}),
    ("Smith, Jo", {"B203", "C302"}),
    ("smith joa", {"B203"}),
    ("joan smith", {"B203"}),
    ("smith jo", {"B203", "C302"}),
    ("C30", {"C300", "C301", "C302", "C303"}),
    ("c300", {"C300"}),
    ("zz", set()),
    ("   ", None),  # blank: no text filter at all
])
def test_text_filter_by_name_or_mrn(engine, pod, text, expected):
    rows = _all(engine, q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1], text=text))
    assert {r.mrn for r in rows} == (expected if expected is not None else set(CMS125_STATES))


def test_entered_in_error_patients_are_not_listed(engine, pod):
    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.mrn == "A102").values(entered_in_error=True))
    rows = _all(engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD[1]))
    assert "A102" not in {r.mrn for r in rows}
    # nor counted, whichever way the count is read (from the gaps, or from the patients)
    practice = engine.connect().execute(sa.select(t.patient.c.practice_id).where(t.patient.c.mrn == "A102")).scalar()
    for flt in (q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1]),
                q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1], practice_id=practice),
                q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1], text="A10")):
        listed = _all(engine, flt)
        counts = q.count_gaps(engine, flt)
        assert counts.total == len(listed) and counts.of("open") == sum(r.state == "open" for r in listed), flt


def test_default_order_puts_open_gaps_first_then_due_date(engine, pod):
    rows = _all(engine, q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1]))
    states = [r.state for r in rows]
    assert states == sorted(states, key=q.STATE_ORDER.index)
    open_dues = [r.due_date for r in rows if r.state == "open"]
    assert open_dues == sorted(open_dues)


def test_sort_by_patient_and_due_in_both_directions(engine, pod):
    flt = q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1])
    names = [r.patient_name for r in _all(engine, flt, "patient")]
    assert names == sorted(names, key=str.upper)
    assert [r.patient_name for r in _all(engine, flt, "patient", True)][0] == "Smith, Joan"
    dues = [r.due_date for r in _all(engine, flt, "due")]
    assert dues[:8] == [None] * 8 and dues[8:] == sorted(dues[8:])  # NULL first ascending
    dues_desc = [r.due_date for r in _all(engine, flt, "due", True)]
    assert dues_desc[-8:] == [None] * 8 and dues_desc[:4] == sorted(dues_desc[:4], reverse=True)


@pytest.mark.parametrize("sort", sorted(q.SORT_KEYS))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_join_up_to_the_whole_ordered_list(engine, pod, sort, descending):
    flt = q.GapFilter(state=None)
    whole = [r.gap_id for r in _all(engine, flt, sort, descending)]
    paged, after = [], None
    while True:
        page = q.gap_page(engine, flt, sort=sort, descending=descending, after=after, limit=3)
        paged += [r.gap_id for r in page.rows]
        if page.next_after is None:
            break
        after = page.next_after
    assert paged == whole and len(set(paged)) == len(paged) == 19
    assert [r.gap_id for r in q.iter_gaps(engine, flt, sort=sort, descending=descending, batch=4)] == whole


@pytest.mark.parametrize("sort", sorted(q.SORT_KEYS))
def test_a_typed_name_reads_the_same_rows_from_its_patients_as_from_the_index_walk(engine, pod, sort,
                                                                                   monkeypatch):
    """A name that matches few patients is read from them; the rows and their order are the
    ones the index walk gives (which a name matching many patients still uses)."""
    flt = q.GapFilter(state=None, text="C30")  # an MRN prefix: four patients

    def paged():
        rows, after = [], None
        while True:
            page = q.gap_page(engine, flt, sort=sort, after=after, limit=1)
            rows += [r.gap_id for r in page.rows]
            if page.next_after is None:
                return rows
            after = page.next_after

    with engine.connect() as conn:
        assert q._from_patients(conn, flt, sort)
    from_patients = paged()
    monkeypatch.setattr(q, "FEW_PATIENTS", 1)
    with engine.connect() as conn:
        assert q._from_patients(conn, flt, sort) == (sort in ("measure", "last_outreach"))
    assert from_patients == paged() and len(from_patients) == len(set(from_patients)) >= 5


@pytest.mark.parametrize("sort", ["practice", "measure", "last_outreach", "patient", "state", "due"])
@pytest.mark.parametrize("descending", [False, True])
def test_an_order_put_together_from_index_walks_is_the_sort_of_every_match(engine, pod, sort, descending,
                                                                           monkeypatch):
    """Many matches are read a page at a time in pieces that each follow an index (a practice, a
    measure, a period and state after the other; the patients never reached, then the others by
    their latest attempt); few are sorted whole. Both give the same rows in the same order,
    page after page, ties included, whatever the filter."""
    with engine.begin() as conn:  # two patients reached at the same minute: a tie the gap id breaks
        at = dt.datetime(2025, 5, 2, 9, 0)
        conn.execute(sa.insert(t.outreach_attempt).values(patient_id=pod.patients["C300"], at=at, channel="phone",
                                                          outcome="reached", by="Test"))
    filters = [q.GapFilter(state=None), q.GapFilter(state="open"), q.GapFilter(state="closed", period_end=PERIOD[1]),
               q.GapFilter(state=None, measure_id="CMS125", period_end=PERIOD[1]),
               q.GapFilter(state=None, practice_id=pod.practices["ALD"])]

    def paged(flt):
        rows, after = [], None
        while True:
            page = q.gap_page(engine, flt, sort=sort, descending=descending, after=after, limit=2)
            rows += [(r.gap_id, r.last_outreach_at) for r in page.rows]
            if page.next_after is None:
                return rows
            after = page.next_after

    for flt in filters:
        monkeypatch.setattr(q, "FEW_GAPS", 10**9)
        sorted_whole = paged(flt)
        monkeypatch.setattr(q, "FEW_GAPS", 0)
        with engine.connect() as conn:
            assert not q._few_gaps(conn, flt)
        assert paged(flt) == sorted_whole and len(sorted_whole) == len(set(sorted_whole)), flt
    assert sorted_whole


def test_unknown_sort_column_is_a_programming_error(engine, pod):
    with pytest.raises(ValueError):
        q.gap_page(engine, q.GapFilter(), sort="bogus")


def test_worklist_why_column_explains_each_state(engine, pod):
    rows = {r.mrn: r for r in _all(engine, q.GapFilter(measure_id="CMS125", state=None,
                                                       period_end=PERIOD[1]))}
    assert rows["A100"].why == ("Closed: Mammogram (LOINC 24606-6) on 2024-11-03, before this period — the "
                                "measure looks back: mammography since 1 October two years before the period.")
    assert rows["A103"].why.startswith("Excluded: Hospice care encounter (SNOMED CT 385763009) on 2025-06-10")
    assert rows["A102"].why == f"Open: no mammography on record; due by {rows['A102'].due_date}."
    assert rows["B203"].why.startswith("Not applicable:")


def test_last_outreach_is_the_patients_latest_attempt_not_entered_in_error(engine, pod):
    """Every gap of a patient shows the same latest outreach (any reason); one entered in
    error does not count; the column sorts by it, patients never reached first."""
    rows = _all(engine, q.GapFilter(state=None, period_end=PERIOD[1]))
    expected = {mrn: dt.datetime(2025, 5, 1 + i, 9, 0)
                for i, mrn in enumerate(sorted(CMS125_STATES)) if i % 2}
    assert expected and {r.mrn: r.last_outreach_at for r in rows if r.last_outreach_at} == expected
    assert len({r.measure_id for r in rows if r.mrn == "A101"}) == 2  # CMS122 and CMS125 alike
    ordered = [r.last_outreach_at for r in _all(engine, q.GapFilter(state=None, period_end=PERIOD[1]),
                                                sort="last_outreach")]
    reached = [at for at in ordered if at is not None]
    assert reached == sorted(reached) and ordered[len(ordered) - len(reached):] == reached
    chart = {g.measure_id: g.last_outreach_at for g in q.patient_gaps(engine, pod.patients["A101"])}
    assert set(chart.values()) == {expected["A101"]}


def test_patient_gaps_show_only_the_latest_period_per_measure(engine, pod):
    found = q.patient_gaps(engine, pod.patients["A102"])
    assert [(g.measure_id, g.period_end) for g in found] == [("CMS125", PERIOD[1])]
    assert found[0].state == "open"
    assert q.patient_gaps(engine, pod.patients["B203"])[0].state == "not_applicable"


def test_inverse_measure_wording(engine, pod):
    by_measure = {g.measure_id: g for g in q.patient_gaps(engine, pod.patients["A100"])}
    assert by_measure["CMS122"].why.startswith("Open: no HbA1c or GMI result of 9 % or below")
    assert by_measure["CMS122"].why.endswith("due by 2025-12-31.")


def test_gap_history_lists_state_changes_newest_first(engine, pod):
    history = q.patient_gap_history(engine, pod.patients["A100"])
    assert [h.text for h in history if h.measure_id == "CMS125"] == [
        "Open → Closed (period ending 2025-12-31)", "New → Open (period ending 2025-12-31)"]


# --- pod peers (numbers from storage.measures.peer_rates, shaped for the Quality screen) ---------

def test_peer_rates_from_gaps(engine, pod):
    rates = quality.peer_rates(engine, PERIOD[1])
    assert set(rates) == {("CMS122", 0), ("CMS125", 0)}
    cms125 = {r.practice_code: r for r in rates[("CMS125", 0)]}
    assert (cms125["ALD"].numerator, cms125["ALD"].denominator) == (2, 3)
    assert (cms125["BIR"].numerator, cms125["BIR"].denominator) == (2, 3)  # B203 not applicable
    assert (cms125["CED"].numerator, cms125["CED"].denominator) == (1, 3)  # C303 excluded
    assert cms125["CED"].rank == 3 and cms125["CED"].rank_label == "3 of 3"
    assert {cms125["ALD"].rank, cms125["BIR"].rank} <= {1, 2}
    assert cms125["ALD"].pod_median == pytest.approx(2 / 3)  # of 2/3, 2/3, 1/3
    assert cms125["CED"].pod_best == pytest.approx(2 / 3)
    assert cms125["CED"].best_practices[0] in ("ALD", "BIR")
    cms122 = {r.practice_code: r for r in rates[("CMS122", 0)]}
    # inverse: the numerator counts HbA1c > 9 % (open gaps); lower is better
    assert [(cms122[c].numerator, cms122[c].denominator) for c in ("ALD", "BIR", "CED")] == [
        (1, 2), (0, 2), (2, 2)]
    assert [cms122[c].rank for c in ("BIR", "ALD", "CED")] == [1, 2, 3]
    assert cms122["ALD"].pod_best == 0.0 and cms122["ALD"].best_practices == ("BIR",)


def test_tied_practices_share_a_rank(engine, pod):
    cms125 = {r.practice_code: r for r in quality.peer_rates(engine, PERIOD[1])[("CMS125", 0)]}
    assert [cms125[c].rank for c in ("ALD", "BIR", "CED")] == [1, 1, 3]


def test_practices_without_a_denominator_have_no_rate_or_rank(engine, pod):
    # every CMS122 patient of Cedar excluded: gap rows exist but nobody is left in the denominator
    with engine.begin() as conn:
        conn.execute(sa.update(t.gap).where(t.gap.c.id.in_([pod.gaps[("C300", "CMS122")],
                                                            pod.gaps[("C301", "CMS122")]]))
                     .values(state="excluded", denominator_exclusion=1, numerator=0))
    cms122 = {r.practice_code: r for r in quality.peer_rates(engine, PERIOD[1])[("CMS122", 0)]}
    assert (cms122["CED"].rate, cms122["CED"].rank, cms122["CED"].rank_label) == (None, None, "—")
    assert (cms122["DEN"].numerator, cms122["DEN"].denominator, cms122["DEN"].rate) == (0, 0, None)
    assert cms122["ALD"].practices_ranked == 2
    assert cms122["ALD"].pod_median == pytest.approx(0.25)  # even count: mean of 0 and 1/2


def test_practice_scorecard_lists_every_measure_with_peers(engine, pod):
    scores = quality.practice_scorecard(engine, pod.practices["CED"], PERIOD[1])
    assert [s.measure_id for s in scores] == ["CMS122", "CMS125"]
    assert all(len(s.peers) == 4 for s in scores)
    assert scores[1].mine.rate == pytest.approx(1 / 3) and scores[1].label == "CMS125"
    assert scores[0].inverse and not scores[1].inverse
    assert quality.practice_scorecard(engine, pod.practices["CED"], dt.date(2030, 12, 31)) == []


def test_measure_with_several_groups_is_labelled_per_group(engine, pod):
    with engine.begin() as conn:
        conn.execute(sa.update(t.measure).where(t.measure.c.id == "CMS125")
                     .values(definition={"groups": [{"id": "a"}, {"id": "b"}]}))
        conn.execute(sa.insert(t.gap).values(
            patient_id=pod.patients["A100"], measure_id="CMS125", period_start=PERIOD[0],
            period_end=PERIOD[1], group_index=1, initial_population=1, denominator=1, numerator=1,
            state="closed", computed_at=dt.datetime(2025, 7, 1)))
    scores = quality.practice_scorecard(engine, pod.practices["ALD"], PERIOD[1])
    assert [s.label for s in scores] == ["CMS122", "CMS125 · 1", "CMS125 · 2"]
    assert scores[2].mine.rate == 1.0 and scores[2].mine.denominator == 1


def test_snapshot_is_idempotent_per_month_and_feeds_rate_history(engine, pod):
    written = quality.take_snapshot(engine, dt.date(2025, 6, 15))
    assert written == 6  # 3 practices with patients x 2 measures
    assert quality.take_snapshot(engine, dt.date(2025, 6, 1)) == 6
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.quality_snapshot)) == 6
    # the rates change before the next month's snapshot
    with engine.begin() as conn:
        conn.execute(sa.update(t.gap).where(t.gap.c.id == pod.gaps[("C300", "CMS125")])
                     .values(state="closed", numerator=1))
    quality.take_snapshot(engine, dt.date(2025, 7, 31))
    history = quality.rate_history(engine, pod.practices["CED"], "CMS125")
    assert [p.month for p in history] == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    assert [p.rate for p in history] == [pytest.approx(1 / 3), pytest.approx(2 / 3)]
    assert history[0].pod_median == pytest.approx(2 / 3)
    assert quality.rate_history(engine, pod.practices["CED"], "CMS125", period_end=dt.date(2024, 12, 31)) == []
    assert quality.rate_history(engine, pod.practices["DEN"], "CMS125") == []


def test_snapshot_of_an_empty_pod_writes_nothing(engine):
    assert quality.take_snapshot(engine, dt.date(2025, 6, 1)) == 0


def test_counts_start_from_the_few_patients_they_concern(engine, pod):
    """The counts for one practice (or a name) and the entered-in-error correction read those
    patients' gaps, not every gap of the period (at 1M patients, 5 s each the other way)."""
    with statements_run(engine) as statements:
        q.count_gaps(engine, q.GapFilter(state="open", period_end=PERIOD[1]))
        q.count_gaps(engine, q.GapFilter(state="open", period_end=PERIOD[1], practice_id=pod.practices["CED"]))
        q.count_gaps(engine, q.GapFilter(state="open", period_end=PERIOD[1], text="smith"))
    plans = query_plans(engine, statements, lambda sql: "patient" in sql)
    gap_plans = [plan for plan in plans if " gap " in plan[0] or plan[0].endswith(" gap")]
    # the pod's correction; the practice's count and its correction; the name's count and its
    # correction (the name's patients are read from the names' index alone, not row by row)
    assert len(gap_plans) == 5
    for plan in gap_plans:
        # from each patient's entries of the index that holds what the count asks, never their rows
        assert plan[0].startswith("SEARCH gap USING COVERING INDEX ix_gap_patient_state (patient_id=?)"), plan
    for plan in plans:  # the patients in error are found from their own partial index, never a scan of the rows
        assert not plan[0].startswith("SCAN patient") or plan[0].endswith("INDEX ix_patient_in_error"), plan
    for plan in gap_plans:  # the chosen patients come from an index alone
        assert not any(step.startswith("SEARCH patient USING INDEX") for step in plan), plan


@pytest.mark.parametrize("text", ["Smith, Jo", "smith joa", "joan smith"])
def test_a_family_and_given_name_are_read_from_the_family_names_index(engine, pod, text):
    """A family and a given name typed together start from the family name: never from the given
    names' index, which at 1M patients holds 100,000 given names starting with J (480 ms)."""
    flt = q.GapFilter(state="open", period_end=PERIOD[1], text=text)
    with statements_run(engine) as statements:
        q.gap_page(engine, flt)
        q.count_gaps(engine, flt)
    steps = [step for plan in query_plans(engine, statements, lambda sql: "given_key" in sql) for step in plan]
    assert steps and not any("ix_patient_given" in step for step in steps), steps
    assert any("ix_patient_name" in step for step in steps), steps


def test_the_planner_steering_is_sqlites_alone():
    """'+column' (never the index a read starts from) and INDEXED BY are said to SQLite only: the
    same worklist and count queries compile for PostgreSQL as plain columns and tables."""
    from sqlalchemy.dialects import postgresql, sqlite

    flt = q.GapFilter(state="open", period_end=PERIOD[1], text="smith, j")
    query, _keys = q._rows_query(flt, "due", False)
    for statement in (query, q.PATIENTS_IN_ERROR):
        on_sqlite = str(statement.compile(dialect=sqlite.dialect()))
        on_postgres = str(statement.compile(dialect=postgresql.dialect()))
        assert "+gap." in on_sqlite or "INDEXED BY" in on_sqlite
        assert "+gap." not in on_postgres and "+patient." not in on_postgres and "INDEXED BY" not in on_postgres
    assert "+patient.given_key" in str(q.text_condition("smith, j").compile(dialect=sqlite.dialect()))


def test_a_read_through_an_index_is_compiled_once_per_index():
    """A statement reading a table through a named index has a cache key, as any other (compiled
    once, not at every execution), and it tells the indexes apart."""
    from storage.through_index import through

    def key(index):
        return sa.select(through(t.patient, index).c.id)._generate_cache_key()

    assert key("ix_patient_high_risk") is not None
    assert key("ix_patient_high_risk") == key("ix_patient_high_risk")
    assert key("ix_patient_high_risk") != key("ix_patient_in_error")
