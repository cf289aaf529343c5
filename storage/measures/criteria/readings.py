"""Criteria on a patient's latest readings: the latest fact and its value (CQL Last(...)), the
lowest reading of the most recent day (blood pressure, HbA1c)."""
from __future__ import annotations

import sqlite3

from storage import coded_facts
from storage.measures.criteria.context import Context, CriterionResult, Evidence
from storage.measures.criteria.sources import codes_exists, quote, reads_coded_fact, source_sql


def latest(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """CQL Last(... sort by start|end of the interval): the latest fact per patient (ties: the
    later-recorded one), then its value tested."""
    order = "lo_at" if crit.get("sort", "start") == "start" else "hi_at"
    inner = source_sql(ctx, crit["source"], statuses)
    sql = "SELECT * FROM " + ctx.materialize(
        f"SELECT * FROM (SELECT DISTINCT patient_id, fact_id, system, code, day, lo_at, hi_at, "
        f"ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY {order} DESC, fact_id DESC) AS rn "
        f"FROM ({inner}) GROUP BY fact_id) WHERE rn = 1 ORDER BY fact_id")  # codings then read in order
    then = crit.get("then", {})
    if then.get("value") == "present":
        sql = (f"SELECT l.* FROM ({sql}) l JOIN clinical_fact f ON f.id = l.fact_id WHERE "
               + codes_exists(ctx, "value", "present"))
    elif "value" in then:
        sql = f"SELECT l.* FROM ({sql}) l WHERE " + codes_exists(ctx, "value", then["value"], fact="l.fact_id")
    ctx.con.row_factory = sqlite3.Row
    evidence = {r["patient_id"]: Evidence(r["fact_id"], r["system"], r["code"], r["day"])
                for r in ctx.con.execute(sql)}
    return CriterionResult(set(evidence), evidence)


def lowest_on_latest_day(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """The lowest reading on the most recent day. CQL sorts nulls first, so a reading without a
    quantity that day is "the lowest". With ``null_result`` it counts as "without a result",
    whether it has no value at all or a value of another kind (a coded "Yes" where a percentage
    belongs). The ELM's ``value is null`` alone would not count the coded one, but two of the
    three published CMS122 cases with such a value expect it (8956ebb5, 6630d394; 5ed37c9e has
    the same data and expects the opposite), and for an inverse measure a glycemic test
    without a number is no evidence of control."""
    measure = crit.get("measure", "value")
    if measure == "value":
        reading = "f.value_num"
    else:
        system, code = measure["component"]
        reading = (f"(SELECT cp.value_num FROM fact_component cp WHERE cp.fact_id = r.fact_id AND cp.concept_id IN "
                   f"(SELECT id FROM coding_concept WHERE system = {quote(system)} AND code = {quote(code)}) "
                   "ORDER BY cp.id LIMIT 1)")
    # the facts of each patient's latest day are found once for every reading taken from them
    # (systolic and diastolic read the same blood pressures), with whether each has a result
    # (coded_fact says so; a fact row tells)
    src = crit["source"]
    has_value = "f.has_value" if reads_coded_fact(src) else coded_facts.has_value("f.id", "f")
    latest_day = ctx.materialize(
        f"WITH r AS (SELECT DISTINCT patient_id, fact_id, system, code, day, has_value "
        f"FROM ({source_sql(ctx, src, statuses, f', {has_value} AS has_value')})), "
        f"d AS (SELECT patient_id, MAX(day) AS day FROM r GROUP BY patient_id) "
        f"SELECT r.* FROM r JOIN d ON d.patient_id = r.patient_id AND d.day = r.day ORDER BY r.fact_id")
    # per patient the lowest reading of that day, a missing one first (CQL sorts nulls first),
    # ties to the earlier fact: one row per patient reaches Python. A component is read by
    # the fact's id alone; a value needs the fact row.
    rows = f"{latest_day} r JOIN clinical_fact f ON f.id = r.fact_id" if measure == "value" else f"{latest_day} r"
    sql = (f"SELECT * FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.patient_id ORDER BY x.reading IS NOT NULL, "
           f"x.reading, x.fact_id, x.system, x.code) AS rn FROM (SELECT r.*, {reading} AS reading "
           f"FROM {rows}) x) WHERE rn = 1")
    test = crit["test"]
    op, threshold = test["op"], float(test["threshold"])
    ctx.con.row_factory = sqlite3.Row
    lowest = {r["patient_id"]: r for r in ctx.con.execute(sql)}
    evidence = {}
    for pid, r in lowest.items():
        if r["reading"] is None:
            ok = bool(test.get("null_result", False)) and measure == "value"
            detail = ("no numeric result on the most recent day" if r["has_value"]
                      else "no result on the most recent day")
        else:
            ok = r["reading"] < threshold if op == "<" else r["reading"] > threshold
            detail = f"lowest {r['reading']:g} on {r['day']}"
        if ok:
            evidence[pid] = Evidence(r["fact_id"], r["system"], r["code"], r["day"], detail)
    return CriterionResult(set(evidence), evidence)
