"""Quality against pod peers: each practice's rates, rank, pod median and best, and trends."""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.changes import ChangeSet
from storage.queries import quality as q
from storage.queries.quality import MeasureScore, PracticeRate, TrendPoint

__all__ = ["MeasureScore", "PracticeRate", "TrendPoint", "peer_rates", "practice_scorecard",
           "rate_history", "take_snapshot"]


def peer_rates(pod, period_end: dt.date, measure_id: str | None = None) -> dict[tuple[str, int], list[PracticeRate]]:
    return q.peer_rates(pod.engine, period_end, measure_id)


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
