"""The chart's Calls tab: the patient's after-hours calls on their practice's clock, what was
advised and who was paged under each, and the call record printout for the practice's chart."""
from __future__ import annotations

import os

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QMessageBox, QPushButton, QVBoxLayout, QWidget

from application import call_printouts
from application.calls import practice_time
from application.chart import Chart
from domain.calls import DISPOSITION_LABELS, PAGE_OUTCOME_LABELS, RELATION_LABELS, practice_action
from ui import shortcuts
from ui.record_list import Line, RecordList

COLUMNS = ("Received", "Caller", "Reason", "Disposition", "Call-back", "On-call paged", "The practice must",
           "Acknowledged by practice")


def call_lines(chart: Chart) -> list[Line]:
    lines = []
    for c in chart.call_rows:
        relation = "" if c.caller_relation in ("self", "") else f" ({RELATION_LABELS.get(c.caller_relation, '').lower()})"
        if c.called_back_at is None:
            callback = "waiting"
        else:
            minutes = int((c.called_back_at - c.received_at).total_seconds() // 60)
            callback = "live" if minutes == 0 else f"{minutes} min"
        acknowledged = (f"{c.acknowledged_by}, {practice_time(c.acknowledged_at, c.time_zone)}"
                        if c.acknowledged_at else ("" if c.waiting else "Not yet"))
        children = [Line(("", "Symptoms", c.symptoms))] if c.symptoms else []
        children += [Line(("", "Advice", c.advice + (" (repeated back)" if c.advice_repeated_back else "")))] \
            if c.advice else []
        children += [Line(("", "Page", f"{practice_time(p.paged_at, c.time_zone, with_date=False)} {p.clinician}: "
                           f"{PAGE_OUTCOME_LABELS.get(p.outcome, p.outcome)}" + (f" — {p.note}" if p.note else "")))
                     for p in c.pages]
        lines.append(Line(
            (practice_time(c.received_at, c.time_zone), c.caller_name + relation, c.reason,
             DISPOSITION_LABELS.get(c.disposition, c.disposition) if c.disposition else "Waiting for call-back",
             callback, c.escalated_to, practice_action(c.disposition, c.follow_up_note, c.follow_up_needed)
             if c.follow_up_needed or c.disposition not in ("home_care", "") else "", acknowledged),
            children=children, alert=c.disposition in ("call_911", "ed_now"),
            tooltip=f"Taken by {c.taken_by} · protocol {c.protocol or 'none'}"))
    return lines


class CallsTab(QWidget):
    def __init__(self, context, chart: Chart):
        super().__init__()
        self.setObjectName("chartCallsTab")
        self.context, self.chart = context, chart
        self.calls = RecordList("After-hours calls", COLUMNS, "No after-hours calls on record")
        self.calls.setObjectName("after_hours_calls")
        self.calls.set_lines(call_lines(chart))
        self.print_button = QPushButton("Print call record…", objectName="chartPrintCall")
        self.print_button.setToolTip("The selected call, or every call when none is selected: one call per page "
                                     f"({shortcuts.display_keys(shortcuts.PRINT_CALLS.keys)})")
        self.print_button.setEnabled(bool(chart.call_rows))
        self.print_button.clicked.connect(self.print_records)
        shortcuts.bind(shortcuts.PRINT_CALLS, self, self.print_records)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.addWidget(self.calls, 1)
        layout.addLayout(row)
        layout.addStretch(0)

    def selected_call_ids(self) -> list[int]:
        item = self.calls.tree.currentItem()
        if item is None:
            return [c.id for c in self.chart.call_rows]
        while item.parent() is not None:
            item = item.parent()
        return [self.chart.call_rows[self.calls.tree.indexOfTopLevelItem(item)].id]

    def print_records(self) -> None:
        ids = self.selected_call_ids()
        if not ids:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or os.getcwd()
        name = f"call-record-{self.chart.patient.mrn}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save the call record as PDF", os.path.join(folder, name),
                                              "PDF files (*.pdf)")
        if path:
            self.print_to(ids, path)

    def print_to(self, call_ids: list[int], path: str):
        return self.context.tasks.write(lambda job: call_printouts.print_call_records(self.context.pod, call_ids, path),
                                        label="Writing the call record…", parent=self,
                                        on_done=lambda printed: QMessageBox.information(
                                            self, "Printed", f"Written to {printed.path}."))


def chart_calls_tab(context, chart: Chart):
    tab = CallsTab(context, chart)
    tab.calls.tree.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return tab, len(chart.call_rows)
