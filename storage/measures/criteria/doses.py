"""Criteria counting the distinct days of doses (immunization schedules): N administrations on
distinct days, a schedule that depends on the product, doses after a first one."""
from __future__ import annotations

from storage.measures.criteria.context import Context, CriterionResult, Evidence
from storage.measures.criteria.sources import source_rows


def _day_sets(ctx: Context, sources: list, statuses: dict) -> dict:
    """patient -> {day: Evidence} of every matching fact (CQL lists of dates, deduplicated)."""
    out: dict = {}
    for src in sources:
        for row in source_rows(ctx, src, statuses):
            if row["day"] is None:
                continue
            out.setdefault(row["patient_id"], {}).setdefault(
                row["day"], Evidence(row["fact_id"], row["system"], row["code"], row["day"]))
    return out


def distinct_days(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """At least N administrations each on a later day than the one before (= N distinct days)."""
    need = int(crit["min_distinct_days"])
    evidence = {pid: days[max(days)] for pid, days in _day_sets(ctx, crit["sources"], statuses).items()
                if len(days) >= need}
    return CriterionResult(set(evidence), evidence)


def dose_schedule(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """Hib / rotavirus: a patient with any dose of the longer schedule needs that schedule's
    number of distinct days (of either product); otherwise the shorter one's."""
    low = _day_sets(ctx, crit["low"], statuses)
    high = _day_sets(ctx, crit["high"], statuses)
    evidence = {}
    for pid in set(low) | set(high):
        days = {**low.get(pid, {}), **high.get(pid, {})}
        need = int(crit["min_if_high"]) if pid in high else int(crit["min_else"])
        if len(days) >= need:
            evidence[pid] = days[max(days)]
    return CriterionResult(set(evidence), evidence)


def dates_after(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """N distinct days of ``sources`` strictly after the earliest day of ``after`` (HepB after
    the newborn dose)."""
    doses = _day_sets(ctx, crit["sources"], statuses)
    anchors = _day_sets(ctx, crit["after"], statuses)
    evidence = {}
    for pid, first in ((pid, min(days)) for pid, days in anchors.items()):
        later = [d for d in doses.get(pid, {}) if d > first]
        if len(later) >= int(crit["min_distinct_days"]):
            evidence[pid] = doses[pid][max(later)]
    return CriterionResult(set(evidence), evidence)
