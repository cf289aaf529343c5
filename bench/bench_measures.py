"""Measure engine speed: recompute every gap of the active measures (the catalogue's) on a demo pod, pod-peer
rates, and the published eCQM cases through Carepod beside the reference CQL engine.

    .venv/bin/python bench/bench_measures.py /tmp/m100k.db [--practices 20 --patients 100000 --seed 7]
        [--cqlrun DIR] [--no-reference] [--repeat] [--clear] [--new-period]

The pod is built with ``main.py demo`` when the file does not exist, without gaps: its first
recompute writes them all ("first run"); on a pod that holds its gaps it finds them there.
``--clear`` first deletes the 2025 gaps (untimed), so the first recompute writes every gap, as
for a new measurement period, but into the pages the deletion freed, all over the file.
``--new-period`` times the first computation of 2026, which
the bench pod has never computed, then deletes it again (untimed). The reference engine is
``node ../shared/ecqm/run_reference.js CMSxxx`` with cql-execution and cql-exec-fhir installed in
``--cqlrun`` (default $CQLRUN_DIR or ~/.cache/carepod/cqlrun; ``npm install`` runs there once).
Figures are wall-clock and, beside them, the CPU time this process used (fairer on a shared
machine) and, for a recompute, what the machine read from disk meanwhile (a 1M-patient pod is
about as large as the page cache: a run that has to read it again waits for the disk). Each is
printed next to its baseline: the targets of PRODUCT.md §6 scaled to the pod, or the reference
engine measured in the same run.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SHARED = ROOT.parent / "shared"
ECQM = SHARED / "ecqm"

from domain.measures.catalogue import catalogue  # noqa: E402  (after the path is set)

MEASURES = catalogue().active_ids  # what a recompute computes: every active measure
CASE_MEASURES = tuple(m for m in catalogue().base_ids if (ECQM / m / "expected.json").exists())  # published cases
REFERENCE_PACKAGES = ("cql-execution@3.3.2", "cql-exec-fhir@2.2.0")
PERIOD = ("2025-01-01", "2025-12-31")
NEW_PERIOD = ("2026-01-01", "2026-12-31")  # --new-period: one the bench pod has never computed
TARGET_PATIENTS, TARGET_SECONDS = 1_000_000, 60.0  # PRODUCT.md §6: the whole pod in under 60 s
WORKLIST_SECONDS = 0.2  # PRODUCT.md §6: any worklist opens in under 200 ms
INCREMENTAL_SECONDS = 5.0  # issue 24: after one practice's monthly file, its changed patients in under 5 s
REFERENCE_MS = (110, 350)  # PRODUCT.md §6: the reference engine per patient per measure


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the recompute's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _paged_in() -> int | None:
    """KiB the machine has read from disk so far (Linux), or None."""
    try:
        with open("/proc/vmstat") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("pgpgin "))
    except (OSError, StopIteration, ValueError):
        return None


def machine_speed() -> float:
    """CPU seconds of a fixed task like a recompute's (SQLite inserts into an indexed table and a
    grouped read, in memory; Python sets and dicts of a million ids): printed before and after
    the timed runs, so that runs on a machine whose speed drifts (a shared virtual machine's
    varies by a fifth from hour to hour) can be compared with each other."""
    import random
    import sqlite3

    rng = random.Random(24)
    rows = [(rng.randrange(1_000_000), rng.randrange(1_000), f"text {rng.randrange(5_000)}") for _ in range(300_000)]
    started = _cpu()
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c TEXT)")
    con.execute("CREATE INDEX ix_t ON t (b, c, a)")
    con.executemany("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", rows)
    grouped = {b: (n, top) for b, n, top in con.execute("SELECT b, count(*), max(a) FROM t GROUP BY b")}
    ids = {a for a, _b, _c in rows}
    kept = {a: b for a, b, _c in rows if a in ids and b in grouped}
    con.close()
    del kept
    return _cpu() - started


class Timer:
    def __enter__(self):
        self.wall, self.cpu, self.disk = time.perf_counter(), _cpu(), _paged_in()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu
        after = _paged_in()
        self.disk = None if after is None or self.disk is None else (after - self.disk) / 2 ** 20  # GiB

    def figure(self) -> str:
        """Wall seconds, with the CPU and what the machine read from disk meanwhile: a pod
        larger than the page cache (or pages the system reclaimed) is read again, and a run
        that waits for the disk takes longer than its CPU says."""
        disk = "" if self.disk is None else f", {self.disk:.1f} GB read from disk"
        return f"{self.wall:.1f} (CPU {self.cpu:.1f}{disk})"


def build_pod(db: Path, practices: int, patients: int, seed: int) -> None:
    print(f"building demo pod {db} ({practices} practices, {patients:,} patients, seed {seed}) ...", flush=True)
    subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(db), "--practices", str(practices),
                    "--patients", str(patients), "--seed", str(seed), "--quiet"], check=True)


def clear_period(db: Path, period: tuple[str, str] = PERIOD) -> None:
    """Delete a period's gaps with their evidence, history and kept counts (not timed)."""
    import sqlite3

    from storage.db import open_database

    open_database(db).dispose()  # an older pod is upgraded first
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("CREATE TEMP TABLE cleared AS SELECT id FROM gap WHERE period_start = ? AND period_end = ?",
                    period)
        for table in ("gap_evidence", "gap_history"):
            con.execute(f"DELETE FROM {table} WHERE gap_id IN (SELECT id FROM cleared)")
        con.execute("UPDATE outreach_attempt SET gap_id = NULL WHERE gap_id IN (SELECT id FROM cleared)")
        for table in ("gap", "gap_write", "gap_count", "gap_count_write", "gap_staging", "quality_snapshot"):
            con.execute(f"DELETE FROM {table} WHERE period_start = ? AND period_end = ?", period)
        con.execute("COMMIT")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def recompute_pod(db: Path) -> dict:
    import sqlalchemy as sa

    from domain.measures.period import MeasurementPeriod
    from storage.db import open_database
    from storage.measures.peer_rates import rates_by_group
    from storage.measures.recompute import recompute

    period = MeasurementPeriod.parse(*PERIOD)
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            patients = conn.execute(sa.text("SELECT count(*) FROM patient WHERE entered_in_error = 0")).scalar()
            facts = conn.execute(sa.text("SELECT max(id) FROM clinical_fact")).scalar() or 0
            existing = conn.execute(sa.text("SELECT count(*) FROM gap")).scalar()
        from storage.measures.parallel import worker_count

        workers = worker_count(engine, list(MEASURES), None, None)
        with Timer() as run:
            summary = recompute(engine, period, MEASURES)
        with Timer() as rates_timer:  # as the Quality screen reads them: every group of a measure at once
            rates = {(mid, gi): group_rates for mid in MEASURES
                     for gi, group_rates in rates_by_group(engine, mid, period.start, period.end).items()}
        groups = len(rates)
    finally:
        engine.dispose()
    return {"patients": patients, "facts": facts, "first": existing == 0, "run": run, "rates": rates_timer,
            "groups": groups, "summary": summary, "peer": rates,
            "workers": workers}


def new_period(db: Path) -> dict:
    """The first computation of a period the pod has never computed (a new measurement year:
    every gap is new and written in free space at the end of the file), then its gaps deleted
    again (not timed), leaving the pod as it was."""
    import sqlalchemy as sa

    from domain.measures.period import MeasurementPeriod
    from storage.db import open_database
    from storage.measures.recompute import recompute

    period = MeasurementPeriod.parse(*NEW_PERIOD)
    engine = open_database(db)
    try:
        with engine.connect() as conn:
            if conn.execute(sa.text("SELECT 1 FROM gap WHERE period_end = :e LIMIT 1"), {"e": NEW_PERIOD[1]}).first():
                raise SystemExit(f"{db} already has gaps for {NEW_PERIOD[0]} – {NEW_PERIOD[1]}: --new-period "
                                 "times a period never computed")
        with Timer() as run:
            summary = recompute(engine, period, MEASURES)
    finally:
        engine.dispose()
    clear_period(db, NEW_PERIOD)
    return {"run": run, "gaps": sum(sum(counts.values()) for counts in summary.values())}


@contextlib.contextmanager
def busy_core(busy: bool):
    """``yes > /dev/null`` for the length of the block: a second process keeping one core busy
    (as other work does on a pod's office computer)."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def default_month(engine) -> dt.date:
    """The last month of the newest period the pod has gaps of, or last month (none yet)."""
    from storage.queries.gaps import gap_periods

    last = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    periods = gap_periods(engine)
    return min(last, max(end for _start, end in periods).replace(day=1)) if periods else last


def incremental(db: Path, *, practice_code: str | None, month: dt.date | None, months: int, seed: int,
                busy: bool, profile: Path | None) -> dict:
    """After importing one practice's monthly file (bench/practice_month.py; ``months``
    of them one after another), the recompute of the patients it changed, as the app runs it
    (ui.main_window._imported: every period with gaps, then their risk tiers), each step timed;
    beside it, in the same run, the same patients again with nothing changed and one patient
    alone (what any recompute costs)."""
    import sqlalchemy as sa

    from application.imports import import_files
    from application.measures import periods_with_gaps, recompute_gaps
    from application.pod import open_pod
    from application.risk import recompute_risk_tiers
    from domain.measures.period import MeasurementPeriod
    from practice_month import write_month

    pod = open_pod(db, "Bench Importer", create=False)
    runs = []
    try:
        with pod.engine.connect() as conn:
            sizes = conn.execute(sa.text(
                "SELECT pr.code, count(*) FROM patient p JOIN practice pr ON pr.id = p.practice_id "
                "WHERE p.status = 'active' AND NOT p.entered_in_error AND NOT pr.holding GROUP BY pr.code "
                "ORDER BY count(*) DESC, pr.code")).all()
            patients = conn.execute(sa.text("SELECT count(*) FROM patient WHERE NOT entered_in_error")).scalar()
        code = practice_code or sizes[0][0]  # the largest practice: the longest file
        month = month or default_month(pod.engine)
        tiered = None
        with pod.engine.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM risk_run WHERE scope = 'pod' LIMIT 1")).first():
                tiered = Timer()  # some patients are tiered against the pod's last cut: made first, untimed
        if tiered is not None:
            with tiered:
                recompute_risk_tiers(pod)
        for number in range(months):
            first = month  # then the months before it (never one after today)
            for _ in range(number):
                first = (first - dt.timedelta(days=1)).replace(day=1)
            period = MeasurementPeriod(dt.date(first.year, 1, 1), dt.date(first.year, 12, 31))
            computed = None
            with pod.engine.connect() as conn:
                has_gaps = conn.execute(sa.text(
                    "SELECT 1 FROM gap g JOIN patient p ON p.id = g.patient_id JOIN practice pr ON "
                    "pr.id = p.practice_id WHERE pr.code = :c AND g.period_end = :e LIMIT 1"),
                    {"c": code, "e": period.end.isoformat()}).first()
            if not has_gaps:  # an incremental run needs the period computed: the practice's, untimed
                from storage.measures.recompute import recompute

                with pod.engine.connect() as conn:
                    pid = conn.execute(sa.text("SELECT id FROM practice WHERE code = :c"), {"c": code}).scalar()
                with Timer() as computed:
                    recompute(pod.engine, period, MEASURES, practice_id=pid)
            folder = Path(tempfile.mkdtemp(prefix="carepod-month-")) / f"ehr-{code}"
            written = write_month(db, code, first, folder, seed=seed + number)
            try:
                with Timer() as imported:
                    result = import_files(pod, [folder], practice_code=code)
            finally:
                shutil.rmtree(folder.parent)
            report = result.report
            if report.errors:
                raise SystemExit(f"the monthly file was refused: {report.problems[:3]}")
            changed = sorted(report.changed_patient_ids)
            periods = periods_with_gaps(pod)
            steps = {}
            loads = [load()]
            with busy_core(busy):
                profiler = None
                if profile is not None and number == 0:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                for each in periods:  # what application.measures.recompute_periods runs, step by step
                    with Timer() as steps[f"gaps {each.start.year}"]:
                        recompute_gaps(pod, each, patient_ids=changed, risk_tiers=False)
                with Timer() as steps["risk tiers"]:
                    recompute_risk_tiers(pod, patient_ids=changed)
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(profile)
                loads.append(load())
                with Timer() as again:
                    recompute_gaps(pod, period, patient_ids=changed, risk_tiers=False)
                with Timer() as one:
                    recompute_gaps(pod, period, patient_ids=changed[:1], risk_tiers=False)
                loads.append(load())
            runs.append({"month": first, "period": period, "file": written, "imported": imported,
                         "landed": report.patient_ids, "changed": changed, "steps": steps, "again": again,
                         "one": one, "computed": computed, "loads": loads})
    finally:
        pod.close()
    return {"patients": patients, "practices": len(sizes), "code": code, "runs": runs, "tiered": tiered}


def print_incremental(inc: dict, busy: bool) -> None:
    print(f"\nincremental recompute after one practice's monthly file: pod {inc['patients']:,} patients, "
          f"{inc['practices']} practices; practice {inc['code']}"
          f"{'; a second process (yes) keeps one core busy during the recomputes' if busy else ''}")
    rows = []
    if inc["tiered"]:
        rows.append(("the pod's first risk tiers (untimed: some patients are tiered against its cut), wall s",
                     inc["tiered"].figure(), ""))
    for run in inc["runs"]:
        f = run["file"]
        month = f"{run['month']:%Y-%m}"
        if run["computed"]:
            rows.append((f"{month}: the practice's {run['period'].start.year} computed first (untimed), wall s",
                         run["computed"].figure(), ""))
        rows.append((f"{month}: import {f.total:,} resources for {f.patients:,} of the practice's "
                     f"{f.practice_patients:,} patients, wall s", run["imported"].figure(), ""))
        total_wall = sum(t.wall for t in run["steps"].values())
        total_cpu = sum(t.cpu for t in run["steps"].values())
        for name, timer in run["steps"].items():
            target = f"{INCREMENTAL_SECONDS:.1f} (issue 24)" if name.startswith("gaps") else ""
            rows.append((f"{month}:   recompute {len(run['changed']):,} changed patients: {name}, wall s",
                         timer.figure(), target))
        rows.append((f"{month}:   all the app runs after the import, wall s",
                     f"{total_wall:.1f} (CPU {total_cpu:.1f})", f"{INCREMENTAL_SECONDS:.1f}"))
        rows.append((f"{month}: baseline: the same patients again, nothing changed, wall s",
                     run["again"].figure(), ""))
        rows.append((f"{month}: baseline: one patient, wall s", run["one"].figure(), ""))
        rows.append((f"{month}: load average before / after the recompute / after the baselines",
                     " | ".join(x.removeprefix("load ") for x in run["loads"]), ""))
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':>34}  target")
    for label, value, base in rows:
        print(f"{label:<{width}}  {value:>34}  {base}")


def carepod_cases() -> dict:
    """Every published case imported (one practice per Bundle), then every measure with published cases
    evaluated over all of them; agreement with expected.json counted per case of its measure."""
    from domain.measures.period import MeasurementPeriod
    from storage.db import open_database
    from storage.measures.engine import evaluate, raw_connection
    from storage.measures.evaluate_service import _import_isolated, _subjects
    from storage.measures.valuesets import load_valuesets

    period = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
    with tempfile.TemporaryDirectory(prefix="carepod-bench-") as tmp:
        engine = open_database(Path(tmp) / "cases.db")
        try:
            load_valuesets(engine)
            files = sorted(ECQM.glob("CMS*/cases/*.json"))
            with Timer() as imported:
                _import_isolated(engine, files)
            fairy, con = raw_connection(engine)
            try:
                subjects = {ref.split("/", 1)[1]: pid for pid, ref in _subjects(con).items()}
                with Timer() as evaluated:
                    results = {r.measure_id: r for r in evaluate(con, CASE_MEASURES, period)}
            finally:
                fairy.close()
        finally:
            engine.dispose()
    agree = cases = 0
    for mid in CASE_MEASURES:
        expected = json.loads((ECQM / mid / "expected.json").read_text())["cases"]
        for case, want in expected.items():
            cases += 1
            pid = subjects.get(case)
            wanted = want.get("groups") or [want]
            ok = pid is not None and all(
                int(pid in results[mid].groups[i].populations.get(k, ())) == v
                for i, g in enumerate(wanted) for k, v in g.items()
                if k in ("initial-population", "denominator", "denominator-exclusion", "numerator",
                         "denominator-exception"))
            agree += ok
    return {"cases": cases, "agree": agree, "patients": len(files), "imported": imported, "evaluated": evaluated,
            "evaluations": len(files) * len(CASE_MEASURES)}


def ensure_reference(cqlrun: Path) -> None:
    if (cqlrun / "node_modules" / "cql-execution").exists() and (cqlrun / "node_modules" / "cql-exec-fhir").exists():
        return
    cqlrun.mkdir(parents=True, exist_ok=True)
    if not (cqlrun / "package.json").exists():
        (cqlrun / "package.json").write_text('{"name": "carepod-cqlrun", "private": true}\n')
    print(f"installing {' '.join(REFERENCE_PACKAGES)} into {cqlrun} ...", flush=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", *REFERENCE_PACKAGES], cwd=cqlrun, check=True,
                   stdout=subprocess.DEVNULL)


def reference_cases(cqlrun: Path) -> dict:
    ensure_reference(cqlrun)
    env = {**os.environ, "CQLRUN_DIR": str(cqlrun)}
    cases = agree = 0
    engine_ms = 0
    with Timer() as wall:
        for mid in CASE_MEASURES:
            out = subprocess.run(["node", str(ECQM / "run_reference.js"), mid], cwd=ECQM, env=env,
                                 capture_output=True, text=True, check=True).stdout
            summary = json.loads(out.strip().splitlines()[-1])
            cases += summary["cases"]
            agree += summary["agree"]
            engine_ms += summary["totalMs"]
    return {"cases": cases, "agree": agree, "engine_seconds": engine_ms / 1000, "wall": wall}


def rate_spread(peer: dict) -> list[str]:
    lines = []
    for (mid, gi), rows in peer.items():
        rates = [r.rate for r in rows if r.rate is not None]
        if not rates:
            lines.append(f"  {mid} group {gi + 1}: no practice has anyone in the denominator")
            continue
        num = sum(r.numerator for r in rows)
        den = sum(r.denominator for r in rows)
        lines.append(f"  {mid} group {gi + 1}: pod {num / den:6.1%} ({num:,}/{den:,}); practices "
                     f"{min(rates):.1%} .. {max(rates):.1%} over {len(rates)}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="demo pod database (built when missing)")
    parser.add_argument("--practices", type=int, default=20)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cqlrun", type=Path,
                        default=Path(os.environ.get("CQLRUN_DIR") or Path.home() / ".cache" / "carepod" / "cqlrun"))
    parser.add_argument("--no-reference", action="store_true", help="skip the reference CQL engine")
    parser.add_argument("--repeat", action="store_true", help="recompute a second time (nothing changed)")
    parser.add_argument("--clear", action="store_true",
                        help="delete the period's gaps first: the first recompute writes every gap")
    parser.add_argument("--new-period", action="store_true",
                        help=f"also compute {NEW_PERIOD[0][:4]}, never computed before, then delete it (untimed)")
    parser.add_argument("--incremental", action="store_true",
                        help="instead of the complete recompute: import one practice's monthly file, then time the "
                             "recompute of the patients it changed (as the app runs it after an import)")
    parser.add_argument("--practice", help="--incremental: code of the practice (default: the largest)")
    parser.add_argument("--month", type=lambda s: dt.date.fromisoformat(f"{s}-01"),
                        help="--incremental: YYYY-MM (default: the last month of the newest computed period)")
    parser.add_argument("--months", type=int, default=1,
                        help="--incremental: import this many months one after another (--month, then the ones "
                             "before it), each timed")
    parser.add_argument("--profile", type=Path, help="--incremental: cProfile the first month's recompute into FILE")
    parser.add_argument("--busy-core", action="store_true",
                        help="run the timed recomputes while a second process (yes > /dev/null) keeps one core busy")
    args = parser.parse_args(argv)

    if args.incremental:
        if not args.db.exists():
            raise SystemExit(f"{args.db} does not exist: --incremental works on a pod with its gaps computed")
        print_incremental(incremental(args.db, practice_code=args.practice, month=args.month, months=args.months,
                                      seed=args.seed, busy=args.busy_core, profile=args.profile), args.busy_core)
        return 0
    if not args.db.exists():
        build_pod(args.db, args.practices, args.patients, args.seed)
    if args.clear:
        clear_period(args.db)
    speed_before = machine_speed()
    with busy_core(args.busy_core):
        pod = recompute_pod(args.db)
        again = recompute_pod(args.db) if args.repeat else None
        fresh = new_period(args.db) if args.new_period else None
    speed_after = machine_speed()
    mine = carepod_cases()
    ref = None if args.no_reference else reference_cases(args.cqlrun)

    n = pod["patients"]
    evaluations = n * len(MEASURES)
    target_seconds = TARGET_SECONDS * n / TARGET_PATIENTS
    target_rate = TARGET_PATIENTS * len(MEASURES) / TARGET_SECONDS
    busy = ", a second process (yes) keeping one core busy" if args.busy_core else ""
    rows = [("pod", f"{n:,} patients, {pod['facts']:,} facts{busy}", ""),
            ("machine: a fixed task's CPU s, before / after the timed runs (see machine_speed)",
             f"{speed_before:.2f} / {speed_after:.2f}", ""),
            (f"recompute all {len(MEASURES)} measures ({'first run' if pod['first'] else 'gaps already there'}, "
             f"{pod['workers']} worker process{'es' if pod['workers'] > 1 else ''}), wall s",
             pod['run'].figure(), f"{target_seconds:.1f} (60 s per 1M patients)"),
            ("patient-measure evaluations per second (pod, wall / CPU)",
             f"{evaluations / pod['run'].wall:,.0f} / {evaluations / max(pod['run'].cpu, 1e-9):,.0f}",
             f"{target_rate:,.0f}")]
    if again:
        rows.append(("recompute again, nothing changed, wall s", again['run'].figure(), f"{target_seconds:.1f}"))
    if fresh:
        rows.append((f"recompute all {len(MEASURES)} measures, a new period ({NEW_PERIOD[0][:4]}, {fresh['gaps']:,} gaps written), wall s",
                     fresh['run'].figure(), f"{target_seconds:.1f}"))
    rows.append((f"pod-peer rates, {len(MEASURES)} measures ({pod['groups']} groups, as the Quality screen reads them), wall s", f"{pod['rates'].wall:.3f}",
                 f"{WORKLIST_SECONDS:.3f} (a screen opens)"))
    mine_rate = mine["evaluations"] / mine["evaluated"].wall
    rows.append((f"published cases, Carepod: {mine['patients']} patients x {len(CASE_MEASURES)} measures, evaluations/s",
                 f"{mine_rate:,.0f}", f"{ref['cases'] / ref['engine_seconds']:,.1f} (reference engine, this run)"
                 if ref else "—"))
    rows.append(("published cases agreeing with expected.json", f"{mine['agree']}/{mine['cases']}",
                 f"{ref['agree']}/{ref['cases']} (reference engine)" if ref else "—"))
    if ref:
        rows.append(("reference engine ms per patient per measure", f"{1000 * ref['engine_seconds'] / ref['cases']:.0f}",
                     f"{REFERENCE_MS[0]}–{REFERENCE_MS[1]} (PRODUCT.md)"))
        rows.append(("Carepod speed-up over the reference engine (cases)",
                     f"{mine_rate / (ref['cases'] / ref['engine_seconds']):,.0f}x", "thousands of times"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'figure':<{width}}  {'measured':>28}  baseline")
    for label, value, base in rows:
        print(f"{label:<{width}}  {value:>28}  {base}")
    print("\ngaps per state:")
    for mid, counts in pod["summary"].items():
        print(f"  {mid}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    print("rates (numerator / denominator after exclusions):")
    print("\n".join(rate_spread(pod["peer"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
