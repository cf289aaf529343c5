"""The one registry of criterion kinds: each kind a definition may name
(domain.measures.definition.CRITERION_KINDS) with the function that answers it, and the
evaluation of one criterion (cached per run and domain)."""
from __future__ import annotations

import json

from domain.errors import DomainError
from domain.measures.definition import CRITERION_KINDS
from storage.measures.criteria import demographics, doses, encounters, facts, readings
from storage.measures.criteria.context import Context, CriterionResult

KINDS = {
    "age": demographics.age, "gender": demographics.gender,
    "facts": facts.facts_or_days, "dose_schedule": doses.dose_schedule, "dates_after": doses.dates_after,
    "latest": readings.latest, "lowest_on_latest_day": readings.lowest_on_latest_day,
    "depression_screening": encounters.depression_screening,
    "screened_near_encounter": encounters.screened_near_encounter,
    "not_done_during_encounter": encounters.not_done_during_encounter,
    "condition_before_encounter": encounters.condition_before_encounter,
}
if set(KINDS) != set(CRITERION_KINDS):  # the definitions' vocabulary and the engine's answers are one list
    raise ImportError(f"criterion kinds without an answer: {sorted(set(CRITERION_KINDS) - set(KINDS))}; "
                      f"answers of no kind: {sorted(set(KINDS) - set(CRITERION_KINDS))}")


def ident(crit: dict, statuses: dict) -> str:
    """The same criterion in two measures (hospice, frailty...) has the same ident; the status
    lists it names are part of it."""
    return json.dumps([crit, statuses], sort_keys=True)


def evaluate(ctx: Context, name: str, crit: dict, statuses: dict) -> CriterionResult:
    ident_ = (ident(crit, statuses), ctx.domain.key if ctx.domain is not None else "")
    if ident_ in ctx.cache:
        return ctx.cache[ident_]
    kind = crit["kind"]
    handler = KINDS.get(kind)
    if handler is None:
        raise DomainError(f"Criterion {name!r}: kind {kind!r} is not supported by the engine")
    result = handler(ctx, crit, statuses)
    ctx.cache[ident_] = result
    return result
