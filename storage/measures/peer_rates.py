"""Pod-peer rates per practice and measure (rank, pod median, best practice) from the gap
rows, and monthly snapshots in ``quality_snapshot``.

Peers are the pod's practices: the holding place of imported patients whose practice is not
known is none. A rate whose denominator is below the pod's minimum (``pod_setting``, 20 by
default, as quality programmes use) keeps its counts but is not ranked, not the pod's best
and not in its median: it is marked ``too_few``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple
from fractions import Fraction

import sqlalchemy as sa

from domain.clock import utcnow
from domain.measures.populations import median, rate
from storage import schema
from storage.db import write_transaction
from storage.queries.pod_settings import minimum_denominator

# the populations a practice's rate is summed from, in PracticeRate's order
_SUMMED = ("numerator", "denominator", "denominator-exclusion", "denominator-exception")


@dataclasses.dataclass
class PracticeRate:
    practice_id: int
    numerator: int
    denominator: int  # after exclusions and exceptions
    rate: float | None
    rank: int | None
    practices_ranked: int
    pod_median: float | None
    pod_best: float | None
    best_practice_id: int | None  # the first of ``best_practice_ids``
    best_practice_ids: tuple[int, ...] = ()  # every practice sharing the best rate
    too_few: bool = False  # a denominator below the pod's minimum: shown, never ranked
    minimum: int = 20  # the pod's minimum denominator when the rate was worked out


def practice_rates(engine, measure_id: str, period_start: dt.date, period_end: dt.date,
                   group_index: int = 0) -> list[PracticeRate]:
    """One row per practice with patients in the measure; rank 1 = best (lowest for an inverse measure)."""
    return rates_by_group(engine, measure_id, period_start, period_end, group_index).get(group_index, [])


def rates_by_group(engine, measure_id: str, period_start: dt.date, period_end: dt.date,
                    group_index: int | None = None) -> dict[int, list[PracticeRate]]:
    """Per population group (one, or every group in one read of the measure's gaps), the
    practices' rates."""
    sql = sa.text(
        "SELECT g.group_index, p.practice_id, SUM(g.numerator), SUM(g.denominator), SUM(g.denominator_exclusion), "
        "SUM(g.denominator_exception), m.inverse FROM gap g JOIN patient p ON p.id = g.patient_id "
        "JOIN measure m ON m.id = g.measure_id WHERE g.measure_id = :m AND g.period_start = :s "
        f"AND g.period_end = :e {'' if group_index is None else 'AND g.group_index = :g '}"
        "GROUP BY g.group_index, p.practice_id")
    with engine.connect() as conn:
        rows = conn.execute(sql, {"m": measure_id, "s": period_start, "e": period_end, "g": group_index}).all()
        holding, minimum = _holding_places(conn), minimum_denominator(conn)
    groups: dict[int, list] = {}
    inverse = False
    for gi, practice_id, num, den, excl, exc, inv in rows:
        inverse = bool(inv)
        if practice_id not in holding:
            groups.setdefault(gi, []).append((practice_id, num, den, excl, exc))
    return {gi: _ranked(group_rows, inverse, minimum) for gi, group_rows in sorted(groups.items())}


def ranked_among_peers(conn, rows, inverse: bool) -> list[PracticeRate]:
    """``rows`` of (practice, numerator, denominator, exclusions, exceptions) ranked as the
    measures' rates are: the holding place left out, a rate below the pod's minimum
    denominator shown but not ranked (for a rate that is not a measure's, e.g. loop closure)."""
    holding, minimum = _holding_places(conn), minimum_denominator(conn)
    return _ranked([row for row in rows if row[0] not in holding], inverse, minimum)


def _holding_places(conn) -> set[int]:
    """The holding place(s) of imported patients whose practice is not known: never a peer."""
    return set(conn.scalars(sa.select(schema.practice.c.id).where(schema.practice.c.holding.is_(True))))


class PracticeSum(NamedTuple):
    """What one practice's rate of a population group is worked out from (each counted in the
    initial population)."""
    practice_id: int
    numerator: int
    denominator: int
    exclusions: int
    exceptions: int


class PracticeOf:
    """Every patient's practice, as a list indexed by patient id (a tenth of a dict's memory),
    read once per run (a patient moving practice meanwhile counts where they were) and again
    only when patients were added since."""

    def __init__(self) -> None:
        self.of: list[int] = []

    def read(self, con) -> list[int]:
        """The list, from a raw sqlite3 connection."""
        top = con.execute("SELECT COALESCE(MAX(id), 0) FROM patient").fetchone()[0]
        if top >= len(self.of):
            practice_of = [0] * (top + 1)
            for pid, practice in con.execute("SELECT id, practice_id FROM patient"):
                practice_of[pid] = practice
            self.of = practice_of
        return self.of


def practice_sums(groups, stored, practice_of: Sequence[int]) -> dict[int, list[PracticeSum]]:
    """What :func:`rates_by_group` reads from a measure's gaps, worked out from what a
    complete recompute writes them from: ``groups``, per group the population code ->
    patients; ``stored``, per group the patients who had a gap before (one outside the
    initial population now has none of its populations); ``practice_of``, patient id ->
    practice id. Per group: (practice, numerator, denominator, exclusions, exceptions), each
    counted in the initial population. (At a million patients, reading the gaps back took up
    to 10 s a measure.)"""
    out = {}
    for gi, pops in enumerate(groups):
        ip = pops["initial-population"]
        counts = [Counter(map(practice_of.__getitem__, pops[code] & ip if code in pops else ()))
                  for code in _SUMMED]
        practices = set(map(practice_of.__getitem__, ip)) | set(map(practice_of.__getitem__, stored[gi]))
        out[gi] = [PracticeSum(practice, *(c[practice] for c in counts)) for practice in sorted(practices)]
    return out


def _ranked(rows, inverse: bool, minimum: int = 20) -> list[PracticeRate]:
    items = []
    for practice_id, num, den, excl, exc in rows:
        eligible = (den or 0) - (excl or 0) - (exc or 0)
        items.append([practice_id, num or 0, max(eligible, 0), rate(num or 0, den or 0, excl or 0, exc or 0)])
    # only rates on enough patients are compared: 4/4 is not the pod's best practice
    ranked = [i for i in items if i[3] is not None and i[2] >= minimum]
    # Equal rates share a rank (1, 1, 3): rank = 1 + practices strictly better. Rates are
    # compared as exact fractions so 2/3 and 4/6 tie whatever the float rounding.
    exact = {i[0]: Fraction(i[1], i[2]) * (-1 if inverse else 1) for i in ranked}
    rank_of = {pid: 1 + sum(other > value for other in exact.values()) for pid, value in exact.items()}
    pod_median = median(i[3] for i in ranked)
    best_ids = tuple(sorted(pid for pid, r in rank_of.items() if r == 1))
    best_rate = next((i[3] for i in items if best_ids and i[0] == best_ids[0]), None)
    return [PracticeRate(pid, num, den, r, rank_of.get(pid), len(exact), pod_median, best_rate,
                         best_ids[0] if best_ids else None, best_ids,
                         too_few=r is not None and den < minimum, minimum=minimum)
            for pid, num, den, r in items]


def snapshot_rows(measure_id: str, period_start: dt.date, period_end: dt.date, month: dt.date,
                  rates: tuple[dict[int, list[tuple]], bool] | dict[int, list[PracticeRate]],
                  now: dt.datetime, holding: set[int] = frozenset(), minimum: int = 20) -> list[dict]:
    """The quality_snapshot rows of a measure's month, from its rates by group, or from
    ``(sums, inverse)`` (:func:`practice_sums`; what a recompute's last step writes with its gaps),
    ranked leaving out the ``holding`` places and rates below the pod's ``minimum`` denominator."""
    month = month.replace(day=1)
    by_group = {gi: _ranked([r for r in group_rows if r[0] not in holding], rates[1], minimum)
                for gi, group_rows in rates[0].items() if group_rows} \
        if isinstance(rates, tuple) else rates
    return [{"practice_id": r.practice_id, "measure_id": measure_id, "period_start": period_start,
             "period_end": period_end, "group_index": group_index, "month": month, "numerator": r.numerator,
             "denominator": r.denominator, "rate": r.rate, "rank": r.rank, "practices_ranked": r.practices_ranked,
             "pod_median": r.pod_median, "pod_best": r.pod_best, "taken_at": now}
            for group_index, rates_of in by_group.items() for r in rates_of]


def take_snapshot(engine, measure_id: str, period_start: dt.date, period_end: dt.date,
                  month: dt.date | None = None, sums: tuple[dict[int, list[PracticeSum]], bool] | None = None) -> int:
    """Store this month's rates of every population group, read from the gaps at once
    (replacing an earlier snapshot of the same month); returns the rows written. A recompute
    that has just written every gap of the measure passes their ``sums`` (from
    :func:`practice_sums`, and whether the measure is inverse) instead."""
    month = (month or utcnow().date()).replace(day=1)
    if sums is None:
        rows = snapshot_rows(measure_id, period_start, period_end, month,
                             rates_by_group(engine, measure_id, period_start, period_end), utcnow())
    else:
        with engine.connect() as conn:
            holding, minimum = _holding_places(conn), minimum_denominator(conn)
        rows = snapshot_rows(measure_id, period_start, period_end, month, sums, utcnow(), holding, minimum)
    t = schema.quality_snapshot
    with write_transaction(engine) as conn:
        conn.execute(t.delete().where(t.c.measure_id == measure_id, t.c.period_end == period_end, t.c.month == month))
        if rows:
            conn.execute(t.insert(), rows)
    return len(rows)


def rate_history(engine, practice_id: int, measure_id: str) -> list[dict]:
    """The practice's monthly snapshots, oldest first."""
    t = schema.quality_snapshot
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t).where(t.c.practice_id == practice_id, t.c.measure_id == measure_id)
                            .order_by(t.c.month)).mappings().all()
    return [dict(r) for r in rows]
