"""The plan of one measure's writes, worked out from the measure's evaluation and what is
stored (:mod:`storage.measures.stored_gaps`) before the write lock is taken: the new gaps, the
gaps whose populations, state or due date changed, their state changes, the evidence that
differs, and the pod-peer sums a complete recompute's snapshot keeps. Plain data in and out
(no database): at 1M patients this runs for millions of gaps, so the work per gap is kept to
a few look-ups."""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

from domain.gaps import states_from_population_sets
from domain.measures.definition import MeasureDefinition
from domain.measures.due import due_date, lapse_dates
from domain.measures.period import MeasurementPeriod
from storage.measures import evidence_items
from storage.measures.engine import MeasureResult
from storage.measures.gap_evidence import NO_EVIDENCE, GapEvidence, StringKeys, evidence_changes
from storage.measures.peer_rates import PracticeOf, PracticeSum, practice_sums
from storage.measures.stored_gaps import FLAGS, POPULATION_COLUMNS, StoredState


class NewGap(NamedTuple):
    patient_id: int
    group_index: int
    flags: int  # the five population flags as bits (storage.measures.stored_gaps.FLAG_BITS_SQL)
    state: str
    due_date: str | None


_new_gap = functools.partial(tuple.__new__, NewGap)  # NewGap(*fields), in C


class GapUpdate(NamedTuple):
    """A stored gap's new populations, state and due date (the UPDATE's parameters, in order)."""
    initial_population: int
    denominator: int
    denominator_exclusion: int
    denominator_exception: int
    numerator: int
    state: str
    due_date: str | None
    computed_at: str
    gap_id: int


class StateChange(NamedTuple):
    """A row of gap history: a stored gap's state changed."""
    gap_id: int
    from_state: str
    to_state: str
    at: str


class Rekeyed(NamedTuple):
    """A stored gap whose evidence is replaced."""
    gap_id: int
    key: int
    items: str | None


@dataclasses.dataclass
class Plan:
    """One measure's writes, worked out before taking the write lock (see :func:`plan_measure`);
    new gaps are given their ids when written, in the order of ``new_gaps``."""
    result: MeasureResult
    period: MeasurementPeriod
    now: str  # the run's time: computed_at of what changed, created_at of what is new
    scoped: bool  # some patients or a practice, not the whole pod
    version: int | None  # gap_write's when the plan was made: another write since makes it stale
    counts: dict[str, int]  # gaps per state
    new_gaps: list[NewGap]  # in patient order, then group
    new_evidence: list[GapEvidence]  # their evidence, in the same order
    updates: list[GapUpdate]  # by gap id
    history: list[StateChange]
    rekeyed: list[Rekeyed]  # by gap id
    practices: PracticeOf | None = None  # a complete recompute: every patient's practice
    sums: dict[int, list[PracticeSum]] | None = None  # with practices: the pod-peer rates' sums, per group


def plan_measure(result: MeasureResult, stored: StoredState, period: MeasurementPeriod, now: str, scoped: bool,
                 practices: PracticeOf | None = None, practice_of: list[int] | None = None) -> Plan:
    """One measure's writes: only rows whose populations, state or due date changed (so
    ``computed_at`` is when a gap's result last changed), history for changed states (a new
    gap's first state is its own, from ``created_at``), and evidence only where it differs
    from what is stored. ``practice_of`` (with ``practices``): patient id -> practice id,
    for the pod-peer sums."""
    d = result.definition
    inverse = bool(d.get("inverse"))
    counts: dict[str, int] = {}
    old, overrides, births = stored.gaps, stored.overrides, stored.births
    open_due = due_date("open", d, None, period, None).isoformat()  # unless it comes from the birth date
    open_due_of = functools.partial(_open_due_from_birth, d, period, births) if births else (lambda _pid: open_due)
    # New gaps are given ids in patient order (then group), after every group is decided, and
    # all the measure's rows are written in that order: each table and index is then mostly
    # appended to rather than split page by page.
    ids: list[dict[int, int]] = []  # per group: patient -> gap id
    new_rows: list[tuple] = []  # NewGap's fields, made NewGaps once sorted (see below)
    updates: list[GapUpdate] = []
    history: list[StateChange] = []
    overridden_of: list[set] = []
    for gi, group in enumerate(result.groups):
        pops = group.populations
        ip, den, exc, exn, num = (pops[c] for c in POPULATION_COLUMNS)
        states = states_from_population_sets(ip, den, exc, exn, num, inverse=inverse)
        overridden = states["open"] & overrides.keys()  # a care-management decision; the
        states["open"] -= overridden                     # populations stay the measure's
        states["excluded"] |= overridden
        overridden_of.append(overridden)
        closed_due = lapse_dates(d["groups"][gi]["populations"]["numerator"], d, period,
                                 functools.partial(_evidence_days, result.criteria), states["closed"])
        closed_due = {pid: day.isoformat() for pid, day in closed_due.items() if day}
        stored_gi = old[gi]
        ids.append({pid: before.gap_id for pid, before in stored_gi.items()})
        stored_get = stored_gi.get
        for state, pids in states.items():
            if not pids:
                continue
            counts[state] = counts.get(state, 0) + len(pids)
            due_of = closed_due.get if state == "closed" else open_due_of if state == "open" else _no_due
            # an open or closed gap is counted, neither excluded nor an exception, and in the
            # numerator exactly when met (inverse: when not): only the others are looked up
            fixed = 0b00011 | (((state == "closed") != inverse) << 4) if state in ("open", "closed") else 0
            for pid in pids:
                bits = fixed or 1 | (pid in den) << 1 | (pid in exc) << 2 | (pid in exn) << 3 | (pid in num) << 4
                due_text = due_of(pid)
                before = stored_get(pid)
                if before is None:
                    new_rows.append((pid, gi, bits, state, due_text))
                elif before.state != state or before.flags != bits or before.due_date != due_text:
                    updates.append(GapUpdate(*FLAGS[bits], state, due_text, now, before.gap_id))
                    if before.state != state:
                        history.append(StateChange(before.gap_id, before.state, state, now))
        # patients no longer in the initial population: their gap is not applicable any more
        for pid, before in stored_gi.items():
            if pid not in ip and before.state != "not_applicable":
                updates.append(GapUpdate(0, 0, 0, 0, 0, "not_applicable", None, now, before.gap_id))
                history.append(StateChange(before.gap_id, before.state, "not_applicable", now))
    # new gaps get their ids when written (under the write lock: nobody else adds gaps then),
    # in patient order (then group); here each has a stand-in, -1 for the first, -2 for the
    # next..., so their evidence needs no ids read back
    # (plain tuples are sorted by list.sort's fast path, and made NewGaps without a Python call
    # each: a new period has millions)
    new_rows.sort()
    new_gaps = list(map(_new_gap, new_rows))
    del new_rows
    for index, gap in enumerate(new_gaps, 1):
        ids[gap.group_index][gap.patient_id] = -index
    changes: dict[int, GapEvidence] = {}
    strings, texts = StringKeys(), evidence_items.JsonText()
    for gi in range(len(result.groups)):
        evidence_changes(d, result, gi, ids[gi], old[gi], {p: overrides[p] for p in overridden_of[gi]},
                         strings, texts, changes)
    history.sort()
    updates.sort(key=lambda row: row.gap_id)
    new_evidence = [changes.get(-index, NO_EVIDENCE) for index in range(1, len(new_gaps) + 1)]
    rekeyed = sorted(Rekeyed(gid, *evidence) for gid, evidence in changes.items() if gid > 0)
    # the pod-peer rates these gaps will give, for a complete recompute's snapshot
    sums = None if practice_of is None else practice_sums([g.populations for g in result.groups], old, practice_of)
    return Plan(result, period, now, scoped, stored.version, counts, new_gaps, new_evidence, updates, history,
                rekeyed, practices, sums)


def _no_due(_pid: int) -> None:
    return None


def _open_due_from_birth(d: MeasureDefinition, period: MeasurementPeriod, births: dict, pid: int) -> str:
    return due_date("open", d, None, period, None, births.get(pid)).isoformat()


def _evidence_days(criteria: dict, name: str) -> dict:
    """Per patient meeting a criterion, the day of the fact that decided it (when it has one)."""
    crit = criteria.get(name)
    if crit is None:
        return {}
    return {pid: ev.day for pid, ev in crit.evidence.items() if ev.day and pid in crit.patients}
