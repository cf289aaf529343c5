"""A criterion's sources as set-based SQL: the facts of a resource kind whose codes are in the
source's value sets (for the whole pod: value set codes → coded_fact, → clinical_fact where the
source needs the fact row; for some patients or a practice: value set codes → their own rows of
coded_fact, or their facts → fact_coding → the codes → the fact rows where the source needs
them), filtered by status, category, value and the timing rule (storage.measures.sql_time).
SQLite-specific SQL (json functions, CROSS JOIN to fix the join order, INDEXED BY) for speed."""
from __future__ import annotations

import dataclasses
import json
import sqlite3

from domain.measures.medication import medication_request_period
from storage import coded_facts
from storage.codings import text_join
from storage.measures import sql_time
from storage.measures.criteria.context import Context

OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DO_NOT_PERFORM_URL = "http://hl7.org/fhir/us/qicore/StructureDefinition/qicore-doNotPerform"


def codes_exists(ctx: Context, role: str, spec, coded: bool = False, fact: str = "f.id") -> str:
    """SQL: the fact (``f``, or the id in ``fact``) has a coding of ``role`` in ``spec`` (codes
    or value sets); ``spec`` "present": any result (``f`` then a fact or coded_fact row)."""
    if spec == "present":  # any result: coded_fact says so, a fact row tells
        return "f.has_value" if coded else coded_facts.has_value("f.id", "f")
    if isinstance(spec, list):
        spec = {"codes": spec}
    key = ctx.code_key(spec.get("valuesets"), spec.get("codes"))
    # CROSS JOIN keeps SQLite on this fact's few codings first, then the code list's index
    # (the other order tries every code of a large value set against each fact)
    # the fact's codings of the role and their concepts come from the index alone, each concept
    # then looked up among the criterion's
    return (f"EXISTS (SELECT 1 FROM fact_coding v INDEXED BY ix_fact_coding_fact CROSS JOIN measure_codes vc "
            f"ON vc.key = '{key}' AND vc.concept_id = v.concept_id WHERE v.fact_id = {fact} AND v.role = '{role}')")


def in_list(column: str, values) -> str:
    """SQL: ``column`` is one of ``values`` (quoted)."""
    return f"{column} IN ({','.join(quote(v) for v in values)})"


def quote(text: str) -> str:
    """A string as an SQL literal."""
    return "'" + str(text).replace("'", "''") + "'"


def source_sql(ctx: Context, src: dict, statuses: dict, extra_columns: str = "", uncounted: bool = False) -> str:
    """SELECT patient_id, fact_id, system, code, day, at, lo_at, hi_at[, extra] of the facts a
    source describes (every coding that matched: a fact may appear more than once).

    A condition read by its prevalence counts only if it has one (sql_time.prevalence_known);
    with ``uncounted`` the conditions without one that would count if they were active are
    there too, told apart by the last two columns ``counted`` (0 for them) and
    ``clinical_status``."""
    resource = src["resource"]
    key = ctx.code_key(src.get("valuesets"), src.get("codes"))
    timing = src.get("timing", {})
    of = timing.get("of", "interval")
    where = [f"f.kind = {quote(resource)}", "f.entered_in_error = 0"]
    status = src.get("status")
    if isinstance(status, str):
        status = statuses[status]
    if status:
        where.append(in_list("f.status", status))
    if src.get("intent"):
        where.append(in_list("f.intent", src["intent"]))
    if src.get("category"):
        where.append(f"EXISTS (SELECT 1 FROM fact_coding k {text_join('k', 'kn')} WHERE k.fact_id = f.id "
                     f"AND k.role = 'category' AND kn.system = '{OBS_CATEGORY}' AND kn.code = {quote(src['category'])})")
    if src.get("condition_category_any"):
        where.append(codes_exists(ctx, "category", src["condition_category_any"]))
    coded = reads_coded_fact(src)
    if "value" in src:
        where.append(codes_exists(ctx, "value", src["value"], coded))
    if src.get("not_done_reason"):
        where.append(codes_exists(ctx, "not_done_reason", src["not_done_reason"]))
    if src.get("discharge"):
        where.append(codes_exists(ctx, "discharge", src["discharge"]))
    if src.get("body_site"):
        where.append(codes_exists(ctx, "body_site", src["body_site"]))
    if src.get("do_not_perform_not_true"):
        where.append(f"NOT EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(f.resource_json) "
                     f"THEN f.resource_json END, '$.modifierExtension') m "
                     f"WHERE json_extract(m.value, '$.url') = '{DO_NOT_PERFORM_URL}' "
                     f"AND json_extract(m.value, '$.valueBoolean') = 1)")
    if resource == "medication_request":
        # the ELM's code path is medication[x] as a concept: a referenced Medication is not matched
        where.append("(f.resource_json IS NULL OR json_type(f.resource_json, '$.medicationReference') IS NULL)")
    if src.get("encounter_class_not_in"):
        where.append(f"COALESCE((SELECT e.encounter_class FROM clinical_fact e WHERE e.id = f.encounter_fact_id), '') "
                     f"NOT IN ({','.join(quote(c) for c in src['encounter_class_not_in'])})")
    if ctx.domain is not None:
        where.append(f"f.patient_id IN (SELECT patient_id FROM temp.{ctx.domain.table})")
    win = sql_time.window(timing.get("window"), ctx.period)
    needs_patient = not win.constant or src.get("age_at_point_min") is not None
    if of != "medication_period" and timing and timing.get("rel") != "any":
        where.append(sql_time.relation(resource, of, timing.get("rel", "during_day"), win, coded))
    if of == "prevalence":
        if uncounted:
            extra_columns += f", {sql_time.prevalence_known(coded)} AS counted, f.clinical_status AS clinical_status"
        else:
            where.append(sql_time.prevalence_known(coded))
    if of in ("latest", "earliest", "start", "issued"):
        point = sql_time.point_of(resource, of, coded) if of != "issued" else sql_time.fact_interval(resource, of)[0]
    else:
        low, high = sql_time.fact_interval(resource, "interval" if of == "medication_period" else of, coded)
        point = sql_time._when(f"{high.day} IS NOT NULL AND {high.day} <> '{sql_time.MAX_DAY}'", high, low)
    if src.get("age_at_point_min") is not None:
        where.append(f"((CAST(substr({point.day},1,4) AS INT) - CAST(substr(p.birth_date,1,4) AS INT)) "
                     f"- (substr({point.day},6,5) < substr(p.birth_date,6,5))) >= {int(src['age_at_point_min'])}")
    low, high = sql_time.fact_interval(resource, "interval" if of in ("medication_period", "latest", "earliest",
                                                                         "start") else of, coded)
    json_col = ", f.resource_json AS resource_json" if of == "medication_period" else ", NULL AS resource_json"
    # (every join below matches the criterion's codes c on the coding's concept)
    return (f"SELECT f.patient_id AS patient_id, f.id AS fact_id, c.system AS system, c.code AS code, "
            f"{point.day} AS day, {point.at} AS at, {low.at} AS lo_at, {high.at} AS hi_at, {low.day} AS lo_day, "
            f"{high.day} AS hi_day{json_col}{extra_columns} "
            f"FROM {_coded_join(ctx) if coded else _fact_join(ctx, resource)} "
            f"{'CROSS JOIN patient p ON p.id = f.patient_id ' if needs_patient else ''}"
            f"WHERE c.key = '{key}' AND " + " AND ".join(where))


def _coded_join(ctx: Context) -> str:
    """For sources that need only the columns coded_fact carries: from the criterion's codes to
    their facts in one index range (see storage.schema.coded_fact); some patients or a practice
    read their own rows of it (Context.coded_facts)."""
    return f"measure_codes c CROSS JOIN {ctx.coded_facts} f ON f.concept_id = c.concept_id"


def reads_coded_fact(src: dict) -> bool:
    """Whether a source's rows come from coded_fact (``f``, or the scope's rows of it) rather
    than the fact rows."""
    return not _needs_fact_row(src)


@dataclasses.dataclass
class CodedReads:
    """What some criteria read from coded rows: the fact kinds, and the value sets and codes
    of those sources (every row they can find has one of these codes)."""
    kinds: set[str] = dataclasses.field(default_factory=set)
    valuesets: set[str] = dataclasses.field(default_factory=set)
    codes: set[tuple[str, str]] = dataclasses.field(default_factory=set)


def coded_reads(criteria) -> CodedReads:
    """What the criteria read from coded rows (a source is any part of a criterion naming a
    ``resource``; those that read the fact rows are left out)."""
    reads = CodedReads()
    todo = list(criteria)
    while todo:
        part = todo.pop()
        if isinstance(part, dict):
            if isinstance(part.get("resource"), str) and not _needs_fact_row(part):
                reads.kinds.add(part["resource"])
                reads.valuesets.update(part.get("valuesets") or ())
                reads.codes.update((system, code) for system, code in part.get("codes") or ())
            todo.extend(part.values())
        elif isinstance(part, list):
            todo.extend(part)
    return reads


def _needs_fact_row(src: dict) -> bool:
    """Whether a source reads fact columns coded_fact does not carry (the resource's JSON)."""
    return bool(src["resource"] == "medication_request" or src.get("timing", {}).get("of") == "medication_period"
                or src.get("do_not_perform_not_true"))


def reads_prevalence(src: dict) -> bool:
    return src.get("timing", {}).get("of") == "prevalence"


def _fact_join(ctx: Context, resource: str) -> str:
    """For a source that reads the fact rows (the resource's JSON), the join order, fixed with
    CROSS JOIN (SQLite keeps it as written). The whole pod: from the criterion's codes to their
    codings (coded_fact: every 'code' coding in code order, one index range per code) to the
    facts, so only matching facts are read. Some patients (after an import):
    from those patients to their facts of the kind in the index (``k``), to the codings, and
    only then to the rows of the facts whose code matched (``f``), so their recompute does not
    read every matching fact of the pod, nor parse the JSON of every fact of the kind (each
    condition on ``f`` is tested once its row is read: reading the rows first parsed the JSON of
    every prescription of 8,000 patients, five times per run)."""
    if ctx.scoped:
        return (f"measure_scope s CROSS JOIN clinical_fact k ON k.patient_id = s.patient_id AND k.kind = {quote(resource)} "
                "CROSS JOIN fact_coding fc ON fc.fact_id = k.id AND fc.role = 'code' "
                "CROSS JOIN measure_codes c ON c.concept_id = fc.concept_id "
                "CROSS JOIN clinical_fact f ON f.id = k.id")
    return ("measure_codes c CROSS JOIN coded_fact fc ON fc.concept_id = c.concept_id "
            "CROSS JOIN clinical_fact f ON f.id = fc.id")


def _medication_filter(rows, src: dict, ctx: Context):
    """medicationRequestPeriod needs the dosage: computed per matching request, then the
    window test (day precision) is applied here."""
    timing = src.get("timing", {})
    win = sql_time.window(timing.get("window"), ctx.period)
    lo, hi = win.lo_day.strip("'"), win.hi_day.strip("'")
    rel = timing.get("rel", "overlaps_day")
    for row in rows:
        try:
            span = medication_request_period(json.loads(row["resource_json"] or "{}"))
        except (ValueError, TypeError):
            span = None
        if span is None:
            continue
        start, end = span[0].isoformat(), span[1].isoformat()
        ok = (start <= hi and end >= lo) if rel == "overlaps_day" else (start >= lo and end <= hi)
        if ok:
            yield row


def source_rows(ctx: Context, src: dict, statuses: dict, extra: str = ""):
    """The rows of :func:`source_sql` (sqlite3.Row), medication periods filtered here."""
    sql = source_sql(ctx, src, statuses, extra)
    ctx.con.row_factory = sqlite3.Row
    rows = ctx.con.execute(sql)
    if src.get("timing", {}).get("of") == "medication_period":
        return list(_medication_filter(rows, src, ctx))
    return rows


def by_patient(ctx: Context, src: dict, statuses: dict, extra: str = "") -> str:
    """A temp table of a source's rows, indexed by patient (made once per run: several
    criteria read the same encounters or screenings)."""
    name = ctx.materialize(source_sql(ctx, src, statuses, extra))
    ctx.con.execute(f"CREATE INDEX IF NOT EXISTS temp.ix_{name} ON {name} (patient_id)")
    return name
