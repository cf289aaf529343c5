"""The referral board (a column per state, overdue first), its table view a page at a time,
the filters' choices, and loop closure per practice.

Open referrals are read in the order of ``referral.due_at`` (when their state will have lasted
as long as the pod expects; storage.referral_due keeps it), so "overdue first" is an index
walk, and a practice's referrals are read by ``referral.practice_id`` without the patients.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain.referral import FINAL, LABELS, STATES
from storage import schema as t
from storage.measures.peer_rates import PracticeRate as EngineRate
from storage.measures.peer_rates import ranked_among_peers  # the measures' ranking rule (ties share a rank)
from storage.queries.practices import practice_codes

r, p, pr = t.referral, t.patient, t.practice
CARDS_PER_COLUMN = 60
PAGE_SIZE = 200
AGES = {"0-30": (0, 30), "31-90": (31, 90), "91+": (91, None)}  # days since ordered
OPEN_STATES = tuple(s for s in STATES if s not in FINAL)


@dataclasses.dataclass(frozen=True)
class ReferralFilter:
    practice_id: int | None = None
    specialty: str | None = None
    state: str | None = None  # one state; None: every open state (and the final ones when show_closed)
    urgency: str | None = None
    age: str | None = None  # a key of AGES
    show_closed: bool = False

    def states(self) -> tuple[str, ...]:
        if self.state:
            return (self.state,)
        return STATES if self.show_closed else OPEN_STATES


@dataclasses.dataclass(frozen=True)
class ReferralCard:
    id: int
    patient_id: int
    patient_name: str
    mrn: str
    practice_code: str
    specialty: str
    specialist: str
    reason: str
    urgency: str
    state: str
    state_since: dt.datetime
    ordered_at: dt.datetime
    due_at: dt.datetime | None
    appointment_at: dt.datetime | None

    def is_overdue(self, now: dt.datetime) -> bool:
        """The domain's rule, read from the stored due time: overdue once it has passed."""
        return self.due_at is not None and now > self.due_at

    def overdue_days(self, now: dt.datetime) -> int:
        return (now - self.due_at).days if self.is_overdue(now) else 0


@dataclasses.dataclass(frozen=True)
class BoardColumn:
    state: str
    label: str
    total: int
    overdue: int
    cards: list[ReferralCard]  # the first CARDS_PER_COLUMN, overdue first


def _conditions(flt: ReferralFilter, now: dt.datetime) -> list:
    where = [r.c.entered_in_error.is_(False)]
    if flt.practice_id is not None:
        where.append(r.c.practice_id == flt.practice_id)
    if flt.specialty:
        where.append(r.c.specialty == flt.specialty)
    if flt.urgency:
        where.append(r.c.urgency == flt.urgency)
    if flt.age in AGES:
        low, high = AGES[flt.age]
        where.append(r.c.ordered_at <= now - dt.timedelta(days=low))
        if high is not None:
            where.append(r.c.ordered_at > now - dt.timedelta(days=high + 1))
    return where


_CARD_COLUMNS = (r.c.id, r.c.patient_id, r.c.practice_id, r.c.specialty, r.c.specialist, r.c.reason, r.c.urgency,
                 r.c.state, r.c.state_since, r.c.ordered_at, r.c.due_at, r.c.appointment_at)


def _cards(conn: Connection, rows) -> list[ReferralCard]:
    ids = sorted({x.patient_id for x in rows})
    people = {x.id: x for x in conn.execute(sa.select(p.c.id, p.c.family, p.c.given, p.c.mrn)
                                            .where(p.c.id.in_(ids)))} if ids else {}
    codes = practice_codes(conn)
    cards = []
    for x in rows:
        who = people.get(x.patient_id)
        name = (f"{who.family}, {who.given}" if who.given else who.family) if who else ""
        cards.append(ReferralCard(x.id, x.patient_id, name, who.mrn if who else "", codes.get(x.practice_id, ""),
                                  x.specialty, x.specialist, x.reason, x.urgency, x.state, x.state_since,
                                  x.ordered_at, x.due_at, x.appointment_at))
    return cards


def _order(state: str):
    """Overdue first (the longest overdue first, then the nearest due); a final state, which is
    never due, newest first."""
    return (r.c.state_since.desc(), r.c.id.desc()) if state in FINAL else (r.c.due_at, r.c.id)


def board(engine: Engine, flt: ReferralFilter, now: dt.datetime, per_column: int = CARDS_PER_COLUMN
          ) -> list[BoardColumn]:
    """A column per state of the filter: how many, how many overdue, the first cards overdue-first."""
    states = flt.states()
    where = _conditions(flt, now)
    with engine.connect() as conn:
        counts = {state: (total, overdue or 0) for state, total, overdue in conn.execute(
            sa.select(r.c.state, sa.func.count(), sa.func.sum(sa.case((r.c.due_at < now, 1), else_=0)))
            .where(r.c.state.in_(states), *where).group_by(r.c.state))}
        columns = []
        for state in states:
            total, overdue = counts.get(state, (0, 0))
            rows = conn.execute(sa.select(*_CARD_COLUMNS).where(r.c.state == state, *where)
                                .order_by(*_order(state)).limit(per_column)).all() if total else []
            columns.append(BoardColumn(state, LABELS[state], total, overdue, _cards(conn, rows)))
    return columns


def table_page(engine: Engine, flt: ReferralFilter, now: dt.datetime, after: tuple | None = None,
               limit: int = PAGE_SIZE) -> tuple[list[ReferralCard], tuple | None]:
    """One page of the table view: open referrals overdue first (by due time), then the final
    ones newest first. ``after`` is the previous page's last key; returns the rows and the key
    for the next page (None at the end)."""
    states = flt.states()
    open_states = [s for s in states if s not in FINAL]
    final_states = [s for s in states if s in FINAL]
    where = _conditions(flt, now)
    rows: list = []
    next_after = None
    with engine.connect() as conn:
        if open_states and (after is None or after[0] == "open"):
            query = sa.select(*_CARD_COLUMNS).where(r.c.state.in_(open_states), r.c.due_at.is_not(None), *where)
            if after is not None:
                query = query.where(sa.tuple_(r.c.due_at, r.c.id) > sa.tuple_(sa.literal(after[1], sa.DateTime),
                                                                           after[2]))
            rows = conn.execute(query.order_by(r.c.due_at, r.c.id).limit(limit)).all()
            if len(rows) == limit:
                next_after = ("open", rows[-1].due_at, rows[-1].id)
            after = None
        if next_after is None and final_states and len(rows) < limit:
            query = sa.select(*_CARD_COLUMNS).where(r.c.state.in_(final_states), *where)
            if after is not None and after[0] == "final":
                query = query.where(sa.tuple_(r.c.state_since, r.c.id) < sa.tuple_(
                    sa.literal(after[1], sa.DateTime), after[2]))
            more = conn.execute(query.order_by(r.c.state_since.desc(), r.c.id.desc()).limit(limit - len(rows))).all()
            rows += more
            if more and len(rows) == limit:
                next_after = ("final", more[-1].state_since, more[-1].id)
        return _cards(conn, rows), next_after


def specialties(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.select(r.c.specialty).distinct().order_by(r.c.specialty)))


# --- loop closure per practice (after CMS50 / MIPS 374) ----------------------------------------

LOOP_CLOSURE_MONTHS = 10  # a referral ordered in the period's first ten months has time for its report


def referral_window(period_start: dt.date, period_end: dt.date) -> tuple[dt.date, dt.date]:
    """The days whose referrals are counted: the period's first ten months (CMS50 counts
    referrals made before 1 November of a calendar year), never past the period's end."""
    month = period_start.month - 1 + LOOP_CLOSURE_MONTHS
    end = dt.date(period_start.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return period_start, min(end, period_end)


def loop_closure(engine: Engine, period_start: dt.date, period_end: dt.date) -> list[EngineRate]:
    """Per practice, of the patients whose first referral of the period was ordered in its first
    ten months, how many had the specialist's report back by the period's end; ranked (1 =
    best) with the pod median and best, as the measures are (the holding place left out, a
    practice below the pod's minimum denominator not ranked)."""
    first_day, last_day = referral_window(period_start, period_end)
    start = dt.datetime.combine(first_day, dt.time.min)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min)
    period_stop = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min)
    e = t.referral_event
    first = (sa.select(r.c.id, r.c.patient_id, r.c.practice_id, sa.func.row_number().over(
        partition_by=r.c.patient_id, order_by=(r.c.ordered_at, r.c.id)).label("n"))
        .where(r.c.entered_in_error.is_(False), r.c.ordered_at >= start,
               r.c.ordered_at < dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time.min))
        .subquery())
    reported = sa.exists().where(e.c.referral_id == first.c.id, e.c.to_state == "report_received",
                                 e.c.at < period_stop)
    # the patient's first referral of the period must itself fall in the first ten months
    counted = (sa.select(first.c.practice_id, sa.func.count(), sa.func.sum(sa.case((reported, 1), else_=0)))
               .select_from(first.join(r, r.c.id == first.c.id))
               .where(first.c.n == 1, r.c.ordered_at < end).group_by(first.c.practice_id))
    with engine.connect() as conn:
        rows = [(pid, int(num or 0), int(den), 0, 0) for pid, den, num in conn.execute(counted) if pid is not None]
        return ranked_among_peers(conn, rows, inverse=False)



# --- the letter to the specialist -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PracticeParty:
    code: str
    name: str
    address: str
    phone: str
    npi: str


@dataclasses.dataclass(frozen=True)
class ClinicianParty:
    name: str  # "Ravi Patel, MD"
    npi: str


def letter_parties(conn: Connection, patient_id: int, clinician_id: int | None
                   ) -> tuple[PracticeParty, ClinicianParty | None]:
    """The referring practice (the patient's) and clinician of a referral letter."""
    practice = conn.execute(sa.select(pr.c.code, pr.c.name, pr.c.address, pr.c.phone, pr.c.npi)
                            .select_from(p.join(pr, pr.c.id == p.c.practice_id))
                            .where(p.c.id == patient_id)).one()
    clinician = None
    if clinician_id is not None:
        c = t.clinician
        row = conn.execute(sa.select(c.c.given, c.c.family, c.c.credentials, c.c.npi)
                           .where(c.c.id == clinician_id)).first()
        if row is not None:
            name = " ".join(x for x in (row.given, row.family) if x)
            clinician = ClinicianParty(f"{name}, {row.credentials}" if row.credentials else name, row.npi or "")
    return PracticeParty(*practice), clinician


def practice_clinicians(conn: Connection, patient_id: int) -> tuple[list[tuple[int, str]], int | None]:
    """The active clinicians of the patient's practice (id, "Ravi Patel, MD") and the patient's PCP id."""
    c = t.clinician
    practice_id, pcp_id = conn.execute(sa.select(p.c.practice_id, p.c.pcp_id).where(p.c.id == patient_id)).one()
    rows = conn.execute(sa.select(c.c.id, c.c.given, c.c.family, c.c.credentials)
                        .where(c.c.practice_id == practice_id, c.c.active.is_(True))
                        .order_by(c.c.family, c.c.given)).all()
    names = []
    for row in rows:
        name = " ".join(x for x in (row.given, row.family) if x)
        names.append((row.id, f"{name}, {row.credentials}" if row.credentials else name))
    return names, pcp_id


def due_times(engine: Engine, patient_id: int) -> dict[int, dt.datetime | None]:
    """When each of the patient's referrals is due to move on (``referral.due_at``)."""
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(r.c.id, r.c.due_at).where(r.c.patient_id == patient_id)).all())
