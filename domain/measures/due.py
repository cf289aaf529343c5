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


def _no_limit(evidence_day) -> None:
    return None


def lapse_rule(expr, definition: dict, period: MeasurementPeriod) -> Callable:
    """:func:`evidence_lapse` for one expression, worked out once (per measure group) into a
    function of ``evidence_day``, so the per-patient call walks no definition."""
    if isinstance(expr, str):
        if expr in definition["criteria"]:
            spec = definition["criteria"][expr].get("lapse")
            if spec is None:
                return _no_limit
            origin = spec.get("from", "evidence")
            if origin == "birth":
                return _no_limit  # no birth date is known here
            years, months, days = spec.get("years", 0), spec.get("months", 0), spec.get("days", 0)
            if origin == "evidence":
                def after_evidence(evidence_day, name=expr):
                    day = _day(evidence_day(name))
                    return _shifted(day, years, months, days) if day is not None else None
                return after_evidence
            fixed = apply(spec, period)

            def fixed_once_met(evidence_day, name=expr):
                return fixed if _day(evidence_day(name)) is not None else None
            return fixed_once_met
        if expr in definition.get("expressions", {}):
            return lapse_rule(definition["expressions"][expr], definition, period)
        return _no_limit
    (op, arg), = expr.items()
    if op == "not":
        return lapse_rule(arg, definition, period)
    parts = [rule for rule in (lapse_rule(e, definition, period) for e in arg) if rule is not _no_limit]
    if not parts:
        return _no_limit
    if len(parts) == 1:
        return parts[0]
    pick = max if op == "any" else min

    def combined(evidence_day):
        found = [d for d in (rule(evidence_day) for rule in parts) if d is not None]
        return pick(found) if found else None
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
