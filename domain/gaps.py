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

    def validate(self) -> None:
        if self.kind not in OVERRIDE_KINDS:
            raise DomainError(f"Override must be one of {', '.join(OVERRIDE_KINDS)}.")
        if not self.reason.strip():
            raise DomainError("A documented exclusion or refusal needs a reason.")
        if not self.by:
            raise DomainError("A documented exclusion or refusal must say who recorded it.")
        if self.period_end < self.period_start:
            raise DomainError("The period ends before it starts.")


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
