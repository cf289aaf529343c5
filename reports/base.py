"""The report base: every printed Carepod document is a :class:`Report`.

After pretix's PDF exporters and reportlab's platypus. A report is given plain data (frozen
dataclasses from the application layer, never a session) and a :class:`Heading`; it overrides
:meth:`Report.get_story` and returns flowables. The base supplies the rest:

- one document template with two page templates (``portrait`` and ``landscape``, switch with
  ``NextPageTemplate("landscape")``); Letter paper, the US clinics' size;
- a header on every page (practice, period, what the document is, and for a patient's
  document the patient's name, birth date and MRN) and a footer (when and by whom it was
  generated, "Page x of y");
- one font family registered once per process, DejaVu Sans shipped in ``reports/fonts`` (it
  has every character of names like "Zoë Müller-Łukasik", "≥" and "—"; reportlab's own
  Vera has neither Ł nor ≥);
- paragraph styles at a normal size, or a large type for patients' printouts
  (``large_type=True``);
- tables as :class:`PagedTable`: column widths as fractions of the frame, header rows repeated
  on every page, long cells wrapped (never cut or run over), and split page by page in
  linear time (reportlab's ``Table`` measures every remaining row again at each page break,
  which is quadratic: minutes for a table of 60,000 rows); the style is a commented command
  list (:func:`table_style`);
- charts are :class:`reportlab.graphics.shapes.Drawing` subclasses (``reports/charts.py``),
  which drop into the story like any flowable.

A subclass::

    class CallRecord(Report):
        def __init__(self, call: CallRecordData, heading: Heading):
            super().__init__(heading, large_type=False)
            self.call = call

        def get_story(self):
            rows = [(datetime_text(step.at), step.by, step.what) for step in self.call.steps]
            return [*self.title_block(subtitle=f"Call of {datetime_text(self.call.received_at)}"),
                    *self.section("Reason"), self.paragraph(self.call.reason),
                    *self.section("What was done"),
                    self.table(("Time", "Who", "What"), rows, ("fit", 0.3, 0.7))]

    CallRecord(call, Heading("After-hours call record", practice="Riverside Family Practice (RFP)",
                             period="Night of 03/05/2026", patient=PatientLine(name, birth_date, mrn),
                             generated_by=pod.actor())).write(path)

Every string given to :meth:`Report.paragraph`, :meth:`Report.table` and the heading is
plain text (escaped here); markup goes only through :meth:`Report.markup`. Tests read a
report back with ``tests/pdf_text.py`` (text per page, text runs with their positions).
Look at the pages too: ``pdftoppm -png -r 60 file.pdf page``.
"""
from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import os
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import partial
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import landscape as landscape_of
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily, stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate, Paragraph, Spacer, Table,
)
from reportlab.platypus.flowables import HRFlowable

from domain.errors import DomainError

__all__ = [
    "ACCENT", "ACCENT_LIGHT", "FONT", "FONT_BOLD", "FONT_ITALIC", "Heading", "MUTED", "PagedTable",
    "PatientLine", "Report", "ReportStyles", "ReportWriteFailed", "RULE", "TEXT", "ZEBRA", "count_text",
    "date_text", "datetime_text", "missing_glyphs", "percent_text", "register_fonts", "table_style", "wrap_text",
    "write_pdf",
]

# --- the look: the app's palette (ui/style.py), so a printout looks like the screen it came from
ACCENT = colors.HexColor("#2c6e8f")
ACCENT_LIGHT = colors.HexColor("#e3eef4")
TEXT = colors.HexColor("#1f2a33")
MUTED = colors.HexColor("#5d6b76")
RULE = colors.HexColor("#d5dce2")
ZEBRA = colors.HexColor("#f5f7f9")
WARN = colors.HexColor("#a8323e")

PAGE_SIZE = letter
MARGIN = 0.6 * inch
PAD_H = 4.0  # a table cell's left and right padding, points
PAD_V = 2.5  # its top and bottom padding

# --- fonts: one family, registered once per process ----------------------------------------------
FONTS_DIR = Path(__file__).with_name("fonts")
FONT, FONT_BOLD, FONT_ITALIC, FONT_BOLD_ITALIC = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique")
_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf",
               FONT_ITALIC: "DejaVuSans-Oblique.ttf", FONT_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf"}
_fonts_lock = threading.Lock()
_fonts_registered = False


def register_fonts() -> None:
    """Register the report font family with reportlab (once; safe from several threads)."""
    global _fonts_registered
    with _fonts_lock:
        if _fonts_registered:
            return
        for name, file in _FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / file)))
        # <b> and <i> in paragraph markup pick the family's bold and oblique faces
        registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD_ITALIC)
        _fonts_registered = True


def missing_glyphs(text: str, font: str = FONT) -> set[str]:
    """The characters of ``text`` the report font cannot draw (it would print a box)."""
    register_fonts()
    glyphs = pdfmetrics.getFont(font).face.charToGlyph
    return {ch for ch in text if not ch.isspace() and ord(ch) not in glyphs}


# --- values as a report writes them (the same forms as the screens: ui/format.py) ---------------------
DATE_FORMAT = "%m/%d/%Y"  # US clinics read 03/04/1957


def date_text(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime(DATE_FORMAT)


def datetime_text(value: dt.datetime | None) -> str:
    """An instant in local time ("03/05/2026 14:03 EST"); a naive value is taken as UTC, as stored."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone()
    return f"{local:{DATE_FORMAT} %H:%M} {local.tzname() or ''}".rstrip()


def percent_text(rate: float | None) -> str:
    """A rate as the Quality screen shows it: "72.4 %", or "—" when there is none."""
    return "—" if rate is None else f"{rate * 100:.1f} %"


def count_text(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


# --- what every page says ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PatientLine:
    """The patient a document is about: shown on every page, so a loose page finds its owner."""

    name: str
    birth_date: dt.date | None
    mrn: str = ""

    def text(self) -> str:
        parts = [self.name]
        if self.birth_date:
            parts.append(f"born {date_text(self.birth_date)}")
        if self.mrn:
            parts.append(f"MRN {self.mrn}")
        return " · ".join(parts)


@dataclasses.dataclass(frozen=True)
class Heading:
    """What the header and footer of every page say."""

    title: str  # what the document is: "Practice quality report"
    practice: str = ""  # whom it is for: "Riverside Family Practice (RFP)"; "" for a pod-wide document
    period: str = ""  # what time it covers: "Measurement year 2026 · as of March 2026"
    patient: PatientLine | None = None  # a patient's document: name and birth date on every page
    generated_by: str = ""  # the staff member who printed it
    generated_at: dt.datetime | None = None  # default: now (local time)
    pod: str = "Carepod"  # the footer's last word: the pod or organisation


class ReportWriteFailed(DomainError):
    """The PDF could not be written (a full disk, a folder without write access); the message
    names the file and the reason, fit to show the user."""


# --- styles ---------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ReportStyles:
    """The paragraph styles of one report, at its type size."""

    size: float  # body text, points
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle  # a section
    subheading: ParagraphStyle  # a group within a section
    body: ParagraphStyle
    note: ParagraphStyle  # small print under a table or chart
    empty: ParagraphStyle  # "No open gaps."
    cell: ParagraphStyle  # a table cell that wraps
    cell_right: ParagraphStyle  # a numeric table cell that wraps
    cell_header: ParagraphStyle
    cell_header_right: ParagraphStyle
    header: ParagraphStyle  # the page header's main line
    header_small: ParagraphStyle  # its second line
    patient: ParagraphStyle  # a patient's document: the patient's line under the header
    footer: ParagraphStyle

    @property
    def table_size(self) -> float:
        return self.cell.fontSize

    @property
    def table_leading(self) -> float:
        return self.cell.leading

    @classmethod
    def at(cls, size: float) -> "ReportStyles":
        register_fonts()

        def style(name, font=FONT, scale=1.0, leading=1.25, colour=TEXT, before=0.0, after=0.0, **kw):
            font_size = round(size * scale, 1)
            return ParagraphStyle(name, fontName=font, fontSize=font_size, leading=round(font_size * leading, 1),
                                  textColor=colour, spaceBefore=before, spaceAfter=after, **kw)

        cell = size * 0.9
        return cls(
            size=size,
            title=style("title", FONT_BOLD, 2.2, 1.15, ACCENT, after=size * 0.3),
            subtitle=style("subtitle", FONT, 1.2, 1.3, MUTED, after=size * 0.8),
            # headings are kept with what follows by Report.section's CondPageBreak, not keepWithNext:
            # that wraps the heading and a long table in one KeepTogether, which moves the whole
            # table to the next page instead of starting it under its heading
            heading=style("heading", FONT_BOLD, 1.35, 1.2, ACCENT, before=size * 1.4, after=size * 0.5),
            subheading=style("subheading", FONT_BOLD, 1.1, 1.2, TEXT, before=size * 1.0, after=size * 0.35),
            body=style("body", after=size * 0.5),
            note=style("note", FONT, 0.85, 1.3, MUTED, before=size * 0.3, after=size * 0.4),
            empty=style("empty", FONT_ITALIC, 1.0, 1.3, MUTED, before=size * 0.2, after=size * 0.6),
            cell=style("cell", FONT, cell / size, 1.22, splitLongWords=1),
            cell_right=style("cell_right", FONT, cell / size, 1.22, alignment=TA_RIGHT, splitLongWords=1),
            cell_header=style("cell_header", FONT_BOLD, cell / size, 1.22, splitLongWords=1),
            cell_header_right=style("cell_header_right", FONT_BOLD, cell / size, 1.22, alignment=TA_RIGHT,
                                    splitLongWords=1),
            # the running header and footer stay small in large type: the page's body is what is read
            header=style("header", FONT_BOLD, min(1.0, 11 / size), 1.25, ACCENT),
            header_small=style("header_small", FONT, min(0.9, 9.5 / size), 1.25, MUTED),
            patient=style("patient", FONT_BOLD, min(1.05, 12 / size), 1.25, TEXT),
            footer=style("footer", FONT, min(0.8, 8 / size), 1.2, MUTED),
        )


NORMAL_SIZE = 9.0  # a practice's report: dense but readable
LARGE_SIZE = 14.0  # a patient's printout: large print


def table_style(styles: ReportStyles, *, numeric: Collection[int] = (), header_rows: int = 1) -> list[tuple]:
    """The house table: the commands, and why each is there."""
    size, leading, last_header = styles.table_size, styles.table_leading, header_rows - 1
    commands = [
        # every cell in the body font and colour, top-aligned: a wrapped cell does not leave
        # its one-line neighbours floating in the middle of the row
        ("FONT", (0, 0), (-1, -1), FONT, size, leading),
        ("TEXTCOLOR", (0, 0), (-1, -1), TEXT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        # the same padding everywhere: PagedTable measures its rows with PAD_H and PAD_V
        ("LEFTPADDING", (0, 0), (-1, -1), PAD_H),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD_H),
        ("TOPPADDING", (0, 0), (-1, -1), PAD_V),
        ("BOTTOMPADDING", (0, 0), (-1, -1), PAD_V),
        # alternate body rows shaded, so the eye can follow a line across a wide page
        ("ROWBACKGROUNDS", (0, header_rows), (-1, -1), [colors.white, ZEBRA]),
        # a hairline closes the table
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
    ]
    if header_rows:
        commands += [
            # the header: bold on a pale band of the accent colour, ruled beneath
            ("FONT", (0, 0), (-1, last_header), FONT_BOLD, size, leading),
            ("BACKGROUND", (0, 0), (-1, last_header), ACCENT_LIGHT),
            ("LINEBELOW", (0, last_header), (-1, last_header), 0.8, ACCENT),
        ]
    # figures right-aligned, so units, tens and hundreds stand in columns
    commands += [("ALIGN", (column, 0), (column, -1), "RIGHT") for column in sorted(numeric)]
    return commands


# --- long tables ----------------------------------------------------------------------------------------

Cell = str | Flowable


class PagedTable(Flowable):
    """A table of any length, split page by page in linear time.

    ``header`` rows repeat at the top of every page the table runs over, under a caption line
    ("CMS125 Breast cancer screening (continued)") when ``continued`` is given. Cells are
    strings (one line, or several with "\\n": :meth:`Report.table` breaks long text to its
    column with :func:`wrap_text`, so nothing is cut or runs over) or flowables (a
    :class:`Paragraph` with markup, a small chart).
    Row heights are measured once; the commands of ``style`` apply to every page's piece
    (use negative indices for the last row, and no body row index: pieces start anew).
    """

    def __init__(self, header: Sequence[Sequence[Cell]], rows: Sequence[Sequence[Cell]],
                 col_widths: Sequence[float], style: list[tuple], *, leading: float,
                 continued: Paragraph | None = None, _shared: dict | None = None, _start: int = 0,
                 _continuation: bool = False):
        super().__init__()
        self.header, self.rows = [list(r) for r in header], rows
        self.col_widths, self.style, self.leading = list(col_widths), style, leading
        self.continued = continued
        self._shared = _shared if _shared is not None else {}  # row heights and their running sums
        self._start, self._continuation = _start, _continuation
        self.hAlign = "LEFT"

    # -- measuring ------------------------------------------------------------------------------------------
    def _cell_height(self, cell, width: float) -> float:
        if isinstance(cell, Flowable):
            return cell.wrap(width - 2 * PAD_H, 1e9)[1]
        return (str(cell).count("\n") + 1) * self.leading

    def _row_height(self, row) -> float:
        return max((self._cell_height(cell, w) for cell, w in zip(row, self.col_widths)), default=0.0) + 2 * PAD_V

    def _measure(self) -> dict:
        shared = self._shared
        if "sums" not in shared:
            heights = [self._row_height(row) for row in self.rows]
            sums = [0.0]
            for h in heights:
                sums.append(sums[-1] + h)
            shared.update(heights=heights, sums=sums, header=[self._row_height(row) for row in self.header])
            if self.continued is not None:
                shared["caption"] = self.continued.wrap(sum(self.col_widths), 1e9)[1] + 2
        return shared

    def _top(self) -> float:
        """The caption (on a continuation) and the header rows."""
        shared = self._measure()
        return sum(shared["header"]) + (shared.get("caption", 0.0) if self._continuation else 0.0)

    def _body(self, start: int, end: int) -> float:
        sums = self._measure()["sums"]
        return sums[end] - sums[start]

    def wrap(self, availWidth, availHeight):
        self.width = sum(self.col_widths)
        self.height = self._top() + self._body(self._start, len(self.rows))
        return self.width, self.height

    # -- splitting and drawing ------------------------------------------------------------------------------
    def _piece(self, start: int, end: int) -> list[Flowable]:
        shared = self._measure()
        rows = self.header + [list(r) for r in self.rows[start:end]]
        heights = shared["header"] + shared["heights"][start:end]
        if "look" not in shared:
            shared["look"] = _PlainLook.of(self.style, len(self.header), len(self.col_widths))
        look = shared["look"]
        if look is not None and all(isinstance(cell, str) for row in rows for cell in row):
            table = _PlainPiece(rows, heights, self.col_widths, look)
        else:
            table = Table(rows, colWidths=self.col_widths, rowHeights=heights, style=self.style, hAlign="LEFT")
        if self._continuation and self.continued is not None:
            return [_Caption(self.continued, shared["caption"]), table]
        return [table]

    def split(self, availWidth, availHeight):
        sums = self._measure()["sums"]
        room = availHeight - self._top()
        # the last row whose bottom is still within the room
        end = bisect.bisect_right(sums, sums[self._start] + room + 1e-6) - 1
        if end <= self._start:
            return []  # not even one row fits here: the frame moves to the next page
        if end >= len(self.rows):
            return self._piece(self._start, len(self.rows))
        rest = PagedTable(self.header, self.rows, self.col_widths, self.style, leading=self.leading,
                          continued=self.continued, _shared=self._shared, _start=end, _continuation=True)
        return self._piece(self._start, end) + [rest]

    def draw(self):
        y = self.height
        for flowable in self._piece(self._start, len(self.rows)):
            _w, h = flowable.wrap(self.width, y)
            y -= h
            flowable.drawOn(self.canv, 0, y)


@dataclasses.dataclass
class _PlainLook:
    """What a table style's commands say, when they are only of the kinds :func:`table_style`
    writes (fonts, colours, paddings, row backgrounds, rules under the header and the table,
    column alignment): :class:`_PlainPiece` then draws the piece itself."""

    font: tuple = (FONT, 8.0, 9.6)
    header_font: tuple | None = None
    colour: object = TEXT
    row_backgrounds: tuple = ()
    header_background: object = None
    header_rule: tuple | None = None  # (width, colour)
    bottom_rule: tuple | None = None
    right: frozenset = frozenset()  # right-aligned columns

    @classmethod
    def of(cls, commands: list[tuple], header_rows: int, columns: int) -> "_PlainLook | None":
        look, last_header, everything = cls(), header_rows - 1, ((0, 0), (-1, -1))
        right = set()
        for command in commands:
            kind, cells, args = command[0], (tuple(command[1]), tuple(command[2])), command[3:]
            header = ((0, 0), (-1, last_header))
            if kind == "FONT" and cells == everything:
                look.font = (args[0], args[1], args[2] if len(args) > 2 else args[1] * 1.2)
            elif kind == "FONT" and cells == header and header_rows:
                look.header_font = (args[0], args[1], args[2] if len(args) > 2 else args[1] * 1.2)
            elif kind == "TEXTCOLOR" and cells == everything:
                look.colour = args[0]
            elif kind == "VALIGN" and cells == everything and args[0] == "TOP":
                pass
            elif kind in ("LEFTPADDING", "RIGHTPADDING") and cells == everything and args[0] == PAD_H:
                pass
            elif kind in ("TOPPADDING", "BOTTOMPADDING") and cells == everything and args[0] == PAD_V:
                pass
            elif kind == "ROWBACKGROUNDS" and cells == ((0, header_rows), (-1, -1)):
                look.row_backgrounds = tuple(args[0])
            elif kind == "BACKGROUND" and cells == header and header_rows:
                look.header_background = args[0]
            elif kind == "LINEBELOW" and cells == ((0, -1), (-1, -1)):
                look.bottom_rule = (args[0], args[1])
            elif kind == "LINEBELOW" and cells == ((0, last_header), (-1, last_header)) and header_rows:
                look.header_rule = (args[0], args[1])
            elif kind == "ALIGN" and cells[0][1] == 0 and cells[1][1] == -1 and cells[0][0] == cells[1][0] \
                    and args[0] in ("LEFT", "RIGHT"):
                column = cells[0][0] % columns
                (right.add if args[0] == "RIGHT" else right.discard)(column)
            else:
                return None  # a command of another kind: reportlab's Table draws the piece
        look.right = frozenset(right)
        return look


class _PlainPiece(Flowable):
    """One page of a :class:`PagedTable` whose cells are all text, drawn as reportlab's Table
    would draw it from the same commands (same backgrounds, rules, fonts, baselines), in one
    text object: about half the time per row, which counts in a list of 30,000 gaps."""

    def __init__(self, rows: list[list[str]], heights: list[float], widths: list[float], look: _PlainLook):
        super().__init__()
        self.rows, self.heights, self.widths, self.look = rows, heights, widths, look
        self.header_rows = 1 if look.header_font or look.header_background or look.header_rule else 0

    def wrap(self, availWidth, availHeight):
        self.width, self.height = sum(self.widths), sum(self.heights)
        return self.width, self.height

    def draw(self):
        canvas, look, width = self.canv, self.look, self.width
        tops, y = [], self.height
        for height in self.heights:
            tops.append(y)
            y -= height
        canvas.saveState()
        for index, (top, height) in enumerate(zip(tops, self.heights)):
            if index < self.header_rows:
                fill = look.header_background
            else:
                fill = look.row_backgrounds[(index - self.header_rows) % len(look.row_backgrounds)] \
                    if look.row_backgrounds else None
            if fill is not None and fill != colors.white:
                canvas.setFillColor(fill)
                canvas.rect(0, top - height, width, height, stroke=0, fill=1)
        for rule, at in ((look.header_rule, tops[self.header_rows] if self.header_rows < len(tops) else 0.0),
                         (look.bottom_rule, 0.0)):
            if rule is not None and self.header_rows <= len(tops):
                canvas.setLineWidth(rule[0])
                canvas.setStrokeColor(rule[1])
                canvas.line(0, at, width, at)
        lefts = [sum(self.widths[:column]) for column in range(len(self.widths))]
        text = canvas.beginText()
        text.setFillColor(look.colour)
        current = None
        for index, (row, top) in enumerate(zip(self.rows, tops)):
            font = look.header_font if index < self.header_rows and look.header_font else look.font
            if font != current:
                text.setFont(*font)
                current = font
            name, size, leading = font
            for column, cell in enumerate(row):
                if not cell:
                    continue
                baseline = top - PAD_V - size
                for line in cell.split("\n"):
                    if column in look.right:
                        x = lefts[column] + self.widths[column] - PAD_H - stringWidth(line, name, size)
                    else:
                        x = lefts[column] + PAD_H
                    text.setTextOrigin(x, baseline)
                    text.textOut(line)
                    baseline -= leading
        canvas.drawText(text)
        canvas.restoreState()


class _Caption(Flowable):
    """The "(continued)" line over a table's next page."""

    def __init__(self, paragraph: Paragraph, height: float):
        super().__init__()
        self.paragraph, self.height = paragraph, height

    def wrap(self, availWidth, availHeight):
        self.paragraph.wrap(availWidth, availHeight)
        return availWidth, self.height

    def draw(self):
        self.paragraph.drawOn(self.canv, 0, self.height - self.paragraph.height - 1)


# --- the document --------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _HeaderLayout:
    placed: list[tuple[Paragraph, float, float]]  # paragraph, x from the margin, its bottom below the top
    rule: float  # the accent rule under practice, period and title, below the top
    band: float  # the whole header's height


class _NumberedCanvas(Canvas):
    """Keeps each finished page until the end, when the page count is known, then draws
    "Page x of y" on every page (the canvas pattern pretix's exporters use)."""

    def __init__(self, *args, page_footer: Callable[[Canvas, int, int], None], **kwargs):
        super().__init__(*args, **kwargs)
        self._page_footer = page_footer
        self._pages: list[dict] = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._page_footer(self, number, total)
            super().showPage()
        super().save()


class Report:
    """One printed document. Subclasses override :meth:`get_story`; see the module's docstring."""

    landscape = False  # the first page's orientation (a subclass may switch pages later)

    def __init__(self, heading: Heading, *, large_type: bool = False):
        register_fonts()
        self.heading_info = heading
        self.large_type = large_type
        self.styles = ReportStyles.at(LARGE_SIZE if large_type else NORMAL_SIZE)
        self.generated_at = heading.generated_at or dt.datetime.now().astimezone()
        self._header_cache: dict[float, _HeaderLayout] = {}

    # -- what a subclass writes -------------------------------------------------------------------------
    def get_story(self) -> list[Flowable]:
        raise NotImplementedError("a report says what it prints in get_story()")

    # -- building -------------------------------------------------------------------------------------------
    @property
    def frame_width(self) -> float:
        """The width flowables get on the first page template."""
        width, _ = self._page_size("landscape" if self.landscape else "portrait")
        return width - 2 * MARGIN

    def _page_size(self, template: str) -> tuple[float, float]:
        return landscape_of(PAGE_SIZE) if template == "landscape" else PAGE_SIZE

    def _header_height(self) -> float:
        """The band over the frame (as on the narrowest page): the practice and period, the
        document's title, and the patient's line on a patient's document."""
        return self._header_layout(PAGE_SIZE[0] - 2 * MARGIN).band

    def _footer_height(self) -> float:
        return self.styles.footer.leading * 2

    def _templates(self) -> list[PageTemplate]:
        templates = []
        for name in ("portrait", "landscape"):
            width, height = self._page_size(name)
            top = MARGIN * 0.7 + self._header_height() + 8
            bottom = MARGIN * 0.7 + self._footer_height() + 6
            frame = Frame(MARGIN, bottom, width - 2 * MARGIN, height - top - bottom, id=f"{name}-body",
                          leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
            templates.append(PageTemplate(id=name, frames=[frame], onPage=self._draw_header, pagesize=(width, height)))
        if self.landscape:
            templates.reverse()  # the first template is the first page's
        return templates

    def build(self, target) -> None:
        """Write the PDF to ``target`` (a path or a binary file object)."""
        info = self.heading_info
        subject = " · ".join(x for x in (info.practice, info.period) if x)
        doc = BaseDocTemplate(target, pagesize=self._page_size("landscape" if self.landscape else "portrait"),
                              leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
                              title=info.title, author=info.generated_by or info.pod, subject=subject,
                              creator="Carepod", pageTemplates=self._templates())
        story = self.get_story()
        doc.build(story, canvasmaker=partial(_NumberedCanvas, page_footer=self._draw_footer))

    def render(self) -> bytes:
        """The PDF as bytes (for a preview, or to write later)."""
        buffer = BytesIO()
        self.build(buffer)
        return buffer.getvalue()

    def write(self, path: str | os.PathLike) -> Path:
        """Write the PDF to ``path``: it appears only when complete (written beside it, then
        renamed). Raises :class:`ReportWriteFailed` naming the file when it cannot be written."""
        return write_pdf(self.render(), path)

    # -- header and footer ------------------------------------------------------------------------------
    def _header_layout(self, width: float) -> "_HeaderLayout":
        """The header's paragraphs and where they stand below the band's top: each wrapped to
        its column (a long practice name takes a second line) and shrunk, never cut, when it
        needs more than one extra line. Cached per page width."""
        if width in self._header_cache:
            return self._header_cache[width]
        info, styles = self.heading_info, self.styles
        left_width, right_width = width * 0.58, width * 0.42 - 12

        def stack(lines, column: float, align: int) -> list[Paragraph]:
            lines = [(text, style) for text, style in lines if text]
            room = sum(style.leading for _text, style in lines) + lines[0][1].leading + 0.5 if lines else 0
            scale = 1.0
            while True:
                paragraphs = []
                for text, style in lines:
                    fitted = ParagraphStyle(f"{style.name}-fit", parent=style, alignment=align,
                                            fontSize=style.fontSize * scale, leading=style.leading * scale)
                    paragraphs.append(Paragraph(escape(text), fitted))
                    paragraphs[-1].wrap(column, 1e9)
                if sum(p.height for p in paragraphs) <= room or scale < 0.5:
                    return paragraphs
                scale -= 0.06

        placed: list[tuple[Paragraph, float, float]] = []

        def place(paragraphs: list[Paragraph], x: float, top: float) -> float:
            for paragraph in paragraphs:
                top += paragraph.height
                placed.append((paragraph, x, top))
            return top

        # practice and period on the left, what the document is on the right
        left = place(stack([(info.practice or info.pod, styles.header), (info.period, styles.header_small)],
                           left_width, TA_LEFT), 0.0, 0.0)
        right = place(stack([(info.title, styles.header)], right_width, TA_RIGHT), width - right_width, 0.0)
        rule = max(left, right) + 4
        band = rule
        if info.patient:  # the patient across the page beneath
            band = place(stack([("Patient: " + info.patient.text(), styles.patient)], width, TA_LEFT), 0.0,
                         rule + 2) + 4
        layout = _HeaderLayout(placed, rule, band)
        self._header_cache[width] = layout
        return layout

    def _draw_header(self, canvas: Canvas, doc) -> None:
        width, height = canvas._pagesize
        inner = width - 2 * MARGIN
        top = height - MARGIN * 0.7
        layout = self._header_layout(inner)
        canvas.saveState()
        for paragraph, x, y in layout.placed:
            paragraph.drawOn(canvas, MARGIN + x, top - y)
        canvas.setStrokeColor(ACCENT)
        canvas.setLineWidth(1.2)
        canvas.line(MARGIN, top - layout.rule, width - MARGIN, top - layout.rule)
        if self.heading_info.patient:
            canvas.setLineWidth(0.6)
            canvas.line(MARGIN, top - layout.band, width - MARGIN, top - layout.band)
        # the footer's fixed part; the page number is drawn once the count is known
        bottom = MARGIN * 0.7
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, bottom + self._footer_height(), width - MARGIN, bottom + self._footer_height())
        info = self.heading_info
        generated = f"Generated {datetime_text(self.generated_at)}" + (f" by {info.generated_by}" if info.generated_by else "")
        if info.patient:
            generated += " · Confidential patient information"
        canvas.setFillColor(MUTED)
        canvas.setFont(FONT, _fitting_size(generated, FONT, self.styles.footer.fontSize, inner * 0.78))
        canvas.drawString(MARGIN, bottom + self.styles.footer.leading * 0.6, generated)
        canvas.restoreState()

    def _draw_footer(self, canvas: Canvas, number: int, total: int) -> None:
        width, _height = canvas._pagesize
        canvas.saveState()
        canvas.setFont(FONT_BOLD, self.styles.footer.fontSize)
        canvas.setFillColor(TEXT)
        canvas.drawRightString(width - MARGIN, MARGIN * 0.7 + self.styles.footer.leading * 0.6,
                               f"Page {number} of {total}")
        canvas.restoreState()

    # -- pieces of a story ------------------------------------------------------------------------------
    def markup(self, text: str, style: str | ParagraphStyle = "body") -> Paragraph:
        """A paragraph of reportlab markup (``<b>``, ``<i>``, ``<br/>``): escape any data in it."""
        return Paragraph(text, style if isinstance(style, ParagraphStyle) else getattr(self.styles, style))

    def paragraph(self, text: str, style: str | ParagraphStyle = "body") -> Paragraph:
        """A paragraph of plain text (escaped; line breaks kept)."""
        return self.markup(escape(text).replace("\n", "<br/>"), style)

    def title_block(self, title: str | None = None, subtitle: str = "",
                    facts: Sequence[tuple[str, str]] = ()) -> list[Flowable]:
        """The first page's title, a subtitle, and a few facts ("Practice", "Period", ...) in
        two aligned columns, closed by a rule."""
        styles = self.styles
        parts: list[Flowable] = [self.paragraph(title or self.heading_info.title, "title")]
        if subtitle:
            parts.append(self.paragraph(subtitle, "subtitle"))
        if facts:
            label_width = max(stringWidth(label, FONT_BOLD, styles.body.fontSize) for label, _ in facts) + 2 * PAD_H + 6
            rows = [[Paragraph(escape(label), ParagraphStyle("fact-label", parent=styles.body, fontName=FONT_BOLD,
                                                             textColor=MUTED, spaceAfter=0)),
                     Paragraph(escape(value), ParagraphStyle("fact", parent=styles.body, spaceAfter=0))]
                    for label, value in facts]
            table = Table(rows, colWidths=[label_width, self.frame_width - label_width], hAlign="LEFT", style=[
                # label and value side by side, no rules: a letterhead, not a grid
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), PAD_H),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ])
            parts.append(table)
        parts += [Spacer(1, styles.size * 0.6),
                  HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=0, spaceAfter=styles.size * 0.4)]
        return parts

    def section(self, text: str, *, keep: float = 1.5 * inch) -> list[Flowable]:
        """A section heading that never sits alone at the foot of a page (it starts a new page
        when less than ``keep`` is left)."""
        return [CondPageBreak(keep), self.paragraph(text, "heading")]

    def subsection(self, text: str, *, keep: float = 1.2 * inch) -> list[Flowable]:
        return [CondPageBreak(keep), self.paragraph(text, "subheading")]

    def note(self, text: str) -> Paragraph:
        return self.paragraph(text, "note")

    def empty(self, text: str) -> Paragraph:
        """What stands where a table would be when there is nothing to list."""
        return self.paragraph(text, "empty")

    def table(self, header: Sequence[str], rows: Iterable[Sequence[str | Flowable | None]],
              widths: Sequence[float | str], *, numeric: Collection[int] = (), style: list[tuple] | None = None,
              continued: str = "", frame_width: float | None = None) -> PagedTable:
        """A :class:`PagedTable` in the house style.

        ``widths``: per column a fraction of the frame's width, or ``"fit"`` for a column of
        short values (dates, counts, rates) as wide as its widest value and its header's longest
        word (at most a fifth of the frame, wrapped beyond); the fractions share what the
        fitted columns leave.
        ``numeric``: the columns of figures (right-aligned). ``continued``: the caption over the
        table's later pages. Text longer than its column is broken into lines, never cut.
        """
        frame = frame_width or self.frame_width
        styles = self.styles
        size = styles.table_size
        rows = [["" if value is None else value for value in row] for row in rows]
        fitted = {}
        for column, width in enumerate(widths):
            if width == "fit":
                words = str(header[column]).split() or [""]
                natural = max([stringWidth(word, FONT_BOLD, size) for word in words]
                              + [stringWidth(str(row[column]), FONT, size) for row in rows
                                 if not isinstance(row[column], Flowable)])
                fitted[column] = min(natural + 2 * PAD_H + 1, frame / 5)
        shares = {column: float(width) for column, width in enumerate(widths) if column not in fitted}
        left = max(frame - sum(fitted.values()), 0.0)
        total = sum(shares.values()) or 1.0
        col_widths = [fitted[column] if column in fitted else left * shares[column] / total
                      for column in range(len(widths))]
        header_row = [self._cell(text, w, FONT_BOLD) for text, w in zip(header, col_widths)]
        body = [[self._cell(value, w, FONT) for value, w in zip(row, col_widths)] for row in rows]
        caption = self.paragraph(continued + " (continued)", "note") if continued else None
        return PagedTable([header_row], body, col_widths, style or table_style(styles, numeric=numeric),
                          leading=styles.table_leading, continued=caption)

    def _cell(self, value, width: float, font: str) -> Cell:
        if isinstance(value, Flowable):
            return value
        return wrap_text(str(value), font, self.styles.table_size, width - 2 * PAD_H - 0.5)


def wrap_text(text: str, font: str, size: float, width: float) -> str:
    """``text`` broken into lines ("\\n") that each fit ``width`` at ``size``: at spaces, after
    hyphens, and inside a word only when the word alone is wider than the column. A table
    draws such a string as it draws one line (a wrapped :class:`Paragraph` per cell costs
    twenty times as much, and a practice's list of gaps has tens of thousands of cells)."""
    if "\n" not in text and stringWidth(text, font, size) <= width:
        return text
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0  # the line so far, without its trailing spaces, and its width
        gap = ""  # spaces after the line so far
        for word, spaces in re.findall(r"(\S+?-(?=\S)|\S+)(\s*)", paragraph):
            word_width = stringWidth(word, font, size)  # glyph widths add up: no kerning here
            if line and line_width + len(gap) * space + word_width <= width:
                line, line_width = line + gap + word, line_width + len(gap) * space + word_width
            else:
                if line:
                    lines.append(line)
                while word_width > width and len(word) > 1:  # a word wider than the column
                    cut = _longest_prefix(word, font, size, width)
                    lines.append(word[:cut])
                    word = word[cut:]
                    word_width = stringWidth(word, font, size)
                line, line_width = word, word_width
            gap = spaces
        lines.append(line)
    return "\n".join(lines)


def _longest_prefix(text: str, font: str, size: float, width: float) -> int:
    """How many characters of ``text`` fit ``width`` (at least one, so a line always advances)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle], font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def _fitting_size(text: str, font: str, size: float, width: float, smallest: float = 4.0) -> float:
    """The largest size (down to ``smallest``) at which ``text`` fits ``width``: never cut."""
    while size > smallest and stringWidth(text, font, size) > width:
        size -= 0.25
    return size


def write_pdf(data: bytes, path: str | os.PathLike) -> Path:
    """Write finished PDF bytes to ``path``, whole or not at all; only the user can read it
    (it holds patients' data). Raises :class:`ReportWriteFailed` naming the file."""
    target = Path(path)
    partial_file = target.with_name(target.name + ".part")
    try:
        fd = os.open(partial_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial_file, target)
    except OSError as exc:
        partial_file.unlink(missing_ok=True)
        raise ReportWriteFailed(f"{target} could not be written: {exc.strerror or exc}.") from None
    return target
