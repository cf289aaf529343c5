"""The Quality screen's read model: one practice's measures against its pod peers.

The numbers (numerator, denominator after exclusions and exceptions, rate, rank,
pod median, best) and the monthly snapshots come from the measure engine's
``storage.measures.peer_rates`` — one place for those rules. This module only
puts them together for a screen: every measure (and population group) of a
period, practice codes instead of ids, and the pod's practices that have nobody
in a measure shown as "no rate" rather than left out.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t
from storage.measures import peer_rates as engine_rates
from storage.queries.gaps import gap_periods, practice_choices

g, m = t.gap, t.measure


@dataclasses.dataclass(frozen=True)
class PracticeRate:
    practice_id: int
    practice_code: str
    measure_id: str
    group_index: int
    numerator: int
    denominator: int
    rate: float | None  # None when the practice has nobody in the denominator
    rank: int | None  # 1 = best
    practices_ranked: int
    pod_median: float | None
    pod_best: float | None
    best_practices: tuple[str, ...]  # codes of the practice(s) sharing the best rate
    too_few: bool = False  # denominator below the pod's minimum: shown with its counts, not ranked
    minimum: int = 20  # the pod's minimum denominator

    @property
    def rank_label(self) -> str:
        if self.too_few:
            return f"not ranked (under {self.minimum})"
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


def _groups(definition) -> list[int]:
    groups = definition.get("groups") if isinstance(definition, dict) else None
    return list(range(len(groups))) if groups else [0]


def _period_start(conn, measure_id: str, period_end: dt.date) -> dt.date | None:
    return conn.scalar(sa.select(g.c.period_start).where(
        g.c.measure_id == measure_id, g.c.period_end == period_end).limit(1))


def peer_rates(engine: Engine, period_end: dt.date, measure_id: str | None = None,
               progress: Callable[[int, int, str], None] | None = None
               ) -> dict[tuple[str, int], list[PracticeRate]]:
    """(measure, group) → every active practice's rate, rank, pod median and best, for the period,
    computed from the gaps (at a million patients, seconds a measure; ``progress(done, total,
    text)`` is told as each measure is done). :func:`kept_rates` reads them from the snapshot
    the recompute keeps instead."""
    practices = {pid: code for pid, code, _name in practice_choices(engine)}
    with engine.connect() as conn:
        query = sa.select(m.c.id, m.c.definition).where(m.c.active.is_(True)).order_by(m.c.id)
        if measure_id:
            query = query.where(m.c.id == measure_id)
        measures = [(mid, _groups(definition), _period_start(conn, mid, period_end))
                    for mid, definition in conn.execute(query)]
    result = {}
    for done, (mid, groups, period_start) in enumerate(measures):
        if progress is not None:
            progress(done, len(measures), f"Computing the rates of {mid} for every practice…")
        if period_start is None:  # no gaps of this measure in the period
            continue
        by_group = engine_rates.rates_by_group(engine, mid, period_start, period_end)  # one read of the gaps
        for group_index in groups:
            rows = {r.practice_id: r for r in by_group.get(group_index, [])}
            if rows:
                result[(mid, group_index)] = _peers(mid, group_index, rows, practices)
    return result


def _peers(mid: str, group_index: int, rows: dict[int, engine_rates.PracticeRate], practices: dict[int, str]
           ) -> list[PracticeRate]:
    """Every active practice's rate of a measure group from the engine's rates (by practice id);
    a practice with nobody in the measure has "no rate"."""
    any_row = next(iter(rows.values()))
    best = tuple(practices.get(pid, "") for pid in any_row.best_practice_ids)
    return [PracticeRate(pid, code, mid, group_index,
                         rows[pid].numerator if pid in rows else 0,
                         rows[pid].denominator if pid in rows else 0,
                         rows[pid].rate if pid in rows else None,
                         rows[pid].rank if pid in rows else None,
                         any_row.practices_ranked, any_row.pod_median, any_row.pod_best, best,
                         rows[pid].too_few if pid in rows else False, any_row.minimum)
            for pid, code in practices.items()]


@dataclasses.dataclass(frozen=True)
class KeptRates:
    """The rates of a period as the last snapshot kept them (the recompute keeps one a month)."""

    rates: dict[tuple[str, int], list[PracticeRate]]  # as :func:`peer_rates` gives them
    month: dt.date  # the snapshot's month
    taken_at: dt.datetime | None  # when it was written (the recompute's last step)


def kept_rates(engine: Engine, period_end: dt.date) -> KeptRates | None:
    """The period's rates from its newest monthly snapshot — each practice's numerator and
    denominator as the recompute kept them, ranked now with the pod's minimum denominator
    (so a new minimum ranks them anew) — or None when no snapshot of the period was kept.
    Milliseconds, where :func:`peer_rates` reads every gap of the period."""
    s = t.quality_snapshot
    from storage.queries.pod_settings import minimum_denominator

    with engine.connect() as conn:
        month = conn.scalar(sa.select(sa.func.max(s.c.month)).where(s.c.period_end == period_end))
        if month is None:
            return None
        rows = conn.execute(sa.select(s.c.measure_id, s.c.group_index, s.c.practice_id, s.c.numerator,
                                      s.c.denominator, s.c.taken_at)
                            .where(s.c.period_end == period_end, s.c.month == month)
                            .order_by(s.c.measure_id, s.c.group_index, s.c.practice_id)).all()
        minimum = minimum_denominator(conn)
        inverse = {mid: bool(inv) for mid, inv in conn.execute(sa.select(m.c.id, m.c.inverse))}
    practices = {pid: code for pid, code, _name in practice_choices(engine)}
    sums: dict[tuple[str, int], list[tuple]] = {}
    for r in rows:  # kept after exclusions and exceptions: none to take off again
        sums.setdefault((r.measure_id, r.group_index), []).append((r.practice_id, r.numerator, r.denominator, 0, 0))
    rates = {}
    for (mid, group_index), kept in sums.items():
        ranked = {r.practice_id: r for r in engine_rates._ranked(kept, inverse.get(mid, False), minimum)}
        rates[(mid, group_index)] = _peers(mid, group_index, ranked, practices)
    return KeptRates(rates, month, max((r.taken_at for r in rows), default=None))


def practice_scorecard(engine: Engine, practice_id: int, period_end: dt.date,
                       rates: dict[tuple[str, int], list[PracticeRate]] | None = None) -> list[MeasureScore]:
    """The practice's row for every measure (group) of the period, with its peers.

    ``rates`` (from :func:`peer_rates` for the same period) saves recomputing them
    when a screen shows one practice after another.
    """
    with engine.connect() as conn:
        measures = {r.id: r for r in conn.execute(sa.select(m.c.id, m.c.title, m.c.inverse))}
    if rates is None:
        rates = peer_rates(engine, period_end)
    groups: dict[str, int] = {}
    for mid, _gi in rates:
        groups[mid] = groups.get(mid, 0) + 1
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

def take_snapshot(engine: Engine, month: dt.date) -> int:
    """Keep this month's rates of every measure of the periods containing the month (or the latest
    period); taking it again replaces that month's rows. Returns the rows written."""
    periods = gap_periods(engine)
    first = month.replace(day=1)
    chosen = [p for p in periods if p[0] <= first <= p[1]] or periods[:1]
    with engine.connect() as conn:
        measure_ids = list(conn.scalars(sa.select(m.c.id).where(m.c.active.is_(True)).order_by(m.c.id)))
    written = 0
    for period_start, period_end in chosen:
        for mid in measure_ids:
            with engine.connect() as conn:
                start = _period_start(conn, mid, period_end)
            if start is not None:
                written += engine_rates.take_snapshot(engine, mid, start, period_end, first)
    return written


def rate_history(engine: Engine, practice_id: int, measure_id: str, group_index: int = 0,
                 period_end: dt.date | None = None) -> list[TrendPoint]:
    """The practice's snapshotted rate month by month (oldest first), with pod median and best."""
    points: dict[dt.date, TrendPoint] = {}
    for r in engine_rates.rate_history(engine, practice_id, measure_id):
        if r.get("group_index", 0) != group_index or (period_end and r["period_end"] != period_end):
            continue
        points[r["month"]] = TrendPoint(r["month"], r["numerator"], r["denominator"], r["rate"],
                                        r["pod_median"], r["pod_best"])  # latest period wins a month
    return [points[month] for month in sorted(points)]


def snapshot_rates(engine: Engine, period_end: dt.date, month: dt.date
                   ) -> tuple[dict[tuple[str, int], list[PracticeRate]], dt.datetime | None]:
    """The rates kept in ``month``'s snapshot of the period, shaped as :func:`peer_rates`
    gives them (every active practice, "no rate" for one the snapshot does not have), and
    when the snapshot was taken; ({}, None) when no snapshot of that month was kept."""
    from storage.queries.pod_settings import minimum_denominator

    s = t.quality_snapshot
    practices = {pid: code for pid, code, _name in practice_choices(engine)}
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(s).where(s.c.period_end == period_end, s.c.month == month.replace(day=1))
                                 .order_by(s.c.measure_id, s.c.group_index, s.c.practice_id)))
        minimum = minimum_denominator(conn)
    by_key: dict[tuple[str, int], dict[int, object]] = {}
    for r in rows:
        by_key.setdefault((r.measure_id, r.group_index), {})[r.practice_id] = r
    result = {}
    for (mid, group_index), kept in by_key.items():
        any_row = next(iter(kept.values()))
        best = tuple(practices[pid] for pid, r in kept.items() if r.rank == 1 and pid in practices)
        result[(mid, group_index)] = [
            PracticeRate(pid, code, mid, group_index,
                         kept[pid].numerator if pid in kept else 0, kept[pid].denominator if pid in kept else 0,
                         kept[pid].rate if pid in kept else None, kept[pid].rank if pid in kept else None,
                         any_row.practices_ranked, any_row.pod_median, any_row.pod_best, best,
                         # a rate kept without a rank was on too few patients to rank
                         pid in kept and kept[pid].rate is not None and kept[pid].rank is None, minimum)
            for pid, code in practices.items()]
    return result, max((r.taken_at for r in rows), default=None)
