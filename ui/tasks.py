"""The one task runner: all database work of the screens runs here, off the UI thread.

After Anki's ``taskman``/``CollectionOp`` and Picard's runnables. A screen hands the runner a
function ``fn(job)`` and callbacks; the function runs on a worker thread, never touches a
widget, and its result (or error) comes back on the UI thread. Three lanes:

- ``write``: short staff writes (save a call, move a referral, document an exclusion, open a
  chart, which records the view), one at a time in the order asked, so two saves of one
  screen never race each other;
- ``background``: long work (import, recompute, batch reports, backup), one at a time; a second
  import waits its turn and says so. It has a lane of its own so that a staff save is never
  queued behind a recompute of a million patients (the database lets the save in between the
  long job's short transactions);
- ``read``: reads that could take longer than a frame (the worklists' counts, a chart), on a
  small pool.

The contract: ``job.progress(done, total, text)`` reports progress, ``job.cancelled()`` says
whether the user asked to stop (the function stops at its next safe point and raises or
returns), ``job.set_label(text)`` changes what the progress dialog says. A progress dialog
appears only when the work lasts more than :data:`PROGRESS_AFTER_MS`, with a Cancel button
when the task can be cancelled. A :class:`domain.errors.DomainError` reaches the user as its
message; any other error as one sentence (logged with its traceback, which has no patient
data), never as a traceback on screen. A result that is, or carries as ``.changes``, an
:class:`application.changes.ChangeSet` is emitted on :attr:`TaskRunner.changed`, the one
app-wide signal each screen listens to, refreshing only what the change touches.
"""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from application.changes import changes_of
from domain.errors import DomainError

log = logging.getLogger(__name__)
PROGRESS_AFTER_MS = 500
READERS = 2


class Cancelled(Exception):
    """Raised by ``job.raise_if_cancelled()``: the user asked the task to stop."""


class Job:
    """What the function of a task is given: progress, cancel, label. Thread-safe."""

    def __init__(self, task: "Task"):
        self._task = task
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._task._progressed.emit(int(done), int(total), text)

    def set_label(self, text: str) -> None:
        self._task._progressed.emit(-1, -1, text)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    # a plain callable for the storage functions that take ``cancel=`` or an Event
    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel


class Task(QObject):
    """One piece of work handed to the runner; ``finished`` fires on the UI thread."""

    finished = Signal(object)  # this task
    progressed = Signal(int, int, str)  # done, total (-1: label only), text
    _progressed = Signal(int, int, str)  # from the worker thread
    _delivered = Signal()  # from the worker thread

    def __init__(self, runner: "TaskRunner", fn: Callable[[Job], Any], lane: str, label: str,
                 on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
                 parent_widget: QWidget | None, cancellable: bool, show_progress: bool):
        super().__init__(runner)
        self.runner, self.fn, self.lane, self.label = runner, fn, lane, label
        self.on_done, self.on_error, self.parent_widget = on_done, on_error, parent_widget
        self.cancellable, self.show_progress = cancellable, show_progress
        self.job = Job(self)
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.started_at = time.monotonic()
        self.waited_s = 0.0  # in the lane's queue before it started
        self._discarded = False
        self._dialog: QProgressDialog | None = None
        self._last_progress: tuple[int, int, str] | None = None
        self._progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    # -- worker thread ------------------------------------------------------------------------
    def _run(self) -> None:
        self.waited_s = time.monotonic() - self.started_at
        try:
            self.result = self.fn(self.job)
        except BaseException as exc:  # delivered to the UI thread, never raised on a pool thread
            self.error = exc
        self._delivered.emit()

    # -- UI thread ------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the function to stop at its next safe point."""
        self.job._cancel.set()

    def discard(self) -> None:
        """The caller no longer wants the answer (a newer search was typed): no callbacks."""
        self._discarded = True
        self.cancel()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        self._last_progress = (done, total, text)
        if self._dialog is not None:
            self._show_progress_in_dialog()
        self.progressed.emit(done, total, text)

    def _maybe_show_dialog(self) -> None:
        if self.done or self._discarded or not self.show_progress or self._dialog is not None:
            return
        dialog = QProgressDialog(self.label or "Working…", "Cancel" if self.cancellable else "", 0, 0,
                                 self.parent_widget)
        dialog.setObjectName("taskProgress")
        dialog.setWindowTitle("Carepod")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumWidth(420)
        if not self.cancellable:
            dialog.setCancelButton(None)
        else:
            dialog.canceled.connect(self._cancel_from_dialog)
        self._dialog = dialog
        self._show_progress_in_dialog()
        dialog.show()

    def _cancel_from_dialog(self) -> None:
        self.cancel()
        if self._dialog is not None:
            self._dialog.setLabelText("Cancelling…")

    def _show_progress_in_dialog(self) -> None:
        dialog = self._dialog
        if self._last_progress is None or dialog is None:
            return
        done, total, text = self._last_progress
        if total > 0:
            dialog.setRange(0, total)
            # a modal progress dialog's setValue runs the event loop: the task may be delivered, and
            # its dialog closed, meanwhile
            dialog.setValue(min(done, total))
        if text and not self.job.cancelled() and self._dialog is dialog:
            dialog.setLabelText(text)

    def _deliver(self) -> None:
        self.done = True
        if self._dialog is not None:
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        self.runner._finished(self)
        if not self._discarded:
            if self.error is None:
                if self.on_done is not None:
                    self.on_done(self.result)
            else:
                self._report_error()
            changes = changes_of(self.result) if self.error is None else None
            if changes:
                self.runner.changed.emit(changes)
        self.finished.emit(self)
        self.deleteLater()

    def _report_error(self) -> None:
        error = self.error
        if self.on_error is not None:
            self.on_error(error)
            return
        if isinstance(error, Cancelled):
            return
        if isinstance(error, DomainError):
            QMessageBox.warning(self.parent_widget, self.label or "Carepod", str(error))
            return
        log.error("%s failed", self.label or "a task", exc_info=(type(error), error, error.__traceback__))
        QMessageBox.critical(self.parent_widget, self.label or "Carepod", error_sentence(error))


def error_sentence(error: BaseException) -> str:
    """One sentence for an error a user did not cause (the traceback goes to the log)."""
    from application.failures import reason_of

    reason = reason_of(error)  # the disk or the database file: full, read-only, damaged
    if reason:
        told = f"the database {reason[3:]}" if reason.startswith("it ") else reason
        return f"It could not be done: {told}. Nothing was changed."
    text = str(getattr(error, "orig", None) or error).strip().rstrip(".")
    return f"It could not be done: {text or type(error).__name__}."


class TaskRunner(QObject):
    """``context.tasks``: the lanes, the app-wide ``changed`` signal, and waiting for idle in tests."""

    changed = Signal(object)  # a ChangeSet, after any task whose result carries one
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lanes = {
            "write": concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="carepod-write"),
            "background": concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="carepod-long"),
            "read": concurrent.futures.ThreadPoolExecutor(READERS, thread_name_prefix="carepod-read"),
        }
        self._pending: list[Task] = []

    # -- handing work over ------------------------------------------------------------------------
    def write(self, fn: Callable[[Job], Any], *, label: str = "Saving…", on_done=None, on_error=None,
              parent: QWidget | None = None, show_progress: bool = True) -> Task:
        """A short staff write; its progress dialog (should it take long) cannot cancel it.
        ``show_progress=False`` for saves the user does not wait for (a draft kept while typing)."""
        return self._submit("write", fn, label, on_done, on_error, parent, cancellable=False,
                            show_progress=show_progress)

    def background(self, fn: Callable[[Job], Any], *, label: str, on_done=None, on_error=None,
                   parent: QWidget | None = None, cancellable: bool = True, show_progress: bool = True) -> Task:
        """Long work, one at a time; ``show_progress=False`` when the caller shows its own."""
        return self._submit("background", fn, label, on_done, on_error, parent, cancellable, show_progress)

    def read(self, fn: Callable[[Job], Any], *, on_done=None, on_error=None, parent: QWidget | None = None,
             label: str = "", show_progress: bool = False) -> Task:
        return self._submit("read", fn, label, on_done, on_error, parent, cancellable=True,
                            show_progress=show_progress)

    def _submit(self, lane, fn, label, on_done, on_error, parent, cancellable, show_progress) -> Task:
        task = Task(self, fn, lane, label, on_done, on_error, parent, cancellable, show_progress)
        self._pending.append(task)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        QTimer.singleShot(PROGRESS_AFTER_MS, task, task._maybe_show_dialog)
        self._lanes[lane].submit(task._run)
        return task

    def _finished(self, task: Task) -> None:
        if task in self._pending:
            self._pending.remove(task)
            if not self._pending:
                self.busy_changed.emit(False)

    # -- state ---------------------------------------------------------------------------------
    def idle(self) -> bool:
        return not self._pending

    def running(self, lane: str | None = None) -> list[Task]:
        return [t for t in self._pending if lane is None or t.lane == lane]

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Turn the event loop until every task has delivered (tests, closing the window)."""
        deadline = time.monotonic() + timeout_s
        while self._pending and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.005)
        return not self._pending

    def wait_for(self, task: Task, timeout_s: float = 600.0) -> Task:
        """Turn a local event loop until ``task`` has delivered (a modal dialog waiting for its
        save: the window keeps painting and the save runs on the writer)."""
        if not task.done:
            loop = QEventLoop()
            task.finished.connect(loop.quit)
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            if not task.done:  # it may have delivered while connecting
                loop.exec()
        return task

    def shutdown(self, timeout_s: float = 60.0) -> None:
        """Cancel what can be cancelled and wait for the rest (the window is closing)."""
        for task in list(self._pending):
            if task.cancellable:
                task.cancel()
        self.wait_idle(timeout_s)
