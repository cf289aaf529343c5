"""What each table and index takes in a pod's database file (SQLite's ``dbstat``).

    python bench/bench_dbsize.py --db /path/to/pod.db [--top 40] [--json out.json]

Prints, largest first, each table and index with its pages on disk, its share of the file, how
much of its pages holds data (the rest is free space inside pages), and per patient; then the
totals by table (a table with its indexes) and the free pages of the file. Issue 24 asks for the
database to be halved without losing anything a screen, report or explanation needs: this is
the measurement to start from and to check a change against.

Reads only (the database is opened read-only). ``dbstat`` reads every page of the file: at
1,000,000 patients (15 GB) that is a few minutes of disk reading. SQLite-only (a bench module).
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the pod's database file")
    parser.add_argument("--top", type=int, default=40, help="how many tables and indexes to list (largest first)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def _mb(n: float) -> str:
    return f"{n / 1_000_000:,.1f}"


def measure(path: Path) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        page_count = con.execute("PRAGMA page_count").fetchone()[0]
        free_pages = con.execute("PRAGMA freelist_count").fetchone()[0]
        owner = dict(con.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))
        patients = con.execute("SELECT count(*) FROM patient").fetchone()[0] if "patient" in owner else 0
        started = time.perf_counter()
        rows = con.execute(
            "SELECT name, count(*), sum(pgsize), sum(pgsize - unused) FROM dbstat GROUP BY name").fetchall()
        seconds = time.perf_counter() - started
    finally:
        con.close()
    objects = [{"name": name, "table": owner.get(name, name), "kind": "table" if owner.get(name, name) == name else "index",
                "pages": pages, "bytes": size, "used_bytes": used} for name, pages, size, used in rows]
    objects.sort(key=lambda o: o["bytes"], reverse=True)
    return {"file_bytes": page_size * page_count, "page_size": page_size, "free_pages": free_pages,
            "patients": patients, "objects": objects, "seconds": seconds}


def main(argv=None) -> int:
    args = parse_args(argv)
    path = Path(args.db).expanduser()
    if not path.is_file():
        print(f"bench_dbsize: {path} is not a file", file=sys.stderr)
        return 2
    figures = measure(path)
    total, patients = figures["file_bytes"], figures["patients"] or 1
    print(f"{path}: {_mb(total)} MB in {figures['page_size']:,}-byte pages, {figures['patients']:,} patients "
          f"({total / patients:,.0f} bytes per patient); free pages {figures['free_pages']:,} "
          f"({_mb(figures['free_pages'] * figures['page_size'])} MB); read in {figures['seconds']:.0f} s")
    print(f"\n{'table or index':<44} {'kind':<6} {'MB':>10} {'share':>7} {'filled':>7} {'B/patient':>10}")
    for o in figures["objects"][:args.top]:
        filled = o["used_bytes"] / o["bytes"] if o["bytes"] else 0
        print(f"{o['name'][:44]:<44} {o['kind']:<6} {_mb(o['bytes']):>10} {o['bytes'] / total:>7.1%} "
              f"{filled:>7.0%} {o['bytes'] / patients:>10,.0f}")
    by_table: dict[str, list[int]] = {}
    for o in figures["objects"]:
        sums = by_table.setdefault(o["table"], [0, 0])
        sums[0 if o["kind"] == "table" else 1] += o["bytes"]
    print(f"\n{'table with its indexes':<44} {'rows MB':>10} {'index MB':>10} {'share':>7}")
    for table, (own, indexes) in sorted(by_table.items(), key=lambda kv: -sum(kv[1]))[:args.top]:
        print(f"{table[:44]:<44} {_mb(own):>10} {_mb(indexes):>10} {(own + indexes) / total:>7.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
