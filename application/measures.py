"""Recomputing gaps in care (a use case) for the pod, a practice or some patients."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from application.changes import NOTHING, ChangeSet
from domain.clock import today, utcnow
from domain.measures.period import MeasurementPeriod
from storage.measures.engine import Cancelled as RecomputeCancelled
from domain.measures.catalogue import catalogue
from storage.measures.recompute import recompute
from storage.queries.evaluations import record_evaluation
from storage.queries.gaps import gap_periods

__all__ = ["Recomputed", "RecomputeCancelled", "RecomputedPeriods", "period_label", "periods_with_gaps",
           "recompute_gaps", "recompute_periods", "year_period"]


@dataclasses.dataclass(frozen=True)
class Recomputed:
    summary: dict[str, dict[str, int]]  # measure -> state -> gaps
    period: MeasurementPeriod
    changes: ChangeSet

    @property
    def open_gaps(self) -> int:
        return sum(states.get("open", 0) for states in self.summary.values())


def year_period(year: int) -> MeasurementPeriod:
    return MeasurementPeriod(dt.date(year, 1, 1), dt.date(year, 12, 31))


def recompute_gaps(pod, period: MeasurementPeriod, *, patient_ids: Iterable[int] | None = None,
                   measure_ids: Iterable[str] | None = None, progress=None, cancel=None,
                   risk_tiers: bool = True) -> Recomputed:
    """Evaluate the measures (the catalogue's active ones unless told) and write their gaps (each
    measure whole, in its own transaction: a cancel keeps the measures finished before it), then the
    same patients' risk tiers (application.risk; the whole pod's after a complete recompute).
    Raises :class:`RecomputeCancelled`."""
    ids = None if patient_ids is None else sorted({int(p) for p in patient_ids})
    measure_ids = list(catalogue().active_ids if measure_ids is None else measure_ids)
    started = utcnow()
    summary = recompute(pod.engine, period, measure_ids, patient_ids=ids, progress=progress, cancel=cancel)
    changes = ChangeSet.of("gaps", "quality", patients=ids, measures=measure_ids)
    if set(catalogue().active_ids) <= set(measure_ids):
        # every measure evaluated: a patient without a gap now is in no measure's population
        record_evaluation(pod.engine, period.start, period.end, ids, started)
    if risk_tiers:
        from application.risk import RiskCancelled, recompute_risk_tiers

        try:
            changes = changes | recompute_risk_tiers(pod, patient_ids=ids, progress=progress, cancel=cancel).changes
        except RiskCancelled:
            raise RecomputeCancelled() from None
    return Recomputed(summary, period, changes)


@dataclasses.dataclass(frozen=True)
class RecomputedPeriods:
    results: list[Recomputed]  # oldest period first

    @property
    def changes(self) -> ChangeSet:
        changes = NOTHING
        for result in self.results:
            changes = changes | result.changes
        return changes

    @property
    def periods(self) -> list[MeasurementPeriod]:
        return [r.period for r in self.results]


def periods_with_gaps(pod, on: dt.date | None = None) -> list[MeasurementPeriod]:
    """Every measurement period the pod has gaps of (oldest first); none yet: this calendar year."""
    periods = [MeasurementPeriod(start, end) for start, end in sorted(gap_periods(pod.engine))]
    return periods or [year_period((on or today()).year)]


def recompute_periods(pod, periods: list[MeasurementPeriod], *, patient_ids: Iterable[int] | None = None,
                      progress=None, cancel=None) -> RecomputedPeriods:
    """:func:`recompute_gaps` for each period in turn (after an import: every period that has
    gaps, so no computed year is left without the new patients). ``progress(i, n, label)``
    counts the measures of all the periods."""
    ids = None if patient_ids is None else sorted({int(p) for p in patient_ids})
    results = []
    for number, period in enumerate(periods):
        def step(i, n, label, number=number, period=period):
            if progress:
                progress(number * n + i, n * len(periods), f"{period_label(period)}: {label}")
        # the risk tiers once, after the last period (they do not depend on the period)
        results.append(recompute_gaps(pod, period, patient_ids=ids, progress=step, cancel=cancel,
                                      risk_tiers=number == len(periods) - 1))
    return RecomputedPeriods(results)


def period_label(period: MeasurementPeriod) -> str:
    """'2026' for a calendar year, else its first and last day."""
    if (period.start.month, period.start.day, period.end.month, period.end.day) == (1, 1, 12, 31):
        return str(period.start.year)
    return f"{period.start.isoformat()} to {period.end.isoformat()}"
