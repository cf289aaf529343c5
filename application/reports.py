"""Printed reports: the read models that fill them, and the use cases that preview, print and
save them (each audited: who printed or exported which practice's report, when).

``practice_quality_report(pod, "RFP", month)`` gathers one practice's quality report as plain
data (``reports.practice_quality.PracticeQualityData``); :func:`render` turns it into PDF bytes;
:func:`save_report` writes them (audited as an export), :func:`record_print` audits a print,
:func:`record_preview` a look at one on screen. :func:`write_practice_reports` writes the monthly
batch of many practices into a folder, with progress and cancel.

The period is the measurement period (year) containing the month; the rates come from that
month's snapshot (``quality_snapshot``) when one was kept, else they are computed from the gaps
as they are now. The open gaps are those of now.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from application.changes import ChangeSet
from domain.clock import today
from domain.errors import DomainError
from reports.base import ReportWriteFailed, write_pdf
from reports.practice_quality import (
    MeasureGaps, MeasureLine, OpenGapLine, PracticeQualityData, PracticeQualityReport,
)
from storage.queries import gaps as gap_queries
from storage.queries import quality as quality_queries
from storage.queries import reports as report_queries
from storage.queries.quality import PracticeRate

__all__ = ["BatchResult", "MeasureGaps", "MeasureLine", "OpenGapLine", "PodRates", "PracticeQualityData",
           "PracticeLine", "PrintedReport", "ReportWriteFailed", "ReportsOverview", "month_choices", "parse_month", "pod_rates",
           "practice_quality_report", "record_preview", "record_print", "render", "reports_already_in",
           "reports_overview", "save_report",
           "write_practice_reports"]

Progress = Callable[[int, int, str], None]
Cancel = Callable[[], bool]


class Cancelled(Exception):
    """The user stopped the work; nothing was written."""


# --- months and periods ----------------------------------------------------------------------------

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(text: str) -> dt.date:
    """"2026-03" -> 2026-03-01; anything else is a :class:`DomainError` saying what is expected."""
    match = _MONTH.match(text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise DomainError(f"The period {text!r} is not a month: write it as YYYY-MM, for example 2026-03.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _period_of(pod, month: dt.date) -> tuple[dt.date, dt.date]:
    """The computed measurement period that contains the month (the newest, if several do)."""
    for start, end in gap_queries.gap_periods(pod.engine):
        if start <= month <= end:
            return start, end
    raise DomainError(f"No measurement period containing {month:%B %Y} has been computed: recompute the "
                      f"measures for {month.year} first.")


def month_choices(pod) -> list[dt.date]:
    """The months a report can be asked for: each month of every computed period, newest first,
    none after this month."""
    this_month = today().replace(day=1)
    months: set[dt.date] = set()
    for start, end in gap_queries.gap_periods(pod.engine):
        month = start.replace(day=1)
        while month <= end and month <= this_month:
            months.add(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return sorted(months, reverse=True)


@dataclasses.dataclass(frozen=True)
class PracticeLine:
    code: str
    name: str
    patients: int
    open_gaps: int  # in the month's period


@dataclasses.dataclass(frozen=True)
class ReportsOverview:
    """What the Reports section shows for a month: its period, where the rates would come from,
    and each active practice with its patients and open gaps."""

    month: dt.date
    period_start: dt.date
    period_end: dt.date
    snapshot_taken_at: dt.datetime | None  # the month's snapshot, or None: rates computed when printed
    practices: tuple[PracticeLine, ...]


def reports_overview(pod, month: dt.date) -> ReportsOverview:
    month = month.replace(day=1)
    start, end = _period_of(pod, month)
    _kept, taken_at = quality_queries.snapshot_rates(pod.engine, end, month)
    lines = tuple(PracticeLine(code, name, patients, open_gaps) for _pid, code, name, patients, open_gaps
                  in report_queries.practices_overview(pod.engine, end))
    return ReportsOverview(month, start, end, taken_at, lines)


# --- the pod's rates --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PodRates:
    """Every practice's rates of one period, as a month's report shows them."""

    month: dt.date
    period_start: dt.date
    period_end: dt.date
    by_measure: dict[tuple[str, int], list[PracticeRate]]
    snapshot_taken_at: dt.datetime | None  # None: computed from the gaps now


def pod_rates(pod, month: dt.date) -> PodRates:
    """The rates of the period containing ``month``: its snapshot if one was kept, else computed
    (at a million patients that takes some seconds; a batch does it once for every practice)."""
    month = month.replace(day=1)
    start, end = _period_of(pod, month)
    kept, taken_at = quality_queries.snapshot_rates(pod.engine, end, month)
    if kept:
        return PodRates(month, start, end, kept, taken_at)
    return PodRates(month, start, end, quality_queries.peer_rates(pod.engine, end), None)


# --- one practice's report ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Practice:
    id: int
    code: str
    name: str


def _practice(pod, code: str) -> _Practice:
    found = report_queries.practice_by_code(pod.engine, (code or "").strip().upper())
    if found is None:
        raise DomainError(f"The pod has no practice with code {code!r}.")
    return _Practice(*found)


def practice_quality_report(pod, practice_code: str, month: dt.date, *, rates: PodRates | None = None,
                            progress: Progress | None = None, cancel: Cancel | None = None,
                            generated_at: dt.datetime | None = None) -> PracticeQualityData:
    """One practice's quality report of ``month`` as plain data (read only, nothing audited).

    ``rates`` (from :func:`pod_rates` for the same month) saves reading them again for each
    practice of a batch. Raises :class:`DomainError` for a practice code the pod does not have
    or a month of no computed period, :class:`Cancelled` when ``cancel()`` turns true."""
    practice = _practice(pod, practice_code)
    month = month.replace(day=1)
    rates = rates if rates is not None and rates.month == month else pod_rates(pod, month)
    generated_at = generated_at or dt.datetime.now().astimezone()
    scores = quality_queries.practice_scorecard(pod.engine, practice.id, rates.period_end, rates.by_measure)
    group_titles = gap_queries.measure_groups(pod.engine)

    def group_title(measure_id: str, group_index: int) -> str:
        titles = group_titles.get(measure_id) or []
        return titles[group_index] if group_index < len(titles) else ""

    measures = tuple(
        MeasureLine(s.label, s.title, group_title(s.measure_id, s.group_index) if s.multi_group else "", s.inverse,
                    s.mine.numerator, s.mine.denominator, s.mine.rate, s.mine.rank, s.mine.practices_ranked,
                    s.mine.pod_median, s.mine.pod_best, s.mine.too_few, s.mine.minimum)
        for s in scores)
    open_gaps = _open_gaps(pod, practice.id, rates.period_end, scores, group_title, progress, cancel)
    practices = {r.practice_id for peers in rates.by_measure.values() for r in peers}
    return PracticeQualityData(
        practice_code=practice.code, practice_name=practice.name, month=month, period_start=rates.period_start,
        period_end=rates.period_end, snapshot_taken_at=rates.snapshot_taken_at,
        practices_in_pod=len(practices) or len(gap_queries.practice_choices(pod.engine)),
        measures=measures, open_gaps=open_gaps, generated_at=generated_at, generated_by=pod.actor(),
        pod_label="Carepod")


def _open_gaps(pod, practice_id: int, period_end: dt.date, scores, group_title, progress, cancel
               ) -> tuple[MeasureGaps, ...]:
    """The practice's open gaps of the period, grouped by measure (the scorecard's order),
    patients in name order."""
    if progress:
        progress(0, 0, "Reading the practice's open gaps…")
    groups: dict[tuple[str, int], list[OpenGapLine]] = {}
    info = {}
    for row in report_queries.practice_open_gaps(pod.engine, practice_id, period_end, cancel=cancel):
        key = (row.measure_id, row.group_index)
        # a patient no longer in care is named as such: the practice does not call about their gap
        name = f"{row.patient_name} ({row.status_note.removeprefix('patient ')})" if row.status_note else row.patient_name
        groups.setdefault(key, []).append(OpenGapLine(name, row.birth_date, row.mrn, row.due_date,
                                                      row.last_outreach_at, _why(row.why)))
        info.setdefault(key, row)
    if cancel and cancel():
        raise Cancelled()
    order = {(s.measure_id, s.group_index): i for i, s in enumerate(scores)}
    multi = {s.measure_id for s in scores if s.multi_group}
    result = []
    for key in sorted(groups, key=lambda k: (order.get(k, len(order)), k)):
        row = info[key]
        label = f"{row.measure_id} · {row.group_index + 1}" if row.measure_id in multi else row.measure_id
        score = next((s for s in scores if (s.measure_id, s.group_index) == key), None)
        result.append(MeasureGaps(label, row.measure_title, group_title(*key) if row.measure_id in multi else "",
                                  bool(score.inverse) if score else False, tuple(groups[key])))
    return tuple(result)


_DUE_BY = re.compile(r"; due by \d{4}-\d{2}-\d{2}")


def _why(text: str) -> str:
    """The gap's explanation (domain.measures.explain) without what the list says beside it:
    "Open: no mammogram on record; due by 2026-12-31." -> "No mammogram on record." """
    text = _DUE_BY.sub("", text).removeprefix("Open: ")
    return text[:1].upper() + text[1:]


# --- printing and saving ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class PrintedReport:
    """A rendered report: what the preview shows, the printer prints and Save writes."""

    data: PracticeQualityData
    pdf: bytes
    pages: int

    @property
    def file_name(self) -> str:
        return self.data.file_name

    def describe(self) -> str:
        return (f"quality report of {self.data.practice_code} for {self.data.month:%Y-%m} "
                f"({self.pages} pages, {self.data.open_gap_count} open gaps)")


def render(data: PracticeQualityData) -> PrintedReport:
    """The report's PDF."""
    pdf = PracticeQualityReport(data).render()
    return PrintedReport(data, pdf, _page_count(pdf))


def _page_count(pdf: bytes) -> int:
    # reportlab writes one "/Type /Page" object per page (and "/Type /Pages" once)
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def _audit(pod, action: str, report: PrintedReport, detail: str) -> ChangeSet:
    with pod.unit_of_work() as uow:
        uow.audit.record(action, "Practice", _practice(pod, report.data.practice_code).id, None,
                         f"{report.describe()}{detail}")
        uow.commit()
    return ChangeSet.of("audit")


def record_preview(pod, report: PrintedReport) -> ChangeSet:
    """The report was shown on screen (its patients' names were seen)."""
    return _audit(pod, "view", report, " shown on screen")


def record_print(pod, report: PrintedReport, printer: str = "") -> ChangeSet:
    """The report was sent to a printer."""
    return _audit(pod, "print", report, f" printed on {printer}" if printer else " printed")


@dataclasses.dataclass(frozen=True)
class SavedReport:
    path: Path
    pages: int
    changes: ChangeSet = ChangeSet.of("audit")


def save_report(pod, report: PrintedReport, path: str | os.PathLike) -> SavedReport:
    """Write the PDF (whole or not at all, readable only by the user) and audit the export.
    Raises :class:`ReportWriteFailed` naming the file when it cannot be written."""
    target = write_pdf(report.pdf, path)
    _audit(pod, "export", report, f" saved to {target}")
    return SavedReport(target, report.pages)


# --- the monthly batch ----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BatchResult:
    folder: Path
    written: tuple[Path, ...]
    cancelled: bool
    changes: ChangeSet = ChangeSet.of("audit")


def reports_already_in(folder: str | os.PathLike, practice_codes: Sequence[str], month: dt.date) -> list[Path]:
    """The files a batch of ``month`` would replace in ``folder`` (reports written there before)."""
    from reports.practice_quality import report_file_name

    return [path for path in (Path(folder) / report_file_name(c.strip().upper(), month) for c in practice_codes)
            if path.exists()]


def write_practice_reports(pod, practice_codes: Sequence[str], month: dt.date, folder: str | os.PathLike, *,
                           progress: Progress | None = None, cancel: Cancel | None = None) -> BatchResult:
    """Each practice's report of ``month`` as ``<CODE>-<YYYY-MM>.pdf`` in ``folder`` (the pod's
    rates read once for all of them), each file audited as an export. Cancelling stops after
    the practice being written; the files already written stay (each is whole)."""
    target = Path(folder)
    if not target.is_dir():
        raise DomainError(f"{target} is not a folder: choose an existing folder for the reports.")
    codes = [c.strip().upper() for c in practice_codes]
    for code in codes:
        _practice(pod, code)  # an unknown code stops the batch before anything is written
    if progress:
        progress(0, len(codes), "Reading the pod's rates…")
    rates = pod_rates(pod, month)
    written: list[Path] = []
    for index, code in enumerate(codes):
        if cancel and cancel():
            return BatchResult(target, tuple(written), True)
        if progress:
            progress(index, len(codes), f"Writing the report of {code} ({index + 1} of {len(codes)})…")
        try:
            report = render(practice_quality_report(pod, code, month, rates=rates, cancel=cancel))
        except Cancelled:
            return BatchResult(target, tuple(written), True)
        written.append(save_report(pod, report, target / report.file_name).path)
    if progress:
        progress(len(codes), len(codes), f"{len(written)} reports written.")
    return BatchResult(target, tuple(written), False)
