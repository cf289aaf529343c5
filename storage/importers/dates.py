"""Reading the date elements of a resource (value[x] choices, Period, Timing) into a fact row."""
from __future__ import annotations

import json

from storage.importers.fhir_datetime import InvalidDate, parse_instant
from storage.importers.plans import Rejected


def instant(value, field: str, part: str = ""):
    """The UTC instant of one date element, rejecting the resource when it is not a date
    (the message names ``field`` + ``part``, joined only then: this runs for every fact)."""
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except InvalidDate as exc:
        raise Rejected(f"{field}{part}: {exc}") from None


def set_span(row: dict, start, end, field: str) -> None:
    if start == "" or end == "":  # an empty date is no date: never a fact silently undated
        raise Rejected(f"{field}{'.end' if end == '' else '.start' if end is not None else ''} is empty "
                       "(leave the element out when there is no date)")
    row["start_raw"] = start if isinstance(start, str) else ""
    row["end_raw"] = end if isinstance(end, str) else ""
    row["start_at"] = instant(start, field, ".start" if end is not None else "")
    row["end_at"] = instant(end, field, ".end")


def period_element(resource: dict, name: str) -> dict | None:
    """A Period element, or None when absent; anything else (``"effectivePeriod": "2025"``) is
    refused rather than read as no date."""
    value = resource.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise Rejected(f'{name} is {value!r}: a Period ({{"start": ..., "end": ...}}) belongs there')


_CHOICE_NAMES: dict[str, tuple[str, ...]] = {}


def set_choice(row: dict, resource: dict, prefix: str) -> bool:
    """Fill start/end from ``<prefix>DateTime|Date|Instant|Period|Timing``; False if none is there."""
    names = _CHOICE_NAMES.get(prefix)
    if names is None:
        names = _CHOICE_NAMES[prefix] = tuple(prefix + s for s in ("DateTime", "Date", "Instant"))
    for name in names:
        value = resource.get(name)
        if value is not None:
            set_span(row, value, None, name)
            return True
    period = period_element(resource, prefix + "Period")
    if period is not None:
        set_span(row, period.get("start"), period.get("end"), prefix + "Period")
        return True
    timing = resource.get(prefix + "Timing")
    if timing is not None and not isinstance(timing, dict):
        raise Rejected(f"{prefix}Timing is {timing!r}: a Timing object belongs there")
    if isinstance(timing, dict):
        set_timing(row, timing, prefix + "Timing")
        return True
    return False


def set_timing(row: dict, timing: dict, field: str) -> None:
    """A Timing's first and last event, or its repeat bounds (the raw texts keep the source)."""
    events = [e for e in timing.get("event") or () if isinstance(e, str)]
    if events:
        set_span(row, events[0], events[-1] if len(events) > 1 else None, field + ".event")
        return
    bounds = (timing.get("repeat") or {}).get("boundsPeriod") if isinstance(timing.get("repeat"), dict) else None
    if isinstance(bounds, dict):
        set_span(row, bounds.get("start"), bounds.get("end"), field + ".repeat.boundsPeriod")
    elif timing:
        row["start_raw"] = json.dumps(timing, separators=(",", ":"))[:500]
