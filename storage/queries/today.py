"""Today's worklist: one set-based query per kind of item, for the practices a staff member covers.

Each query starts from an index that holds only what could be on the list (the tasks of one
assignee, the overdue referrals by due time, the outreach plans by next try, the high-risk
patients of the practices, the discharges of the last days, the calls of the last 30 days),
leaves out what a mark hides (``today_mark``: done, or snoozed until a later day), counts
them all and returns the first ``limit`` of each kind in its order. The rules (what counts
as a two-way contact, the transitional-care window in business days) are the domain's; the
few rows that need a practice's calendar are checked here in Python.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain import today as rules
from domain.calls import DISPOSITION_LABELS
from domain.errors import NotFound
from domain.outreach import MAX_TRIES
from domain.patient import status_note
from domain.referral import FINAL, LABELS as REFERRAL_LABELS
from storage import schema as t
from storage.codings import fact_display
from storage.outreach_plans import PracticeCalendars, zone
from storage.through_index import through

p, pr, mk = t.patient, t.practice, t.today_mark
LIMIT = 100  # rows of each kind returned (all are counted)
URGENCY_ORDER = {"stat": 0, "urgent": 1, "routine": 2}


@dataclasses.dataclass(frozen=True)
class Practice:
    id: int
    code: str
    name: str


@dataclasses.dataclass(frozen=True)
class Staff:
    id: int
    name: str
    active: bool
    practices: tuple[Practice, ...]


@dataclasses.dataclass(frozen=True)
class TodayRow:
    kind: str  # domain.today.KIND
    record_id: int  # the task, call, discharge (encounter fact), referral, outreach plan or patient
    patient_id: int | None
    patient_name: str
    mrn: str
    practice_code: str
    reason: str
    since: dt.date  # since when the item has been waiting (its own meaning per kind, in `reason`)
    occurrence_at: dt.datetime | None = None  # which occurrence a mark applies to (domain.today.TodayMark)
    gap_id: int | None = None  # what logged outreach is about, when it is about something
    referral_id: int | None = None

    @property
    def priority(self) -> int:
        return rules.KIND[self.kind].priority

    @property
    def label(self) -> str:
        return rules.KIND[self.kind].label


@dataclasses.dataclass(frozen=True)
class KindRows:
    rows: list[TodayRow]
    total: int  # on the list today, shown or not


def staff_member(engine: Engine, name: str) -> Staff:
    """The staff member called exactly ``name`` with the practices she covers; raises
    :class:`NotFound` naming the name."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.staff_member.c.id, t.staff_member.c.name, t.staff_member.c.active)
                           .where(t.staff_member.c.name == name)).first()
        if row is None:
            raise NotFound(f"There is no staff member called {name!r} in this pod.")
        practices = conn.execute(
            sa.select(pr.c.id, pr.c.code, pr.c.name)
            .select_from(t.staff_practice.join(pr, pr.c.id == t.staff_practice.c.practice_id))
            .where(t.staff_practice.c.staff_id == row.id).order_by(pr.c.name)).all()
    return Staff(row.id, row.name, bool(row.active), tuple(Practice(*x) for x in practices))


def _unmarked(kind: str | Sequence[str], record_id, on: dt.date, *, occurrence=None, done_since=None):
    """No mark keeps this item off the list on ``on``: not done (for this occurrence, or since
    ``done_since``), not snoozed until a later day."""
    kinds = [kind] if isinstance(kind, str) else list(kind)
    done = mk.c.action == "done"
    if done_since is not None:
        done = sa.and_(done, mk.c.at >= done_since)
    conditions = [mk.c.item_kind.in_(kinds), mk.c.record_id == record_id, mk.c.entered_in_error.is_(False),
                  sa.or_(done, sa.and_(mk.c.action == "snooze", mk.c.until > on))]
    if occurrence is not None:
        conditions.append(sa.or_(mk.c.occurrence_at.is_(None), mk.c.occurrence_at == occurrence))
    return ~sa.exists().where(*conditions)


def _name(family, given) -> str:
    return f"{family}, {given}" if given else (family or "")


def _first(conn: Connection, query, *order_by, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows of ``query`` in this order, and how many there are in all (one
    pass: the count is a window over every row, taken before the limit)."""
    rows = conn.execute(query.add_columns(sa.func.count().over().label("total"))
                        .order_by(*order_by).limit(limit)).all()
    return rows, (rows[0].total if rows else 0)


@dataclasses.dataclass(frozen=True)
class _Who:
    name: str
    mrn: str
    practice_id: int | None
    created_at: dt.datetime | None = None
    status_note: str = ""  # "patient deceased 10/02/2026" for a patient no longer in care

    def with_note(self, reason: str) -> str:
        """A reason, with the patient's status when they are no longer in care (the item is
        still listed: an open referral or outreach of a deceased patient is to be closed)."""
        return f"{reason} — {self.status_note}" if self.status_note else reason


def _patients(conn: Connection, ids) -> dict[int, _Who]:
    """Names and MRNs of the patients of the rows shown (never of every row counted)."""
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    found = {}
    for x in conn.execute(sa.select(p.c.id, p.c.family, p.c.given, p.c.mrn, p.c.practice_id, p.c.created_at,
                                    p.c.status, p.c.deceased_date, p.c.entered_in_error).where(p.c.id.in_(ids))):
        note = status_note(x.status, x.deceased_date, x.entered_in_error)
        found[x.id] = _Who(_name(x.family, x.given), x.mrn, x.practice_id, x.created_at, note)
    return found


_NOBODY = _Who("", "", None)


# --- the kinds --------------------------------------------------------------------------------

def tasks(conn: Connection, staff: str, on: dt.date, codes: dict[int, str], limit: int = LIMIT) -> KindRows:
    """Her tasks due today or overdue, high priority first, then the longest overdue."""
    k = t.task
    query = (sa.select(k.c.id, k.c.title, k.c.due_date, k.c.priority, k.c.patient_id, k.c.practice_id)
             .where(k.c.assignee == staff, k.c.status.in_(("open", "in_progress")), k.c.due_date <= on,
                    k.c.entered_in_error.is_(False), _unmarked("task", k.c.id, on)))
    found, total = _first(conn, query, sa.case((k.c.priority == "high", 0), else_=1), k.c.due_date, k.c.id,
                          limit=limit)
    who = _patients(conn, (r.patient_id for r in found))
    rows = []
    for r in found:
        late = (on - r.due_date).days
        when = "due today" if late == 0 else f"overdue {late} day{'s' if late != 1 else ''}"
        high = "High-priority task" if r.priority == "high" else "Task"
        patient = who.get(r.patient_id, _NOBODY)
        rows.append(TodayRow("task", r.id, r.patient_id, patient.name, patient.mrn,
                             codes.get(patient.practice_id or r.practice_id, ""),
                             f"{high}: {r.title} — {when}", r.due_date))
    return KindRows(rows, total)


def calls(conn: Connection, practice_ids: list[int], on: dt.date, now: dt.datetime, codes: dict[int, str],
          limit: int = LIMIT) -> tuple[KindRows, KindRows]:
    """After-hours calls of the last 30 days that need a follow-up from the practice's care team:
    every one that sent the patient to the ED or 911 (first), and those the nurse flagged.
    Oldest first: the longest-waiting follow-up comes before last night's."""
    c = t.after_hours_call
    emergency = c.c.disposition.in_(rules.EMERGENCY_DISPOSITIONS)
    query = (sa.select(c.c.id, c.c.received_at, c.c.disposition, c.c.reason, c.c.caller_name, c.c.patient_id,
                       c.c.practice_id)
             .where(t.CALL_FOLLOW_UP_WHERE,  # as the partial index says it: read from there, not the rows
                    c.c.practice_id.in_(practice_ids),
                    c.c.received_at >= now - dt.timedelta(days=rules.CALL_FOLLOW_UP_DAYS), c.c.received_at <= now,
                    _unmarked(("emergency_call", "call"), c.c.id, on)))
    result = []
    calendars = PracticeCalendars(conn, practice_ids)
    for kind, which in (("emergency_call", emergency), ("call", ~emergency)):
        # the count from the index alone, the rows of the first ones only
        total = conn.execute(sa.select(sa.func.count()).select_from(query.where(which).subquery())).scalar_one()
        found = conn.execute(query.where(which).order_by(c.c.received_at, c.c.id).limit(limit)).all() \
            if total else []
        who = _patients(conn, (r.patient_id for r in found))
        rows = []
        for r in found:
            patient = who.get(r.patient_id, _NOBODY)
            name = patient.name if r.patient_id else f"{r.caller_name} (not a patient yet)"
            if kind == "emergency_call":
                what = "sent to the ED" if r.disposition == "ed_now" else "told to call 911"
            else:
                what = f"{DISPOSITION_LABELS.get(r.disposition, r.disposition).lower()}, follow-up flagged by the nurse"
            local = r.received_at.replace(tzinfo=dt.timezone.utc).astimezone(zone(calendars.zone_name(r.practice_id)))
            rows.append(TodayRow(kind, r.id, r.patient_id, name, patient.mrn, codes.get(r.practice_id, ""),
                                 f"After-hours call {local:%a %m/%d %H:%M}, {r.reason.lower()}: {what}",
                                 local.date()))
        result.append(KindRows(rows, total))
    return result[0], result[1]


def discharges(conn: Connection, practice_ids: list[int], on: dt.date, now: dt.datetime,
               codes: dict[int, str], limit: int = LIMIT) -> KindRows:
    """Patients discharged from hospital whose 2-business-day window for a two-way contact is
    still open today and who have had no such contact since; the nearest deadline first."""
    f, o, e = t.clinical_fact, t.outreach_attempt, t.time_entry
    calendars = PracticeCalendars(conn, practice_ids)
    earliest = min(_window_start(calendars.calendar(pid), on) for pid in practice_ids)
    # the discharges whose window can reach today, from the partial index alone (a fact's row is wide)
    found = conn.execute(
        sa.select(f.c.id, f.c.patient_id, f.c.end_at)
        .where(t.DISCHARGE_WHERE,  # as the partial index says it, so that it is read from there
               f.c.end_at >= dt.datetime.combine(earliest, dt.time.min) - dt.timedelta(days=1),
               f.c.end_at <= now, f.c.entered_in_error.is_(False), _unmarked("discharge", f.c.id, on))).all()
    if not found:
        return KindRows([], 0)
    patient_ids = sorted({r.patient_id for r in found})
    reached = (sa.select(sa.func.max(o.c.at)).where(o.c.patient_id == p.c.id, t.REACHED_WHERE).scalar_subquery())
    logged = (sa.select(sa.func.max(e.c.entry_date)).where(e.c.patient_id == p.c.id, t.CONTACT_TIME_WHERE)
              .scalar_subquery())
    people = {x.id: x for x in conn.execute(
        sa.select(p.c.id, p.c.family, p.c.given, p.c.mrn, p.c.practice_id, reached.label("reached_at"),
                  logged.label("logged_on"))
        .where(p.c.id.in_(patient_ids), p.c.status == "active", p.c.entered_in_error.is_(False)))}
    covered = set(practice_ids)  # checked here: in SQL it would read every patient of the practices
    rows = []
    for r in found:
        who = people.get(r.patient_id)
        if who is None or who.practice_id not in covered:
            continue
        discharged = calendars.local_day(who.practice_id, r.end_at)
        calendar = calendars.calendar(who.practice_id)
        if not rules.in_discharge_window(discharged, on, calendar):
            continue
        if (who.reached_at is not None and who.reached_at >= r.end_at) or (
                who.logged_on is not None and who.logged_on >= discharged):
            continue
        due = rules.discharge_contact_due(discharged, calendar)
        rows.append((due, r.end_at, r, who, discharged))
    rows.sort(key=lambda x: (x[0], x[1]))
    shown = rows[:limit]
    stays = dict(conn.execute(sa.select(f.c.id, fact_display(f)).where(f.c.id.in_([x[2].id for x in shown]))).all()) \
        if shown else {}
    result = []
    for due, _at, r, who, discharged in shown:
        calendar = calendars.calendar(who.practice_id)
        left = calendar.between(on, due)
        when = "due today" if due == on else \
            f"due by {due:%a %m/%d} ({left} business day{'s' if left != 1 else ''} left)"
        result.append(TodayRow(
            "discharge", r.id, r.patient_id, _name(who.family, who.given), who.mrn, codes.get(who.practice_id, ""),
            f"Discharged {discharged:%a %m/%d} ({stays.get(r.id) or 'hospital stay'}): no two-way contact yet — {when}",
            discharged))
    return KindRows(result, len(rows))


def _window_start(calendar, on: dt.date) -> dt.date:
    """The earliest discharge day whose contact window still includes ``on``."""
    day = on
    while calendar.between(day - dt.timedelta(days=1), on) <= rules.DISCHARGE_CONTACT_BUSINESS_DAYS:
        day -= dt.timedelta(days=1)
    return day

def referrals(conn: Connection, practice_ids: list[int], on: dt.date, now: dt.datetime, codes: dict[int, str],
              limit: int = LIMIT) -> KindRows:
    """Open referrals whose state has lasted longer than the pod expects (``due_at`` passed):
    stat, then urgent, then routine; the longest overdue first. A referral of a patient no
    longer in care stays listed (to be closed), saying so."""
    r = t.referral
    overdue = [r.c.practice_id.in_(practice_ids), r.c.due_at < now,
               _unmarked("referral", r.c.id, on, occurrence=r.c.state_since)]
    total = conn.execute(sa.select(sa.func.count()).select_from(r).where(*overdue)).scalar_one()
    found = []
    for urgency in URGENCY_ORDER:  # each urgency in due order from (practice, urgency, due) alone
        if len(found) >= limit:
            break
        found += conn.execute(
            sa.select(r.c.id, r.c.patient_id, r.c.specialty, r.c.urgency, r.c.state, r.c.state_since, r.c.due_at,
                      r.c.practice_id)
            .where(r.c.urgency == urgency, *overdue).order_by(r.c.due_at, r.c.id).limit(limit - len(found))).all()
    who = _patients(conn, (x.patient_id for x in found))
    rows = []
    for x in found:
        late = (now - x.due_at).days
        patient = who.get(x.patient_id, _NOBODY)
        rows.append(TodayRow(
            "referral", x.id, x.patient_id, patient.name, patient.mrn, codes.get(x.practice_id, ""),
            patient.with_note(
                f"{x.urgency.capitalize()} referral to {x.specialty}: {REFERRAL_LABELS.get(x.state, x.state)} since "
                f"{x.state_since:%m/%d/%Y}, overdue since {x.due_at:%m/%d/%Y}"
                + (f" ({late} day{'s' if late != 1 else ''})" if late else "")),
            x.due_at.date(), occurrence_at=x.state_since, referral_id=x.id))
    return KindRows(rows, total)

def outreach(conn: Connection, practice_ids: list[int], on: dt.date, codes: dict[int, str],
             limit: int = LIMIT) -> KindRows:
    """Outreach whose next try is due (domain.outreach's schedule), about an open gap, an open
    referral or the patient in general; the longest due first."""
    pl, g, r, m = t.outreach_plan, t.gap, t.referral, t.measure
    query = (sa.select(pl.c.id, pl.c.patient_id, pl.c.practice_id, pl.c.gap_id, pl.c.referral_id, pl.c.days_tried,
                       pl.c.next_try_on, pl.c.last_attempt_at, g.c.measure_id, r.c.specialty)
             .select_from(pl.outerjoin(g, g.c.id == pl.c.gap_id).outerjoin(r, r.c.id == pl.c.referral_id))
             .where(pl.c.practice_id.in_(practice_ids), pl.c.status == "in_progress", pl.c.next_try_on <= on,
                    # a gap since closed (or recomputed away) or a referral since finished needs no more tries
                    sa.or_(pl.c.gap_id.is_(None), g.c.state == "open"),
                    ~sa.and_(pl.c.gap_id.is_(None), pl.c.target.like("gap:%")),
                    sa.or_(pl.c.referral_id.is_(None), r.c.state.not_in(sorted(FINAL))),
                    _unmarked("outreach", pl.c.id, on, occurrence=pl.c.last_attempt_at)))
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    found = conn.execute(query.order_by(pl.c.next_try_on, pl.c.id).limit(limit)).all() if total else []
    who = _patients(conn, (x.patient_id for x in found))
    titles = dict(conn.execute(sa.select(m.c.id, m.c.title)).all()) if any(x.gap_id for x in found) else {}
    rows = []
    for x in found:
        if x.gap_id is not None:
            title = titles.get(x.measure_id)
            about = f"the {x.measure_id} gap ({title})" if title else f"the {x.measure_id} gap"
        elif x.referral_id is not None:
            about = f"the referral to {x.specialty}"
        else:
            about = "the patient's care"
        due = "due today" if x.next_try_on == on else f"due since {x.next_try_on:%m/%d/%Y}"
        patient = who.get(x.patient_id, _NOBODY)
        rows.append(TodayRow(
            "outreach", x.id, x.patient_id, patient.name, patient.mrn, codes.get(x.practice_id, ""),
            patient.with_note(f"Try {x.days_tried + 1} of {MAX_TRIES} about {about} {due} "
                              f"(last try {x.last_attempt_at:%m/%d/%Y})"),
            x.next_try_on, occurrence_at=x.last_attempt_at, gap_id=x.gap_id, referral_id=x.referral_id))
    return KindRows(rows, total)

def high_risk(conn: Connection, practice_ids: list[int], on: dt.date, now: dt.datetime, codes: dict[int, str],
              limit: int = LIMIT) -> KindRows:
    """High-risk patients (their tier or its override) without a two-way contact in the last
    30 days: those never contacted first (longest on the pod's list first), then the longest
    since their last contact."""
    o, e = t.outreach_attempt, t.time_entry
    # read through the practices' partial index: without statistics SQLite took the pod-wide
    # one of the pharmacist's worklist (by tier) and looked up every high-risk patient of the pod
    # to find a care manager's (43,000 rows for 1,500 at 1,000,000 patients: 70 of Today's 120 ms)
    hp = through(p, "ix_patient_high_risk")
    cutoff_at = now - dt.timedelta(days=rules.CONTACT_INTERVAL_DAYS)
    cutoff_day = on - dt.timedelta(days=rules.CONTACT_INTERVAL_DAYS)
    tier = sa.func.coalesce(hp.c.risk_override, hp.c.risk_tier)

    def contact(since_at=None, since_day=None):
        reached = sa.exists().where(o.c.patient_id == hp.c.id, t.REACHED_WHERE,
                                    *([o.c.at >= since_at] if since_at is not None else []))
        logged = sa.exists().where(e.c.patient_id == hp.c.id, t.CONTACT_TIME_WHERE,
                                   *([e.c.entry_date >= since_day] if since_day is not None else []))
        return sa.or_(reached, logged)

    # the tiers come from the partial index alone (as it says it, so that it is used)
    due = [hp.c.practice_id.in_(practice_ids), t.HIGH_RISK_WHERE, ~contact(cutoff_at, cutoff_day),
           _unmarked("high_risk", hp.c.id, on, done_since=cutoff_at)]  # done: looked after, as a contact would be
    total = conn.execute(sa.select(sa.func.count()).select_from(hp).where(*due)).scalar_one()
    if not total:
        return KindRows([], 0)
    last_reached = sa.select(sa.func.max(o.c.at)).where(o.c.patient_id == hp.c.id, t.REACHED_WHERE).scalar_subquery()
    last_logged = (sa.select(sa.func.max(e.c.entry_date)).where(e.c.patient_id == hp.c.id, t.CONTACT_TIME_WHERE)
                   .scalar_subquery())
    picked: list[tuple] = []
    for wanted in rules.HIGH_RISK_TIERS:
        room = limit - len(picked)
        if room <= 0:
            break
        this_tier = [*due, tier == wanted]
        # never contacted: in the order they came on the pod's list, read until there are enough
        never = conn.execute(sa.select(hp.c.id).where(*this_tier, ~contact()).order_by(hp.c.id).limit(room)).all()
        picked += [(x.id, wanted, None) for x in never]
        if len(never) < room:  # then the longest since the last contact (these are read whole)
            since = conn.execute(sa.select(hp.c.id, last_reached.label("reached_at"), last_logged.label("logged_on"))
                                 .where(*this_tier, contact())).all()
            ranked = sorted((max(d for d in (x.reached_at.date() if x.reached_at else None, x.logged_on) if d), x.id)
                            for x in since)
            picked += [(pid, wanted, last) for last, pid in ranked[:room - len(never)]]
    who = _patients(conn, (pid for pid, _tier, _last in picked))
    rows = []
    for pid, which, last in picked:
        patient = who[pid]
        label = which.capitalize()
        if last is None:
            reason, since = f"{label} risk: no two-way contact on record", patient.created_at.date()
        else:
            reason, since = f"{label} risk: last two-way contact {last:%m/%d/%Y} ({(on - last).days} days ago)", last
        rows.append(TodayRow("high_risk", pid, pid, patient.name, patient.mrn, codes.get(patient.practice_id, ""),
                             reason, since))
    return KindRows(rows, total)
