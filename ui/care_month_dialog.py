"""The care management month of a practice (View ▸ Care management month, Ctrl+Shift+M): patients
at each chronic care management threshold, APCM fits, and each discharge's transitional-care
windows met, missed or still open. Enter (or a double-click) on a row opens the patient's chart."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from application import care_management as cm_app
from domain import care_management as cm
from domain.clock import today
from domain.text import counted, us_date
from ui import format as fmt
from ui.chart_time import STATE_WORDS, window_cells

PATIENT_ROLE = Qt.ItemDataRole.UserRole + 3
CCM_COLUMNS = ("Patient", "MRN", "Consent", "Staff min", "Practitioner min", "Reached", "Next threshold",
               "APCM", "Notes")
TCM_COLUMNS = ("Patient", "MRN", "Discharged", "To", "Contact due", "Two-way contact", "Face-to-face visit",
               "Period ends", "Code")


def ccm_cells(row: cm_app.CcmRow) -> tuple[str, ...]:
    m, c = row.month, row.consent
    consent = "None" if c.given_on is None else fmt.date(c.given_on) + (
        f", withdrawn {fmt.date(c.withdrawn_on)}" if c.withdrawn_on else "")
    nxt = m.to_next
    return (row.name, row.mrn, consent, str(m.staff_minutes), str(m.practitioner_minutes or ""),
            m.threshold + (" (complex)" if m.complex else ""),
            f"{nxt[1]} min to {nxt[0]}" if nxt else "All add-ons reached",
            f"{row.apcm[0]} ({row.apcm[1].partition(':')[0]})" if row.apcm else "",
            "; ".join(row.notes))


def tcm_cells(row: cm_app.TcmRow) -> tuple[str, ...]:
    care, d = row.care, row.care.discharge
    contact, visit = window_cells(care)
    return (row.name, row.mrn, fmt.date(d.discharged_on), d.disposition_label or fmt.label(d.disposition) or "Home",
            fmt.date(care.contact_due) if care.eligible else "", contact, visit,
            fmt.date(care.period_end) if care.eligible else "", care.code or "")


def summary_text(view: cm_app.MonthView) -> str:
    ccm = " · ".join(f"{label}: {count}" for label, count in view.thresholds) or "nobody with consent or minutes"
    contact, visit = view.windows("contact"), view.windows("visit")

    def states(counts: dict[str, int]) -> str:
        return ", ".join(f"{STATE_WORDS[s].lower()} {counts[s]}" for s in ("met", "late", "missed", "open",
                                                                           "not_eligible") if counts.get(s))
    tcm = (f"{counted(len(view.tcm), 'discharge')} — contact {states(contact)}; "
           f"visit {states(visit)}") if view.tcm else "no discharges this month"
    return (f"<b>Chronic care management</b> ({len(view.ccm)} patients with consent or minutes): {ccm}. "
            f"Fit advanced primary care management: {view.apcm_fits}.<br>"
            f"<b>Transitional care</b>: {tcm}.")


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns), objectName=name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setSortingEnabled(True)
    table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return table


def _fill(table: QTableWidget, rows: list[tuple[int, tuple[str, ...], bool, str]], stretch: int) -> None:
    table.setSortingEnabled(False)
    table.setRowCount(len(rows))
    numeric = {i for i, c in enumerate(table.horizontalHeaderItem(i).text() for i in range(table.columnCount()))
               if c.endswith(" min")}
    for r, (patient_id, cells, alert, why) in enumerate(rows):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(PATIENT_ROLE, patient_id)
            item.setToolTip("\n".join(x for x in (text, why) if x))
            if c in numeric:
                item.setData(Qt.ItemDataRole.DisplayRole, int(text) if text else 0)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if alert:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the rows' own order until a header is clicked
    for c in range(table.columnCount()):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(c, min(table.columnWidth(c) + 12, 300))
    table.setProperty("stretchColumn", stretch)
    fit_columns(table)
    table.setSortingEnabled(True)


def fit_columns(table: QTableWidget) -> None:
    """Columns keep their content's width; room left over goes to the table's widest-text column."""
    stretch = table.property("stretchColumn")
    if stretch is None:
        return
    used = sum(table.columnWidth(c) for c in range(table.columnCount()) if c != stretch)
    room = table.viewport().width() - used
    content = max(table.sizeHintForColumn(stretch), table.horizontalHeader().sectionSizeHint(stretch)) + 12
    table.setColumnWidth(stretch, max(min(content, 300), room))


class CareMonthDialog(QDialog):
    open_patient = Signal(int)

    def __init__(self, context, parent: QWidget | None = None, *, practice_id: int | None = None,
                 month: dt.date | None = None):
        super().__init__(parent)
        self.setObjectName("careMonthDialog")
        self.setWindowTitle("Care management month")
        self.context = context
        self.view: cm_app.MonthView | None = None
        self.month = cm.month_start(month or today())
        self.practice = QComboBox(objectName="monthPractice")
        self.practice.setMinimumContentsLength(40)
        self.practice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for pid, code, name in cm_app.practices(context.pod):
            self.practice.addItem(f"{name} ({code})", pid)
        if practice_id is not None:
            self.practice.setCurrentIndex(max(0, self.practice.findData(practice_id)))
        self.practice.currentIndexChanged.connect(self.reload)
        self.previous = QPushButton("◀ Previous", objectName="previousMonth")
        self.previous.setToolTip("The month before (Alt+Left)")
        self.previous.clicked.connect(lambda: self.step(-1))
        self.next = QPushButton("Next ▶", objectName="nextMonth")
        self.next.setToolTip("The month after (Alt+Right)")
        self.next.clicked.connect(lambda: self.step(1))
        self.this_month = QPushButton("This month", objectName="thisMonth")
        self.this_month.clicked.connect(lambda: self.show_month(today()))
        self.month_label = QLabel("", objectName="monthLabel")
        self.month_label.setProperty("role", "sectionTitle")
        self.month_label.setMinimumWidth(self.month_label.fontMetrics().horizontalAdvance("September 2026") + 30)
        self.month_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        top = QHBoxLayout()
        top.addWidget(QLabel("Practice:"))
        top.addWidget(self.practice)
        top.addStretch(1)
        for widget in (self.previous, self.month_label, self.next, self.this_month):
            top.addWidget(widget)
        self.summary = QLabel("", objectName="monthSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.ccm = _table(CCM_COLUMNS, "ccmTable")
        self.tcm = _table(TCM_COLUMNS, "tcmTable")
        for table in (self.ccm, self.tcm):
            table.doubleClicked.connect(lambda index, t=table: self._open(t))
        self.tabs = QTabWidget(objectName="monthTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.ccm, "Chronic care management")
        self.tabs.addTab(self.tcm, "Transitional care")
        hint = QLabel("Minutes count only with consent on record that day and for one programme; APCM is billed "
                      "instead of time-based CCM, never with it. Enter opens the chart.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(hint)
        for keys, slot in (("Alt+Left", lambda: self.step(-1)), ("Alt+Right", lambda: self.step(1)),
                           ("Return", self._open_current), ("Enter", self._open_current)):
            QShortcut(QKeySequence(keys), self, slot)
        self.resize(1200, 680)
        self.reload()

    def step(self, months: int) -> None:
        if months < 0:
            self.show_month(cm.month_start(self.month - dt.timedelta(days=1)))
        else:
            self.show_month(cm.next_month(self.month))

    def show_month(self, day: dt.date) -> None:
        self.month = cm.month_start(day)
        self.reload()

    def reload(self):
        practice_id = self.practice.currentData()
        self.month_label.setText(self.month.strftime("%B %Y"))
        self.next.setEnabled(self.month < cm.month_start(today()))
        if practice_id is None:
            self.summary.setText("There are no practices in this pod yet.")
            return None
        pod, month = self.context.pod, self.month
        self.summary.setText("Reading the month…")
        return self.context.tasks.read(
            lambda job: cm_app.practice_month(pod, practice_id, month, date_format=us_date),
            on_done=self._show, parent=self)

    def _show(self, view: cm_app.MonthView) -> None:
        if view.practice_id != self.practice.currentData() or view.month != self.month:
            return  # an older read: the user moved on
        self.view = view
        self.summary.setText(summary_text(view))
        _fill(self.ccm, [(r.patient_id, ccm_cells(r), bool(r.month.uncounted), "") for r in view.ccm],
              CCM_COLUMNS.index("Notes"))
        _fill(self.tcm, [(r.patient_id, tcm_cells(r), "missed" in (r.care.contact.state, r.care.visit.state),
                          f"Contact: {r.care.contact.detail}\nVisit: {r.care.visit.detail}") for r in view.tcm],
              TCM_COLUMNS.index("Face-to-face visit"))
        self.tabs.setTabText(0, f"Chronic care management ({len(view.ccm)})")
        self.tabs.setTabText(1, f"Transitional care ({len(view.tcm)})")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        for table in (self.ccm, self.tcm):
            fit_columns(table)

    def _open(self, table: QTableWidget) -> None:
        item = table.item(table.currentRow(), 0)
        if item is not None:
            self.open_patient.emit(int(item.data(PATIENT_ROLE)))

    def _open_current(self) -> None:
        self._open(self.ccm if self.tabs.currentIndex() == 0 else self.tcm)

    def apply_changes(self, changes) -> None:
        if changes.touches("time", "patients", "risk", "outreach", "facts"):
            self.reload()


def show_care_month(window) -> CareMonthDialog:
    """One dialog per window, brought forward when already open; its rows open charts."""
    dialog = getattr(window, "care_month_dialog", None)
    if dialog is None:
        dialog = CareMonthDialog(window.context, window)
        dialog.open_patient.connect(window.open_chart)
        window.context.tasks.changed.connect(dialog.apply_changes)
        window.care_month_dialog = dialog
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
