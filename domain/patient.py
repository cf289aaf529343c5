"""The patient record and its rules."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import today, utcnow
from domain.errors import DomainError
from domain.risk import TIERS as RISK_TIERS
from domain.risk import validate_override
from domain.text import age_on, age_text, name_key, phone_digits

SEXES = ("female", "male", "other", "unknown")
STATUSES = ("active", "moved", "deceased")
CONSENT_METHODS = ("verbal", "written", "electronic")


@dataclasses.dataclass(eq=False)
class Patient:
    practice_id: int
    mrn: str
    family: str
    given: str
    birth_date: dt.date
    sex: str = "unknown"
    phone: str = ""
    phone_alt: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    language: str = "English"
    payer_id: int | None = None
    member_id: str = ""
    pcp_id: int | None = None
    risk_tier: str | None = None  # computed (domain.risk); None: never tiered
    risk_override: str | None = None
    risk_override_reason: str = ""
    consent_date: dt.date | None = None  # care management consent: the day it was given
    consent_by: str = ""  # who recorded it
    consent_method: str = ""  # CONSENT_METHODS
    consent_withdrawn_on: dt.date | None = None
    status: str = "active"
    deceased_date: dt.date | None = None
    attributed_from: dt.date | None = None
    attributed_to: dt.date | None = None
    family_key: str = ""
    given_key: str = ""
    phone_key: str = ""
    entered_in_error: bool = False
    id: int | None = None
    created_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    updated_at: dt.datetime = dataclasses.field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.refresh_search_keys()

    def refresh_search_keys(self) -> None:
        self.family_key = name_key(self.family)
        self.given_key = name_key(self.given)
        self.phone_key = phone_digits(self.phone)

    @property
    def display_name(self) -> str:
        return f"{self.family}, {self.given}"

    @property
    def effective_risk_tier(self) -> str | None:
        """The tier set by hand, else the computed one; None when never tiered."""
        return self.risk_override or self.risk_tier

    def age(self, on: dt.date | None = None) -> int:
        return age_on(self.birth_date, on or today())

    def age_text(self, on: dt.date | None = None) -> str:
        """'67 y'; a child under two in months ('18 mo'), under a month in days."""
        return age_text(self.birth_date, on or today())

    def validate(self, *, on: dt.date | None = None) -> None:
        if not (self.mrn or "").strip():
            raise DomainError("A patient needs an MRN.")
        self.mrn = self.mrn.strip()
        if not (self.family or "").strip():
            raise DomainError("A patient needs a family name.")
        if self.birth_date is None:
            raise DomainError("A patient needs a birth date.")
        if self.birth_date > (on or today()):
            raise DomainError(f"Birth date {self.birth_date.isoformat()} is in the future.")
        if self.birth_date.year < 1880:
            raise DomainError(f"Birth date {self.birth_date.isoformat()} is not plausible.")
        if self.sex not in SEXES:
            raise DomainError(f"Sex must be one of {', '.join(SEXES)}; got {self.sex!r}.")
        if self.status not in STATUSES:
            raise DomainError(f"Status must be one of {', '.join(STATUSES)}; got {self.status!r}.")
        if self.status == "deceased" and self.deceased_date and self.deceased_date < self.birth_date:
            raise DomainError("Date of death is before the birth date.")
        if self.risk_tier is not None and self.risk_tier not in RISK_TIERS:
            raise DomainError(f"Risk tier must be one of {', '.join(RISK_TIERS)}.")
        if self.risk_override is not None:
            validate_override(self.risk_override, self.risk_override_reason)
        if self.consent_date and not self.consent_by.strip():
            raise DomainError("Consent for care management must say who recorded it.")
        if self.consent_method and self.consent_method not in CONSENT_METHODS:
            raise DomainError(f"Consent must be given {', '.join(CONSENT_METHODS)}; got {self.consent_method!r}.")
        if self.consent_withdrawn_on is not None:
            if self.consent_date is None:
                raise DomainError("Consent can only be withdrawn once it was given.")
            if self.consent_withdrawn_on < self.consent_date:
                raise DomainError(f"Consent cannot be withdrawn ({self.consent_withdrawn_on.isoformat()}) "
                                  f"before it was given ({self.consent_date.isoformat()}).")
        if self.attributed_from and self.attributed_to and self.attributed_to < self.attributed_from:
            raise DomainError("Attribution ends before it starts.")
        self.refresh_search_keys()

    def override_risk(self, tier: str, reason: str) -> None:
        validate_override(tier, reason)
        self.risk_override, self.risk_override_reason = tier, reason.strip()


def ensure_unique_mrns(patients: list[Patient]) -> None:
    """MRN is unique per practice: raise naming the first repeat."""
    seen: set[tuple[int, str]] = set()
    for p in patients:
        key = (p.practice_id, p.mrn.strip())
        if key in seen:
            raise DomainError(f"MRN {key[1]} appears twice in practice {p.practice_id}.")
        seen.add(key)


def status_note(status: str, deceased_date: dt.date | None = None, entered_in_error: bool = False) -> str:
    """What a list says beside a patient no longer in care ("patient deceased 10/11/2025",
    "patient moved"), so nobody calls about their care; "" for an active patient."""
    if entered_in_error:
        return "patient record entered in error"
    if status == "deceased":
        return "patient deceased" + (f" {deceased_date:%m/%d/%Y}" if deceased_date else "")
    return "" if status == "active" else f"patient {status}"
