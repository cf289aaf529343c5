"""``python main.py [--db FILE]``: open the Carepod window.

With ``CAREPOD_EXIT_WHEN_READY=1`` it prints ``ready <seconds since the process started>``
once the window is shown and usable, then quits (the startup benchmark uses it).
Top-level imports stay light: Qt and the database are imported in :func:`run`.
"""
from __future__ import annotations

import html
import os
import sys
import threading
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
    from application.pod import NotACarepodDatabase, open_pod
    from ui import dialogs
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.settings import Settings

    try:
        pod = open_showing_progress(open_pod, path)
    except NotACarepodDatabase as exc:
        print(f"carepod: {exc}", file=sys.stderr)
        dialogs.show_error(None, "Cannot open the database", str(exc))
        return None
    window = MainWindow(AppContext.create(pod, Settings()))

    def switch(other_path: str) -> None:
        other = open_window(app, other_path)
        if other is not None:
            window.close()

    window.database_chosen.connect(switch)
    app.setProperty("carepod_windows", [*(app.property("carepod_windows") or []), window])
    window.show()
    if pod.findings:  # damage, a broken audit trail: said at once, in words
        dialogs.show_warning(window, "The database needs attention", "\n\n".join(pod.findings))
    return window


OPENING_NOTICE_AFTER_S = 0.4


def open_showing_progress(open_database, path: str | None):
    """``open_database(path)`` in a thread of its own; should it take a while (an older database
    is upgraded first: a minute at a million patients), a busy dialog says so meanwhile
    instead of a window that seems hung. Its error, if any, is raised here."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QLabel, QProgressDialog

    outcome: dict = {}

    def work() -> None:
        try:
            outcome["pod"] = open_database(path)
        except BaseException as exc:  # raised again below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="carepod-open-database", daemon=True)
    thread.start()
    thread.join(OPENING_NOTICE_AFTER_S)
    if thread.is_alive():
        name = os.path.basename(str(path)) if path else "the database"
        dialog = QProgressDialog("", "", 0, 0)
        label = QLabel(f"<b>Opening {html.escape(name)}…</b><br><br>A database from an earlier version of "
                       "Carepod is brought up to date first. On a large pod this can take a minute or two; "
                       "if it is interrupted, the database stays as it was.")
        label.setWordWrap(True)
        label.setFixedWidth(420)
        dialog.setLabel(label)
        dialog.setWindowTitle("Carepod")
        dialog.setCancelButton(None)  # the upgrade is one transaction: it finishes or is undone
        dialog.setMinimumDuration(0)
        dialog.show()
        loop = QEventLoop()
        timer = QTimer(interval=100)
        timer.timeout.connect(lambda: None if thread.is_alive() else loop.quit())
        timer.start()
        loop.exec()
        timer.stop()
        dialog.close()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["pod"]


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
