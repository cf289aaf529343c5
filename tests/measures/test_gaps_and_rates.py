"""Gaps written with evidence and history; incremental recompute; pod-peer rates and snapshots."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from domain.measures.period import MeasurementPeriod
from tests.conftest import SHARED
from tests.measures.conftest import EVIDENCE_ROWS, import_isolated

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def test_recompute_writes_gaps_evidence_history_and_rates(measure_engine):
    from storage.measures.peer_rates import practice_rates, rate_history, take_snapshot
    from storage.measures.recompute import recompute

    files = sorted((SHARED / "ecqm" / "CMS130" / "cases").glob("*.json"))[:12]
    import_isolated(measure_engine, files)
    summary = recompute(measure_engine, PERIOD, ["CMS130"], snapshot_month=dt.date(2025, 5, 10))
    with measure_engine.connect() as conn:
        gaps = conn.execute(sa.text("SELECT id, patient_id, state FROM gap WHERE measure_id = 'CMS130'")).all()
        assert sum(summary["CMS130"].values()) == len(gaps) > 0
        closed = [g for g in gaps if g.state == "closed"]
        for g in closed:  # a closed gap says which fact closed it
            rules = conn.execute(sa.text(f"SELECT rule FROM ({EVIDENCE_ROWS}) WHERE gap_id = :g AND population = 'numerator' "
                                         "AND fact_id IS NOT NULL"), {"g": g.id}).scalars().all()
            assert rules
        # each gap says when it was first computed; no state has changed since
        assert conn.execute(sa.text("SELECT count(*) FROM gap WHERE created_at = computed_at")).scalar() == len(gaps)
        history = conn.execute(sa.text("SELECT count(*) FROM gap_history")).scalar()
        assert history == 0
        # incremental: an entered-in-error encounter takes one patient out of the initial population
        target = gaps[0].patient_id
        conn.execute(sa.text("UPDATE clinical_fact SET entered_in_error = 1 WHERE patient_id = :p AND kind = 'encounter'"),
                     {"p": target})
        conn.commit()
    recompute(measure_engine, PERIOD, ["CMS130"], patient_ids=[target])
    with measure_engine.connect() as conn:
        state = conn.execute(sa.text("SELECT state FROM gap WHERE patient_id = :p"), {"p": target}).scalar()
        assert state == "not_applicable"
        assert conn.execute(sa.text("SELECT count(*) FROM gap_history")).scalar() == history + 1
        others = conn.execute(sa.text("SELECT count(*) FROM gap WHERE state <> 'not_applicable'")).scalar()
        assert others == len(gaps) - 1
    rates = practice_rates(measure_engine, "CMS130", PERIOD.start, PERIOD.end)
    assert rates and all(r.practices_ranked == len([x for x in rates if x.rate is not None]) for r in rates)
    ranked = sorted((r for r in rates if r.rank), key=lambda r: r.rank)
    assert all(a.rate >= b.rate for a, b in zip(ranked, ranked[1:]))
    assert take_snapshot(measure_engine, "CMS130", PERIOD.start, PERIOD.end, dt.date(2025, 6, 15)) == len(rates)
    assert take_snapshot(measure_engine, "CMS130", PERIOD.start, PERIOD.end, dt.date(2025, 6, 20)) == len(rates)
    history_rows = rate_history(measure_engine, rates[0].practice_id, "CMS130")
    # May: taken by the complete recompute; June: taken twice, kept once
    assert [r["month"] for r in history_rows] == [dt.date(2025, 5, 1), dt.date(2025, 6, 1)]


def test_cancel_keeps_finished_measures_and_writes_nothing_of_the_rest(measure_engine):
    from storage.measures.engine import Cancelled
    from storage.measures.recompute import recompute

    files = sorted((SHARED / "ecqm" / "CMS130" / "cases").glob("*.json"))[:6]
    import_isolated(measure_engine, files)
    seen = []

    def cancel():  # asked before each criterion: stop once the second measure has begun
        return len(seen) > 0 and seen[-1].startswith("CMS125")

    with pytest.raises(Cancelled):
        recompute(measure_engine, PERIOD, ["CMS130", "CMS125"], cancel=cancel, workers=1,
                  progress=lambda done, total, text: seen.append(text))
    assert any(s.startswith("CMS130") for s in seen)  # the first measure was evaluated and written
    with measure_engine.connect() as conn:
        measures = conn.execute(sa.text("SELECT DISTINCT measure_id FROM gap")).scalars().all()
        assert measures == ["CMS130"]  # whole; nothing of the measure being evaluated
        assert conn.execute(sa.text("SELECT count(*) FROM gap_evidence WHERE gap_id NOT IN "
                                    "(SELECT id FROM gap)")).scalar() == 0
    # the connection is usable again and a full run writes both measures
    assert set(recompute(measure_engine, PERIOD, ["CMS130", "CMS125"])) == {"CMS130", "CMS125"}


def _snapshot(engine, month: dt.date) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(
            "SELECT measure_id, group_index, practice_id, numerator, denominator, rate, rank, practices_ranked, "
            "pod_median, pod_best FROM quality_snapshot WHERE month = :m"), {"m": month}))


def test_a_recompute_snapshots_the_rates_its_gaps_give(tmp_path):
    """A complete recompute takes its snapshot from the populations it writes, not by reading
    the gaps back: the rates must be exactly those the gaps give, also after a practice's
    only patient in a measure has left it."""
    from storage.db import open_database
    from storage.demo.generate import create_demo_pod
    from storage.measures.peer_rates import take_snapshot
    from storage.measures.recompute import ALL_MEASURES, recompute

    path = tmp_path / "pod.db"
    create_demo_pod(path, seed=3, practices=4, patients=300)
    engine = open_database(path)
    try:
        for month in (dt.date(2025, 3, 1), dt.date(2025, 4, 1)):
            if month.month == 4:  # the one CMS117 patient of a practice is entered in error
                with engine.begin() as conn:
                    pid = conn.execute(sa.text(
                        "SELECT g.patient_id FROM gap g JOIN patient p ON p.id = g.patient_id "
                        "WHERE g.measure_id = 'CMS117' AND g.period_end = '2025-12-31' "
                        "AND g.initial_population = 1 GROUP BY p.practice_id ORDER BY count(*), p.practice_id "
                        "LIMIT 1")).scalar()
                    conn.execute(sa.text("UPDATE patient SET entered_in_error = 1 WHERE id = :p"), {"p": pid})
            recompute(engine, PERIOD, snapshot_month=month, workers=1)
            from_plan = _snapshot(engine, month)
            for mid in ALL_MEASURES:  # the same, read from the gaps
                take_snapshot(engine, mid, PERIOD.start, PERIOD.end, month)
            assert _snapshot(engine, month) == from_plan
            assert len({row[0] for row in from_plan}) == len(ALL_MEASURES)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT state FROM gap WHERE patient_id = :p AND measure_id = 'CMS117'"),
                                {"p": pid}).scalar() == "not_applicable"
    finally:
        engine.dispose()


def test_every_gap_holds_the_populations_the_engine_finds(tmp_path):
    """What a recompute writes (a new gap's flags, then a changed gap's) is what the engine
    evaluates, population by population, for every patient and measure of a pod."""
    from storage.db import open_database
    from storage.demo.generate import create_demo_pod
    from storage.measures.engine import evaluate, raw_connection
    from storage.measures.recompute import ALL_MEASURES, recompute
    from storage.measures.stored_gaps import POPULATION_COLUMNS as COLUMNS

    path = tmp_path / "pod.db"
    create_demo_pod(path, seed=5, practices=2, patients=300)
    engine = open_database(path)

    def check() -> int:
        fairy, con = raw_connection(engine)
        try:
            results = evaluate(con, ALL_MEASURES, PERIOD)
            rows = con.execute(f"SELECT patient_id, measure_id, group_index, state, {', '.join(COLUMNS.values())} "
                               "FROM gap WHERE period_end = ?", (PERIOD.end.isoformat(),)).fetchall()
        finally:
            fairy.close()
        expected = {}
        for result in results:
            for gi, group in enumerate(result.groups):
                pops = group.populations
                for pid in pops["initial-population"]:
                    expected[(pid, result.measure_id, gi)] = [int(pid in pops[code]) for code in COLUMNS]
        stored = {(pid, mid, gi): flags for pid, mid, gi, _state, *flags in rows if flags[0]}
        assert stored == expected
        # the patients who left a measure: no population, not applicable
        assert all(state == "not_applicable" and not any(flags) for _p, _m, _g, state, *flags in rows if not flags[0])
        return len(stored)

    recompute(engine, PERIOD, workers=1)
    assert check() > 300
    # one patient's encounters entered in error (they leave the measures), another's other
    # facts (their screenings no longer close their gaps): their gaps change
    with engine.begin() as conn:
        first, second = conn.execute(sa.text(
            "SELECT patient_id FROM gap WHERE measure_id = 'CMS130' AND state = 'closed' ORDER BY patient_id LIMIT 2"
        )).scalars().all()
        conn.execute(sa.text("UPDATE clinical_fact SET entered_in_error = 1 WHERE patient_id = :p AND kind = 'encounter'"),
                     {"p": first})
        conn.execute(sa.text("UPDATE clinical_fact SET entered_in_error = 1 WHERE patient_id = :p AND kind <> 'encounter'"),
                     {"p": second})
    recompute(engine, PERIOD, patient_ids=[first, second])
    check()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT state FROM gap WHERE patient_id = :p AND measure_id = 'CMS130'"),
                            {"p": second}).scalar() == "open"
        assert conn.execute(sa.text("SELECT count(*) FROM gap_history h JOIN gap g ON g.id = h.gap_id "
                                    "WHERE g.patient_id IN (:a, :b)"), {"a": first, "b": second}).scalar() > 2
    engine.dispose()


def test_a_recompute_leaves_no_reference_cycles(measure_engine):
    """A recompute runs with the cyclic collector off, so what it builds must be freed as soon
    as it is dropped. A reference cycle (a nested function that names itself) would keep every
    criterion result of every measure in memory, millions of objects at 1M patients, until
    the collector ran at the end for seconds."""
    import gc

    from storage.measures.criteria import CriterionResult, Evidence
    from storage.measures.local_run import recompute_here
    from storage.measures.recompute import ALL_MEASURES

    files = [f for m in ALL_MEASURES for f in sorted((SHARED / "ecqm" / m / "cases").glob("*.json"))[:4]]
    import_isolated(measure_engine, files)
    gc.collect()
    gc.disable()
    try:
        recompute_here(measure_engine, PERIOD, ALL_MEASURES)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        ours = [o for o in gc.garbage if isinstance(o, (Evidence, CriterionResult))
                or str(getattr(o, "__module__", None)).startswith("storage.measures.")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not ours, sorted({type(o).__name__ + ":" + getattr(o, "__qualname__", "") for o in ours})
