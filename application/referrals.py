"""Referrals: the board and its table (read models), ordering a referral, moving it along the
closed loop, the pod's expected days (use cases), the letter to the specialist, and loop
closure per practice beside the quality measures.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from application.changes import ChangeSet
from application.chart import read_chart
from domain import services
from domain.clock import utcnow
from domain.errors import DomainError
from domain.referral import EXPECTED_DAYS, FINAL, LABELS, NEXT, STATES, URGENCIES, ExpectedDays
from storage import referral_due
from storage.queries import gaps as gap_queries
from storage.queries import quality as quality_queries
from storage.queries import referrals as q
from storage.queries.quality import MeasureScore, PracticeRate
from storage.queries.referrals import AGES, BoardColumn, ReferralCard, ReferralFilter

__all__ = ["AGES", "BoardColumn", "EXPECTED_DAYS", "LABELS", "LOOP_CLOSURE_ID", "NEXT", "ReferralCard",
           "ReferralFilter", "ReferralForm", "STATES", "URGENCIES", "advance_referral", "board", "expected_days",
           "loop_closure_score", "order_referral", "practice_choices", "print_referral_letter",
           "rates_with_loop_closure", "referral_form", "scorecard_with_loop_closure", "set_expected_days", "specialties", "table_page"]

FUTURE_TOLERANCE = dt.timedelta(minutes=5)
LOOP_CLOSURE_ID = "LOOP"  # the loop-closure row among the Quality screen's measures
LOOP_CLOSURE_TITLE = "Referral loop closure: specialist report received (after CMS50)"


# --- read models -------------------------------------------------------------------------------

def board(pod, flt: ReferralFilter, now: dt.datetime | None = None) -> list[BoardColumn]:
    return q.board(pod.engine, flt, now or utcnow())


def table_page(pod, flt: ReferralFilter, now: dt.datetime | None = None, after: tuple | None = None,
               limit: int = q.PAGE_SIZE) -> tuple[list[ReferralCard], tuple | None]:
    return q.table_page(pod.engine, flt, now or utcnow(), after, limit)


def specialties(pod) -> list[str]:
    return q.specialties(pod.engine)


def practice_choices(pod) -> list[tuple[int, str, str]]:
    return gap_queries.practice_choices(pod.engine)


@dataclasses.dataclass(frozen=True)
class ReferralForm:
    """What a new referral of this patient can be: the pod's specialties so far, the clinicians
    of the patient's practice and which of them is the patient's PCP."""

    specialties: list[str]
    clinicians: list[tuple[int, str]]
    pcp_id: int | None


def referral_form(pod, patient_id: int) -> ReferralForm:
    with pod.engine.connect() as conn:
        clinicians, pcp_id = q.practice_clinicians(conn, patient_id)
    return ReferralForm(q.specialties(pod.engine), clinicians, pcp_id)


def expected_days(pod) -> ExpectedDays:
    """The pod's expected days per urgency and state (the defaults where it set none)."""
    with pod.engine.connect() as conn:
        return referral_due.expected_days(conn)


# --- use cases ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Ordered:
    referral_id: int
    changes: ChangeSet


def order_referral(pod, *, patient_id: int, specialty: str, reason: str, urgency: str = "routine",
                   specialist: str = "", clinician_id: int | None = None) -> Ordered:
    """A new referral, Ordered now by the current staff member (audited). Raises
    :class:`DomainError` naming what is missing."""
    # in the dialog's order: the specialty, then the reason
    if not (specialty or "").strip():
        raise DomainError("A referral needs a specialty or service.")
    if not (reason or "").strip():
        raise DomainError("A referral needs the reason for it.")
    with pod.unit_of_work() as uow:
        referral_id = services.order_referral(uow, patient_id=patient_id, specialty=(specialty or "").strip(),
                                              reason=reason.strip(), urgency=urgency, clinician_id=clinician_id,
                                              specialist=(specialist or "").strip())
    return Ordered(referral_id, ChangeSet.of("referrals", "today", patients=[patient_id]))


def advance_referral(pod, referral_id: int, state: str, *, at: dt.datetime | None = None,
                     note: str = "") -> ChangeSet:
    """Move a referral to ``state`` along the closed loop (``domain.referral.NEXT``), dated
    ``at`` (now by default; never in the future, never before its last change), with the
    note; who is the current staff member. A move the loop does not allow (backwards, past a
    step, out of a final state) raises :class:`DomainError` and changes nothing."""
    now = utcnow()
    if at is not None and at > now + FUTURE_TOLERANCE:
        raise DomainError(f"A referral change cannot be dated in the future ({at:%m/%d/%Y %H:%M}).")
    with pod.unit_of_work() as uow:
        referral = uow.referrals.get(referral_id)
        uow.referrals.advance(referral, state, at=at or now, note=(note or "").strip())
        uow.commit()
        patient_id = referral.patient_id
    return ChangeSet.of("referrals", "today", patients=[patient_id])


def set_expected_days(pod, table: dict) -> ChangeSet:
    """Keep the pod's expected days (every change with who and when, audited) and work out when
    every open referral is due again. Raises :class:`DomainError` for a value out of range."""
    with pod.unit_of_work() as uow:
        changes = referral_due.save_expected_days(uow.session.connection(), table, actor=uow.actor)
        if changes:
            uow.audit.record("change", "ReferralExpectedDays", None, None,
                             "; ".join(f"{c.urgency} {LABELS[c.state]}: {c.old} -> {c.new} days" for c in changes))
        uow.commit()
    return ChangeSet.of("referrals", "today", patients=None) if changes else ChangeSet()


# --- the letter to the specialist ---------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Printed:
    path: str
    changes: ChangeSet = ChangeSet.of("audit")


def print_referral_letter(pod, referral_id: int, path: str | Path, *, now: dt.datetime | None = None) -> Printed:
    """The referral letter to the specialist as a PDF (audited as a print)."""
    from reports.referral_letter import write_referral_letter

    with pod.unit_of_work() as uow:
        patient_id = uow.referrals.get(referral_id).patient_id
    chart = read_chart(pod, patient_id)
    referral = next(x for x in chart.referrals if x.id == referral_id)
    with pod.engine.connect() as conn:
        practice, clinician = q.letter_parties(conn, patient_id, referral.clinician_id)
    write_referral_letter(letter_data(chart, referral, practice, clinician, pod.actor(), now or utcnow()), path)
    with pod.unit_of_work() as uow:
        uow.audit.record("print", "Referral", referral_id, patient_id, f"referral letter to {referral.specialty}")
        uow.commit()
    return Printed(str(path), ChangeSet.of("audit", patients=[patient_id]))


def letter_data(chart, referral, practice, clinician, author: str, now: dt.datetime):
    """The letter's plain data from the chart read model."""
    from reports.referral_letter import LetterData

    p = chart.patient
    fmt_day = lambda value: f"{value:%m/%d/%Y}" if value else ""  # noqa: E731
    payer = chart.payer + (f" · member {p.member_id}" if p.member_id else "")
    return LetterData(
        referral_id=referral.id, practice_name=practice.name, practice_code=practice.code,
        practice_address=practice.address, practice_phone=practice.phone, practice_npi=practice.npi,
        referring_clinician=(f"{clinician.name} (NPI {clinician.npi})" if clinician and clinician.npi
                             else clinician.name if clinician else chart.pcp),
        patient_name=f"{p.given} {p.family}".strip(), birth_date=p.birth_date,
        sex={"female": "Female", "male": "Male"}.get(p.sex, p.sex.capitalize() if p.sex else "Unknown"),
        mrn=p.mrn, patient_phone=p.phone, language=p.language, payer=payer,
        specialty=referral.specialty, specialist=referral.specialist, reason=referral.reason,
        urgency=referral.urgency.capitalize(), ordered_on=referral.ordered_at.date(),
        state=LABELS.get(referral.state, referral.state),
        appointment=f"{referral.appointment_at:%m/%d/%Y %H:%M}" if referral.appointment_at else "",
        conditions=[(f.display or f.code, fmt_day(f.start_at)) for f in chart.active_conditions],
        medications=[(f.display or f.code, fmt_day(f.start_at)) for f in chart.active_medications],
        allergies=[f.display or f.code for f in chart.allergies],
        observations=[(o.label, o.value, fmt_day(o.fact.start_at)) for o in chart.key_observations if o.fact],
        author=author, printed_at=now)


# --- loop closure beside the quality measures ------------------------------------------------------

def _period_start(pod, period_end: dt.date) -> dt.date:
    for start, end in gap_queries.gap_periods(pod.engine):
        if end == period_end:
            return start
    return dt.date(period_end.year, 1, 1)


def loop_closure_rates(pod, period_end: dt.date) -> list[PracticeRate]:
    """Every practice's loop closure for the period, as the Quality screen shows a measure's rates
    (a practice below the pod's minimum denominator shown with its counts, not ranked)."""
    from application.quality import minimum_denominator

    rates = {x.practice_id: x for x in q.loop_closure(pod.engine, _period_start(pod, period_end), period_end)}
    practices = gap_queries.practice_choices(pod.engine)
    best = tuple(code for pid, code, _name in practices if pid in rates and rates[pid].rank == 1)
    any_rate = next(iter(rates.values()), None)
    return [PracticeRate(pid, code, LOOP_CLOSURE_ID, 0,
                         rates[pid].numerator if pid in rates else 0, rates[pid].denominator if pid in rates else 0,
                         rates[pid].rate if pid in rates else None, rates[pid].rank if pid in rates else None,
                         any_rate.practices_ranked if any_rate else 0, any_rate.pod_median if any_rate else None,
                         any_rate.pod_best if any_rate else None, best,
                         rates[pid].too_few if pid in rates else False,
                         any_rate.minimum if any_rate else minimum_denominator(pod))
            for pid, code, _name in practices]


def rates_with_loop_closure(pod, period_end: dt.date, progress=None) -> dict:
    """The Quality screen's peer rates of the period computed from the gaps now, with loop
    closure as one more row (``progress(done, total, text)`` as each measure is done)."""
    from application import quality

    rates = dict(quality.peer_rates(pod, period_end, progress=progress))
    rates[(LOOP_CLOSURE_ID, 0)] = loop_closure_rates(pod, period_end)
    return rates


def kept_rates_with_loop_closure(pod, period_end: dt.date):
    """The period's rates as its newest snapshot kept them (``quality.KeptRates``), with loop
    closure (read now, a few milliseconds) as one more row; None when no snapshot was kept."""
    from application import quality

    kept = quality.kept_rates(pod, period_end)
    if kept is None:
        return None
    rates = dict(kept.rates)
    rates[(LOOP_CLOSURE_ID, 0)] = loop_closure_rates(pod, period_end)
    return dataclasses.replace(kept, rates=rates)


def scorecard_with_loop_closure(pod, practice_id: int, period_end: dt.date, rates: dict) -> list[MeasureScore]:
    """The practice's measures (``quality.practice_scorecard``) and its loop closure last."""
    measures = {key: value for key, value in rates.items() if key[0] != LOOP_CLOSURE_ID}
    scores = quality_queries.practice_scorecard(pod.engine, practice_id, period_end, measures)
    loop = loop_closure_score(practice_id, rates.get((LOOP_CLOSURE_ID, 0), []))
    return scores + ([loop] if loop else [])


def loop_closure_score(practice_id: int, peers: list[PracticeRate]) -> MeasureScore | None:
    """The practice's loop-closure row; None when no practice of the pod referred anyone in the
    period (a row of dashes would say nothing)."""
    mine = next((x for x in peers if x.practice_id == practice_id), None)
    if mine is None or not any(x.denominator for x in peers):
        return None
    return MeasureScore(LOOP_CLOSURE_ID, 0, LOOP_CLOSURE_TITLE, False, mine, peers)

