"""A printed page of Carepod: a header naming the practice (and patient), a footer with
"Page x of y", who printed it and when; the story is built by each document.

Interim home of the workflow printouts' page (the day sheet, the referral letter) until the
pod's report base (``reports/base.py``) is there to build on. Plain data in, a PDF file out:
no database, no screens.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle

ACCENT = colors.HexColor("#2c6e8f")
MUTED = colors.HexColor("#5d6b76")
RULE = colors.HexColor("#d5dce2")
ALERT = colors.HexColor("#a8323e")
MARGIN = 0.6 * inch

_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], fontSize=16, leading=20, alignment=TA_LEFT,
                            textColor=ACCENT, spaceAfter=4),
    "heading": ParagraphStyle("heading", parent=_base["Heading2"], fontSize=11.5, leading=14, textColor=ACCENT,
                              spaceBefore=10, spaceAfter=4),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=9.5, leading=12.5),
    "small": ParagraphStyle("small", parent=_base["BodyText"], fontSize=8.5, leading=10.5),
    "muted": ParagraphStyle("muted", parent=_base["BodyText"], fontSize=8.5, leading=10.5, textColor=MUTED),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontSize=8.5, leading=10.5),
    "cell_bold": ParagraphStyle("cell_bold", parent=_base["BodyText"], fontSize=8.5, leading=10.5,
                                fontName="Helvetica-Bold"),
}


def para(text: str, style: str = "body") -> Paragraph:
    """Plain text (escaped) as a paragraph; line breaks kept."""
    return Paragraph(escape(text or "").replace("\n", "<br/>"), STYLES[style])


@dataclasses.dataclass(frozen=True)
class PageHeading:
    title: str  # "Day sheet", "Referral to Cardiology"
    practice: str  # "Oak Family Medicine (OAK)" or "Practices: OAK, ELM"
    patient: str = ""  # "Okafor, Grace · MRN M001 · DOB 02/28/1951" on patient printouts
    printed_by: str = ""
    printed_at: dt.datetime | None = None  # naive UTC


class _NumberedDoc(BaseDocTemplate):
    """Draws each page's header and footer; the page count is known once the story is laid
    out, so the document is built twice (reportlab's usual two passes)."""

    def __init__(self, path: str, heading: PageHeading, landscape: bool = False):
        size = (letter[1], letter[0]) if landscape else letter
        super().__init__(path, pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 28,
                         bottomMargin=MARGIN + 14, title=heading.title, author="Carepod",
                         subject=heading.practice)
        self.heading = heading
        self.page_count = 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas, doc) -> None:
        width, height = doc.pagesize
        h = self.heading
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.setFillColor(ACCENT)
        canvas.drawString(MARGIN, height - MARGIN, h.practice)
        canvas.setFont("Helvetica", 9)
        canvas.setFillColor(colors.black)
        if h.patient:
            canvas.drawRightString(width - MARGIN, height - MARGIN, h.patient)
        canvas.setStrokeColor(RULE)
        canvas.line(MARGIN, height - MARGIN - 6, width - MARGIN, height - MARGIN - 6)
        canvas.line(MARGIN, MARGIN + 4, width - MARGIN, MARGIN + 4)
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(MUTED)
        printed = h.printed_at.replace(tzinfo=dt.timezone.utc).astimezone() if h.printed_at else None
        left = "Carepod · " + (f"printed {printed:%m/%d/%Y %H:%M}" if printed else "")
        if h.printed_by:
            left += f" by {h.printed_by}"
        canvas.drawString(MARGIN, MARGIN - 6, left)
        canvas.drawString(MARGIN, MARGIN - 16, "Confidential patient information")
        total = self.page_count or doc.page
        canvas.drawRightString(width - MARGIN, MARGIN - 6, f"Page {doc.page} of {total}")
        canvas.restoreState()


def build(path: str | Path, heading: PageHeading, story_factory, *, landscape: bool = False) -> int:
    """Lay out ``story_factory()`` (a fresh list of flowables each pass) into ``path``; returns
    the page count. Written to a temporary file first, so a failed build leaves no half a PDF."""
    target = Path(path)
    temporary = target.with_name(target.name + ".part")
    try:
        first = _NumberedDoc(str(temporary), heading, landscape)
        first.build(story_factory())
        pages = first.page
        final = _NumberedDoc(str(temporary), heading, landscape)
        final.page_count = pages
        final.build(story_factory())
        temporary.replace(target)
    finally:
        if temporary.exists():
            temporary.unlink()
    return pages


def grid(rows: list[list], widths: list[float], *, header: bool = True, alert_rows: tuple[int, ...] = (),
         zebra: bool = True) -> Table:
    """A table of cells with the app's look: widths as fractions of the frame's width."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
    ]
    if header:
        commands += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f5f7f9")),
                     ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT)]
    if zebra:
        start = 1 if header else 0
        commands += [("BACKGROUND", (0, i), (-1, i), colors.HexColor("#f8fafb"))
                     for i in range(start + 1, len(rows), 2)]
    commands += [("TEXTCOLOR", (0, i), (-1, i), ALERT) for i in alert_rows]
    table.setStyle(TableStyle(commands))
    return table


def checkbox(size: float = 8) -> Drawing:
    """An empty box to tick by hand."""
    box = Drawing(size + 1, size + 1)
    box.add(Rect(0.5, 0.5, size, size, fillColor=None, strokeColor=colors.black, strokeWidth=0.7))
    return box
