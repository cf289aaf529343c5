"""Criteria relating facts to a qualifying encounter: a screening near one (CMS2) and its
follow-up, a reason for not doing something documented during one, a condition starting
before one."""
from __future__ import annotations

from storage.measures import sql_time
from storage.measures.criteria.context import Context, CriterionResult, Evidence
from storage.measures.criteria.sources import by_patient, codes_exists


def _near_encounter(encounters: str, alias: str, column: str, days: int = 14) -> str:
    """CQL "``days`` days or less on or before day of start of" one of the patient's
    encounters, as SQL on the row ``alias`` whose day is in ``column``."""
    day = f"{alias}.{column}"
    return (f"EXISTS (SELECT 1 FROM {encounters} e WHERE e.patient_id = {alias}.patient_id "
            f"AND e.lo_day <> '' AND {day} IS NOT NULL AND date(e.lo_day, '-{int(days)} days') <= {day} "
            f"AND {day} <= e.lo_day)")


def _latest_per_patient(ctx: Context, sql: str, evidence_day: str = "day", detail: str = "") -> CriterionResult:
    """Evidence from ``sql`` (patient_id, fact_id, system, code and ``evidence_day``): per
    patient the row of the highest fact id (the same fact's codings: the first code)."""
    return _one_per_patient(ctx, f"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY patient_id "
                                 f"ORDER BY fact_id DESC, system, code) AS rn FROM ({sql})) WHERE rn = 1",
                            evidence_day, detail)


def _one_per_patient(ctx: Context, sql: str, evidence_day: str, detail: str = "") -> CriterionResult:
    """Evidence from ``sql``, which gives at most one row per patient."""
    ctx.con.row_factory = None
    rows = ctx.con.execute(f"SELECT patient_id, fact_id, system, code, {evidence_day} FROM ({sql})")
    evidence = {pid: Evidence(fact_id, system, code, day, detail) for pid, fact_id, system, code, day in rows}
    return CriterionResult(set(evidence), evidence)


def depression_screening(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """CMS2: the most recent screening (final, with a value, ending within 14 days before a
    qualifying encounter) is negative, or is positive with a follow-up at or within 2 days
    after that encounter. One query per criterion over every patient."""
    encounters = by_patient(ctx, crit["encounters"], statuses)
    last = _latest_screening_near(ctx, crit, statuses)
    if crit.get("want") == "negative":
        test = codes_exists(ctx, "value", crit["negative"], fact="l.fact_id")
    else:
        lo_mp, hi_mp = ctx.period.start.isoformat(), ctx.period.end.isoformat()
        done = []
        for src in crit["follow_up"] if crit.get("want") == "positive_with_follow_up" else []:
            follow = by_patient(ctx, src, statuses)
            if src["resource"] == "procedure":  # performed during the encounter
                when = "f.lo_at IS NOT NULL AND q.lo_at <= f.lo_at AND f.lo_at <= COALESCE(q.hi_at, '')"
            else:  # ordered on the day the encounter ends or within 2 days after
                when = (f"q.hi_day IS NOT NULL AND q.hi_day <> '' AND q.hi_day <> '{sql_time.MAX_DAY}' "
                        f"AND q.hi_day <= f.lo_day AND f.lo_day <= date(q.hi_day, '+2 days')")
            done.append(f"EXISTS (SELECT 1 FROM {follow} f WHERE f.patient_id = q.patient_id "
                        f"AND f.lo_day IS NOT NULL AND f.lo_day >= '{lo_mp}' AND f.lo_day <= '{hi_mp}' AND {when})")
        # the encounter the screening was near (by the screening's start day), then its follow-up
        test = (f"{codes_exists(ctx, 'value', crit['positive'], fact='l.fact_id')} AND EXISTS (SELECT 1 FROM {encounters} q "
                f"WHERE q.patient_id = l.patient_id AND q.lo_day <> '' AND l.lo_day IS NOT NULL "
                f"AND date(q.lo_day, '-14 days') <= l.lo_day AND l.lo_day <= q.lo_day "
                f"AND ({' OR '.join(done) or '0'}))")
    # ``last`` holds one screening per patient: its rows are the evidence as they are
    return _one_per_patient(ctx, f"SELECT l.* FROM {last} l WHERE {test}", "hi_day")


def _screened_near(ctx: Context, crit: dict, statuses: dict) -> str:
    """A temp table of the screenings ending within 14 days before a qualifying encounter
    (made once: "screened" and the latest screening's result read the same rows)."""
    encounters = by_patient(ctx, crit["encounters"], statuses)
    screens = by_patient(ctx, crit["screening"], statuses)
    return ctx.materialize(f"SELECT s.* FROM {screens} s WHERE {_near_encounter(encounters, 's', 'hi_day')}")


def _latest_screening_near(ctx: Context, crit: dict, statuses: dict) -> str:
    """A temp table of each patient's latest screening near an encounter: by its start
    instant, then the later record (made once: "screened" and the negative and positive
    criteria read the same latest screenings)."""
    return ctx.materialize(
        f"SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.patient_id ORDER BY "
        f"COALESCE(s.lo_at, '') DESC, s.fact_id DESC, s.system, s.code) AS rn "
        f"FROM {_screened_near(ctx, crit, statuses)} s) WHERE rn = 1 ORDER BY fact_id")


def screened_near_encounter(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """Screened near a qualifying encounter; the evidence is the latest such screening."""
    return _one_per_patient(ctx, f"SELECT * FROM {_latest_screening_near(ctx, crit, statuses)}", "hi_day")


def not_done_during_encounter(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """A documented reason for not doing something, issued during a qualifying encounter."""
    encounters = by_patient(ctx, crit["encounters"], statuses)
    not_done = by_patient(ctx, crit["not_done"], statuses, ", f.recorded_at AS issued")
    return _latest_per_patient(
        ctx, f"SELECT r.* FROM {not_done} r WHERE r.issued IS NOT NULL AND r.issued <> '' AND EXISTS (SELECT 1 "
             f"FROM {encounters} e WHERE e.patient_id = r.patient_id AND e.lo_at <> '' AND e.lo_at <= r.issued "
             f"AND r.issued <= COALESCE(e.hi_at, ''))", "substr(issued, 1, 10)", "not done, with a reason")


def condition_before_encounter(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """A condition whose prevalence starts before the start of a qualifying encounter."""
    encounters = by_patient(ctx, crit["encounters"], statuses)
    conditions = by_patient(ctx, crit["condition"], statuses)
    return _latest_per_patient(
        ctx, f"SELECT r.* FROM {conditions} r WHERE EXISTS (SELECT 1 FROM {encounters} e WHERE "
             f"e.patient_id = r.patient_id AND e.lo_at <> '' AND COALESCE(r.lo_at, '') < e.lo_at)", "lo_day")
