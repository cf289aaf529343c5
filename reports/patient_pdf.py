"""The page frame of Carepod's patient-level printouts, in large readable type.

A printout may hold several documents one after the other (a cover letter, a medication list,
an action plan; one letter per prescriber). Every page carries the patient's name and birth
date and the practice at the top, and at the bottom the document's title, its own "Page x of
y" and when it was prepared. Page numbers are known only once the whole story is laid out, so
the header and footer are drawn when the file is saved (the usual reportlab "numbered canvas").

Type is Helvetica at 13 points for text and 12 for tables (medication-therapy-management
programmes ask for at least 12), black on white, so the pages read well at home and copy well.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate
from xml.sax.saxutils import escape

PAGE = LETTER
MARGIN = 0.75 * inch
FONT, BOLD, ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
TEXT_SIZE, TABLE_SIZE = 13, 12
INK = colors.black
MUTED = colors.HexColor("#333333")
RULE = colors.HexColor("#555555")
SHADE = colors.HexColor("#eeeeee")

STYLES = {
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=18, leading=23, spaceAfter=8, textColor=INK),
    "heading": ParagraphStyle("heading", fontName=BOLD, fontSize=15, leading=19, spaceBefore=10, spaceAfter=6,
                              textColor=INK),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=TEXT_SIZE, leading=18, spaceAfter=8, textColor=INK,
                           alignment=TA_LEFT),
    "label": ParagraphStyle("label", fontName=BOLD, fontSize=TABLE_SIZE, leading=16, textColor=INK),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=TABLE_SIZE, leading=16, textColor=INK),
    "cell_bold": ParagraphStyle("cell_bold", fontName=BOLD, fontSize=TEXT_SIZE + 1, leading=18, textColor=INK),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=11, leading=14, textColor=MUTED),
    "list": ParagraphStyle("list", fontName=FONT, fontSize=TEXT_SIZE, leading=18, leftIndent=22,
                           bulletIndent=6, spaceAfter=4, textColor=INK),
}


def text(value: str) -> str:
    """Plain text made safe for a Paragraph (which reads a little XML)."""
    return escape(value or "").replace("\n", "<br/>")


def para(value: str, style: str = "body") -> Paragraph:
    return Paragraph(text(value), STYLES[style])


def marked(markup: str, style: str = "body") -> Paragraph:
    """A Paragraph of markup the caller built (values already passed through :func:`text`)."""
    return Paragraph(markup, STYLES[style])


def us_date(day: dt.date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


@dataclasses.dataclass(frozen=True)
class Frame:
    """What every page of a printout shows around its text."""

    patient: str  # "Grace Okafor"
    birth_date: dt.date
    practice: str
    prepared_at: dt.datetime  # local time of the practice


class DocumentStart(Flowable):
    """Marks where a document of the printout starts (draws nothing): its title goes in the
    footer of its pages and its pages are counted on their own."""

    def __init__(self, title: str):
        super().__init__()
        self.title = title

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.start_document(self.title)


class _Canvas(pdf_canvas.Canvas):
    """Keeps each page until the end, then draws every header and footer knowing the counts."""

    frame: Frame

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._titles: list[str] = []  # the document each kept page belongs to
        self._current = ""

    def start_document(self, title: str) -> None:
        self._current = title

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._titles.append(self._current)
        self._startPage()

    def save(self):
        totals: dict[int, int] = {}
        starts: list[int] = []
        for index, title in enumerate(self._titles):
            if index == 0 or title != self._titles[index - 1]:
                starts.append(index)
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else len(self._titles)
            for index in range(start, end):
                totals[index] = (index - start + 1, end - start)
        for index, state in enumerate(self._pages):
            self.__dict__.update(state)
            page, count = totals[index]
            self._decorate(self._titles[index], page, count)
            super().showPage()
        super().save()

    def _decorate(self, title: str, page: int, count: int) -> None:
        frame = self.frame
        width, height = PAGE
        top = height - MARGIN + 18
        self.setFillColor(INK)
        self.setFont(BOLD, 12)
        self.drawString(MARGIN, top, f"{frame.patient}")
        self.setFont(FONT, 12)
        self.drawString(MARGIN + self.stringWidth(frame.patient + "  ", BOLD, 12), top,
                        f"Date of birth {us_date(frame.birth_date)}")
        self.drawRightString(width - MARGIN, top, frame.practice)
        self.setStrokeColor(RULE)
        self.setLineWidth(0.6)
        self.line(MARGIN, top - 6, width - MARGIN, top - 6)
        bottom = MARGIN - 26
        self.line(MARGIN, bottom + 14, width - MARGIN, bottom + 14)
        self.setFont(FONT, 11)
        self.drawString(MARGIN, bottom, f"{title} · Page {page} of {count}")
        self.drawRightString(width - MARGIN, bottom,
                             f"Prepared {frame.prepared_at.strftime('%m/%d/%Y %I:%M %p').replace(' 0', ' ')}")


def build(path: str, frame: Frame, story: Sequence[Flowable], *, title: str, author: str = "") -> int:
    """Write the story to ``path`` in the frame; returns the number of pages."""
    doc = SimpleDocTemplate(path, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 10,
                            bottomMargin=MARGIN + 4, title=title, author=author or "Carepod",
                            subject=f"{title} for {frame.patient}", creator="Carepod")
    made: list[_Canvas] = []

    def canvas_maker(*args, **kwargs):
        canvas = _Canvas(*args, **kwargs)
        canvas.frame = frame
        made.append(canvas)
        return canvas

    doc.build(list(story), canvasmaker=canvas_maker)
    return len(made[-1]._pages) if made else 0


def frame_width() -> float:
    return PAGE[0] - 2 * MARGIN - 12  # the frame keeps 6 points of padding each side
