"""Recomputing gaps in care (a use case) for the pod, a practice or some patients."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from application.changes import ChangeSet
from domain.measures.period import MeasurementPeriod
from storage.measures.engine import Cancelled as RecomputeCancelled
from domain.measures.catalogue import catalogue
from storage.measures.recompute import recompute

__all__ = ["Recomputed", "RecomputeCancelled", "recompute_gaps", "year_period"]


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
    summary = recompute(pod.engine, period, measure_ids, patient_ids=ids, progress=progress, cancel=cancel)
    changes = ChangeSet.of("gaps", "quality", patients=ids, measures=measure_ids)
    if risk_tiers:
        from application.risk import RiskCancelled, recompute_risk_tiers

        try:
            changes = changes | recompute_risk_tiers(pod, patient_ids=ids, progress=progress, cancel=cancel).changes
        except RiskCancelled:
            raise RecomputeCancelled() from None
    return Recomputed(summary, period, changes)
