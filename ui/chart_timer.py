"""The timer on a chart's header: Ctrl+T starts it (its start is written to the database at once,
so a crash or a kill keeps it), Ctrl+T again stops it and keeps the minutes as a time entry.

A timer still running when Carepod starts (it was closed, or killed, while the timer ran) is
offered back: the window says so and opens the chart, where the timer has kept counting."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from application import time_tracking as uc
from application.chart import Chart
from domain.clock import utcnow
from domain.time_entry import ACTIVITY_LABELS, PERFORMER_LABELS, PROGRAMME_LABELS, RunningTimer
from ui import shortcuts
from ui.record_form import Field, FormDialog, open_form


def _since(instant: dt.datetime) -> str:
    local = instant.replace(tzinfo=dt.timezone.utc).astimezone()
    return local.strftime("%H:%M") if local.date() == dt.date.today() else local.strftime("%H:%M on %m/%d/%Y")


class TimerWidget(QFrame):
    """Start/stop and the running time of the current staff member's timer on this chart."""

    def __init__(self, context, chart: Chart, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("chartTimer")
        self.context, self.chart = context, chart
        self.patient_id = chart.patient.id
        self.dialog: FormDialog | None = None
        mine = [t for t in chart.timers if t.staff == context.user]
        self.running = mine[0] if mine else None
        self.clock = QLabel("", objectName="timerClock")
        self.clock.setMinimumWidth(self.clock.fontMetrics().horizontalAdvance("Timer 00:00:00") + 8)
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        keys = shortcuts.display_keys(shortcuts.TIMER.keys)
        self.button = QPushButton(objectName="timerButton")
        self.button.clicked.connect(self.toggle)
        self.discard_button = QPushButton("Discard…", objectName="timerDiscard")
        self.discard_button.setToolTip("Stop the timer without keeping its minutes (started by mistake)")
        self.discard_button.clicked.connect(self.discard)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.clock)
        layout.addWidget(self.button)
        layout.addWidget(self.discard_button)
        others = [t for t in chart.timers if t.staff != context.user]
        if others:
            self.setToolTip("Also running on this chart: " + "; ".join(
                f"{t.staff}'s timer since {_since(t.started_at)}" for t in others))
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._show)
        self._keys = keys
        self._show()

    def _show(self) -> None:
        if self.running is None:
            self.tick.stop()
            self.clock.setText("")
            self.button.setText("Start timer")
            self.button.setToolTip(f"Start timing the work for this patient ({self._keys})")
            self.discard_button.hide()
            return
        seconds = max(0, int((utcnow() - self.running.started_at).total_seconds()))
        self.clock.setText(f"Timer {seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}")
        self.clock.setToolTip(f"Running since {_since(self.running.started_at)}")
        self.button.setText("Stop timer")
        self.button.setToolTip(f"Stop and keep the minutes ({self._keys})")
        self.discard_button.show()
        if not self.tick.isActive():
            self.tick.start()

    def elapsed_minutes(self) -> int:
        probe = RunningTimer(self.running.staff, self.patient_id, self.running.started_at)
        return probe.elapsed_minutes()

    def toggle(self) -> None:
        if self.running is None:
            self.start()
        else:
            self.stop()

    def start(self):
        pod, pid = self.context.pod, self.patient_id
        return self.context.tasks.write(lambda job: uc.start_timer(pod, pid), label="Starting the timer…",
                                        parent=self, on_done=self._started)

    def _started(self, started: uc.TimerStarted) -> None:
        # shown at once; the chart read again after the change shows the same timer from the database
        self.running = RunningTimer(self.context.user, self.patient_id, started.started_at, id=started.timer_id)
        self._show()

    def stop(self) -> FormDialog:
        timer = self.running
        pod = self.context.pod
        return open_form(self, "Stop the timer", [
            Field("minutes", "Minutes", "minutes", self.elapsed_minutes()),
            Field("activity", "Activity", "choice", timer.activity,
                  tuple((label, key) for key, label in ACTIVITY_LABELS.items())),
            Field("programme", "Programme", "choice", timer.programme,
                  tuple((label, key) for key, label in PROGRAMME_LABELS.items())),
            Field("performer", "Who did it", "choice", "clinical_staff",
                  tuple((label, key) for key, label in PERFORMER_LABELS.items())),
            Field("note", "Note", hint="what was done"),
        ], lambda v: uc.stop_timer(pod, timer.id, **v),
            intro=f"Started {_since(timer.started_at)} for {self.chart.patient.display_name}. "
                  "The minutes are kept as a time entry from that start.", ok_text="Stop and keep")

    def discard(self) -> FormDialog:
        timer = self.running
        pod = self.context.pod
        return open_form(self, "Discard the timer", [Field("reason", "Why", hint="e.g. started on the wrong chart")],
                         lambda v: uc.discard_timer(pod, timer.id, v["reason"]),
                         intro="The timer stops and its minutes are not kept.", ok_text="Discard the timer")


def offer_running_timer(window) -> None:
    """At start: a timer of this staff member still running (Carepod was closed or killed while it
    ran) is offered back — its chart opens, and the timer has kept counting."""
    context = window.context
    user = context.user

    def found(timers) -> None:
        if not timers:
            return
        timer = timers[0]
        minutes = max(0, int((utcnow() - timer.started_at).total_seconds() // 60))
        box = QMessageBox(QMessageBox.Icon.Question, "Timer still running",
                          f"Your timer for {timer.patient_name} has been running since {_since(timer.started_at)} "
                          f"({minutes} min): Carepod was closed while it ran.\n\nOpen the chart to stop it or "
                          "let it run on?", parent=window)
        box.setObjectName("runningTimerOffer")
        open_button = box.addButton("Open the chart", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(open_button)
        box.buttonClicked.connect(lambda button: window.open_chart(timer.patient_id) if button is open_button
                                  else None)
        window.running_timer_offer = box
        box.open()

    context.tasks.read(lambda job: uc.running_timers(context.pod, staff=user), on_done=found,
                       on_error=lambda _e: None)
