"""Criteria beyond the initial population's own requirements are answered only for the
patients who meet those (a measure's domain): populations and evidence are exactly those of
answering every criterion for everyone."""
from __future__ import annotations

import pytest

from domain.measures.period import MeasurementPeriod
from storage.db import open_database
from storage.demo.generate import create_demo_pod
from storage.measures import criteria, engine as measure_engine, id_sets
from storage.measures.recompute import ALL_MEASURES
from storage.measures.valuesets import ensure_valuesets

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
FILL = id_sets.fill


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    path = tmp_path_factory.mktemp("domain") / "pod.db"
    create_demo_pod(path, seed=5, practices=2, patients=500)
    return path


def _evaluate(path, monkeypatch, share: float, filled: list) -> dict:
    monkeypatch.setattr(criteria.context, "DOMAIN_WORTHWHILE", share)
    monkeypatch.setattr(id_sets, "fill", lambda con, table, ids: (filled.append((table, len(set(ids)))),
                                                                  FILL(con, table, ids)))
    engine = open_database(path)
    ensure_valuesets(engine)
    fairy, con = measure_engine.raw_connection(engine)
    try:
        results = measure_engine.evaluate(con, ALL_MEASURES, PERIOD)
    finally:
        fairy.close()
        engine.dispose()
    out = {}
    for result in results:
        for group in result.groups:
            members = set().union(*group.populations.values())
            evidence = {name: {pid: crit.evidence.get(pid) for pid in crit.patients & members}
                        for name, crit in result.criteria.items()}
            out[(result.measure_id, group.group_id)] = (group.populations, evidence)
    return out


def test_a_domain_changes_no_population_and_no_evidence(pod, monkeypatch):
    everyone, restricted = [], []
    plain = _evaluate(pod, monkeypatch, 0.0, everyone)         # no domain is ever applied
    narrowed = _evaluate(pod, monkeypatch, 1.01, restricted)    # every domain is applied
    assert not [t for t, _ in everyone if "measure_domain" in t]
    domains = [size for table, size in restricted if "measure_domain" in table]
    assert len(domains) >= 6 and min(domains) < 100  # CMS117's two-year-olds with a visit
    assert narrowed.keys() == plain.keys()
    for key in plain:
        assert narrowed[key][0] == plain[key][0], key
        assert narrowed[key][1] == plain[key][1], key
    assert sum(len(pops["numerator"]) for pops, _ in plain.values()) > 300


def test_domain_steps_are_the_requirements_every_group_shares():
    from domain.measures import definition as definitions

    assert measure_engine._domain_steps(definitions.load("CMS165")) == [
        ["age_18_85"], ["essential_hypertension"], ["outpatient_encounter"]]
    assert measure_engine._domain_steps(definitions.load("CMS125")) == [
        ["age_band"], ["female"], ["outpatient_encounter"]]
    # CMS138's three groups share one initial population, an age and either kind of visit
    assert measure_engine._domain_steps(definitions.load("CMS138")) == [
        ["age_12_plus_at_start"], ["preventive_visit", "two_qualifying_visits"]]
