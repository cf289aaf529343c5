"""Recompute gaps in care: evaluate measures (set-based), then write gap rows, their evidence
and, when a state changes, gap history — in one transaction. Incremental when given patient
ids (only those are touched), complete otherwise."""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable, Iterable

from domain.clock import utcnow
from domain.gaps import state_from_populations
from domain.measures import definition as definitions
from domain.measures.period import MeasurementPeriod
from domain.measures.populations import names_in
from storage.measures.engine import evaluate, raw_connection
from storage.measures.valuesets import ensure_valuesets

ALL_MEASURES = ("CMS125", "CMS130", "CMS124", "CMS122", "CMS165", "CMS138", "CMS2", "CMS117")
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
              cancel: Callable[[], bool] | None = None) -> dict[str, dict[str, int]]:
    """Returns per measure the number of gaps per state. Cancelling writes nothing."""
    ensure_valuesets(engine)
    measure_ids = list(measure_ids)
    patient_ids = None if patient_ids is None else {int(p) for p in patient_ids}
    fairy, con = raw_connection(engine)
    con.row_factory = None
    try:
        results = evaluate(con, measure_ids, period, practice_id=practice_id, patient_ids=patient_ids,
                           progress=progress, cancel=cancel)
        now = utcnow().strftime("%Y-%m-%d %H:%M:%S.%f")
        summary: dict[str, dict[str, int]] = {}
        con.execute("BEGIN IMMEDIATE")
        try:
            install_measures(con, measure_ids)
            for result in results:
                summary[result.measure_id] = _write(con, result, period, now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return summary
    finally:
        fairy.close()


def _write(con, result, period: MeasurementPeriod, now: str) -> dict[str, int]:
    d = result.definition
    inverse = bool(d.get("inverse"))
    ps, pe = period.start.isoformat(), period.end.isoformat()
    counts: dict[str, int] = {}
    con.execute("CREATE TEMP TABLE IF NOT EXISTS gap_universe (patient_id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM gap_universe")
    con.executemany("INSERT INTO gap_universe VALUES (?)", ((p,) for p in result.universe))
    old = {(pid, gi): (gid, state) for gid, pid, gi, state in con.execute(
        "SELECT g.id, g.patient_id, g.group_index, g.state FROM gap g JOIN gap_universe u ON u.patient_id = g.patient_id "
        "WHERE g.measure_id = ? AND g.period_start = ? AND g.period_end = ?", (result.measure_id, ps, pe))}
    for gi, group in enumerate(result.groups):
        pops = group.populations
        members = pops["initial-population"]
        rows, history = [], []
        for pid in members:
            flags = {c: int(pid in pops[c]) for c in COLUMNS}
            state = state_from_populations(flags["initial-population"], flags["denominator"],
                                           flags["denominator-exclusion"], flags["denominator-exception"],
                                           flags["numerator"], inverse=inverse)
            counts[state] = counts.get(state, 0) + 1
            due = pe if state == "open" else None
            rows.append((pid, result.measure_id, ps, pe, gi, *(flags[c] for c in COLUMNS), state, due, now))
            before = old.get((pid, gi))
            if before is None or before[1] != state:
                history.append((pid, gi, before[1] if before else None, state))
        con.executemany(
            "INSERT INTO gap (patient_id, measure_id, period_start, period_end, group_index, initial_population, "
            "denominator, denominator_exclusion, denominator_exception, numerator, state, due_date, computed_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(patient_id, measure_id, period_start, period_end, "
            "group_index) DO UPDATE SET initial_population = excluded.initial_population, "
            "denominator = excluded.denominator, denominator_exclusion = excluded.denominator_exclusion, "
            "denominator_exception = excluded.denominator_exception, numerator = excluded.numerator, "
            "state = excluded.state, due_date = excluded.due_date, computed_at = excluded.computed_at", rows)
        # patients no longer in the initial population: their gap is not applicable any more
        gone = [(pid,) for (pid, g), (_gid, state) in old.items()
                if g == gi and pid not in members and state != "not_applicable"]
        for (pid,) in gone:
            history.append((pid, gi, old[(pid, gi)][1], "not_applicable"))
        con.executemany("UPDATE gap SET state = 'not_applicable', initial_population = 0, denominator = 0, "
                        "denominator_exclusion = 0, denominator_exception = 0, numerator = 0, due_date = NULL, "
                        f"computed_at = '{now}' WHERE patient_id = ? AND measure_id = ? AND period_start = ? "
                        "AND period_end = ? AND group_index = ?",
                        [(pid, result.measure_id, ps, pe, gi) for (pid,) in gone])
        ids = {pid: gid for pid, gid in con.execute(
            "SELECT g.patient_id, g.id FROM gap g JOIN gap_universe u ON u.patient_id = g.patient_id "
            "WHERE g.measure_id = ? AND g.period_start = ? AND g.period_end = ? AND g.group_index = ?",
            (result.measure_id, ps, pe, gi))}
        con.executemany("INSERT INTO gap_history (gap_id, from_state, to_state, at) VALUES (?, ?, ?, ?)",
                        [(ids[pid], frm, to, now) for pid, g, frm, to in history if pid in ids])
        con.executemany("DELETE FROM gap_evidence WHERE gap_id = ?", ((gid,) for gid in ids.values()))
        evidence = []
        for code, column in COLUMNS.items():
            expr = d["groups"][gi]["populations"].get(code)
            if expr is None:
                continue
            leaves = _leaves(d, expr)
            for pid in pops[code]:
                for name in leaves:
                    ev = result.criteria[name].evidence.get(pid) if name in result.criteria else None
                    if ev is not None and ev.fact_id is not None:
                        rule = d["criteria"][name].get("rule", name)
                        evidence.append((ids[pid], code, rule, ev.fact_id, ev.system, ev.code,
                                         f"{ev.day} 00:00:00.000000" if ev.day else None, ev.detail))
        con.executemany("INSERT INTO gap_evidence (gap_id, population, rule, fact_id, code_system, code, fact_date, "
                        "detail) VALUES (?,?,?,?,?,?,?,?)", evidence)
    return counts
