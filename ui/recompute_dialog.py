"""Recompute gaps in care, on a worker thread with progress and cancel.

Used for a complete recompute on demand (Data ▸ Recompute gaps) and, after an
import, for only the patients whose facts changed. The
engine writes each measure whole in its own transaction once it is evaluated,
so a cancel keeps the measures already finished and writes nothing of the others.
"""
from __future__ import annotations

import datetime as dt
import threading

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QProgressBar,
                               QVBoxLayout)

from domain.clock import today


class RecomputeWorker(QThread):
    """Runs the measure engine off the UI thread with its own connection; never touches widgets."""

    progressed = Signal(object)  # (done, total, label)
    done = Signal(object)  # {measure: {state: count}}
    failed = Signal(str)

    def __init__(self, database_url: str, year: int, patient_ids: list[int] | None, parent=None):
        super().__init__(parent)
        self.database_url, self.year, self.patient_ids = database_url, year, patient_ids
        self.cancel_event = threading.Event()

    def run(self) -> None:
        from domain.measures.period import MeasurementPeriod
        from storage.db import open_database
        from storage.measures.engine import Cancelled
        from storage.measures.recompute import recompute

        engine = open_database(self.database_url, upgrade=False)
        try:
            period = MeasurementPeriod(dt.date(self.year, 1, 1), dt.date(self.year, 12, 31))
            summary = recompute(engine, period, patient_ids=self.patient_ids,
                                progress=lambda i, n, label: self.progressed.emit((i, n, label)),
                                cancel=self.cancel_event.is_set)
        except Cancelled:
            self.failed.emit("Cancelled: measures finished before the cancel were updated; the others are unchanged.")
        except Exception as exc:  # shown to the user; a thread nobody joins must not raise
            self.failed.emit(f"The recompute failed: {exc}")
        else:
            self.done.emit(summary)
        finally:
            engine.dispose()


class RecomputeDialog(QDialog):
    """Choose the measurement year, start, watch progress, cancel or close."""

    recomputed = Signal(object)

    def __init__(self, engine, parent=None, *, patient_ids: list[int] | None = None,
                 year: int | None = None, start: bool = False):
        super().__init__(parent)
        self.setObjectName("RecomputeDialog")
        self.setWindowTitle("Recompute gaps in care")
        self.engine, self.patient_ids = engine, patient_ids
        self.worker: RecomputeWorker | None = None
        self._busy = False

        scope = ("all patients of the pod" if patient_ids is None
                 else f"{len(patient_ids):,} patient{'s' if len(patient_ids) != 1 else ''} whose data changed")
        intro = QLabel(f"Evaluates the eight quality measures for {scope} and updates their gaps in care.")
        intro.setWordWrap(True)
        self.year_combo = QComboBox(objectName="recomputeYear")
        this_year = today().year
        for y in range(this_year, this_year - 4, -1):
            self.year_combo.addItem(str(y), y)
        self.year_combo.setCurrentIndex(max(0, self.year_combo.findData(year or this_year)))
        form = QFormLayout()
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
        """From start until the worker's last signal has been handled here."""
        return self._busy

    def start(self) -> None:
        if self.running:
            return
        url = self.engine.url.render_as_string(hide_password=False)
        self.worker = RecomputeWorker(url, self.year_combo.currentData(), self.patient_ids, self)
        self.worker.progressed.connect(self._on_progress)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.start_button.setEnabled(False)
        self.year_combo.setEnabled(False)
        self.close_button.setText("Cancel")
        self.progress.setRange(0, 0)
        self.status.setText("Evaluating measures…")
        self._busy = True
        self.worker.start()

    def _on_progress(self, step) -> None:
        index, count, label = step
        self.progress.setRange(0, max(count, 1))
        self.progress.setValue(index)
        self.status.setText(label)

    def _on_done(self, summary) -> None:
        open_gaps = sum(states.get("open", 0) for states in summary.values())
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(f"Done: {len(summary)} measures evaluated; {open_gaps:,} open gaps.")
        self.recomputed.emit(summary)

    def _on_failed(self, message: str) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(message)

    def _on_finished(self) -> None:
        self._busy = False
        self.close_button.setText("Close")
        self.start_button.setEnabled(True)
        self.year_combo.setEnabled(True)

    def reject(self) -> None:
        """Close, or while running: cancel and wait for the worker to stop."""
        if self.running:
            self.status.setText("Cancelling…")
            self.worker.cancel_event.set()
            return
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel_event.set()
            self.worker.wait()
        super().closeEvent(event)
