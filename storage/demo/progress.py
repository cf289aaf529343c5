"""A one-line progress bar on stderr: counts, rate and ETA, redrawn with \\r on a terminal,
a plain line every tenth of the way otherwise (logs and CI stay readable)."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, *, label: str = "patients", stream: TextIO | None = None,
                 enabled: bool = True):
        self.total, self.label = max(1, total), label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_tenth = -1
        self.done = 0

    def update(self, done: int, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        elapsed = now - self.started
        fraction = min(1.0, done / self.total)
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else 0
        text = (f"{self.label} {done:,}/{self.total:,} {fraction:6.1%}"
                f"{'  ' + note if note else ''}  elapsed {_clock(elapsed)}  ETA {_clock(eta)}")
        if self.tty:
            if now - self._last_draw < 0.2 and done < self.total:
                return
            self._last_draw = now
            width = 24
            filled = int(width * fraction)
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}\x1b[K")
        else:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(text + "\n")
        self.stream.flush()

    def advance(self, count: int) -> None:
        """``count`` more done (parts report in batches, possibly from other processes)."""
        self.done += count
        self.update(self.done)

    def step(self, message: str) -> None:
        """A phase after the main count (indexing, moving into place)."""
        if not self.enabled:
            return
        elapsed = _clock(time.monotonic() - self.started)
        if self.tty:
            self.stream.write(f"\r{message}  elapsed {elapsed}\x1b[K")
        else:
            self.stream.write(f"{message}  elapsed {elapsed}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
