"""The report base (reports/base.py): what every printed document has, read back from the PDF."""
from __future__ import annotations

import datetime as dt
import os
import re
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import NextPageTemplate, PageBreak

from reports.base import (
    FONT, FONT_BOLD, MARGIN, Heading, PatientLine, Report, ReportWriteFailed, date_text, missing_glyphs,
    percent_text, wrap_text,
)
from tests.pdf_text import pdf_pages, squeeze, text_runs

LONG_NAME = ("Müller-Łukasik-Abernathy-Worthington-Featherstonehaugh-Cholmondeley-Wolfeschlegelsteinhausen, "
             "Zoë Anne-Marie Bartholomew Maximiliana")
GENERATED = dt.datetime(2026, 3, 5, 14, 3, tzinfo=dt.timezone.utc)


class Sample(Report):
    """A document of every part of the base: title block, sections, a long table, a landscape page."""

    def __init__(self, rows: list[tuple], heading: Heading, *, large_type: bool = False, landscape_end: bool = False):
        super().__init__(heading, large_type=large_type)
        self.rows, self.landscape_end = rows, landscape_end

    def get_story(self):
        story = [*self.title_block(subtitle="A sample of the report base",
                                   facts=[("Practice", self.heading_info.practice), ("Period", "2026")]),
                 *self.section("Patients"),
                 self.note("Every patient of the sample, ≥ 0 of them."),
                 self.table(("Patient", "Birth date", "MRN", "Rate", "Why"), self.rows, (0.3, 0.12, 0.12, 0.1, 0.36),
                            numeric={3}, continued="Patients of the sample")]
        if self.landscape_end:
            story += [NextPageTemplate("landscape"), PageBreak(), self.paragraph("A wide page.")]
        return story


def heading(**more) -> Heading:
    fields = dict(practice="Riverside Family Practice (RFP)", period="Measurement year 2026",
                  generated_by="Dana Reyes", generated_at=GENERATED)
    return Heading("Sample report", **{**fields, **more})


def rows(n: int, name: str = "Okafor, Grace") -> list[tuple]:
    return [(f"{name} {i}", date_text(dt.date(1951, 2, 28)), f"M{i:05}", percent_text(i / max(n, 1)),
             "No mammogram in the 27 months before the end of the measurement period") for i in range(n)]


def test_every_page_has_header_footer_and_page_x_of_y():
    data = Sample(rows(300), heading()).render()
    pages = pdf_pages(data)
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Riverside Family Practice (RFP)" in text and "Measurement year 2026" in text
        assert "Sample report" in text
        assert "Generated 03/05/2026" in text and "by Dana Reyes" in text
        assert "Patient:" not in text  # a practice's document names no patient in its header
    # the table's header row and its caption repeat on every later page
    for text in pages[1:]:
        assert "Patients of the sample (continued)" in text
        assert "Birth date" in text


def test_every_row_appears_once_and_whole():
    data = Sample(rows(300), heading()).render()
    text = squeeze("".join(pdf_pages(data)))
    for i in range(300):
        assert text.count(squeeze(f"M{i:05}")) == 1


def test_a_patients_document_names_the_patient_on_every_page():
    patient = PatientLine("Zoë Müller-Łukasik", dt.date(1957, 3, 4), "A-1234")
    data = Sample(rows(120), heading(patient=patient), large_type=True).render()
    pages = pdf_pages(data)
    assert len(pages) >= 3
    for text in pages:
        assert "Patient: Zoë Müller-Łukasik · born 03/04/1957 · MRN A-1234" in text
        assert "Confidential patient information" in text


def test_large_type_prints_the_body_larger():
    normal = {round(r.size) for r in text_runs(Sample(rows(3), heading()).render()) if "Okafor" in r.text}
    large = {round(r.size) for r in text_runs(Sample(rows(3), heading(), large_type=True).render())
             if "Okafor" in r.text}
    assert max(large) >= 12 > max(normal)


def test_the_font_draws_every_character_of_names_and_symbols():
    text = "Zoë Müller-Łukasik ≥ ≤ — – · … ’ “ ” é ñ ç ø å ß Ş ğ İ ı"
    assert missing_glyphs(text) == set()
    assert missing_glyphs(text, FONT_BOLD) == set()
    data = Sample([("Zoë Müller-Łukasik", "03/04/1957", "Ł-1", "≥ 9.0 %", "≥ 50 — “quoted”")], heading()).render()
    extracted = pdf_pages(data)[0]
    for word in ("Zoë Müller-Łukasik", "≥ 9.0 %", "≥ 50 — “quoted”"):
        assert word in extracted


def test_very_long_names_wrap_inside_their_column_and_are_never_cut():
    long_rows = rows(40, LONG_NAME) + [("X" * 200, "03/04/1957", "M" * 60, "100.0 %", "why " * 80)]
    report = Sample(long_rows, heading(practice="The " + "Very Long Name " * 12 + "Practice (VLNP)"))
    data = report.render()
    text = squeeze("".join(pdf_pages(data)))
    for row in long_rows:
        for cell in row:
            assert squeeze(cell) in text
    # nothing drawn beyond the right margin (the header shrinks a long practice name to fit)
    for run in text_runs(data):
        font = FONT_BOLD if "Bold" in run.font else FONT
        assert run.x + stringWidth(run.text, font, run.size) <= run.page_width - MARGIN + 1.0, run


def test_a_landscape_page_can_follow():
    data = Sample(rows(5), heading(), landscape_end=True).render()
    from io import BytesIO

    from pypdf import PdfReader
    pages = PdfReader(BytesIO(data)).pages
    assert float(pages[0].mediabox.width) < float(pages[0].mediabox.height)
    assert float(pages[-1].mediabox.width) > float(pages[-1].mediabox.height)
    assert "A wide page." in pages[-1].extract_text()
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1].extract_text()


def test_markup_characters_in_data_are_printed_as_typed():
    data = Sample([("O'Brien & <Sons>", "03/04/1957", "A&B", "—", "a <b>bold</b> claim")],
                  heading(practice="Smith & Jones <Family> Practice")).render()
    text = pdf_pages(data)[0]
    assert "O'Brien & <Sons>" in text and "a <b>bold</b> claim" in text
    assert "Smith & Jones <Family> Practice" in text


def test_write_is_whole_or_nothing_and_private(tmp_path):
    target = tmp_path / "sample.pdf"
    written = Sample(rows(3), heading()).write(target)
    assert written == target and target.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(ReportWriteFailed, match=re.escape(str(tmp_path / "missing" / "x.pdf"))):
        Sample(rows(3), heading()).write(tmp_path / "missing" / "x.pdf")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=200),
       st.floats(min_value=20, max_value=300))
def test_wrapped_text_fits_its_width_and_keeps_every_character(text, width):
    wrapped = wrap_text(text, FONT, 8, width)
    for line in wrapped.split("\n"):
        assert stringWidth(line, FONT, 8) <= width or len(line) == 1
    assert squeeze(wrapped) == squeeze(text)


def test_text_tables_drawn_directly_match_reportlabs_table(monkeypatch):
    """PagedTable draws an all-text piece itself (twice as fast); reportlab's Table, given the same
    commands, draws the same pages: compared pixel by pixel at 100 dpi."""
    import pypdfium2

    import reports.base as base

    long_rows = rows(120, LONG_NAME) + [("Zoë Müller-Łukasik", "03/04/1957", "Ł-1", "≥ 9.0 %", "")]

    def pages() -> list[bytes]:
        document = pypdfium2.PdfDocument(Sample(long_rows, heading()).render())
        return [bytes(document[i].render(scale=100 / 72).buffer) for i in range(len(document))]

    drawn_here = pages()
    monkeypatch.setattr(base._PlainLook, "of", classmethod(lambda cls, *args: None))
    by_reportlab = pages()
    assert len(drawn_here) == len(by_reportlab) >= 3
    for mine, theirs in zip(drawn_here, by_reportlab):
        differing = sum(1 for a, b in zip(mine, theirs) if abs(a - b) > 24)
        assert differing < len(mine) * 0.0005, differing  # antialiasing of a few edge pixels at most


def test_a_style_with_commands_of_other_kinds_is_drawn_by_reportlab():
    from reports.base import _PlainLook, ReportStyles, table_style

    styles = ReportStyles.at(9)
    assert _PlainLook.of(table_style(styles, numeric={2}), 1, 4).right == {2}
    assert _PlainLook.of(table_style(styles) + [("GRID", (0, 0), (-1, -1), 0.5, "black")], 1, 4) is None
    assert _PlainLook.of(table_style(styles) + [("SPAN", (0, 1), (1, 1))], 1, 4) is None
