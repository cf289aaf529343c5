"""Risk score and tier rules at their edges (domain.risk): groups, points, the pod's top 5 %, rising."""
from __future__ import annotations

import datetime as dt

import pytest

from domain import risk
from domain.errors import DomainError
from domain.text import us_date


@pytest.mark.parametrize("code,group", [
    ("E11.9", "diabetes"), ("E08.00", "diabetes"), ("E13.9", "diabetes"), ("I50.22", "heart_failure"),
    ("I11.0", "heart_failure"), ("J44.1", "copd"), ("J45.909", "asthma"), ("N18.30", "ckd"), ("C43.9", "cancer"),
    ("F33.1", "depression"), ("E66.01", "obesity"),
])
def test_icd10_prefixes_find_their_group(code, group):
    assert risk.GROUPS_BY_KEY[group].has_icd10(code)


@pytest.mark.parametrize("code", ["E14", "E07.9", "R73.03", "C44.91", "F17.210", "I46.9", "J46"])
def test_codes_outside_every_group(code):
    """Prediabetes, a cardiac arrest, skin carcinoma, nicotine dependence are not chronic groups here."""
    assert not any(g.has_icd10(code) for g in risk.CHRONIC_GROUPS)


def test_every_group_is_documented_with_codes_of_both_systems():
    for group in risk.CHRONIC_GROUPS:
        assert group.icd10 and group.snomed and group.weight in (1, 2) and group.label


def test_points_add_up_from_each_kind_of_fact():
    assert risk.score_of(("diabetes", "heart_failure"), 0, 0, 40, False) == 3
    assert risk.score_of((), 5, 0, 40, False) == risk.ED_POINTS_MAX  # ED visits cap at 4
    assert risk.score_of((), 0, 4, 40, False) == risk.ADMISSION_POINTS_MAX  # admissions cap at 6
    assert [risk.age_points(a) for a in (64, 65, 74, 75, 84, 85, 101)] == [0, 1, 1, 2, 2, 3, 3]
    assert risk.score_of((), 0, 0, 40, True) == risk.DISCHARGE_POINTS


def test_high_is_the_pods_top_five_percent_without_splitting_ties():
    # 100 patients: 3 score 9, 4 score 7 (3 + 4 = 7 > 5 % of 100), the rest 0
    histogram = {9: 3, 7: 4, 0: 93}
    assert risk.high_cut(histogram) == 9
    assert risk.high_cut({9: 3, 7: 2, 0: 95}) == 7  # exactly 5 of 100
    assert risk.high_cut({9: 6, 0: 94}) is None  # a tie above 5 %: nobody is cut in two
    assert risk.high_cut({3: 5, 0: 95}) is None  # below the floor: no high tier in a healthy pod
    assert risk.high_cut({}) is None


@pytest.mark.parametrize("score,before,admitted,tier", [
    (9, 9, False, "high"), (8, 2, True, "rising"), (4, 2, False, "rising"), (4, 3, False, "moderate"),
    (3, 3, False, "moderate"), (2, 2, False, "low"), (1, 1, True, "rising"), (0, 0, False, "low"),
])
def test_tiers_at_their_edges(score, before, admitted, tier):
    assert risk.tier_of(score, before, admitted, cut=9) == tier


def test_the_chart_says_why_naming_the_facts():
    score = risk.RiskScore.of(("ckd", "diabetes", "copd", "heart_failure"), 2, 1, 78, dt.date(2026, 11, 30),
                              score_before=5)
    assert score.groups == ("diabetes", "heart_failure", "copd", "ckd")  # the documented order
    assert score.score == 7 + 2 + 2 + 2 + 2
    assert risk.explain("high", score, 12, us_date) == (
        "High (score 15; the pod's top 5 % from 12): 4 chronic conditions (diabetes, CHF, COPD, CKD), "
        "2 ED visits and 1 admission in the last 12 months, age 78, discharged 11/30/2026")
    rising = risk.RiskScore.of(("diabetes",), 0, 1, 50, None, score_before=1, admitted_on=dt.date(2026, 10, 2))
    assert risk.explain("rising", rising, 12, us_date).startswith("Rising (score 3, up from 1 90 days ago)")
    nothing = risk.RiskScore.of((), 0, 0, 30)
    assert risk.explain("low", nothing, 12) == "Low (score 0): no chronic conditions, visits or age points"


def test_a_tier_set_by_hand_needs_a_known_tier_and_a_reason():
    with pytest.raises(DomainError, match="one of Low, Moderate, Rising, High"):
        risk.validate_override("complex", "Lives alone after falls")
    with pytest.raises(DomainError, match="reason"):
        risk.validate_override("high", " ok ")
    risk.validate_override("high", "Lives alone after falls")
