"""The tabs of a patient's chart: each turns the chart read model into titled record lists.

A tab factory takes ``(context, chart)`` and returns ``(widget, count)``; ``count`` (or None)
goes into the tab's title. ``CHART_TABS`` lists them in order: adding a tab (the gaps of
the patient, say) is one line there, and a tab whose module is not there yet is left out.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from domain.clock import today, utcnow
from domain.facts import ClinicalFact, system_label
from domain.referral import LABELS as REFERRAL_LABELS
from application.chart import Chart
from ui import format as fmt
from ui.record_list import Line, RecordList
from ui.wrap_label import WrapLabel


@dataclasses.dataclass(frozen=True)
class ChartTabSpec:
    title: str
    factory: str  # "module:callable" taking (context, chart) -> (widget, count or None)
    # the count in the title without building the tab: "module:callable" taking the chart (the
    # same number the factory gives), None for a tab that shows no count; then the tab is built
    # only when first shown. "" (a tab that does not say): built with the chart for its count.
    count: str | None = ""


CHART_TABS: tuple[ChartTabSpec, ...] = (
    ChartTabSpec("Summary", "ui.chart_tabs:summary_tab", None),
    ChartTabSpec("Gaps", "ui.chart_gaps_tab:chart_gaps_tab", "ui.chart_gaps_tab:open_gaps_count"),
    ChartTabSpec("Encounters", "ui.chart_tabs:encounters_tab", "ui.chart_tabs:encounters_count"),
    ChartTabSpec("Referrals", "ui.chart_referrals_tab:chart_referrals_tab", "ui.chart_tabs:referrals_count"),
    ChartTabSpec("Calls", "ui.chart_calls_tab:chart_calls_tab", "ui.chart_tabs:calls_count"),
    ChartTabSpec("Medications & reviews", "ui.chart_reviews_tab:reviews_tab", "ui.chart_tabs:reviews_count"),
    ChartTabSpec("Care plan", "ui.chart_care_plan:care_plan_tab", "ui.chart_tabs:care_plans_count"),
    ChartTabSpec("Time", "ui.chart_time:time_tab", "ui.chart_time:this_month_text"),
    ChartTabSpec("Activity", "ui.chart_tabs:activity_tab", None),
)


# -- the counts in the tabs' titles (each tab's factory gives the same) ---------------------------

def encounters_count(chart: Chart) -> int:
    return len(chart.encounters)


def referrals_count(chart: Chart) -> int:
    return len(chart.referrals)


def calls_count(chart: Chart) -> int:
    return len(chart.call_rows)


def reviews_count(chart: Chart) -> int:
    return len(chart.reviews)


def care_plans_count(chart: Chart) -> int:
    return len(chart.care_plans)


def _page(*lists: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(12, 10, 12, 12)
    layout.setSpacing(12)
    for widget in lists:
        layout.addWidget(widget, 1)
    layout.addStretch(0)  # takes what the lists, sized to their content, leave
    return page


def record_list(title: str, columns: tuple[str, ...], empty: str, lines: list[Line], name: str = "") -> RecordList:
    """A filled :class:`RecordList`, named (for tests and style) after its title unless ``name`` is given."""
    widget = RecordList(title, columns, empty)
    widget.setObjectName(name or re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_"))
    widget.set_lines(lines)
    return widget


def _code(fact: ClinicalFact) -> str:
    return f"{system_label(fact.code_system)} {fact.code}".strip()


# -- Summary -----------------------------------------------------------------------------

def condition_lines(chart: Chart) -> list[Line]:
    return [Line((f.display or f.code, fmt.fact_date(f.start_at, f.start_raw), _code(f)))
            for f in chart.active_conditions]


def observation_lines(chart: Chart) -> list[Line]:
    return [Line((o.label, o.value or "Not on record",
                  fmt.fact_date(o.fact.start_at, o.fact.start_raw) if o.fact else ""),
                 tooltip=(o.fact.display if o.fact else ""))
            for o in chart.key_observations]


def medication_lines(chart: Chart) -> list[Line]:
    return [Line((f.display or f.code, fmt.fact_date(f.start_at, f.start_raw)), tooltip=_code(f))
            for f in chart.active_medications]


def allergy_lines(chart: Chart) -> list[Line]:
    return [Line((f.display or f.code, fmt.label(f.clinical_status) or "Active",
                  fmt.fact_date(f.start_at or f.recorded_at, f.start_raw))) for f in chart.allergies]


def demographics(chart: Chart) -> list[tuple[str, str]]:
    """The patient's particulars as (label, value), in the order the summary shows them."""
    p = chart.patient
    address = ", ".join(part for part in (p.address_line, p.city, f"{p.state} {p.postal_code}".strip()) if part)
    attribution = ""
    if p.attributed_from or p.attributed_to:
        attribution = f"{fmt.date(p.attributed_from) or '…'} – {fmt.date(p.attributed_to) or 'ongoing'}"
    payer = chart.payer + (f" · member {p.member_id}" if p.member_id else "")
    return [
        ("Phone", fmt.phone(p.phone) or "—"),
        ("Other phone", fmt.phone(p.phone_alt) or "—"),
        ("Address", address or "—"),
        ("Language", p.language or "—"),
        ("Practice", "Not known yet (waiting to be assigned one)" if chart.practice_holding
         else f"{chart.practice_name} ({chart.practice_code})"),
        ("PCP", chart.pcp or "None attributed"),
        ("Payer", payer or "None on record"),
        ("Attribution", attribution or "—"),
        ("Risk tier", risk_text(chart)),
        ("Consent (CCM)", consent_text(chart)),
    ]


def risk_text(chart: Chart) -> str:
    """The tier and why, naming the facts; a tier set by hand says so and keeps the computed one."""
    p = chart.patient
    computed = chart.risk.explanation if chart.risk is not None else (
        fmt.risk(p.risk_tier) if p.risk_tier else "No risk tier computed yet")
    if p.risk_override:
        return f"{fmt.risk(p.risk_override)} — set by hand: {p.risk_override_reason} (computed: {computed})"
    return computed


def consent_text(chart: Chart) -> str:
    p = chart.patient
    if p.consent_date is None:
        return "Not recorded"
    text = f"{fmt.date(p.consent_date)}" + (f" ({p.consent_method})" if p.consent_method else "") \
        + (f" by {p.consent_by}" if p.consent_by else "")
    if p.consent_withdrawn_on:
        text += f"; withdrawn {fmt.date(p.consent_withdrawn_on)} (counts to the end of that month)"
    return text


def summary_tab(context, chart: Chart):
    form_box = QWidget()
    form = QFormLayout(form_box)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setContentsMargins(0, 0, 0, 0)
    form.setHorizontalSpacing(14)
    for label, value in demographics(chart):
        text = WrapLabel(value)  # a long payer or risk reason wraps, and the row is as tall as it
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        caption = QLabel(label)
        caption.setProperty("role", "caption")
        form.addRow(caption, text)
    title = QLabel("Patient")
    title.setProperty("role", "sectionTitle")
    left = QVBoxLayout()
    left.addWidget(title)
    left.addWidget(form_box)
    left.addSpacing(8)
    left.addWidget(record_list("Latest observations", ("Observation", "Value", "Date"),
                               "No observations on record", observation_lines(chart)), 1)
    left.addStretch(0)
    right = QVBoxLayout()
    for widget in (
        record_list("Active conditions", ("Condition", "Since", "Code"), "No active conditions on record",
                    condition_lines(chart)),
        record_list("Active medications", ("Medication", "Since"),
                    "No active medications on record", medication_lines(chart)),
        record_list("Allergies", ("Allergy", "Status", "Recorded"), "No allergies on record",
                    allergy_lines(chart)),
    ):
        right.addWidget(widget, 1)
    right.addStretch(0)
    page = QWidget()
    columns = QHBoxLayout(page)
    columns.setContentsMargins(12, 10, 12, 12)
    columns.setSpacing(20)
    columns.addLayout(left, 2)
    columns.addLayout(right, 3)
    return page, None


# -- Encounters --------------------------------------------------------------------------

def encounter_lines(chart: Chart) -> list[Line]:
    lines = []
    for f in chart.encounters:
        kind = next((c.display or c.code for c in f.codings if c.role == "type"), "") or f.display or f.code
        reason = ", ".join(c.display or c.code for c in f.codings if c.role == "reason")
        discharge = next((c.display or c.code for c in f.codings if c.role == "discharge"), "") or f.discharge_code
        lines.append(Line((fmt.fact_date(f.start_at, f.start_raw), fmt.fact_date(f.end_at, f.end_raw), kind,
                           fmt.ENCOUNTER_CLASSES.get(f.encounter_class, f.encounter_class), reason, discharge,
                           _code(f))))
    return lines


def encounters_tab(context, chart: Chart):
    lines = encounter_lines(chart)
    return _page(record_list("Encounters", ("Date", "Ended", "Type", "Class", "Reason", "Discharge", "Code"),
                             "No encounters on record", lines)), encounters_count(chart)


# -- Referrals ---------------------------------------------------------------------------

def referral_lines(chart: Chart, now: dt.datetime | None = None) -> list[Line]:
    """A line per referral (newest first) with its history under it; overdue ones in bold, by
    the due time the pod's expected days give (``chart.referral_due``)."""
    now = now or utcnow()
    lines = []
    for r in chart.referrals:
        due = chart.referral_due.get(r.id, r.due_at())
        overdue = due is not None and now > due
        events = [Line((fmt.local_datetime(e.at), "", "", "",
                        f"{REFERRAL_LABELS.get(e.from_state, 'New')} → {REFERRAL_LABELS.get(e.to_state, e.to_state)}",
                        f"by {e.by}", e.note)) for e in reversed(r.events)]
        if due is None:
            due_text = ""
        elif overdue:
            due_text = f"Overdue {(now - due).days} d"
        else:
            due_text = f"Due {fmt.date(due)}"
        lines.append(Line(
            (fmt.date(r.ordered_at), r.specialty + (f" — {r.specialist}" if r.specialist else ""), r.reason,
             fmt.label(r.urgency), REFERRAL_LABELS.get(r.state, r.state), fmt.date(r.state_since), due_text),
            children=events, alert=overdue,
            tooltip=f"{REFERRAL_LABELS.get(r.state, r.state)} for {r.days_in_state(now)} days"
                    + (f"; due to move on by {fmt.local_datetime(due)}" if due else "")))
    return lines




# -- Activity ---------------------------------------------------------------------------------

def outreach_lines(chart: Chart) -> list[Line]:
    return [Line((fmt.local_datetime(o.at), fmt.label(o.channel), fmt.label(o.outcome), o.by, o.note))
            for o in chart.outreach]


def outreach_panel(context, chart: Chart) -> QWidget:
    """The outreach list with its "Log outreach…" button (Ctrl+L anywhere in the tab)."""
    from ui.chart_outreach import OutreachPanel

    return OutreachPanel(context, chart, record_list("Outreach", ("When", "Channel", "Outcome", "By", "Note"),
                                                     "No outreach on record", outreach_lines(chart)))


def audit_lines(chart: Chart) -> list[Line]:
    return [Line((fmt.local_datetime(a.at), a.actor, fmt.label(a.action), a.record_type, a.detail))
            for a in chart.audit]


def activity_tab(context, chart: Chart):
    return _page(
        outreach_panel(context, chart),
        record_list("Audit trail", ("When", "Who", "Action", "Record", "Detail"), "No audit events",
                    audit_lines(chart)),
    ), None
