"""How long a staff member's save waits while a full recompute writes a million patients' gaps.

    .venv/bin/python bench/bench_staff_saves.py [POD] [--period-start 2027-01-01] [--workers 2]
                                                [--copy-to DIR | --in-place] [--keep]

POD (default /work/pods/pod1m.db) is copied first (``--in-place``: used as it is, for a pod made
for this), so a shared pod is never changed. A recompute of a period the pod has no gaps for
(every gap written: the longest writes there are) runs in another process, as the command
line runs it (the period must have patients in it: the demo pods' data is of 2025-2026);
meanwhile this process saves as a nurse opening charts does, one save every
50 ms through the application layer's unit of work (read the patient, record the view,
commit: BEGIN IMMEDIATE, synchronous=FULL). Each save's time from start to commit is its
wait. Printed beside the same saves measured in the same run with nothing else running:
count, p50, p99 and max (target: max under 1 s).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAVE_EVERY_S = 0.05


def _save(pod, patient_id: int) -> float:
    from domain import services

    started = time.perf_counter()
    with pod.unit_of_work() as uow:
        services.open_chart(uow, patient_id)  # reads the patient, records the view, commits
    return time.perf_counter() - started


def _figures(name: str, waits: list[float]) -> str:
    if not waits:
        return f"{name:<28} no saves"
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return (f"{name:<28} {len(waits):>6} saves   p50 {statistics.median(ordered) * 1000:8.1f} ms   "
            f"p99 {p99 * 1000:8.1f} ms   max {ordered[-1] * 1000:8.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pod", nargs="?", default="/work/pods/pod1m.db")
    parser.add_argument("--period-start", default="2026-01-01",
                        help="a period the pod has no gaps for (the 1M bench pod has 2025's)")
    parser.add_argument("--period-end", default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copy-to", default=None, help="folder for the copy (default: a temporary folder)")
    parser.add_argument("--in-place", action="store_true", help="recompute the pod itself (made for this bench)")
    parser.add_argument("--keep", action="store_true", help="keep the copy afterwards")
    parser.add_argument("--baseline-saves", type=int, default=200)
    args = parser.parse_args(argv)

    from application.pod import open_pod

    source = Path(args.pod)
    folder = None
    if args.in_place:
        pod_path = source
    else:
        folder = Path(args.copy_to or tempfile.mkdtemp(prefix="carepod-saves-"))
        folder.mkdir(parents=True, exist_ok=True)
        pod_path = folder / source.name
        started = time.perf_counter()
        shutil.copyfile(source, pod_path)
        print(f"copied {source} ({source.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - started:.0f} s",
              flush=True)
    end = args.period_end or f"{int(args.period_start[:4])}-12-31"
    try:
        pod = open_pod(pod_path, "Bench Nurse")  # brings the copy to this schema first
        with pod.engine.connect() as conn:
            top = conn.exec_driver_sql("SELECT max(id) FROM patient").scalar()
        rng = random.Random(1)
        baseline = [_save(pod, rng.randint(1, top)) for _ in range(args.baseline_saves)]
        env = {**os.environ, "CAREPOD_RECOMPUTE_WORKERS": str(args.workers)}
        started = time.perf_counter()
        recompute = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "recompute", "--db", str(pod_path),
                                      "--period-start", args.period_start, "--period-end", end],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
        during, failures = [], []
        while recompute.poll() is None:
            try:
                during.append(_save(pod, rng.randint(1, top)))
            except Exception as exc:  # noqa: BLE001 - counted and shown: there should be none
                failures.append(f"{type(exc).__name__}: {exc}")
            time.sleep(SAVE_EVERY_S)
        out, err = recompute.communicate()
        seconds = time.perf_counter() - started
        with pod.engine.connect() as conn:
            written = conn.exec_driver_sql("SELECT count(*) FROM gap WHERE period_start = ?",
                                           (args.period_start,)).scalar()
        pod.close()
        print(f"recompute of {args.period_start}..{end} ({args.workers} workers): exit {recompute.returncode} "
              f"in {seconds:.0f} s, {written:,} gaps written"
              f"{'' if recompute.returncode == 0 else ': ' + err.strip()[-300:]}")
        print(_figures("saves, nothing else running", baseline))
        print(_figures("saves during the recompute", during))
        print(f"failed saves: {len(failures)}" + (f" (first: {failures[0]})" if failures else ""))
        print("target: the longest wait under 1 s:", "met" if during and max(during) < 1.0 else "NOT met")
        return 0 if not failures and recompute.returncode == 0 else 1
    finally:
        if folder is not None and not args.keep:
            for suffix in ("", "-wal", "-shm", "-turns", "-import"):
                Path(f"{pod_path}{suffix}").unlink(missing_ok=True)
            if not args.copy_to:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
