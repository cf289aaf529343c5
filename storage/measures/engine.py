"""Evaluate measures over the whole pod, one practice, some patients or one patient: every
criterion is one set-based query; populations are set algebra (no per-patient loop)."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
from typing import Callable, Iterable, Iterator

from domain.errors import DomainError
from domain.measures import definition as definitions
from domain.measures.definition import MeasureDefinition
from domain.measures.period import MeasurementPeriod
from domain.measures.populations import POPULATIONS, evaluate as evaluate_expr, names_in, proportion
from storage import coded_facts
from storage.measures import id_sets
from storage.measures.criteria import Context, CriterionResult, evaluate as evaluate_criterion, ident
from storage.measures.criteria.sources import coded_reads


class Cancelled(Exception):
    """The user cancelled a running evaluation."""


@dataclasses.dataclass
class GroupResult:
    group_id: str
    populations: dict[str, set]  # population code -> patient ids
    defined: tuple[str, ...]     # populations the group defines (for reports)


@dataclasses.dataclass
class MeasureResult:
    measure_id: str
    definition: MeasureDefinition
    period: MeasurementPeriod
    universe: set
    groups: list[GroupResult]
    criteria: dict[str, CriterionResult]
    expressions: dict  # population code per group -> expression (for evidence)


def _scope(con: sqlite3.Connection, practice_id: int | None, patient_ids: Iterable[int] | None) -> bool:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS measure_scope (patient_id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM measure_scope")
    if patient_ids is not None:
        id_sets.fill(con, "measure_scope", patient_ids)
        if practice_id is not None:
            con.execute("DELETE FROM measure_scope WHERE patient_id NOT IN "
                        "(SELECT id FROM patient WHERE practice_id = ?)", (practice_id,))
        return True
    if practice_id is not None:
        con.execute("INSERT INTO measure_scope SELECT id FROM patient WHERE practice_id = ?", (practice_id,))
        return True
    return False


def evaluate(con: sqlite3.Connection, measure_ids: Iterable[str], period: MeasurementPeriod, *,
             practice_id: int | None = None, patient_ids: Iterable[int] | None = None,
             progress: Callable[[int, int, str], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> list[MeasureResult]:
    """Evaluate measures on a raw sqlite3 connection (read-only use; temp tables only)."""
    return list(evaluate_each(con, measure_ids, period, practice_id=practice_id, patient_ids=patient_ids,
                              progress=progress, cancel=cancel))


def evaluate_each(con: sqlite3.Connection, measure_ids: Iterable[str], period: MeasurementPeriod, *,
                  practice_id: int | None = None, patient_ids: Iterable[int] | None = None,
                  progress: Callable[[int, int, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None,
                  still_to_come: Callable[[], Iterable[str]] | None = None) -> Iterator[MeasureResult]:
    """Like :func:`evaluate`, one measure at a time, so a caller that writes each result and
    drops it holds one measure's criteria in memory, not all of them (gigabytes at 1M).

    ``measure_ids`` may be handed out one by one (a worker process asks for its next measure);
    ``still_to_come`` then names the measures not handed out yet, whose criteria are kept."""
    reads = None  # what the measures read from coded rows (handed out one by one: not known)
    if still_to_come is None:
        measure_ids = list(measure_ids)
        total = sum(len(needed_criteria(definitions.load(m))) for m in measure_ids)
        still_to_come = _rest_of(measure_ids)
        reads = coded_reads(d["criteria"][name] for d in map(definitions.load, measure_ids)
                            for name in needed_criteria(d))
    else:
        total = 0  # not known in advance
    if practice_id is None and patient_ids is None:
        coded_facts.catch_up(con)  # whole-pod criteria read coded_fact: facts written any way count
    scoped = _scope(con, practice_id, patient_ids)
    ctx = Context(con, period, scoped, reads)
    universe = set(ctx.birth_dates()[1])  # everyone in scope not entered in error
    try:
        yield from _evaluate_all(ctx, measure_ids, period, universe, total, progress, cancel, still_to_come)
    finally:
        ctx.close()


def _rest_of(measure_ids: list[str]) -> Callable[[], list[str]]:
    """For a list evaluated in order: the measures after the one being evaluated."""
    position = {"next": 0}

    def rest() -> list[str]:
        position["next"] += 1
        return measure_ids[position["next"]:]
    return rest


def _idents(d: MeasureDefinition) -> set[str]:
    return {ident(d["criteria"][name], d["statuses"]) for name in needed_criteria(d)}


def _evaluate_all(ctx: Context, measure_ids: Iterable[str], period: MeasurementPeriod, universe: set, total: int,
                  progress, cancel, still_to_come) -> Iterator[MeasureResult]:
    done = 0
    idents: dict[str, set[str]] = {}  # per measure, read once per run

    def idents_of(mid: str) -> set[str]:
        if mid not in idents:
            idents[mid] = _idents(definitions.load(mid))
        return idents[mid]

    for mid in measure_ids:
        d = definitions.load(mid)
        needed = needed_criteria(d)
        # criterion results are kept only while a measure still to come asks for the same
        # criterion (hospice, frailty, outpatient visits...): memory holds one measure at a time
        later = set().union(*(idents_of(m) for m in still_to_come()))
        keep = idents_of(mid) | later
        for key in [k for k in ctx.cache if k[0] not in keep]:
            del ctx.cache[key]
        results_by_name: dict[str, CriterionResult] = {}

        def run(name: str) -> CriterionResult:
            nonlocal done
            if cancel is not None and cancel():
                raise Cancelled()
            crit = d["criteria"][name]
            its_ident = ident(crit, d["statuses"])
            # a criterion another measure asks for too (outpatient visits, hospice...) is
            # answered once for everyone rather than once per measure's domain
            shared = its_ident in later or (its_ident, "") in ctx.cache
            with ctx.everyone() if shared else contextlib.nullcontext():
                results_by_name[name] = evaluate_criterion(ctx, name, crit, d["statuses"])
            done += 1
            if progress is not None:
                progress(done, total, f"{d['id']}: {_step_label(name, d['criteria'][name])}")
            return results_by_name[name]

        # the initial population's requirements first; then every other criterion only for
        # those who met them all (see Context.restrict)
        domain, domain_key = set(universe), []
        for names in _domain_steps(d):
            domain.intersection_update(set().union(*(run(name).patients for name in names)))
            domain_key.append(sorted(ident(d["criteria"][n], d["statuses"]) for n in names))
        ctx.restrict(json.dumps(domain_key), domain, len(universe))
        try:
            for name in sorted(needed - results_by_name.keys()):
                run(name)
        finally:
            ctx.restrict(None)
        yield _populations(d, period, universe, results_by_name)


def _domain_steps(d: MeasureDefinition) -> list[list[str]]:
    """The requirements every group's initial population makes (``all`` of them, through
    named expressions): each a criterion, or ``any`` of criteria (met by any one of them).
    Age and sex first: they read no facts."""
    def criteria_of(part) -> list[str] | None:
        if isinstance(part, str) and part in d["criteria"]:
            return [part]
        if isinstance(part, dict) and "any" in part and all(
                isinstance(n, str) and n in d["criteria"] for n in part["any"]):
            return sorted(part["any"])
        return None

    per_group = [[names for names in map(criteria_of, _conjuncts(d, g["populations"].get("initial-population")))
                  if names] for g in d["groups"]]
    common = [names for names in per_group[0] if all(names in other for other in per_group[1:])] if per_group else []
    demographic = [n for n in common if all(d["criteria"][c]["kind"] in ("age", "gender") for c in n)]
    return demographic + [n for n in common if n not in demographic]


def _conjuncts(d: MeasureDefinition, expr) -> list:
    """The parts an expression requires all of (through named expressions). A function of
    its own: a nested one that calls itself would be a reference cycle (see _Resolver)."""
    if isinstance(expr, str) and expr in d["expressions"]:
        return _conjuncts(d, d["expressions"][expr])
    if isinstance(expr, dict) and "all" in expr:
        return [part for item in expr["all"] for part in _conjuncts(d, item)]
    return [expr]


def needed_criteria(d: MeasureDefinition) -> set[str]:
    """The criteria the groups' populations reach through named expressions."""
    seen, todo, out = set(), [], set()
    for group in d["groups"]:
        for expr in group["populations"].values():
            todo.extend(names_in(expr))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in d["criteria"]:
            out.add(name)
        elif name in d["expressions"]:
            todo.extend(names_in(d["expressions"][name]))
    return out


class _Resolver:
    """A name in a measure's population expressions as its set of patients: a population of
    the group already worked out, a criterion, or a named expression (worked out once).

    A class rather than a closure: a closure that names itself (the expressions nest) is a
    reference cycle, which would keep each measure's criterion results (millions of objects at
    1M patients) alive until the cyclic collector runs, and a recompute runs with it off."""

    def __init__(self, d: dict, universe: set, crits: dict[str, CriterionResult], named: dict[str, set],
                 pops: dict[str, set], met: dict[str, set]):
        self.d, self.universe, self.crits, self.named, self.pops, self.met = d, universe, crits, named, pops, met

    def __call__(self, name: str) -> set:
        if name in self.pops:
            return self.pops[name]
        if name in self.crits:
            # worked out once per measure (its populations name a criterion again and again;
            # at 1M patients each is a set of up to a million); never changed by the caller
            if name not in self.met:
                self.met[name] = self.crits[name].patients & self.universe
            return self.met[name]
        if name in self.d["expressions"]:
            if name not in self.named:
                self.named[name] = evaluate_expr(self.d["expressions"][name], self, self.universe)
            return self.named[name]
        raise DomainError(f"{self.d['id']}: unknown name {name!r}")


def _populations(d: MeasureDefinition, period: MeasurementPeriod, universe: set,
                 crits: dict[str, CriterionResult]) -> MeasureResult:
    named: dict[str, set] = {}
    met: dict[str, set] = {}  # criterion -> its patients in the universe
    groups = []
    for index, group in enumerate(d["groups"]):
        pops: dict[str, set] = {}
        for pop in POPULATIONS:
            if pop in group["populations"]:
                pops[pop] = evaluate_expr(group["populations"][pop], _Resolver(d, universe, crits, named, pops, met),
                                          universe)
        groups.append(GroupResult(group.get("id", str(index)), proportion(pops),
                                  tuple(p for p in POPULATIONS if p in group["populations"])))
    return MeasureResult(d["id"], d, period, universe, groups, crits,
                         [g["populations"] for g in d["groups"]])


def raw_connection(engine):
    """The sqlite3 connection under a SQLAlchemy engine (the engine's pool keeps it)."""
    fairy = engine.raw_connection()
    return fairy, fairy.driver_connection


def _step_label(name: str, crit: dict) -> str:
    """What a progress bar says while a criterion is evaluated: its rule in words."""
    return crit.get("rule") or name.replace("_", " ")
