"""Benchmark of risk tiers for a whole pod (issue 20: under 30 s at 1,000,000 patients).

    python bench/bench_risk.py --from /work/pods/pod1m.db --db /tmp/me-pod1m.db   # copy, then measure
    python bench/bench_risk.py --db /tmp/me-pod1m.db                             # measure a copy again

The shared pod is never written: ``--from`` copies it first (``--db`` must be another file).
Opening the copy brings it to the newest schema (the one-time migration is timed and printed).

Every figure is printed beside a baseline measured in the same run on the same machine: the
plain reads of the rows the tiers are made from (the condition codings of the chronic groups,
the acute encounters, the patients) with no scoring and no writing — the floor under a
set-based recompute. No figure is asserted: this is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_S = 30.0


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the pod to measure (a copy: it is written)")
    parser.add_argument("--from", dest="source", help="copy this pod to --db first (never written)")
    parser.add_argument("--subset", type=int, default=1000, help="patients tiered after an import (default 1000)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def timed(fn):
    """(result, wall seconds, CPU seconds of this process: SQLite works in it, so the CPU figure
    is what the run costs on a busy shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def baseline_reads(engine) -> None:
    """Read, without scoring or writing, what a whole-pod run reads."""
    import sqlalchemy as sa

    from domain import risk as rules
    from storage import schema as t

    from storage.risk import _FactsThrough

    cf, f, p = t.coded_fact, _FactsThrough("ix_fact_acute_encounter"), t.patient
    with engine.connect() as conn:
        for group in rules.CHRONIC_GROUPS:
            for system in rules.ICD10_SYSTEMS:
                for low, high in group.icd10_ranges():
                    conn.execute(sa.select(sa.func.count()).where(cf.c.system == system, cf.c.code >= low,
                                                                  cf.c.code <= high, cf.c.kind == "condition"))
            conn.execute(sa.select(sa.func.count()).where(cf.c.system == rules.SNOMED_SYSTEM,
                                                          cf.c.code.in_(group.snomed), cf.c.kind == "condition"))
        conn.execute(sa.select(sa.func.count(), sa.func.max(f.c.end_at)).where(sa.text(t.ACUTE_ENCOUNTERS)))
        conn.execute(sa.select(sa.func.count(), sa.func.max(p.c.birth_date)).where(p.c.status == "active"))


def main(argv=None) -> int:
    args = parse_args(argv)
    target = Path(args.db).resolve()
    if args.source:
        source = Path(args.source).resolve()
        if source == target:
            print("bench_risk: --db must be a copy, not the pod given in --from", file=sys.stderr)
            return 2
        started = time.perf_counter()
        shutil.copyfile(source, target)
        print(f"copied {source} to {target} in {time.perf_counter() - started:.0f} s")
    from storage.db import open_database
    from storage.migrate import HEAD, current_revision
    from storage.db import create_engine

    probe = create_engine(target)
    before = current_revision(probe)
    probe.dispose()
    started = time.perf_counter()
    engine = open_database(target)
    migrated = time.perf_counter() - started

    import sqlalchemy as sa

    from storage.risk import recompute_risk
    from storage.queries.risk import risk_row

    with engine.connect() as conn:
        patients = conn.execute(sa.text("SELECT count(*) FROM patient")).scalar()
    _, base_cold, base_cold_cpu = timed(lambda: baseline_reads(engine))
    first, first_wall, first_cpu = timed(lambda: recompute_risk(engine))
    _, base_warm, base_warm_cpu = timed(lambda: baseline_reads(engine))
    second, second_wall, second_cpu = timed(lambda: recompute_risk(engine))
    with engine.connect() as conn:
        ids = list(conn.scalars(sa.text(f"SELECT id FROM patient ORDER BY id DESC LIMIT {int(args.subset)}")))
    subset, subset_wall, subset_cpu = timed(lambda: recompute_risk(engine, patient_ids=ids))
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    started = time.perf_counter()
    for pid in ids[:100]:
        risk_row(engine, pid)
    chart_ms = (time.perf_counter() - started) * 1000 / max(1, min(100, len(ids)))

    rows = [
        ("pod", f"{patients:,} patients", ""),
        (f"migration {before} -> {HEAD} (once per pod), s", f"{migrated:.1f}", ""),
        ("machine load (1-minute average, 2 cores)", load, ""),
        ("whole-pod risk tiers, first run, wall / CPU s", f"{first_wall:.1f} / {first_cpu:.1f}",
         f"{base_cold:.1f} / {base_cold_cpu:.1f} (plain reads of the rows it reads); target {TARGET_S:.0f}"),
        ("whole-pod risk tiers, again, wall / CPU s", f"{second_wall:.1f} / {second_cpu:.1f}",
         f"{base_warm:.1f} / {base_warm_cpu:.1f} (plain reads, warm)"),
        (f"risk tiers of {len(ids):,} patients after an import, wall / CPU s",
         f"{subset_wall:.2f} / {subset_cpu:.2f}", ""),
        ("a chart's risk components, ms", f"{chart_ms:.2f}", ""),
        ("tiers", " ".join(f"{k}={second.tiers.get(k, 0):,}" for k in ("high", "rising", "moderate", "low")),
         f"high from score {second.high_cut}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'measured':>12}  baseline")
    for name, measured, base in rows:
        print(f"{name:<{width}}  {measured:>12}  {base}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "patients": patients, "load": load, "migration_s": round(migrated, 2),
            "first_s": round(first_wall, 2), "first_cpu_s": round(first_cpu, 2),
            "baseline_cold_s": round(base_cold, 2), "again_s": round(second_wall, 2),
            "again_cpu_s": round(second_cpu, 2), "baseline_warm_s": round(base_warm, 2),
            "subset_s": round(subset_wall, 3),
            "chart_ms": round(chart_ms, 3), "tiers": second.tiers, "high_cut": second.high_cut}, indent=2))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
