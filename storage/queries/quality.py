"""Each practice's quality rates against its pod peers, and their monthly snapshots.

A gap's state already says where the patient stands after exclusions and
exceptions (``domain.gaps.state_from_populations``): *open* and *closed* are
exactly the denominator after exclusions/exceptions, and the numerator is
*closed* (for an inverse measure such as CMS122, where being in the numerator
is the bad outcome, *open*).  So the rates are one GROUP BY over the
``(measure_id, period_end, state)`` index, touching only denominator rows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.clock import utcnow
from storage import schema as t
from storage.queries.gaps import gap_periods, practice_choices

g, p, m, snap = t.gap, t.patient, t.measure, t.quality_snapshot


@dataclasses.dataclass(frozen=True)
class PracticeRate:
    practice_id: int
    practice_code: str
    measure_id: str
    group_index: int
    numerator: int
    denominator: int
    rate: float | None  # None when the practice has nobody in the denominator
    rank: int | None  # 1 = best; equal rates share a rank (1, 1, 3)
    practices_ranked: int
    pod_median: float | None
    pod_best: float | None
    best_practices: tuple[str, ...]  # codes of the practice(s) with the best rate

    @property
    def rank_label(self) -> str:
        return f"{self.rank} of {self.practices_ranked}" if self.rank else "—"


@dataclasses.dataclass(frozen=True)
class MeasureScore:
    """One measure (group) of the practice's scorecard, with every peer's rate for the chart."""

    measure_id: str
    group_index: int
    title: str
    inverse: bool
    mine: PracticeRate
    peers: list[PracticeRate]
    multi_group: bool = False

    @property
    def label(self) -> str:
        """'CMS125', or 'CMS138 · 2' for the second population group."""
        return f"{self.measure_id} · {self.group_index + 1}" if self.multi_group else self.measure_id


@dataclasses.dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    numerator: int
    denominator: int
    rate: float | None
    pod_median: float | None
    pod_best: float | None


def rank_rates(counts: dict[int, tuple[int, int]], *, inverse: bool) -> dict[int, tuple]:
    """practice id → (rate, rank, ranked, median, best, best practice ids).

    ``counts`` maps practice id → (numerator, denominator). Practices with a zero
    denominator have no rate and no rank and do not count towards median or best.
    Lower is better for an inverse measure.
    """
    rates = {pid: num / den for pid, (num, den) in counts.items() if den > 0}
    ordered = sorted(rates.values(), reverse=not inverse)
    median = statistics.median(ordered) if ordered else None
    best = ordered[0] if ordered else None
    best_ids = tuple(sorted(pid for pid, r in rates.items() if r == best))
    result = {}
    for pid in counts:
        rate = rates.get(pid)
        # competition ranking: 1 + the number of practices strictly better
        rank = None if rate is None else 1 + sum(
            1 for other in ordered if (other < rate if inverse else other > rate))
        result[pid] = (rate, rank, len(ordered), median, best, best_ids)
    return result


def _counts(conn, period_end: dt.date, measure_id: str | None):
    query = (sa.select(p.c.practice_id, g.c.measure_id, g.c.group_index, g.c.state, sa.func.count())
             .select_from(g.join(p, p.c.id == g.c.patient_id))
             .where(g.c.period_end == period_end, g.c.state.in_(("open", "closed")),
                    p.c.entered_in_error.is_(False))
             .group_by(p.c.practice_id, g.c.measure_id, g.c.group_index, g.c.state))
    if measure_id:
        query = query.where(g.c.measure_id == measure_id)
    by_measure: dict[tuple[str, int], dict[int, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"open": 0, "closed": 0}))
    for practice_id, mid, group_index, state, n in conn.execute(query):
        by_measure[(mid, group_index)][practice_id][state] += n
    return by_measure


def peer_rates(engine: Engine, period_end: dt.date, measure_id: str | None = None
               ) -> dict[tuple[str, int], list[PracticeRate]]:
    """(measure, group) → every active practice's rate, rank, pod median and best."""
    practices = {pid: code for pid, code, _name in practice_choices(engine)}
    with engine.connect() as conn:
        inverse = {mid: bool(inv) for mid, inv in conn.execute(sa.select(m.c.id, m.c.inverse))}
        by_measure = _counts(conn, period_end, measure_id)
    result = {}
    for (mid, group_index), per_practice in sorted(by_measure.items()):
        met_state = "open" if inverse.get(mid) else "closed"
        counts = {pid: (per_practice[pid][met_state] if pid in per_practice else 0,
                        sum(per_practice[pid].values()) if pid in per_practice else 0)
                  for pid in practices}
        ranked = rank_rates(counts, inverse=bool(inverse.get(mid)))
        result[(mid, group_index)] = [
            PracticeRate(pid, practices[pid], mid, group_index, counts[pid][0], counts[pid][1],
                         rate, rank, n, median, best, tuple(practices[b] for b in best_ids))
            for pid, (rate, rank, n, median, best, best_ids) in ranked.items()]
    return result


def practice_scorecard(engine: Engine, practice_id: int, period_end: dt.date) -> list[MeasureScore]:
    """The practice's row for every measure (group) of the period, with its peers."""
    with engine.connect() as conn:
        measures = {r.id: r for r in conn.execute(sa.select(m.c.id, m.c.title, m.c.inverse))}
    rates = peer_rates(engine, period_end)
    groups = defaultdict(int)
    for mid, _gi in rates:
        groups[mid] += 1
    scores = []
    for (mid, group_index), peers in rates.items():
        mine = next((r for r in peers if r.practice_id == practice_id), None)
        if mine is None:
            continue
        info = measures.get(mid)
        scores.append(MeasureScore(mid, group_index, info.title if info else mid,
                                   bool(info.inverse) if info else False, mine, peers,
                                   multi_group=groups[mid] > 1))
    return sorted(scores, key=lambda s: (_measure_order(s.measure_id), s.group_index))


def _measure_order(measure_id: str):
    digits = "".join(ch for ch in measure_id if ch.isdigit())
    return (int(digits) if digits else 0, measure_id)


# --- monthly snapshots ---------------------------------------------------------------

def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def take_snapshot(engine: Engine, month: dt.date, *, taken_at: dt.datetime | None = None) -> int:
    """Keep this month's rates of every practice; taking it again replaces the month's rows.

    The periods snapshotted are those containing the month (or, when none does,
    the latest one). Returns the number of rows written.
    """
    month = _first_of_month(month)
    periods = gap_periods(engine)
    chosen = [pe for ps, pe in periods if ps <= month <= pe] or [pe for _ps, pe in periods[:1]]
    starts = dict((pe, ps) for ps, pe in periods)
    taken_at = taken_at or utcnow()
    rows = []
    for period_end in chosen:
        for (mid, group_index), peers in peer_rates(engine, period_end).items():
            rows += [dict(practice_id=r.practice_id, measure_id=mid, period_start=starts[period_end],
                          period_end=period_end, group_index=group_index, month=month,
                          numerator=r.numerator, denominator=r.denominator, rate=r.rate, rank=r.rank,
                          practices_ranked=r.practices_ranked, pod_median=r.pod_median,
                          pod_best=r.pod_best, taken_at=taken_at) for r in peers]
    with engine.begin() as conn:
        if chosen:
            conn.execute(sa.delete(snap).where(snap.c.month == month, snap.c.period_end.in_(chosen)))
        if rows:
            conn.execute(sa.insert(snap), rows)
    return len(rows)


def rate_history(engine: Engine, practice_id: int, measure_id: str, group_index: int = 0,
                 period_end: dt.date | None = None) -> list[TrendPoint]:
    """The practice's snapshotted rate month by month (oldest first), with pod median and best."""
    query = (sa.select(snap.c.month, snap.c.numerator, snap.c.denominator, snap.c.rate,
                       snap.c.pod_median, snap.c.pod_best)
             .where(snap.c.practice_id == practice_id, snap.c.measure_id == measure_id,
                    snap.c.group_index == group_index)
             .order_by(snap.c.month, snap.c.period_end))
    if period_end is not None:
        query = query.where(snap.c.period_end == period_end)
    with engine.connect() as conn:
        points: dict[dt.date, TrendPoint] = {}
        for r in conn.execute(query):
            points[r.month] = TrendPoint(r.month, r.numerator, r.denominator, r.rate,
                                         r.pod_median, r.pod_best)  # latest period wins a month
    return list(points.values())
