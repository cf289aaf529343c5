"""The audit trail at a year's volume: Administration ▸ Audit trail's filters timed through the real page.

    python bench/bench_audit.py --db /path/to/pod-copy.db [--events 3000000]

A pod's audit trail only grows: every chart opened, record changed, report printed and list
exported is an event (about 2,500,000 a year for 50 staff opening 200 charts a day). This bench
appends ``--events`` synthetic events to a COPY of a pod (spread over the year before the pod's
clock, from its staff: most by a few busy members, 20 by the rarest; one in 100,000 marks a
record entered in error), then
opens the real audit trail page offscreen and times each filter until its first page is on
screen, with the longest UI-thread freeze, beside an empty Qt window's figures measured in the
same run (the Watch of ``bench/bench_screens.py``). Nothing is asserted.

The events are appended with raw SQLite (a bench module) and without their chain hashes: the
copy's "Verify the chain…" will name the first of them. Run it on a copy.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_screens import Watch, baseline, load_average  # noqa: E402

RARE_EVENTS = 20
TARGET_MS = 200


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a COPY of a pod (events are appended to it)")
    parser.add_argument("--events", type=int, default=3_000_000, help="synthetic events to append (0: none)")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args(argv)


def append_events(db: Path, events: int, seed: int) -> tuple[str, str]:
    """Append the events; returns (the busiest staff member, the rarest)."""
    rng = random.Random(seed)
    con = sqlite3.connect(db)
    try:
        staff = [name for (name,) in con.execute("SELECT name FROM staff_member WHERE active = 1 ORDER BY id")]
        if len(staff) < 2:
            raise SystemExit(f"{db}: the bench needs a pod with at least two active staff members")
        patients = con.execute("SELECT min(id), max(id) FROM patient").fetchone()
        busy, rare = staff[0], staff[-1]
        weights = [1.0 / (i + 1) for i in range(len(staff) - 1)]  # a few do most of it
        actions = ["view"] * 800 + ["change"] * 130 + ["create"] * 40 + ["print"] * 20 + ["export"] * 10
        end = dt.datetime(2026, 12, 1)
        started = time.perf_counter()
        rows = []
        rare_at = set(rng.sample(range(events), min(RARE_EVENTS, events)))
        for n in range(events):
            at = end - dt.timedelta(seconds=(events - n) * 365 * 86400 // max(events, 1))
            actor = rare if n in rare_at else rng.choices(staff[:-1], weights)[0]
            action = "entered_in_error" if n % 100_000 == 99_999 else rng.choice(actions)  # rare
            patient = rng.randint(*patients) if patients[0] is not None else None
            rows.append((at.isoformat(sep=" "), actor, action, "patient", patient, patient, ""))
            if len(rows) == 100_000:
                con.executemany("INSERT INTO audit_event (at, actor, action, record_type, record_id, patient_id, "
                                "detail) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                rows.clear()
        if rows:
            con.executemany("INSERT INTO audit_event (at, actor, action, record_type, record_id, patient_id, "
                            "detail) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        con.commit()
        total = con.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        print(f"appended {events:,} events in {time.perf_counter() - started:.1f} s; the trail holds {total:,}")
    finally:
        con.close()
    return busy, rare


def busiest_and_rarest(db: Path) -> tuple[str | None, str | None]:
    """The staff members with the most and the fewest events already in the trail."""
    con = sqlite3.connect(db)
    try:
        counts = con.execute("SELECT actor, count(*) FROM audit_event GROUP BY actor ORDER BY 2 DESC").fetchall()
    finally:
        con.close()
    return (counts[0][0], counts[-1][0]) if counts else (None, None)


def main(argv=None) -> int:
    args = parse_args(argv)
    db = Path(args.db).expanduser()
    if not db.is_file():
        raise SystemExit(f"{db}: no such file")
    from PySide6.QtWidgets import QApplication

    from application.pod import open_pod
    from ui.admin_audit import AuditTrailPage
    from ui.context import AppContext
    from ui.settings import Settings

    open_pod(db).engine.dispose()  # brought to the current schema before the events are appended
    busy, rare = append_events(db, args.events, args.seed) if args.events else busiest_and_rarest(db)
    os.environ.setdefault("CAREPOD_HOME", tempfile.mkdtemp(prefix="carepod-bench-home-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    base_ms, base_freeze = baseline(app)
    context = AppContext.create(open_pod(db), Settings())
    page = AuditTrailPage(context)
    page.resize(1366, 768)
    watch = Watch(app, context.tasks)
    print(f"load average {load_average()} on {os.cpu_count()} cores")
    print(f"{'action':<52} {'on screen':>12} {'freeze':>12}")

    def shown() -> bool:
        return page.status_label.text() != "Reading the audit trail…"

    def record(name: str, action) -> None:
        on_screen, freeze = watch.measure(action, shown)
        flag = "" if on_screen <= TARGET_MS and freeze <= 100 else "  ← over target"
        print(f"{name:<52} {on_screen:>9.1f} ms {freeze:>9.1f} ms   (empty window {base_ms:.1f} / "
              f"{base_freeze:.1f} ms; {page.model.rowCount():,} rows){flag}", flush=True)

    def choose(combo, data):
        return lambda: combo.setCurrentIndex(combo.findData(data))

    record("first open (every event, newest first)", page.show)
    for name, data in ((f"who = the busiest ({busy})", busy), (f"who = the rarest ({rare})", rare)):
        if data is not None:
            record(name, choose(page.who_combo, data))
    record("who = anyone", lambda: page.who_combo.setCurrentIndex(0))
    for action in ("export", "entered_in_error"):
        record(f"action = {action}", choose(page.action_combo, action))
    record("action = any", lambda: page.action_combo.setCurrentIndex(0))
    if rare is not None:
        page.who_combo.setCurrentIndex(page.who_combo.findData(rare))
        watch.measure(lambda: None, shown)
        record(f"who = the rarest, action = print", choose(page.action_combo, "print"))
    print(f"load average {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
