"""Medication reviews: what the review screen reads, and the pharmacist's worklist.

The review screen's data is one review (with its lines and problems), the patient, the
active medications on record, the conditions and allergies, the practice's clinicians and the
attempts to reach the patient: a fixed number of small indexed reads (no per-row query).

The worklist is set-based SQL over small partial indexes (schema: ix_review_draft,
ix_dtp_pending, ix_review_follow_up, ix_review_summary_pending, ix_patient_high_risk_review,
patient_medication_count): each group is counted and read a page at a time in its own order,
so it opens in milliseconds on a pod of a million patients.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, selectinload

from domain.clock import utcnow
from domain.medication_review import (
    CATEGORY_LABELS, HIGH_RISK_TIERS, POLYPHARMACY_COUNT, REVIEW_TYPE_LABELS, MedicationReview, SummaryStatus,
    comprehensive_review_cutoff, comprehensive_review_due_on, plain_name, summary_status, us_date,
)
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.facts import ClinicalFact
from domain.text import age_on
from storage import schema as t
from storage.codings import fact_display
from storage.mapping import start_mappers
from storage.queries.patients import PATIENTS_IN_ERROR, clinician_name

r, dtp, p, pr, f = t.medication_review, t.drug_therapy_problem, t.patient, t.practice, t.clinical_fact
MEDICATION_KINDS = ("medication_request", "medication_statement")
PAGE_SIZE = 200

# the predicate of ix_fact_active_medication, written out so SQLite uses that partial index
_ACTIVE_MEDICATION = sa.text(t.ACTIVE_MEDICATION_WHERE)
_HIGH_RISK = sa.text(t.REVIEW_HIGH_RISK_WHERE)


# --- the review screen --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ChartMedication:
    """A medication on the patient's active list (one line per medication, its latest order)."""

    fact_id: int
    name: str
    rxnorm: str
    source: str  # medication_request (ordered) or medication_statement (reported by the patient)
    start_date: dt.date | None


@dataclasses.dataclass(frozen=True)
class ReviewPatient:
    id: int
    family: str
    given: str
    birth_date: dt.date
    sex: str
    mrn: str
    phone: str
    address: str
    language: str
    risk_tier: str  # the effective tier
    practice_id: int
    practice_code: str
    practice_name: str
    practice_phone: str
    practice_address: str
    time_zone: str
    pcp: str

    @property
    def display_name(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family

    @property
    def full_name(self) -> str:
        """As a letter is addressed: Grace Okafor."""
        return " ".join(x for x in (self.given, self.family) if x)

    def age(self, on: dt.date) -> int:
        return age_on(self.birth_date, on)


@dataclasses.dataclass(frozen=True)
class ReviewData:
    review: MedicationReview
    patient: ReviewPatient
    chart_medications: tuple[ChartMedication, ...]
    conditions: tuple[str, ...]
    allergies: tuple[str, ...]
    clinicians: tuple[str, ...]  # the practice's clinicians, as prescribers are chosen
    attempts: tuple[OutreachAttempt, ...]  # to reach the patient for this review, oldest first


def patient_of(conn: Connection, patient_id: int) -> ReviewPatient | None:
    c = t.clinician
    row = conn.execute(
        sa.select(p, pr.c.code.label("practice_code"), pr.c.name.label("practice_name"),
                  pr.c.phone.label("practice_phone"), pr.c.address.label("practice_address"),
                  pr.c.time_zone, c.c.given.label("pcp_given"), c.c.family.label("pcp_family"),
                  c.c.credentials.label("pcp_credentials"))
        .select_from(p.join(pr, pr.c.id == p.c.practice_id).outerjoin(c, c.c.id == p.c.pcp_id))
        .where(p.c.id == patient_id)).mappings().first()
    if row is None:
        return None
    address = ", ".join(x for x in (row["address_line"], row["city"],
                                    f"{row['state']} {row['postal_code']}".strip()) if x)
    return ReviewPatient(
        id=row["id"], family=row["family"], given=row["given"], birth_date=row["birth_date"], sex=row["sex"],
        mrn=row["mrn"], phone=row["phone"], address=address, language=row["language"],
        risk_tier=row["risk_override"] or row["risk_tier"], practice_id=row["practice_id"],
        practice_code=row["practice_code"], practice_name=row["practice_name"],
        practice_phone=row["practice_phone"], practice_address=row["practice_address"],
        time_zone=row["time_zone"], pcp=clinician_name(row["pcp_given"], row["pcp_family"], row["pcp_credentials"]))


def review_patient(engine: Engine, patient_id: int) -> ReviewPatient | None:
    with engine.connect() as conn:
        return patient_of(conn, patient_id)


def chart_medications(conn: Connection, patient_id: int, now: dt.datetime | None = None) -> list[ChartMedication]:
    """The active medications on record, one per medication (its latest order or statement),
    in the order they were started."""
    now = now or utcnow()
    rows = conn.execute(
        sa.select(f.c.id, f.c.kind, f.c.code, fact_display(f), f.c.start_at, f.c.start_raw)
        .where(f.c.patient_id == patient_id, _ACTIVE_MEDICATION, sa.or_(f.c.end_at.is_(None), f.c.end_at >= now))
        .order_by(f.c.start_at, f.c.id))
    latest: dict[str, ChartMedication] = {}
    for row in rows:
        key = row.code or f"name:{row.display}"
        start = _fact_day(row.start_at, row.start_raw)
        first = latest[key].start_date if key in latest else start
        latest[key] = ChartMedication(row.id, row.display or row.code, row.code, row.kind, first or start)
    return sorted(latest.values(), key=lambda m: (m.start_date or dt.date.min, m.name.lower()))


def _fact_day(instant: dt.datetime | None, raw: str) -> dt.date | None:
    """The day the source wrote (a FHIR dateTime's own local date), else the UTC instant's."""
    if raw and len(raw) >= 10:
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    return instant.date() if instant else None


def conditions_and_allergies(conn: Connection, patient_id: int) -> tuple[list[str], list[str]]:
    rows = conn.execute(
        sa.select(f.c.kind, fact_display(f), f.c.code, f.c.clinical_status, f.c.verification_status, f.c.end_at)
        .where(f.c.patient_id == patient_id, f.c.kind.in_(("condition", "allergy")),
               f.c.entered_in_error.is_(False))
        .order_by(f.c.start_at.desc(), f.c.id.desc()))
    conditions: list[str] = []
    allergies: list[str] = []
    for row in rows:
        name = plain_name(row.display or row.code)
        if row.kind == "condition":
            fact = ClinicalFact(patient_id, "condition", "", row.code, clinical_status=row.clinical_status,
                                verification_status=row.verification_status, end_at=row.end_at)
            if fact.is_active_condition and name not in conditions:
                conditions.append(name)
        elif (row.clinical_status not in ("inactive", "resolved")
              and row.verification_status not in ("refuted", "entered-in-error") and name not in allergies):
            allergies.append(name)
    return conditions, allergies


def _clinicians(conn: Connection, practice_id: int) -> list[str]:
    c = t.clinician
    rows = conn.execute(sa.select(c.c.given, c.c.family, c.c.credentials)
                        .where(c.c.practice_id == practice_id, c.c.active.is_(True)).order_by(c.c.family, c.c.given))
    return [clinician_name(x.given, x.family, x.credentials) for x in rows]


def review_attempts(conn: Connection, review_id: int) -> list[OutreachAttempt]:
    o = t.outreach_attempt
    rows = conn.execute(sa.select(o).where(o.c.medication_review_id == review_id, o.c.entered_in_error.is_(False))
                        .order_by(o.c.at, o.c.id)).mappings()
    return [OutreachAttempt(patient_id=x["patient_id"], at=x["at"], channel=x["channel"], outcome=x["outcome"],
                            by=x["by"], note=x["note"], medication_review_id=review_id, id=x["id"]) for x in rows]


def load_review(engine: Engine, review_id: int) -> ReviewData | None:
    """Everything the review screen shows, or None when there is no such review."""
    start_mappers()
    with Session(engine, expire_on_commit=False) as session:
        review = session.scalars(
            sa.select(MedicationReview).where(r.c.id == review_id)
            .options(selectinload(MedicationReview.medications), selectinload(MedicationReview.problems))).first()
        if review is None:
            return None
        session.expunge_all()
        conn = session.connection()
        patient = patient_of(conn, review.patient_id)
        conditions, allergies = conditions_and_allergies(conn, review.patient_id)
        return ReviewData(
            review=review, patient=patient,
            chart_medications=tuple(chart_medications(conn, review.patient_id)),
            conditions=tuple(conditions), allergies=tuple(allergies),
            clinicians=tuple(_clinicians(conn, patient.practice_id)),
            attempts=tuple(review_attempts(conn, review_id)))


def draft_of(conn: Connection, patient_id: int) -> tuple[int, str, dt.date, str] | None:
    """The patient's unfinished review (id, type, date, pharmacist), if there is one."""
    row = conn.execute(sa.select(r.c.id, r.c.review_type, r.c.review_date, r.c.pharmacist)
                       .where(r.c.patient_id == patient_id, r.c.status == "draft", r.c.entered_in_error.is_(False))
                       .order_by(r.c.id.desc()).limit(1)).first()
    return tuple(row) if row else None


def latest_finished_review_id(engine: Engine, patient_id: int) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(r.c.id).where(r.c.patient_id == patient_id, r.c.status == "finished",
                                    r.c.entered_in_error.is_(False))
            .order_by(r.c.review_date.desc(), r.c.id.desc()).limit(1)).scalar()


def patient_exists(engine: Engine, patient_id: int) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(p.c.id).where(p.c.id == patient_id)).first() is not None


# --- the pharmacist's worklist ----------------------------------------------------------------------

GROUPS = ("draft", "awaiting_response", "follow_up", "summary", "due_risk", "due_medications")
DUE_GROUPS = ("due_risk", "due_medications")
GROUP_COUNTS = {"draft": "not finished", "awaiting_response": "awaiting the prescriber",
                "follow_up": "follow-ups due", "summary": "summaries not given",
                "due_risk": "high risk due for a review", "due_medications": "on 10+ medications due for a review"}
GROUP_LABELS = {
    "draft": "Review not finished",
    "awaiting_response": "Awaiting the prescriber",
    "follow_up": "Follow-up due",
    "summary": "Written summary not given",
    "due_risk": "Due for a review: high risk",
    "due_medications": "Due for a review: 10+ medications",
}
FOLLOW_UP_AHEAD_DAYS = 7  # follow-ups due within a week are listed


@dataclasses.dataclass(frozen=True)
class WorklistRow:
    group: str
    patient_id: int
    patient: str
    mrn: str
    practice: str
    review_id: int | None  # the review the row is about (None: the patient is due for one)
    day: dt.date | None  # the date the row is ordered by (sent, due, started, last review)
    why: str
    key: tuple  # where the next page starts

    @property
    def reason(self) -> str:
        return GROUP_LABELS[self.group]


_NAME = (p.c.family, p.c.given, p.c.mrn, pr.c.code.label("practice"))


def _later_review_exists():
    """A finished review of the same patient after this one (the follow-up was done): one probe
    of ix_review_patient_finished."""
    later = r.alias("later")
    return sa.exists().where(
        later.c.patient_id == r.c.patient_id, _is(later.c.status, "finished"), later.c.entered_in_error == sa.false(),
        sa.or_(later.c.review_date > r.c.review_date,
               sa.and_(later.c.review_date == r.c.review_date, later.c.id > r.c.id)))


def _current_comprehensive(patient_id, cutoff: dt.date):
    """A comprehensive review that still counts: finished, or closed because the patient
    could not be reached (the offer was made), on or after the cut-off; or one being worked on
    (a draft, listed with the drafts)."""
    return sa.exists().where(r.c.patient_id == patient_id, r.c.review_type == "comprehensive",
                             sa.or_(sa.and_(r.c.review_date >= cutoff,
                                            r.c.status.in_(("finished", "unable_to_reach"))),
                                    r.c.status == "draft"),
                             r.c.entered_in_error.is_(False))


def _distinct_medication():
    return sa.case((f.c.code != "", f.c.code), else_="name:" + sa.func.coalesce(fact_display(f).element, ""))


def _active_counts(conn: Connection, patient_ids: Sequence[int], now: dt.datetime) -> dict[int, int]:
    """The exact number of distinct active medications of each patient (for the few on a page)."""
    if not patient_ids:
        return {}
    rows = conn.execute(sa.select(f.c.patient_id, sa.func.count(sa.distinct(_distinct_medication())))
                        .where(f.c.patient_id.in_(list(patient_ids)), _ACTIVE_MEDICATION,
                               sa.or_(f.c.end_at.is_(None), f.c.end_at >= now))
                        .group_by(f.c.patient_id))
    return dict(rows.all())


def worklist_counts(engine: Engine, on: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """How many rows each group of the worklist has on ``on``. The review groups are counted from
    their partial indexes alone, less the rows of the few patients (and reviews) entered in
    error, rather than looking every row's patient up."""
    now = now or utcnow()
    counts = {}
    with engine.connect() as conn:
        # the patients entered in error, read once from their own index (none, usually: nothing
        # to take off then)
        in_error = list(conn.scalars(PATIENTS_IN_ERROR.limit(_IN_ERROR_LISTED + 1)))
        of_patients_in_error = PATIENTS_IN_ERROR if len(in_error) > _IN_ERROR_LISTED else in_error
        for group in GROUPS:
            if group in _REVIEW_COUNTS:
                where = _REVIEW_COUNTS[group](on)
                total = conn.execute(sa.select(sa.func.count()).select_from(r).where(*where)).scalar()
                if in_error:
                    total -= conn.execute(sa.select(sa.func.count()).select_from(r).where(
                        *where, r.c.patient_id.in_(of_patients_in_error))).scalar()
            elif group == "awaiting_response":
                pending = (_is(dtp.c.response, "pending"), dtp.c.recommended_on.is_not(None))
                total = conn.execute(sa.select(sa.func.count()).select_from(dtp).where(*pending)).scalar()
                set_aside = sa.select(r.c.id).where(sa.text(SET_ASIDE_WHERE))  # reviews not (or no longer) counted
                if in_error:  # and those of patients in error
                    set_aside = sa.union(set_aside, sa.select(r.c.id).where(r.c.patient_id.in_(of_patients_in_error)))
                total -= conn.execute(sa.select(sa.func.count()).select_from(dtp).where(
                    *pending, dtp.c.review_id.in_(set_aside))).scalar()
            else:
                total = conn.execute(sa.select(sa.func.count()).select_from(p)
                                     .where(*_due_where(group, on, now))).scalar()
            counts[group] = total
    return counts


# reviews whose recommendations the worklist does not list (schema: ix_review_set_aside)
SET_ASIDE_WHERE = t.REVIEW_SET_ASIDE_WHERE
_IN_ERROR_LISTED = 500  # more patients in error than this are looked up by the subquery, not listed


def _follow_up_rows(on: dt.date):
    return (_is(r.c.status, "finished"), r.c.entered_in_error == sa.false(), r.c.follow_up_date.is_not(None),
            r.c.follow_up_date <= on + dt.timedelta(days=FOLLOW_UP_AHEAD_DAYS), ~_later_review_exists())


# the review groups' conditions on the review alone (ix_review_draft, _follow_up, _summary_pending)
_REVIEW_COUNTS = {
    "draft": lambda on: (_is(r.c.status, "draft"), r.c.entered_in_error == sa.false()),
    "follow_up": _follow_up_rows,
    "summary": lambda on: (_is(r.c.review_type, "comprehensive"), _is(r.c.status, "finished"),
                           r.c.entered_in_error == sa.false(), r.c.summary_given_on.is_(None)),
}


def _due_where(group: str, on: dt.date, now: dt.datetime) -> tuple:
    """Patients due for a comprehensive review: of high risk (due_risk), or not of high risk with
    ten or more active medications (due_medications: the counts the triggers keep never
    undercount, so the few they name are counted again from the facts); and none in 12 months."""
    current = ~_current_comprehensive(p.c.id, comprehensive_review_cutoff(on))
    if group == "due_risk":
        return _HIGH_RISK, current
    count = t.patient_medication_count
    exact = (sa.select(sa.func.count(sa.distinct(_distinct_medication())))
             .where(f.c.patient_id == p.c.id, _ACTIVE_MEDICATION,
                    sa.or_(f.c.end_at.is_(None), f.c.end_at >= now)).scalar_subquery())
    return (p.c.id.in_(sa.select(count.c.patient_id).where(count.c.medications >= POLYPHARMACY_COUNT)),
            p.c.entered_in_error == sa.false(), _is(p.c.status, "active"),
            sa.or_(_TIER.is_(None), _TIER.not_in(HIGH_RISK_TIERS)),  # never tiered yet: not high risk
            exact >= POLYPHARMACY_COUNT, current)


def _is(column, value: str):
    """``column = 'value'`` with the value written out: a bound parameter would not show SQLite
    that the query stays inside a partial index's WHERE, and it would scan the table instead."""
    return column == sa.literal_column(f"'{value}'")


_TIER = sa.func.coalesce(p.c.risk_override, p.c.risk_tier)


def _group_query(group: str, on: dt.date, after: tuple | None = None, *, now: dt.datetime):
    """The group's rows in its order, from ``after`` (the last row's key) on. Each is read in the
    order of a (partial) index, so a page is the next rows of an index walk, not a sort."""
    ok = sa.and_(r.c.entered_in_error == sa.false(), p.c.entered_in_error == sa.false())
    base = r.join(p, p.c.id == r.c.patient_id).join(pr, pr.c.id == p.c.practice_id)
    if group == "draft":
        key = (r.c.started_at, r.c.id)
        query = (sa.select(r.c.id.label("review_id"), r.c.patient_id, r.c.review_type, r.c.review_date,
                           r.c.pharmacist, r.c.started_at, *_NAME, *key)
                 .select_from(base).where(_is(r.c.status, "draft"), ok))
    elif group == "awaiting_response":
        key = (dtp.c.recommended_on, dtp.c.id)
        query = (sa.select(r.c.id.label("review_id"), r.c.patient_id, dtp.c.category, dtp.c.medication,
                           dtp.c.condition, dtp.c.prescriber, dtp.c.description, *_NAME, *key)
                 # "review_id + 0": the walk starts from the pending recommendations in their order
                 # (ix_dtp_pending), not from a review index followed by a sort of every one of them
                 .select_from(dtp.join(r, r.c.id == dtp.c.review_id + 0).join(p, p.c.id == r.c.patient_id)
                              .join(pr, pr.c.id == p.c.practice_id))
                 .where(_is(dtp.c.response, "pending"), dtp.c.recommended_on.is_not(None),
                        _is(r.c.status, "finished"), ok))
    elif group == "follow_up":
        key = (r.c.follow_up_date, r.c.id)
        query = (sa.select(r.c.id.label("review_id"), r.c.patient_id, r.c.review_type, r.c.review_date,
                           *_NAME, *key)
                 .select_from(base)
                 .where(_is(r.c.status, "finished"), r.c.follow_up_date.is_not(None),
                        r.c.follow_up_date <= on + dt.timedelta(days=FOLLOW_UP_AHEAD_DAYS), ok,
                        ~_later_review_exists()))
    elif group == "summary":
        key = (r.c.review_date, r.c.id)
        query = (sa.select(r.c.id.label("review_id"), r.c.patient_id, r.c.review_type, *_NAME, *key)
                 .select_from(base)
                 .where(_is(r.c.review_type, "comprehensive"), _is(r.c.status, "finished"),
                        r.c.summary_given_on.is_(None), ok))
    elif group in DUE_GROUPS:
        last = (sa.select(sa.func.max(r.c.review_date)).where(
            r.c.patient_id == p.c.id, r.c.review_type == "comprehensive",
            r.c.status.in_(("finished", "unable_to_reach")), r.c.entered_in_error.is_(False)).scalar_subquery())
        # due_risk: complex before high (in ix_patient_high_risk_review's order), then by patient
        key = (_TIER, p.c.id) if group == "due_risk" else (p.c.id,)
        query = (sa.select(p.c.id.label("patient_id"), last.label("last_review"), _TIER.label("tier"), *_NAME, *key)
                 .select_from(p.join(pr, pr.c.id == p.c.practice_id)).where(*_due_where(group, on, now)))
    else:
        raise ValueError(f"unknown worklist group {group!r}")
    if after is not None:
        query = query.where(sa.tuple_(*key) > sa.tuple_(*(sa.literal(v) for v in after)))
    return query.order_by(*key)


def worklist_page(engine: Engine, group: str, on: dt.date, *, after: tuple | None = None,
                  limit: int = PAGE_SIZE, now: dt.datetime | None = None) -> list[WorklistRow]:
    """The next ``limit`` rows of a group after ``after`` (None: the first page)."""
    now = now or utcnow()
    with engine.connect() as conn:
        rows = list(conn.execute(_group_query(group, on, after, now=now).limit(limit)).mappings())
        counts = _active_counts(conn, [x["patient_id"] for x in rows], now) if group in DUE_GROUPS else {}
    return [_row(group, x, on, counts) for x in rows]


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _row(group: str, x, on: dt.date, counts: dict[int, int]) -> WorklistRow:
    name = f"{x['family']}, {x['given']}" if x["given"] else x["family"]
    review_id = x.get("review_id")
    if group == "draft":
        started = x["started_at"].date() if x["started_at"] else x["review_date"]
        why = f"{REVIEW_TYPE_LABELS[x['review_type']]} review started {us_date(started)} by {x['pharmacist']}"
        key, day = (x["started_at"], x["review_id"]), started
    elif group == "awaiting_response":
        sent = x["recommended_on"]
        about = " · ".join(v for v in (x["medication"], x["condition"]) if v)
        who = x["prescriber"] or "the prescriber"
        why = (f"No response from {who} for {_days((on - sent).days)} · "
               f"{CATEGORY_LABELS.get(x['category'], x['category'])}{' — ' + about if about else ''}")
        key, day = (sent, x["id"]), sent
    elif group == "follow_up":
        due = x["follow_up_date"]
        when = ("today" if due == on else f"{_days((on - due).days)} ago" if due < on
                else f"in {_days((due - on).days)}")
        why = (f"Due {when} · after the {REVIEW_TYPE_LABELS[x['review_type']].lower()} review of "
               f"{us_date(x['review_date'])}")
        key, day = (due, x["review_id"]), due
    elif group == "summary":
        status: SummaryStatus = summary_status("comprehensive", x["review_date"], None, "", on)
        why = f"{status.text} — comprehensive review of {us_date(x['review_date'])}"
        key, day = (x["review_date"], x["review_id"]), status.due
    else:
        reasons = []
        if x["tier"] in HIGH_RISK_TIERS:
            reasons.append(f"{x['tier'].capitalize()} risk")
        count = counts.get(x["patient_id"], 0)
        reasons.append(f"{count} active medication{'s' if count != 1 else ''}")
        last = x["last_review"]
        reasons.append("no comprehensive review on record" if last is None else
                       f"last comprehensive review {us_date(last)} (due again {us_date(comprehensive_review_due_on(last))})")
        why = " · ".join(reasons)
        key, day = ((x["tier"], x["patient_id"]) if group == "due_risk" else (x["patient_id"],)), last
    return WorklistRow(group, x["patient_id"], name, x["mrn"], x["practice"], review_id, day, why, key)
