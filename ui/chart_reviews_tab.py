"""The chart's Medications & reviews tab: the active list, the patient's medication reviews, and
where a pharmacist starts one (comprehensive, targeted, reconciliation after discharge), opens
one (Enter on it) or prints the patient's personal medication list."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from application.chart import Chart
from domain.clock import today
from domain.medication_review import (
    CATEGORY_LABELS, RECONCILIATION_LABELS, RESPONSE_LABELS, REVIEW_TYPE_LABELS, STATUS_LABELS,
)
from domain.text import counted
from ui import format as fmt
from ui.chart_tabs import _code, record_list
from ui.record_list import Line
from ui.review_printing import print_medication_list
from ui.review_screen import open_review, start_review

NEW_REVIEWS = (("comprehensive", "New co&mprehensive review"), ("targeted", "New &targeted review"),
               ("reconciliation", "New &reconciliation after discharge"))


def active_medication_lines(chart: Chart) -> list[Line]:
    return [Line((f.display or f.code, fmt.fact_date(f.start_at, f.start_raw),
                  "Ordered" if f.kind == "medication_request" else "Reported by the patient", _code(f)))
            for f in chart.active_medications]


def medication_history_lines(chart: Chart) -> list[Line]:
    return [Line((f.display or f.code, fmt.fact_date(f.start_at, f.start_raw), fmt.fact_date(f.end_at, f.end_raw),
                  fmt.label(f.status) or "Active", fmt.label(f.kind.replace("medication_", "")), _code(f)))
            for f in chart.of_kind("medication_request", "medication_statement")]


def review_lines(chart: Chart) -> list[Line]:
    lines = []
    on = today()
    for r in chart.reviews:
        children = [Line(("", CATEGORY_LABELS.get(p.category, p.category),
                          p.description + (f" ({p.about})" if p.about else ""), p.recommendation,
                          RESPONSE_LABELS.get(p.response, p.response)
                          + (f" {fmt.date(p.responded_at)}" if p.responded_at else "")))
                    for p in r.problems]
        children += [Line(("", "Medication reviewed", f"{m.name} {m.dose}".strip(),
                           RECONCILIATION_LABELS.get(m.action, m.action), m.patient_words or m.note))
                     for m in r.medications]
        open_count = len(r.open_problems) if r.status == "finished" else 0
        problems = counted(len(r.problems), "problem") + (
            f", {open_count} awaiting the prescriber" if open_count else "")
        state = STATUS_LABELS.get(r.status, r.status)
        summary = r.summary_status(on)
        after = "; ".join(x for x in (f"Follow-up {fmt.date(r.follow_up_date)}" if r.follow_up_date else "",
                                      summary.text) if x)
        lines.append(Line((fmt.date(r.review_date), REVIEW_TYPE_LABELS.get(r.review_type, r.review_type),
                           f"{state} · by {r.pharmacist} · {problems}", r.notes, after),
                          children=children, alert=r.status == "draft" or summary.state == "late"))
    return lines


class ReviewsTab(QWidget):
    def __init__(self, context, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartReviewsTab")
        self.context, self.chart = context, chart
        self.draft = next((r for r in chart.reviews if r.status == "draft"), None)
        buttons = QHBoxLayout()
        self.new_buttons = {}
        for kind, caption in NEW_REVIEWS:
            button = QPushButton(caption, objectName=f"new_{kind}_review")
            button.clicked.connect(lambda _checked=False, k=kind: self.start(k))
            button.setEnabled(self.draft is None)
            if self.draft is not None:
                button.setToolTip("This patient has an unfinished review: continue it first")
            self.new_buttons[kind] = button
            buttons.addWidget(button)
        self.continue_button = QPushButton("C&ontinue the unfinished review", objectName="continueReview")
        self.continue_button.clicked.connect(lambda: self.open(self.draft.id))
        buttons.addWidget(self.continue_button)
        buttons.addStretch(1)
        self.print_button = QPushButton("Print medication &list…", objectName="printMedicationList")
        self.print_button.clicked.connect(self.print_list)
        buttons.addWidget(self.print_button)
        self.message = QLabel(objectName="chartReviewsMessage")
        self.message.setProperty("role", "hint")
        self.message.setOpenExternalLinks(True)

        self.reviews = record_list("Medication reviews", ("Date", "Review / item", "Details",
                                                          "Recommendation / action", "Response / follow-up"),
                                   "No medication reviews on record", review_lines(chart))
        self.reviews.tree.itemActivated.connect(self._activated)
        self.reviews.tree.setToolTip("Enter or double-click a review to open it")
        active = record_list("Active medications", ("Medication", "Since", "Source", "Code"),
                             "No active medications on record", active_medication_lines(chart))
        history = record_list("Medication history", ("Medication", "Started", "Ended", "Status", "Source", "Code"),
                              "No medications on record", medication_history_lines(chart), name="medication_list")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(10)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        for widget in (self.reviews, active, history):
            layout.addWidget(widget, 1)
        layout.addStretch(0)
        self.continue_button.setVisible(self.draft is not None)  # in its layout: never a window of its own

    def start(self, review_type: str) -> None:
        return start_review(self.context, self.chart.patient.id, review_type, self.window())

    def open(self, review_id: int):
        return open_review(self.context, review_id, self.window())

    def _activated(self, item, _column) -> None:
        top = item if item.parent() is None else item.parent()
        index = self.reviews.tree.indexOfTopLevelItem(top)
        if 0 <= index < len(self.chart.reviews):
            self.open(self.chart.reviews[index].id)

    def print_list(self) -> None:
        p = self.chart.patient
        print_medication_list(self.context, self.window(), p.id, p.family, p.given, self.message.setText)


def reviews_tab(context, chart: Chart):
    tab = ReviewsTab(context, chart)
    tab.reviews.tree.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return tab, len(chart.reviews)
