"""CumulativeMedicationDuration 4.1 ``medicationRequestPeriod``: the days a prescription covers.

start = boundsPeriod start, else authoredOn, else validityPeriod start (as dates);
days = expectedSupplyDuration in days, else quantity / (dose × doses per day), times
(1 + refills); the period is [start, start + days − 1], else [start, end of bounds], else none.
"""
from __future__ import annotations

import datetime as dt

_PER_DAY = {"h": 24.0, "min": 1440.0, "s": 86400.0, "d": 1.0, "wk": 1 / 7, "mo": 1 / 30, "a": 1 / 365}
_DAYS = {"d": 1.0, "day": 1.0, "days": 1.0, "wk": 7.0, "week": 7.0, "weeks": 7.0,
         "mo": 30.0, "month": 30.0, "months": 30.0, "a": 365.0, "year": 365.0, "years": 365.0,
         "h": 1 / 24, "hour": 1 / 24, "hours": 1 / 24}


def _date(text) -> dt.date | None:
    if isinstance(text, str) and len(text) >= 10:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            return None
    return None


def _one(items):
    return items[0] if isinstance(items, list) and len(items) == 1 else None


def medication_request_period(resource: dict) -> tuple[dt.date, dt.date] | None:
    dosage = _one(resource.get("dosageInstruction")) or {}
    dose_and_rate = _one(dosage.get("doseAndRate")) or {}
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    bounds = repeat.get("boundsPeriod") or {}
    dispense = resource.get("dispenseRequest") or {}
    start = (_date(bounds.get("start")) or _date(resource.get("authoredOn"))
             or _date((dispense.get("validityPeriod") or {}).get("start")))
    if start is None:
        return None
    days_supply = None
    supply = dispense.get("expectedSupplyDuration") or {}
    if isinstance(supply.get("value"), (int, float)):
        unit = supply.get("code") or supply.get("unit") or "d"
        if unit in _DAYS:
            days_supply = supply["value"] * _DAYS[unit]
    if days_supply is None:
        quantity = (dispense.get("quantity") or {}).get("value")
        dose = dose_and_rate.get("doseQuantity") or (dose_and_rate.get("doseRange") or {}).get("high") or {}
        frequency = repeat.get("frequencyMax", repeat.get("frequency"))
        period, unit = repeat.get("period"), repeat.get("periodUnit")
        per_day = None
        if isinstance(frequency, (int, float)) and isinstance(period, (int, float)) and period and unit in _PER_DAY:
            per_day = frequency / period * _PER_DAY[unit]
        elif repeat.get("timeOfDay"):
            per_day = float(len(repeat["timeOfDay"]))
        per_day = per_day or 1.0
        if isinstance(quantity, (int, float)) and isinstance(dose.get("value"), (int, float)) and dose["value"]:
            days_supply = quantity / (dose["value"] * per_day)
    if days_supply is not None:
        refills = dispense.get("numberOfRepeatsAllowed") or 0
        total = days_supply * (1 + refills)
        return start, start + dt.timedelta(days=int(total) - 1)
    end = _date(bounds.get("end"))
    if end is not None:
        return start, end
    return None
