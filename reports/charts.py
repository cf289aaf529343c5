"""Charts for printed reports: each is a reportlab ``Drawing``, so it drops into a story like any
flowable (after reportlab's own chart samples)."""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.attrmap import AttrMap, AttrMapValue
from reportlab.lib.validators import isNumber
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports.base import ACCENT, FONT, FONT_BOLD, MUTED, RULE, TEXT, percent_text, register_fonts, wrap_text

BEST = colors.HexColor("#4f7d5c")  # the best practice's mark, as on the Quality screen
MEDIAN = TEXT
TRACK = colors.HexColor("#eef2f5")


@dataclasses.dataclass(frozen=True)
class ComparisonRow:
    """One measure (group) of :class:`PeerComparisonChart`."""

    label: str  # "CMS138 · 2"
    caption: str  # a few words under the label ("Tobacco cessation")
    rate: float | None  # the practice's; None: nobody in its denominator
    pod_median: float | None
    pod_best: float | None
    inverse: bool = False  # lower is better (CMS122)


class PeerComparisonChart(Drawing):
    """Per measure, a 0–100 % track: the practice's rate as a bar, the pod median as a dark
    tick, the pod's best rate as a green diamond; the practice's rate written at the right.
    Inverse measures say "lower is better" under their label."""

    _attrMap = AttrMap(BASE=Drawing, font_size=AttrMapValue(isNumber, desc="the labels' size, points"),
                       _caption_width=AttrMapValue(isNumber, desc="the width a caption wraps in"))

    def __init__(self, rows: Sequence[ComparisonRow], width: float, *, practice: str = "This practice",
                 font_size: float = 8.0):
        register_fonts()
        row_height = font_size * 4.3  # the label and two lines of caption
        legend_height = font_size * 2.6
        axis_height = font_size * 2.0
        super().__init__(width, legend_height + len(rows) * row_height + axis_height)
        self.font_size = font_size
        label_width = width * 0.3
        self._caption_width = label_width - 10
        value_width = stringWidth("100.0 %", FONT_BOLD, font_size) + 10
        left, right = label_width, width - value_width
        top = self.height - legend_height
        self._legend(practice, left, self.height - font_size * 1.3)
        for index, row in enumerate(rows):
            y = top - (index + 1) * row_height  # the row's bottom
            self._row(row, y, row_height, left, right)
        self._axis(left, right, top - len(rows) * row_height)

    def _x(self, rate: float, left: float, right: float) -> float:
        return left + max(0.0, min(1.0, rate)) * (right - left)

    def _legend(self, practice: str, left: float, y: float) -> None:
        size = self.font_size
        x = left
        self.add(Rect(x, y - size * 0.15, size * 1.6, size * 0.8, fillColor=ACCENT, strokeColor=None))
        x += size * 2.0
        self.add(String(x, y, practice, fontName=FONT, fontSize=size, fillColor=TEXT))
        x += stringWidth(practice, FONT, size) + size * 1.6
        self.add(Line(x + size * 0.4, y - size * 0.35, x + size * 0.4, y + size * 0.95, strokeColor=MEDIAN,
                      strokeWidth=1.8))
        x += size * 1.2
        self.add(String(x, y, "Pod median", fontName=FONT, fontSize=size, fillColor=TEXT))
        x += stringWidth("Pod median", FONT, size) + size * 1.6
        self.add(_diamond(x + size * 0.4, y + size * 0.3, size * 0.5))
        x += size * 1.2
        self.add(String(x, y, "Best in pod", fontName=FONT, fontSize=size, fillColor=TEXT))

    def _row(self, row: ComparisonRow, y: float, height: float, left: float, right: float) -> None:
        size = self.font_size
        middle = y + height / 2
        label_y = middle + size * 0.75
        self.add(String(0, label_y, row.label, fontName=FONT_BOLD, fontSize=size, fillColor=TEXT))
        if row.inverse:
            self.add(String(stringWidth(row.label + "  ", FONT_BOLD, size), label_y, "lower is better",
                            fontName=FONT_BOLD, fontSize=size * 0.85, fillColor=ACCENT))
        for number, line in enumerate(_caption_lines(row.caption, size * 0.85, self._caption_width)):
            self.add(String(0, label_y - size * 1.1 * (number + 1), line, fontName=FONT, fontSize=size * 0.85,
                            fillColor=MUTED))
        bar = height * 0.42
        self.add(Rect(left, middle - bar / 2, right - left, bar, fillColor=TRACK, strokeColor=None))
        if row.rate is not None:
            self.add(Rect(left, middle - bar / 2, self._x(row.rate, left, right) - left, bar,
                          fillColor=ACCENT, strokeColor=None))
        if row.pod_median is not None:
            x = self._x(row.pod_median, left, right)
            self.add(Line(x, middle - bar * 0.95, x, middle + bar * 0.95, strokeColor=MEDIAN, strokeWidth=1.8))
        if row.pod_best is not None:
            self.add(_diamond(self._x(row.pod_best, left, right), middle, bar * 0.62))
        value = percent_text(row.rate) if row.rate is not None else "no rate"
        self.add(String(self.width, middle - size * 0.35, value, fontName=FONT_BOLD if row.rate is not None else FONT,
                        fontSize=size, fillColor=TEXT if row.rate is not None else MUTED, textAnchor="end"))

    def _axis(self, left: float, right: float, y: float) -> None:
        size = self.font_size
        for tick in (0, 25, 50, 75, 100):
            x = self._x(tick / 100, left, right)
            self.add(Line(x, y, x, y + size * 0.4, strokeColor=MUTED, strokeWidth=0.6))
            self.add(String(x, y - size * 1.1, f"{tick} %", fontName=FONT, fontSize=size * 0.85, fillColor=MUTED,
                            textAnchor="middle"))
        self.add(Line(left, y + size * 0.4, right, y + size * 0.4, strokeColor=RULE, strokeWidth=0.6))


def _caption_lines(text: str, size: float, width: float, most: int = 2) -> list[str]:
    """The caption in at most two lines; the full title is in the table above the chart."""
    lines = wrap_text(text, FONT, size, width).split("\n")
    if len(lines) > most:
        last = lines[most - 1]
        while last and stringWidth(last + " …", FONT, size) > width:
            last = last[:-1]
        lines = lines[: most - 1] + [last.rstrip() + " …"]
    return lines


def _diamond(x: float, y: float, r: float) -> Polygon:
    return Polygon([x, y + r, x + r, y, x, y - r, x - r, y], fillColor=BEST, strokeColor=colors.white, strokeWidth=0.6)
