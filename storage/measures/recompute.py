"""Recompute gaps in care: evaluate measures (set-based), then write gap rows, their evidence
and, when a state changes, gap history — each measure in one transaction of its own.
Incremental when given patient ids (only those are touched), complete otherwise; a complete
run is shared out between worker processes (:mod:`storage.measures.parallel`)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import json
import sqlite3
from typing import Callable, Iterable

from domain.clock import utcnow
from domain.gaps import states_from_population_sets
from domain.measures import definition as definitions
from domain.measures.due import due_date, lapse_dates
from domain.measures.explain import OVERRIDE_RULES
from domain.measures.period import MeasurementPeriod
from domain.measures.populations import names_in
from storage.db import BUSY_TIMEOUT_MS, database_file
from storage.failures import rollback_quietly
from storage.measures import evidence_items, id_sets
from storage.measures.criteria import quote
from storage.measures.engine import evaluate_each, raw_connection
from storage.measures.peer_rates import practice_sums
from storage.measures.valuesets import ensure_valuesets

ALL_MEASURES = ("CMS125", "CMS130", "CMS124", "CMS122", "CMS165", "CMS138", "CMS2", "CMS117")
MMAP_BYTES = 2 ** 28
COLUMNS = {"initial-population": "initial_population", "denominator": "denominator",
           "denominator-exclusion": "denominator_exclusion", "denominator-exception": "denominator_exception",
           "numerator": "numerator"}


def install_measures(con, measure_ids: Iterable[str]) -> None:
    """Keep the ``measure`` table in step with the definitions (the gap rows refer to it)."""
    for mid in measure_ids:
        d = definitions.load(mid)
        con.execute("INSERT INTO measure (id, version, title, inverse, active, definition) VALUES (?, ?, ?, ?, 1, ?) "
                    "ON CONFLICT(id) DO UPDATE SET version = excluded.version, title = excluded.title, "
                    "inverse = excluded.inverse, definition = excluded.definition",
                    (mid, d.get("version", ""), d["title"], int(bool(d.get("inverse"))), json.dumps(d)))


def _leaves(d: dict, expr) -> list[str]:
    out, todo = [], list(names_in(expr))
    while todo:
        name = todo.pop()
        if name in d["criteria"]:
            out.append(name)
        elif name in d["expressions"]:
            todo.extend(names_in(d["expressions"][name]))
    return sorted(set(out))


def recompute(engine, period: MeasurementPeriod, measure_ids: Iterable[str] = ALL_MEASURES, *,
              patient_ids: Iterable[int] | None = None, practice_id: int | None = None,
              progress: Callable[[int, int, str], None] | None = None,
              cancel: Callable[[], bool] | None = None,
              snapshot_month: dt.date | None = None,
              workers: int | None = None) -> dict[str, dict[str, int]]:
    """Returns per measure the number of gaps per state. Each measure is written whole in its
    own transaction; cancelling keeps the measures finished before it and writes no other.

    The whole pod or a practice is shared out between ``workers`` processes (default: one per
    core, at most :data:`storage.measures.parallel.MAX_WORKERS`; ``CAREPOD_RECOMPUTE_WORKERS``
    overrides); some patients (after an import) are done here.

    A complete recompute (no patients, no practice) also keeps this month's pod-peer rates
    (``snapshot_month``, default today) in ``quality_snapshot``, so trends accumulate: each
    measure's as soon as it is written."""
    from storage.measures import parallel

    ensure_valuesets(engine)
    measure_ids = list(measure_ids)
    patient_ids = None if patient_ids is None else {int(p) for p in patient_ids}
    scoped = patient_ids is not None or practice_id is not None
    workers = parallel.worker_count(engine, measure_ids, patient_ids, workers)
    # each measure's snapshot is taken as soon as it is written (by the worker that wrote it)
    month = None if scoped else (snapshot_month or utcnow().date())
    if workers > 1:
        return parallel.recompute_in_processes(engine, period, measure_ids, workers, practice_id=practice_id,
                                               progress=progress, cancel=cancel, snapshot_month=month)
    return recompute_here(engine, period, measure_ids, patient_ids=patient_ids, practice_id=practice_id,
                          progress=progress, cancel=cancel, snapshot_month=month)


def recompute_here(engine, period: MeasurementPeriod, measure_ids: Iterable[str], *,
                   patient_ids: set[int] | None = None, practice_id: int | None = None,
                   progress: Callable[[int, int, str], None] | None = None,
                   cancel: Callable[[], bool] | None = None,
                   write_lock_wait_ms: int | None = None, now: str | None = None,
                   still_to_come: Callable[[], Iterable[str]] | None = None,
                   snapshot_month: dt.date | None = None) -> dict[str, dict[str, int]]:
    """Evaluate and write the measures in this process (see :func:`recompute`); ``now`` is the
    run's time written as the gaps' ``computed_at``. A worker process passes its measures one
    by one with ``still_to_come`` (see :func:`storage.measures.engine.evaluate_each`); the
    ``measure`` rows are then already installed. With ``snapshot_month`` each measure's
    pod-peer rates are kept for that month once it is written."""
    scoped = patient_ids is not None or practice_id is not None
    database = database_file(engine)
    fairy, con = raw_connection(engine)
    con.row_factory = None
    # a measure's steps need not each reach the disk: its last step, which marks it written, does (gap_steps)
    con.execute("PRAGMA synchronous = NORMAL")
    if write_lock_wait_ms is not None:  # a worker waits for its sibling's write, however long
        con.execute(f"PRAGMA busy_timeout = {int(write_lock_wait_ms)}")
    # Reading the facts through a memory map saves a system call per page; the mapped pages
    # count in the worker's memory, so the map is capped (256 MB: 5 % more CPU than 2 GB at
    # 100k patients, 0.5 GB less memory) and dropped afterwards so an open app does not keep it.
    con.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    # The run's temp tables (per-measure rows, half a gigabyte at 1M patients) stay in memory,
    # as every connection's do: in temp files they cost 8 % more CPU at 1M, in system calls.
    # Millions of evidence objects and rows are made and dropped, none in a reference cycle:
    # the cyclic collector would walk them again and again (11 % of the CPU at 100k patients).
    collecting = gc.isenabled()
    gc.disable()
    try:
        now = now or run_time()
        summary: dict[str, dict[str, int]] = {}
        # Each measure is evaluated outside any write transaction (reads never block the
        # staff's own saves), then written in one short transaction of its own and dropped,
        # so memory holds one measure (two in a worker, below) at a time. A cancel stops
        # before the next measure: measures already written stay written, the one being
        # evaluated (and one waiting to be written) is not written.
        if still_to_come is None:
            measure_ids = list(measure_ids)
            _in_write_transaction(con, install_measures, con, measure_ids)
        # A worker whose sibling is writing (SQLite has one writer) does not wait idle: it goes
        # on with its next measure and writes the waiting one as soon as the sibling is done
        # (at 1M patients a sibling's write lasts up to 25 s).
        overlap = write_lock_wait_ms is not None
        waiting: list[Plan] = []  # at most one
        practices = _Practices() if snapshot_month is not None else None  # for the snapshots

        def written(plan: Plan) -> None:  # its snapshot was kept in its last step (gap_steps)
            summary[plan.result.measure_id] = plan.counts

        def write(plan: Plan, wait: bool) -> None:
            done = _write_plan(con, plan, wait, database=database, snapshot_month=snapshot_month)
            if done is None:
                waiting.append(plan)
            else:
                written(done)

        def write_waiting_if_free() -> bool:
            """Between two criteria of the next measure: the waiting measure is written as
            soon as the sibling's write ends. Then the caller's cancel is asked."""
            if waiting:
                write(waiting.pop(), wait=False)
            return cancel is not None and cancel()

        # what to write is worked out before the write lock is taken: the lock (one writer at
        # a time) is held only while rows are written
        for result in evaluate_each(con, measure_ids, period, practice_id=practice_id, patient_ids=patient_ids,
                                    progress=progress, cancel=write_waiting_if_free if overlap else cancel,
                                    still_to_come=still_to_come):
            if waiting:  # the sibling may be done by now: write before working out the next plan
                write(waiting.pop(), wait=False)
            plan = _plan_writes(con, result, period, now, scoped, practices)
            del result  # the plan keeps it, to work the plan out again if need be
            if waiting:
                write(waiting.pop(), wait=True)
            write(plan, wait=not overlap)
            del plan  # before the next measure is evaluated
        if waiting:
            write(waiting.pop(), wait=True)
    finally:
        if collecting:
            gc.enable()
        con.execute("PRAGMA mmap_size = 0")
        con.execute("PRAGMA synchronous = FULL")  # back to the pool as it came
        if write_lock_wait_ms is not None:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        fairy.close()
        if write_lock_wait_ms is None:  # a worker's log is copied by its parent (parallel._Checkpointer)
            from storage.checkpoints import after_write

            after_write(database)
    return summary


def run_time() -> str:
    """A recompute's time as stored in ``computed_at`` and gap history."""
    return utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")


def _plan_writes(con, result, period: MeasurementPeriod, now: str, scoped: bool,
                 practices: _Practices | None = None) -> Plan:
    """A measure's writes, worked out from one consistent read of what is stored, without
    holding the write lock (a sibling worker writes meanwhile)."""
    con.execute("BEGIN")
    try:
        return _plan(con, result, period, now, scoped, practices)
    finally:
        con.execute("COMMIT")


def _write_plan(con, plan: Plan, wait: bool = True, *, database: str | None = None,
                snapshot_month: dt.date | None = None) -> Plan | None:
    """Write one measure's gaps in short steps, published together with its snapshot
    (:mod:`storage.measures.gap_steps`), and return the plan written (worked out again if
    need be), or, unless ``wait``, None at once when another connection is writing as it
    would begin; without SQLite looking up the parent row of
    every foreign key: at 1M patients those look-ups (each evidence row's fact among millions)
    cost more than the writing itself. Every id written comes from rows read in this run that
    are never deleted — patients and facts are marked entered-in-error instead, the measure row
    is installed first, gap ids are assigned inside the same transaction — and a test checks
    ``PRAGMA foreign_key_check`` after a recompute."""
    from storage.measures.gap_steps import write_in_steps

    con.execute("PRAGMA foreign_keys = OFF")  # only outside a transaction does this take effect
    try:
        return write_in_steps(con, plan, wait=wait, database=database, snapshot_month=snapshot_month)
    finally:
        con.execute("PRAGMA foreign_keys = ON")


def _begin_now(con) -> bool:
    """Begin a write transaction if no other connection is writing; False if one is."""
    timeout = con.execute("PRAGMA busy_timeout").fetchone()[0]
    con.execute("PRAGMA busy_timeout = 0")
    try:
        con.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return False
    finally:
        con.execute(f"PRAGMA busy_timeout = {int(timeout)}")


def _in_write_transaction(con, work, *args, begun: bool = False):
    if not begun:
        con.execute("BEGIN IMMEDIATE")
    try:
        outcome = work(*args)
        con.execute("COMMIT")
        return outcome
    except BaseException:
        rollback_quietly(con)  # a full disk has rolled it back already: keep that error, not ROLLBACK's
        raise


def recompute_for_patients(engine, patient_ids: Iterable[int], period: MeasurementPeriod | None = None,
                           progress: Callable[[int, int, str], None] | None = None,
                           cancel: Callable[[], bool] | None = None,
                           measure_ids: Iterable[str] = ALL_MEASURES) -> dict[str, dict[str, int]]:
    """After an import: recompute only these patients' gaps (the import report's changed
    patients) for the current calendar year unless a period is given; other gaps are untouched."""
    ids = {int(p) for p in patient_ids}
    if period is None:
        today = utcnow().date()
        period = MeasurementPeriod(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if not ids:
        return {}
    return recompute(engine, period, measure_ids, patient_ids=ids, progress=progress, cancel=cancel)


def _insert_sql(mid: str, ps: str, pe: str, now: str) -> str:
    """The INSERT of a measure's new gaps: (id, patient, group, flags as bits, state, due date,
    evidence key). What all of them share (measure, period, time) is written into the statement
    once rather than bound for each of millions of rows, and the five population flags travel
    as one number: a tenth less time under the write lock at 1M patients."""
    flags = ", ".join(f"(?4 >> {n}) & 1" for n in range(5))
    return ("INSERT INTO gap (id, patient_id, measure_id, period_start, period_end, group_index, initial_population, "
            "denominator, denominator_exclusion, denominator_exception, numerator, state, due_date, computed_at, "
            f"created_at, evidence_key) VALUES (?1, ?2, {quote(mid)}, {quote(ps)}, {quote(pe)}, ?3, {flags}, ?5, ?6, "
            f"{quote(now)}, {quote(now)}, ?7)")


_UPDATE = ("UPDATE gap SET initial_population = ?, denominator = ?, denominator_exclusion = ?, "
           "denominator_exception = ?, numerator = ?, state = ?, due_date = ?, computed_at = ? WHERE id = ?")


def _birth_dates(con, pids) -> dict[int, dt.date]:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS gap_birth (patient_id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM gap_birth")
    id_sets.fill(con, "gap_birth", pids)
    out = {}
    for pid, birth in con.execute("SELECT p.id, p.birth_date FROM patient p JOIN gap_birth b ON b.patient_id = p.id"):
        try:
            out[pid] = dt.date.fromisoformat(str(birth)[:10])
        except (TypeError, ValueError):
            continue
    return out


# a gap's five population flags as one number (bit 0: initial population ... bit 4: numerator)
# (SQLite gives | and << the same precedence: each shift is in parentheses)
_BITS = ("(g.initial_population | (g.denominator << 1) | (g.denominator_exclusion << 2) "
         "| (g.denominator_exception << 3) | (g.numerator << 4))")
_FLAGS = [tuple((bits >> n) & 1 for n in range(5)) for bits in range(32)]


def _plan(con, result, period: MeasurementPeriod, now: str, scoped: bool,
          practices: _Practices | None = None) -> Plan:
    """One measure's writes: only rows whose populations, state or due date changed (so
    ``computed_at`` is when a gap's result last changed), history for changed states (a new
    gap's first state is its own, from ``created_at``), and evidence only where it differs
    from what is stored. Reads only (within one read
    transaction of the caller's). At 1M patients this runs for millions of gaps: the work
    per gap is kept to a few lookups."""
    d = result.definition
    inverse = bool(d.get("inverse"))
    mid = result.measure_id
    ps, pe = period.start.isoformat(), period.end.isoformat()
    counts: dict[str, int] = {}
    version = _version(con, mid, ps, pe)
    if scoped:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS gap_universe (patient_id INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM gap_universe")
        id_sets.fill(con, "gap_universe", result.universe)
        # read from the patients' side (CROSS JOIN keeps that order), not the measure's gaps
        gaps = "gap_universe u CROSS JOIN gap g ON g.patient_id = u.patient_id"
    else:
        gaps = "gap g"
    # The stored gaps, per group: patient -> (gap id, state, flags as bits, due date,
    # evidence key). The evidence is compared by its key, not its rows: at 1M patients the
    # rows of a measure take gigabytes, and reading them cost more than working out new ones.
    old: list[dict[int, tuple]] = [{} for _ in result.groups]
    for gid, pid, gi, state, bits, due, key in con.execute(
            f"SELECT g.id, g.patient_id, g.group_index, g.state, {_BITS}, g.due_date, g.evidence_key FROM {gaps} "
            "WHERE g.measure_id = ? AND g.period_start = ? AND g.period_end = ? AND g.group_index < ?",
            (mid, ps, pe, len(old))):
        old[gi][pid] = (gid, state, bits, due, key)
    overrides = _documented_overrides(con, scoped, mid, ps, pe)
    births = _birth_dates(con, set().union(*(g.populations["initial-population"] for g in result.groups))) \
        if d.get("due_open", {}).get("from") == "birth" else {}
    open_due = due_date("open", d, None, period, None).isoformat()  # unless it comes from the birth date
    open_due_of = functools.partial(_open_due_from_birth, d, period, births) if births else (lambda _pid: open_due)
    # New gaps are given ids in patient order (then group), after every group is decided, and
    # all the measure's rows are written in that order: each table and index is then mostly
    # appended to rather than split page by page.
    ids: list[dict[int, int]] = []  # per group: patient -> gap id
    new_gaps, updates, history = [], [], []
    overridden_of: list[set] = []
    for gi, group in enumerate(result.groups):
        pops = group.populations
        ip, den, exc, exn, num = (pops[c] for c in COLUMNS)
        states = states_from_population_sets(ip, den, exc, exn, num, inverse=inverse)
        overridden = states["open"] & overrides.keys()  # a care-management decision; the
        states["open"] -= overridden                     # populations stay the measure's
        states["excluded"] |= overridden
        overridden_of.append(overridden)
        closed_due = lapse_dates(d["groups"][gi]["populations"]["numerator"], d, period,
                                 functools.partial(_evidence_days, result.criteria), states["closed"])
        closed_due = {pid: day.isoformat() for pid, day in closed_due.items() if day}
        stored = old[gi]
        ids.append({pid: before[0] for pid, before in stored.items()})
        stored_get = stored.get
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
                    new_gaps.append((pid, gi, bits, state, due_text))
                elif before[1] != state or before[2] != bits or before[3] != due_text:
                    updates.append((*_FLAGS[bits], state, due_text, now, before[0]))
                    if before[1] != state:
                        history.append((before[0], before[1], state, now))
        # patients no longer in the initial population: their gap is not applicable any more
        for pid, before in stored.items():
            if pid not in ip and before[1] != "not_applicable":
                updates.append((0, 0, 0, 0, 0, "not_applicable", None, now, before[0]))
                history.append((before[0], before[1], "not_applicable", now))
    # new gaps get their ids when written (under the write lock: nobody else adds gaps then),
    # in patient order (then group); here each has a stand-in, -1 for the first, -2 for the
    # next..., so their evidence needs no ids read back
    new_gaps.sort()
    for index, (pid, gi, *_) in enumerate(new_gaps, 1):
        ids[gi][pid] = -index
    keys: dict[int, tuple[int, str | None]] = {}
    strings, texts = _StringKeys(), evidence_items.JsonText()
    for gi in range(len(result.groups)):
        _evidence_changes(d, result, gi, ids[gi], old[gi], {p: overrides[p] for p in overridden_of[gi]},
                          strings, texts, keys)
    history.sort()
    updates.sort(key=lambda row: row[-1])
    no_evidence = (0, None)
    new_evidence = [keys.get(-index, no_evidence) for index in range(1, len(new_gaps) + 1)]
    rekeyed = sorted((gid, *key_text) for gid, key_text in keys.items() if gid > 0)
    # the pod-peer rates these gaps will give, for a complete recompute's snapshot
    sums = None if practices is None else practice_sums([g.populations for g in result.groups], old,
                                                        practices.read(con))
    return Plan(result, period, now, scoped, version, counts, new_gaps, new_evidence, updates, history, rekeyed,
                practices, sums)


def _no_due(_pid: int) -> None:
    return None


def _open_due_from_birth(d: dict, period: MeasurementPeriod, births: dict, pid: int) -> str:
    return due_date("open", d, None, period, None, births.get(pid)).isoformat()


@dataclasses.dataclass
class Plan:
    """One measure's writes, worked out before taking the write lock; new gaps by stand-in
    ids (see :func:`_plan`)."""
    result: object
    period: MeasurementPeriod
    now: str
    scoped: bool
    version: int | None  # gap_write's when the plan was made
    counts: dict[str, int]
    new_gaps: list[tuple]  # (patient, group, flags as bits, state, due date), in id order
    new_evidence: list[tuple[int, str | None]]  # their evidence (key, items), in the same order
    updates: list[tuple]
    history: list[tuple]  # state changes of stored gaps
    rekeyed: list[tuple[int, int, str | None]]  # stored gaps whose evidence is replaced: (id, key, items)
    practices: _Practices | None = None
    sums: dict[int, list[tuple]] | None = None  # with practices: see storage.measures.peer_rates.practice_sums


class _Practices:
    """Every patient's practice, as a list indexed by patient id (a tenth of a dict's memory),
    read once per run (a patient moving practice meanwhile counts where they were) and again
    only when patients were added since."""

    def __init__(self) -> None:
        self.of: list[int] = []

    def read(self, con) -> list[int]:
        top = con.execute("SELECT COALESCE(MAX(id), 0) FROM patient").fetchone()[0]
        if top >= len(self.of):
            practice_of = [0] * (top + 1)
            for pid, practice in con.execute("SELECT id, practice_id FROM patient"):
                practice_of[pid] = practice
            self.of = practice_of
        return self.of


def _version(con, mid: str, ps: str, pe: str) -> int | None:
    row = con.execute("SELECT version FROM gap_write WHERE measure_id = ? AND period_start = ? AND period_end = ?",
                      (mid, ps, pe)).fetchone()
    return row[0] if row else None


def _evidence_days(criteria: dict, name: str) -> dict:
    """Per patient meeting a criterion, the day of the fact that decided it (when it has one)."""
    crit = criteria.get(name)
    if crit is None:
        return {}
    return {pid: ev.day for pid, ev in crit.evidence.items() if ev.day and pid in crit.patients}


def _documented_overrides(con, scoped: bool, mid: str, ps: str, pe: str) -> dict[int, tuple]:
    """Per patient, the latest documented exclusion or refusal of this measure and period
    still standing (not entered-in-error) as its evidence row."""
    source = ("gap_universe u CROSS JOIN gap_override o ON o.patient_id = u.patient_id" if scoped
              else "gap_override o")
    out: dict[int, tuple] = {}
    for pid, kind, reason, by, at in con.execute(
            f"SELECT o.patient_id, o.kind, o.reason, o.by, o.at FROM {source} WHERE o.measure_id = ? "
            "AND o.period_start = ? AND o.period_end = ? AND NOT o.entered_in_error ORDER BY o.at, o.id",
            (mid, ps, pe)):
        day = str(at)[:10]
        out[pid] = ("denominator-exclusion", OVERRIDE_RULES.get(kind, kind), None, "", "", day,
                    f"{reason} — documented by {by} on {day}")
    return out


class _StringKeys(dict):
    """A string's number for evidence keys: the same in every process and run (Python's own
    string hash is not), worked out once per distinct string; None is 0."""

    def __missing__(self, text):
        number = 0 if text is None else int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        self[text] = number
        return number


def _signed64(total: int) -> int:
    return (total + 2 ** 63) % 2 ** 64 - 2 ** 63


def evidence_key(rows, strings: _StringKeys | None = None) -> int:
    """A gap's evidence items (:data:`storage.measures.evidence_items.FIELDS`) as one
    signed 64-bit number, the same for the same rows in any order, in any process (a tuple
    of numbers hashes the same everywhere); 0 for none. Should another Python hash tuples
    differently, every gap's evidence would be written once more, nothing worse."""
    n = strings if strings is not None else _StringKeys()
    return _key(sum(hash((n[pop], n[rule], fact or 0, n[system], n[code], n[day], n[detail]))
                    for pop, rule, fact, system, code, day, detail in rows))


def _evidence_changes(d: dict, result, gi: int, ids: dict[int, int], stored: dict[int, tuple],
                      overrides: dict[int, tuple], strings: _StringKeys, texts: evidence_items.JsonText,
                      keys: dict) -> None:
    """Per gap, the deciding fact of each criterion behind each population it is in, and the
    documented exclusion or refusal that made an open gap excluded: the gaps whose evidence
    key differs from the stored one (``stored``: patient -> gap as read by :func:`_plan`;
    every new gap) go into ``keys`` as gap id -> (new key, new items as stored).

    Each patient's key is summed criterion by criterion (as :func:`evidence_key`, without
    making the items); a stored gap's items are made only when its key changed."""
    pops = result.groups[gi].populations
    parts = []  # (population, rule, evidence, patients): the order of a gap's items
    for code in COLUMNS:
        expr = d["groups"][gi]["populations"].get(code)
        if expr is None:
            continue
        for name in _leaves(d, expr):
            crit = result.criteria.get(name)
            if crit is None or not crit.evidence:
                continue
            members = crit.evidence.keys() & pops[code]
            if members:
                parts.append((code, d["criteria"][name].get("rule", name), crit.evidence, members))
    n, j, item_text = strings, texts, evidence_items.item_text
    total = dict.fromkeys(ids, 0)  # patient -> the sum of their items' numbers
    for pid, row in overrides.items():
        total[pid] += evidence_key([row], n)
    # every new gap's items are made (a new period: every gap's), in the same pass as its key
    items = _override_items((pid for pid, gid in ids.items() if gid < 0), overrides)
    making = items.get
    for code, rule, evidence, members in parts:
        c, r = n[code], n[rule]
        prefix = evidence_items.item_prefix(code, rule, j)
        for pid in members:
            ev = evidence[pid]
            if ev.fact_id is not None:
                total[pid] += hash((c, r, ev.fact_id, n[ev.system], n[ev.code], n[ev.day], n[ev.detail]))
                made = making(pid)
                if made is not None:
                    made.append(item_text(prefix, ev.fact_id, ev.system, ev.code, ev.day, ev.detail, j))
    # a stored gap's items only when its key changed
    changed = _override_items((pid for pid, before in stored.items() if before[4] != _key(total[pid])), overrides)
    if changed:
        for code, rule, evidence, members in parts:
            prefix = evidence_items.item_prefix(code, rule, j)
            for pid in members & changed.keys():
                ev = evidence[pid]
                if ev.fact_id is not None:
                    changed[pid].append(item_text(prefix, ev.fact_id, ev.system, ev.code, ev.day, ev.detail, j))
        items.update(changed)
    join = evidence_items.join
    for pid, texts_of in items.items():
        keys[ids[pid]] = (_key(total[pid]), join(texts_of))


def _key(summed: int) -> int:
    """A gap's evidence key from the sum of its items' numbers (see :func:`evidence_key`)."""
    return _signed64(summed) if summed else 0


def _override_items(pids: Iterable[int], overrides: dict[int, tuple]) -> dict[int, list[str]]:
    """Per patient the first of their gap's items as JSON texts: a documented exclusion or
    refusal (see :func:`_documented_overrides`), if any."""
    return {pid: [evidence_items.item_json(overrides[pid])] if pid in overrides else [] for pid in pids}
