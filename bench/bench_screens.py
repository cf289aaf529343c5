"""What a user waits for: each screen action timed through the real main window, offscreen.

    python bench/bench_screens.py --db /path/to/pod.db [--json out.json] [--only gaps]

Opens the real Carepod main window on a pod (offscreen: ``QT_QPA_PLATFORM=offscreen``) and
performs what a user does — search, open a chart, the Gaps worklist's filters, sorts and
scrolling, Quality, a CSV export, and the newer sections (Today, referrals, after-hours calls,
medication reviews) where they exist. For each it prints

- **on screen**: from the action until its answer is shown (the task runner idle, the rows in
  the view, the events processed);
- **longest freeze**: the longest time the UI thread could not turn its event loop meanwhile
  (a 1 ms timer's longest gap): over 100 ms a user feels the window hang;
- **CPU**: the process's CPU time meanwhile (every thread: the UI thread and the task runner's),
  so a figure on a busy machine can be told from one that did more work;

beside the same two figures for an empty Qt window doing a trivial action in the same run (the
floor of this machine at this moment). Targets (issue 24, PRODUCT.md §6): search < 50 ms, a
chart < 100 ms, any sort or filter < 200 ms, a page of scrolling < 100 ms with memory < 300 MB
after 200,000 rows, Quality < 1 s, one practice's export < 2 s, no freeze over 100 ms.

The bench writes into the pod what a user would (chart views in the audit trail, the exported
CSV files go to a temporary folder): run it on a copy. Nothing is asserted; this is a measurement.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGETS_MS = {"search": 50, "chart": 100, "gaps": 200, "sort": 200, "scroll": 100, "quality": 1000,
              "export": 2000, "section": 200}
TIMEOUT_S = 600


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the pod to measure (a copy: the bench writes audit events)")
    parser.add_argument("--scroll-rows", type=int, default=200_000, help="rows to scroll the Gaps worklist to")
    parser.add_argument("--only", action="append", default=[],
                        help="run only the actions whose name contains this (repeatable)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--width", type=int, default=1366)
    parser.add_argument("--height", type=int, default=768)
    return parser.parse_args(argv)


class Watch:
    """Turns the event loop until a condition holds, timing it and the longest UI-thread freeze."""

    def __init__(self, app, runner=None):
        from PySide6.QtCore import QTimer

        self.app, self.runner = app, runner
        self.ticks: list[float] = []
        self.last_cpu_ms = 0.0  # the process's CPU time during the last measure (every thread)
        self.timer = QTimer(interval=1)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))
        self.timer.start()

    def measure(self, action: Callable[[], object], done: Callable[[], bool]) -> tuple[float, float]:
        from PySide6.QtCore import QEventLoop

        self.app.processEvents()
        self.ticks.clear()
        cpu_started = time.process_time()
        started = time.perf_counter()
        action()
        deadline = started + TIMEOUT_S
        while time.perf_counter() < deadline:
            # waits for the next event (the 1 ms timer's at the latest) as the application's own
            # loop would, instead of turning at once: a loop that spins takes a core and the
            # interpreter's lock from the task runner's threads it is waiting for
            self.app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            if (self.runner is None or self.runner.idle()) and done():
                break
        self.app.processEvents()  # the answer painted
        finished = time.perf_counter()
        self.last_cpu_ms = (time.process_time() - cpu_started) * 1000
        marks = [started, *self.ticks, finished]
        freeze = max(b - a for a, b in zip(marks, marks[1:]))
        return (finished - started) * 1000, freeze * 1000


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:  # pragma: no cover - psutil is a test dependency
        return float("nan")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # not Linux
        return "?"


def baseline(app) -> tuple[float, float]:
    """An empty main window doing a trivial action: the floor of this machine now."""
    from PySide6.QtWidgets import QLabel, QMainWindow

    window = QMainWindow()
    label = QLabel("…")
    window.setCentralWidget(label)
    window.resize(1366, 768)
    window.show()
    watch = Watch(app)
    figures = [watch.measure(lambda: label.setText(f"{time.perf_counter()}"), lambda: True) for _ in range(20)]
    window.close()
    figures.sort()
    return figures[len(figures) // 2]


def section_answer(name: str, section) -> Callable[[], bool]:
    """When a section's first answer is on screen: its rows or cards shown, or the text that says
    there are none (or why not). Connected before the section is shown, so an answer that
    arrives during the showing counts."""
    arrived: list[bool] = []

    def once(signal) -> Callable[[], bool]:
        signal.connect(lambda *_: arrived.append(True))
        return lambda: bool(arrived)

    if name == "Today":  # the list, or "Nothing on the list…" / why there is none
        loaded = once(section.loaded)
        return lambda: loaded() and (section.model.rowCount() > 0 or bool(section.empty_label.text()))
    if name == "Referrals":  # the board's columns and the status line with the totals
        loaded = once(section.loaded)
        return lambda: loaded() and bool(section.status_label.text()) and "Reading" not in section.status_label.text()
    if name == "After-hours calls":  # every tab's read shown: the overnight log's rows or "No calls…"
        pages = (section.log_page, section.waiting_page, section.handoff_page, section.lead_page)
        return lambda: all(page._task is None for page in pages) and bool(section.log_page.summary.text())
    if name == "Medication reviews":  # the worklist's first page and its counts
        loaded = once(section.model.loaded)
        return lambda: loaded() and not section.model.loading() and bool(section.count_label.text())
    return lambda: True  # Administration: its pages are built with the window


def main(argv=None) -> int:
    args = parse_args(argv)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from application.pod import open_pod
    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.settings import Settings

    os.environ.setdefault("CAREPOD_HOME", tempfile.mkdtemp(prefix="carepod-bench-home-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    base_ms, base_freeze = baseline(app)
    memory_start = rss_mb()

    settings = Settings()
    started = time.perf_counter()
    pod = open_pod(args.db)
    context = AppContext.create(pod, settings)
    with pod.engine.connect() as conn:
        import sqlalchemy as sa

        staff = conn.execute(sa.text("SELECT name FROM staff_member WHERE active = 1 ORDER BY id LIMIT 1")).scalar()
        practices = conn.execute(sa.text("SELECT id, code FROM practice ORDER BY id")).all()
        patient_id = conn.execute(sa.text("SELECT id FROM patient ORDER BY id LIMIT 1 OFFSET 5000")).scalar() or 1
        # a second chart: the first of a session also pays for reading a chart at all (statements
        # compiled, pages cached); this one is what every later chart costs
        other_id = conn.execute(sa.text("SELECT id FROM patient ORDER BY id LIMIT 1 OFFSET 6000")).scalar() or 1
    if staff:
        settings.user_name = staff
    window = MainWindow(context)
    window.resize(args.width, args.height)
    window.show()
    app.processEvents()
    window_s = time.perf_counter() - started
    # the reads the window starts with (its first section, the chart read readied) finish before
    # the first action: each action is timed until the task runner is idle, and would otherwise
    # count what was left of them (a user's first search comes a moment after the window)
    while not context.tasks.idle() and time.perf_counter() - started < TIMEOUT_S:
        app.processEvents()
        time.sleep(0.005)  # (not a spin: that would take the interpreter's lock from those reads)
    app.processEvents()
    ready_s = time.perf_counter() - started
    import gc

    gc.freeze()  # as the application's start does (ui.app): its full passes never walk the window again
    watch = Watch(app, context.tasks)
    rows: list[dict] = []

    def record(name: str, kind: str, figures: tuple[float, float], note: str = "") -> None:
        on_screen, freeze = figures
        cpu = watch.last_cpu_ms
        rows.append({"action": name, "kind": kind, "on_screen_ms": round(on_screen, 1),
                     "longest_freeze_ms": round(freeze, 1), "cpu_ms": round(cpu, 1), "load": load_average(),
                     "target_ms": TARGETS_MS.get(kind), "note": note})
        target = TARGETS_MS.get(kind)
        flag = "" if target is None or (on_screen <= target and freeze <= 100) else "  ← over target"
        print(f"{name:<46} {on_screen:>9.1f} ms {freeze:>9.1f} ms {cpu:>9.1f} ms   (empty window {base_ms:.1f} / "
              f"{base_freeze:.1f} ms){flag}{'  ' + note if note else ''}", flush=True)

    def wanted(name: str) -> bool:
        return not args.only or any(o.lower() in name.lower() for o in args.only)

    print(f"window shown in {window_s:.2f} s, its start-up reads done at {ready_s:.2f} s, on {args.db}; "
          f"acting as {staff or 'nobody'}; "
          f"load average {load_average()} on {os.cpu_count()} cores")
    print(f"{'action':<46} {'on screen':>12} {'freeze':>12} {'CPU':>12}")

    # -- patient search ----------------------------------------------------------------------
    patients = window.section("Patients")
    if patients is not None:
        window.show_section("Patients")
        search = patients.search
        for text in ("smith", "gar", "jo"):
            if wanted(f"search {text}"):
                def act(text=text):
                    search.search_box.blockSignals(True)
                    search.search_box.setText(text)
                    search.search_box.blockSignals(False)
                    search.run_search()
                record(f"patient search “{text}”", "search",
                       watch.measure(act, lambda text=text: text in search.summary.text()))
        for label, pid in (("open a chart", patient_id), ("open a chart, the next one", other_id)):
            if wanted(label):
                record(label, "chart", watch.measure(
                    lambda pid=pid: patients.open_chart(pid),
                    lambda pid=pid: patients.current_chart() is not None and patients.current_chart().patient_id == pid))

    # -- the Gaps worklist -------------------------------------------------------------------
    gaps = window.section("Gaps")
    if gaps is not None:
        def gaps_shown() -> bool:
            return bool(gaps.count_label.text()) and gaps.model.rowCount() > 0

        def gaps_record(name: str, kind: str, action: Callable[[], object]) -> None:
            """On screen: until the rows and the counts are both shown (the task runner idle);
            the note says when the new rows alone were (the counts may follow them)."""
            marks: dict[str, float] = {}

            def rows_shown() -> None:
                marks.setdefault("rows", time.perf_counter())

            def act():
                marks["start"] = time.perf_counter()
                action()

            signal = getattr(gaps.model, "first_page_shown", None) or gaps.model.modelReset
            signal.connect(rows_shown)
            figures = watch.measure(act, gaps_shown)
            signal.disconnect(rows_shown)
            note = f"rows shown at {(marks['rows'] - marks['start']) * 1000:.0f} ms" if "rows" in marks else ""
            record(name, kind, figures, note)

        if wanted("gaps first open"):
            gaps_record("Gaps, first open with default filters", "gaps", lambda: window.show_section("Gaps"))
        else:
            window.show_section("Gaps")
            watch.measure(lambda: None, gaps_shown)

        def choose(combo, index: int) -> Callable[[], None]:
            return lambda: combo.setCurrentIndex(index)

        if practices and wanted("gaps practice"):
            index = gaps.practice_combo.findData(practices[0][0])
            gaps_record(f"Gaps, practice {practices[0][1]}", "gaps", choose(gaps.practice_combo, index))
            gaps_record("Gaps, back to all practices", "gaps", choose(gaps.practice_combo, 0))
        if wanted("gaps state"):
            closed = gaps.state_combo.findData("closed")
            gaps_record("Gaps, state = closed", "gaps", choose(gaps.state_combo, closed))
            gaps_record("Gaps, state = open", "gaps", choose(gaps.state_combo, gaps.state_combo.findData("open")))
        if wanted("gaps measure"):
            gaps_record("Gaps, measure = CMS125", "gaps", choose(gaps.measure_combo, gaps.measure_combo.findData("CMS125")))
            gaps_record("Gaps, measure = All", "gaps", choose(gaps.measure_combo, 0))
        if wanted("gaps name"):
            def type_name(text: str) -> Callable[[], None]:
                def typed():
                    gaps.text_edit.setText(text)
                    gaps.refresh()  # what the pause after typing starts
                return typed
            gaps_record("Gaps, type a name (after the pause)", "gaps", type_name("smith"))
            # a family and a given name; a short prefix many families share
            gaps_record("Gaps, type a name: “smith, j”", "gaps", type_name("smith, j"))
            gaps_record("Gaps, type a name: “gar”", "gaps", type_name("gar"))
            gaps_record("Gaps, clear the name", "gaps", lambda: (gaps.text_edit.setText(""), gaps.refresh()))
        header = gaps.table.horizontalHeader()
        from ui.gaps_model import COLUMNS

        for title in ("Practice", "Measure", "Last outreach", "Due"):
            if wanted(f"gaps sort {title}"):
                column = next(i for i, (h, _key) in enumerate(COLUMNS) if h == title)
                gaps_record(f"Gaps, sort by {title}", "sort",
                            lambda column=column: header.setSortIndicator(column, Qt.SortOrder.AscendingOrder))
        if wanted("gaps scroll"):
            before = rss_mb()
            worst_page, pages, slow_pages = 0.0, 0, 0
            started = time.perf_counter()
            while gaps.model.rowCount() < args.scroll_rows and gaps.model.canFetchMore():
                count = gaps.model.rowCount()
                on_screen, freeze = watch.measure(
                    lambda: gaps.table.scrollToBottom(),
                    lambda count=count: gaps.model.rowCount() > count or not gaps.model.canFetchMore())
                worst_page = max(worst_page, on_screen, freeze)
                slow_pages += freeze > 100
                pages += 1
            total = time.perf_counter() - started
            record(f"Gaps, scroll to row {gaps.model.rowCount():,} (worst page)", "scroll", (worst_page, worst_page),
                   f"{pages} pages in {total:.1f} s, {slow_pages} froze > 100 ms; memory {before:.0f} → "
                   f"{rss_mb():.0f} MB")
        if practices and wanted("export"):
            out = Path(tempfile.mkdtemp(prefix="carepod-bench-export-"))
            gaps.measure_combo.setCurrentIndex(0)
            gaps.practice_combo.setCurrentIndex(gaps.practice_combo.findData(practices[0][0]))
            watch.measure(lambda: None, gaps_shown)
            for state, label in (("open", "open"), (None, "all")):
                gaps.state_combo.setCurrentIndex(gaps.state_combo.findData(state))
                watch.measure(lambda: None, gaps_shown)
                record(f"CSV export of one practice's {label} gaps", "export", watch.measure(
                    lambda label=label: gaps.start_export(str(out / f"{label}.csv")),
                    lambda: gaps.export_task is None))

    # -- Quality --------------------------------------------------------------------------------
    quality = window.section("Quality")
    if quality is not None and wanted("quality"):
        record("Quality, first open", "quality", watch.measure(
            lambda: window.show_section("Quality"),
            lambda: quality.table.rowCount() > 0 or "No practices" in quality.status_label.text()))

    # -- the newer sections: shown until their first answer is on screen --------------------
    for name in ("Today", "Referrals", "After-hours calls", "Medication reviews", "Administration"):
        section = window.section(name)
        if section is not None and wanted(name):
            answered = section_answer(name, section)
            record(f"{name}, first open", "section", watch.measure(lambda name=name: window.show_section(name),
                                                                   answered))

    print(f"memory: {memory_start:.0f} MB before the window, {rss_mb():.0f} MB at the end; "
          f"load average {load_average()}")
    context.tasks.wait_idle()
    window.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"baseline_ms": base_ms, "baseline_freeze_ms": base_freeze,
                                               "window_shown_s": round(window_s, 2), "start_up_reads_done_s": round(ready_s, 2),
                                               "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
