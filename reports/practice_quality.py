"""The practice quality report: how one practice's patients stand on the pod's quality measures.

Page one: the practice's rate of each measure (and population group) with its numerator and
denominator, its rank among the pod's practices, the pod median and the best rate in the pod,
then a chart of the practice against the pod. Then the practice's patients with open gaps,
grouped by measure: name, birth date, MRN, due date, last outreach and why the gap is open.

The data is plain (the dataclasses below, filled by ``application.reports``); it names no other
practice and no patient of another practice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import PageBreak, Table

from reports.base import (
    ACCENT_LIGHT, Heading, Report, count_text, date_text, datetime_text, percent_text,
)
from reports.charts import ComparisonRow, PeerComparisonChart


@dataclasses.dataclass(frozen=True)
class MeasureLine:
    """One measure (or population group) of the practice's scorecard."""

    label: str  # "CMS125", "CMS138 · 2"
    title: str  # "Breast Cancer Screening"
    group_title: str  # the group's own words for a measure of several groups, else ""
    inverse: bool  # lower is better
    numerator: int
    denominator: int  # after exclusions and exceptions
    rate: float | None
    rank: int | None  # 1 = best; None when not ranked (nobody in the denominator, or too few)
    practices_ranked: int
    pod_median: float | None
    pod_best: float | None
    too_few: bool = False  # a denominator below the pod's minimum: shown with its counts, not ranked
    minimum: int = 20  # the pod's minimum denominator

    @property
    def rank_text(self) -> str:
        if self.too_few:
            return "not ranked"  # the note under the table says why
        return f"{self.rank} of {self.practices_ranked}" if self.rank else "—"


@dataclasses.dataclass(frozen=True)
class OpenGapLine:
    patient_name: str  # "Family, Given"
    birth_date: dt.date | None
    mrn: str
    due_date: dt.date | None
    last_outreach_at: dt.datetime | None  # UTC
    why: str


@dataclasses.dataclass(frozen=True)
class MeasureGaps:
    """The practice's open gaps of one measure (group), patients in name order."""

    label: str
    title: str
    group_title: str
    inverse: bool
    gaps: tuple[OpenGapLine, ...]


@dataclasses.dataclass(frozen=True)
class PracticeQualityData:
    practice_code: str
    practice_name: str
    month: dt.date  # the report's month (first day)
    period_start: dt.date
    period_end: dt.date
    snapshot_taken_at: dt.datetime | None  # rates from the month's snapshot (UTC), or None: computed
    practices_in_pod: int
    measures: tuple[MeasureLine, ...]
    open_gaps: tuple[MeasureGaps, ...]
    generated_at: dt.datetime  # aware
    generated_by: str = ""
    pod_label: str = "Carepod"

    @property
    def open_gap_count(self) -> int:
        return sum(len(group.gaps) for group in self.open_gaps)

    @property
    def patients_with_open_gaps(self) -> int:
        return len({(gap.mrn, gap.patient_name) for group in self.open_gaps for gap in group.gaps})

    @property
    def practice_label(self) -> str:
        return f"{self.practice_name} ({self.practice_code})"

    @property
    def file_name(self) -> str:
        return report_file_name(self.practice_code, self.month)


def report_file_name(practice_code: str, month: dt.date) -> str:
    """A practice's report of a month as a file: ``<CODE>-<YYYY-MM>.pdf``."""
    return f"{practice_code}-{month:%Y-%m}.pdf"


SCORE_COLUMNS = ("Measure", "What is measured", "Numerator", "Denominator", "Rate", "Rank", "Pod median",
                 "Best in pod")
SCORE_WIDTHS = ("fit", 1.0, "fit", "fit", "fit", "fit", "fit", "fit")
GAP_COLUMNS = ("Patient", "Birth date", "MRN", "Due", "Last outreach", "Why it is open")
GAP_WIDTHS = (0.34, "fit", "fit", "fit", "fit", 0.66)


class PracticeQualityReport(Report):
    """The PDF of :class:`PracticeQualityData`."""

    def __init__(self, data: PracticeQualityData):
        super().__init__(Heading(
            "Practice quality report", practice=data.practice_label,
            period=f"Measurement year {_period_text(data)} · {_rates_text(data, short=True)}",
            generated_by=data.generated_by, generated_at=data.generated_at, pod=data.pod_label))
        self.data = data

    def get_story(self):
        data = self.data
        story = [*self.title_block(
            "Quality report", subtitle=f"{data.practice_label} · {data.month:%B %Y}",
            facts=[("Practice", data.practice_label),
                   ("Measurement period", f"{date_text(data.period_start)} – {date_text(data.period_end)}"),
                   ("Rates", _rates_text(data)),
                   ("Compared with", f"the {data.practices_in_pod} practices of the pod"),
                   ("Open gaps", f"{count_text(data.open_gap_count)} open gaps in care of "
                                 f"{count_text(data.patients_with_open_gaps)} patients, as of "
                                 f"{date_text(data.generated_at)}")])]
        story += self._at_a_glance()
        story += self._scorecard()
        story += self._gap_lists()
        return story

    # -- page one --------------------------------------------------------------------------------------
    def _at_a_glance(self) -> list:
        """Three figures a reader takes in first, in boxes across the page."""
        data, styles = self.data, self.styles
        rated = [m for m in data.measures if m.rate is not None]
        if not rated:
            return []
        at_median = sum(1 for m in rated if m.pod_median is not None
                        and ((m.rate <= m.pod_median) if m.inverse else (m.rate >= m.pod_median)))  # lower is better
        best = sum(1 for m in rated if m.rank == 1)
        figures = [
            (f"{at_median} of {len(rated)}", "measures at or better than the pod median"),
            (f"{best}", "measure with the pod's best rate" if best == 1 else "measures with the pod's best rate"),
            (count_text(data.open_gap_count), f"open gaps in care, of {count_text(data.patients_with_open_gaps)} "
                                              "patients"),
        ]
        big = ParagraphStyle("glance-figure", parent=styles.title, fontSize=styles.size * 2.0,
                             leading=styles.size * 2.4, spaceAfter=0, alignment=TA_CENTER)
        caption = ParagraphStyle("glance-caption", parent=styles.note, alignment=TA_CENTER, spaceBefore=2,
                                 spaceAfter=0)
        cells = [[[self.paragraph(figure, big), self.paragraph(words, caption)] for figure, words in figures]]
        width = self.frame_width / len(figures)
        return [Table(cells, colWidths=[width] * len(figures), hAlign="LEFT", style=[
            # three boxes on the accent's pale tint, white gutters between them
            ("BACKGROUND", (0, 0), (-1, -1), ACCENT_LIGHT),
            ("LINEAFTER", (0, 0), (-2, -1), 6, colors.white),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
        ])]

    def _scorecard(self) -> list:
        data = self.data
        parts = self.section("Measures against the pod")
        if not data.measures:
            return parts + [self.empty("No measure has been computed for this measurement period.")]
        if not any(m.rate is not None for m in data.measures):  # else the figures at a glance say how it stands
            parts.append(self.paragraph("The practice has no patients in any measure's denominator."))
        rows = [(m.label, _measure_words(m), count_text(m.numerator), count_text(m.denominator),
                 percent_text(m.rate), m.rank_text, percent_text(m.pod_median), percent_text(m.pod_best))
                for m in data.measures]
        parts.append(self.table(SCORE_COLUMNS, rows, SCORE_WIDTHS, numeric={2, 3, 4, 5, 6, 7}))
        parts.append(self.note(
            "Rate = numerator ÷ denominator; the denominator counts the patients in the measure after "
            "exclusions and exceptions. Rank 1 is the best rate in the pod; for a measure marked "
            "“lower is better” (poor control), the lowest rate is the best. “—”: no patient in the denominator; "
            f"“not ranked”: fewer than {data.measures[0].minimum} patients (the pod's minimum denominator), so the "
            "rate is neither ranked nor the pod's best or median."))
        parts += self.subsection("The practice against the pod", keep=3.5 * 72)
        chart_rows = [ComparisonRow(m.label, m.group_title or m.title, m.rate, m.pod_median, m.pod_best, m.inverse)
                      for m in data.measures]
        parts.append(PeerComparisonChart(chart_rows, self.frame_width, practice=data.practice_code,
                                         font_size=self.styles.size * 0.9))
        inverse = [m.label for m in data.measures if m.inverse]
        parts.append(self.note(
            f"Each bar is the practice's rate; the black tick is the median of the {data.practices_in_pod} practices' "
            "rates, the green diamond the best rate in the pod."
            + (f" For {', '.join(inverse)} lower is better: a shorter bar is the better result." if inverse else "")))
        return parts

    # -- the lists of patients ----------------------------------------------------------------------
    def _gap_lists(self) -> list:
        data = self.data
        # the lists start on a page of their own: the first pages can be read, or framed, alone
        parts = [PageBreak(), *self.section("Patients with open gaps in care")]
        if not data.open_gaps:
            return parts + [self.empty("No patient of the practice has an open gap in care in this period.")]
        parts.append(self.paragraph(
            "The practice's patients whose care a measure still looks for, measure by measure, patients in "
            "name order. Due: the date by which the care must be done to count for the period. Last outreach: "
            "the latest call, letter or message to the patient about any of their care."))
        for group in data.open_gaps:
            name = f"{group.label} · {group.group_title or group.title}"
            parts += self.subsection(f"{name} — {count_text(len(group.gaps))} open")
            parts += self._gap_table(group, name)
        return parts

    def _gap_table(self, group: MeasureGaps, name: str) -> list:
        listing = gap_listing(group)
        parts = [self.paragraph(" ".join(listing.said))] if listing.said else []
        parts.append(self.table(listing.columns, listing.rows, listing.widths, continued=name))
        return parts


@dataclasses.dataclass(frozen=True)
class GapListing:
    said: list[str]  # sentences above the table
    columns: list[str]
    widths: list[float | str]
    rows: list[list[str]]


def gap_listing(group: MeasureGaps) -> GapListing:
    """One measure's open gaps as the report prints them. What every row would repeat is said
    once above the table: the due date when all share it, and the reason most of them are open
    (a row whose reason differs says so in the last column)."""
    gaps = group.gaps
    said = []
    if group.inverse:
        said.append("Lower is better: these patients' latest result shows poor control.")
    dues = {gap.due_date for gap in gaps}
    one_due = len(dues) == 1 and None not in dues
    if one_due:
        said.append(f"Due by {date_text(next(iter(dues)))} for every patient below.")
    common, times = Counter(gap.why for gap in gaps).most_common(1)[0]
    shared_why = times > 1 and times * 2 >= len(gaps)
    if shared_why:
        said.append(f"Open because: {common}" + ("" if times == len(gaps) else
                                                   " (unless the last column gives another reason)"))
    columns = list(GAP_COLUMNS)
    if shared_why:
        columns[-1] = "Other reason"
    keep = [i for i in range(len(columns)) if not (one_due and columns[i] == "Due")
            and not (shared_why and times == len(gaps) and i == len(columns) - 1)]
    rows = []
    for gap in gaps:
        row = (gap.patient_name, date_text(gap.birth_date), gap.mrn, date_text(gap.due_date),
               date_text(_local(gap.last_outreach_at)) or "—", "" if shared_why and gap.why == common else gap.why)
        rows.append([row[i] for i in keep])
    return GapListing(said, [columns[i] for i in keep], [GAP_WIDTHS[i] for i in keep], rows)


def _period_text(data: PracticeQualityData) -> str:
    if (data.period_start.month, data.period_start.day, data.period_end.month, data.period_end.day) == (1, 1, 12, 31) \
            and data.period_start.year == data.period_end.year:
        return str(data.period_start.year)
    return f"{date_text(data.period_start)} – {date_text(data.period_end)}"


def _rates_text(data: PracticeQualityData, short: bool = False) -> str:
    if data.snapshot_taken_at is not None:
        return f"rates of {data.month:%B %Y}" if short else \
            f"the snapshot of {data.month:%B %Y} (kept {datetime_text(data.snapshot_taken_at)})"
    return f"rates as of {date_text(data.generated_at)}" if short else \
        f"computed from the gaps on {datetime_text(data.generated_at)} (no snapshot was kept for {data.month:%B %Y})"


def _measure_words(m: MeasureLine) -> str:
    words = m.title + (f": {m.group_title}" if m.group_title else "")
    return words + (" (lower is better)" if m.inverse else "")


def _local(instant: dt.datetime | None) -> dt.datetime | None:
    return None if instant is None else instant.replace(tzinfo=dt.timezone.utc).astimezone()
