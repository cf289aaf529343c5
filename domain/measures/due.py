"""When a gap is due: an open gap by the end of the period (or sooner when the measure says,
e.g. a child's immunizations by the second birthday); a closed gap when the evidence that
closed it lapses (a mammogram counts for 27 months, a colonoscopy for 10 years, an HbA1c
for this period only, so the next one is due by the end of the next period).

Both are data in the measure definitions:

- ``"lapse"`` on a numerator criterion: how long the criterion's evidence keeps counting,
  ``{"years": 10}`` after the evidence's date, or ``{"from": "period_end", "years": 1}``.
- ``"due_open"`` on the measure: an earlier due date for open gaps, e.g.
  ``{"from": "birth", "years": 2}``; the period end when absent or later.
"""
from __future__ import annotations

import datetime as dt
import functools
from typing import Callable

from domain.errors import DomainError
from domain.measures.period import MeasurementPeriod, shift

ORIGINS = ("evidence", "period_start", "period_end", "birth")
UNITS = ("years", "months", "days")


def check_spec(spec, where: str) -> None:
    """A lapse or due rule is {"from": origin, "years"/"months"/"days": int}."""
    if not isinstance(spec, dict):
        raise DomainError(f"{where}: a lapse or due rule must be an object, not {spec!r}")
    unknown = set(spec) - {"from", *UNITS}
    if unknown:
        raise DomainError(f"{where}: unknown key(s) {sorted(unknown)} in {spec!r}")
    if spec.get("from", "evidence") not in ORIGINS:
        raise DomainError(f"{where}: 'from' must be one of {', '.join(ORIGINS)}")
    if not all(isinstance(spec.get(u, 0), int) for u in UNITS):
        raise DomainError(f"{where}: years, months and days must be whole numbers")


def apply(spec: dict, period: MeasurementPeriod, *, evidence: dt.date | None = None,
          birth: dt.date | None = None) -> dt.date | None:
    """The date a rule gives, or None when its origin is unknown (no evidence date, say)."""
    origin = {"evidence": evidence, "period_start": period.start, "period_end": period.end,
              "birth": birth}[spec.get("from", "evidence")]
    if origin is None:
        return None
    return _shifted(origin, spec.get("years", 0), spec.get("months", 0), spec.get("days", 0))


@functools.lru_cache(maxsize=65536)  # a pod's evidence falls on a few thousand distinct days
def _shifted(origin: dt.date, years: int, months: int, days: int) -> dt.date | None:
    try:
        return shift(origin, {"years": years, "months": months, "days": days})
    except DomainError:  # beyond year 9999: it never lapses within any period we show
        return None


@functools.lru_cache(maxsize=65536)
def _day(text) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def evidence_lapse(expr, definition: dict, period: MeasurementPeriod,
                   evidence_day: Callable[[str], str | None]) -> dt.date | None:
    """Until when the evidence meeting ``expr`` keeps meeting it: the latest lapse among
    alternatives (``any``), the earliest among requirements (``all``). A criterion without
    a lapse rule, or that the patient does not meet (``evidence_day`` gives None), sets no
    limit. Under ``not`` the criterion's evidence still dates the state (CMS122: the HbA1c
    that keeps a patient out of the "> 9 %" numerator lapses like any HbA1c)."""
    return lapse_rule(expr, definition, period)(evidence_day)


def lapse_rule(expr, definition: dict, period: MeasurementPeriod) -> Callable:
    """:func:`evidence_lapse` for one expression, worked out once into a function of
    ``evidence_day`` (one patient)."""
    plan = _plan(expr, definition, period)

    def rule(evidence_day) -> dt.date | None:
        if plan is None:
            return None
        return plan(lambda name: {0: day} if (day := evidence_day(name)) else {}, (0,)).get(0)
    return rule


def lapse_dates(expr, definition: dict, period: MeasurementPeriod, days_of: Callable[[str], dict],
                patients) -> dict:
    """:func:`evidence_lapse` for many patients at once: ``days_of(name)`` maps each patient
    meeting criterion ``name`` to its evidence day (text); the result maps each of
    ``patients`` whose evidence lapses to the date it does."""
    plan = _plan(expr, definition, period)
    return plan(days_of, patients) if plan is not None else {}


def _plan(expr, definition: dict, period: MeasurementPeriod) -> Callable | None:
    """``expr`` as a function (days_of, patients) -> {patient: lapse date}; None: no limit."""
    if isinstance(expr, str):
        if expr in definition["criteria"]:
            spec = definition["criteria"][expr].get("lapse")
            origin = spec.get("from", "evidence") if spec is not None else None
            if origin is None or origin == "birth":  # no rule; no birth date is known here
                return None
            if origin == "evidence":
                years, months, days = spec.get("years", 0), spec.get("months", 0), spec.get("days", 0)

                def after_evidence(days_of, patients, name=expr) -> dict:
                    met = days_of(name)
                    out = {}
                    for pid in met.keys() & patients:
                        day = _day(met[pid])
                        lapse = _shifted(day, years, months, days) if day is not None else None
                        if lapse is not None:
                            out[pid] = lapse
                    return out
                return after_evidence
            fixed = apply(spec, period)

            def fixed_once_met(days_of, patients, name=expr) -> dict:
                met = days_of(name)
                return {pid: fixed for pid in met.keys() & patients if _day(met[pid]) is not None}
            return fixed_once_met
        if expr in definition.get("expressions", {}):
            return _plan(definition["expressions"][expr], definition, period)
        return None
    (op, arg), = expr.items()
    if op == "not":
        return _plan(arg, definition, period)
    parts = [plan for plan in (_plan(e, definition, period) for e in arg) if plan is not None]
    if len(parts) <= 1:
        return parts[0] if parts else None
    pick = max if op == "any" else min

    def combined(days_of, patients) -> dict:
        out: dict = {}
        for found in (part(days_of, patients) for part in parts):
            for pid, lapse in found.items():
                before = out.get(pid)
                out[pid] = lapse if before is None else pick(before, lapse)
        return out
    return combined


def due_date(state: str, definition: dict, numerator, period: MeasurementPeriod,
             evidence_day: Callable[[str], str | None], birth: dt.date | None = None) -> dt.date | None:
    """The due date of one gap in ``state`` (open, closed, excluded, not_applicable);
    ``numerator`` is the group's numerator expression."""
    if state == "open":
        spec = definition.get("due_open")
        sooner = apply(spec, period, birth=birth) if spec else None
        return min(period.end, sooner) if sooner else period.end
    if state == "closed" and numerator is not None:
        return evidence_lapse(numerator, definition, period, evidence_day)
    return None
