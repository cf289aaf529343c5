"""Read models for the Gaps worklist and the chart's Gaps tab.

The worklist can hold hundreds of thousands of gaps, so it is never loaded whole:
:func:`gap_page` returns one page in the order asked for, continuing after the
last row of the previous page (keyset paging: no OFFSET, which would re-read
every earlier row), and :func:`iter_gaps` streams the same rows for a CSV export.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.gaps import GapOverride
from domain.measures.catalogue import catalogue
from domain.measures.explain import EvidenceItem, explain_gap
from domain.text import name_key
from storage import schema as t
from storage.measures import evidence_items

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


@dataclasses.dataclass(frozen=True)
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
    """(id, code, name) of the active practices, by name."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(pr.c.id, pr.c.code, pr.c.name).where(pr.c.active.is_(True)).order_by(pr.c.name))]


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
            after = None
            while True:
                query = sa.select(sa.func.max(g.c.period_end)).where(g.c.measure_id == mid)
                if after is not None:
                    query = query.where(g.c.period_end < after)
                end = conn.scalar(query)
                if end is None:
                    break
                if isinstance(end, str):  # MAX() loses the column type in SQLite
                    end = dt.date.fromisoformat(end)
                start = conn.scalar(sa.select(g.c.period_start).where(
                    g.c.measure_id == mid, g.c.period_end == end).limit(1))
                if (mid, start, end) not in staged:
                    found.add((start, end))
                after = end
    return sorted(found, key=lambda period: period[1], reverse=True)


# --- the worklist ------------------------------------------------------------------

def _prefix(column: sa.ColumnElement, prefix: str) -> sa.ColumnElement:
    """An index-friendly "starts with" (a range, not LIKE)."""
    return sa.and_(column >= prefix, column < prefix + "\U0010ffff")


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
        return sa.and_(cond, _prefix(p.c.given_key, parts[1])) if parts[1] else cond
    words = name_key(text).split()
    if not words:
        return None
    if len(words) == 1:
        return _prefix(p.c.family_key, words[0])
    first, rest = words[0], " ".join(words[1:])
    last, before = words[-1], " ".join(words[:-1])
    return sa.or_(
        sa.and_(_prefix(p.c.family_key, first), _prefix(p.c.given_key, rest)),
        sa.and_(_prefix(p.c.family_key, last), _prefix(p.c.given_key, before)),
        # a family name of several words ("de la cruz"), or a hyphenated one typed with a space
        # ("reyes cruz" is Reyes-Cruz, kept as REYESCRUZ)
        _prefix(p.c.family_key, " ".join(words)),
        _prefix(p.c.family_key, "".join(words)),
    )


def _no_index(column: sa.Column) -> sa.ColumnElement:
    """``+gap.measure_id``: the same value, but SQLite will not pick an index for it.

    Used to steer the planner to the index that already holds the rows in the order asked for.
    """
    return sa.literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def _patient_conditions(flt: GapFilter) -> list[sa.ColumnElement]:
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
    return _no_index(g.c.group_index) == flt.group_index if flt.group_index is not None else None


def _measure(flt: GapFilter, column=lambda c: c) -> sa.ColumnElement | None:
    """The measure chosen, or for "All measures" every measure but the payer variants: a
    variant is a measure of its own, shown when chosen, never counted again beside its base
    (its patients are its base's). Checked on each row, never steering the read."""
    if flt.measure_id:
        return column(g.c.measure_id) == flt.measure_id
    variants = catalogue().variant_ids
    return _no_index(g.c.measure_id).not_in(variants) if variants else None


def _conditions(flt: GapFilter, *, with_state: bool = True, steer: str = "") -> list[sa.ColumnElement]:
    gap_col = (lambda c: _no_index(c)) if steer == "patient" else (lambda c: c)
    conds: list[sa.ColumnElement] = _patient_conditions(flt)
    measure = _measure(flt, _no_index if steer in ("gap", "patient") else lambda c: c)
    if measure is not None:
        conds.append(measure)
    if flt.group_index is not None:
        conds.append(_group(flt))
    if flt.period_end:
        conds.append(gap_col(g.c.period_end) == flt.period_end)
    if with_state and flt.state:
        conds.append(gap_col(g.c.state) == flt.state)
    return conds


def count_gaps(engine: Engine, flt: GapFilter) -> GapCounts:
    """Gaps per state under every filter but the state one ("12,345 open of 40,000").

    Without a patient filter the count comes from the gap index alone, less the
    gaps of the (few) patients marked entered-in-error, instead of joining every gap
    to its patient.
    """
    by_patient = flt.practice_id is not None or text_condition(flt.text) is not None

    def gap_filter(column=lambda c: c):
        return [c for c in (_measure(flt, column),
                            column(g.c.period_end) == flt.period_end if flt.period_end else None,
                            _group(flt))
                if c is not None]

    with engine.connect() as conn:
        if by_patient:
            # from the practice's (or the matching) patients to their gaps: as a join SQLite
            # walked every gap of the period instead (5 s at 1M patients, 25 ms this way)
            query = (sa.select(g.c.state, sa.func.count())
                     .where(_of_patients(flt), *gap_filter(_no_index)).group_by(g.c.state))
            return GapCounts({state: n for state, n in conn.execute(query)})
        counts = {state: n for state, n in conn.execute(
            sa.select(g.c.state, sa.func.count()).where(*gap_filter()).group_by(g.c.state))}
        # "= 1", not "IS 1", lets SQLite use the partial index, and "IN (those patients)" makes
        # it start from them: as a join it walked every gap of the period (5 s at 1M patients)
        in_error_patients = sa.select(p.c.id).where(p.c.entered_in_error == sa.true())
        in_error = conn.execute(
            sa.select(g.c.state, sa.func.count())
            .where(g.c.patient_id.in_(in_error_patients), *gap_filter(_no_index)).group_by(g.c.state))
        for state, n in in_error:
            counts[state] -= n
    return GapCounts({state: n for state, n in counts.items() if n})


def _sort_keys(flt: GapFilter, sort: str, descending: bool) -> tuple[str, list[tuple[sa.ColumnElement, bool]]]:
    if sort not in SORT_KEYS:
        raise ValueError(f"Unknown gap sort column {sort!r}")
    driver, exprs = SORT_KEYS[sort]
    if flt.state and exprs[0] is _state_rank:
        exprs = exprs[1:]  # one state shown: its rank is the same on every row
    return driver, [(expr, descending) for expr in exprs]


def _after(keys: list[tuple[sa.ColumnElement, bool]], values: Sequence[Any]) -> sa.ColumnElement:
    """Rows strictly after ``values`` in the order of ``keys``, NULL-safe.

    SQLite sorts NULL first ascending and last descending; the comparison follows
    that. The first key is also given as a plain range (``k0 >= v0``) so the index
    walk starts at the previous page's last row instead of at the beginning.
    """
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


def _rows_query(flt: GapFilter, sort: str, descending: bool, from_patients: bool = False):
    driver, keys = _sort_keys(flt, sort, descending)
    columns = [
        g.c.id, g.c.patient_id, p.c.family, p.c.given, p.c.birth_date, p.c.mrn, pr.c.code,
        g.c.measure_id, m.c.title, m.c.inverse, g.c.group_index, g.c.state, g.c.period_start,
        g.c.period_end, g.c.due_date, _LAST_OUTREACH.label("last_outreach_at"),
    ]
    key_columns = [expr.label(f"k{i}") for i, (expr, _) in enumerate(keys)]
    query = (sa.select(*columns, *key_columns)
             .select_from(g.join(p, p.c.id == g.c.patient_id)
                          .join(pr, pr.c.id == p.c.practice_id)
                          .join(m, m.c.id == g.c.measure_id))
             .where(*(_conditions(flt, steer="patient") + [_of_patients(flt)] if from_patients
                      else _conditions(flt, steer=driver)))
             .order_by(*[expr.desc() if desc else expr.asc() for expr, desc in keys]))
    return query, keys


def _row(r, why: str = "") -> GapRow:
    return GapRow(r.id, r.patient_id, f"{r.family}, {r.given}".strip(", "), r.birth_date, r.mrn,
                  r.code, r.measure_id, r.title, r.group_index, r.state, r.period_start,
                  r.period_end, r.due_date, r.last_outreach_at, why)


def gap_page(engine: Engine, flt: GapFilter, *, sort: str = DEFAULT_SORT, descending: bool = False,
             after: tuple | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the worklist, ordered in SQL, starting after the row ``after`` describes."""
    if sort == "state" and flt.state is None:
        return _page_across_states(engine, flt, descending, after, limit)
    if sort == "due" and flt.state is None:
        return _page_merging_states(engine, flt, descending, after, limit)
    with engine.connect() as conn:
        query, keys = _rows_query(flt, sort, descending, _from_patients(conn, flt, sort))
        if after is not None:
            query = query.where(_after(keys, after))
        fetched = list(conn.execute(query.limit(limit + 1)))
        more = len(fetched) > limit
        fetched = fetched[:limit]
        why = _short_reasons(conn, fetched)
    rows = [_row(r, why.get(r.id, "")) for r in fetched]
    next_after = None
    if more and fetched:
        last = fetched[-1]
        next_after = tuple(last._mapping[f"k{i}"] for i in range(len(keys)))
    return Page(rows, next_after)


def _page_across_states(engine: Engine, flt: GapFilter, descending: bool, after: tuple | None,
                        limit: int) -> Page:
    """All states, open first: one state after the other, each read in due-date order from
    ix_gap_worklist (a CASE over the state cannot be ordered by an index)."""
    order = list(range(len(STATE_ORDER)))
    if descending:
        order.reverse()
    if after is not None:
        order = order[order.index(after[0]):]
    rows: list[GapRow] = []
    sub_after = after[1:] if after is not None else None
    for position, rank in enumerate(order):
        one_state = dataclasses.replace(flt, state=STATE_ORDER[rank])
        page = gap_page(engine, one_state, sort="state", descending=descending, after=sub_after,
                        limit=limit - len(rows))
        rows += page.rows
        sub_after = None
        if len(rows) >= limit:
            if page.next_after is not None:
                return Page(rows, (rank,) + page.next_after)
            later = any(gap_page(engine, dataclasses.replace(flt, state=STATE_ORDER[r]), limit=1).rows
                        for r in order[position + 1:])
            last = rows[-1]
            return Page(rows, (rank, last.due_date, last.measure_id, last.gap_id) if later else None)
    return Page(rows, None)


def _page_merging_states(engine: Engine, flt: GapFilter, descending: bool, after: tuple | None,
                         limit: int) -> Page:
    """All states by due date: each state's rows come in order from ix_gap_worklist, and the
    page is the first ``limit`` of their merge (instead of sorting every gap of the period)."""
    def order(row: GapRow):
        # SQLite's order: NULL first ascending (and so last descending)
        return (row.due_date is not None, row.due_date or dt.date.min, row.measure_id, row.gap_id)

    merged: list[GapRow] = []
    more = False
    for state in STATE_ORDER:
        page = gap_page(engine, dataclasses.replace(flt, state=state), sort="due", descending=descending,
                        after=after, limit=limit)
        merged += page.rows
        more = more or page.next_after is not None
    merged.sort(key=order, reverse=descending)
    rows = merged[:limit]
    more = more or len(merged) > limit
    last = rows[-1] if rows else None
    return Page(rows, (last.due_date, last.measure_id, last.gap_id) if more and last else None)


def iter_gaps(engine: Engine, flt: GapFilter, *, sort: str = DEFAULT_SORT, descending: bool = False,
              batch: int = 2000) -> Iterator[GapRow]:
    """Every row of the worklist in order, a batch at a time (for CSV export)."""
    after = None
    while True:
        page = gap_page(engine, flt, sort=sort, descending=descending, after=after, limit=batch)
        yield from page.rows
        if page.next_after is None:
            return
        after = page.next_after


# --- explanations ------------------------------------------------------------------

def _evidence_for(conn, gap_ids: Sequence[int]) -> dict[int, list[EvidenceItem]]:
    e, f = t.gap_evidence, t.clinical_fact
    found: dict[int, list[EvidenceItem]] = {gid: [] for gid in gap_ids}
    if not gap_ids:
        return found
    items = {gid: evidence_items.decode(text) for gid, text in conn.execute(
        sa.select(e.c.gap_id, e.c["items"]).where(e.c.gap_id.in_(list(gap_ids))))}
    fact_ids = {item[2] for gap_items in items.values() for item in gap_items if item[2] is not None}
    facts = {r.id: r for r in conn.execute(
        sa.select(f.c.id, f.c.display, f.c.kind, f.c.value_num, f.c.value_unit).where(f.c.id.in_(fact_ids)))}
    for gid, gap_items in items.items():
        for population, rule, fact_id, system, code, day, detail in gap_items:
            fact = facts.get(fact_id)
            found[gid].append(EvidenceItem(
                population=population, rule=rule, code_system=system or "", code=code or "",
                fact_date=dt.date.fromisoformat(day) if day else None, detail=detail or "",
                display=fact.display or "" if fact else "", kind=fact.kind or "" if fact else "",
                value=fact.value_num if fact else None, unit=fact.value_unit or "" if fact else ""))
    return found


def _short_reasons(conn, rows) -> dict[int, str]:
    evidence = _evidence_for(conn, [r.id for r in rows])
    return {r.id: explain_gap(state=r.state, measure_id=r.measure_id, measure_title=r.title,
                              inverse=bool(r.inverse), period_end=r.period_end, due_date=r.due_date,
                              evidence=evidence[r.id], group_index=r.group_index) for r in rows}


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


def patient_gaps(engine: Engine, patient_id: int) -> list[PatientGap]:
    """One row per measure (and population group) for the patient's latest period of that measure."""
    from storage.measures.gap_steps import UNPUBLISHED

    latest = (sa.select(g.c.measure_id, sa.func.max(g.c.period_end).label("period_end"))
              .where(g.c.patient_id == patient_id, ~UNPUBLISHED).group_by(g.c.measure_id).subquery())
    query = (sa.select(g, m.c.title, m.c.inverse, _LAST_OUTREACH.label("patient_last_outreach"))
             .select_from(g.join(latest, sa.and_(latest.c.measure_id == g.c.measure_id,
                                                 latest.c.period_end == g.c.period_end))
                          .join(m, m.c.id == g.c.measure_id))
             .where(g.c.patient_id == patient_id).order_by(g.c.measure_id, g.c.group_index))
    with engine.connect() as conn:
        rows = list(conn.execute(query))
        evidence = _evidence_for(conn, [r.id for r in rows])
        notes = _override_notes(conn, patient_id)
    result = []
    for r in rows:
        mine = [n for n in notes if n.measure_id == r.measure_id and n.period_end == r.period_end]
        why = explain_gap(state=r.state, measure_id=r.measure_id, measure_title=r.title,
                          inverse=bool(r.inverse), period_end=r.period_end, due_date=r.due_date,
                          evidence=evidence[r.id], overrides=mine, group_index=r.group_index)
        result.append(PatientGap(r.id, r.measure_id, r.title, r.group_index, r.state, r.period_start,
                                 r.period_end, r.due_date, r.patient_last_outreach, why, mine))
    return result


def _override_notes(conn, patient_id: int) -> list[GapOverride]:
    o = t.gap_override
    query = sa.select(o).where(o.c.patient_id == patient_id).order_by(o.c.at.desc(), o.c.id.desc())
    return [GapOverride(patient_id=r.patient_id, measure_id=r.measure_id, period_start=r.period_start,
                        period_end=r.period_end, kind=r.kind, reason=r.reason, by=r.by, at=r.at,
                        entered_in_error=bool(r.entered_in_error), id=r.id) for r in conn.execute(query)]


def patient_override_notes(engine: Engine, patient_id: int) -> list[GapOverride]:
    """Every documented exclusion or refusal of the patient, newest first, errors included."""
    with engine.connect() as conn:
        return _override_notes(conn, patient_id)


def patient_gap_history(engine: Engine, patient_id: int) -> list[GapHistoryEntry]:
    """State changes of the patient's gaps and documented overrides, newest first."""
    h = t.gap_history
    from domain.gaps import STATE_LABELS
    from domain.measures.explain import override_label

    def entry(at, gap, from_state: str | None, to_state: str) -> GapHistoryEntry:
        return GapHistoryEntry(
            at, gap.measure_id if not gap.group_index else f"{gap.measure_id} · {gap.group_index + 1}",
            f"{STATE_LABELS.get(from_state, from_state) if from_state else 'New'} → "
            f"{STATE_LABELS.get(to_state, to_state)} (period ending {gap.period_end:%Y-%m-%d})")

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
        entries.append(GapHistoryEntry(note.at, note.measure_id,
                                       f"{override_label(note.kind)} documented by {note.by}: {note.reason}"))
        if note.entered_in_error and note.id in revisions:
            rev = revisions[note.id]
            entries.append(GapHistoryEntry(
                rev.changed_at, note.measure_id,
                f"{override_label(note.kind)} of {note.at:%Y-%m-%d} marked entered-in-error by "
                f"{rev.changed_by}: {rev.reason}"))
    return sorted(entries, key=lambda e: e.at, reverse=True)


# --- CSV export -------------------------------------------------------------------------

CSV_HEADER = ("Patient", "Birth date", "MRN", "Practice", "Measure", "Group", "Measure title",
              "Period start", "Period end", "State", "Due", "Last outreach (UTC)", "Why")


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
            for row in iter_gaps(engine, flt, sort=sort, descending=descending):
                writer.writerow((
                    _csv_text(row.patient_name), row.birth_date.isoformat(), _csv_text(row.mrn),
                    _csv_text(row.practice_code), row.measure_id, row.group_index + 1, _csv_text(row.measure_title),
                    row.period_start.isoformat(), row.period_end.isoformat(), row.state,
                    row.due_date.isoformat() if row.due_date else "",
                    row.last_outreach_at.isoformat(sep=" ", timespec="minutes") if row.last_outreach_at else "",
                    _csv_text(row.why)))
                written += 1
                if written % 2000 == 0:
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


class _Cancelled(Exception):
    pass


class ExportFailed(Exception):
    """The CSV could not be written; the message names the file and the reason."""
