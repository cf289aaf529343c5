"""Benchmark of the night nurse line on the 1,000,000-patient pod: finding the caller, saving a
call, a practice's morning hand-off (and the night's other lists), each beside a baseline
measured in the same run, through the use cases and through the real widgets.

    python bench/bench_calls.py --source /work/pods/pod1m.db --db /tmp/calls-bench.db

The shared pod is never written: the first run copies into ``--db`` the tables the night nurse
reads (practices, clinicians, rota, staff, payers, all patients, all calls) at the shared pod's
schema revision, then opens it as the app does, so the migrations upgrade it exactly as it
upgrades a real pod (its time is printed too). Later runs reuse ``--db``. Targets (PRODUCT.md
§6): patient search < 50 ms, saving a call < 50 ms, a hand-off < 200 ms. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGETS = {"search_ms": 50.0, "save_ms": 50.0, "handoff_ms": 200.0}
TABLES = ("payer", "practice", "clinician", "on_call_slot", "staff_member", "staff_practice", "patient",
          "after_hours_call")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="/work/pods/pod1m.db", help="the pod to copy from (read only)")
    parser.add_argument("--db", required=True, help="the bench's own database (made from --source if missing)")
    parser.add_argument("--searches", type=int, default=60, help="patients looked up, each by name, birth date, phone")
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summary(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {"median_ms": ms(statistics.median(samples)), "p95_ms": ms(samples[int(0.95 * (len(samples) - 1))]),
            "max_ms": ms(samples[-1]), "n": len(samples)}


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


# --- the bench's own copy -------------------------------------------------------------------------

def prepare(source: Path, target: Path) -> dict:
    """The night nurse's tables of ``source`` in a new database at the source's revision, then
    upgraded by the app's own migrations."""
    from storage.db import create_engine, open_database
    from storage.migrate import upgrade_to

    if str(target.resolve()).startswith("/work/pods/"):
        raise SystemExit("bench_calls: --db must be the bench's own file, never the shared pods folder")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    revision = src.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    src.close()
    engine = create_engine(target)
    upgrade_to(engine, revision)
    engine.dispose()
    started = time.perf_counter()
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
    rows = {}
    for table in TABLES:
        columns = [r[1] for r in conn.execute(f'PRAGMA main.table_info("{table}")')]
        names = ", ".join(columns)
        conn.execute(f'INSERT INTO main."{table}" ({names}) SELECT {names} FROM src."{table}"')
        rows[table] = conn.execute(f'SELECT count(*) FROM main."{table}"').fetchone()[0]
        print(f"  copied {table}: {rows[table]:,} rows", flush=True)
    conn.commit()
    conn.execute("DETACH DATABASE src")
    conn.close()
    copied = time.perf_counter() - started
    started = time.perf_counter()
    open_database(target).dispose()  # the migrations since its revision, as the app does on opening an older pod
    return {"copied_s": round(copied, 1), "migrated_s": round(time.perf_counter() - started, 1), "rows": rows,
            "from_revision": revision}


# --- measurements ------------------------------------------------------------------------------------

def search_queries(pod, count: int) -> list[tuple[str, str]]:
    import sqlalchemy as sa

    from storage import schema as t

    rng = random.Random(21)
    with pod.engine.connect() as conn:
        top = conn.execute(sa.select(sa.func.max(t.patient.c.id))).scalar()
        ids = rng.sample(range(1, top + 1), count)
        rows = conn.execute(sa.select(t.patient.c.family, t.patient.c.given, t.patient.c.birth_date,
                                      t.patient.c.phone).where(t.patient.c.id.in_(ids))).all()
    queries = []
    for family, given, born, phone in rows:
        queries.append(("name", f"{family.lower()} {given[:2].lower()}"))
        queries.append(("birth date", f"{born.month}/{born.day}/{born.year}"))
        if phone:
            queries.append(("phone", phone))
    return queries


def bench_search(pod, count: int) -> dict:
    from application.patients import patient_row, search_patients
    from ui.call_entry import RESULTS_SHOWN

    queries = search_queries(pod, count)
    for _kind, text in queries[:5]:  # warm the page cache as a running app would be
        search_patients(pod, text, None, limit=RESULTS_SHOWN + 1)
    by_kind: dict[str, list[float]] = {}
    for kind, text in queries:
        seconds, _rows = timed(search_patients, pod, text, None, limit=RESULTS_SHOWN + 1)
        by_kind.setdefault(kind, []).append(seconds)
    baseline = [timed(patient_row, pod, random.Random(i).randint(1, 900_000))[0] for i in range(count)]
    return {"by_kind": {k: summary(v) for k, v in by_kind.items()}, "baseline_by_id": summary(baseline)}


def entry_for(pod, patient_id: int, practice_id: int, received: dt.datetime):
    from application.calls import CallEntry, PageEntry, on_call_now

    on_call = on_call_now(pod, practice_id, received + dt.timedelta(minutes=10))
    pages = (PageEntry(on_call[0], received + dt.timedelta(minutes=10), "reached", "Agrees"),) if on_call else ()
    return CallEntry(practice_id=practice_id, received_at=received, caller_name="Bench Caller", reason="Fever",
                     patient_id=patient_id, caller_phone="555-0100", symptoms="Temp 101.2 F", protocol="Fever - Adult",
                     medications_confirmed=True, allergies_confirmed=True, disposition="on_call_paged" if pages
                     else "home_care", advice="Fluids, acetaminophen", advice_repeated_back=True, pages=pages,
                     called_back_at=received + dt.timedelta(minutes=6))


def bench_save(pod, count: int) -> dict:
    import sqlalchemy as sa

    from application.calls import save_call
    from storage import schema as t

    with pod.engine.connect() as conn:
        patients = conn.execute(sa.select(t.patient.c.id, t.patient.c.practice_id)
                                .where(t.patient.c.id.in_(random.Random(5).sample(range(1, 900_000), count)))).all()
    received = dt.datetime(2026, 12, 1, 3, 0)
    samples = []
    for index, (patient_id, practice_id) in enumerate(patients):
        seconds, _saved = timed(save_call, pod, entry_for(pod, patient_id, practice_id,
                                                           received + dt.timedelta(minutes=index)))
        samples.append(seconds)

    def audit_only():
        with pod.unit_of_work() as uow:
            uow.audit.record("view", "Bench", None, None, "baseline")
            uow.commit()
    baseline = [timed(audit_only)[0] for _ in range(count)]
    return {"save_call": summary(samples[1:]), "baseline_one_audit_row_commit": summary(baseline[1:])}


def bench_handoff(pod) -> dict:
    import sqlalchemy as sa

    from application.calls import handoff, lead_list, overnight_log, waiting_calls
    from storage import schema as t

    with pod.engine.connect() as conn:
        busiest = conn.execute(sa.text(
            "SELECT substr(received_at, 1, 10) AS d FROM after_hours_call GROUP BY d ORDER BY count(*) DESC LIMIT 1")).scalar()
        practices = conn.execute(sa.select(t.practice.c.id)).scalars().all()
    morning = dt.date.fromisoformat(busiest) + dt.timedelta(days=1)
    samples, calls, baseline = [], [], []
    c = t.after_hours_call
    handoff(pod, practices[0], morning)  # the first read of a session loads the mappers: not a hand-off's cost
    for practice_id in practices:
        seconds, data = timed(handoff, pod, practice_id, morning)
        samples.append(seconds)
        calls.append(len(data.calls))

        def raw():
            with pod.engine.connect() as conn:
                return conn.execute(sa.select(c.c.id, c.c.reason, c.c.disposition).where(
                    c.c.practice_id == practice_id, c.c.received_at >= data.window.start,
                    c.c.received_at < data.window.end)).all()
        baseline.append(timed(raw)[0])
    log_s, log = timed(overnight_log, pod, morning)
    waiting_s, _w = timed(waiting_calls, pod)
    lead_s, lead = timed(lead_list, pod)
    return {"morning": morning.isoformat(), "handoff": summary(samples), "calls_per_handoff": max(calls),
            "baseline_raw_calls_query": summary(baseline), "overnight_log_whole_pod_ms": ms(log_s),
            "overnight_log_calls": len(log.calls), "waiting_list_ms": ms(waiting_s), "lead_list_ms": ms(lead_s),
            "lead_list_calls": len(lead)}


def bench_widgets(pod, morning: dt.date) -> dict:
    """What the nurse sees: the entry's search until its results are listed, its save until the
    window has closed, the hand-off tab until its table is filled; beside an empty task's round trip."""
    from PySide6.QtWidgets import QApplication

    from ui.call_entry import CallEntryWindow
    from ui.calls_section import CallsSection
    from ui.context import AppContext
    from ui.settings import Settings

    app = QApplication.instance() or QApplication([])
    settings = Settings()
    settings.user_name = "Bench Nurse"
    context = AppContext.create(pod, settings)
    figures: dict = {}

    def until_idle(action) -> float:
        started = time.perf_counter()
        action()
        context.tasks.wait_idle()
        app.processEvents()
        return time.perf_counter() - started

    def until_called(obj, name: str, action) -> float:
        """From the action to the moment the widget's ``name`` has run (the answer is on screen)."""
        done: list[float] = []
        original = getattr(obj, name)

        def wrapped(*args, **kwargs):
            result = original(*args, **kwargs)
            done.append(time.perf_counter())
            return result
        setattr(obj, name, wrapped)
        started = time.perf_counter()
        try:
            action()
            while not done and time.perf_counter() - started < 30:
                app.processEvents()
            context.tasks.wait_idle()
        finally:
            setattr(obj, name, original)
        return done[0] - started

    def empty_task() -> float:
        done: list[float] = []
        started = time.perf_counter()
        context.tasks.read(lambda job: None, on_done=lambda _r: done.append(time.perf_counter()))
        while not done:
            app.processEvents()
        return done[0] - started
    figures["baseline_empty_task_round_trip"] = summary([empty_task() for _ in range(20)])
    entry = CallEntryWindow(context)
    entry.show()
    queries = [q for _k, q in search_queries(pod, 20)]
    shown = []
    for text in queries:
        entry.search.setText(text)
        shown.append(until_called(entry, "_show_results", entry._run_search))
    figures["entry_search_until_listed"] = summary(shown)
    entry.close()
    saves = []
    for index in range(10):
        window = CallEntryWindow(context)
        window.show()
        window.search.setText(queries[index])
        until_idle(window._run_search)
        window.choose_row(0)
        context.tasks.wait_idle()
        window.reason.setText("Fever")
        window.disposition.setCurrentIndex(window.disposition.findData("home_care"))
        window._draft_timer.stop()
        context.tasks.wait_idle()
        saves.append(until_called(window, "_saved", lambda w=window: w.save(complete=True)))
    figures["entry_save_until_closed"] = summary(saves)
    section = CallsSection(context)
    section.resize(1366, 768)
    section.show()
    context.tasks.wait_idle()
    page = section.handoff_page
    handoffs = []
    for index in range(page.practice.count()):
        practice_id = page.practice.itemData(index)
        handoffs.append(until_called(page, "show_result", lambda p=practice_id: page.show_practice(p, morning)))
    figures["handoff_tab_until_filled"] = summary(handoffs)
    section.close()
    context.tasks.shutdown()
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    from application.pod import open_pod

    target = Path(args.db)
    figures: dict = {}
    if not target.exists():
        print(f"making {target} from {args.source} (read only) …", flush=True)
        figures["prepare"] = prepare(Path(args.source), target)
    pod = open_pod(target, "Bench Nurse")
    try:
        figures["search"] = bench_search(pod, args.searches)
        figures["save"] = bench_save(pod, args.saves)
        figures["handoff"] = bench_handoff(pod)
        figures["widgets"] = bench_widgets(pod, dt.date.fromisoformat(figures["handoff"]["morning"]))
    finally:
        pod.close()
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0


def report(f: dict) -> None:
    def line(name, measured, baseline, target=""):
        print(f"{name:<66} {measured:>24} {baseline:>36} {target:>7}")

    def med(s):
        return f"{s['median_ms']} / {s['p95_ms']} / {s['max_ms']}"
    print()
    if "prepare" in f:
        p = f["prepare"]
        print(f"bench database: {p['rows']['patient']:,} patients, {p['rows']['after_hours_call']:,} calls copied in "
              f"{p['copied_s']} s; migrated from {p['from_revision']} to the head in {p['migrated_s']} s")
    line("figure (median / p95 / max, ms)", "measured", "baseline", "target")
    for kind, s in f["search"]["by_kind"].items():
        line(f"find the caller by {kind} (search_patients, {s['n']} lookups)", med(s),
             med(f["search"]["baseline_by_id"]) + " (by id)", "50")
    line("save a complete call with a page (save_call)", med(f["save"]["save_call"]),
         med(f["save"]["baseline_one_audit_row_commit"]) + " (1 row)", "50")
    h = f["handoff"]
    line(f"a practice's hand-off, morning {h['morning']} (up to {h['calls_per_handoff']} calls)", med(h["handoff"]),
         med(h["baseline_raw_calls_query"]) + " (raw)", "200")
    print(f"overnight log of the whole pod: {h['overnight_log_whole_pod_ms']} ms ({h['overnight_log_calls']} calls); "
          f"waiting list {h['waiting_list_ms']} ms; lead's list {h['lead_list_ms']} ms ({h['lead_list_calls']} calls)")
    w = f["widgets"]
    base = med(w["baseline_empty_task_round_trip"]) + " (empty task)"
    line("call entry: search until the results are listed", med(w["entry_search_until_listed"]), base, "50")
    line("call entry: Save until the window has closed", med(w["entry_save_until_closed"]), base, "50")
    line("Morning hand-off tab: practice chosen until the table is filled", med(w["handoff_tab_until_filled"]), base,
         "200")


if __name__ == "__main__":
    sys.exit(main())
