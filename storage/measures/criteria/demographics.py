"""Criteria on the patient row: age on a day of the period, sex."""
from __future__ import annotations

import bisect
import datetime as dt

from storage.measures.criteria.context import Context, CriterionResult
from storage.measures.criteria.sources import in_list


def age(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """Age in whole years on the period's first or last day, as a range of birth dates read
    from the birth-date index: aged at least n on day D is born on or before D n years
    earlier. That day is compared as a number (YYYYMMDD), so 29 February of a common year
    (not a date) still sorts between the 28th and 1 March, as CQL's age-in-years has it."""
    on = ctx.period.end if crit.get("at", "period_end") == "period_end" else ctx.period.start
    low = high = None  # born after ``low``, on or before ``high``
    if "equals" in crit:
        crit = {"min": crit["equals"], "max": crit["equals"]}
    if "min" in crit:
        high = _born_by(on, int(crit["min"]))
    if "max" in crit:
        low = _born_by(on, int(crit["max"]) + 1)
    births, ids = ctx.birth_dates()
    first = bisect.bisect_right(births, low) if low else 0
    end = bisect.bisect_right(births, high) if high else len(births)
    return CriterionResult(set(ids[first:end]), {})


def _born_by(day: dt.date, years: int) -> int:
    """The latest birth date (YYYYMMDD) of someone aged ``years`` or more on ``day``."""
    return (day.year - years) * 10000 + day.month * 100 + day.day


def gender(ctx: Context, crit: dict, statuses: dict) -> CriterionResult:
    """The sex recorded on the patient (female: "female", "F" or "f"; male likewise)."""
    wanted = {"female": ("female", "F", "f"), "male": ("male", "M", "m")}.get(crit["value"], (crit["value"],))
    sql = (f"SELECT p.id FROM {ctx.patients()} WHERE p.entered_in_error = 0 AND "
           f"{in_list('p.sex', wanted)}")
    return CriterionResult({r[0] for r in ctx.con.execute(sql)}, {})
