"""The chart's Time tab: the minutes logged (by the timer or by hand), the months of chronic care
management they make, consent, and the transitional-care windows of recent discharges. The page
scrolls, so each list shows all its rows on a small screen too."""
from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from application import time_tracking as uc
from application.chart import Chart
from domain import care_management as cm
from domain.clock import today
from domain.patient import CONSENT_METHODS
from domain.time_entry import ACTIVITY_LABELS, PERFORMER_LABELS, PROGRAMME_LABELS
from ui import format as fmt
from ui import shortcuts
from ui.chart_tabs import record_list
from ui.record_form import Field, FormDialog, action_button, open_form
from ui.record_list import Line

STATE_WORDS = {"met": "Met", "late": "Late", "missed": "Missed", "open": "Open", "not_eligible": "Not eligible"}


def _local_time(instant: dt.datetime | None) -> str:
    return "" if instant is None else instant.replace(tzinfo=dt.timezone.utc).astimezone().strftime("%H:%M")


def time_lines(chart: Chart) -> list[Line]:
    lines = []
    for e in chart.time_entries:
        recorded = ""
        if e.recorded_at is not None:
            entered_on = e.recorded_at.replace(tzinfo=dt.timezone.utc).astimezone().date()
            if entered_on != e.entry_date or (e.recorded_by and e.recorded_by != e.staff):
                recorded = f"entered {fmt.date(entered_on)} by {e.recorded_by or e.staff}"
        lines.append(Line((fmt.date(e.entry_date), _local_time(e.started_at), str(e.minutes), e.staff,
                           PROGRAMME_LABELS.get(e.programme, e.programme),
                           ACTIVITY_LABELS.get(e.activity, fmt.label(e.activity)), e.note, recorded),
                          key=e.id, tooltip=PERFORMER_LABELS.get(e.performer, "")))
    return lines


def month_line(month: cm.CcmMonth) -> tuple[str, ...]:
    nxt = month.to_next
    uncounted = "; ".join(f"{u.minutes} min {u.reason}" for u in month.uncounted)
    if month.tcm_minutes:
        uncounted = "; ".join(x for x in (uncounted, f"{month.tcm_minutes} min for transitional care (counted there)")
                              if x)
    return (month.month.strftime("%B %Y"), str(month.staff_minutes), str(month.practitioner_minutes or ""),
            month.threshold + (" (complex)" if month.complex else ""),
            f"{nxt[1]} min to {nxt[0]}" if nxt else "All add-ons reached", uncounted)


def ccm_lines(chart: Chart) -> list[Line]:
    return [Line(month_line(m), alert=bool(m.uncounted)) for m in chart.care_months]


def window_cells(care: cm.TransitionalCare) -> tuple[str, str]:
    """The two windows of a discharge in a few words each (the whole sentence is the tooltip)."""
    d, contact, visit = care.discharge.discharged_on, care.contact, care.visit
    if not care.eligible:
        return "Not eligible: not discharged home", "—"
    contact_words = {
        "met": lambda: f"Met {fmt.date(contact.on)}",
        "late": lambda: f"Late: {fmt.date(contact.on)} (due {fmt.date(care.contact_due)})",
        "missed": lambda: f"Missed (due {fmt.date(care.contact_due)})",
        "open": lambda: f"Open: due {fmt.date(care.contact_due)}",
    }[contact.state]()
    visit_words = {
        "met": lambda: f"Met {fmt.date(visit.on)} (day {(visit.on - d).days})",
        "missed": lambda: f"Missed (none by {fmt.date(care.visit_14_due)})",
        "open": lambda: f"Open: by {fmt.date(care.visit_7_due)} or {fmt.date(care.visit_14_due)}",
    }[visit.state]()
    return contact_words, visit_words


def transition_lines(chart: Chart) -> list[Line]:
    lines = []
    for care in chart.transitions:
        d = care.discharge
        contact, visit = window_cells(care)
        lines.append(Line((fmt.date(d.discharged_on), d.disposition_label or fmt.label(d.disposition) or "Home",
                           fmt.date(care.contact_due) if care.eligible else "", contact, visit,
                           fmt.date(care.period_end) if care.eligible else "", care.code or ""),
                          alert=care.contact.state == "missed" or care.visit.state == "missed",
                          tooltip=f"Contact: {care.contact.detail}\nVisit: {care.visit.detail}"))
    return lines


class TimePanel(QWidget):
    """Buttons to log time and record consent, and the lists of time, months and transitions."""

    def __init__(self, context, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timePanel")
        self.context, self.chart = context, chart
        self.dialog: FormDialog | None = None
        p = chart.patient
        bar = QHBoxLayout()
        self.log_button = action_button("Log time…", self.log_time, "logTime", shortcuts.LOG_TIME.keys)
        error = action_button("Entered in error…", self.entry_in_error, "timeInError")
        consent = action_button("Record consent…", self.record_consent, "recordConsent")
        consent.setEnabled(p.consent_date is None or p.consent_withdrawn_on is not None)
        withdraw = action_button("Withdraw consent…", self.withdraw_consent, "withdrawConsent")
        withdraw.setEnabled(p.consent_date is not None and p.consent_withdrawn_on is None)
        for button in (self.log_button, error, consent, withdraw):
            bar.addWidget(button)
        bar.addStretch(1)
        self.consent = QLabel(self._consent_words(), objectName="consentLine")
        self.consent.setProperty("role", "hint")
        self.consent.setWordWrap(True)
        self.entries = record_list("Time logged", ("Date", "Start", "Minutes", "Staff", "Programme", "Activity",
                                                   "Note", "Entered"),
                                   "No time logged", time_lines(chart), name="time_logged")
        self.months = record_list(
            f"Chronic care management by month (from {cm.BASIC_MINUTES} min with consent: {cm.BASIC_CODE}; "
            f"each further {cm.BASIC_STEP}: {cm.BASIC_ADD_ON}; practitioner {cm.PRACTITIONER_MINUTES}: "
            f"{cm.PRACTITIONER_CODE})",
            ("Month", "Staff min", "Practitioner min", "Reached", "Next", "Not counted here"),
            "No time logged", ccm_lines(chart), name="ccm_months")
        self.transitions = record_list(
            "Transitional care after discharge (two-way contact within 2 business days, visit within 7 or 14 days)",
            ("Discharged", "To", "Contact due", "Two-way contact", "Face-to-face visit", "Period ends", "Code"),
            "No hospital discharge in the last year", transition_lines(chart), name="transitions")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(bar)
        layout.addWidget(self.consent)
        for widget in (self.entries, self.months, self.transitions):
            # all rows shown (up to a screenful): the page scrolls, not each list
            widget.setMinimumHeight(min(widget.maximumHeight(), 440))
            layout.addWidget(widget)
        layout.addStretch(1)

    def _consent_words(self) -> str:
        p = self.chart.patient
        if p.consent_date is None:
            return "No care management consent on record: minutes are logged but do not count."
        words = f"Consent {fmt.date(p.consent_date)}" + (f" ({p.consent_method})" if p.consent_method else "") \
            + (f", recorded by {p.consent_by}" if p.consent_by else "")
        if p.consent_withdrawn_on:
            words += (f"; withdrawn {fmt.date(p.consent_withdrawn_on)}: minutes count to "
                      f"{fmt.date(cm.month_end(p.consent_withdrawn_on))}")
        return words

    def _form(self, title, fields, save, **more) -> FormDialog:
        return open_form(self, title, fields, save, **more)

    def log_time(self) -> FormDialog:
        pod, pid = self.context.pod, self.chart.patient.id
        me = self.context.user
        now = dt.datetime.now()
        start = (now - dt.timedelta(minutes=20)).time().replace(second=0, microsecond=0)
        staff = tuple((n, n) for n in (self.chart.staff or [me]))
        return self._form("Log time", [
            Field("entry_date", "Date", "date", today()),
            Field("start", "Started at", "time", start),
            Field("minutes", "Minutes", "minutes", 20),
            Field("staff", "Done by", "choice", me, staff, editable=True),
            Field("activity", "Activity", "choice", "care_coordination",
                  tuple((label, key) for key, label in ACTIVITY_LABELS.items())),
            Field("programme", "Programme", "choice", "ccm",
                  tuple((label, key) for key, label in PROGRAMME_LABELS.items())),
            Field("performer", "Who did it", "choice", "clinical_staff",
                  tuple((label, key) for key, label in PERFORMER_LABELS.items())),
            Field("note", "Note", hint="what was done"),
        ], lambda v: uc.log_time(pod, pid, **v),
            intro="An earlier day may be logged (the entry keeps who entered it, and when); a minute counts "
                  "for one programme only.")

    def entry_in_error(self) -> None:
        entry_id = self.entries.current_key()
        if entry_id is None:
            self.consent.setText("Choose a time entry first.")
            return
        pod = self.context.pod
        self._form("Mark entered in error", [Field("reason", "Reason", hint="e.g. logged twice")],
                   lambda v: uc.mark_time_entry_in_error(pod, entry_id, v["reason"]),
                   intro="The entry's minutes stop counting; the entry and its history stay.",
                   ok_text="Mark entered in error")

    def record_consent(self) -> None:
        pod, pid = self.context.pod, self.chart.patient.id
        self._form("Record care management consent", [
            Field("given_on", "Given on", "date", today()),
            Field("method", "How", "choice", "verbal", tuple((fmt.label(m), m) for m in CONSENT_METHODS)),
        ], lambda v: uc.record_consent(pod, pid, **v),
            intro=f"Recorded by {self.context.user}. Minutes count from the day consent was given.")

    def withdraw_consent(self) -> None:
        pod, pid = self.context.pod, self.chart.patient.id
        self._form("Withdraw care management consent", [
            Field("on", "Withdrawn on", "date", today()),
            Field("reason", "Reason", hint="optional"),
        ], lambda v: uc.withdraw_consent(pod, pid, **v),
            intro="Minutes still count to the end of the month of the withdrawal, none after.",
            ok_text="Withdraw consent")


def time_tab(context, chart: Chart):
    """The Time tab: the panel in a scroll area; its count is the minutes logged this month."""
    scroll = QScrollArea(objectName="timeTab")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(TimePanel(context, chart))
    return scroll, this_month_text(chart)


def this_month_text(chart: Chart) -> str | None:
    """The Time tab's count: the minutes logged this month ("25 min"), None when none."""
    this_month = chart.care_months[0].logged_minutes if chart.care_months and \
        chart.care_months[0].month == cm.month_start(today()) else 0
    return f"{this_month} min" if this_month else None
