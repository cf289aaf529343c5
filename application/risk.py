"""Risk tiers: recomputing them (a use case for the background lane), setting one by hand, and
what the chart says about a patient's tier."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from application.changes import ChangeSet
from domain import risk as rules
from domain.errors import DomainError
from domain.text import age_on
from storage.queries import risk as risk_queries
from storage.risk import Cancelled as RiskCancelled
from storage.risk import RiskRun, recompute_risk

__all__ = ["RiskCancelled", "RiskRecomputed", "RiskDetail", "recompute_risk_tiers", "set_risk_tier",
           "risk_detail"]


@dataclasses.dataclass(frozen=True)
class RiskRecomputed:
    run: RiskRun
    changes: ChangeSet


def recompute_risk_tiers(pod, *, patient_ids: Iterable[int] | None = None, as_of: dt.date | None = None,
                         progress=None, cancel=None) -> RiskRecomputed:
    """Tier the whole pod (after a recompute) or some patients (after an import) — long work
    for the background lane. Raises :class:`RiskCancelled`."""
    run = recompute_risk(pod.engine, as_of=as_of, patient_ids=patient_ids, progress=progress, cancel=cancel)
    return RiskRecomputed(run, ChangeSet.of("risk", patients=run.patient_ids))


def set_risk_tier(pod, patient_id: int, tier: str | None, reason: str) -> ChangeSet:
    """Set the tier by hand (``tier=None``: back to the computed one), with a reason; the
    earlier values are kept as a revision naming who and when."""
    with pod.unit_of_work() as uow:
        patient = uow.patients.get(patient_id)
        if tier is None:
            if patient.risk_override is None:
                raise DomainError("The risk tier is not set by hand; there is nothing to clear.")
            if len(reason.strip()) < 5:
                raise DomainError("Say why the tier set by hand is cleared (at least a few words).")
            changes = {"risk_override": None, "risk_override_reason": ""}
        else:
            rules.validate_override(tier, reason)
            if tier == patient.risk_override and reason.strip() == patient.risk_override_reason:
                raise DomainError("The tier is already set by hand to that, for that reason.")
            changes = {"risk_override": tier, "risk_override_reason": reason.strip()}
        uow.patients.correct(patient, changes, reason=reason.strip())
        uow.commit()
    return ChangeSet.of("risk", "patients", patients=[patient_id])


@dataclasses.dataclass(frozen=True)
class RiskOverrideChange:
    at: dt.datetime
    by: str
    tier: str | None  # None: cleared
    reason: str


@dataclasses.dataclass(frozen=True)
class RiskDetail:
    """Why a patient is in the tier: the stored components, as facts and as one sentence."""

    tier: str | None  # computed; None: never tiered
    score: rules.RiskScore | None
    explanation: str  # "High (score 11; …): 4 chronic conditions (…), …" or why there is none
    computed_on: dt.date | None
    overrides: tuple[RiskOverrideChange, ...]  # newest first


def risk_detail(engine, patient, time_zone: str, date_format=dt.date.isoformat) -> RiskDetail:
    """The chart's risk: the components stored for ``patient`` at the last recompute and the
    history of the tier set by hand. Dates are the practice's local dates."""
    row = risk_queries.risk_row(engine, patient.id)
    overrides = tuple(RiskOverrideChange(r.changed_at, r.changed_by, r.new_values.get("risk_override"),
                                         r.new_values.get("risk_override_reason", "") or r.reason)
                      for r in risk_queries.override_history(engine, patient.id))
    if row is None:
        why = ("Not tiered: risk tiers are computed for active patients only." if patient.status != "active"
               else "No risk tier computed yet: tiers are computed with the next recompute of gaps in care.")
        return RiskDetail(None, None, why, None, overrides)
    from application.care_management import local_date

    zone = ZoneInfo(time_zone or "UTC")
    score = rules.RiskScore(tuple(g for g in (row.chronic_groups or "").split(",") if g), row.ed_visits,
                            row.admissions, age_on(patient.birth_date, row.as_of),
                            local_date(row.discharged_at, row.discharged_raw, zone), row.score, row.score_before,
                            local_date(row.admitted_at, row.admitted_raw, zone))
    score = dataclasses.replace(score, groups=tuple(g.key for g in rules.CHRONIC_GROUPS if g.key in score.groups))
    return RiskDetail(row.tier, score, rules.explain(row.tier, score, row.high_cut, date_format), row.as_of,
                      overrides)
