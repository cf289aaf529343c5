"""Every criterion query reads through indexes in the intended order (no timing): the whole
pod from the value-set codes to their codings to the facts; some patients (after an import)
from those patients to their facts (once, into their own coded rows), so a one-patient
recompute does not read the pod."""
from __future__ import annotations

import pytest

from domain.measures import definition as definitions
from domain.measures.period import MeasurementPeriod
from storage.measures.recompute import ALL_MEASURES

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
SOURCE_LISTS = ("sources", "low", "high", "after", "follow_up")
SOURCE_KEYS = ("source", "encounters", "screening", "not_done", "condition")


def _sources(definition):
    from storage.measures.engine import needed_criteria

    for name in sorted(needed_criteria(definition)):
        crit = definition["criteria"][name]
        for key in SOURCE_LISTS:
            for src in crit.get(key, []):
                yield name, src
        for key in SOURCE_KEYS:
            if key in crit:
                yield name, crit[key]


def _plans(engine, scoped: bool):
    from storage.measures.criteria import Context, source_sql
    from storage.measures.engine import _scope, raw_connection

    fairy, con = raw_connection(engine)
    try:
        _scope(con, None, [1] if scoped else None)
        ctx = Context(con, PERIOD, scoped)
        for mid in ALL_MEASURES:
            d = definitions.load(mid)
            for name, src in _sources(d):
                sql = source_sql(ctx, src, d["statuses"])
                yield mid, name, [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql)]
    finally:
        fairy.close()


def test_whole_pod_queries_start_from_the_codes(measure_engine):
    plans = list(_plans(measure_engine, scoped=False))
    assert len(plans) > 100
    coded = [plan for _, _, plan in plans if plan[1] == "SEARCH f USING PRIMARY KEY (concept_id=?)"]
    assert len(coded) > 0.8 * len(plans)
    for mid, name, plan in plans:
        assert plan[0].startswith("SEARCH c USING COVERING INDEX ix_measure_codes"), (mid, name, plan)
        # the facts' own columns come with the codes (coded_fact), unless the source reads the
        # resource's JSON: then through the codings to the fact rows
        assert (plan[1] == "SEARCH f USING PRIMARY KEY (concept_id=?)"
                or plan[1] == "SEARCH fc USING PRIMARY KEY (concept_id=?)"
                and plan[2] == "SEARCH f USING INTEGER PRIMARY KEY (rowid=?)"), (mid, name, plan)
        assert not any(step.startswith("SCAN") and " m " not in f" {step} " for step in plan), (mid, name, plan)


@pytest.mark.parametrize("measure", ALL_MEASURES)
def test_some_patients_queries_read_those_patients_rows_only(measure_engine, measure):
    """Some patients: a source read from coded_fact reads the scope's own rows of it (worked out
    once per run from those patients' facts), from the codes; one that needs the fact rows starts
    from the patients. Never the pod's facts."""
    for mid, name, plan in _plans(measure_engine, scoped=True):
        if mid != measure:
            continue
        if plan[0] == "SCAN s":  # the facts of the kind from the index, their rows once their code matched
            assert plan[1] == "SEARCH k USING COVERING INDEX ix_fact_patient_kind_start (patient_id=? AND kind=?)", plan
            # each coding's concept from the index, looked up among the criterion's
            assert plan[2] == "SEARCH fc USING COVERING INDEX ix_fact_coding_fact (fact_id=? AND role=?)", plan
            assert plan[3] == "SEARCH c USING COVERING INDEX ix_measure_codes (key=? AND concept_id=?)", plan
            assert plan[4] == "SEARCH f USING INTEGER PRIMARY KEY (rowid=?)", plan
        else:
            assert plan[0].startswith("SEARCH c USING COVERING INDEX ix_measure_codes"), (mid, name, plan)
            assert plan[1] == "SEARCH f USING PRIMARY KEY (concept_id=?)", (mid, name, plan)
        assert not any(step.startswith("SCAN") and step != "SCAN s" and " m " not in f" {step} " for step in plan), \
            (mid, name, plan)


def test_the_scopes_coded_rows_are_read_from_its_patients(measure_engine):
    from storage import coded_facts
    from storage.measures.engine import _scope, raw_connection

    fairy, con = raw_connection(measure_engine)
    try:
        _scope(con, None, [1])
        plan = [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + coded_facts.rows_of_patients("measure_scope"))]
    finally:
        fairy.close()
    assert plan[:3] == ["SCAN s", "SEARCH f USING INDEX ix_fact_patient_kind_start (patient_id=?)",
                        "SEARCH c USING COVERING INDEX ix_fact_coding_fact (fact_id=? AND role=?)"], plan
