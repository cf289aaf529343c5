"""How values are written on screen: one date format, one time format, the clinic's labels."""
from __future__ import annotations

import datetime as dt
import re

DATE_FORMAT = "%m/%d/%Y"  # US clinics read 03/04/1957
DATETIME_FORMAT = "%m/%d/%Y %H:%M"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

SEX_LABELS = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown", "": "Unknown"}
RISK_LABELS = {"low": "Low", "moderate": "Moderate", "rising": "Rising", "high": "High"}
STATUS_LABELS = {"active": "Active", "moved": "Moved", "deceased": "Deceased"}
ENCOUNTER_CLASSES = {"AMB": "Ambulatory", "EMER": "Emergency", "IMP": "Inpatient", "ACUTE": "Inpatient acute",
                     "OBSENC": "Observation", "HH": "Home health", "VR": "Virtual", "SS": "Short stay"}


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime(DATE_FORMAT)


def local_datetime(value: dt.datetime | None) -> str:
    """A stored instant (naive UTC) in the user's local time."""
    if value is None:
        return ""
    local = value.replace(tzinfo=dt.timezone.utc).astimezone()
    return local.strftime(DATETIME_FORMAT)


def fact_date(instant: dt.datetime | None, raw: str = "") -> str:
    """The date of a clinical fact as its source wrote it (a FHIR dateTime's own local date),
    falling back to the UTC instant."""
    if raw and _ISO_DATE.match(raw):
        try:
            return date(dt.date.fromisoformat(raw[:10]))
        except ValueError:
            pass
    return date(instant)


def label(value: str, labels: dict[str, str] | None = None) -> str:
    """A stored code as words: ``report_received`` -> ``Report received``."""
    if labels and value in labels:
        return labels[value]
    text = (value or "").replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def sex(value: str) -> str:
    return SEX_LABELS.get(value or "", label(value))


def risk(value: str) -> str:
    return RISK_LABELS.get(value or "", label(value))


def phone(value: str) -> str:
    """Every phone number in one format: (617) 555-0147."""
    from domain.text import phone_display

    return phone_display(value)


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"
