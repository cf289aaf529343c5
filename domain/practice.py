"""Practices of the pod, their clinicians, on-call rota, and the pod's shared staff."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from domain.clock import utcnow
from domain.errors import DomainError, NotFound
from domain.office_hours import zone

ROLES = ("care_manager", "nurse", "pharmacist", "social_worker", "administrator", "practice_viewer")
ROLE_LABELS = {
    "care_manager": "Care manager",
    "nurse": "After-hours nurse",
    "pharmacist": "Clinical pharmacist",
    "social_worker": "Social worker",
    "administrator": "Pod administrator",
    "practice_viewer": "Practice viewer",
}

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,15}$")


@dataclasses.dataclass(eq=False)
class Practice:
    code: str
    name: str
    address: str = ""
    phone: str = ""
    tin: str = ""
    npi: str = ""
    after_hours_instructions: str = ""
    active: bool = True
    id: int | None = None
    created_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    time_zone: str = "America/New_York"  # IANA zone of its hours; instants are kept in UTC
    # the holding place of imported patients whose practice is not known: never a pod peer
    holding: bool = False

    def validate(self) -> None:
        # in the order the forms ask: the name first (a code is often made from it)
        if not (self.name or "").strip():
            raise DomainError("A practice needs a name.")
        if not _CODE.match(self.code or ""):
            raise DomainError(
                f"Practice code {self.code!r} must be 2-16 capital letters, digits, '-' or '_'."
            )
        if self.npi and not re.fullmatch(r"\d{10}", self.npi):
            raise DomainError(f"Practice NPI {self.npi!r} must be 10 digits.")
        if self.tin and not re.fullmatch(r"\d{2}-?\d{7}", self.tin):
            raise DomainError(f"Practice TIN {self.tin!r} must be 9 digits (12-3456789).")
        zone(self.time_zone)


@dataclasses.dataclass(eq=False)
class Clinician:
    practice_id: int | None
    family: str
    given: str
    npi: str = ""
    credentials: str = "MD"
    active: bool = True
    id: int | None = None

    @property
    def display_name(self) -> str:
        cred = f", {self.credentials}" if self.credentials else ""
        return f"{self.given} {self.family}{cred}".strip()

    def validate(self) -> None:
        if not (self.family or "").strip():
            raise DomainError("A clinician needs a family name.")
        if self.npi and not re.fullmatch(r"\d{10}", self.npi):
            raise DomainError(f"Clinician NPI {self.npi!r} must be 10 digits.")


@dataclasses.dataclass(eq=False)
class OnCallSlot:
    """One block of the practice's on-call rota: who is paged between two moments."""

    practice_id: int
    clinician_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    id: int | None = None

    def validate(self) -> None:
        if self.ends_at <= self.starts_at:
            raise DomainError("An on-call slot must end after it starts.")

    def covers(self, moment: dt.datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


def on_call_at(slots: list[OnCallSlot], moment: dt.datetime) -> OnCallSlot | None:
    """The slot covering ``moment``; the latest-starting one wins where slots overlap."""
    covering = [s for s in slots if s.covers(moment)]
    return max(covering, key=lambda s: s.starts_at) if covering else None


class UnknownStaffMember(NotFound):
    """A name given as the person using Carepod that is not an active staff member of the pod."""


def unknown_staff_message(name: str, active_names: list[str]) -> str:
    if not active_names:
        return (f"{name!r} is not a staff member of this pod: the pod has no active staff yet. Add the first "
                "staff member when Carepod first opens, or with: python main.py staff --add NAME --roles ROLE")
    return (f"{name!r} is not an active staff member of this pod; the active staff are: "
            f"{', '.join(active_names)}.") if name.strip() else (
        "Say who is using Carepod (--as NAME); the active staff are: " + ", ".join(active_names) + ".")


@dataclasses.dataclass(eq=False)
class StaffMember:
    name: str
    roles: str  # comma-separated ROLES
    email: str = ""
    active: bool = True
    id: int | None = None

    @property
    def role_list(self) -> list[str]:
        return [r for r in (self.roles or "").split(",") if r]

    def validate(self) -> None:
        self.name = " ".join((self.name or "").split())
        if len(self.name) < 2:
            raise DomainError("A staff member needs a name (at least two letters).")
        unknown = [r for r in self.role_list if r not in ROLES]
        if unknown or not self.role_list:
            raise DomainError(f"Staff roles must be among {', '.join(ROLES)}; got {self.roles!r}.")
        self.email = (self.email or "").strip()
        if self.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", self.email):
            raise DomainError(f"{self.email!r} is not an e-mail address.")


@dataclasses.dataclass(eq=False)
class Payer:
    code: str
    name: str
    kind: str = "commercial"  # medicare, medicaid, commercial, self-pay
    id: int | None = None
