"""The patient-level printouts of medication reviews, on the report base (:mod:`reports.base`) in
its large type.

A printout may hold several documents one after the other (a cover letter, an action plan, a
medication list; one letter per prescriber). The base's header puts the practice, the printout's
title and the patient's name, birth date and MRN on every page; the footer here numbers each
document's pages on their own ("Medication Action Plan · Page 1 of 2"), as patients get them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph

from reports.base import (
    FONT, FONT_BOLD, LARGE_SIZE, MARGIN, PAGE_SIZE, Heading, PatientLine, Report, ReportStyles, date_text,
    datetime_text,
)

INK = colors.HexColor("#1f2a33")
RULE = colors.HexColor("#555555")
SHADE = colors.HexColor("#eeeeee")
_BASE = ReportStyles.at(LARGE_SIZE)  # body 14 points, table cells 12.6


def _style(name: str, parent: ParagraphStyle, **changes) -> ParagraphStyle:
    return ParagraphStyle(name, parent=parent, **changes)


STYLES = {
    "title": _style("mtm-title", _BASE.body, fontName=FONT_BOLD, fontSize=18, leading=23, spaceAfter=8),
    "heading": _style("mtm-heading", _BASE.body, fontName=FONT_BOLD, fontSize=16, leading=20, spaceBefore=10,
                      spaceAfter=6),
    "body": _style("mtm-body", _BASE.body, fontSize=13, leading=18, spaceAfter=8),
    "cell": _style("mtm-cell", _BASE.cell, fontSize=12, leading=16),
    "cell_bold": _style("mtm-cell-bold", _BASE.cell, fontName=FONT_BOLD, fontSize=14, leading=18),
    "small": _style("mtm-small", _BASE.note, fontSize=12, leading=15),
    "list": _style("mtm-list", _BASE.body, fontSize=13, leading=18, leftIndent=22, spaceAfter=4),
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
    return date_text(day)


@dataclasses.dataclass(frozen=True)
class Frame:
    """Who and what every page is about."""

    patient: str  # "Grace Okafor"
    birth_date: dt.date
    practice: str
    prepared_at: dt.datetime  # aware, on the practice's clock
    mrn: str = ""


class DocumentStart(Flowable):
    """Marks where a document of the printout starts (draws nothing): its title goes in the
    footer of its pages and its pages are counted on their own."""

    def __init__(self, title: str):
        super().__init__()
        self.title = title

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.carepod_document = self.title  # kept with each page's state until the footers


class PatientPrintout(Report):
    """A story of one or more documents about one patient, in large type."""

    def __init__(self, frame: Frame, story: Sequence[Flowable], *, title: str, author: str = ""):
        super().__init__(Heading(title, practice=frame.practice, patient=PatientLine(frame.patient, frame.birth_date,
                                                                                     frame.mrn),
                                 generated_by=author, generated_at=frame.prepared_at), large_type=True)
        self._story = list(story)
        self.pages = 0

    def get_story(self) -> list[Flowable]:
        return self._story

    def _draw_footer(self, canvas: Canvas, number: int, total: int) -> None:
        """Each document's own "Page x of y", after its title."""
        titles = [page.get("carepod_document", "") for page in canvas._pages]
        title = titles[number - 1]
        first = number - 1
        while first > 0 and titles[first - 1] == title:
            first -= 1
        last = number - 1
        while last + 1 < total and titles[last + 1] == title:
            last += 1
        self.pages = total
        width, _height = canvas._pagesize
        label = f"{title}, page {number - first} of {last - first + 1}" if title else f"Page {number} of {total}"
        # beside the base's "Generated … by …" on the same line, in the room it leaves
        info = self.heading_info
        generated = f"Generated {datetime_text(self.generated_at)}" + (f" by {info.generated_by}" if info.generated_by else "")
        generated += " · Confidential patient information"
        inner = width - 2 * MARGIN
        used = min(stringWidth(generated, FONT, self.styles.footer.fontSize), inner * 0.78)
        size = self.styles.footer.fontSize
        while size > 5 and stringWidth(label, FONT_BOLD, size) > inner - used - 12:
            size -= 0.25
        canvas.saveState()
        canvas.setFont(FONT_BOLD, size)
        canvas.setFillColor(INK)
        canvas.drawRightString(width - MARGIN, MARGIN * 0.7 + self.styles.footer.leading * 0.6, label)
        canvas.restoreState()


def build(path: str, frame: Frame, story: Sequence[Flowable], *, title: str, author: str = "") -> int:
    """Write the story to ``path`` (whole or not at all); returns the number of pages."""
    printout = PatientPrintout(frame, story, title=title, author=author)
    printout.write(path)
    return printout.pages


def frame_width() -> float:
    """The width of the base's portrait frame (Letter less its margins, no padding)."""
    return PAGE_SIZE[0] - 2 * MARGIN


__all__ = ["FONT", "FONT_BOLD", "INK", "RULE", "SHADE", "STYLES", "DocumentStart", "Frame", "PatientPrintout",
           "build", "frame_width", "marked", "para", "text", "us_date"]
