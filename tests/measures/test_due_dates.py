"""Due dates: open gaps by the period end (or sooner), closed gaps when their evidence lapses.
The rules are pure (no database); one test runs them through a recompute."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from domain.errors import DomainError
from domain.measures import definition as definitions
from domain.measures.due import check_spec, due_date, evidence_lapse, lapse_rule
from domain.measures.period import MeasurementPeriod
from tests.measures.conftest import import_isolated
from tests.measures.test_rule_edges import _bundle, _mammogram

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def _days(**days):
    return lambda name: days.get(name)


def test_screenings_lapse_by_their_own_interval():
    cms130 = definitions.load("CMS130")
    numerator = cms130["groups"][0]["populations"]["numerator"]
    lapse = lambda **days: evidence_lapse(numerator, cms130, PERIOD, _days(**days))  # noqa: E731
    assert lapse(colonoscopy="2017-03-10") == dt.date(2027, 3, 10)
    assert lapse(fobt="2025-02-28") == dt.date(2026, 2, 28)
    assert lapse(sdna_fit="2024-05-01") == dt.date(2027, 5, 1)
    assert lapse(ct_colonography="2021-06-30") == dt.date(2026, 6, 30)
    assert lapse(flexible_sigmoidoscopy="2022-01-15") == dt.date(2027, 1, 15)
    # several tests on record: the one that lasts longest decides
    assert lapse(fobt="2025-02-28", colonoscopy="2017-03-10") == dt.date(2027, 3, 10)
    assert lapse() is None


def test_mammogram_and_cervical_lapses_and_calendar_edges():
    cms125, cms124 = definitions.load("CMS125"), definitions.load("CMS124")
    assert evidence_lapse("mammogram", cms125, PERIOD, _days(mammogram="2024-11-30")) == dt.date(2027, 2, 28)
    numerator = cms124["groups"][0]["populations"]["numerator"]
    assert evidence_lapse(numerator, cms124, PERIOD, _days(cervical_cytology="2024-02-29")) == dt.date(2027, 2, 28)
    assert evidence_lapse(numerator, cms124, PERIOD, _days(hpv_test="2023-07-01")) == dt.date(2028, 7, 1)


def test_period_bound_results_are_due_again_by_the_end_of_the_next_period():
    cms122 = definitions.load("CMS122")
    numerator = cms122["groups"][0]["populations"]["numerator"]
    # inverse measure: closed = an HbA1c of 9 % or below; it counts for this period only
    got = due_date("closed", cms122, numerator, PERIOD, _days(glycemic_status_assessment="2025-04-02"))
    assert got == dt.date(2026, 12, 31)
    cms165 = definitions.load("CMS165")
    both = _days(systolic_below_140="2025-06-01", diastolic_below_90="2025-06-01")
    numerator = cms165["groups"][0]["populations"]["numerator"]
    assert due_date("closed", cms165, numerator, PERIOD, both) == dt.date(2026, 12, 31)
    # "all": the requirement that lapses first decides
    assert evidence_lapse({"all": ["fobt", "colonoscopy"]}, definitions.load("CMS130"), PERIOD,
                          _days(fobt="2025-02-28", colonoscopy="2017-03-10")) == dt.date(2026, 2, 28)


def test_open_gaps_are_due_by_the_period_end_or_the_second_birthday():
    cms125, cms117 = definitions.load("CMS125"), definitions.load("CMS117")
    assert due_date("open", cms125, "mammogram", PERIOD, _days()) == PERIOD.end
    group = cms117["groups"][0]["populations"]["numerator"]
    assert due_date("open", cms117, group, PERIOD, _days(), birth=dt.date(2023, 8, 15)) == dt.date(2025, 8, 15)
    # turning two after the period: the period end comes first
    assert due_date("open", cms117, group, PERIOD, _days(), birth=dt.date(2024, 3, 1)) == PERIOD.end
    # completed immunizations do not lapse; excluded and not applicable gaps are never due
    assert due_date("closed", cms117, group, PERIOD, _days()) is None
    assert due_date("excluded", cms125, "mammogram", PERIOD, _days(mammogram="2025-01-01")) is None
    assert due_date("not_applicable", cms125, "mammogram", PERIOD, _days(mammogram="2025-01-01")) is None


def test_lapse_rules_keep_only_criteria_that_lapse():
    cms2, cms117, cms122 = definitions.load("CMS2"), definitions.load("CMS117"), definitions.load("CMS122")
    numerator = lambda d: d["groups"][0]["populations"]["numerator"]  # noqa: E731
    every_criterion_met = lambda name: "2025-03-01"  # noqa: E731
    only_ages_met = lambda name: "2025-03-01" if name.startswith("age") else None  # noqa: E731
    assert lapse_rule(numerator(cms117), cms117, PERIOD)(every_criterion_met) is None  # immunizations never lapse
    # under "not": the HbA1c that keeps CMS122's gap closed lapses like any HbA1c
    assert lapse_rule(numerator(cms122), cms122, PERIOD)(every_criterion_met) == dt.date(2026, 12, 31)
    # CMS2: the screenings lapse; the ages beside them set no limit
    assert lapse_rule(numerator(cms2), cms2, PERIOD)(every_criterion_met) == dt.date(2026, 12, 31)
    assert lapse_rule(numerator(cms2), cms2, PERIOD)(only_ages_met) is None


@pytest.mark.parametrize("spec", [{"from": "tomorrow"}, {"weeks": 2}, {"years": 1.5}, "27 months"])
def test_bad_lapse_rules_are_refused_with_the_place_named(spec):
    with pytest.raises(DomainError, match="CMS125: criterion 'mammogram'"):
        check_spec(spec, "CMS125: criterion 'mammogram'")


def test_recompute_writes_due_dates(measure_engine, tmp_path):
    from storage.measures.recompute import recompute

    paths = [_bundle(tmp_path, "screened", "1960-05-05", extra=[_mammogram("2024-11-30")]),
             _bundle(tmp_path, "unscreened", "1960-05-05")]
    import_isolated(measure_engine, paths)
    recompute(measure_engine, PERIOD, ["CMS125"])
    with measure_engine.connect() as conn:
        rows = dict(conn.execute(sa.text(
            "SELECT g.state, g.due_date FROM gap g WHERE g.measure_id = 'CMS125'")).all())
    assert rows == {"closed": "2027-02-28", "open": "2025-12-31"}


def test_many_patients_at_once_get_what_each_gets_alone():
    from domain.measures.due import lapse_dates

    cms130 = definitions.load("CMS130")
    numerator = cms130["groups"][0]["populations"]["numerator"]
    patients = {1: {"colonoscopy": "2017-03-10"}, 2: {"fobt": "2025-02-28", "colonoscopy": "2016-01-01"},
                3: {}, 4: {"fobt": "2024-02-29"}, 5: {"sdna_fit": "2024-05-01", "fobt": ""}}
    by_criterion: dict = {}
    for pid, days in patients.items():
        for name, day in days.items():
            if day:
                by_criterion.setdefault(name, {})[pid] = day
    bulk = lapse_dates(numerator, cms130, PERIOD, lambda name: by_criterion.get(name, {}), {1, 2, 3, 4})
    alone = {pid: evidence_lapse(numerator, cms130, PERIOD, _days(**patients[pid])) for pid in (1, 2, 3, 4)}
    assert bulk == {pid: day for pid, day in alone.items() if day is not None}
    assert bulk == {1: dt.date(2027, 3, 10), 2: dt.date(2026, 2, 28), 4: dt.date(2025, 2, 28)}
