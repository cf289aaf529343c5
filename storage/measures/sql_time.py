"""CQL interval semantics as SQL over ``clinical_fact`` (alias ``f``).

Each bound of a fact's interval is read three ways: its local calendar day as written in the
source (``start_raw``/``end_raw``; cql-execution compares "day of" without shifting offsets),
its UTC instant (``start_at``/``end_at``; millisecond comparisons normalise offsets), and
whether it only has day precision (a date-only value compared with an instant is unknown when
the days are equal, as CQL says). Unknown gives NULL, which a WHERE treats as false.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.errors import DomainError
from domain.measures.period import MeasurementPeriod, shift

MAX_DAY, MIN_DAY = "9999-12-31", "0001-01-01"
MAX_AT, MIN_AT = "9999-12-31 23:59:59.999999", "0001-01-01 00:00:00.000000"
_DATE_GLOB = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'"
ACTIVE_CLINICAL = "('active', 'recurrence', 'relapse')"
# Resources whose date may be a Period even when only its start is given (then it never ends).
PERIOD_PATHS = {"observation": "$.effectivePeriod", "procedure": "$.performedPeriod"}


@dataclasses.dataclass(frozen=True)
class Bound:
    day: str      # SQL text: 'YYYY-MM-DD' or NULL when unknown
    at: str       # SQL text: naive UTC instant text or NULL
    is_date: str  # SQL boolean: the value has only day precision


def _raw_bound(raw: str, at: str) -> Bound:
    day = (f"(CASE WHEN {raw} GLOB {_DATE_GLOB} THEN substr({raw}, 1, 10) "
           f"WHEN {raw} = '' THEN date({at}) END)")
    return Bound(day, at, f"(length({raw}) = 10)")


def _const(day: str, at: str) -> Bound:
    return Bound(f"'{day}'", f"'{at}'", "0")


def _coalesce(first: Bound, second: Bound) -> Bound:
    return Bound(f"COALESCE({first.day}, {second.day})", f"COALESCE({first.at}, {second.at})",
                 f"(CASE WHEN {first.day} IS NOT NULL THEN {first.is_date} ELSE {second.is_date} END)")


def _when(cond: str, yes: Bound, no: Bound) -> Bound:
    return Bound(f"(CASE WHEN {cond} THEN {yes.day} ELSE {no.day} END)",
                 f"(CASE WHEN {cond} THEN {yes.at} ELSE {no.at} END)",
                 f"(CASE WHEN {cond} THEN {yes.is_date} ELSE {no.is_date} END)")


START = _raw_bound("f.start_raw", "f.start_at")
END = _raw_bound("f.end_raw", "f.end_at")
# coded_fact keeps each bound's day and precision worked out (as START and END say) once per row
CODED_START = Bound("f.start_day", "f.start_at", "f.start_is_date")
CODED_END = Bound("f.end_day", "f.end_at", "f.end_is_date")
# the source gave an end date (of a fact row; of a coded_fact row)
END_GIVEN, CODED_END_GIVEN = "(f.end_raw <> '')", "f.end_given"
NO_BOUND = Bound("NULL", "NULL", "0")


def fact_interval(resource: str, of: str, coded: bool = False) -> tuple[Bound, Bound]:
    """(low, high) of a fact's interval: its Period / dateTime, or a condition's prevalence.
    ``coded``: ``f`` is a ``coded_fact`` row, which says whether the date is a Period."""
    start, end = (CODED_START, CODED_END) if coded else (START, END)
    end_given = CODED_END_GIVEN if coded else END_GIVEN
    if of == "prevalence":
        # QICoreCommon.prevalenceInterval: [onset, abatement], and an active condition without
        # abatement never ends. A condition that is not active and has no abatement has no
        # interval at all (see prevalence_known): what is given here for it is the interval it
        # would have if it were active, which says whether it would count then (see
        # storage.measures.criteria: a condition the measure does not count is explained).
        low = _coalesce(start, _const(MIN_DAY, MIN_AT))
        return low, _coalesce(end, _const(MAX_DAY, MAX_AT))
    if of == "issued":
        point = Bound("date(f.recorded_at)", "f.recorded_at", "0")
        return point, point
    if resource == "encounter":
        return start, _when(end_given, end, _const(MAX_DAY, MAX_AT))
    if resource in PERIOD_PATHS:
        open_period = "f.open_period" if coded else f"json_type(f.resource_json, '{PERIOD_PATHS[resource]}') IS NOT NULL"
        high = _when(end_given, end, _when(open_period, _const(MAX_DAY, MAX_AT), start))
        return start, high
    return start, _when(end_given, end, start)


def prevalence_known(coded: bool = False) -> str:
    """SQL: the condition ``f`` has a prevalence interval.

    QICoreCommon.prevalenceInterval() gives a condition that is not active (recurrence,
    relapse) and has no abatement date no interval at all, not one with an unknown end: its
    "else" branch is a query over the abatement date, and a query whose source is null is null
    in CQL. Every timing rule on it is then not true, start-only ones ("starts on or before the
    end of the period") included: an inactive, resolved or status-less diagnosis without an end
    date neither puts a patient in a population nor excludes them (cql-execution 3.3.2, the
    reference engine, evaluates it so). An abatement the engine cannot read as a date
    (abatementString, an age) is no abatement date either."""
    end = CODED_END if coded else END
    return f"(f.clinical_status IN {ACTIVE_CLINICAL} OR {end.day} IS NOT NULL)"


def point_of(resource: str, of: str, coded: bool = False) -> Bound:
    """The single instant a rule looks at: latest(), earliest() or the start."""
    low, high = fact_interval(resource, "interval" if of in ("latest", "earliest", "start") else of, coded)
    if of == "latest":  # the end if the interval has one, else its start
        return _when(f"{high.day} IS NOT NULL AND {high.day} <> '{MAX_DAY}'", high, low)
    if of == "earliest":
        return _when(f"{low.day} IS NOT NULL AND {low.day} <> '{MIN_DAY}'", low, high)
    return low


def compare(bound: Bound, op: str, at: str, day: str) -> str:
    """``bound op instant`` at millisecond precision; a date-only bound on the same day is unknown."""
    strict = {"<=": "<", ">=": ">", "<": "<", ">": ">"}[op]
    return (f"(CASE WHEN {bound.is_date} THEN (CASE WHEN {bound.day} {strict} '{day}' THEN 1 "
            f"WHEN {bound.day} = '{day}' THEN NULL ELSE 0 END) ELSE {bound.at} {op} '{at}' END)")


@dataclasses.dataclass(frozen=True)
class Window:
    """A closed (or right-open) interval of days/instants; bounds are SQL expressions."""
    lo_day: str
    hi_day: str
    lo_at: str
    hi_at: str
    hi_open: bool = False
    constant: bool = True


def _anchor_day(spec: dict, period: MeasurementPeriod) -> dt.date:
    anchor = spec.get("anchor", "period_start")
    if anchor == "period_start":
        base = period.start
    elif anchor == "period_end":
        base = period.end
    else:
        raise DomainError(f"Unknown window anchor {anchor!r}")
    day = shift(base, {k: v for k, v in spec.items() if k in ("years", "months", "days")})
    if "month_day" in spec:
        month, dom = spec["month_day"]
        day = dt.date(day.year, int(month), int(dom))
    return day


def window(spec: dict | None, period: MeasurementPeriod) -> Window:
    """The window of a timing rule; default: the measurement period. Anchors on the period
    give constants; anchors on the birth date give per-patient SQL (alias ``p``)."""
    spec = spec or {}
    frm = spec.get("from", {"anchor": "period_start"})
    to = spec.get("to", {"anchor": "period_end"})
    if frm.get("anchor") == "birth" or to.get("anchor") == "birth":
        return Window(_birth_sql(frm), _birth_sql(to), "NULL", "NULL", bool(spec.get("to_open")), False)
    lo, hi = _anchor_day(frm, period), _anchor_day(to, period)
    offset = dt.timedelta(hours=period.tz_offset_hours)
    lo_at = dt.datetime.combine(lo, dt.time()) - offset
    if to.get("anchor") == "period_end" and not spec.get("to_open"):
        hi_at = dt.datetime.combine(hi, dt.time(23, 59, 59, 999000)) - offset
    else:
        hi_at = dt.datetime.combine(hi, dt.time()) - offset
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return Window(f"'{lo.isoformat()}'", f"'{hi.isoformat()}'", f"'{lo_at.strftime(fmt)}'",
                  f"'{hi_at.strftime(fmt)}'", bool(spec.get("to_open")))


def _birth_sql(spec: dict) -> str:
    if spec.get("anchor") != "birth":
        raise DomainError("A window anchored on the birth date must have both ends on it.")
    return (f"cql_add_date(p.birth_date, {int(spec.get('years', 0))}, {int(spec.get('months', 0))}, "
            f"{int(spec.get('days', 0))})")


def _unquote(text: str) -> str:
    return text.strip("'")


def relation(resource: str, of: str, rel: str, win: Window, coded: bool = False) -> str:
    """The SQL predicate of one timing rule."""
    if of in ("latest", "earliest", "start", "issued") or rel in ("in_day", "in"):
        p = point_of(resource, of, coded) if of != "issued" else fact_interval(resource, "issued")[0]
        if rel in ("in_day", "during_day"):
            upper = "<" if win.hi_open else "<="
            return f"({p.day} >= {win.lo_day} AND {p.day} {upper} {win.hi_day})"
        if rel in ("in", "during"):
            return (f"({compare(p, '>=', _unquote(win.lo_at), _unquote(win.lo_day))} AND "
                    f"{compare(p, '<' if win.hi_open else '<=', _unquote(win.hi_at), _unquote(win.hi_day))})")
        raise DomainError(f"Relation {rel!r} does not apply to a single date ({of}).")
    low, high = fact_interval(resource, of, coded)
    # (a condition's prevalence is never NULL here: a condition without one is left out by
    # prevalence_known, which the caller adds)
    if rel == "during_day":
        return f"({low.day} >= {win.lo_day} AND {high.day} <= {win.hi_day})"
    if rel == "overlaps_day":
        # a bound that is unknown (a Period with one end) lies somewhere between the other
        # bound and the end of time, as cql-execution reads an open null boundary: the known
        # bound decides where that is enough, else it is unknown
        return (f"(COALESCE({low.day}, {high.day}) <= {win.hi_day} AND "
                f"COALESCE({high.day}, {low.day}) >= {win.lo_day})")
    if rel == "overlaps":
        lo_known, hi_known = _coalesce(low, high), _coalesce(high, low)
        upper = "<" if win.hi_open else "<="
        return (f"({compare(lo_known, upper, _unquote(win.hi_at), _unquote(win.hi_day))} AND "
                f"{compare(hi_known, '>=', _unquote(win.lo_at), _unquote(win.lo_day))})")
    if rel == "ends_during_day":
        return f"({high.day} >= {win.lo_day} AND {high.day} <= {win.hi_day})"
    if rel == "starts_during_day":
        return f"({low.day} >= {win.lo_day} AND {low.day} <= {win.hi_day})"
    if rel == "ends_on_or_before":
        return compare(high, "<=", _unquote(win.hi_at), _unquote(win.hi_day))
    if rel == "ends_on_or_before_day":
        return f"({high.day} <= {win.hi_day})"
    if rel == "starts_on_or_before":
        return compare(low, "<=", _unquote(win.hi_at), _unquote(win.hi_day))
    if rel == "starts_on_or_before_day":
        return f"({low.day} <= {win.hi_day})"
    raise DomainError(f"Unknown timing relation {rel!r}")
