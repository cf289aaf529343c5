"""``python main.py [--db FILE]``: open the Carepod window.

With ``CAREPOD_EXIT_WHEN_READY=1`` it prints ``ready <seconds since the process started>``
once the window is shown and usable, then quits (the startup benchmark uses it).
Top-level imports stay light: Qt and the database are imported in :func:`run`.
"""
from __future__ import annotations

import os
import sys
import time

_IMPORTED_AT = time.monotonic()


def add_arguments(parser) -> None:
    """Nothing beyond the global ``--db``."""


def seconds_since_process_start() -> float:
    """Wall-clock age of this process (Linux /proc; elsewhere the time since this module loaded)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat: start time in clock ticks after boot
        with open("/proc/uptime", "rb") as uptime:
            up = float(uptime.read().split()[0])
        return max(0.0, up - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED_AT


def open_window(app, path: str | None):
    """A main window on the database at ``path``, or None after telling the user why not."""
    from storage.queries.database import NotACarepodDatabase, open_carepod_database
    from ui import dialogs
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.settings import Settings

    try:
        engine = open_carepod_database(path)
    except NotACarepodDatabase as exc:
        print(f"carepod: {exc}", file=sys.stderr)
        dialogs.show_error(None, "Cannot open the database", str(exc))
        return None
    label = str(path) if path else engine.url.database
    window = MainWindow(AppContext(engine=engine, database=label, settings=Settings()))

    def switch(other_path: str) -> None:
        other = open_window(app, other_path)
        if other is not None:
            window.close()

    window.database_chosen.connect(switch)
    app.setProperty("carepod_windows", [*(app.property("carepod_windows") or []), window])
    window.show()
    return window


def run(args) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ui import style

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Carepod")
    app.setOrganizationName("Carepod")
    style.apply(app)
    window = open_window(app, getattr(args, "db", None))
    if window is None:
        return 2
    if os.environ.get("CAREPOD_EXIT_WHEN_READY") == "1":
        def ready() -> None:
            print(f"ready {seconds_since_process_start():.3f}", flush=True)
            window.close()
            app.quit()

        # after the first paint: the event loop has shown the window and can take input
        QTimer.singleShot(0, ready)
    return app.exec()
