"""Quality: one practice's measures against its pod peers, and their monthly trend.

``QualityScreen(context)``. Double-clicking a measure emits
``open_gaps(GapFilter)`` (that practice's open gaps of that measure) for the main
window to show in the Gaps worklist.
"""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QHeaderView, QLabel, QMenu, QPushButton, QScrollArea, QSpinBox, QSplitter,
    QTableWidget, QTableWidgetItem, QToolButton, QVBoxLayout, QWidget,
)
from application import gaps as gap_queries
from application import quality
from application.referrals import (
    LOOP_CLOSURE_ID, kept_rates_with_loop_closure, rates_with_loop_closure, scorecard_with_loop_closure,
)
from domain.clock import today
from domain.text import counted
from ui import format as fmt
from ui.quality_chart import PeerStripChart, TrendChart, percent
from ui.report_actions import ReportActions, report_month
from ui.style import MUTED
from ui.tables import make_read_only_list

COLUMNS = ("Measure", "Title", "Numerator", "Denominator", "Rate", "Rank", "Pod median", "Best")
NUMERIC = {2, 3, 4, 5, 6}
CODE_ROLE = Qt.ItemDataRole.UserRole + 1  # the practice combo's items keep the practice's code here
START_ROLE = Qt.ItemDataRole.UserRole + 1  # and the period combo's the period's first day


class QualityScreen(QWidget):
    open_gaps = Signal(object)  # an application.gaps.GapFilter
    loaded = Signal()  # the table and charts show the chosen practice and period

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("qualityScreen")
        self.context, self.pod = context, context.pod
        self.scores: list[quality.MeasureScore] = []
        # per period: (rates, where they come from: the snapshot's month and when it was taken, or None: computed now)
        self._rates_cache: dict[dt.date, tuple[dict, quality.KeptRates | None]] = {}
        self._rates_task = None
        self._shown_once = False

        title = QLabel("Quality against pod peers")
        title.setProperty("role", "sectionTitle")
        self.practice_combo = QComboBox(objectName="qualityPractice")
        self.period_combo = QComboBox(objectName="qualityPeriod")
        # filled after the screen is first shown: it follows its contents ("01/01/2026 – 12/31/2026")
        self.period_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        # room for a usual "Name (CODE)"; a longer name is elided, so the row (with the report
        # button) still fits a 1366-pixel laptop
        self.practice_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.practice_combo.setMinimumContentsLength(40)
        self.snapshot_button = QPushButton("Take this month's snapshot", objectName="qualitySnapshot")
        self.snapshot_button.setToolTip("Keep this month's rates of every practice for the trend "
                                        "(taking it again replaces this month's)")
        # the practice's printed quality report of the period (this month, or the period's last)
        self.report_actions = ReportActions(context, self)
        # one button (a click previews) with a menu, so the row still fits a 1366-pixel screen
        self.preview_action = QAction("&Preview the report", self, objectName="qualityReportPreview")
        self.print_action = QAction("P&rint the report…", self, objectName="qualityReportPrint")
        self.save_action = QAction("&Save the report as PDF…", self, objectName="qualityReportSave")
        self.report_button = QToolButton(objectName="qualityReport")
        self.report_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.report_button.setDefaultAction(self.preview_action)
        self.report_button.setText("Quality report")
        self.report_button.setToolTip("This practice's quality report of the period: its rates against the pod "
                                      "and its patients with open gaps (click to preview; the arrow prints or "
                                      "saves it)")
        report_menu = QMenu(self.report_button)
        report_menu.addActions([self.preview_action, self.print_action, self.save_action])
        self.report_button.setMenu(report_menu)
        self.status_label = QLabel(objectName="qualityStatus")
        self.status_label.setProperty("role", "hint")
        self.status_label.setWordWrap(True)  # a long status wraps; it never widens the window
        self.status_label.setMinimumWidth(200)
        # where the rates shown come from: the month's snapshot the recompute kept, or computed now
        self.source_label = QLabel(objectName="qualitySource")
        self.source_label.setProperty("role", "hint")
        self.source_label.setWordWrap(True)
        self.minimum_spin = QSpinBox(objectName="qualityMinimum")
        self.minimum_spin.setRange(1, 1000)
        self.minimum_spin.setSuffix(" patients")
        # "1 patient", never "1 patients"
        self.minimum_spin.valueChanged.connect(
            lambda value: self.minimum_spin.setSuffix(" patient" if value == 1 else " patients"))
        self.minimum_spin.setValue(quality.minimum_denominator(self.pod))
        self.minimum_spin.setToolTip("A pod setting: a rate on fewer patients is shown with its counts but not "
                                     "ranked, not the pod's best and not in its median (quality programmes use 20)")
        self.minimum_spin.editingFinished.connect(self._minimum_changed)

        self.table = QTableWidget(0, len(COLUMNS), objectName="qualityTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        make_read_only_list(self.table)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._measure_chosen)
        # a double-click or Enter (not "activated": on desktops where one click activates, a click
        # would leave for Gaps before the trend of the measure could be looked at)
        self.table.cellDoubleClicked.connect(lambda row, _col: self._open_gaps(row))
        for key in ("Return", "Enter"):
            enter = QShortcut(QKeySequence(key), self.table, context=Qt.ShortcutContext.WidgetShortcut)
            enter.activated.connect(lambda: self._open_gaps(self.table.currentRow()))

        self.strip = PeerStripChart()
        strip_scroll = QScrollArea(objectName="qualityStripScroll")
        strip_scroll.setWidget(self.strip)
        strip_scroll.setWidgetResizable(True)
        strip_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.trend = TrendChart()
        strip_title = QLabel("Rates across the pod")
        strip_title.setProperty("role", "sectionTitle")
        strip_box = QWidget()
        strip_layout = QVBoxLayout(strip_box)
        strip_layout.setContentsMargins(0, 0, 0, 0)
        strip_layout.addWidget(strip_title)
        strip_layout.addWidget(strip_scroll, 1)
        charts = QSplitter(Qt.Orientation.Horizontal, objectName="qualityCharts")
        charts.addWidget(strip_box)
        charts.addWidget(self.trend)
        charts.setStretchFactor(0, 3)
        charts.setStretchFactor(1, 2)
        charts.setChildrenCollapsible(False)
        body = QSplitter(Qt.Orientation.Vertical, objectName="qualitySplitter")
        body.addWidget(self.table)
        body.addWidget(charts)
        body.setStretchFactor(0, 1)  # the table shows all ten measure rows in a full-height window
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)

        controls = QHBoxLayout()
        for caption, widget in (("Practice", self.practice_combo), ("Period", self.period_combo)):
            label = QLabel(caption)
            label.setBuddy(widget)
            controls.addWidget(label)
            controls.addWidget(widget)
            controls.addSpacing(8)
        controls.addStretch(1)
        controls.addWidget(self.report_button)
        controls.addSpacing(8)
        controls.addWidget(self.snapshot_button)
        # the pod's minimum denominator is a setting of the whole pod, not a choice of what to
        # show: on the status line's right, so the row above still fits a 1366-pixel laptop
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        minimum_label = QLabel("Rank on at &least")
        minimum_label.setBuddy(self.minimum_spin)
        status_row.addWidget(minimum_label)
        status_row.addWidget(self.minimum_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addLayout(controls)
        layout.addLayout(status_row)
        layout.addWidget(self.source_label)
        layout.addWidget(body, 1)

        self._fill_choices()
        self.practice_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period_combo.currentIndexChanged.connect(lambda _i: self.refresh(recompute=True))
        self.snapshot_button.clicked.connect(self.take_snapshot)
        self.preview_action.triggered.connect(lambda: self._report(self.report_actions.preview))
        self.print_action.triggered.connect(lambda: self._report(self.report_actions.print_report))
        self.save_action.triggered.connect(lambda: self._report(self.report_actions.save))
        self.report_actions.status.connect(self.status_label.setText)

    def _fill_choices(self) -> None:
        for combo in (self.practice_combo, self.period_combo):
            combo.blockSignals(True)
        practice, period = self.practice_id(), self.period_end()
        self.practice_combo.clear()
        self.period_combo.clear()
        for practice_id, code, name in gap_queries.practice_choices(self.pod):
            self.practice_combo.addItem(f"{name} ({code})", practice_id)
            self.practice_combo.setItemData(self.practice_combo.count() - 1, code, CODE_ROLE)
        for start, end in gap_queries.gap_periods(self.pod):
            self.period_combo.addItem(f"{fmt.date(start)} – {fmt.date(end)}", end)
            self.period_combo.setItemData(self.period_combo.count() - 1, start, START_ROLE)
        for combo, value in ((self.practice_combo, practice), (self.period_combo, period)):
            index = next((i for i in range(combo.count()) if combo.itemData(i) == value), 0)
            combo.setCurrentIndex(index)
            combo.blockSignals(False)

    def apply_changes(self, changes) -> None:
        """Rates follow the gaps: a recompute or a documented exclusion reads them again, and so
        does a patient assigned to a practice or a new minimum denominator."""
        if changes.touches("gaps", "practices", "quality") or (changes.touches("patients") and
                                                               changes.patient_ids is not None):
            self._rates_cache.clear()
            self._fill_choices()
            if changes.touches("quality"):
                self.minimum_spin.blockSignals(True)
                self.minimum_spin.setValue(quality.minimum_denominator(self.pod))
                self.minimum_spin.blockSignals(False)
            if self._shown_once:
                self.refresh()

    def _minimum_changed(self):
        value = self.minimum_spin.value()
        if value == quality.minimum_denominator(self.pod):
            return None
        return self.context.tasks.write(lambda job: quality.set_minimum_denominator(self.pod, value),
                                        label="Saving the minimum denominator…", parent=self)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:  # nothing is computed at app start, only when first looked at
            self._shown_once = True
            self.refresh()

    # -- reading -------------------------------------------------------------------------------
    def practice_id(self) -> int | None:
        return self.practice_combo.currentData()

    def period_end(self) -> dt.date | None:
        return self.period_combo.currentData()

    def refresh(self, recompute: bool = False) -> None:
        """Show the chosen practice and period; ``recompute`` reads the rates again (after a recompute).

        The rates are those the recompute kept in the period's newest monthly snapshot (read in
        milliseconds); only a period without one has them computed from its gaps, in the
        background with progress (seconds at a million patients)."""
        if recompute:
            self._rates_cache.clear()
        practice_id, period_end = self.practice_id(), self.period_end()
        if practice_id is None or period_end is None:
            self._show([], "No practices or no computed gaps yet: run the measure recompute first.")
            return
        cached = self._rates_cache.get(period_end)
        if cached is not None:
            self._show_rates(practice_id, period_end, *cached)
            return
        if self._rates_task is not None:
            return  # its result refreshes the screen with whatever is chosen by then
        self.status_label.setText("Reading the rates kept with the last recompute…")
        pod = self.pod
        self._rates_task = self.context.tasks.read(
            lambda job: kept_rates_with_loop_closure(pod, period_end), parent=self,
            on_done=lambda kept: self._kept_read(period_end, kept),
            on_error=lambda error: self._rates_ready(period_end, None, None, str(error)))

    def _kept_read(self, period_end: dt.date, kept: quality.KeptRates | None) -> None:
        if kept is not None:
            self._rates_ready(period_end, kept.rates, kept, "")
            return
        # no snapshot of this period was kept (a period never recomputed whole): computed from its gaps
        self.status_label.setText("No snapshot of this period's rates was kept: computing the rates of every "
                                  "practice of the pod from the gaps…")
        pod = self.pod
        self._rates_task = self.context.tasks.background(
            lambda job: rates_with_loop_closure(pod, period_end, progress=job.progress), parent=self,
            label="Computing the rates of every practice of the pod…", cancellable=False,
            on_done=lambda rates: self._rates_ready(period_end, rates, None, ""),
            on_error=lambda error: self._rates_ready(period_end, None, None, str(error)))

    def _rates_ready(self, period_end, rates, kept: quality.KeptRates | None, error: str) -> None:
        self._rates_task = None
        if error:
            self._show([], f"Could not compute the rates: {error}")
            return
        self._rates_cache[period_end] = (rates, kept)
        self.refresh()

    @staticmethod
    def source_text(kept: quality.KeptRates | None) -> str:
        """Where the rates shown come from: the snapshot's month, or computed now."""
        if kept is None:
            return "Computed from the gaps now: no snapshot of this period's rates was kept."
        taken = f", kept with the recompute of {fmt.local_datetime(kept.taken_at)}" if kept.taken_at else ""
        return (f"The rates of the {kept.month:%B %Y} snapshot{taken}; a change since (a documented "
                "exclusion) counts from the next recompute or snapshot.")

    def _show_rates(self, practice_id: int, period_end: dt.date, rates: dict,
                    kept: quality.KeptRates | None = None) -> None:
        scores = scorecard_with_loop_closure(self.pod, practice_id, period_end, rates)
        practices = len({r.practice_id for peers in rates.values() for r in peers})
        loop = sum(1 for score in scores if score.measure_id == LOOP_CLOSURE_ID)
        what = counted(len(scores) - loop, "measure") + (" and referral loop closure" if loop else "")
        self.source_label.setText(self.source_text(kept))
        self._show(scores, f"{what} · compared with {counted(practices, 'practice')} of the pod · "
                           "rates after exclusions and exceptions; Enter or a double-click on a measure shows its "
                           "open gaps")

    def _show(self, scores: list[quality.MeasureScore], status: str) -> None:
        self.scores = scores
        if not scores:
            self.source_label.setText("")
        self.status_label.setText(status)
        self._fill_table()
        self._measure_chosen()
        self.loaded.emit()

    def _fill_table(self) -> None:
        selected = self.selected_score()
        self.table.setRowCount(len(self.scores))
        for row, score in enumerate(self.scores):
            mine = score.mine
            best = percent(mine.pod_best) + (f" ({', '.join(mine.best_practices)})"
                                              if mine.best_practices else "")
            rate = percent(mine.rate) + (" · too few" if mine.too_few else "")
            cells = (score.label, score.title + (" (lower is better)" if score.inverse else ""),
                     f"{mine.numerator:,}", f"{mine.denominator:,}", rate, mine.rank_label,
                     percent(mine.pod_median), best)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if mine.too_few and column in (4, 5):
                    item.setToolTip(f"{mine.numerator:,} of {mine.denominator:,}: fewer than the pod's minimum of "
                                    f"{mine.minimum} patients, so this rate is not ranked, not the pod's best and "
                                    "not in its median")
                    item.setForeground(QBrush(QColor(MUTED)))
                if column in NUMERIC:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        labels = [s.label for s in self.scores]
        if self.scores:
            self.table.selectRow(labels.index(selected.label) if selected and selected.label in labels else 0)

    def selected_score(self) -> quality.MeasureScore | None:
        rows = self.table.selectionModel().selectedRows()
        return self.scores[rows[0].row()] if rows and rows[0].row() < len(self.scores) else None

    def _measure_chosen(self) -> None:
        score = self.selected_score()
        self.strip.set_scores(self.scores, score.label if score else None)
        if score is None:
            self.trend.set_points([], "Monthly trend")
            return
        points = quality.rate_history(self.pod, score.mine.practice_id, score.measure_id,
                                      score.group_index, self.period_end())
        self.trend.set_points(points, f"{score.label} by month: {score.mine.practice_code} and the pod")

    # -- actions -----------------------------------------------------------------------------------
    def take_snapshot(self):
        """Keep this month's rates of every practice (in the background); returns the task."""
        def kept(snapshot) -> None:
            self._measure_chosen()
            self.status_label.setText(f"Snapshot of {snapshot.month:%B %Y} kept: {snapshot.rows:,} practice rates.")

        month = today()
        return self.context.tasks.write(lambda job: quality.take_snapshot(self.pod, month),
                                        label="Keeping this month's snapshot…", parent=self, on_done=kept)

    def practice_code(self) -> str | None:
        return self.practice_combo.currentData(CODE_ROLE)

    def _report(self, action):
        """Preview, print or save the chosen practice's report of the chosen period; returns the task."""
        code, period_end = self.practice_code(), self.period_end()
        if not code or period_end is None:
            self.status_label.setText("Choose a practice and a computed period first.")
            return None
        return action(code, report_month(self.period_combo.currentData(START_ROLE), period_end))

    def _open_gaps(self, row: int) -> None:
        if 0 <= row < len(self.scores) and self.scores[row].measure_id != LOOP_CLOSURE_ID:  # not a gap measure
            score = self.scores[row]
            self.open_gaps.emit(gap_queries.GapFilter(
                measure_id=score.measure_id, practice_id=score.mine.practice_id, state="open",
                period_end=self.period_end(), group_index=score.group_index if score.multi_group else None))


def quality_section(context) -> QualityScreen:
    """The main window's section factory (``ui.sections``)."""
    return QualityScreen(context)
