"""Recompute gaps in care, on the task runner's background lane with progress and cancel.

Used for a complete recompute on demand (Data ▸ Recompute gaps) and, after an
import, for only the patients whose facts changed, in every period the pod has gaps of (so no
computed year is left without them). The
engine writes each measure whole in its own transaction once it is evaluated,
so a cancel keeps the measures already finished and writes nothing of the others.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QProgressBar,
                               QVBoxLayout)

from domain.clock import today
from domain.text import counted


class RecomputeDialog(QDialog):
    """Choose the measurement year, start, watch progress, cancel or close."""

    recomputed = Signal(object)

    def __init__(self, context, parent=None, *, patient_ids: list[int] | None = None,
                 year: int | None = None, start: bool = False, periods=None):
        super().__init__(parent)
        self.setObjectName("RecomputeDialog")
        self.setWindowTitle("Recompute gaps in care")
        self.context, self.patient_ids = context, patient_ids
        self.periods = list(periods) if periods else None  # given: these periods, no year to choose
        self.task = None

        scope = ("all patients of the pod" if patient_ids is None
                 else f"{counted(len(patient_ids), 'patient')} whose data changed")
        from domain.measures.catalogue import catalogue

        intro = self.intro = QLabel(f"Evaluates {catalogue().describe()} for {scope} and updates their gaps in care.")
        intro.setWordWrap(True)
        self.year_combo = QComboBox(objectName="recomputeYear")
        this_year = today().year
        for y in range(this_year, this_year - 4, -1):
            self.year_combo.addItem(str(y), y)
        self.year_combo.setCurrentIndex(max(0, self.year_combo.findData(year or this_year)))
        form = QFormLayout()
        if self.periods:
            from application.measures import period_label

            self.periods_label = QLabel(", ".join(period_label(p) for p in self.periods), objectName="recomputePeriods")
            self.periods_label.setToolTip("Every measurement period the pod has gaps of")
            form.addRow("Measurement periods:", self.periods_label)
        else:
            form.addRow("Measurement year:", self.year_combo)
        self.progress = QProgressBar(objectName="recomputeProgress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("", objectName="recomputeStatus")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Recompute", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        if start:
            self.start()

    @property
    def running(self) -> bool:
        """From start until the task's result has been handled here."""
        return self.task is not None

    def start(self):
        if self.running:
            return None
        from application.measures import recompute_gaps, recompute_periods, year_period

        period, patient_ids, periods = year_period(self.year_combo.currentData()), self.patient_ids, self.periods

        def work(job):
            job.progress(0, 0, "Evaluating measures…")
            if periods:
                return recompute_periods(self.context.pod, periods, patient_ids=patient_ids, cancel=job.cancelled,
                                         progress=lambda i, n, label: job.progress(i, n, label))
            return recompute_gaps(self.context.pod, period, patient_ids=patient_ids, cancel=job.cancelled,
                                  progress=lambda i, n, label: job.progress(i, n, label))

        self.start_button.setEnabled(False)
        self.year_combo.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setRange(0, 0)
        waiting = bool(self.context.tasks.running("background"))
        self.status.setText("Waiting for the work already running (an import or a recompute) to finish…"
                            if waiting else "Evaluating measures…")
        self.task = self.context.tasks.background(work, label="Recomputing gaps in care…", parent=self,
                                                  show_progress=False, on_done=self._on_done,
                                                  on_error=self._on_failed)
        self.task.progressed.connect(lambda i, n, label: self._on_progress((i, n, label)))
        return self.task

    def _on_progress(self, step) -> None:
        index, count, label = step
        if count > 0:
            self.progress.setRange(0, count)
            self.progress.setValue(index)
        if label and (self.task is None or not self.task.job.cancelled()):
            self.status.setText(label)

    def _on_done(self, recomputed) -> None:
        from application.measures import period_label

        self._on_finished()
        results = getattr(recomputed, "results", [recomputed])
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        done = "; ".join(f"{period_label(r.period)}: {_count(len(r.summary), 'measure')} evaluated, "
                         f"{_count(r.open_gaps, 'open gap')}" for r in results)
        self.status.setText(f"Done — {done}.")
        self.recomputed.emit(results[-1].summary if results else {})

    def _on_failed(self, error: BaseException) -> None:
        from application.measures import RecomputeCancelled

        self._on_finished()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Cancelled: measures finished before the cancel were updated; the others are unchanged."
                            if isinstance(error, RecomputeCancelled) else f"The recompute failed: {error}")

    def _on_finished(self) -> None:
        self.task = None
        self.close_button.setText("Close")
        self.start_button.setEnabled(True)
        self.year_combo.setEnabled(True)

    def reject(self) -> None:
        """Close, or while running: cancel and wait for the worker to stop."""
        if self.running:
            self.status.setText("Cancelling…")
            self.task.cancel()
            return
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.task is not None:
            self.task.cancel()
            self.context.tasks.wait_for(self.task)
        super().closeEvent(event)


def _count(n: int, noun: str) -> str:
    """'1 open gap', '5 open gaps'."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
