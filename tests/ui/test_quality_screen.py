"""The Quality screen and its hand-drawn charts on a small synthetic pod."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtGui import QColor, QImage

from storage import schema as t
from storage.queries import quality
from tests.ui.test_gaps_data import ACTOR, PERIOD
from ui.quality_chart import PeerStripChart, TrendChart
from tests.ui.conftest import make_context
from ui.quality_screen import QualityScreen


@pytest.fixture
def screen(qtbot, engine, pod):
    widget = QualityScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    return widget


def _row(screen, measure):
    row = next(i for i in range(screen.table.rowCount()) if screen.table.item(i, 0).text() == measure)
    return [screen.table.item(row, c).text() for c in range(screen.table.columnCount())]


def _choose_practice(screen, practice_id):
    # the period's rates are computed once; another practice is shown from them at once
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(practice_id))


def test_table_shows_rates_ranks_median_and_best(screen, pod):
    _choose_practice(screen, pod.practices["CED"])
    assert screen.period_end() == PERIOD[1]
    cms125 = _row(screen, "CMS125")
    assert cms125[:7] == ["CMS125", "Breast Cancer Screening", "1", "3", "33.3 %", "3 of 3", "66.7 %"]
    assert cms125[7] == "66.7 % (ALD, BIR)"  # both share the best rate
    cms122 = _row(screen, "CMS122")
    assert cms122[1].endswith("(lower is better)") and cms122[4:6] == ["100.0 %", "3 of 3"]
    assert cms122[7] == "0.0 % (BIR)"


def test_practice_with_zero_denominator_is_unranked(screen, pod):
    _choose_practice(screen, pod.practices["DEN"])
    assert _row(screen, "CMS125")[2:6] == ["0", "0", "—", "—"]


def test_tied_practices_show_the_same_rate_and_median(screen, pod):
    _choose_practice(screen, pod.practices["ALD"])
    ald = _row(screen, "CMS125")
    _choose_practice(screen, pod.practices["BIR"])
    bir = _row(screen, "CMS125")
    assert ald[4] == bir[4] == "66.7 %" and ald[6] == bir[6] == "66.7 %"
    assert ald[5] == bir[5] == "1 of 3"  # equal rates share a rank


def test_strip_chart_gets_every_measure_and_highlights_the_selection(screen, pod):
    _choose_practice(screen, pod.practices["CED"])
    assert [s.label for s in screen.strip.scores] == ["CMS122", "CMS125"]
    screen.table.selectRow(1)
    assert screen.strip.current == "CMS125"
    assert screen.trend.title.startswith("CMS125 by month: CED")


def test_snapshot_button_feeds_the_trend(screen, engine, pod):
    assert screen.trend.points == []
    screen.context.tasks.wait_for(screen.take_snapshot())
    assert "6 practice rates" in screen.status_label.text()
    assert len(screen.trend.points) == 1
    with engine.connect() as conn:
        months = set(conn.scalars(sa.select(t.quality_snapshot.c.month)))
    assert months == {dt.date.today().replace(day=1)}


def test_enter_or_a_double_click_asks_for_that_practices_open_gaps(qtbot, screen, pod):
    from PySide6.QtCore import Qt

    _choose_practice(screen, pod.practices["ALD"])
    row = next(i for i, s in enumerate(screen.scores) if s.measure_id == "CMS125")
    screen.table.setFocus()
    screen.table.setCurrentCell(row, 0)
    with qtbot.waitSignal(screen.open_gaps) as blocker:
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    flt = blocker.args[0]
    assert (flt.measure_id, flt.practice_id, flt.state, flt.period_end) == (
        "CMS125", pod.practices["ALD"], "open", PERIOD[1])
    rect = screen.table.visualRect(screen.table.model().index(row, 1))
    with qtbot.waitSignal(screen.open_gaps) as blocker:  # a double-click is a click, then the second press
        qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0].measure_id == "CMS125"


def test_empty_database_says_what_to_do(qtbot, engine):
    widget = QualityScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.show()
    assert widget.table.rowCount() == 0 and "recompute" in widget.status_label.text()


def _paint(widget, width=900, height=None):
    widget.resize(width, height or widget.sizeHint().height())
    image = QImage(widget.size(), QImage.Format.Format_ARGB32)
    image.fill(0)
    widget.render(image)
    return image


def test_charts_paint_with_data_and_empty_without_warnings(qtbot, engine, pod):
    rates = quality.peer_rates(engine, PERIOD[1])
    scores = quality.practice_scorecard(engine, pod.practices["CED"], PERIOD[1], rates)
    strip = PeerStripChart()
    qtbot.addWidget(strip)
    strip.set_scores(scores, "CMS125")
    image = _paint(strip)
    assert strip.height() == strip.sizeHint().height()
    # the highlighted dot is drawn in the accent colour somewhere on the CMS125 strip
    assert any(image.pixelColor(x, y).name() == "#2c6e8f"
               for x in range(0, image.width(), 2) for y in range(0, image.height(), 2))
    strip.set_scores([])
    _paint(strip)
    trend = TrendChart()
    qtbot.addWidget(trend)
    quality.take_snapshot(engine, dt.date(2025, 5, 1))
    quality.take_snapshot(engine, dt.date(2025, 6, 1))
    trend.set_points(quality.rate_history(engine, pod.practices["CED"], "CMS125"), "CMS125")
    _paint(trend, 500, 260)
    trend.set_points([], "Nothing")
    _paint(trend, 500, 260)


def test_a_first_snapshot_shows_the_pod_median_and_best_beside_the_practice(qtbot):
    """With one month there is no line to draw: the median and best are level marks across the
    practice's dot, at their own heights."""
    trend = TrendChart()
    qtbot.addWidget(trend)
    trend.set_points([quality.TrendPoint(dt.date(2026, 11, 1), 8, 10, 0.8, 0.5, 0.9)], "CMS125")
    image = _paint(trend, 500, 260)
    plot_top, plot_height = 32, 260 - 76
    centre = 46 + (500 - 80) / 2

    def tinted(pixel, colour):  # antialiased: the colour laid at least 40 % over the white ground
        shares = [(255 - p) / (255 - c) for p, c in zip(pixel.getRgb()[:3], QColor(colour).getRgb()[:3])]
        return min(shares) > 0.4 and max(shares) - min(shares) < 0.15

    def drawn_at(rate, colour):  # on the row of the rate or next to it
        y = round(plot_top + plot_height - rate * plot_height)
        return any(tinted(image.pixelColor(round(centre + dx), y + dy), colour)
                   for dx in range(-12, 13) for dy in (-1, 0, 1))

    assert drawn_at(0.5, "#5d6b76")  # the pod median, dashed
    assert drawn_at(0.9, "#4f7d5c")  # the pod best, dotted
    assert drawn_at(0.8, "#2c6e8f")  # the practice's dot
    assert not drawn_at(0.7, "#5d6b76") and not drawn_at(0.7, "#4f7d5c")  # and nothing where there is no rate


def test_a_failed_computation_is_a_message(qtbot, engine, pod, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(quality, "peer_rates", broken)
    widget = QualityScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    assert widget.status_label.text() == "Could not compute the rates: database is locked"
    assert widget.table.rowCount() == 0


def test_nothing_is_computed_before_the_screen_is_shown(qtbot, engine, pod, monkeypatch):
    calls = []
    monkeypatch.setattr(quality, "peer_rates", lambda *a, **k: calls.append(a) or {})
    widget = QualityScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    assert calls == []
