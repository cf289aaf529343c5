"""Read models for the Gaps worklist and the chart's Gaps tab.

The worklist can hold hundreds of thousands of gaps, so it is never loaded whole:
:func:`gap_page` returns one page in the order asked for, continuing after the
last row of the previous page (keyset paging: no OFFSET, which would re-read
every earlier row), and :func:`iter_gaps` streams the same rows for a CSV export.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.gaps import GapOverride
from domain.measures.catalogue import catalogue
from domain.measures.explain import EvidenceItem, cited, explain_gap
from domain.patient import status_note
from domain.text import name_key, phone_display
from storage import schema as t
from storage.codings import fact_display
from storage.db import large_page_cache
from storage.measures import evidence_items
from storage.queries.patients import PATIENTS_IN_ERROR
from storage.through_index import unindexed

g, p, pr, m = t.gap, t.patient, t.practice, t.measure

PAGE_SIZE = 200

# Open gaps are the work; the other states follow in this order.
STATE_ORDER = ("open", "excluded", "closed", "not_applicable")
_state_rank = sa.case({s: i for i, s in enumerate(STATE_ORDER)}, value=g.c.state, else_=len(STATE_ORDER))

# The patient's latest outreach attempt (a call, letter or message about any of their care), not
# entered in error: what "Last outreach" shows beside each of their gaps.
_LAST_OUTREACH = (sa.select(sa.func.max(t.outreach_attempt.c.at))
                  .where(t.outreach_attempt.c.patient_id == g.c.patient_id,
                         t.outreach_attempt.c.entered_in_error.is_(False)).scalar_subquery())

# Within one patient, the gaps in the order of the gap's unique (patient, measure, period, group) index,
# so an ordered walk over a patient index needs no sort.
_PER_PATIENT = (g.c.measure_id, g.c.period_start, g.c.period_end, g.c.group_index)

# sort column -> (what drives the read, the expressions it orders by, last one unique).
# "patient": the read walks a patient index in order and looks each patient's gaps up;
# "gap": it walks ix_gap_worklist (period, state, due date, measure) in order.
# Either way a page is the next LIMIT rows of an index walk, never a sort of every match.
SORT_KEYS: dict[str, tuple[str, tuple[sa.ColumnElement, ...]]] = {
    "patient": ("patient", (p.c.family_key, p.c.given_key, p.c.id) + _PER_PATIENT),
    "dob": ("patient", (p.c.birth_date, p.c.id) + _PER_PATIENT),
    "mrn": ("patient", (p.c.mrn, p.c.id) + _PER_PATIENT),
    "practice": ("patient", (pr.c.code, p.c.family_key, p.c.given_key, p.c.id) + _PER_PATIENT),
    # ix_gap_measure_state holds these in order once period and state are fixed
    "measure": ("measure", (g.c.measure_id, g.c.id)),
    "state": ("gap", (_state_rank, g.c.due_date, g.c.measure_id, g.c.id)),
    "due": ("gap", (g.c.due_date, g.c.measure_id, g.c.id)),
    # no index orders by last outreach: SQLite keeps the best LIMIT rows while it reads the matches
    "last_outreach": ("gap", (_LAST_OUTREACH, g.c.id)),
}
DEFAULT_SORT = "state"


@dataclasses.dataclass(frozen=True)
class GapFilter:
    """What the worklist shows; ``None`` means "all"."""

    measure_id: str | None = None
    practice_id: int | None = None
    state: str | None = "open"
    period_end: dt.date | None = None
    text: str = ""
    group_index: int | None = None  # one population group of a measure that has several (CMS138)


@dataclasses.dataclass(frozen=True, slots=True)
class GapRow:
    gap_id: int
    patient_id: int
    patient_name: str
    birth_date: dt.date
    mrn: str
    practice_code: str
    measure_id: str
    measure_title: str
    group_index: int
    state: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date | None
    last_outreach_at: dt.datetime | None
    why: str = ""
    phone: str = ""  # the patient's, as stored (shown in one format)
    language: str = ""  # preferred language, for the outreach call
    # "patient deceased 10/11/2025" for a patient no longer in care (domain.patient.status_note):
    # the gap stays as computed, but nobody is to call about it
    status_note: str = ""


@dataclasses.dataclass(frozen=True)
class Page:
    rows: list[GapRow]
    # sort values of the last row: pass back as ``after`` for the next page; None at the end
    next_after: tuple | None


@dataclasses.dataclass(frozen=True)
class GapCounts:
    by_state: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def of(self, state: str | None) -> int:
        return self.total if state is None else self.by_state.get(state, 0)


# --- choices for the filters -----------------------------------------------------

def measure_choices(engine: Engine) -> list[tuple[str, str]]:
    """(id, title) of the active measures."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(m.c.id, m.c.title).where(m.c.active.is_(True)).order_by(m.c.id))]


def measure_groups(engine: Engine) -> dict[str, list[str]]:
    """The titles of each active measure's population groups, for the measures that have
    several (CMS138: "Screened for tobacco use", ...)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.c.id, m.c.definition).where(m.c.active.is_(True)))
        groups = {mid: (d.get("groups") or []) if isinstance(d, dict) else [] for mid, d in rows}
    return {mid: [str(x.get("title") or f"Group {i + 1}") for i, x in enumerate(gs)]
            for mid, gs in groups.items() if len(gs) > 1}


def practice_choices(engine: Engine) -> list[tuple[int, str, str]]:
    """(id, code, name) of the active practices, by name (the holding place of imported patients
    whose practice is not known is not one)."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(pr.c.id, pr.c.code, pr.c.name).where(pr.c.active.is_(True), pr.c.holding.is_(False))
            .order_by(pr.c.name))]


def gap_periods(engine: Engine, measure_id: str | None = None) -> list[tuple[dt.date, dt.date]]:
    """The measurement periods (start, end) that have gaps, newest first.

    Walks the (measure_id, period_end) index one distinct value at a time, so it
    costs a few index seeks per period, not a scan of millions of gap rows.
    """
    from storage.measures.gap_steps import unpublished_periods

    with engine.connect() as conn:
        measure_ids = [measure_id] if measure_id else list(conn.scalars(sa.select(m.c.id)))
        staged = unpublished_periods(conn)  # first written, not yet whole: out of sight
        found: set[tuple[dt.date, dt.date]] = set()
        for mid in measure_ids:
            for end in _period_ends(conn, mid):
                start = conn.scalar(sa.select(g.c.period_start).where(
                    g.c.measure_id == mid, g.c.period_end == end).limit(1))
                if (mid, start, end) not in staged:
                    found.add((start, end))
    return sorted(found, key=lambda period: period[1], reverse=True)


def _period_ends(conn, measure_id: str) -> list[dt.date]:
    """The period ends the measure has gaps of, newest first: a seek of the (measure_id,
    period_end) index per period, not a scan of the measure's gaps."""
    ends: list[dt.date] = []
    while True:
        query = sa.select(sa.func.max(g.c.period_end)).where(g.c.measure_id == measure_id)
        if ends:
            query = query.where(g.c.period_end < ends[-1])
        end = conn.scalar(query)
        if end is None:
            return ends
        ends.append(dt.date.fromisoformat(end) if isinstance(end, str) else end)  # MAX() loses the type


# --- the worklist ------------------------------------------------------------------

def _prefix(column: sa.ColumnElement, prefix: str) -> sa.ColumnElement:
    """An index-friendly "starts with" (a range, not LIKE)."""
    return sa.and_(column >= prefix, column < prefix + "\U0010ffff")


# The given name as a second condition beside the family name's: never the index a read starts
# from. Without statistics SQLite took the given names' index for "smith, j" and read the 100,000
# patients whose given name starts with J (480 ms at 1M) instead of the 600 Smiths among them,
# whose given names ix_patient_name (family, given) holds beside their family names.
_GIVEN = unindexed(p.c.given_key)


def text_condition(text: str) -> sa.ColumnElement | None:
    """Patient name prefix ("smi", "smith, jo", "smith jo", "jo smith") or MRN prefix."""
    text = (text or "").strip()
    if not text:
        return None
    if any(ch.isdigit() for ch in text):
        return sa.or_(_prefix(p.c.mrn, text), _prefix(p.c.mrn, text.upper()))
    if "," in text:
        family, _, given = text.partition(",")
        parts = [name_key(family), name_key(given)]
        cond = _prefix(p.c.family_key, parts[0])
        return sa.and_(cond, _prefix(_GIVEN, parts[1])) if parts[1] else cond
    words = name_key(text).split()
    if not words:
        return None
    if len(words) == 1:
        return _prefix(p.c.family_key, words[0])
    first, rest = words[0], " ".join(words[1:])
    last, before = words[-1], " ".join(words[:-1])
    return sa.or_(
        sa.and_(_prefix(p.c.family_key, first), _prefix(_GIVEN, rest)),
        sa.and_(_prefix(p.c.family_key, last), _prefix(_GIVEN, before)),
        # a family name of several words ("de la cruz"), or a hyphenated one typed with a space
        # ("reyes cruz" is Reyes-Cruz, kept as REYESCRUZ)
        _prefix(p.c.family_key, " ".join(words)),
        _prefix(p.c.family_key, "".join(words)),
    )


def _patient_conditions(flt: GapFilter) -> list[sa.ColumnElement]:
    """Not entered in error (always the first condition), the practice, the typed name or MRN."""
    conds: list[sa.ColumnElement] = [p.c.entered_in_error.is_(False)]
    if flt.practice_id is not None:
        conds.append(p.c.practice_id == flt.practice_id)
    text = text_condition(flt.text)
    if text is not None:
        conds.append(text)
    return conds


def _of_patients(flt: GapFilter) -> sa.ColumnElement:
    """The gaps of the patients the filter's practice and text match, read from those patients."""
    return g.c.patient_id.in_(sa.select(p.c.id).where(*_patient_conditions(flt)))


def _group(flt: GapFilter) -> sa.ColumnElement | None:
    # no index holds the group: the measure's index finds the rows, the group is checked on each
    return unindexed(g.c.group_index) == flt.group_index if flt.group_index is not None else None


def _measure(flt: GapFilter, column=lambda c: c) -> sa.ColumnElement | None:
    """The measure chosen, or for "All measures" every measure but the payer variants: a
    variant is a measure of its own, shown when chosen, never counted again beside its base
    (its patients are its base's). Checked on each row, never steering the read."""
    if flt.measure_id:
        return column(g.c.measure_id) == flt.measure_id
    variants = catalogue().variant_ids
    return unindexed(g.c.measure_id).not_in(variants) if variants else None


def _chosen_patients(flt: GapFilter) -> sa.ColumnElement | None:
    """``gap.patient_id IN (the practice's or the typed name's patients)``, or None (neither
    chosen). Their ids come from the practice's or the names' index alone; on a walk along a gap
    index each gap is checked against them before its patient's row is read, instead of reading
    the row of the patient of every gap walked past (most of them another practice's)."""
    conds = [c for c in (p.c.practice_id == flt.practice_id if flt.practice_id is not None else None,
                         text_condition(flt.text)) if c is not None]
    return g.c.patient_id.in_(sa.select(p.c.id).where(*conds)) if conds else None


def _conditions(flt: GapFilter, *, with_state: bool = True, steer: str = "") -> list[sa.ColumnElement]:
    gap_col = unindexed if steer == "patient" else (lambda c: c)
    conds: list[sa.ColumnElement] = _patient_conditions(flt)
    chosen = _chosen_patients(flt) if steer in ("gap", "measure", "few") else None
    if chosen is not None:
        conds.append(chosen)
    measure = _measure(flt, unindexed if steer in ("gap", "patient") else lambda c: c)
    if measure is not None:
        conds.append(measure)
    if flt.group_index is not None:
        conds.append(_group(flt))
    if flt.period_end:
        conds.append(gap_col(g.c.period_end) == flt.period_end)
    if with_state and flt.state:
        conds.append(gap_col(g.c.state) == flt.state)
    return conds


def _in_error_ids(conn) -> list[int]:
    return list(conn.scalars(PATIENTS_IN_ERROR))


def count_gaps(engine: Engine, flt: GapFilter) -> GapCounts:
    """Gaps per state under every filter but the state one ("12,345 open of 40,000").

    Without a typed name, from the counts kept with the gaps (``gap_count``, a few hundred rows:
    :func:`_kept_counts`). A typed name's, from its patients' entries in ``ix_gap_patient_state``,
    which holds what the count asks of each gap (no gap row is read). A measure and period whose
    kept counts are not in step with its gaps is counted from the gap rows, less the gaps of the
    (few) patients marked entered-in-error: without a patient filter each state's count is the
    length of one range of a gap index (period and state, or measure, period and state), which
    SQLite counts without reading a row (1.7 million entries in 50 ms); a GROUP BY over the same
    entries took ten times as long.
    """
    by_patient = flt.practice_id is not None or text_condition(flt.text) is not None

    def gap_filter(column=lambda c: c):
        return [c for c in (_measure(flt, column),
                            column(g.c.period_end) == flt.period_end if flt.period_end else None,
                            _group(flt))
                if c is not None]

    with engine.connect() as conn:
        if text_condition(flt.text) is not None:
            # a typed name's few thousand patients, from the names' index alone (reading each
            # one's row to see whether it is in error took a third of the count: 30 of 110 ms
            # for "smith" at 1M); the gaps of the few in error among them are taken off after
            chosen = _patient_conditions(flt)[1:]
            counts = dict(conn.execute(
                sa.select(g.c.state, sa.func.count())
                .where(g.c.patient_id.in_(sa.select(p.c.id).where(*chosen)), *gap_filter(unindexed))
                .group_by(g.c.state)).all())
            in_error = sa.select(p.c.id).where(p.c.id.in_(_in_error_ids(conn)), *chosen)
            for state, n in conn.execute(sa.select(g.c.state, sa.func.count())
                                         .where(g.c.patient_id.in_(in_error), *gap_filter(unindexed))
                                         .group_by(g.c.state)):
                counts[state] = counts.get(state, 0) - n
            return GapCounts({state: n for state, n in counts.items() if n})
        counts = _kept_counts(conn, flt)
        if counts is not None:
            return GapCounts({state: n for state, n in counts.items() if n})
        in_error_patients = PATIENTS_IN_ERROR
        chosen = _patient_conditions(flt)[1:]  # all but "not entered in error"
        if by_patient:
            # from the practice's patients to their gaps: as a join SQLite walked every gap of
            # the period instead (5 s at 1M patients, 25 ms this way). The patients are found in
            # the practice's index alone, in error or not, and the gaps of the few in error taken
            # off after, instead of reading every patient's row to see whether it is in error
            counts = {state: n for state, n in conn.execute(
                sa.select(g.c.state, sa.func.count())
                .where(g.c.patient_id.in_(sa.select(p.c.id).where(*chosen)), *gap_filter(unindexed))
                .group_by(g.c.state))}
            # those of the chosen in error: few, looked up by id (the partial index finds them)
            in_error_patients = sa.select(p.c.id).where(p.c.id.in_(_in_error_ids(conn)), *chosen)
        else:
            counts = _range_counts(conn, flt)
        # "= 1", not "IS 1", lets SQLite use the partial index, and "IN (those patients)" makes
        # it start from them: as a join it walked every gap of the period (5 s at 1M patients)
        in_error = conn.execute(
            sa.select(g.c.state, sa.func.count())
            .where(g.c.patient_id.in_(in_error_patients), *gap_filter(unindexed)).group_by(g.c.state))
        for state, n in in_error:
            counts[state] = counts.get(state, 0) - n
    return GapCounts({state: n for state, n in counts.items() if n})


def _kept_counts(conn, flt: GapFilter) -> dict[str, int] | None:
    """Gaps per state of the filter's measure (or every measure but the payer variants), period
    (or every period), group and practice (or every practice), of the patients not in error, from
    ``gap_count``; None when a measure and period with gaps among those is not in step with its
    kept counts (``gap_count_write``: storage.measures.gap_counts) or has none."""
    c, kept, w = t.gap_count, t.gap_count_write, t.gap_write
    variants = set(catalogue().variant_ids)
    measure_ids = [flt.measure_id] if flt.measure_id else [
        mid for mid in conn.scalars(sa.select(m.c.id)) if mid not in variants]
    with_gaps = {(mid, end) for mid in measure_ids for end in _period_ends(conn, mid)
                 if flt.period_end is None or end == flt.period_end}
    stale: set[tuple] = set()
    in_step: set[tuple] = set()
    for mid, end, same in conn.execute(
            sa.select(w.c.measure_id, w.c.period_end, kept.c.version == w.c.version)
            .select_from(w.outerjoin(kept, sa.and_(kept.c.measure_id == w.c.measure_id,
                                                   kept.c.period_start == w.c.period_start,
                                                   kept.c.period_end == w.c.period_end)))):
        (in_step if same else stale).add((mid, end))
    if not with_gaps <= in_step - stale:
        return None
    conds = [c.c.measure_id.in_(measure_ids)]
    if flt.period_end is not None:
        conds.append(c.c.period_end == flt.period_end)
    if flt.group_index is not None:
        conds.append(c.c.group_index == flt.group_index)
    if flt.practice_id is not None:
        conds.append(c.c.practice_id == flt.practice_id)
    return {state: int(n) for state, n in conn.execute(
        sa.select(c.c.state, sa.func.sum(c.c.n)).where(*conds).group_by(c.c.state))}


def _range_counts(conn, flt: GapFilter) -> dict[str, int]:
    """Gaps per state of the filter's measure (or every measure but the payer variants), period
    (or every period) and group, each counted as index ranges: (period, state) of ix_gap_worklist,
    or (measure, period, state) of ix_gap_measure_state."""
    def count(state: str, measure_id: str | None, period_end: dt.date | None) -> int:
        conds = [g.c.state == state]
        if measure_id is not None:
            conds.append(g.c.measure_id == measure_id)
        if period_end is not None:
            conds.append(g.c.period_end == period_end)
        if flt.group_index is not None:
            conds.append(_group(flt))
        return conn.execute(sa.select(sa.func.count()).select_from(g).where(*conds)).scalar()

    if flt.period_end is not None:
        periods = [flt.period_end]
    else:  # every period any measure has gaps of (a few index seeks per measure)
        periods = sorted({end for mid in ([flt.measure_id] if flt.measure_id else conn.scalars(sa.select(m.c.id)))
                          for end in _period_ends(conn, mid)})
    counts = {}
    for state in STATE_ORDER:
        counts[state] = sum(count(state, flt.measure_id, end) for end in periods)
        if not flt.measure_id:  # a payer variant's patients are its base measure's: not counted again
            counts[state] -= sum(count(state, variant, end) for variant in catalogue().variant_ids
                                 for end in periods)
    return counts


def _sort_keys(flt: GapFilter, sort: str, descending: bool) -> tuple[str, list[tuple[sa.ColumnElement, bool]]]:
    if sort not in SORT_KEYS:
        raise ValueError(f"Unknown gap sort column {sort!r}")
    driver, exprs = SORT_KEYS[sort]
    if flt.state and exprs[0] is _state_rank:
        exprs = exprs[1:]  # one state shown: its rank is the same on every row
    return driver, [(expr, descending) for expr in exprs]


def _row_value_after(keys: list[tuple[sa.ColumnElement, bool]], values: Sequence[Any]) -> sa.ColumnElement | None:
    """``(k0, k1, …) > (v0, v1, …)`` (``<`` descending, and the NULLs that sort last), or None when
    a row value cannot say it: a value is NULL, a key after the first may be NULL, or a key is not
    a column. An index seeks straight to such a row value; the OR of the equalities below reads
    every earlier row that shares the first key again (at 1M patients every open gap of a period
    is due on its last day, so page 1,000 of the worklist re-read 200,000 rows: 21 -> 56 ms)."""
    exprs = [expr for expr, _desc in keys]
    if any(value is None for value in values) or not all(isinstance(e, sa.Column) for e in exprs) \
            or any(e.nullable for e in exprs[1:]) or len({desc for _e, desc in keys}) != 1:
        return None
    ahead, behind = sa.tuple_(*exprs), sa.tuple_(*(sa.literal(v, e.type) for e, v in zip(exprs, values)))
    if not keys[0][1]:
        return ahead > behind
    return sa.or_(ahead < behind, exprs[0].is_(None)) if exprs[0].nullable else ahead < behind


def _after(keys: list[tuple[sa.ColumnElement, bool]], values: Sequence[Any]) -> sa.ColumnElement:
    """Rows strictly after ``values`` in the order of ``keys``, NULL-safe.

    SQLite sorts NULL first ascending and last descending; the comparison follows
    that. The first key is also given as a plain range (``k0 >= v0``) so the index
    walk starts at the previous page's last row instead of at the beginning.
    """
    row_value = _row_value_after(keys, values)
    if row_value is not None:
        return row_value

    def equal(expr, value):
        return expr.is_(None) if value is None else expr == value

    def beyond(expr, desc, value):
        if value is None:
            return sa.false() if desc else expr.is_not(None)
        return sa.or_(expr < value, expr.is_(None)) if desc else expr > value

    alternatives = []
    for i, (expr, desc) in enumerate(keys):
        same = [equal(keys[j][0], values[j]) for j in range(i)]
        alternatives.append(sa.and_(*same, beyond(expr, desc, values[i])))
    first, desc = keys[0]
    start = values[0]
    if start is None:
        seek = first.is_(None) if desc else sa.true()
    else:
        seek = sa.or_(first <= start, first.is_(None)) if desc else first >= start
    return sa.and_(seek, sa.or_(*alternatives))


# A typed name or MRN matching fewer patients than this is read from those patients (their gaps
# sorted); more, and the index walk in the sort's order meets enough of them soon enough.
FEW_PATIENTS = 2000
# Fewer gaps than this under the filter's gap conditions (period, state, measure; counted on a gap
# index, at most this many entries read): they are read whole and sorted, a few milliseconds. More,
# and a page is the next rows of an index walk in the order asked for (a walk over patients would
# meet a rare state's few gaps only after reading most of the pod).
FEW_GAPS = 10_000


def _from_patients(conn, flt: GapFilter, sort: str) -> bool:
    """Start the read from the patients the typed text matches? At 1M patients, walking the
    period's gaps in order took 1 s to find that a name matches nobody, and 5-9 s for any name
    in measure or last-outreach order (no index gives those orders); from the patients, 2-200 ms."""
    if text_condition(flt.text) is None:
        return False
    if sort in ("measure", "last_outreach"):
        return True
    matched = sa.select(p.c.id).where(*_patient_conditions(flt)).limit(FEW_PATIENTS).subquery()
    return conn.execute(sa.select(sa.func.count()).select_from(matched)).scalar() < FEW_PATIENTS


def _gap_conditions(flt: GapFilter) -> list[sa.ColumnElement]:
    """The filter's conditions on the gap row alone (no patient): what a gap index can count."""
    return [c for c in (_measure(flt), _group(flt),
                        g.c.period_end == flt.period_end if flt.period_end else None,
                        g.c.state == flt.state if flt.state else None) if c is not None]


def _few_gaps(conn, flt: GapFilter) -> bool:
    """Do fewer than :data:`FEW_GAPS` gaps pass the filter's gap conditions (read from an index,
    at most that many entries)?"""
    matched = sa.select(g.c.id).where(*_gap_conditions(flt)).limit(FEW_GAPS).subquery()
    return conn.execute(sa.select(sa.func.count()).select_from(matched)).scalar() < FEW_GAPS


_COLUMNS = (g.c.id, g.c.patient_id, p.c.family, p.c.given, p.c.birth_date, p.c.mrn, pr.c.code,
            g.c.measure_id, m.c.title, m.c.inverse, g.c.group_index, g.c.state, g.c.period_start,
            g.c.period_end, g.c.due_date, p.c.phone, p.c.language, p.c.status, p.c.deceased_date)


def _joined(outreach=None):
    """gap, its patient, practice and measure (read from an outreach attempt when given)."""
    start = g if outreach is None else outreach.join(g, g.c.patient_id == outreach.c.patient_id)
    return start.join(p, p.c.id == g.c.patient_id).join(pr, pr.c.id == p.c.practice_id).join(
        m, m.c.id == g.c.measure_id)


def _rows_query(flt: GapFilter, sort: str, descending: bool, from_patients: bool = False, few: bool = False):
    """The worklist's rows in one SQL order. ``few``: the filter's gaps are few, read from a gap
    index and sorted; else the read is steered to the index that holds the order (``SORT_KEYS``)."""
    driver, keys = _sort_keys(flt, sort, descending)
    key_columns = [expr.label(f"k{i}") for i, (expr, _) in enumerate(keys)]
    if from_patients:
        where = _conditions(flt, steer="patient") + [_of_patients(flt)]
    else:
        where = _conditions(flt, steer="few" if few else driver)
    query = (sa.select(*_COLUMNS, _LAST_OUTREACH.label("last_outreach_at"), *key_columns)
             .select_from(_joined()).where(*where)
             .order_by(*[expr.desc() if desc else expr.asc() for expr, desc in keys]))
    return query, keys


# A row read with its sort values (the keyset of the next page starts after the last one).
_Keyed = tuple[Any, tuple]


def _keyed(conn, query, keys, after, n: int) -> list[_Keyed]:
    if after is not None:
        query = query.where(_after(keys, after))
    return [(r, tuple(r._mapping[f"k{i}"] for i in range(len(keys)))) for r in conn.execute(query.limit(n))]


def _read_plain(conn, flt: GapFilter, sort: str, descending: bool, after, n: int, *,
                from_patients: bool | None = None, few: bool | None = None) -> list[_Keyed]:
    """Up to ``n`` rows after ``after`` from one query."""
    if from_patients is None:
        from_patients = _from_patients(conn, flt, sort)
    if few is None:
        few = not from_patients and SORT_KEYS[sort][0] == "patient" and _few_gaps(conn, flt)
    query, keys = _rows_query(flt, sort, descending, from_patients, few)
    return _keyed(conn, query, keys, after, n)


def _nulls_first(keyed: _Keyed) -> tuple:
    """SQLite's order of a row's sort values (NULL before any value), for merging reads in Python."""
    return tuple((value is not None, value) for value in keyed[1])


def _merged(reads: list[list[_Keyed]], descending: bool, n: int) -> list[_Keyed]:
    """The first ``n`` rows of several reads, each in the same order: their merge."""
    rows = [row for read in reads for row in read]
    rows.sort(key=_nulls_first, reverse=descending)
    return rows[:n]


def _read(conn, flt: GapFilter, sort: str, descending: bool, after, n: int) -> list[_Keyed]:
    """Up to ``n`` rows of the worklist after ``after``, in order, with their sort values.

    Every read is the next rows of an index walk in the order asked for, or a sort of few rows:
    an order no index holds is put together from reads that each follow one (a state, a
    practice, a measure after the other; the states merged by due date)."""
    if sort not in SORT_KEYS:
        raise ValueError(f"Unknown gap sort column {sort!r}")
    if sort == "state" and flt.state is None:
        return _read_across_states(conn, flt, descending, after, n)
    if sort == "due" and flt.state is None:
        return _merged([_read(conn, dataclasses.replace(flt, state=state), "due", descending, after, n)
                        for state in STATE_ORDER], descending, n)
    from_patients, few = _from_patients(conn, flt, sort), None
    if sort in _COMPOSED and not from_patients:
        few = _few_gaps(conn, flt)
        if not few:
            return _COMPOSED[sort](conn, flt, descending, after, n)
    return _read_plain(conn, flt, sort, descending, after, n, from_patients=from_patients, few=few)


def _read_across_states(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """All states, open first: one state after the other, each read in due-date order from
    ix_gap_worklist (a CASE over the state cannot be ordered by an index)."""
    order = list(range(len(STATE_ORDER)))
    if descending:
        order.reverse()
    if after is not None:
        order = order[order.index(after[0]):]
    found: list[_Keyed] = []
    sub_after = after[1:] if after is not None else None
    for rank in order:
        one_state = dataclasses.replace(flt, state=STATE_ORDER[rank])
        found += [(r, (rank, *k)) for r, k in _read(conn, one_state, "state", descending, sub_after, n - len(found))]
        sub_after = None
        if len(found) >= n:
            break
    return found


def _read_by_practice(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """By practice code, then patient: one practice after the other, each walking its patients
    by name (ix_patient_practice_name) and looking their gaps up; no sort of every gap."""
    query = sa.select(pr.c.id, pr.c.code).order_by(pr.c.code.desc() if descending else pr.c.code)
    if flt.practice_id is not None:
        query = query.where(pr.c.id == flt.practice_id)
    found: list[_Keyed] = []
    for practice_id, code in conn.execute(query).all():
        if after is not None and (code > after[0] if descending else code < after[0]):
            continue
        sub_after = after[1:] if after is not None and code == after[0] else None
        one = dataclasses.replace(flt, practice_id=practice_id)
        found += [(r, (code, *k)) for r, k in _read_plain(conn, one, "patient", descending, sub_after,
                                                           n - len(found), from_patients=False, few=False)]
        if len(found) >= n:
            break
    return found


def _streams(conn, flt: GapFilter, measure_id: str) -> list[GapFilter]:
    """The filter split into the measure's (period, state) pairs: each is one range of
    ix_gap_measure_state (measure, period end, state), in gap id order."""
    states = [flt.state] if flt.state else list(STATE_ORDER)
    periods = [flt.period_end] if flt.period_end else _period_ends(conn, measure_id)
    return [dataclasses.replace(flt, measure_id=measure_id, state=state, period_end=end)
            for end in periods for state in states]


def _measure_ids(conn, flt: GapFilter, descending: bool) -> list[str]:
    if flt.measure_id:
        return [flt.measure_id]
    variants = set(catalogue().variant_ids)
    ids = sorted((mid for mid in conn.scalars(sa.select(m.c.id)) if mid not in variants), reverse=descending)
    return ids


def _read_by_measure(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """By measure, then gap: one measure after the other, each the merge of its (period, state)
    ranges of ix_gap_measure_state, which hold the gaps in id order."""
    found: list[_Keyed] = []
    for measure_id in _measure_ids(conn, flt, descending):
        if after is not None and (measure_id > after[0] if descending else measure_id < after[0]):
            continue
        sub_after = after if after is not None and measure_id == after[0] else None
        reads = [_read_plain(conn, one, "measure", descending, sub_after, n - len(found), from_patients=False,
                             few=False) for one in _streams(conn, flt, measure_id)]
        found += _merged(reads, descending, n - len(found))
        if len(found) >= n:
            break
    return found


def _never_reached(patient_id) -> sa.ColumnElement:
    o = t.outreach_attempt
    return ~sa.exists().where(o.c.patient_id == patient_id, o.c.entered_in_error.is_(False))


def _read_never_reached(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """The gaps of patients no outreach has been logged for (their last outreach is NULL), by gap
    id: the merge of each measure's (period, state) ranges of ix_gap_measure_state."""
    reads = []
    for measure_id in _measure_ids(conn, flt, descending):
        for one in _streams(conn, flt, measure_id):
            query, _keys = _rows_query(one, "measure", descending)
            query = query.where(_never_reached(g.c.patient_id))
            if after is not None:
                query = query.where(g.c.id < after[1] if descending else g.c.id > after[1])
            reads.append([(r, (None, r.id)) for r in conn.execute(query.limit(n))])
    return _merged(reads, descending, n)


def _read_reached(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """The gaps of patients reached for, by their latest outreach attempt: the attempts walked
    in time order (ix_outreach_latest), each that is its patient's latest joined to the
    patient's gaps."""
    o, later = t.outreach_attempt, t.outreach_attempt.alias("later")
    latest = ~sa.exists().where(later.c.patient_id == o.c.patient_id, later.c.entered_in_error.is_(False),
                                sa.or_(later.c.at > o.c.at, sa.and_(later.c.at == o.c.at, later.c.id > o.c.id)))
    keys = [(o.c.at, descending), (g.c.id, descending)]
    query = (sa.select(*_COLUMNS, o.c.at.label("last_outreach_at"), o.c.at.label("k0"), g.c.id.label("k1"))
             .select_from(_joined(o))
             .where(o.c.entered_in_error == sa.false(), latest, *_conditions(flt, steer="patient"))
             .order_by(*[expr.desc() if descending else expr.asc() for expr, _ in keys]))
    return _keyed(conn, query, keys, after, n)


def _read_by_last_outreach(conn, flt: GapFilter, descending: bool, after, n: int) -> list[_Keyed]:
    """Never reached (NULL: first ascending, last descending), then by the latest attempt."""
    parts = [(True, _read_never_reached), (False, _read_reached)]
    if descending:
        parts.reverse()
    if after is not None:
        parts = parts[[never for never, _ in parts].index(after[0] is None):]
    found: list[_Keyed] = []
    for position, (_never, read) in enumerate(parts):
        found += read(conn, flt, descending, after if position == 0 else None, n - len(found))
        if len(found) >= n:
            break
    return found


_COMPOSED = {"practice": _read_by_practice, "measure": _read_by_measure, "last_outreach": _read_by_last_outreach}


def _row(r, why: str = "") -> GapRow:
    return GapRow(r.id, r.patient_id, f"{r.family}, {r.given}".strip(", "), r.birth_date, r.mrn,
                  r.code, r.measure_id, r.title, r.group_index, r.state, r.period_start,
                  r.period_end, r.due_date, r.last_outreach_at, why, r.phone or "", r.language or "",
                  status_note(r.status, r.deceased_date))


def gap_page(engine: Engine, flt: GapFilter, *, sort: str = DEFAULT_SORT, descending: bool = False,
             after: tuple | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the worklist, ordered in SQL, starting after the row ``after`` describes."""
    with engine.connect() as conn:
        found = _read(conn, flt, sort, descending, after, limit + 1)
        more = len(found) > limit
        found = found[:limit]
        why = _short_reasons(conn, [r for r, _k in found])
    rows = [_row(r, why.get(r.id, "")) for r, _k in found]
    return Page(rows, found[-1][1] if more and found else None)


def iter_gaps(engine: Engine, flt: GapFilter, *, sort: str = DEFAULT_SORT, descending: bool = False,
              batch: int = 2000) -> Iterator[GapRow]:
    """Every row of the worklist in order, a batch at a time (for CSV export)."""
    for rows, why in _batches(engine, flt, sort, descending, batch):
        yield from (_row(r, why.get(r.id, "")) for r in rows)


def _batches(engine: Engine, flt: GapFilter, sort: str, descending: bool, batch: int):
    """The worklist in order as (rows, their reasons by gap id), a batch at a time.

    A practice's (or a typed name's) gaps are read from its patients in one query SQLite sorts,
    streamed; walking the index in the worklist's order would read every practice's gaps to
    find its twentieth of them (4-14 s at 1,000,000 patients). The whole pod's are read a
    page at a time along the index."""
    if sort not in SORT_KEYS:
        raise ValueError(f"Unknown gap sort column {sort!r}")
    kept: dict = {}  # explanations made so far, by their inputs
    if flt.practice_id is not None or text_condition(flt.text) is not None:
        query, _keys = _rows_query(flt, sort, descending, from_patients=True)
        with engine.connect() as conn, large_page_cache(conn):
            for rows in _streamed_records(conn, query, batch):
                yield rows, _short_reasons(conn, rows, kept)
        return
    after = None
    while True:
        with engine.connect() as conn:
            found = _read(conn, flt, sort, descending, after, batch + 1)
            rows = _records([r for r, _k in found[:batch]])
            yield rows, _short_reasons(conn, rows, kept)
        if len(found) <= batch:
            return
        after = found[batch - 1][1]


def _records(rows: Sequence) -> list:
    """Rows as named tuples: the export reads each of a row's values once or twice, and a
    named tuple's field costs a twentieth of a database row's attribute (0.8 µs: 25 µs a row)."""
    if not rows:
        return []
    make = _record_class(tuple(rows[0]._fields))._make
    return [make(r) for r in rows]


def _streamed_records(conn, query, batch: int) -> Iterator[list]:
    """The query's rows as named tuples (:func:`_records`), a batch at a time, fetched from the
    database cursor itself: each column's conversion (a day's text to a date) is made once per
    distinct value, with the column type's own converter, instead of once per row (the days of
    a 145,000-row export are a few hundred values)."""
    result = conn.execute(query)
    try:
        make = _record_class(tuple(result.keys()))._make
        dialect = conn.dialect
        convert = [(i, _Formatted(processor)) for i, processor in enumerate(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in query.selected_columns)
            if processor is not None]
        cursor = result.cursor
        while raw := cursor.fetchmany(batch):
            rows = []
            for values in raw:
                values = list(values)
                for i, converted in convert:
                    values[i] = converted[values[i]]
                rows.append(make(values))
            yield rows
    finally:
        result.close()


@functools.lru_cache(maxsize=16)
def _record_class(fields: tuple[str, ...]):
    return collections.namedtuple("GapRecord", fields, rename=True)


# --- explanations ------------------------------------------------------------------

def _evidence_for(conn, gap_ids: Sequence[int]) -> dict[int, list[EvidenceItem]]:
    """Per gap, the evidence items an explanation can cite (:func:`domain.measures.explain.cited`),
    with their facts: the facts behind a gap's initial population and denominator are never
    named, so never read (most of a worklist's evidence, and a random read of a fact each)."""
    e, f = t.gap_evidence, t.clinical_fact
    found: dict[int, list[EvidenceItem]] = {gid: [] for gid in gap_ids}
    if not gap_ids:
        return found
    citable = _Formatted(lambda population_rule: cited(*population_rule))
    items = {gid: [item for item in evidence_items.decode(text) if citable[item[:2]]]
             for gid, text in conn.execute(sa.select(e.c.gap_id, e.c["items"]).where(e.c.gap_id.in_(list(gap_ids))))}
    fact_ids = {item[2] for gap_items in items.values() for item in gap_items if item[2] is not None}
    # (display, kind, value, unit) by fact id, unpacked from each row (an attribute of a row costs 0.8 µs)
    facts = {fid: (display or "", kind or "", value, unit or "") for fid, display, kind, value, unit in conn.execute(
        sa.select(f.c.id, fact_display(f), f.c.kind, f.c.value_num, f.c.value_unit).where(f.c.id.in_(fact_ids)))} \
        if fact_ids else {}
    no_fact = ("", "", None, "")
    for gid, gap_items in items.items():
        for population, rule, fact_id, system, code, day, detail in gap_items:
            display, kind, value, unit = facts.get(fact_id, no_fact)
            found[gid].append(EvidenceItem(
                population=population, rule=rule, code_system=system or "", code=code or "",
                fact_date=dt.date.fromisoformat(day) if day else None, detail=detail or "",
                display=display, kind=kind, value=value, unit=unit))
    return found


# explanations kept by what they are made of, for a long export (many gaps share theirs)
_KEPT_REASONS = 50_000


def _short_reasons(conn, rows, kept: dict | None = None) -> dict[int, str]:
    """Each row's explanation by gap id. ``kept``: explanations already made, by their inputs
    (an export passes the same one for every batch): "Open: no colorectal cancer screening on
    record; due by 2025-12-31." is made once, not for each of its ten thousand gaps."""
    evidence = _evidence_for(conn, [r.id for r in rows])
    notes = _page_override_notes(conn, rows)
    kept = {} if kept is None else kept
    if len(kept) > _KEPT_REASONS:
        kept.clear()
    reasons = {}
    for r in rows:
        overrides = notes.get((r.patient_id, r.measure_id, r.period_end), ())
        items = evidence[r.id]
        key = (r.state, r.measure_id, r.title, r.inverse, r.period_start, r.period_end, r.due_date, r.group_index,
               *items, None, *overrides)  # GapOverride compares by identity: a row with one is its own
        why = kept.get(key)
        if why is None:
            why = kept[key] = explain_gap(
                state=r.state, measure_id=r.measure_id, measure_title=r.title, inverse=bool(r.inverse),
                period_start=r.period_start, period_end=r.period_end, due_date=r.due_date, evidence=items,
                group_index=r.group_index, overrides=list(overrides))
        reasons[r.id] = why
    return reasons


def _page_override_notes(conn, rows) -> dict[tuple, list[GapOverride]]:
    """The documented exclusions and refusals of a page's gaps (few: read by patient)."""
    o = t.gap_override
    patients = sorted({r.patient_id for r in rows})
    found: dict[tuple, list[GapOverride]] = {}
    for start in range(0, len(patients), 500):
        query = (sa.select(o).where(o.c.patient_id.in_(patients[start:start + 500]),
                                    o.c.entered_in_error.is_(False))
                 .order_by(o.c.at.desc(), o.c.id.desc()))
        for r in conn.execute(query):
            found.setdefault((r.patient_id, r.measure_id, r.period_end), []).append(GapOverride(
                patient_id=r.patient_id, measure_id=r.measure_id, period_start=r.period_start,
                period_end=r.period_end, kind=r.kind, reason=r.reason, by=r.by, at=r.at, id=r.id,
                reason_code=r.reason_code, applies_from=r.applies_from, source=r.source))
    return found


# --- one patient's gaps (chart tab) -----------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PatientGap:
    gap_id: int
    measure_id: str
    measure_title: str
    group_index: int
    state: str
    period_start: dt.date
    period_end: dt.date
    due_date: dt.date | None
    last_outreach_at: dt.datetime | None
    why: str
    overrides: list[GapOverride]


@dataclasses.dataclass(frozen=True)
class GapHistoryEntry:
    at: dt.datetime
    measure_id: str
    text: str
    period_end: dt.date | None = None  # the measurement period the change concerns


@dataclasses.dataclass(frozen=True)
class PatientGapsView:
    """What the chart's Gaps tab shows: one measurement period of the patient's gaps."""

    periods: list[tuple[dt.date, dt.date]]  # every period computed for the pod, newest first
    period: tuple[dt.date, dt.date] | None  # the one shown (None: nothing computed yet)
    gaps: list[PatientGap]
    current: bool = False  # the shown period is the one containing today
    note: str = ""  # why the list is empty, or why the current period is not the one shown

    @property
    def period_label(self) -> str:
        if self.period is None:
            return ""
        start, end = self.period
        if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
            return f"Measurement year {start.year}"
        return f"Measurement period {start.isoformat()} to {end.isoformat()}"


def current_period(periods: Sequence[tuple[dt.date, dt.date]], on: dt.date) -> tuple[dt.date, dt.date] | None:
    """The period containing ``on``; else the newest one ended before it; else the newest."""
    containing = [p for p in periods if p[0] <= on <= p[1]]
    if containing:
        return max(containing, key=lambda p: p[1])
    ended = [p for p in periods if p[1] < on]
    if ended:
        return max(ended, key=lambda p: p[1])
    return max(periods, key=lambda p: p[1]) if periods else None


def patient_gap_view(engine: Engine, patient_id: int, period_end: dt.date | None = None, *,
                     on: dt.date | None = None, patient_name: str = "The patient") -> PatientGapsView:
    """The patient's gaps of one period: ``period_end``'s, or the current one (see
    :func:`current_period`); with a sentence when there is none to show, saying why."""
    from domain.clock import today
    from storage.queries.evaluations import data_changed_at, evaluated_periods, last_evaluated

    on = on or today()
    with engine.connect() as conn:
        evaluated = evaluated_periods(conn, patient_id)
    periods = sorted(set(gap_periods(engine)) | evaluated, key=lambda period: period[1], reverse=True)
    chosen = next((p for p in periods if p[1] == period_end), None) if period_end else current_period(periods, on)
    if chosen is None:
        return PatientGapsView(periods, None, [], note="No gaps in care have been computed for the pod yet: "
                                                        "recompute gaps in care (Data ▸ Recompute, Ctrl+R).")
    gaps = patient_gaps(engine, patient_id, chosen[1])
    is_current = chosen[0] <= on <= chosen[1]
    note = ""
    if not is_current and period_end is None:
        note = (f"Gaps for the period containing today ({on.year}) have not been computed yet; "
                f"showing the period ending {chosen[1].isoformat()}.")
    if not gaps:
        with engine.connect() as conn:
            evaluated, changed = last_evaluated(conn, patient_id, chosen[1]), data_changed_at(conn, patient_id)
        if evaluated is not None and (changed is None or changed <= evaluated):
            note = (f"{patient_name} is in no measure's population for this period: no measure's age, sex, "
                    f"condition or visit criteria apply (evaluated {evaluated:%Y-%m-%d %H:%M} UTC).")
        else:
            note = (f"{patient_name}'s gaps in care for this period have not been computed since their data "
                    "arrived: recompute gaps in care (Data ▸ Recompute, Ctrl+R).")
    return PatientGapsView(periods, chosen, gaps, is_current, note)


def patient_gaps(engine: Engine, patient_id: int, period_end: dt.date | None = None) -> list[PatientGap]:
    """One row per measure (and population group) of the patient for one period: ``period_end``'s,
    or the current one (:func:`current_period`). Never a mix of periods: a care manager would
    read last year's state as this year's."""
    if period_end is None:
        from domain.clock import today

        chosen = current_period(gap_periods(engine), today())
        if chosen is None:
            return []
        period_end = chosen[1]
    from storage.measures.gap_steps import UNPUBLISHED

    query = (sa.select(g, m.c.title, m.c.inverse, _LAST_OUTREACH.label("patient_last_outreach"))
             .select_from(g.join(m, m.c.id == g.c.measure_id))
             .where(g.c.patient_id == patient_id, g.c.period_end == period_end, ~UNPUBLISHED)
             .order_by(g.c.measure_id, g.c.group_index))
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        evidence = _evidence_for(conn, [r.id for r in rows])
        notes = _override_notes(conn, patient_id)
    result = []
    for r in rows:
        mine = [n for n in notes if n.measure_id == r.measure_id and n.period_end == r.period_end]
        why = explain_gap(state=r.state, measure_id=r.measure_id, measure_title=r.title,
                          inverse=bool(r.inverse), period_start=r.period_start, period_end=r.period_end,
                          due_date=r.due_date, evidence=evidence[r.id], overrides=mine, group_index=r.group_index)
        result.append(PatientGap(r.id, r.measure_id, r.title, r.group_index, r.state, r.period_start,
                                 r.period_end, r.due_date, r.patient_last_outreach, why, mine))
    return result


def _override_notes(conn, patient_id: int) -> list[GapOverride]:
    o = t.gap_override
    query = sa.select(o).where(o.c.patient_id == patient_id).order_by(o.c.at.desc(), o.c.id.desc())
    return [GapOverride(patient_id=r.patient_id, measure_id=r.measure_id, period_start=r.period_start,
                        period_end=r.period_end, kind=r.kind, reason=r.reason, by=r.by, at=r.at,
                        entered_in_error=bool(r.entered_in_error), id=r.id, reason_code=r.reason_code,
                        applies_from=r.applies_from, source=r.source) for r in conn.execute(query)]


def patient_override_notes(engine: Engine, patient_id: int) -> list[GapOverride]:
    """Every documented exclusion or refusal of the patient, newest first, errors included."""
    with engine.connect() as conn:
        return _override_notes(conn, patient_id)


def patient_gap_history(engine: Engine, patient_id: int) -> list[GapHistoryEntry]:
    """State changes of the patient's gaps and documented overrides, newest first."""
    h = t.gap_history
    from domain.gaps import STATE_LABELS
    from domain.measures.documented_reasons import reasons_for
    from domain.measures.explain import override_label

    def entry(at, gap, from_state: str | None, to_state: str) -> GapHistoryEntry:
        return GapHistoryEntry(
            at, gap.measure_id if not gap.group_index else f"{gap.measure_id} · {gap.group_index + 1}",
            f"{STATE_LABELS.get(from_state, from_state) if from_state else 'New'} → "
            f"{STATE_LABELS.get(to_state, to_state)} (period ending {gap.period_end:%Y-%m-%d})", gap.period_end)

    with engine.connect() as conn:
        gaps = {r.id: r for r in conn.execute(
            sa.select(g.c.id, g.c.measure_id, g.c.group_index, g.c.period_end, g.c.state, g.c.created_at)
            .where(g.c.patient_id == patient_id))}
        changes = list(conn.execute(
            sa.select(h.c.gap_id, h.c.at, h.c.from_state, h.c.to_state).where(h.c.gap_id.in_(list(gaps)))
            .order_by(h.c.gap_id, h.c.at, h.c.id)))
        entries = [entry(r.at, gaps[r.gap_id], r.from_state, r.to_state) for r in changes]
        # each gap's first computation: the state it then took is the one its first change left
        first_change = {}
        for r in changes:
            first_change.setdefault(r.gap_id, r)
        entries += [entry(gap.created_at, gap, None,
                          first_change[gid].from_state if gid in first_change else gap.state)
                    for gid, gap in gaps.items() if gap.created_at is not None]
        overrides = _override_notes(conn, patient_id)
        revisions = {r.record_id: r for r in conn.execute(
            sa.select(t.record_revision).where(
                t.record_revision.c.record_type == "GapOverride",
                t.record_revision.c.record_id.in_([n.id for n in overrides])))}
    for note in overrides:
        reasons = reasons_for(note.measure_id, note.kind) if note.reason_code else {}
        entries.append(GapHistoryEntry(note.at, note.measure_id, f"{override_label(note.kind)} documented by "
                                       f"{note.by}: {note.reason_text(reasons)}", note.period_end))
        if note.entered_in_error and note.id in revisions:
            rev = revisions[note.id]
            entries.append(GapHistoryEntry(
                rev.changed_at, note.measure_id,
                f"{override_label(note.kind)} of {note.at:%Y-%m-%d} marked entered-in-error by "
                f"{rev.changed_by}: {rev.reason}", note.period_end))
    return sorted(entries, key=lambda e: e.at, reverse=True)


# --- CSV export -------------------------------------------------------------------------

EXPORT_BATCH = 2000
CSV_HEADER = ("Patient", "Birth date", "MRN", "Practice", "Phone", "Preferred language", "Measure", "Group",
              "Measure title", "Period start", "Period end", "State", "Due", "Last outreach (UTC)", "Why",
              "Patient status")


def _describe(flt: GapFilter) -> str:
    group = f" group {flt.group_index + 1}" if flt.group_index is not None else ""
    parts = [f"measure={flt.measure_id or 'all'}{group}", f"practice_id={flt.practice_id or 'all'}",
             f"state={flt.state or 'all'}", f"period_end={flt.period_end or 'all'}"]
    if flt.text.strip():
        parts.append(f"text={flt.text.strip()!r}")
    return ", ".join(parts)


def _csv_text(text: str) -> str:
    """Typed-in text as a spreadsheet shows it, never as a formula it would run: a leading
    =, +, -, @, tab or carriage return gets an apostrophe in front (OWASP's CSV injection advice)."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def export_csv(engine: Engine, actor: str, flt: GapFilter, path, *, sort: str = DEFAULT_SORT,
               descending: bool = False, progress=None, cancel=None) -> int | None:
    """Write the worklist as it is filtered and sorted to ``path``; the export is audited.

    Rows are streamed page by page, never held all at once. The file appears only
    when complete (written beside it, then renamed). ``progress(rows_written)`` is
    called per batch; when ``cancel()`` turns true the partial file is removed and
    None is returned.
    """
    import csv
    import os
    from pathlib import Path

    from storage.private_files import open_private
    from storage.uow import UnitOfWork

    target = Path(path)
    partial = target.with_name(target.name + ".part")
    written = 0
    try:
        with open_private(partial, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_HEADER)
            # written from the rows as read (a GapRow each would cost a third of the time); the
            # values many rows share (days, practice, measure title, language, the reason, a
            # patient's phone over their gaps) formatted once each
            days = _Formatted(lambda day: day.isoformat() if day else "")
            texts = _Formatted(lambda text: _csv_text(text or ""))
            phones = _Formatted(lambda phone: _csv_text(phone_display(phone or "")))
            for rows, why in _batches(engine, flt, sort, descending, EXPORT_BATCH):
                writer.writerows((
                    _csv_text(f"{r.family}, {r.given}".strip(", ")), days[r.birth_date], _csv_text(r.mrn),
                    texts[r.code], phones[r.phone], texts[r.language],
                    r.measure_id, r.group_index + 1, texts[r.title],
                    days[r.period_start], days[r.period_end], r.state, days[r.due_date],
                    r.last_outreach_at.isoformat(sep=" ", timespec="minutes") if r.last_outreach_at else "",
                    texts[why.get(r.id, "")], status_note(r.status, r.deceased_date)) for r in rows)
                if len(phones) > _KEPT_REASONS:
                    phones.clear()
                written += len(rows)
                if len(rows) == EXPORT_BATCH:  # between batches (a last, partial one is reported below)
                    if progress:
                        progress(written)
                    if cancel and cancel():
                        raise _Cancelled
        # audited before the file is there: an export the trail does not know of never appears
        with UnitOfWork(engine, actor) as uow:
            uow.audit.record("export", "Gap", None, None,
                             f"CSV of {written} gaps to {target.name} ({_describe(flt)})")
            uow.commit()
        os.replace(partial, target)
    except _Cancelled:
        partial.unlink(missing_ok=True)
        return None
    except OSError as exc:  # a full disk, a folder without write access: name the file asked for
        partial.unlink(missing_ok=True)
        raise ExportFailed(f"{target} could not be written: {exc.strerror or exc}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if progress:
        progress(written)
    return written


class _Formatted(dict):
    """A value's text, worked out once per distinct value (``_Formatted(format)[value]``)."""

    def __init__(self, format_value):
        super().__init__()
        self.format_value = format_value

    def __missing__(self, value):
        text = self[value] = self.format_value(value)
        return text


class _Cancelled(Exception):
    pass


class ExportFailed(Exception):
    """The CSV could not be written; the message names the file and the reason."""
