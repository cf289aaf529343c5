"""Risk tiers for the whole pod (or some patients), set-based: the rules are :mod:`domain.risk`.

A whole-pod run works in four statements over the pod, never a query per patient:

1. the patients' chronic condition groups, now and 90 days ago, from ``coded_fact`` — one index
   range per ICD-10-CM prefix range or SNOMED code of :data:`domain.risk.CHRONIC_GROUPS`, the few
   refuted conditions left out through their own small index;
2. their ED visits, admissions and discharges of the last 15 months, from the small index of
   acute encounters (``ix_fact_acute_encounter``);
3. each active patient's score now and 90 days ago (a temporary table);
4. the pod's high cut from the scores' histogram (:func:`domain.risk.high_cut`), then the tiers
   written in slices of patients, each slice one short transaction, so a staff member's save
   never waits behind the whole pod.

Some patients (after an import): the same statements over those patients' facts (their
codings through ``fact_coding``), tiered against the high cut of the last whole-pod run.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from domain import risk as rules
from domain.clock import today, utcnow
from storage import coded_facts
from storage import schema as t
from storage.through_index import through

SLICE = 50_000  # patients per writing transaction
_temp = sa.MetaData()

code_range = sa.Table(
    "risk_code_range", _temp,
    sa.Column("system", sa.String), sa.Column("low", sa.String), sa.Column("high", sa.String),
    # 64 * 2 ** (the group's place in CHRONIC_GROUPS) + its weight: summed once per group a patient
    # has, the total keeps the groups in its high bits and their points (at most 26) below 64
    sa.Column("grp", sa.String), sa.Column("packed", sa.Integer),
    prefixes=["TEMPORARY"],
)
PACKED_POINTS = 64
scope = sa.Table("risk_scope", _temp, sa.Column("patient_id", sa.Integer, primary_key=True), prefixes=["TEMPORARY"])
# some patients' condition codings, read first by patient (a range of the codes would walk the pod's)
condition_rows = sa.Table(
    "risk_condition_rows", _temp,
    sa.Column("patient_id", sa.Integer), sa.Column("system", sa.String), sa.Column("code", sa.String),
    sa.Column("start_at", sa.DateTime), sa.Column("end_at", sa.DateTime), sa.Column("clinical_status", sa.String),
    sa.Column("id", sa.Integer),
    prefixes=["TEMPORARY"],
)
# per patient: the groups of the conditions active now (as text), and now and 90 days ago packed
# with their points (code_range.packed)
conditions = sa.Table(
    "risk_conditions", _temp,
    sa.Column("patient_id", sa.Integer, primary_key=True),
    sa.Column("groups", sa.String), sa.Column("packed", sa.Integer), sa.Column("packed_before", sa.Integer),
    prefixes=["TEMPORARY"],
)
encounters = sa.Table(
    "risk_encounters", _temp,
    sa.Column("patient_id", sa.Integer, primary_key=True),
    sa.Column("ed", sa.Integer), sa.Column("admissions", sa.Integer),
    sa.Column("ed_before", sa.Integer), sa.Column("admissions_before", sa.Integer),
    sa.Column("discharged_at", sa.DateTime), sa.Column("discharged_before", sa.Integer),
    sa.Column("admitted_at", sa.DateTime),
    prefixes=["TEMPORARY"],
)
scored = sa.Table(
    "risk_scored", _temp,
    sa.Column("patient_id", sa.Integer, primary_key=True),
    sa.Column("score", sa.Integer), sa.Column("score_before", sa.Integer), sa.Column("groups", sa.String),
    sa.Column("ed", sa.Integer), sa.Column("admissions", sa.Integer),
    sa.Column("discharged_at", sa.DateTime), sa.Column("admitted_at", sa.DateTime),
    sa.Column("tier", sa.String),
    prefixes=["TEMPORARY"],
)


class Cancelled(Exception):
    """The user stopped the run; tiers written in finished slices stay (they are whole)."""


@dataclasses.dataclass(frozen=True)
class RiskRun:
    id: int
    as_of: dt.date
    scope: str
    high_cut: int | None
    patients: int
    tiers: dict[str, int]
    seconds: float
    patient_ids: frozenset[int] | None  # None: the whole pod


@dataclasses.dataclass(frozen=True)
class _Window:
    """The instants one score is worked out at (as of a day: its end)."""

    end: dt.datetime  # the end of the as-of day
    cutoffs: tuple[tuple[dt.date, int], ...]  # (latest birth date of that age, points)

    @classmethod
    def on(cls, day: dt.date) -> "_Window":
        return cls(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()),
                   tuple((_years_before(day, age), points) for age, points in rules.AGE_POINTS))

    @property
    def year_ago(self) -> dt.datetime:
        return self.end - dt.timedelta(days=rules.LOOK_BACK_DAYS)

    @property
    def discharge_from(self) -> dt.datetime:
        return self.end - dt.timedelta(days=rules.RECENT_DISCHARGE_DAYS)

    def age_points(self, birth_date) -> sa.ColumnElement:
        return sa.case(*((birth_date <= day, points) for day, points in self.cutoffs), else_=0)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The latest birth date of someone ``years`` old on ``day`` (domain.text.age_on: a 29 February
    birthday comes on 1 March in common years)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a common year
        return dt.date(day.year - years, 2, 28)


def _capped(value, cap: int) -> sa.ColumnElement:
    return sa.case((value > cap, cap), else_=value)


def _group_concat(conn: Connection, column) -> sa.ColumnElement:
    """The values joined by commas (a DISTINCT ``column`` takes SQLite's default separator, a comma)."""
    if conn.dialect.name == "postgresql":
        return sa.func.string_agg(column, ",")
    return sa.func.group_concat(column)


def _packed(place: int, group: rules.ChronicGroup) -> int:
    assert len(rules.CHRONIC_GROUPS) * 2 < PACKED_POINTS  # the points never reach the groups' bits
    return PACKED_POINTS * 2 ** place + group.weight


def recompute_risk(engine: Engine, *, as_of: dt.date | None = None, patient_ids: Iterable[int] | None = None,
                   progress: Callable[[int, int, str], None] | None = None,
                   cancel: Callable[[], bool] | None = None, now: dt.datetime | None = None) -> RiskRun:
    """Tier the pod (or ``patient_ids``, against the last pod run's cut) as of ``as_of`` (today);
    ``now``: the run's time as kept (the demo's reference moment)."""
    started, stamp = time.monotonic(), now or utcnow()
    as_of = as_of or today()
    ids = None if patient_ids is None else sorted({int(p) for p in patient_ids})
    report = progress or (lambda done, total, text: None)

    def check() -> None:
        if cancel is not None and cancel():
            raise Cancelled()

    with engine.connect() as conn:
        if ids is not None:
            cut = _last_pod_cut(conn)
            if cut is None:  # no pod run yet: the cut needs the whole pod
                ids = None
            elif not ids:
                return RiskRun(0, as_of, "0 patients", cut[0], 0, {}, 0.0, frozenset())
        if ids is None and conn.dialect.name == "sqlite":
            coded_facts.catch_up(conn.connection.driver_connection)  # facts written any way count
            conn.commit()
        current, before = _Window.on(as_of), _Window.on(as_of - dt.timedelta(days=rules.RISING_DAYS))
        _create_temp_tables(conn, ids)
        report(0, 4, "Reading chronic conditions…")
        _read_conditions(conn, ids, current, before)
        check()
        report(1, 4, "Reading ED visits and hospital stays…")
        _read_encounters(conn, ids, current, before)
        check()
        report(2, 4, "Scoring patients…")
        count = _score(conn, ids, current, before)
        check()
        if ids is None:
            histogram = dict(conn.execute(sa.select(scored.c.score, sa.func.count())
                                          .group_by(scored.c.score)).all())
            conn.commit()
            high_cut = rules.high_cut(histogram)
        else:
            high_cut = cut[0]
        _tier(conn, high_cut)
        report(3, 4, "Writing risk tiers…")
        run_id = _write(conn, ids, as_of, stamp, high_cut, count, check,
                        lambda done, total: report(3, 4, f"Writing risk tiers… slice {done} of {total}"))
        tiers = dict(conn.execute(sa.select(scored.c.tier, sa.func.count()).group_by(scored.c.tier)).all())
        conn.commit()
        seconds = time.monotonic() - started
        with conn.begin():
            conn.execute(sa.update(t.risk_run).where(t.risk_run.c.id == run_id).values(tiers=tiers))
        _drop_temp_tables(conn)
        conn.commit()
    report(4, 4, "Risk tiers recomputed.")
    return RiskRun(run_id, as_of, "pod" if ids is None else f"{len(ids)} patients", high_cut, count, tiers,
                   seconds, None if ids is None else frozenset(ids))


def _last_pod_cut(conn: Connection) -> tuple[int | None] | None:
    row = conn.execute(sa.select(t.risk_run.c.high_cut).where(t.risk_run.c.scope == "pod")
                       .order_by(t.risk_run.c.id.desc()).limit(1)).first()
    conn.commit()
    return None if row is None else (row[0],)


def _create_temp_tables(conn: Connection, ids: list[int] | None) -> None:
    with conn.begin():
        _temp.drop_all(conn, checkfirst=True)
        _temp.create_all(conn)
        ranges = []
        for place, group in enumerate(rules.CHRONIC_GROUPS):
            for system in rules.ICD10_SYSTEMS:
                ranges += [dict(system=system, low=low, high=high, grp=group.key, packed=_packed(place, group))
                           for low, high in group.icd10_ranges()]
            ranges += [dict(system=rules.SNOMED_SYSTEM, low=code, high=code, grp=group.key,
                            packed=_packed(place, group)) for code in group.snomed]
        conn.execute(code_range.insert(), ranges)
        if ids is not None:
            for start in range(0, len(ids), 10_000):
                conn.execute(scope.insert(), [{"patient_id": p} for p in ids[start:start + 10_000]])


def _drop_temp_tables(conn: Connection) -> None:
    with conn.begin():
        _temp.drop_all(conn, checkfirst=True)


def _condition_rows(conn: Connection, ids: list[int] | None):
    """The condition codings to match, as (patient_id, system, code, start_at, end_at,
    clinical_status, fact id): the whole pod from coded_fact (in code order, one index range per
    code range), some patients' from their facts, gathered first patient by patient."""
    if ids is None:
        cf, n = t.coded_fact, t.coding_concept
        return (sa.select(cf.c.patient_id, n.c.system, n.c.code, cf.c.start_at, cf.c.end_at,
                          cf.c.clinical_status, cf.c.id)
                .select_from(cf.join(n, n.c.id == cf.c.concept_id))
                .where(cf.c.kind == "condition", cf.c.entered_in_error.is_(False))).subquery("rows")
    f, c, n = t.clinical_fact, t.fact_coding, t.coding_concept
    for start in range(0, len(ids), 5000):  # the ids themselves: a join with the scope table walks every condition
        conn.execute(condition_rows.insert().from_select(
            ["patient_id", "system", "code", "start_at", "end_at", "clinical_status", "id"],
            sa.select(f.c.patient_id, n.c.system, n.c.code, f.c.start_at, f.c.end_at, f.c.clinical_status, f.c.id)
            .select_from(f.join(c, c.c.fact_id == f.c.id).join(n, n.c.id == c.c.concept_id))
            .where(f.c.patient_id.in_(ids[start:start + 5000]), f.c.kind == "condition",
                   f.c.entered_in_error.is_(False), c.c.role == "code")))
    return condition_rows


def _read_conditions(conn: Connection, ids: list[int] | None, now: _Window, before: _Window) -> None:
    with conn.begin():
        rows = _condition_rows(conn, ids)
    active = rows.c.clinical_status.in_(rules.ACTIVE_CLINICAL_STATUSES)
    # active now: its status says so and it has not abated; 90 days ago: it had begun, and it
    # either is still active or abated after that day
    now_active = sa.and_(sa.or_(rows.c.start_at.is_(None), rows.c.start_at < now.end), active,
                         sa.or_(rows.c.end_at.is_(None), rows.c.end_at >= now.end))
    before_active = sa.and_(sa.or_(rows.c.start_at.is_(None), rows.c.start_at < before.end),
                            sa.or_(sa.and_(rows.c.end_at.is_(None), active), rows.c.end_at >= before.end))
    refuted = sa.select(through(t.clinical_fact, "ix_fact_refuted_condition").c.id).where(sa.text(t.REFUTED_CONDITIONS))
    # one pass, grouped by patient: a group counted once however many of its codings match
    r = code_range.c
    matched = (sa.select(rows.c.patient_id, _group_concat(conn, sa.case((now_active, r.grp)).distinct()),
                         sa.func.sum(sa.case((now_active, r.packed)).distinct()),
                         sa.func.sum(sa.case((before_active, r.packed)).distinct()))
               .select_from(code_range.join(rows, sa.and_(rows.c.system == r.system, rows.c.code >= r.low,
                                                          rows.c.code <= r.high)))
               .where(sa.or_(now_active, before_active), rows.c.id.not_in(refuted))
               .group_by(rows.c.patient_id))
    with conn.begin():
        conn.execute(conditions.insert().from_select(["patient_id", "groups", "packed", "packed_before"], matched))


def _read_encounters(conn: Connection, ids: list[int] | None, now: _Window, before: _Window) -> None:
    f = t.clinical_fact if ids is not None else through(t.clinical_fact, "ix_fact_acute_encounter")
    ed, stay = f.c.encounter_class.in_(rules.ED_CLASSES), f.c.encounter_class.in_(rules.ADMISSION_CLASSES)

    def count(kind, window: _Window) -> sa.ColumnElement:
        return sa.func.sum(sa.case((sa.and_(kind, f.c.start_at >= window.year_ago, f.c.start_at < window.end), 1),
                                   else_=0))

    def discharged(window: _Window) -> sa.ColumnElement:
        return sa.and_(stay, f.c.end_at >= window.discharge_from, f.c.end_at < window.end)

    rising_from = now.end - dt.timedelta(days=rules.RISING_DAYS)
    query = (sa.select(f.c.patient_id, count(ed, now), count(stay, now), count(ed, before), count(stay, before),
                       sa.func.max(sa.case((discharged(now), f.c.end_at))),
                       sa.func.max(sa.case((discharged(before), 1), else_=0)),
                       sa.func.max(sa.case((sa.and_(stay, f.c.start_at >= rising_from, f.c.start_at < now.end),
                                            f.c.start_at))))
             .where(sa.text(t.ACUTE_ENCOUNTERS), f.c.start_at >= before.year_ago - dt.timedelta(days=60),
                    f.c.start_at < now.end, f.c.status.not_in(("cancelled", "entered-in-error")))
             .group_by(f.c.patient_id))
    if ids is not None:
        query = query.where(f.c.patient_id.in_(sa.select(scope.c.patient_id)))
    with conn.begin():
        conn.execute(encounters.insert().from_select(
            ["patient_id", "ed", "admissions", "ed_before", "admissions_before", "discharged_at",
             "discharged_before", "admitted_at"], query))


def _score(conn: Connection, ids: list[int] | None, now: _Window, before: _Window) -> int:
    p, c, e = t.patient, conditions, encounters

    def zero(column) -> sa.ColumnElement:
        return sa.func.coalesce(column, 0)

    def utilisation(ed_visits, admissions) -> sa.ColumnElement:
        return (_capped(zero(ed_visits), rules.ED_POINTS_MAX)
                + _capped(zero(admissions) * rules.ADMISSION_POINTS, rules.ADMISSION_POINTS_MAX))

    score = (zero(c.c.packed) % PACKED_POINTS + utilisation(e.c.ed, e.c.admissions) + now.age_points(p.c.birth_date)
             + sa.case((e.c.discharged_at.is_not(None), rules.DISCHARGE_POINTS), else_=0))
    score_before = (zero(c.c.packed_before) % PACKED_POINTS + utilisation(e.c.ed_before, e.c.admissions_before)
                    + before.age_points(p.c.birth_date)
                    + sa.case((e.c.discharged_before == 1, rules.DISCHARGE_POINTS), else_=0))
    query = (sa.select(p.c.id, score, score_before, sa.func.coalesce(c.c.groups, ""), zero(e.c.ed),
                       zero(e.c.admissions), e.c.discharged_at, e.c.admitted_at)
             .select_from(p.outerjoin(c, c.c.patient_id == p.c.id).outerjoin(e, e.c.patient_id == p.c.id))
             .where(p.c.status == "active", p.c.entered_in_error.is_(False)))
    if ids is not None:
        query = query.where(p.c.id.in_(sa.select(scope.c.patient_id)))
    with conn.begin():
        conn.execute(scored.insert().from_select(
            ["patient_id", "score", "score_before", "groups", "ed", "admissions", "discharged_at", "admitted_at"],
            query))
        return conn.execute(sa.select(sa.func.count()).select_from(scored)).scalar()


def _tier(conn: Connection, high_cut: int | None) -> None:
    s = scored.c
    high = sa.false() if high_cut is None else s.score >= high_cut
    with conn.begin():
        conn.execute(scored.update().values(tier=sa.case(
            (high, "high"),
            (sa.or_(s.score - s.score_before >= rules.RISING_POINTS, s.admitted_at.is_not(None)), "rising"),
            (s.score >= rules.MODERATE_SCORE, "moderate"),
            else_="low")))


def _write(conn: Connection, ids: list[int] | None, as_of: dt.date, now: dt.datetime, high_cut: int | None,
           count: int, check: Callable[[], None], progress: Callable[[int, int], None]) -> int:
    """The run, then the scores and tiers slice by slice (whole pod: every patient id range)."""
    with conn.begin():
        run_id = conn.execute(t.risk_run.insert().values(
            as_of=as_of, computed_at=now, scope="pod" if ids is None else f"{len(ids)} patients",
            high_cut=high_cut, patients=count, tiers={})).inserted_primary_key[0]
    if ids is None:
        low, high = conn.execute(sa.select(sa.func.min(t.patient.c.id), sa.func.max(t.patient.c.id))).one()
        conn.commit()
        bounds = [] if low is None else [(start, start + SLICE - 1) for start in range(low, high + 1, SLICE)]
        in_slice = lambda column, a, b: column.between(a, b)  # noqa: E731
    else:
        bounds = [(i, i + SLICE) for i in range(0, len(ids), SLICE)]
        in_slice = lambda column, a, b: column.in_(ids[a:b])  # noqa: E731
    s, r, p = scored, t.risk_score, t.patient
    for index, (a, b) in enumerate(bounds, start=1):
        check()
        new_tier = sa.select(s.c.tier).where(s.c.patient_id == p.c.id).scalar_subquery()
        with conn.begin():
            conn.execute(r.delete().where(in_slice(r.c.patient_id, a, b)))
            conn.execute(r.insert().from_select(
                ["patient_id", "tier", "score", "score_before", "chronic_groups", "ed_visits", "admissions",
                 "discharged_at", "admitted_at", "run_id"],
                sa.select(s.c.patient_id, s.c.tier, s.c.score, s.c.score_before, s.c.groups, s.c.ed,
                          s.c.admissions, s.c.discharged_at, s.c.admitted_at, sa.literal(run_id))
                .where(in_slice(s.c.patient_id, a, b))))
            conn.execute(p.update().where(in_slice(p.c.id, a, b), p.c.risk_tier.is_distinct_from(new_tier))
                         .values(risk_tier=new_tier))
        progress(index, len(bounds))
    return run_id
