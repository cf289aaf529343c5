"""Two small hand-drawn charts for the Quality screen (QtCharts is not installed).

``PeerStripChart``: per measure a horizontal 0–100 % strip with every practice's
rate as a dot, the pod median as a tick and the chosen practice highlighted.
``TrendChart``: the chosen practice's monthly rate beside the pod median and best.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from application.quality import MeasureScore, TrendPoint
from ui.style import ACCENT, BORDER, MUTED, TEXT

PEER = QColor("#9aa6b0")
BEST = QColor("#4f7d5c")
LONE_MARK = 16.0  # half the width of a median or best mark for a month with no neighbour
ROW_HEIGHT = 46
LABEL_WIDTH = 230
VALUE_WIDTH = 64
AXIS_HEIGHT = 26
TICKS = (0, 25, 50, 75, 100)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


class PeerStripChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("peerStripChart")
        self.scores: list[MeasureScore] = []
        self.current: str | None = None  # the label of the measure picked in the table
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(LABEL_WIDTH + VALUE_WIDTH + 200)

    def set_scores(self, scores: list[MeasureScore], current: str | None = None) -> None:
        self.scores, self.current = list(scores), current
        self.updateGeometry()
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:
        rows = max(len(self.scores), 1)
        return QSize(LABEL_WIDTH + VALUE_WIDTH + 420, AXIS_HEIGHT + rows * ROW_HEIGHT + 28)

    def _x(self, rate: float, left: float, width: float) -> float:
        return left + max(0.0, min(1.0, rate)) * width

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        left = LABEL_WIDTH
        width = max(self.width() - LABEL_WIDTH - VALUE_WIDTH - 16, 50)
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1.5, 7))
        metrics = QFontMetrics(self.font())
        if not self.scores:
            painter.setPen(QColor(MUTED))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No rates for this period")
            return
        # axis: percent ticks over every strip
        painter.setFont(small)
        bottom = AXIS_HEIGHT + len(self.scores) * ROW_HEIGHT
        for tick in TICKS:
            x = self._x(tick / 100, left, width)
            painter.setPen(QPen(QColor("#edf0f2"), 1))
            painter.drawLine(QPointF(x, AXIS_HEIGHT - 4), QPointF(x, bottom))
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(x - 30, 4, 60, AXIS_HEIGHT - 8), Qt.AlignmentFlag.AlignCenter, f"{tick} %")
        for row, score in enumerate(self.scores):
            top = AXIS_HEIGHT + row * ROW_HEIGHT
            mid = top + ROW_HEIGHT / 2
            if score.label == self.current:
                painter.fillRect(QRectF(0, top + 2, self.width(), ROW_HEIGHT - 4), QColor("#f2f7fa"))
            self._label(painter, score, QRectF(8, top, LABEL_WIDTH - 16, ROW_HEIGHT), small, metrics)
            painter.setPen(QPen(QColor(BORDER), 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawLine(QPointF(left, mid), QPointF(left + width, mid))
            mine = score.mine
            painter.setPen(Qt.PenStyle.NoPen)
            for peer in score.peers:
                if peer.rate is None or peer.practice_id == mine.practice_id:
                    continue
                painter.setBrush(BEST if peer.rank == 1 else PEER)
                painter.drawEllipse(QPointF(self._x(peer.rate, left, width), mid), 4.5, 4.5)
            painter.setFont(small)
            if mine.rate is not None:
                x = self._x(mine.rate, left, width)
                painter.setBrush(QColor(ACCENT))
                painter.setPen(QPen(QColor("white"), 2))
                painter.drawEllipse(QPointF(x, mid), 7.5, 7.5)
            if mine.pod_median is not None:
                # drawn last, and longer than the dots are tall, so a practice at the median leaves it visible
                x = self._x(mine.pod_median, left, width)
                painter.setPen(QPen(QColor(TEXT), 2))
                painter.drawLine(QPointF(x, mid - 14), QPointF(x, mid - 9))
                painter.drawLine(QPointF(x, mid + 9), QPointF(x, mid + 14))
            painter.setPen(QColor(TEXT if mine.rate is not None else MUTED))
            painter.drawText(QRectF(left + width + 10, top, VALUE_WIDTH, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, percent(mine.rate))
        self._legend(painter, small, bottom + 6, left)

    def _label(self, painter, score: MeasureScore, rect: QRectF, small: QFont, metrics: QFontMetrics) -> None:
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(TEXT))
        top = QRectF(rect.left(), rect.top() + 5, rect.width(), rect.height() / 2 - 3)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, score.label)
        painter.setFont(small)
        if score.inverse:  # beside the id, where it is never elided: a low rate is the good one
            after = QFontMetrics(bold).horizontalAdvance(score.label + "  ")
            painter.setPen(QColor(ACCENT))
            painter.drawText(top.adjusted(after, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             "▼ lower is better")
        painter.setPen(QColor(MUTED))
        elided = QFontMetrics(small).elidedText(score.title, Qt.TextElideMode.ElideRight, int(rect.width()))
        painter.drawText(QRectF(rect.left(), rect.top() + rect.height() / 2, rect.width(),
                                rect.height() / 2 - 4),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, elided)

    def _legend(self, painter, font: QFont, y: float, x: float) -> None:
        painter.setFont(font)
        metrics = QFontMetrics(font)
        items = ((QColor(ACCENT), "this practice", "dot"), (PEER, "other practices", "dot"),
                 (BEST, "best practice", "dot"), (QColor(TEXT), "pod median", "tick"))
        for colour, text, shape in items:
            if shape == "dot":
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawEllipse(QPointF(x + 5, y + 8), 4.5, 4.5)
            else:
                painter.setPen(QPen(colour, 2))
                painter.drawLine(QPointF(x + 5, y + 1), QPointF(x + 5, y + 15))
            painter.setPen(QColor(MUTED))
            painter.drawText(QPointF(x + 14, y + 8 + metrics.ascent() / 2 - 1), text)
            x += 24 + metrics.horizontalAdvance(text)


class TrendChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trendChart")
        self.points: list[TrendPoint] = []
        self.title = ""
        self.setMinimumSize(320, 200)

    def set_points(self, points: list[TrendPoint], title: str) -> None:
        self.points, self.title = list(points), title
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 240)

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1.5, 7))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(QColor(TEXT))
        painter.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, self.title)
        plot = QRectF(46, 32, max(self.width() - 80, 40), max(self.height() - 76, 40))
        painter.setFont(small)
        if not self.points:
            painter.setPen(QColor(MUTED))
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                             "No monthly snapshots yet.\nThe trend appears once snapshots are taken.")
            return
        for tick in TICKS:
            y = plot.bottom() - tick / 100 * plot.height()
            painter.setPen(QPen(QColor("#edf0f2"), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(0, y - 8, plot.left() - 6, 16),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{tick} %")
        count = len(self.points)

        def x_of(i: int) -> float:
            return plot.center().x() if count == 1 else plot.left() + i * plot.width() / (count - 1)

        step = max(1, count // 8)  # keep month labels from overlapping
        for i, point in enumerate(self.points):
            if i % step == 0 or i == count - 1:
                # keep the first and last labels inside the widget
                centre = min(max(x_of(i), 34.0), self.width() - 34.0)
                painter.drawText(QRectF(centre - 34, plot.bottom() + 4, 68, 16), Qt.AlignmentFlag.AlignCenter,
                                 point.month.strftime("%b %Y"))
        series = ((lambda p: p.pod_best, BEST, Qt.PenStyle.DotLine, "pod best"),
                  (lambda p: p.pod_median, QColor(MUTED), Qt.PenStyle.DashLine, "pod median"),
                  (lambda p: p.rate, QColor(ACCENT), Qt.PenStyle.SolidLine, "this practice"))
        for value_of, colour, style, _name in series:
            values = [value_of(point) for point in self.points]
            path = QPainterPath()
            for i, value in enumerate(values):
                if value is None:
                    continue
                at = QPointF(x_of(i), plot.bottom() - value * plot.height())
                joined = i > 0 and values[i - 1] is not None
                path.lineTo(at) if joined else path.moveTo(at)
                if style == Qt.PenStyle.SolidLine:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(colour)
                    painter.drawEllipse(at, 3.5, 3.5)
                elif not joined and (i + 1 == count or values[i + 1] is None):
                    # a month on its own (the first snapshot): a short level mark, not an invisible point
                    path.moveTo(at.x() - LONE_MARK, at.y())
                    path.lineTo(at.x() + LONE_MARK, at.y())
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(colour, 2.5 if style == Qt.PenStyle.SolidLine else 1.5, style))
            painter.drawPath(path)
        x, y = plot.left(), self.height() - 18
        metrics = QFontMetrics(small)
        for _value_of, colour, style, name in reversed(series):
            painter.setPen(QPen(colour, 2, style))
            painter.drawLine(QPointF(x, y), QPointF(x + 18, y))
            painter.setPen(QColor(MUTED))
            painter.drawText(QPointF(x + 22, y + metrics.ascent() / 2 - 1), name)
            x += 34 + metrics.horizontalAdvance(name)
