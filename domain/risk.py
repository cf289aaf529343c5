"""Risk tiers: an explainable score per patient, and the tier it puts the patient in.

The score adds points a care manager can check in the chart, one kind of fact at a time:

- **chronic conditions**: each chronic condition group the patient has an active condition of
  (:data:`CHRONIC_GROUPS`, by ICD-10-CM code prefix or SNOMED CT code) counts its weight —
  2 for heart failure, COPD, chronic kidney disease, cancer and dementia, 1 for the others;
- **ED visits** in the last 12 months: 1 point each, at most :data:`ED_POINTS_MAX`;
- **hospital admissions** in the last 12 months: 2 points each, at most :data:`ADMISSION_POINTS_MAX`;
- **age**: 65–74 one point, 75–84 two, 85 and over three;
- **a recent discharge** (within the last :data:`RECENT_DISCHARGE_DAYS` days, the transitional-care
  period): 2 points.

The tiers, recomputed for the whole pod at once:

- **high**: the pod's top 5 % — the score at or above the *high cut*, the lowest score that keeps
  the patients at or above it within 5 % of the tiered pod (ties are never split, so the tier may
  hold fewer than 5 %), and never below :data:`HIGH_SCORE_FLOOR` (a pod of healthy children has
  no high-risk patients just because someone is on top);
- **rising**: not high, and either the score rose by :data:`RISING_POINTS` or more in 90 days
  (today's score against the same score worked out as of 90 days ago: conditions active then,
  visits in the 12 months before then, the age then), or an admission in the last 90 days;
- **moderate**: neither, with a score of :data:`MODERATE_SCORE` or more;
- **low**: everyone else tiered.

A patient who was never tiered (not yet computed, or not active) has no tier, never "low".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from domain.errors import DomainError
from domain.text import counted

TIERS = ("low", "moderate", "rising", "high")
TIER_LABELS = {"low": "Low", "moderate": "Moderate", "rising": "Rising", "high": "High"}

HIGH_SHARE = 0.05
HIGH_SCORE_FLOOR = 4
RISING_POINTS = 2
RISING_DAYS = 90
MODERATE_SCORE = 3
LOOK_BACK_DAYS = 365
RECENT_DISCHARGE_DAYS = 30
ED_POINTS_MAX = 4
ADMISSION_POINTS = 2
ADMISSION_POINTS_MAX = 6
DISCHARGE_POINTS = 2
AGE_POINTS = ((85, 3), (75, 2), (65, 1))  # (from this age, points), oldest first


@dataclasses.dataclass(frozen=True)
class ChronicGroup:
    key: str
    label: str  # as the chart names it: "diabetes", "CHF"
    weight: int
    icd10: tuple[str, ...]  # code prefixes; "E08-E13" is every prefix from E08 to E13
    snomed: tuple[str, ...]  # SNOMED CT concepts (exact codes; SNOMED codes have no prefixes)

    def icd10_ranges(self) -> list[tuple[str, str]]:
        """(lowest, highest) code of each prefix range, for an index range on (system, code):
        every ICD-10-CM character sorts below '~', so "E13~" is above E13.9 and below E14."""
        ranges = []
        for item in self.icd10:
            first, _, last = item.partition("-")
            ranges.append((first, (last or first) + "~"))
        return ranges

    def has_icd10(self, code: str) -> bool:
        return any(low <= code <= high for low, high in self.icd10_ranges())


# The chronic condition groups, after the Chronic Conditions Warehouse's list of chronic and
# potentially disabling conditions. Prediabetes, acute events that are over (a past cardiac
# arrest) and symptoms are not chronic conditions here.
CHRONIC_GROUPS: tuple[ChronicGroup, ...] = (
    ChronicGroup("diabetes", "diabetes", 1, ("E08-E13",), ("44054006", "46635009", "73211009")),
    ChronicGroup("hypertension", "hypertension", 1, ("I10-I15",), ("59621000", "38341003")),
    ChronicGroup("heart_failure", "CHF", 2, ("I50", "I09.81", "I11.0", "I13.0", "I13.2"),
                 ("84114007", "88805009", "42343007", "85232009", "703272007")),
    ChronicGroup("coronary", "coronary artery disease", 1, ("I20-I25",),
                 ("53741008", "414545008", "22298006", "399211009", "194828000")),
    ChronicGroup("atrial_fibrillation", "atrial fibrillation", 1, ("I48",), ("49436004",)),
    ChronicGroup("stroke", "stroke", 1, ("I60-I69",), ("230690007", "62914000", "422504002")),
    ChronicGroup("copd", "COPD", 2, ("J41-J44",), ("13645005", "185086009", "87433001")),
    ChronicGroup("asthma", "asthma", 1, ("J45",), ("195967001", "233678006")),
    ChronicGroup("ckd", "CKD", 2, ("N18", "I12"),
                 ("709044004", "431855005", "431856006", "433144002", "431857002", "433146000", "46177005")),
    ChronicGroup("depression", "depression", 1, ("F32", "F33", "F34.1"),
                 ("35489007", "370143000", "36923009", "66344007", "78667006")),
    ChronicGroup("serious_mental_illness", "schizophrenia or bipolar disorder", 1, ("F20-F29", "F30-F31"),
                 ("58214004", "13746004")),
    ChronicGroup("dementia", "dementia", 2, ("F01-F03", "G30"), ("52448006", "26929004")),
    ChronicGroup("cancer", "cancer", 2, ("C00-C43", "C45-C96"),
                 ("363346000", "254637007", "254837009", "399068003", "363406005")),
    ChronicGroup("liver", "chronic liver disease", 1, ("K70", "K73-K74"), ("19943007",)),
    ChronicGroup("hiv", "HIV", 1, ("B20",), ("86406008",)),
    ChronicGroup("substance_use", "substance use disorder", 1, ("F10-F16", "F18-F19"), ("7200002",)),
    ChronicGroup("obesity", "obesity", 1, ("E66",), ("414916001", "162864005", "408512008")),
    ChronicGroup("hyperlipidemia", "hyperlipidemia", 1, ("E78",), ("55822004", "13644009")),
    ChronicGroup("arthritis", "arthritis", 1, ("M05-M06", "M15-M19"),
                 ("69896004", "396275006", "239873007", "239872002")),
    ChronicGroup("osteoporosis", "osteoporosis", 1, ("M80-M81",), ("64859006",)),
)
GROUPS_BY_KEY = {g.key: g for g in CHRONIC_GROUPS}
ICD10_SYSTEMS = ("http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10")
SNOMED_SYSTEM = "http://snomed.info/sct"

# encounter classes (HL7 v3 ActCode) counted as ED visits and as hospital stays
ED_CLASSES = ("EMER",)
ADMISSION_CLASSES = ("IMP", "ACUTE", "NONAC", "OBSENC", "SS")
ACUTE_CLASSES = ED_CLASSES + ADMISSION_CLASSES
# a condition counts while its clinical status says so (none given: it counts until it abates)
ACTIVE_CLINICAL_STATUSES = ("", "active", "recurrence", "relapse")
REFUTED_VERIFICATION = ("refuted", "entered-in-error")


def chronic_points(groups) -> int:
    return sum(GROUPS_BY_KEY[g].weight for g in groups)


def utilisation_points(ed_visits: int, admissions: int) -> int:
    return min(ed_visits, ED_POINTS_MAX) + min(admissions * ADMISSION_POINTS, ADMISSION_POINTS_MAX)


def age_points(age: int) -> int:
    return next((points for start, points in AGE_POINTS if age >= start), 0)


@dataclasses.dataclass(frozen=True)
class RiskScore:
    """What the score of one patient was made of, as stored after a recompute."""

    groups: tuple[str, ...]  # chronic group keys, in CHRONIC_GROUPS order
    ed_visits: int
    admissions: int
    age: int
    discharged_on: dt.date | None  # the latest discharge within RECENT_DISCHARGE_DAYS, if any
    score: int
    score_before: int  # the same score as of RISING_DAYS ago
    admitted_on: dt.date | None = None  # the latest admission within RISING_DAYS, if any

    @classmethod
    def of(cls, groups, ed_visits: int, admissions: int, age: int, discharged_on: dt.date | None = None,
           score_before: int = 0, admitted_on: dt.date | None = None) -> "RiskScore":
        ordered = tuple(g.key for g in CHRONIC_GROUPS if g.key in set(groups))
        total = score_of(ordered, ed_visits, admissions, age, discharged_on is not None)
        return cls(ordered, ed_visits, admissions, age, discharged_on, total, score_before, admitted_on)


def score_of(groups, ed_visits: int, admissions: int, age: int, recently_discharged: bool) -> int:
    return (chronic_points(groups) + utilisation_points(ed_visits, admissions) + age_points(age)
            + (DISCHARGE_POINTS if recently_discharged else 0))


def high_cut(histogram: Mapping[int, int], share: float = HIGH_SHARE) -> int | None:
    """The lowest score whose patients, with everyone scoring more, are at most ``share`` of
    the pod (never below :data:`HIGH_SCORE_FLOOR`); None when nobody can be high."""
    total = sum(histogram.values())
    allowed = int(total * share)
    cut, above = None, 0
    for score in sorted(histogram, reverse=True):
        above += histogram[score]
        if above > allowed or score < HIGH_SCORE_FLOOR:
            break
        cut = score
    return cut


def tier_of(score: int, score_before: int, admitted_recently: bool, cut: int | None) -> str:
    if cut is not None and score >= cut:
        return "high"
    if score - score_before >= RISING_POINTS or admitted_recently:
        return "rising"
    if score >= MODERATE_SCORE:
        return "moderate"
    return "low"


def reasons(risk: RiskScore, date_format=dt.date.isoformat) -> list[str]:
    """The facts behind the score, each as a phrase: "4 chronic conditions (diabetes, CHF, COPD,
    CKD)", "2 ED visits and 1 admission in the last 12 months", "age 78", "discharged 2026-11-30"."""
    found = []
    if risk.groups:
        labels = ", ".join(GROUPS_BY_KEY[g].label for g in risk.groups)
        found.append(f"{counted(len(risk.groups), 'chronic condition')} ({labels})")
    visits = []
    if risk.ed_visits:
        visits.append(counted(risk.ed_visits, "ED visit"))
    if risk.admissions:
        visits.append(counted(risk.admissions, "admission"))
    if visits:
        found.append(" and ".join(visits) + " in the last 12 months")
    if age_points(risk.age):
        found.append(f"age {risk.age}")
    if risk.discharged_on:
        found.append(f"discharged {date_format(risk.discharged_on)}")
    return found


def explain(tier: str, risk: RiskScore, cut: int | None, date_format=dt.date.isoformat) -> str:
    """One sentence saying why the patient is in the tier, naming the facts."""
    why = reasons(risk, date_format)
    label = TIER_LABELS.get(tier, tier)
    if tier == "high":
        head = f"{label} (score {risk.score}; the pod's top 5 % from {cut})"
    elif tier == "rising":
        if risk.score - risk.score_before >= RISING_POINTS:
            head = f"{label} (score {risk.score}, up from {risk.score_before} {RISING_DAYS} days ago)"
        else:
            head = f"{label} (score {risk.score}; admitted {date_format(risk.admitted_on)})" if risk.admitted_on \
                else f"{label} (score {risk.score})"
    else:
        head = f"{label} (score {risk.score})"
    return f"{head}: {', '.join(why)}" if why else f"{head}: no chronic conditions, visits or age points"


def validate_override(tier: str | None, reason: str) -> None:
    """A tier set by hand needs a known tier and a reason a colleague can read."""
    if tier not in TIERS:
        raise DomainError(f"Risk tier must be one of {', '.join(TIER_LABELS[t] for t in TIERS)}.")
    if len(reason.strip()) < 5:
        raise DomainError("Setting the risk tier by hand needs a reason (at least a few words).")
