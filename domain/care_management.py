"""Chronic and transitional care management: which minutes count, which codes a month reaches.

**Chronic care management (CCM)**, per patient and calendar month, from the minutes logged
(:class:`domain.time_entry.TimeEntry`):

- clinical staff: 20 minutes for the basic code 99490, each further full 20 minutes one 99439
  (at most two: 40 and 60 minutes);
- complex CCM (a month whose care was logged as complex): 60 minutes for 99487, each further full
  30 minutes one 99489 — a complex month below 60 minutes falls back to the basic codes;
- the billing practitioner personally: 30 minutes for 99491 (the practitioner's minutes are not
  added to the staff's).

A minute counts only when the patient's consent was on record that day: from the consent date,
until the end of the month consent was withdrawn in. A minute counts for one programme only
(each entry names one: chronic care, complex chronic care, transitional care, or not billed), and
for one billing practice per patient and month: the practice of the month's first counted minute
(the others are shown, not counted).

**Advanced primary care management (APCM)** is billed monthly with no time threshold, by the
patient's number of chronic conditions: level 1 (G0556) for one or none, level 2 (G0557) for two
or more; level 3 (G0558) needs a Qualified Medicare Beneficiary, which Carepod does not record.
A practice bills APCM or time-based CCM for a patient's month, not both: patients who fit are
flagged.

**Transitional care (TCM)**, for each discharge to the community: a two-way contact within 2
business days after the discharge (:class:`domain.business_days.BusinessCalendar`, the practice's
own closed days included; a left message or an unanswered call does not count; a contact on the
discharge day counts), a face-to-face visit within 7 calendar days (99496, high complexity) or 14
(99495), the 30-day period starting on the discharge date (its last day is day 30).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from domain.business_days import BusinessCalendar
from domain.text import counted
from domain.time_entry import TimeEntry

# CCM thresholds
BASIC_CODE, BASIC_MINUTES = "99490", 20
BASIC_ADD_ON, BASIC_STEP, BASIC_ADD_ON_MAX = "99439", 20, 2
COMPLEX_CODE, COMPLEX_MINUTES = "99487", 60
COMPLEX_ADD_ON, COMPLEX_STEP = "99489", 30
PRACTITIONER_CODE, PRACTITIONER_MINUTES = "99491", 30
CCM_PROGRAMMES = ("ccm", "complex_ccm")

# APCM levels by chronic condition count
APCM_LEVELS = ((2, "G0557", "level 2: two or more chronic conditions"),
               (0, "G0556", "level 1: one chronic condition or none"))

# TCM
CONTACT_BUSINESS_DAYS = 2
VISIT_HIGH_DAYS, VISIT_HIGH_CODE = 7, "99496"
VISIT_MODERATE_DAYS, VISIT_MODERATE_CODE = 14, "99495"
TCM_PERIOD_DAYS = 30
# discharge dispositions to the community (FHIR discharge-disposition, UB-04 01/06/07); a
# discharge to a facility (skilled nursing, rehabilitation, long-term care, hospice, another
# hospital) starts no transitional care until the patient goes home. Unknown counts as home.
COMMUNITY_DISPOSITIONS = ("", "home", "alt-home", "aadvice", "oth", "01", "06", "07")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    return next_month(day) - dt.timedelta(days=1)


# --- consent ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Consent:
    given_on: dt.date | None
    withdrawn_on: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        """Consent was on record that day: on or after it was given, and no later than the end of
        the month it was withdrawn in."""
        if self.given_on is None or day < self.given_on:
            return False
        return self.withdrawn_on is None or day <= month_end(self.withdrawn_on)

    def why_not(self, day: dt.date, date_format=dt.date.isoformat) -> str:
        if self.given_on is None:
            return "no consent on record"
        if day < self.given_on:
            return f"before consent ({date_format(self.given_on)})"
        return f"after consent was withdrawn ({date_format(self.withdrawn_on)})"


# --- CCM month ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Uncounted:
    minutes: int
    reason: str


@dataclasses.dataclass(frozen=True)
class CcmMonth:
    month: dt.date  # first day
    staff_minutes: int  # counted clinical-staff CCM minutes (basic and complex)
    practitioner_minutes: int  # counted minutes of the billing practitioner personally
    complex: bool  # the month's care was logged as complex
    codes: tuple[tuple[str, int], ...]  # (CPT code, units) reached
    uncounted: tuple[Uncounted, ...]  # minutes logged that do not count, with why
    billing_practice_id: int | None
    tcm_minutes: int = 0  # claimed for transitional care (counted there, never here)

    @property
    def logged_minutes(self) -> int:
        return self.staff_minutes + self.practitioner_minutes + sum(u.minutes for u in self.uncounted)

    @property
    def threshold(self) -> str:
        """The highest threshold reached, in words: "99490 + 2 × 99439", or "Below 20 min"."""
        if not self.codes:
            return f"Below {BASIC_MINUTES} min"
        return " + ".join(code if units == 1 else f"{units} × {code}" for code, units in self.codes)

    @property
    def to_next(self) -> tuple[str, int] | None:
        """(the next code, minutes still needed) for the clinical staff's minutes; None at the top."""
        m = self.staff_minutes
        if self.complex and m >= COMPLEX_MINUTES:
            return COMPLEX_ADD_ON, COMPLEX_STEP - (m - COMPLEX_MINUTES) % COMPLEX_STEP
        if self.complex:
            return COMPLEX_CODE, COMPLEX_MINUTES - m
        if m < BASIC_MINUTES:
            return BASIC_CODE, BASIC_MINUTES - m
        added = (m - BASIC_MINUTES) // BASIC_STEP
        if added >= BASIC_ADD_ON_MAX:
            return None
        return BASIC_ADD_ON, BASIC_MINUTES + (added + 1) * BASIC_STEP - m


def staff_codes(minutes: int, complex_month: bool) -> list[tuple[str, int]]:
    """The clinical staff's codes for a month's counted minutes."""
    if complex_month and minutes >= COMPLEX_MINUTES:
        codes = [(COMPLEX_CODE, 1)]
        extra = (minutes - COMPLEX_MINUTES) // COMPLEX_STEP
        return codes + ([(COMPLEX_ADD_ON, extra)] if extra else [])
    if minutes < BASIC_MINUTES:
        return []
    extra = min(BASIC_ADD_ON_MAX, (minutes - BASIC_MINUTES) // BASIC_STEP)
    return [(BASIC_CODE, 1)] + ([(BASIC_ADD_ON, extra)] if extra else [])


def ccm_month(entries: Iterable[TimeEntry], month: dt.date, consent: Consent,
              date_format=dt.date.isoformat, practice_names: dict[int, str] | None = None) -> CcmMonth:
    """One patient's calendar month of chronic care management (``entries``: the patient's,
    any month; those of other months, entered in error or of other programmes are left aside)."""
    first, last = month_start(month), month_end(month)
    in_month = sorted((e for e in entries if not e.entered_in_error and first <= e.entry_date <= last),
                      key=lambda e: (e.entry_date, e.started_at or dt.datetime.min, e.id or 0))
    staff = practitioner = tcm = 0
    complex_month = any(e.programme == "complex_ccm" for e in in_month)
    uncounted: dict[str, int] = {}
    billing = None
    for e in in_month:
        if e.programme == "tcm":
            tcm += e.minutes
            continue
        if e.programme not in CCM_PROGRAMMES:
            uncounted["not billed (logged as not for a programme)"] = \
                uncounted.get("not billed (logged as not for a programme)", 0) + e.minutes
            continue
        if not consent.covers(e.entry_date):
            reason = consent.why_not(e.entry_date, date_format)
            uncounted[reason] = uncounted.get(reason, 0) + e.minutes
            continue
        if billing is None:
            billing = e.practice_id
        elif e.practice_id is not None and e.practice_id != billing:
            name = (practice_names or {}).get(billing, f"practice {billing}")
            reason = f"another practice ({name} bills this month)"
            uncounted[reason] = uncounted.get(reason, 0) + e.minutes
            continue
        if e.performer == "practitioner":
            practitioner += e.minutes
        else:
            staff += e.minutes
    codes = staff_codes(staff, complex_month)
    if practitioner >= PRACTITIONER_MINUTES:
        codes.append((PRACTITIONER_CODE, 1))
    return CcmMonth(first, staff, practitioner, complex_month, tuple(codes),
                    tuple(Uncounted(m, r) for r, m in uncounted.items()), billing, tcm)


def apcm_level(chronic_conditions: int | None, consent: Consent, month: dt.date) -> tuple[str, str] | None:
    """(code, level in words) when the patient fits advanced primary care management that month
    (consent on record on the month's last day, chronic conditions known), else None."""
    if chronic_conditions is None or not consent.covers(month_end(month)):
        return None
    return next((code, words) for least, code, words in APCM_LEVELS if chronic_conditions >= least)


# --- transitional care ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Discharge:
    patient_id: int
    discharged_on: dt.date
    disposition: str = ""  # the encounter's discharge disposition code
    disposition_label: str = ""
    encounter_id: int | None = None

    @property
    def to_community(self) -> bool:
        return self.disposition in COMMUNITY_DISPOSITIONS


@dataclasses.dataclass(frozen=True)
class Contact:
    on: dt.date
    two_way: bool  # the patient (or caregiver) was reached; a left message is not
    how: str = ""  # "phone, reached"


@dataclasses.dataclass(frozen=True)
class WindowState:
    state: str  # met / missed / open / late (met after the window) / not_eligible
    on: dt.date | None = None  # the contact or visit that met it
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class TransitionalCare:
    discharge: Discharge
    contact_due: dt.date  # the last day of the two-business-day window
    contact: WindowState
    visit_7_due: dt.date
    visit_14_due: dt.date
    visit: WindowState  # met within 7 (99496 possible) or 14 days (99495), missed or open
    period_end: dt.date  # day 30 of the period
    code: str | None  # the TCM code the visit timing allows, when the contact was made

    @property
    def eligible(self) -> bool:
        return self.discharge.to_community


def transitional_care(discharge: Discharge, contacts: Iterable[Contact], visits: Iterable[dt.date],
                      calendar: BusinessCalendar, today: dt.date, date_format=dt.date.isoformat
                      ) -> TransitionalCare:
    """The windows of one discharge: contact within 2 business days, visit within 7 or 14 days."""
    d = discharge.discharged_on
    contact_due = calendar.add(d, CONTACT_BUSINESS_DAYS)
    due_7, due_14 = d + dt.timedelta(days=VISIT_HIGH_DAYS), d + dt.timedelta(days=VISIT_MODERATE_DAYS)
    period_end = d + dt.timedelta(days=TCM_PERIOD_DAYS - 1)
    if not discharge.to_community:
        why = WindowState("not_eligible", detail=f"discharged to {discharge.disposition_label or discharge.disposition}"
                                                 "; transitional care starts when the patient goes home")
        return TransitionalCare(discharge, contact_due, why, due_7, due_14, why, period_end, None)
    after = sorted((c for c in contacts if c.on >= d), key=lambda c: c.on)
    reached = [c for c in after if c.two_way]
    attempts = [c for c in after if not c.two_way and c.on <= contact_due]
    tried = f"; {counted(len(attempts), 'attempt')} without reaching the patient" \
        if attempts else ""
    in_time = next((c for c in reached if c.on <= contact_due), None)
    if in_time is not None:
        contact = WindowState("met", in_time.on, f"{in_time.how or 'two-way contact'} on {date_format(in_time.on)}")
    elif reached:
        contact = WindowState("late", reached[0].on, f"first two-way contact {date_format(reached[0].on)}, "
                                                     f"after the window closed {date_format(contact_due)}{tried}")
    elif today > contact_due:
        contact = WindowState("missed", None, f"no two-way contact by {date_format(contact_due)}{tried}")
    else:
        contact = WindowState("open", None, f"two-way contact due by {date_format(contact_due)}{tried}")
    seen = sorted(v for v in visits if d < v <= due_14)
    if seen:
        first = seen[0]
        days = (first - d).days
        within = VISIT_HIGH_DAYS if days <= VISIT_HIGH_DAYS else VISIT_MODERATE_DAYS
        visit = WindowState("met", first, f"face-to-face visit on {date_format(first)}, day {days} "
                                          f"(within {within} days)")
    elif today > due_14:
        visit = WindowState("missed", None, f"no face-to-face visit by {date_format(due_14)}")
    else:
        visit = WindowState("open", None, f"face-to-face visit due by {date_format(due_7)} (high complexity) "
                                          f"or {date_format(due_14)}")
    code = None
    if contact.state == "met" and visit.state == "met":
        code = VISIT_HIGH_CODE if (visit.on - d).days <= VISIT_HIGH_DAYS else VISIT_MODERATE_CODE
    return TransitionalCare(discharge, contact_due, contact, due_7, due_14, visit, period_end, code)
