"""What a user waits for (issue 24): the search, a chart and Quality read off the UI thread, the
newest search wins, chart tabs are built when first shown, Quality shows the kept snapshot."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from PySide6.QtCore import QTimer

from tests.ui.conftest import make_context, open_chart
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, engine, sample_pod):
    window = MainWindow(make_context(engine, "Dana Reyes"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.context.tasks.wait_idle()
    return window


def _listed(search) -> list[str]:
    return [search.model.index(r, 0).data() for r in range(search.model.rowCount())]


class Ticks:
    """A 10 ms timer's ticks: they go on only while the event loop turns."""

    def __init__(self):
        self.count = 0
        self.timer = QTimer(interval=10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        self.count += 1


def test_the_search_reads_on_the_task_runner_and_the_newest_text_wins(qtbot, window, sample_pod):
    search = window.section("Patients").search
    held, asked = threading.Event(), []
    real = search._fetch_page

    def slow(text, practice_ids, limit, offset):  # the database busy with the first search
        asked.append(text)
        if text == "smi":
            assert held.wait(10)
        return real(text, practice_ids, limit, offset)

    search._fetch_page = slow
    ticks = Ticks()
    for text in ("smi", "oka", "okaf"):  # typed on while the first is read
        search.search_box.setText(text)
        search.run_search()
    qtbot.wait(100)
    assert ticks.count >= 3  # the window kept turning its event loop meanwhile
    assert asked == ["smi"] and search.searching()
    held.set()
    qtbot.waitUntil(lambda: not search.searching(), timeout=5000)
    assert asked == ["smi", "okaf"]  # "oka" was out of date before it could be read: never read
    assert _listed(search) == ["Okafor, Grace"]
    assert search.summary.text() == "1 patient matches “okaf”."


def test_enter_before_the_answer_opens_the_first_match_of_that_answer(qtbot, window, sample_pod):
    section = window.section("Patients")
    search = section.search
    held = threading.Event()
    real = search._fetch_page
    search._fetch_page = lambda *args: held.wait(10) and real(*args)
    search.search_box.setText("okafor")
    search.run_search()
    search._enter_in_box()  # Enter while it is read: nothing to open yet, not the stale list
    assert section.current_chart() is None
    held.set()
    qtbot.waitUntil(lambda: section.current_chart() is not None, timeout=5000)
    assert section.current_chart().patient_id == sample_pod.grace


def test_a_failing_search_says_so_in_the_summary(qtbot, window):
    search = window.section("Patients").search

    def broken(*_args):
        raise RuntimeError("database is locked")

    search._fetch_page = broken
    search.search_box.setText("smith")
    search.run_search()
    qtbot.waitUntil(lambda: not search.searching(), timeout=5000)
    assert search.model.rowCount() == 0 and not search.model.canFetchMore()
    assert search.summary.text() == "The search could not be run: RuntimeError: database is locked"


def test_more_rows_are_read_on_the_task_runner_as_the_list_scrolls(qtbot, window, sample_pod):
    search = window.section("Patients").search
    real, threads = search._fetch_page, []

    def fetch(*args):
        threads.append(threading.current_thread())
        return real(*args)

    search._fetch_page = fetch
    search.model.page_size = 1  # a page a row: the view asks for the next as it has room
    search.search_box.setText("smith")
    search.run_search()
    qtbot.waitUntil(lambda: search.model.rowCount() == 3 and not search.model.canFetchMore()
                    and window.context.tasks.idle(), timeout=5000)
    assert _listed(search) == ["Smith, Joan", "Smith, John", "Smithers, Jo"]
    assert len(threads) >= 3 and threading.main_thread() not in threads  # every page read off the UI thread


def test_the_chart_opens_without_holding_the_event_loop(qtbot, window, monkeypatch, sample_pod):
    import application.chart as chart_app

    held = threading.Event()
    real = chart_app.read_chart

    def slow(*args, **kwargs):  # a chart read that takes its time
        assert held.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(chart_app, "read_chart", slow)
    section = window.section("Patients")
    ticks = Ticks()
    task = section.open_chart(sample_pod.grace)
    qtbot.wait(100)
    assert ticks.count >= 3 and section.current_chart() is None  # the window answers while it is read
    held.set()
    window.context.tasks.wait_for(task)
    assert section.current_chart().patient_id == sample_pod.grace


def test_chart_tabs_are_built_when_first_shown_with_their_counts_in_the_titles(qtbot, window, sample_pod):
    from ui.chart_tabs import CHART_TABS
    from ui.sections import load_factory

    view = open_chart(window.section("Patients"), sample_pod.grace)
    built = [view.tab_widget(i) is not None for i in range(view.tabs.count())]
    assert built == [True] + [False] * (view.tabs.count() - 1)  # the Summary, shown; no other yet
    for index, spec in enumerate(CHART_TABS):
        _widget, count = load_factory(spec.factory)(window.context, view.chart)
        title = spec.title.replace("&", "&&")
        assert view.tabs.tabText(index) == (title if count is None else f"{title} ({count})")
        tab = view.show_tab(spec.title)
        assert tab is view.tab_widget(index) and tab.isVisible()
    assert "Referrals (" in " ".join(view.tabs.tabText(i) for i in range(view.tabs.count()))


# -- Quality: the rates kept with the recompute ---------------------------------------------------------

@pytest.fixture
def quality_screen(qtbot, engine, pod):
    from ui.quality_screen import QualityScreen

    def make():
        widget = QualityScreen(make_context(engine, "Dana Reyes"))
        widget.context.tasks.changed.connect(widget.apply_changes)  # as the main window does
        qtbot.addWidget(widget)
        widget.resize(1366, 800)
        with qtbot.waitSignal(widget.loaded, timeout=10_000):
            widget.show()
        return widget

    return make


def _row(screen, measure):
    row = next(i for i in range(screen.table.rowCount()) if screen.table.item(i, 0).text() == measure)
    return [screen.table.item(row, c).text() for c in range(screen.table.columnCount())]


def test_quality_shows_the_snapshot_kept_and_says_which_month(qtbot, engine, pod, quality_screen, monkeypatch):
    from storage.queries import quality
    from tests.ui.test_gaps_data import PERIOD

    quality.take_snapshot(engine, dt.date(2025, 10, 1))
    quality.take_snapshot(engine, dt.date(2025, 11, 1))  # the newest month of the period is shown

    def not_computed(*_args, **_kwargs):
        raise AssertionError("the rates were computed from the gaps although a snapshot was kept")

    monkeypatch.setattr(quality, "peer_rates", not_computed)
    screen = quality_screen()
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(pod.practices["CED"]))
    assert screen.period_end() == PERIOD[1]
    assert _row(screen, "CMS125")[:8] == ["CMS125", "Breast Cancer Screening", "1", "3", "33.3 %", "3 of 3",
                                          "66.7 %", "66.7 % (ALD, BIR)"]  # as computed (test_quality_screen)
    assert "The rates of the November 2025 snapshot, kept with the recompute of" in screen.source_label.text()


def test_the_kept_rates_are_ranked_with_the_pods_minimum_as_it_is_now(qtbot, engine, pod, quality_screen):
    from storage.queries import quality
    from storage.queries.pod_settings import write_minimum_denominator

    quality.take_snapshot(engine, dt.date(2025, 11, 1))  # ranked with a minimum of 1
    with engine.begin() as conn:
        write_minimum_denominator(conn, 20)
    screen = quality_screen()
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(pod.practices["CED"]))
    assert _row(screen, "CMS125")[2:8] == ["1", "3", "33.3 % · too few", "not ranked (under 20)", "—", "—"]
    assert "November 2025 snapshot" in screen.source_label.text()


def test_without_a_snapshot_the_rates_are_computed_and_it_says_so(qtbot, engine, pod, quality_screen):
    screen = quality_screen()
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(pod.practices["CED"]))
    assert _row(screen, "CMS125")[4:6] == ["33.3 %", "3 of 3"]
    assert screen.source_label.text() == "Computed from the gaps now: no snapshot of this period's rates was kept."
