"""Gaps in care: the worklist and the chart's Gaps tab (read models), documenting an
exclusion or a refusal and exporting the worklist (use cases)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from domain import services
from domain.measures.period import MeasurementPeriod
from storage.measures.recompute import recompute_for_patients
from storage.queries import gaps as q
from storage.queries.gaps import (
    DEFAULT_SORT, PAGE_SIZE, ExportFailed, GapCounts, GapFilter, GapHistoryEntry, GapRow, Page, PatientGap,
)

__all__ = ["DEFAULT_SORT", "PAGE_SIZE", "ExportFailed", "GapCounts", "GapFilter", "GapHistoryEntry", "GapRow",
           "Page", "PatientGap", "count_gaps", "document_override", "export_worklist", "gap_page", "gap_periods",
           "mark_override_entered_in_error", "measure_choices", "measure_groups", "patient_gap_history",
           "patient_gaps", "practice_choices"]


# --- read models ------------------------------------------------------------------------

def measure_choices(pod) -> list[tuple[str, str]]:
    return q.measure_choices(pod.engine)


def measure_groups(pod) -> dict[str, list[str]]:
    return q.measure_groups(pod.engine)


def practice_choices(pod) -> list[tuple[int, str, str]]:
    return q.practice_choices(pod.engine)


def gap_periods(pod, measure_id: str | None = None) -> list[tuple[dt.date, dt.date]]:
    return q.gap_periods(pod.engine, measure_id)


def count_gaps(pod, flt: GapFilter) -> GapCounts:
    return q.count_gaps(pod.engine, flt)


def gap_page(pod, flt: GapFilter, *, sort: str = DEFAULT_SORT, descending: bool = False,
             after: tuple | None = None, limit: int = PAGE_SIZE) -> Page:
    return q.gap_page(pod.engine, flt, sort=sort, descending=descending, after=after, limit=limit)


def patient_gaps(pod, patient_id: int) -> list[PatientGap]:
    return q.patient_gaps(pod.engine, patient_id)


def patient_gap_history(pod, patient_id: int) -> list[GapHistoryEntry]:
    return q.patient_gap_history(pod.engine, patient_id)


# --- use cases ----------------------------------------------------------------------------

def _recompute_gap(pod, patient_id: int, measure_id: str, period: MeasurementPeriod) -> None:
    """A documented exclusion or refusal changes the gap's state at once (about 0.3 s)."""
    recompute_for_patients(pod.engine, [patient_id], period, measure_ids=[measure_id])


def document_override(pod, *, patient_id: int, measure_id: str, period_start: dt.date, period_end: dt.date,
                      kind: str, reason: str) -> ChangeSet:
    """Keep a documented exclusion or "patient declined" (reason, who, when) and recompute
    that gap of the patient."""
    with pod.unit_of_work() as uow:
        services.document_gap_override(uow, patient_id=patient_id, measure_id=measure_id,
                                       period_start=period_start, period_end=period_end, kind=kind, reason=reason)
    _recompute_gap(pod, patient_id, measure_id, MeasurementPeriod(period_start, period_end))
    return ChangeSet.of("gaps", "quality", patients=[patient_id], measures=[measure_id])


def mark_override_entered_in_error(pod, *, override_id: int, patient_id: int, measure_id: str,
                                   period_start: dt.date, period_end: dt.date, reason: str) -> ChangeSet:
    """A documented exclusion or refusal was wrong: kept, marked entered-in-error with the
    reason, and the gap recomputed without it."""
    with pod.unit_of_work() as uow:
        services.mark_entered_in_error(uow, "gap_overrides", override_id, reason=reason)
    _recompute_gap(pod, patient_id, measure_id, MeasurementPeriod(period_start, period_end))
    return ChangeSet.of("gaps", "quality", patients=[patient_id], measures=[measure_id])


@dataclasses.dataclass(frozen=True)
class Exported:
    rows: int | None  # None: cancelled, nothing written
    path: str
    changes: ChangeSet = ChangeSet.of("audit")


def export_worklist(pod, flt: GapFilter, path, *, sort: str = DEFAULT_SORT, descending: bool = False,
                    progress=None, cancel=None) -> Exported:
    """The worklist as filtered and sorted, to a CSV file (audited). Raises
    :class:`ExportFailed` naming the file when it cannot be written."""
    rows = q.export_csv(pod.engine, pod.actor(), flt, path, sort=sort, descending=descending,
                        progress=progress, cancel=cancel)
    return Exported(rows, str(path))
