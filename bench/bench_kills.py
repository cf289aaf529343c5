"""SIGKILL at random moments of an import, a recompute and a backup; after each kill the
database passes ``integrity_check`` and every file, measure and backup is whole or absent.

    .venv/bin/python bench/bench_kills.py [--kills 20] [--patients 2000] [--seed 1] [--keep DIR]

``--kills N``: rounds go on until N runs of each command were killed mid-way (a kill that came
after the command had finished checks it all the same, but does not count).

A demo pod is made once (and a bulk-data export of new patients for the imports); each
round copies it, starts the command as a user would (``python main.py ...``, its worker
processes included), kills the whole process group after a random fraction of the time an
unkilled run takes, and checks:

- import: each NDJSON file landed whole or not at all (its resources, their facts, codings
  and source records all there, or none), the run is logged as interrupted;
- recompute: each measure is either published whole (its gaps, evidence and this month's
  snapshot equal an unkilled run's) or out of sight (no period of it is shown, no snapshot);
  then a recompute completes it to the unkilled run's rows;
- backup: the backup file is absent, or whole (integrity, same rows as the database).

Prints one line per round and a summary; exit 1 if any check failed.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PERIOD = ("2026-01-01", "2026-12-31")
MEASURE_ROWS = ("SELECT g.patient_id, g.measure_id, g.group_index, g.state, g.due_date, g.initial_population, "
                "g.denominator, g.denominator_exclusion, g.denominator_exception, g.numerator, e.items "
                "FROM gap g LEFT JOIN gap_evidence e ON e.gap_id = g.id WHERE g.measure_id = ?")
SNAPSHOT_ROWS = ("SELECT practice_id, group_index, numerator, denominator, rate, rank FROM quality_snapshot "
                 "WHERE measure_id = ?")


def carepod(*args, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "CAREPOD_RECOMPUTE_WORKERS": "2"}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)  # its own group: the workers die with it


def run_to_end(*args) -> float:
    started = time.monotonic()
    proc = carepod(*args)
    _out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(map(str, args))} failed: {err}")
    return time.monotonic() - started


def kill_after(seconds: float, *args) -> bool:
    """Run and SIGKILL the process group after ``seconds``; False if it had finished already."""
    proc = carepod(*args)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    finished = proc.poll() is not None
    if not finished:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    return not finished


def rows(path: Path, sql: str, *params) -> list:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sorted(con.execute(sql, params).fetchall(), key=repr)
    finally:
        con.close()


def intact(path: Path) -> bool:
    return rows(path, "PRAGMA integrity_check") == [("ok",)]


# --- import ------------------------------------------------------------------------------------

def import_check(path: Path, expected: dict[str, int]) -> list[str]:
    """Each file whole or absent: its resource type's facts (or patients) all there or none,
    and every fact with its codings and its source record."""
    problems = []
    landed = {"Patient": rows(path, "SELECT count(*) FROM source_record WHERE resource_type = 'Patient' "
                                    "AND resource_id LIKE 'pt%'")[0][0]}
    for rtype in ("Encounter", "Condition", "Observation"):
        landed[rtype] = rows(path, "SELECT count(*) FROM source_record WHERE resource_type = ?", rtype)[0][0]
    for rtype, count in landed.items():
        if count not in (0, expected[rtype]):
            problems.append(f"{rtype}.ndjson half landed: {count} of {expected[rtype]}")
    orphans = rows(path, "SELECT count(*) FROM clinical_fact f WHERE f.source_key IS NOT NULL AND ("
                         "NOT EXISTS (SELECT 1 FROM fact_coding c WHERE c.fact_id = f.id) OR NOT EXISTS ("
                         "SELECT 1 FROM source_record s WHERE s.record_table = 'clinical_fact' AND s.record_id = f.id))"
                   )[0][0]
    if orphans:
        problems.append(f"{orphans} facts without their codings or source record")
    running = rows(path, "SELECT count(*) FROM import_run WHERE status IN ('running', 'waiting')")[0][0]
    if running and not problems:
        from application.pod import open_pod
        from storage.importers.history import recent_runs

        pod = open_pod(path, create=False, read_only=True)
        try:
            if recent_runs(pod.engine, 1)[0].status != "interrupted":
                problems.append("the killed import is not shown as interrupted")
        finally:
            pod.close()
    return problems


# --- recompute -----------------------------------------------------------------------------------

def recompute_check(path: Path, reference: Path, measures: list[str]) -> list[str]:
    problems = []
    staged = {m for (m,) in rows(path, "SELECT measure_id FROM gap_staging")}
    from application.pod import open_pod
    from storage.queries.gaps import gap_periods

    pod = open_pod(path, create=False, read_only=True)
    try:
        for mid in measures:
            published = rows(path, "SELECT count(*) FROM gap_write WHERE measure_id = ?", mid)[0][0] and mid not in staged
            shown = gap_periods(pod.engine, mid)
            if published:
                if rows(path, MEASURE_ROWS, mid) != rows(reference, MEASURE_ROWS, mid):
                    problems.append(f"{mid} published but not whole")
                if rows(path, SNAPSHOT_ROWS, mid) != rows(reference, SNAPSHOT_ROWS, mid):
                    problems.append(f"{mid} published without its snapshot")
            else:
                if shown:
                    problems.append(f"{mid} half written and shown")
                if rows(path, SNAPSHOT_ROWS, mid):
                    problems.append(f"{mid} has a snapshot but its gaps are not published")
    finally:
        pod.close()
    return problems


# --- backup --------------------------------------------------------------------------------------

def backup_check(out: Path, source: Path) -> list[str]:
    if not out.exists():
        return []
    if not intact(out):
        return [f"{out.name} is there but damaged"]
    if rows(out, "SELECT count(*) FROM patient") != rows(source, "SELECT count(*) FROM patient"):
        return [f"{out.name} is there but not whole"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kills of each command (default 20)")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", help="keep the work folder here")
    args = parser.parse_args(argv)
    from bench_import import generate

    from storage.measures.recompute import ALL_MEASURES

    work = Path(args.keep or tempfile.mkdtemp(prefix="carepod-kills-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    base = work / "base.db"
    if not base.exists():
        run_to_end("demo", "--db", base, "--practices", "3", "--patients", args.patients, "--quiet")
    code = rows(base, "SELECT code FROM practice ORDER BY code LIMIT 1")[0][0]
    actor = rows(base, "SELECT name FROM staff_member WHERE active ORDER BY id LIMIT 1")[0][0]  # imports, backups run --as
    export = work / "export"
    if not export.exists():
        generate(export, args.patients)
    expected = {"Patient": args.patients, "Encounter": args.patients, "Condition": 2 * args.patients,
                "Observation": 3 * args.patients}
    reference = work / "reference.db"
    shutil.copy(base, reference)
    recompute_seconds = run_to_end("recompute", "--db", reference, "--period-start", PERIOD[0],
                                   "--period-end", PERIOD[1])
    probe = work / "probe.db"
    shutil.copy(base, probe)
    import_seconds = run_to_end("import", "--db", probe, "--as", actor, "--practice", code, export)
    backup_seconds = run_to_end("backup", "--db", reference, "--out", work / "probe-backup.db", "--as", actor)
    print(f"unkilled: import {import_seconds:.1f} s, recompute {recompute_seconds:.1f} s, "
          f"backup {backup_seconds:.1f} s", flush=True)
    failures = 0
    for kind, seconds in (("import", import_seconds), ("recompute", recompute_seconds), ("backup", backup_seconds)):
        killed, round_ = 0, 0
        while killed < args.kills and round_ < 3 * args.kills:  # a kill that came too late does not count
            round_ += 1
            db = work / f"{kind}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copy(reference if kind == "backup" else base, db)
            at = rng.uniform(0.05, 0.95) * seconds
            out = work / "killed-backup.db"
            out.unlink(missing_ok=True)
            if kind == "import":
                was_killed = kill_after(at, "import", "--db", db, "--as", actor, "--practice", code, export)
            elif kind == "recompute":
                was_killed = kill_after(at, "recompute", "--db", db, "--period-start", PERIOD[0],
                                        "--period-end", PERIOD[1])
            else:
                was_killed = kill_after(at, "backup", "--db", db, "--out", out, "--as", actor)
            killed += was_killed
            problems = [] if intact(db) else ["integrity_check failed"]
            if not problems:
                problems = (import_check(db, expected) if kind == "import" else
                            recompute_check(db, reference, list(ALL_MEASURES)) if kind == "recompute" else
                            backup_check(out, db))
            if kind == "recompute" and not problems:  # what was out of sight is completed by the next run
                run_to_end("recompute", "--db", db, "--period-start", PERIOD[0], "--period-end", PERIOD[1])
                if any(rows(db, MEASURE_ROWS, m) != rows(reference, MEASURE_ROWS, m) for m in ALL_MEASURES):
                    problems.append("the next recompute did not complete it")
            failures += bool(problems)
            print(f"{kind:<9} round {round_:>2}: killed at {at:5.2f} s{'' if was_killed else ' (had finished)'}: "
                  f"{'; '.join(problems) or 'whole or absent, integrity ok'}", flush=True)
        print(f"{kind}: {killed} runs killed mid-way (of {round_})", flush=True)
    print(f"{'ALL CHECKS PASSED' if not failures else f'{failures} ROUND(S) FAILED'}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
