"""Reading a printed report back, as a test checks it: its text page by page, and where each
run of text stands on its page (to show nothing runs past the margins)."""
from __future__ import annotations

import dataclasses
from io import BytesIO

from pypdf import PdfReader


@dataclasses.dataclass(frozen=True)
class TextRun:
    page: int  # from 1
    x: float
    y: float
    text: str
    font: str  # the report font's name ("DejaVuSans-Bold"), without the subset prefix
    size: float
    page_width: float


def pdf_pages(data: bytes) -> list[str]:
    """The extracted text of each page."""
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def squeeze(text: str) -> str:
    """Text without any white space: a cell wrapped over three lines still reads as one."""
    return "".join(text.split())


def text_runs(data: bytes) -> list[TextRun]:
    """Every piece of text drawn, with its position on the page (points from the lower left)."""
    runs: list[TextRun] = []
    for number, page in enumerate(PdfReader(BytesIO(data)).pages, start=1):
        width = float(page.mediabox.width)

        def visit(text, cm, tm, font_dict, font_size, number=number, width=width):
            if not text.strip() or font_dict is None:
                return
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            font = str(font_dict.get("/BaseFont", "")).lstrip("/").split("+")[-1]
            runs.append(TextRun(number, x, y, text.rstrip("\n"), font, font_size * abs(tm[0] or 1) * abs(cm[0] or 1),
                                width))

        page.extract_text(visitor_text=visit)
    return runs
