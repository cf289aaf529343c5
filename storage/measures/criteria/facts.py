"""The ``facts`` kind: patients with at least one (or ``min_count``) matching facts of the
criterion's sources, the latest as evidence; for sources that read conditions by their
prevalence, also the conditions it does not count (CriterionResult.uncounted)."""
from __future__ import annotations

from storage.measures.criteria.context import Context, CriterionResult, Evidence
from storage.measures.criteria.doses import distinct_days
from storage.measures.criteria.sources import reads_prevalence, source_rows, source_sql


def facts_or_days(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """The kind: with ``min_distinct_days``, doses on that many distinct days (doses.py)."""
    if "min_distinct_days" in crit:
        return distinct_days(ctx, crit, statuses)
    return facts(ctx, crit, statuses)


def facts(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """Patients with at least one (or ``min_count`` distinct) matching facts; evidence is the
    latest one. Grouped in SQL, so one row per patient reaches Python rather than one per fact;
    sources whose dates need the dosage (medication periods) are filtered in Python."""
    min_count = int(crit.get("min_count", 1))
    in_python = [s for s in crit["sources"] if s.get("timing", {}).get("of") == "medication_period"]
    if min_count > 1 and in_python:
        return _facts_counted_in_python(ctx, crit["sources"], statuses, min_count)
    best: dict = {}
    uncounted: dict = {}
    in_sql = [s for s in crit["sources"] if s not in in_python]
    if in_sql and min_count == 1 and any(reads_prevalence(s) for s in in_sql):
        best, uncounted = _facts_and_uncounted(ctx, in_sql, statuses)
    elif in_sql:
        union = " UNION ALL ".join(f"SELECT patient_id, fact_id, system, code, day FROM ({source_sql(ctx, s, statuses)})"
                                   for s in in_sql)
        # with a single max() aggregate SQLite takes the bare columns from the row holding the maximum
        # (any row is one fact: counting distinct facts, which costs a set per patient, is
        # needed only for two or more)
        having = f" HAVING COUNT(DISTINCT fact_id) >= {min_count}" if min_count > 1 else ""
        sql = (f"SELECT patient_id, fact_id, system, code, MAX(COALESCE(day, '')) FROM ({union}) "
               f"GROUP BY patient_id{having}")
        ctx.con.row_factory = None
        best = {pid: Evidence(fact_id, system, code, day or None)
                for pid, fact_id, system, code, day in ctx.con.execute(sql)}
    for src in in_python:
        for row in source_rows(ctx, src, statuses):
            current = best.get(row["patient_id"])
            if current is None or (row["day"] or "") > (current.day or ""):
                best[row["patient_id"]] = Evidence(row["fact_id"], row["system"], row["code"], row["day"])
            uncounted.pop(row["patient_id"], None)
    return CriterionResult(set(best), best, uncounted)


def _facts_and_uncounted(ctx: Context, sources: list, statuses: dict) -> tuple[dict, dict]:
    """:func:`facts` for sources that read conditions by their prevalence, in the same one
    pass: per patient the latest fact the criterion counts, or, for a patient it counts none
    of, the latest condition it would count if that were active (see CriterionResult.uncounted).
    Counted rows sort above the others ("1" before the day against "0")."""
    union = " UNION ALL ".join(
        f"SELECT patient_id, fact_id, system, code, day, "
        f"{'counted, clinical_status' if reads_prevalence(s) else '1 AS counted, NULL AS clinical_status'} "
        f"FROM ({source_sql(ctx, s, statuses, uncounted=True)})" for s in sources)
    sql = (f"SELECT patient_id, fact_id, system, code, clinical_status, MAX(counted || COALESCE(day, '')) "
           f"FROM ({union}) GROUP BY patient_id")
    ctx.con.row_factory = None
    best, uncounted = {}, {}
    for pid, fact_id, system, code, status, key in ctx.con.execute(sql):
        if key[0] == "1":
            best[pid] = Evidence(fact_id, system, code, key[1:] or None)
        else:
            uncounted[pid] = Evidence(fact_id, system, code, key[1:] or None, status or "")
    return best, uncounted


def _facts_counted_in_python(ctx: Context, sources: list, statuses: dict, min_count: int) -> CriterionResult:
    best: dict = {}
    counts: dict = {}
    for src in sources:
        for row in source_rows(ctx, src, statuses):
            pid = row["patient_id"]
            counts.setdefault(pid, set()).add(row["fact_id"])
            current = best.get(pid)
            if current is None or (row["day"] or "") > (current.day or ""):
                best[pid] = Evidence(row["fact_id"], row["system"], row["code"], row["day"])
    best = {pid: ev for pid, ev in best.items() if len(counts[pid]) >= min_count}
    return CriterionResult(set(best), best)
