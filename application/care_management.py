"""Chronic and transitional care management, read: a practice's month (patients at each CCM
threshold, APCM fits, transitional-care windows) and one patient's months and discharges for the
chart. The rules are :mod:`domain.care_management`; this module gathers their facts."""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from domain import care_management as cm
from domain.business_days import BusinessCalendar
from domain.clock import today
from domain.errors import NotFound
from storage.queries import care_management as q

__all__ = ["MonthView", "CcmRow", "TcmRow", "practice_month", "patient_months", "patient_transitions",
           "practices", "local_date"]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
CHART_TRANSITION_DAYS = 400  # the chart lists the discharges of about the last year


def practices(pod) -> list[tuple[int, str, str]]:
    """(id, code, name) of the pod's active practices."""
    return q.practices(pod.engine)


def local_date(instant: dt.datetime | None, raw: str = "", zone: ZoneInfo | None = None) -> dt.date | None:
    """The calendar day of a fact as its source wrote it, else its UTC instant in the practice's zone."""
    if raw and _ISO_DATE.match(raw):
        try:
            return dt.date.fromisoformat(raw[:10])
        except ValueError:
            pass
    if instant is None:
        return None
    return instant.replace(tzinfo=dt.timezone.utc).astimezone(zone or dt.timezone.utc).date()


@dataclasses.dataclass(frozen=True)
class CcmRow:
    patient_id: int
    name: str
    mrn: str
    consent: cm.Consent
    month: cm.CcmMonth
    apcm: tuple[str, str] | None  # (code, level) when the patient fits advanced primary care management
    chronic_conditions: int | None

    @property
    def notes(self) -> list[str]:
        notes = [f"{u.minutes} min not counted: {u.reason}" for u in self.month.uncounted]
        if self.apcm and self.month.codes:
            notes.append(f"bill {self.apcm[0]} (APCM) or the CCM codes, not both")
        return notes


@dataclasses.dataclass(frozen=True)
class TcmRow:
    patient_id: int
    name: str
    mrn: str
    care: cm.TransitionalCare


@dataclasses.dataclass(frozen=True)
class MonthView:
    practice_id: int
    practice: str
    month: dt.date
    ccm: list[CcmRow]
    tcm: list[TcmRow]

    @property
    def thresholds(self) -> list[tuple[str, int]]:
        """(threshold reached, patients), the usual order: below, 99490, add-ons, complex, 99491."""
        counts = collections.Counter(r.month.threshold for r in self.ccm)
        return sorted(counts.items(), key=lambda item: (item[0] != f"Below {cm.BASIC_MINUTES} min", item[0]))

    @property
    def apcm_fits(self) -> int:
        return sum(1 for r in self.ccm if r.apcm)

    def windows(self, which: str) -> dict[str, int]:
        """Transitional-care windows by state: ``which`` is "contact" or "visit"."""
        return dict(collections.Counter(getattr(r.care, which).state for r in self.tcm))


def practice_month(pod, practice_id: int, month: dt.date, *, on: dt.date | None = None,
                   date_format=dt.date.isoformat) -> MonthView:
    """One practice's month of care management: a row per patient with consent or minutes, a row
    per discharge in the month with its windows."""
    calendar_row = q.practice_calendar(pod.engine, practice_id)
    if calendar_row is None:
        raise NotFound(f"There is no practice with id {practice_id}.")
    first, last = cm.month_start(month), cm.month_end(month)
    names = q.practice_names(pod.engine)
    entries = q.month_time(pod.engine, practice_id, first, last)
    by_patient: dict[int, list] = collections.defaultdict(list)
    for entry in entries:
        by_patient[entry.patient_id].append(entry)
    rows = []
    for patient in q.month_patients(pod.engine, practice_id, first, last, set(by_patient)):
        consent = cm.Consent(patient.consent_date, patient.consent_withdrawn_on)
        result = cm.ccm_month(by_patient.get(patient.id, []), first, consent, date_format, names)
        rows.append(CcmRow(patient.id, patient.name, patient.mrn, consent, result,
                           cm.apcm_level(patient.chronic_conditions, consent, first), patient.chronic_conditions))
    rows.sort(key=lambda r: (-r.month.staff_minutes - r.month.practitioner_minutes, r.name))
    zone = ZoneInfo(calendar_row.time_zone)
    start = dt.datetime.combine(first, dt.time()) - dt.timedelta(days=1)
    end = dt.datetime.combine(last, dt.time()) + dt.timedelta(days=2)
    found = q.discharges(pod.engine, since=start, until=end, practice_id=practice_id)
    found = [d for d in found if first <= local_date(d.end_at, d.end_raw, zone) <= last]
    who = {r.patient_id: (r.name, r.mrn) for r in rows}
    missing = {d.patient_id for d in found} - set(who)
    if missing:
        who.update((p.id, (p.name, p.mrn)) for p in q.month_patients(pod.engine, practice_id, first, last, missing,
                                                                      consented=False))
    tcm = [TcmRow(d.patient_id, *who.get(d.patient_id, (f"Patient {d.patient_id}", "")), care)
           for d, care in _transitions(pod, found, calendar_row, on or today(), date_format)]
    tcm.sort(key=lambda r: (r.care.discharge.discharged_on, r.name))
    return MonthView(practice_id, calendar_row.name, first, rows, tcm)


def _transitions(pod, found: list[q.DischargeRow], practice: q.PracticeCalendar, on: dt.date, date_format):
    """(discharge row, its transitional care) for each discharge found."""
    if not found:
        return []
    zone = ZoneInfo(practice.time_zone)
    calendar = BusinessCalendar(practice.closed_days)
    since = min(d.end_at for d in found) - dt.timedelta(days=1)
    until = max(d.end_at for d in found) + dt.timedelta(days=q.WINDOW_DAYS + 1)
    contacts, visits = q.contacts_and_visits(pod.engine, sorted({d.patient_id for d in found}), since, until)
    contacts_of, visits_of = collections.defaultdict(list), collections.defaultdict(list)
    for c in contacts:
        contacts_of[c.patient_id].append(cm.Contact(local_date(c.at, "", zone), c.outcome == "reached",
                                                    f"{c.channel.replace('_', ' ')}, {c.outcome.replace('_', ' ')}"))
    for v in visits:
        visits_of[v.patient_id].append(local_date(v.start_at, v.start_raw, zone))
    result = []
    for d in found:
        discharge = cm.Discharge(d.patient_id, local_date(d.end_at, d.end_raw, zone), d.disposition,
                                 d.disposition_label, d.encounter_id)
        result.append((d, cm.transitional_care(discharge, contacts_of[d.patient_id], visits_of[d.patient_id],
                                               calendar, on, date_format)))
    return result


def patient_months(entries, consent: cm.Consent, *, on: dt.date | None = None, months: int = 12,
                   practice_names: dict[int, str] | None = None, date_format=dt.date.isoformat) -> list[cm.CcmMonth]:
    """A patient's CCM months, newest first, from this month back to the oldest logged (at most
    ``months``)."""
    dated = [e.entry_date for e in entries if not e.entered_in_error]
    if not dated:
        return []
    oldest = cm.month_start(min(dated))
    month = cm.month_start(on or today())
    found = []
    while month >= oldest and len(found) < months:
        found.append(cm.ccm_month(entries, month, consent, date_format, practice_names))
        month = cm.month_start(month - dt.timedelta(days=1))
    return found


def patient_transitions(pod, patient_id: int, practice_id: int, *, on: dt.date | None = None,
                        date_format=dt.date.isoformat) -> list[cm.TransitionalCare]:
    """The patient's discharges of about the last year with their windows, newest first."""
    practice = q.practice_calendar(pod.engine, practice_id)
    on = on or today()
    since = dt.datetime.combine(on - dt.timedelta(days=CHART_TRANSITION_DAYS), dt.time())
    found = q.discharges(pod.engine, since=since, until=dt.datetime.combine(on + dt.timedelta(days=2), dt.time()),
                         patient_id=patient_id)
    windows = [care for _row, care in _transitions(pod, found, practice, on, date_format)]
    return sorted(windows, key=lambda c: c.discharge.discharged_on, reverse=True)
