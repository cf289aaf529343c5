"""After-hours call printouts: a practice's morning hand-off sheet and the call record for the
chart (one call per page). Built with reportlab platypus from plain data (never a session).

Every page carries a header naming the practice (and, on a call record, the patient) and a
footer with the generation time, who printed it and "Page x of y".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether, PageBreak, PageTemplate, Paragraph, Spacer,
    Table, TableStyle,
)

ACCENT = colors.HexColor("#2c6e8f")
MUTED = colors.HexColor("#5d6b76")
BORDER = colors.HexColor("#d5dce2")
PANEL = colors.HexColor("#f5f7f9")
ALERT = colors.HexColor("#a8323e")
MARGIN = 0.6 * inch


@dataclasses.dataclass(frozen=True)
class SheetCall:
    """One call on the hand-off sheet, its values already written for people."""

    number: int
    received: str
    patient: str  # name, MRN, birth date — or "Not yet a patient: …"
    caller: str
    reason: str
    disposition: str
    urgent: bool  # 911 or emergency department: set off on the sheet
    action: str  # what the practice must do
    pages: str  # on-call pages, one line each
    acknowledged: str  # "Dr. Patel, 11/02 08:40" or ""


@dataclasses.dataclass(frozen=True)
class HandoffSheet:
    practice: str  # "Oak Family Medicine (OAK)"
    night: str  # "Fri 10/30/2026 17:00 EDT to Mon 11/02/2026 08:00 EST"
    acknowledge_by: str
    counts: list[tuple[str, int]]  # disposition label, calls
    calls: list[SheetCall]
    generated: str  # "12/07/2026 06:40 UTC"
    by: str


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One call's record for the practice's chart, as label/value lines."""

    practice: str
    patient: str  # header line: name · MRN · birth date (or "Caller not yet a patient: …")
    title: str  # "After-hours call of 11/01/2026 01:30 EDT"
    fields: list[tuple[str, str]]
    pages: list[tuple[str, str, str, str]]  # when, clinician, outcome, note
    status: str  # "" or "Entered in error: …"


# --- styles ------------------------------------------------------------------------------------

_base = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_base["Title"], fontSize=16, leading=20, alignment=TA_LEFT, textColor=ACCENT,
                       spaceAfter=4)
SUBTITLE = ParagraphStyle("subtitle", parent=_base["Normal"], fontSize=10, leading=13, textColor=MUTED, spaceAfter=8)
BODY = ParagraphStyle("body", parent=_base["Normal"], fontSize=8.5, leading=10.5)
BODY_BOLD = ParagraphStyle("bodyBold", parent=BODY, fontName="Helvetica-Bold")
HEAD = ParagraphStyle("head", parent=BODY, fontName="Helvetica-Bold", textColor=colors.black)
LABEL = ParagraphStyle("label", parent=BODY, fontSize=9, leading=11.5, textColor=MUTED)
VALUE = ParagraphStyle("value", parent=BODY, fontSize=9.5, leading=12)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """Text as a paragraph: escaped, line breaks kept."""
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


class _Header(Flowable):
    """Zero-size marker: the pages from here on carry this practice and patient in their header."""

    def __init__(self, practice: str, patient: str = ""):
        super().__init__()
        self.practice, self.patient = practice, patient

    def wrap(self, *_args):
        return 0, 0

    def draw(self) -> None:
        self.canv._carepod_header = (self.practice, self.patient)


class _NumberedCanvas(pdf_canvas.Canvas):
    """Keeps every page until the end so each can say 'Page x of y'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            width, _height = self._pagesize
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            self.drawRightString(width - MARGIN, MARGIN / 2, f"Page {number} of {total}")
            super().showPage()
        super().save()


class _Document(BaseDocTemplate):
    def __init__(self, path: str, pagesize, title: str, generated: str, by: str):
        super().__init__(path, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 0.25 * inch,
                         bottomMargin=MARGIN, title=title, author="Carepod", creator="Carepod")
        self.generated, self.by, self.kind = generated, by, title
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate("page", [frame], onPageEnd=self._decorate)])

    def _decorate(self, canv, doc) -> None:
        practice, patient = getattr(canv, "_carepod_header", ("", ""))
        width, height = doc.pagesize
        canv.saveState()
        canv.setStrokeColor(BORDER)
        canv.line(MARGIN, height - MARGIN - 0.05 * inch, width - MARGIN, height - MARGIN - 0.05 * inch)
        canv.setFont("Helvetica-Bold", 9)
        canv.setFillColor(ACCENT)
        canv.drawString(MARGIN, height - MARGIN + 0.05 * inch, f"{self.kind} · {practice}")
        if patient:
            canv.setFont("Helvetica", 9)
            canv.setFillColor(colors.black)
            canv.drawRightString(width - MARGIN, height - MARGIN + 0.05 * inch, patient)
        canv.setFont("Helvetica", 8)
        canv.setFillColor(MUTED)
        canv.drawString(MARGIN, MARGIN / 2, f"Generated {self.generated} by {self.by} · Carepod · confidential "
                                            "patient information")
        canv.restoreState()


def _write(doc: _Document, story: list) -> None:
    folder = os.path.dirname(os.path.abspath(doc.filename))
    os.makedirs(folder, exist_ok=True)
    doc.build(story, canvasmaker=_NumberedCanvas)
    os.chmod(doc.filename, 0o600)  # patient information: for the user who printed it only


# --- the hand-off sheet --------------------------------------------------------------------------------

HANDOFF_COLUMNS = ("#", "Received", "Patient", "Caller", "Reason and symptoms", "Disposition", "The practice must",
                   "On-call pages", "Acknowledged")
HANDOFF_WIDTHS = (0.03, 0.08, 0.14, 0.10, 0.18, 0.09, 0.17, 0.11, 0.10)


def build_handoff_sheet(path: str | os.PathLike, sheet: HandoffSheet) -> None:
    doc = _Document(str(path), landscape(letter), "Morning hand-off", sheet.generated, sheet.by)
    story: list = [_Header(sheet.practice), _p(f"Morning hand-off — {sheet.practice}", TITLE),
                   _p(f"After-hours calls of the night {sheet.night}. Please acknowledge each call by "
                      f"{sheet.acknowledge_by}.", SUBTITLE)]
    if sheet.counts:
        story.append(_p("   ·   ".join(f"{label}: {n}" for label, n in sheet.counts), BODY_BOLD))
        story.append(Spacer(1, 6))
    if not sheet.calls:
        story.append(_p("No after-hours calls for this practice that night.", VALUE))
    else:
        widths = [w * doc.width for w in HANDOFF_WIDTHS]
        rows = [[_p(c, HEAD) for c in HANDOFF_COLUMNS]]
        urgent_rows = []
        for call in sheet.calls:
            rows.append([_p(str(call.number)), _p(call.received), _p(call.patient), _p(call.caller), _p(call.reason),
                         _p(call.disposition, BODY_BOLD if call.urgent else BODY), _p(call.action), _p(call.pages),
                         _p(call.acknowledged or "Not yet")])
            if call.urgent:
                urgent_rows.append(len(rows) - 1)
        table = Table(rows, colWidths=widths, repeatRows=1)
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), PANEL),           # the heading row
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
            ("LINEBELOW", (0, 1), (-1, -1), 0.3, BORDER),     # a hairline between calls
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        for row in urgent_rows:  # 911 and emergency department: a red bar on the left
            style.append(("LINEBEFORE", (0, row), (0, row), 2.5, ALERT))
        table.setStyle(TableStyle(style))
        story.append(table)
    _write(doc, story)


# --- the call record ------------------------------------------------------------------------------------

def build_call_records(path: str | os.PathLike, records: list[CallRecord], *, generated: str, by: str) -> None:
    """One call per page; the header names the practice and the patient of that page."""
    doc = _Document(str(path), letter, "After-hours call record", generated, by)
    story: list = []
    for index, record in enumerate(records):
        if index:
            story.append(PageBreak())
        story += [_Header(record.practice, record.patient), _p(record.title, TITLE),
                  _p(f"{record.practice} · {record.patient}", SUBTITLE)]
        if record.status:
            story.append(_p(record.status, ParagraphStyle("status", parent=VALUE, textColor=ALERT,
                                                          fontName="Helvetica-Bold")))
            story.append(Spacer(1, 4))
        rows = [[_p(label, LABEL), _p(value or "—", VALUE)] for label, value in record.fields]
        table = Table(rows, colWidths=[1.8 * inch, doc.width - 1.8 * inch])
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, BORDER),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        story.append(table)
        story.append(Spacer(1, 8))
        pages_title = _p("Pages of the on-call clinician", ParagraphStyle("h", parent=VALUE, fontName="Helvetica-Bold",
                                                                          textColor=ACCENT))
        if record.pages:
            page_rows = [[_p(h, HEAD) for h in ("Paged at", "Clinician", "Outcome", "Instructions / note")]]
            page_rows += [[_p(a), _p(b), _p(c), _p(d)] for a, b, c, d in record.pages]
            pages = Table(page_rows, colWidths=[w * doc.width for w in (0.2, 0.22, 0.2, 0.38)], repeatRows=1)
            pages.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), PANEL),
                                       ("LINEBELOW", (0, 0), (-1, -1), 0.3, BORDER)]))
            story.append(KeepTogether([pages_title, Spacer(1, 3), pages]))
        else:
            story += [CondPageBreak(0.6 * inch), pages_title, _p("The on-call clinician was not paged.", VALUE)]
    _write(doc, story)


def generated_now() -> str:
    return dt.datetime.now().astimezone().strftime("%m/%d/%Y %H:%M %Z")
