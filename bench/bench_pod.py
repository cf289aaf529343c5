"""Benchmark of a large pod: generation, app start, patient search, chart, memory.

    python bench/bench_pod.py                          # 200 practices, 1,000,000 patients (minutes)
    python bench/bench_pod.py --patients 100000        # a quick run
    python bench/bench_pod.py --db pod.db --reuse      # measure an existing pod, skip generation

Every figure is printed beside a baseline measured in the same run on the same machine,
so a slow machine shows as slow baselines rather than as a regression. Targets (PRODUCT.md §6):
search < 50 ms, start < 2 s, resident memory < 500 MB. No figure here is asserted: this
is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"search_ms": 50.0, "start_s": 2.0, "rss_mb": 500.0}

# A minimal Qt program showing an empty main window: the floor under the app's start time.
QT_BASELINE = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow(); window.resize(1200, 800); window.show()
def ready():
    print("ready", flush=True); app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="database file (default: a temporary file, removed afterwards)")
    parser.add_argument("--reuse", action="store_true", help="measure the pod already in --db")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--queries", type=int, default=100, help="patient searches to time")
    parser.add_argument("--starts", type=int, default=3, help="app starts to time (median reported)")
    parser.add_argument("--quick-baseline", action="store_true",
                        help="time the raw insert of the patient rows only, not of every table")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# --- generation ---------------------------------------------------------------------------

def generate(args, path: Path) -> dict:
    from storage.demo.generate import create_demo_pod
    from storage.demo.progress import Progress

    started = time.perf_counter()
    result = create_demo_pod(path, practices=args.practices, patients=args.patients, seed=args.seed,
                             replace=True, progress=Progress(args.patients))
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 1), "rows": result.rows, "total_rows": sum(result.rows.values()),
            "db_mb": round(path.stat().st_size / 2**20)}


def raw_insert_baseline(path: Path, every_table: bool) -> dict:
    """Plain sqlite3.executemany of the rows the generator wrote into bare tables (no indexes,
    no constraints, journal off): the floor for writing the same data. Only inserting is timed."""
    source = sqlite3.connect(path)
    folder = tempfile.mkdtemp(prefix="carepod-bench-")
    bare_path = Path(folder) / "bare.db"
    bare = sqlite3.connect(bare_path, isolation_level=None)
    bare.execute("PRAGMA journal_mode=OFF")
    bare.execute("PRAGMA synchronous=OFF")
    tables = [r[0] for r in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    if not every_table:
        tables = ["patient"]
    timings = {}
    try:
        for table in tables:
            columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
            bare.execute(f'CREATE TABLE "{table}" ({", ".join(columns)})')
            sql = f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(columns))})'
            cursor = source.execute(f'SELECT * FROM "{table}"')
            spent, count = 0.0, 0
            bare.execute("BEGIN")
            while True:
                chunk = cursor.fetchmany(50_000)
                if not chunk:
                    break
                t0 = time.perf_counter()
                bare.executemany(sql, chunk)
                spent += time.perf_counter() - t0
                count += len(chunk)
            t0 = time.perf_counter()
            bare.execute("COMMIT")
            spent += time.perf_counter() - t0
            timings[table] = (count, spent)
    finally:
        bare.close()
        source.close()
        bare_path.unlink(missing_ok=True)
        os.rmdir(folder)
    patient_rows, patient_seconds = timings["patient"]
    return {"patient_rows": patient_rows, "patient_seconds": round(patient_seconds, 2),
            "all_rows": sum(n for n, _ in timings.values()) if every_table else None,
            "all_seconds": round(sum(s for _, s in timings.values()), 1) if every_table else None}


# --- app start and memory -----------------------------------------------------------------------

def _timed_start(command: list[str], env: dict) -> tuple[float | None, float | None, float, str]:
    """Seconds from launch to the 'ready' line, the app's own reading, peak RSS seen (MB), stderr tail."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    import threading

    def sample() -> None:
        nonlocal peak
        while process.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    ready_at, own = None, None
    try:
        for line in process.stdout:
            if line.startswith("ready"):
                ready_at = time.perf_counter() - started
                parts = line.split()
                own = float(parts[1]) if len(parts) > 1 else None
                break
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    sampler.join(timeout=2)
    error = (process.stderr.read() or "")[-500:]
    return ready_at, own, peak / 2**20, error


def app_start(path: Path, starts: int) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CAREPOD_EXIT_WHEN_READY="1")
    env.setdefault("CAREPOD_HOME", tempfile.mkdtemp(prefix="carepod-bench-home-"))
    # --as one of the pod's active staff: the window opens at once, without asking who is using it
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    staff = con.execute("SELECT name FROM staff_member WHERE active ORDER BY id LIMIT 1").fetchone()
    con.close()
    who = ["--as", staff[0]] if staff else []
    app_runs = [_timed_start([sys.executable, "main.py", "--db", str(path), *who], env) for _ in range(starts)]
    base_runs = [_timed_start([sys.executable, "-c", QT_BASELINE], env) for _ in range(starts)]
    ready = [r[0] for r in app_runs if r[0] is not None]
    result = {
        "app_start_s": round(statistics.median(ready), 3) if ready else None,
        "app_start_own_s": round(statistics.median([r[1] for r in app_runs if r[1] is not None]), 3)
        if any(r[1] is not None for r in app_runs) else None,
        "app_rss_mb": round(max(r[2] for r in app_runs)),
        "qt_baseline_start_s": round(statistics.median([r[0] for r in base_runs if r[0] is not None]), 3)
        if any(r[0] is not None for r in base_runs) else None,
        "qt_baseline_rss_mb": round(max(r[2] for r in base_runs)),
    }
    if not ready:
        result["app_error"] = app_runs[-1][3] or "the app never printed 'ready' (CAREPOD_EXIT_WHEN_READY hook missing?)"
    return result


# --- search and chart ----------------------------------------------------------------------

def sample_queries(path: Path, count: int, seed: int) -> list[tuple[str, str, list[int] | None]]:
    """(kind, text, practice_ids) the way staff type: name prefixes, 'family, given', MRN,
    birth dates in US and ISO form, phone numbers in part and whole."""
    rng = random.Random(f"{seed}:bench-queries")
    conn = sqlite3.connect(path)
    try:
        top = conn.execute("SELECT max(id) FROM patient").fetchone()[0]
        ids = sorted(rng.sample(range(1, top + 1), min(count, top)))
        rows = conn.execute(f"SELECT id, practice_id, family, given, mrn, birth_date, phone FROM patient "
                            f"WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id", ids).fetchall()
    finally:
        conn.close()
    kinds = ("name prefix", "family, given", "mrn", "birth date", "phone", "iso birth date", "phone digits",
             "name in practice")
    queries = []
    for index, (_pid, practice_id, family, given, mrn, birth, phone) in enumerate(rows):
        kind = kinds[index % len(kinds)]
        year, month, day = birth.split("-")
        text = {
            "name prefix": family[: rng.randint(3, max(3, len(family)))],
            "family, given": f"{family}, {given[:2]}",
            "mrn": mrn,
            "birth date": f"{int(month)}/{int(day)}/{year}",
            "iso birth date": birth,
            "phone": phone[-8:],  # 555-1234
            "phone digits": "".join(c for c in phone if c.isdigit()),
            "name in practice": family[:4],
        }[kind]
        queries.append((kind, text, [practice_id] if kind == "name in practice" else None))
    return queries


def search_and_chart(path: Path, queries, seed: int) -> dict:
    import psutil
    import sqlalchemy as sa

    from storage.db import create_engine

    result: dict = {}
    engine = create_engine(path)
    rss_before = psutil.Process().memory_info().rss
    try:
        try:
            from storage.queries.patients import search_patients
        except ImportError as exc:
            result["search_error"] = f"storage.queries.patients.search_patients is not there yet ({exc})"
            search_patients = None
        if search_patients:
            for _, text, practices in queries[:3]:  # warm the statement cache and the pages
                search_patients(engine, text, practices)
            timings, found = [], 0
            for kind, text, practices in queries:
                t0 = time.perf_counter()
                hits = search_patients(engine, text, practices)
                timings.append((time.perf_counter() - t0, kind, text))
                found += bool(hits)
            seconds = sorted(t for t, _, _ in timings)
            worst = max(timings)
            result.update(search_median_ms=ms(statistics.median(seconds)), search_p90_ms=ms(seconds[int(len(seconds) * 0.9) - 1]),
                          search_worst_ms=ms(worst[0]), search_worst_query=f"{worst[1]}: {worst[2]!r}",
                          search_found=f"{found}/{len(queries)}")
            by_kind: dict[str, list[float]] = {}
            for t, kind, _ in timings:
                by_kind.setdefault(kind, []).append(t)
            result["search_median_ms_by_kind"] = {k: ms(statistics.median(v)) for k, v in sorted(by_kind.items())}
        # baseline: one indexed lookup per query in plain SQL (name prefix on the name index, MRN)
        raw = sqlite3.connect(path)
        try:
            base = []
            for kind, text, _ in queries:
                key = text.split(",")[0].upper()
                t0 = time.perf_counter()
                if kind == "mrn":
                    raw.execute("SELECT id FROM patient WHERE mrn = ?", (text,)).fetchall()
                else:
                    raw.execute("SELECT id FROM patient WHERE family_key >= ? AND family_key < ? "
                                "ORDER BY family_key, given_key LIMIT 50", (key, key + "\uffff")).fetchall()
                base.append(time.perf_counter() - t0)
            result["search_baseline_median_ms"] = ms(statistics.median(base))
            result["search_baseline_worst_ms"] = ms(max(base))
            chart_ids = [random.Random(f"{seed}:bench-charts").randint(1, raw.execute(
                "SELECT max(id) FROM patient").fetchone()[0]) for _ in range(20)]
            base = []
            for pid in chart_ids:
                t0 = time.perf_counter()
                raw.execute("SELECT * FROM patient WHERE id = ?", (pid,)).fetchall()
                raw.execute("SELECT * FROM clinical_fact WHERE patient_id = ?", (pid,)).fetchall()
                base.append(time.perf_counter() - t0)
            result["chart_baseline_median_ms"] = ms(statistics.median(base))
        finally:
            raw.close()
        try:
            from storage.queries.chart import load_chart
        except ImportError as exc:
            result["chart_error"] = f"storage.queries.chart.load_chart is not there yet ({exc})"
            load_chart = None
        if load_chart:
            load_chart(engine, chart_ids[0])
            seconds = []
            for pid in chart_ids:
                t0 = time.perf_counter()
                load_chart(engine, pid)
                seconds.append(time.perf_counter() - t0)
            result.update(chart_median_ms=ms(statistics.median(seconds)), chart_worst_ms=ms(max(seconds)))
        with engine.connect() as conn:
            result["patients_in_db"] = conn.execute(sa.text("SELECT count(*) FROM patient")).scalar()
        result["bench_process_rss_growth_mb"] = round((psutil.Process().memory_info().rss - rss_before) / 2**20)
    finally:
        engine.dispose()
    return result


# --- report ----------------------------------------------------------------------------------------

def report(figures: dict) -> str:
    g, b, s, a = figures.get("generation", {}), figures.get("baseline", {}), figures.get("search", {}), \
        figures.get("start", {})

    def line(label, value, beside="", target=""):
        return f"  {label:<34} {value!s:>14}   {beside:<44} {target}"

    out = [f"Carepod pod benchmark — {figures['practices']} practices, {figures['patients']:,} patients, "
           f"seed {figures['seed']}"]
    if g:
        out.append(line("generation (all tables)", f"{g['seconds']} s",
                        f"{g['total_rows']:,} rows, {g['db_mb']:,} MB file"))
        facts = g["rows"].get("clinical_fact", 0)
        out.append(line("  clinical facts", f"{facts:,}", f"{facts / max(1, figures['patients']):.1f} per patient"))
    if b:
        out.append(line("raw executemany, patient rows", f"{b['patient_seconds']} s",
                        f"{b['patient_rows']:,} rows into a bare table"))
        if b.get("all_seconds") is not None:
            out.append(line("raw executemany, every row", f"{b['all_seconds']} s",
                            f"{b['all_rows']:,} rows (generation / raw = "
                            f"{g.get('seconds', 0) / max(0.1, b['all_seconds']):.1f}x)" if g else f"{b['all_rows']:,} rows"))
    if a:
        out.append(line("app start to usable window", f"{a.get('app_start_s')} s",
                        f"empty Qt window: {a.get('qt_baseline_start_s')} s", f"target < {TARGETS['start_s']} s"))
        if a.get("app_start_own_s") is not None:
            out.append(line("  (app's own reading)", f"{a['app_start_own_s']} s"))
        out.append(line("app resident memory (peak)", f"{a.get('app_rss_mb')} MB",
                        f"empty Qt window: {a.get('qt_baseline_rss_mb')} MB", f"target < {TARGETS['rss_mb']:.0f} MB"))
        if a.get("app_error"):
            out.append(f"  app: {a['app_error']}")
    if s:
        if "search_median_ms" in s:
            out.append(line("patient search median", f"{s['search_median_ms']} ms",
                            f"plain indexed SQL: {s.get('search_baseline_median_ms')} ms",
                            f"target < {TARGETS['search_ms']:.0f} ms"))
            out.append(line("patient search p90 / worst", f"{s['search_p90_ms']} / {s['search_worst_ms']} ms",
                            f"plain SQL worst: {s.get('search_baseline_worst_ms')} ms"))
            out.append(f"  worst query: {s['search_worst_query']}; queries with hits {s['search_found']}")
            out.append("  median by kind: " + ", ".join(f"{k} {v}" for k, v in s["search_median_ms_by_kind"].items()))
        if s.get("search_error"):
            out.append(f"  search: {s['search_error']}")
        if "chart_median_ms" in s:
            out.append(line("open a chart median / worst", f"{s['chart_median_ms']} / {s['chart_worst_ms']} ms",
                            f"patient + facts in plain SQL: {s.get('chart_baseline_median_ms')} ms"))
        if s.get("chart_error"):
            out.append(f"  chart: {s['chart_error']}")
    return "\n".join(out)


def main(argv=None) -> int:
    args = parse_args(argv)
    temporary = args.db is None
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="carepod-bench-")) / "pod.db"
    figures: dict = {"practices": args.practices, "patients": args.patients, "seed": args.seed, "db": str(path)}
    try:
        if not (args.reuse and path.exists()):
            figures["generation"] = generate(args, path)
            print(f"generated in {figures['generation']['seconds']} s", file=sys.stderr)
        else:
            conn = sqlite3.connect(path)
            try:
                figures["practices"] = conn.execute("SELECT count(*) FROM practice").fetchone()[0]
                figures["patients"] = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            finally:
                conn.close()
        figures["baseline"] = raw_insert_baseline(path, every_table=not args.quick_baseline)
        print("baseline done", file=sys.stderr)
        figures["start"] = app_start(path, args.starts)
        print("app start done", file=sys.stderr)
        figures["search"] = search_and_chart(path, sample_queries(path, args.queries, args.seed), args.seed)
    finally:
        if temporary and not args.keep:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            try:
                path.parent.rmdir()
            except OSError:
                pass
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
