"""Benchmark of the pharmacist's screens on a large pod: the worklist opening, and a review of a
patient with 25 medications opening, both through the real widgets.

    python bench/bench_reviews.py --prepare --from /work/pods/pod1m.db --db /tmp/reviews-1m.db
    python bench/bench_reviews.py --db /tmp/reviews-1m.db

``--prepare`` makes the bench's own copy of a pod (the shared file is only read): every table
but the measure engine's coding tables (fact_coding, coded_fact: 60 % of the file, read by no
screen measured here), brought to the newest schema by the app's own migrations (timed: that is
what opening an older pod costs), then one high-risk patient is given 25 active medications
and a comprehensive review with its problems, through the use cases.

Each figure is printed beside a baseline measured in the same run on the same machine: the
worklist beside the patient search of the Patients section (50 ms target) and the Gaps
worklist's first page; the review beside opening the same patient's chart. Targets (PRODUCT.md
§6 and issue 22): worklist under 200 ms, review under 100 ms. No figure is asserted.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CAREPOD_HOME", tempfile.mkdtemp(prefix="carepod-bench-"))  # no user settings touched

SKIPPED = ("fact_coding", "coded_fact", "coded_fact_pending", "alembic_version",
           "patient_medication_count")  # derived: kept by its triggers as the facts are copied
MEDICATIONS = 25
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TARGETS = {"worklist": 200.0, "review": 100.0}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the bench's pod (made by --prepare)")
    parser.add_argument("--prepare", action="store_true", help="make --db from --from first")
    parser.add_argument("--from", dest="source", help="the pod to copy (read only)")
    parser.add_argument("--runs", type=int, default=7, help="timed openings of each screen (median reported)")
    return parser.parse_args(argv)


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- the bench's own pod ----------------------------------------------------------------------------

def prepare(source: Path, target: Path) -> None:
    from storage.db import create_engine
    from storage.migrate import upgrade_to

    if target.exists():
        raise SystemExit(f"{target} exists; remove it or choose another --db")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    revision = src.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    src.close()
    engine = create_engine(target)
    upgrade_to(engine, revision)  # the same schema as the source, empty
    engine.dispose()
    started = time.perf_counter()
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    con.execute("ATTACH DATABASE ? AS src", (f"file:{source}?mode=ro",))
    for name in tables:
        if name in SKIPPED:
            continue
        t0 = time.perf_counter()
        columns = [r[1] for r in con.execute(f'PRAGMA main.table_info("{name}")')]
        listed = ", ".join(f'"{c}"' for c in columns)
        con.execute("BEGIN")
        con.execute(f'INSERT INTO main."{name}" ({listed}) SELECT {listed} FROM src."{name}"')
        con.execute("COMMIT")
        print(f"  copied {name} in {time.perf_counter() - t0:.1f} s", flush=True)
    con.execute("DETACH DATABASE src")
    con.close()
    print(f"copied in {time.perf_counter() - started:.0f} s ({target.stat().st_size / 2**30:.1f} GB)", flush=True)
    from storage.db import open_database

    started = time.perf_counter()
    engine = open_database(target)  # every migration newer than the source on a million patients
    print(f"migrated to the newest schema in {time.perf_counter() - started:.0f} s", flush=True)
    _review_of_25(engine)
    engine.dispose()


def _review_of_25(engine) -> None:
    """A high-risk patient gets 25 active medications and a finished comprehensive review with
    three problems, then a follow-up draft: the review the bench opens."""
    import datetime as dt

    import sqlalchemy as sa

    from application import reviews as app
    from application.pod import Pod
    from domain.facts import ClinicalFact
    from domain.medication_review import DrugTherapyProblem
    from storage import schema as t
    from storage.uow import UnitOfWork

    r, g = t.medication_review, t.gap
    free = sa.select(t.patient.c.id).where(sa.text(t.HIGH_RISK_WHERE),
                                           ~sa.exists().where(r.c.patient_id == t.patient.c.id, r.c.status == "draft"))
    gaps = sa.exists().where(g.c.patient_id == t.patient.c.id, g.c.state == "open",
                             g.c.measure_id.in_(("CMS122", "CMS165")))
    with engine.connect() as conn:  # one with an open diabetes or blood-pressure gap, shown in the review
        patient_id = (conn.execute(free.where(gaps).order_by(t.patient.c.id).limit(1)).scalar()
                      or conn.execute(free.order_by(t.patient.c.id).limit(1)).scalar_one())
        pharmacist = conn.execute(sa.select(t.staff_member.c.name).where(t.staff_member.c.roles.like("%pharmacist%"))
                                  .limit(1)).scalar() or "Bench pharmacist"
    start = dt.datetime(2025, 6, 2, 15)
    with UnitOfWork(engine, pharmacist) as uow:
        for index in range(MEDICATIONS):
            uow.facts.add(ClinicalFact(patient_id=patient_id, kind="medication_request", code_system=RXNORM,
                                       code=f"9{index:05d}", display=f"Benchmed {index + 1} {10 * (index + 1)} MG "
                                       "Oral Tablet", status="active", start_at=start, start_raw="2025-06-02"))
        uow.commit()
    pod = Pod(engine, "bench").with_actor(pharmacist)
    started = app.start_review(pod, patient_id, "comprehensive")
    state = app.snapshot(app.read_review(pod, started.review_id).review)
    for line in state.medications:
        line.action, line.indication, line.dose = "continue", "Blood pressure", "1 tablet by mouth once a day"
    state.problems += [DrugTherapyProblem(category, f"Bench problem {n}", medication=state.medications[n].name,
                                          recommendation="Bench recommendation", prescriber="Bench prescriber",
                                          talked_about="What we talked about", patient_action="What I need to do")
                       for n, category in enumerate(("dosage_too_low", "adverse_reaction", "adherence"))]
    app.finish_review(pod, state)
    print(f"patient {patient_id}: {MEDICATIONS} medications added, review {started.review_id} finished", flush=True)


# --- timing through the widgets ---------------------------------------------------------------------------

def _median(samples: list[float]) -> float:
    return ms(statistics.median(samples))


def measure(db: Path, runs: int) -> None:
    import sqlalchemy as sa
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from application import patients as patient_reads
    from application.gaps import GapFilter, gap_page
    from application.pod import open_pod
    from storage import schema as t
    from ui import review_screen, style
    from ui.chart_view import ChartView
    from ui.context import AppContext
    from ui.reviews_section import ReviewsSection
    from ui.settings import Settings

    app_ = QApplication.instance() or QApplication([])
    style.apply(app_)
    pod = open_pod(db)
    settings = Settings()
    context = AppContext.create(pod, settings)
    with pod.engine.connect() as conn:
        review_id, patient_id = conn.execute(
            sa.select(t.medication_review.c.id, t.medication_review.c.patient_id)
            .where(sa.select(sa.func.count()).where(t.reviewed_medication.c.review_id == t.medication_review.c.id)
                   .scalar_subquery() >= 25).order_by(t.medication_review.c.id.desc()).limit(1)).one()
        patients = conn.execute(sa.select(sa.func.count()).select_from(t.patient)).scalar()
    print(f"pod: {db} ({db.stat().st_size / 2**30:.1f} GB), {patients:,} patients; runs: {runs} (median)")

    def worklist_once() -> tuple[float, float, int]:
        """Until the first page is on screen, and until the groups' counts are too (both are
        read at once, on the two readers)."""
        started = time.perf_counter()
        section = ReviewsSection(context)
        section.resize(1366, 700)
        section.show()  # reads the counts and the first page on the readers
        # the event loop waits for the readers' answers as the app's does (no busy loop taking the
        # interpreter from the reader threads)
        while not section.model.rows and section.model.loading():
            app_.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app_.processEvents()
        first_page = time.perf_counter() - started
        while not section.counts:
            app_.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        app_.processEvents()
        counted = time.perf_counter() - started
        rows = section.model.rowCount()
        context.tasks.wait_idle()
        section.close()
        section.deleteLater()
        app_.processEvents()
        return first_page, counted, rows

    def review_once() -> tuple[float, float]:
        started = time.perf_counter()
        sheet = review_screen.app.read_review(pod, review_id)
        read = time.perf_counter() - started
        screen = review_screen.show_review(context, sheet)
        app_.processEvents()
        seconds = time.perf_counter() - started
        screen.close()
        app_.processEvents()
        return seconds, read

    def chart_once() -> float:
        from application.chart import read_chart

        started = time.perf_counter()
        view = ChartView(context, read_chart(pod, patient_id))
        view.resize(1366, 700)
        view.show()
        app_.processEvents()
        seconds = time.perf_counter() - started
        view.close()
        view.deleteLater()
        app_.processEvents()
        return seconds

    def floor_once() -> float:
        from PySide6.QtWidgets import QLabel

        started = time.perf_counter()
        widget = QLabel("empty")
        widget.resize(1366, 700)
        widget.show()
        app_.processEvents()
        seconds = time.perf_counter() - started
        widget.close()
        widget.deleteLater()
        return seconds

    def search_once() -> float:
        started = time.perf_counter()
        patient_reads.search_patients(pod, "smi")
        return time.perf_counter() - started

    def gaps_once() -> float:
        import datetime as dt

        started = time.perf_counter()
        gap_page(pod, GapFilter(period_end=dt.date(2025, 12, 31)))
        return time.perf_counter() - started

    worklist_once(), review_once(), chart_once()  # warm the file cache and the imports once
    worklist, counted, rows = zip(*(worklist_once() for _ in range(runs)))
    review, read = zip(*(review_once() for _ in range(runs)))
    chart = [chart_once() for _ in range(runs)]
    search = [search_once() for _ in range(runs)]
    floor = [floor_once() for _ in range(runs)]
    try:
        gaps = [gaps_once() for _ in range(runs)]
    except Exception as exc:  # a pod without that period: say so rather than fail
        gaps = []
        print(f"(Gaps worklist baseline not measured: {exc})")
    counts = review_screen.app.worklist_counts(pod)

    print()
    print(f"{'figure':<62}{'measured':>12}{'target':>10}")
    print(f"{'pharmacist worklist opens (section shown to first page on screen), ms':<62}"
          f"{_median(worklist):>12}{TARGETS['worklist']:>10}")
    print(f"{'  and the count of every group shown beside it, ms':<62}{_median(counted):>12}{'':>10}")
    print(f"{'  baseline: patient search of the Patients section, ms':<62}{_median(search):>12}{50.0:>10}")
    print(f"{'  baseline: empty section widget shown (Qt floor), ms':<62}{_median(floor):>12}{'':>10}")
    if gaps:
        print(f"{'  baseline: Gaps worklist first page (2025), ms':<62}{_median(gaps):>12}{200.0:>10}")
    print(f"{f'review of a patient with {MEDICATIONS} medications opens (read + window), ms':<62}"
          f"{_median(review):>12}{TARGETS['review']:>10}")
    print(f"{'  of which reading the review, its patient and gaps, ms':<62}{_median(read):>12}{'':>10}")
    print(f"{'  baseline: the same patient chart opens (read + tabs), ms':<62}{_median(chart):>12}{'':>10}")
    print()
    print(f"worklist first page: {rows[0]} rows; groups: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    context.tasks.shutdown()
    pod.close()


def main(argv=None) -> int:
    args = parse_args(argv)
    db = Path(args.db)
    if args.prepare:
        if not args.source:
            raise SystemExit("--prepare needs --from POD")
        prepare(Path(args.source), db)
    measure(db, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
