"""Outreach: logging an attempt (a use case) and what it can be about (a read model).

An attempt is kept with who and when (audited); the plan of its target (a gap, a referral, or
the patient in general) is worked out again from all its attempts by the domain's schedule
(``domain.outreach.outreach_progress``): the next try's day, or the end of the round. The
third different day without reaching the patient records "unable to reach" on the plan, and
moves a referral it was about to Unable to reach where its closed loop allows it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from domain.clock import utcnow
from domain.errors import DomainError
from domain.outreach import (
    CHANNEL_LABELS, CHANNELS, OUTCOME_LABELS, OUTCOMES, UNABLE_TO_REACH, OutreachAttempt, OutreachProgress,
    target_key,
)
from domain.referral import NEXT
from storage import outreach_plans
from storage.queries import outreach as q
from storage.queries.outreach import OutreachTarget

__all__ = ["CHANNELS", "CHANNEL_LABELS", "OUTCOMES", "OUTCOME_LABELS", "OutreachLogged", "OutreachTarget",
           "log_outreach", "outreach_targets"]

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # a clock a little ahead is not "in the future"


@dataclasses.dataclass(frozen=True)
class OutreachLogged:
    attempt_id: int
    progress: OutreachProgress  # where outreach about that target stands now
    referral_unable_to_reach: bool  # the referral it was about moved to Unable to reach
    changes: ChangeSet

    def describe(self) -> str:
        text = self.progress.describe()
        if self.referral_unable_to_reach:
            text += "; the referral is now Unable to reach"
        return text


def outreach_targets(pod, patient_id: int) -> list[OutreachTarget]:
    """What an attempt for this patient can be about: their open gaps of the newest period and
    their open referrals (the patient in general is always possible)."""
    return q.outreach_targets(pod.engine, patient_id)


def log_outreach(pod, *, patient_id: int, channel: str, outcome: str, note: str = "", gap_id: int | None = None,
                 referral_id: int | None = None, at: dt.datetime | None = None) -> OutreachLogged:
    """Keep one outreach attempt and schedule what follows from it. Raises
    :class:`DomainError` (nothing kept) for an unknown channel or outcome, a time in the
    future, or a gap or referral that is not this patient's."""
    now = utcnow()
    at = at or now
    if at > now + FUTURE_TOLERANCE:
        raise DomainError(f"An outreach attempt cannot be dated in the future ({at:%m/%d/%Y %H:%M} UTC).")
    with pod.unit_of_work() as uow:
        uow.patients.get(patient_id)
        conn = uow.session.connection()
        if gap_id is not None and q.gap_patient(conn, gap_id) != patient_id:
            raise DomainError(f"Gap {gap_id} is not a gap of this patient.")
        referral = None
        if referral_id is not None:
            referral = uow.referrals.get(referral_id)
            if referral.patient_id != patient_id:
                raise DomainError(f"Referral {referral_id} is not a referral of this patient.")
        attempt = uow.outreach.add(OutreachAttempt(patient_id=patient_id, at=at, channel=channel, outcome=outcome,
                                                   by=uow.actor, gap_id=gap_id, referral_id=referral_id,
                                                   note=(note or "").strip()))
        target = target_key(patient_id, gap_id, referral_id)
        before = q.plan_status(conn, target)
        progress = outreach_plans.refresh_patient(conn, patient_id, now)[target]
        moved = False
        if progress.status == UNABLE_TO_REACH and before != UNABLE_TO_REACH:
            uow.audit.record("change", "OutreachPlan", None, patient_id,
                             f"{target}: unable to reach after {progress.days_tried} tries on different days")
            if referral is not None and UNABLE_TO_REACH in NEXT[referral.state] and at >= referral.state_since:
                uow.referrals.advance(referral, UNABLE_TO_REACH, at=at,
                                      note=f"Not reached after {progress.days_tried} tries on different days")
                moved = True
        uow.commit()
        attempt_id = attempt.id
    kinds = ("outreach", "today") + (("referrals",) if referral_id is not None else ())
    return OutreachLogged(attempt_id, progress, moved, ChangeSet.of(*kinds, patients=[patient_id]))
