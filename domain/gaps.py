"""Gaps in care: patient × measure × period, computed by the measure engine.

Only two things are ever typed by a person: a documented exclusion and
"patient declined" (:class:`GapOverride`), each with reason, who and when.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow
from domain.errors import DomainError

STATES = ("open", "closed", "excluded", "not_applicable")
STATE_LABELS = {"open": "Open", "closed": "Closed", "excluded": "Excluded",
                "not_applicable": "Not applicable"}
OVERRIDE_KINDS = ("exclusion", "declined")
# where a documented exclusion or refusal is written down (code -> what the user reads)
OVERRIDE_SOURCES = {
    "chart": "The practice's chart (EHR)",
    "outside_records": "Records from another provider",
    "specialist": "A specialist's letter or report",
    "patient": "The patient or caregiver, in person or by phone",
    "claims": "Claims or payer data",
}
OTHER_REASON = "other"  # a reason not on the measure's list: the note must say it
MIN_OTHER_NOTE = 10  # characters of a note that has to carry the reason on its own


@dataclasses.dataclass(eq=False)
class GapOverride:
    patient_id: int
    measure_id: str
    period_start: dt.date
    period_end: dt.date
    kind: str
    reason: str
    by: str
    at: dt.datetime = dataclasses.field(default_factory=utcnow)
    entered_in_error: bool = False
    id: int | None = None
    reason_code: str = ""  # from the measure's list ('' on notes kept before the lists existed)
    applies_from: dt.date | None = None  # the day the exclusion or refusal applies from
    source: str = ""  # OVERRIDE_SOURCES

    def validate(self) -> None:
        if self.kind not in OVERRIDE_KINDS:
            raise DomainError(f"Override must be one of {', '.join(OVERRIDE_KINDS)}.")
        if not self.reason.strip() and not self.reason_code:
            raise DomainError("A documented exclusion or refusal needs a reason.")
        if not self.by:
            raise DomainError("A documented exclusion or refusal must say who recorded it.")
        if self.period_end < self.period_start:
            raise DomainError("The period ends before it starts.")

    def check_documented(self, reasons: dict[str, str], *, on: dt.date) -> None:
        """The rules of a new documentation: a reason from the measure's list (``reasons``:
        code -> label), a note saying it when the reason is "other", the day it applies from
        (not after ``on``, today, nor after the period) and its source."""
        what = "exclusion" if self.kind == "exclusion" else "refusal"
        if not self.reason_code:
            raise DomainError(f"Choose the reason for the {what} from the list.")
        if self.reason_code not in reasons:
            raise DomainError(f"{self.reason_code!r} is not a reason for a documented {what} of "
                              f"{self.measure_id}; choose one of the list.")
        note = self.reason.strip()
        if self.reason_code == OTHER_REASON and len(note) < MIN_OTHER_NOTE:
            raise DomainError(f"With \"{reasons[OTHER_REASON]}\" the note must say the reason "
                              f"(at least {MIN_OTHER_NOTE} characters).")
        if self.applies_from is None:
            raise DomainError(f"Give the date the {what} applies from.")
        if self.applies_from > on:
            raise DomainError(f"The {what} cannot apply from {self.applies_from.isoformat()}, "
                              "a date in the future.")
        if self.applies_from > self.period_end:
            raise DomainError(f"The {what} applies from {self.applies_from.isoformat()}, after the "
                              f"measurement period ending {self.period_end.isoformat()}: it does not "
                              "concern that period.")
        if self.source not in OVERRIDE_SOURCES:
            raise DomainError(f"Say where the {what} is documented (its source).")
        self.reason = note

    def reason_text(self, reasons: dict[str, str] | None = None) -> str:
        """'Bilateral mastectomy — from 2019-05-02, source: records from another provider: <note>'."""
        label = (reasons or {}).get(self.reason_code, self.reason_code.replace("-", " ").capitalize())
        parts = [label] if self.reason_code and self.reason_code != OTHER_REASON else []
        details = []
        if self.applies_from:
            details.append(f"from {self.applies_from.isoformat()}")
        if self.source:
            source = OVERRIDE_SOURCES.get(self.source, self.source)
            details.append(f"source: {source[:1].lower()}{source[1:]}")
        text = " — ".join(p for p in (", ".join(parts), ", ".join(details)) if p)
        note = self.reason.strip()
        if note:
            text = f"{text}: {note}" if text else note
        return text


def period_has_ended(period_end: dt.date, on: dt.date) -> bool:
    """A measurement year that is over: its rates may already have been reported."""
    return period_end < on


def state_from_populations(ip: int, denominator: int, exclusion: int, exception: int,
                           numerator: int, *, inverse: bool = False) -> str:
    """The care-manager's reading of one patient's populations.

    For an inverse measure (CMS122: HbA1c > 9 % is the bad outcome) being in the
    numerator is the open gap.
    """
    if not ip or not denominator:
        return "not_applicable"
    if exclusion or exception:
        return "excluded"
    met = bool(numerator) != inverse
    return "closed" if met else "open"


def states_from_population_sets(ip: set, denominator: set, exclusion: set, exception: set,
                                numerator: set, *, inverse: bool = False) -> dict[str, set]:
    """:func:`state_from_populations` for every patient of a measure group at once (sets of
    patient ids in, the ids in each state out), so a pod is sorted without a per-patient call."""
    counted = ip & denominator
    excluded = counted & (exclusion | exception)
    counted -= excluded
    met = counted - numerator if inverse else counted & numerator
    return {"not_applicable": ip - counted - excluded, "excluded": excluded, "closed": met,
            "open": counted - met}
