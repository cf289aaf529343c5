"""Split each practice of a demo pod into several, so a pod built with few large practices
takes the shape of one with many small ones, without building it again.

    python bench/reshape_pod.py --db /path/to/copy-of-pod.db [--split 10]

Issue 24 times the screens on a pod of 200 practices of 5,000 patients. Building such a pod
with ``main.py demo`` takes hours at 1,000,000 patients; splitting each practice of the
20-practice bench pod into ten gives the same patients, facts and gaps in the issue's shape.

What changes, in one transaction:

- each practice gets ``split - 1`` sisters (code ``CODE-2`` …, name "… (2)" …) with its
  opening hours and closed days. Its clinicians and their on-call rota stay with the first: a
  sister has none of its own, and its patients keep their PCP (a bench pod, not a real one);
- each patient moves to sister ``patient id % split`` of their practice (the gap counts follow
  through their trigger), and the records that keep a copy of the patient's practice
  (referrals, calls, tasks, time entries, outreach plans) follow them;
- each staff member keeps one sister of each practice they covered (the one numbered by their
  id), so a care manager covers as many practices as before, each a tenth the size; an
  administrator covers them all. A sister nobody else covers is left without that role.

Then the Quality screen's newest snapshot of each measure and period is taken again from the
gaps (older months keep the practices as they were). Run it on a copy: the pod is changed in
place. A code that would be longer than a practice code may be (16 characters) or that is
taken already stops it before anything is changed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the records that keep a copy of their patient's practice
_FOLLOWING = ("referral", "after_hours_call", "task", "time_entry", "outreach_plan")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="the pod to reshape (a copy: it is changed in place)")
    parser.add_argument("--split", type=int, default=10, help="practices each practice becomes (default 10)")
    return parser.parse_args(argv)


def _copy_rows(conn, table: sa.Table, parent: int, sister: int) -> None:
    """Copy a practice's rows of ``table`` (keyed by practice_id) to its sister, with new ids."""
    columns = [c for c in table.c if c.name not in ("id", "practice_id")]
    rows = conn.execute(sa.select(*columns).where(table.c.practice_id == parent)).mappings().all()
    if rows:
        conn.execute(table.insert(), [{**row, "practice_id": sister} for row in rows])


class CannotReshape(Exception):
    """The pod cannot be split as asked; nothing was changed."""


def reshape(engine, split: int) -> dict[str, int]:
    from storage import schema as s

    counts: dict[str, int] = {}
    with engine.begin() as conn:
        parents = conn.execute(sa.select(s.practice).where(s.practice.c.holding.is_(False))
                               .order_by(s.practice.c.id)).mappings().all()
        taken = set(conn.scalars(sa.select(s.practice.c.code)))
        wanted = [f"{parent['code']}-{k + 1}" for parent in parents for k in range(1, split)]
        too_long = [code for code in wanted if len(code) > s.practice.c.code.type.length]
        if too_long:
            raise CannotReshape(f"practice code {too_long[0]} would be longer than "
                                f"{s.practice.c.code.type.length} characters; nothing was changed")
        if taken & set(wanted):
            raise CannotReshape(f"practice code {sorted(taken & set(wanted))[0]} is taken already; "
                                "nothing was changed")
        sisters: dict[tuple[int, int], int] = {}  # (parent id, k) -> practice id
        for parent in parents:
            sisters[parent["id"], 0] = parent["id"]
            for k in range(1, split):
                row = {key: value for key, value in parent.items() if key != "id"}
                row.update(code=f"{parent['code']}-{k + 1}", name=f"{parent['name']} ({k + 1})")
                sister = conn.execute(s.practice.insert().values(**row)).inserted_primary_key[0]
                sisters[parent["id"], k] = sister
                for table in (s.practice_hours, s.practice_closed_day):
                    _copy_rows(conn, table, parent["id"], sister)
        counts["practices"] = len(sisters)
        reshape_map = sa.Table("reshape_map", sa.MetaData(), sa.Column("parent", sa.Integer, primary_key=True),
                               sa.Column("k", sa.Integer, primary_key=True), sa.Column("sister", sa.Integer),
                               prefixes=["TEMPORARY"])
        reshape_map.create(conn)
        conn.execute(reshape_map.insert(), [{"parent": p, "k": k, "sister": v} for (p, k), v in sisters.items() if k])
        p = s.patient
        moved = conn.execute(p.update().where((p.c.id % split) != 0, p.c.practice_id.in_(
            sa.select(reshape_map.c.parent).distinct())).values(practice_id=sa.select(reshape_map.c.sister).where(
                reshape_map.c.parent == p.c.practice_id, reshape_map.c.k == p.c.id % split).scalar_subquery()))
        counts["patients moved"] = moved.rowcount
        for name in _FOLLOWING:
            table = s.metadata.tables[name]
            followed = conn.execute(table.update().where(table.c.patient_id.is_not(None)).values(
                practice_id=sa.select(p.c.practice_id).where(p.c.id == table.c.patient_id).scalar_subquery()))
            counts[f"{name} rows"] = followed.rowcount
        sp, staff = s.staff_practice, s.staff_member
        covered = conn.execute(sa.select(sp.c.staff_id, sp.c.practice_id, staff.c.roles)
                               .join(staff, staff.c.id == sp.c.staff_id)).all()
        conn.execute(sp.delete())
        keep = {(sid, sisters[pid, k]) for sid, pid, roles in covered
                for k in (range(split) if "administrator" in roles.split(",") else (sid % split,))
                if (pid, k) in sisters}
        conn.execute(sp.insert(), [{"staff_id": sid, "practice_id": pid} for sid, pid in sorted(keep)])
        counts["staff coverage rows"] = len(keep)
        reshape_map.drop(conn)
    return counts


def retake_snapshots(engine) -> int:
    """Each measure and period's newest snapshot, from the gaps as they are now."""
    from storage import schema as s
    from storage.measures.peer_rates import take_snapshot

    q = s.quality_snapshot
    with engine.connect() as conn:
        newest = conn.execute(sa.select(q.c.measure_id, q.c.period_start, q.c.period_end, sa.func.max(q.c.month))
                              .group_by(q.c.measure_id, q.c.period_start, q.c.period_end)).all()
    return sum(take_snapshot(engine, *row) for row in newest)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not args.db.exists():
        print(f"{args.db}: no such pod", file=sys.stderr)
        return 2
    if args.split < 2:
        print("--split must be 2 or more", file=sys.stderr)
        return 2
    from storage.db import open_database

    engine = open_database(args.db)
    started = time.perf_counter()
    try:
        counts = reshape(engine, args.split)
    except CannotReshape as exc:
        print(f"{args.db}: {exc}", file=sys.stderr)
        engine.dispose()
        return 2
    for name, n in counts.items():
        print(f"{name:<24} {n:>10,}", flush=True)
    print(f"reshaped in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    print(f"quality snapshot rows {retake_snapshots(engine):>10,} in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
