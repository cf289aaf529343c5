"""One background read at a time for a screen that shows the latest state.

A screen asks to read again whenever its filters or the data change; a request while a read
runs is remembered and made when that read ends (with what is chosen then), and the older
result is dropped, so the screen shows the newest answer and never queues a read per keystroke.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget


class LatestRead:
    def __init__(self, context, parent: QWidget, make_read: Callable[[], Callable[[Any], Any]],
                 on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]):
        """``make_read()`` is called on the UI thread for each read and returns ``fn(job)``, which
        runs on a reader thread (so it captures the filters as they are when the read starts)."""
        self.context, self.parent = context, parent
        self.make_read, self.on_done, self.on_error = make_read, on_done, on_error
        self.task = None
        self._again = False

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self):
        """Read now, or once the running read ends; returns the task started, or None."""
        if self.task is not None:
            self._again = True
            return None
        self.task = self.context.tasks.read(self.make_read(), parent=self.parent,
                                            on_done=lambda result: self._finished(self.on_done, result),
                                            on_error=lambda error: self._finished(self.on_error, error))
        return self.task

    def _finished(self, callback, value) -> None:
        self.task = None
        if self._again:  # asked again meanwhile: this answer is already out of date
            self._again = False
            self.start()
            return
        callback(value)
