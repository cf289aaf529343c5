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


OPEN_WINDOWS: list = []  # the main windows of this process (File ▸ Open keeps the new one alive)


class UnknownUser(Exception):
    """``--as NAME`` named nobody of the pod's active staff (the message says so)."""


def open_window(app, path: str | None, as_name: str | None = None, *, start=None):
    """A main window on the database at ``path``, or None after telling the user why not (or
    when the user quit before choosing who they are). ``start(context, as_name)`` settles who is
    using Carepod (:func:`ui.first_run.start_session`; tests replace it). Raises
    :class:`UnknownUser` when ``as_name`` is not an active staff member."""
    from application.pod import DatabaseUnusable, NotACarepodDatabase, open_pod
    from application.staff import UnknownStaffMember
    from ui import dialogs
    from ui.context import AppContext
    from ui.first_run import start_session
    from ui.main_window import MainWindow
    from ui.settings import Settings

    try:
        pod = open_showing_progress(open_pod, path)
    except (NotACarepodDatabase, DatabaseUnusable) as exc:
        print(f"carepod: {exc}", file=sys.stderr)
        dialogs.show_error(None, "Cannot open the database", str(exc))
        return None
    context = AppContext.create(pod, Settings())
    try:
        outcome = (start or start_session)(context, as_name)
        if outcome == "demo":
            context = _fill_with_demo(context, path)
            outcome = None if context is None else (start or start_session)(context, None)
    except UnknownStaffMember as exc:
        context.tasks.shutdown()
        pod.close()
        raise UnknownUser(str(exc)) from None
    if outcome is None:
        if context is not None:
            context.tasks.shutdown()
            context.pod.close()
        return None
    window = MainWindow(context)

    def switch(other_path: str) -> None:
        other = open_window(app, other_path)
        if other is not None:
            window.close()

    window.database_chosen.connect(switch)
    # kept alive here while open (a Qt property holding the list crashed once a window in it was
    # deleted: the list was converted back from C++ objects that no longer existed)
    OPEN_WINDOWS.append(window)
    window.destroyed.connect(lambda *_args, w=window: OPEN_WINDOWS.remove(w) if w in OPEN_WINDOWS else None)
    window.show()
    if context.pod.findings:  # damage, a broken audit trail: said at once, in words
        dialogs.show_warning(window, "The database needs attention", "\n\n".join(context.pod.findings))
    if outcome == "import":
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, window.import_data)  # the pod was just started: its first panel next
    return window


DEMO_NOTICE = ("<b>Building the demo pod…</b><br><br>Six practices and 3,000 synthetic patients with their "
               "records, then their gaps in care for last year and this year. This takes a few seconds.")


def _fill_with_demo(context, path):
    """The empty database becomes the demo pod (built beside it, then moved into place while no
    connection is open), its gaps computed for last year and this year; the new context, or
    None after telling the user why not."""
    from application.measures import recompute_periods, year_period
    from application.pod import open_pod
    from application.pod_setup import build_demo_pod
    from domain.clock import today
    from ui import dialogs
    from ui.context import AppContext

    file = context.pod.engine.url.database
    settings = context.settings
    context.tasks.shutdown()
    context.pod.close()

    def build(_path):
        build_demo_pod(file)
        pod = open_pod(path)
        year = today().year
        recompute_periods(pod, [year_period(year - 1), year_period(year)])
        return pod

    try:
        pod = open_showing_progress(build, path, notice=DEMO_NOTICE, after_s=0.0)
    except Exception as exc:  # a demo that cannot be built leaves the empty database as it was
        dialogs.show_error(None, "The demo pod could not be built", str(exc))
        return None
    return AppContext.create(pod, settings)


OPENING_NOTICE_AFTER_S = 0.4


UPGRADE_NOTICE = ("A database from an earlier version of Carepod is brought up to date first. On a large pod "
                  "this can take several minutes (about ten at a million patients); if it is interrupted, "
                  "the database stays as it was. Afterwards, Carepod's compact command (see its README) gives "
                  "the space the upgrade freed back to the disk.")


def open_showing_progress(open_database, path: str | None, *, notice: str = "",
                          after_s: float | None = None):
    """``open_database(path)`` in a thread of its own; should it take a while (an older database
    is upgraded first: minutes at a million patients), a busy dialog says so meanwhile
    instead of a window that seems hung (``notice``: its text, after ``after_s`` seconds). Its
    error, if any, is raised here."""
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
    thread.join(OPENING_NOTICE_AFTER_S if after_s is None else after_s)
    if thread.is_alive():
        name = os.path.basename(str(path)) if path else "the database"
        dialog = QProgressDialog("", "", 0, 0)
        label = QLabel(notice or f"<b>Opening {html.escape(name)}…</b><br><br>{UPGRADE_NOTICE}")
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
    try:
        window = open_window(app, getattr(args, "db", None), getattr(args, "as_name", None))
    except UnknownUser as exc:
        print(f"carepod: {exc}", file=sys.stderr)
        return 2
    if window is None:
        return 2
    if os.environ.get("CAREPOD_EXIT_WHEN_READY") == "1":
        def ready() -> None:
            print(f"ready {seconds_since_process_start():.3f}", flush=True)
            window.close()
            app.quit()

        # after the first paint: the event loop has shown the window and can take input
        QTimer.singleShot(0, ready)
    # What is alive once the first window is open (Qt wrappers, the engine, the modules) lives as
    # long as the process: set it aside so the collector's full passes never walk it again (they
    # paused the UI thread 88-91 ms while scrolling the Gaps worklist at 1M patients; none after).
    # Here, in the application's own start, not in open_window, which tests call many times
    import gc

    gc.freeze()
    return app.exec()
