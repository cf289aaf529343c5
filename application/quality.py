"""Quality against pod peers: each practice's rates, rank, pod median and best, and trends."""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from storage.failures import UNREADABLE
from storage.queries import pod_settings
from storage.queries import quality as q
from storage.queries.quality import KeptRates, MeasureScore, PracticeRate, TrendPoint

__all__ = ["KeptRates", "MeasureScore", "PracticeRate", "TrendPoint", "kept_rates", "minimum_denominator",
           "peer_rates", "practice_scorecard", "rate_history", "set_minimum_denominator", "take_snapshot"]


def minimum_denominator(pod) -> int:
    """Below this denominator a rate is shown with its counts but not ranked (a pod setting).
    A pod found damaged whose page of settings cannot be read gives the default: the window
    opens read-only to save what can be read, and says the database is damaged."""
    try:
        with pod.engine.connect() as conn:
            return pod_settings.minimum_denominator(conn)
    except UNREADABLE:
        if not pod.damaged:
            raise
        return pod_settings.minimum_from(None)


def set_minimum_denominator(pod, value: int) -> ChangeSet:
    """Change the pod's minimum denominator for every user (audited); the rates are ranked anew."""
    with pod.unit_of_work() as uow:
        before = pod_settings.minimum_denominator(uow.session.connection())
        pod_settings.write_minimum_denominator(uow.session.connection(), value)
        uow.audit.record("change", "PodSetting", None, None, f"minimum denominator {before} → {value}")
        uow.commit()
    return ChangeSet.of("quality")


def peer_rates(pod, period_end: dt.date, measure_id: str | None = None, progress=None
               ) -> dict[tuple[str, int], list[PracticeRate]]:
    """Computed from the gaps now (seconds at a million patients): see :func:`kept_rates`."""
    return q.peer_rates(pod.engine, period_end, measure_id, progress)


def kept_rates(pod, period_end: dt.date) -> KeptRates | None:
    """The period's rates as its newest monthly snapshot kept them (the recompute keeps one), or
    None when none was kept."""
    return q.kept_rates(pod.engine, period_end)


def practice_scorecard(pod, practice_id: int, period_end: dt.date,
                       rates: dict[tuple[str, int], list[PracticeRate]] | None = None) -> list[MeasureScore]:
    return q.practice_scorecard(pod.engine, practice_id, period_end, rates)


def rate_history(pod, practice_id: int, measure_id: str, group_index: int = 0,
                 period_end: dt.date | None = None) -> list[TrendPoint]:
    return q.rate_history(pod.engine, practice_id, measure_id, group_index, period_end)


def take_snapshot(pod, month: dt.date) -> "Snapshot":
    """Keep this month's rates of every practice (again: replaces the month's)."""
    return Snapshot(q.take_snapshot(pod.engine, month), month)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    rows: int  # practice rates kept
    month: dt.date
    changes: ChangeSet = ChangeSet.of("quality")
