"""One practice's quality report on a large pod, beside a plain reportlab document of the same
page count, in the same run.

    .venv/bin/python bench/bench_report.py [--db /work/pods/pod200-1m.db] [--practice CODE|typical|largest|smallest]
                                           [--period YYYY-MM] [--batch]

The pod is opened read-only (nothing is migrated, written or audited: the figures are the
reading and the laying out the user waits for). Without ``--practice`` two practices are
timed: the typical one (the median number of patients) and the largest; without ``--period``
the last month of the newest computed period. Every figure is the wall time the user waits,
with this process's CPU time beside it (the machine is shared: the load average is printed
before and after, and a wall time far above its CPU time was spent waiting for a core).
Printed for each practice:

- the pod's rates: from a kept monthly snapshot (what a month's report reads when the snapshot
  was taken; the pod's newest snapshot of the period is used), and computed from the gaps (a
  month without a snapshot);
- the practice's open gaps read (names, dates, why), and the read model whole;
- the PDF laid out and written (reportlab), beside the baseline: a plain reportlab
  ``SimpleDocTemplate`` with one plain ``Table`` a page (Helvetica, the same rows' text) made
  to the same page count — what any reportlab document of that many pages costs here;
- the whole report as a user waits for it (snapshot rates + gaps + PDF).
"""
from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from application import reports  # noqa: E402
from application.pod import Pod  # noqa: E402
from reports.practice_quality import gap_listing  # noqa: E402
from storage import schema as t  # noqa: E402
from storage.queries import gaps as gap_queries  # noqa: E402
from storage.queries import quality as quality_queries  # noqa: E402


def read_only_pod(path: str) -> Pod:
    if not Path(path).exists():
        raise SystemExit(f"bench_report: {path} does not exist (build it with main.py demo and recompute).")
    engine = sa.create_engine(f"sqlite:///file:{Path(path).resolve()}?mode=ro&uri=true")
    return Pod(engine, path).with_actor(staff_member(engine))


def staff_member(engine) -> str:
    """The pod's first active staff member: who the bench prints as (the audit trail names
    someone on the staff list, as the report command's --as does)."""
    from storage.queries.staff import active_staff_names

    names = active_staff_names(engine)
    if not names:
        raise SystemExit("bench_report: the pod has no active staff member to print as (add one: main.py staff --add).")
    return names[0]


def practices_by_size(pod: Pod) -> list[tuple[str, int]]:
    """(code, patients) of every practice with patients, fewest first."""
    with pod.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT pr.code, COUNT(*) FROM practice pr JOIN patient p ON p.practice_id = pr.id "
            "GROUP BY pr.id ORDER BY COUNT(*), pr.code"))]


def chosen_practices(pod: Pod, wanted: str | None) -> list[tuple[str, str]]:
    """(what it is, code): the typical and the largest practice, or the one asked for."""
    sizes = practices_by_size(pod)
    named = {"smallest": sizes[0][0], "typical": sizes[len(sizes) // 2][0], "largest": sizes[-1][0]}
    if wanted is None:
        return [("typical", named["typical"]), ("largest", named["largest"])]
    return [(wanted.lower(), named[wanted.lower()])] if wanted.lower() in named else [("asked for", wanted.upper())]


class Timed:
    """Wall and CPU time (this process's) of one step."""

    def __init__(self, wall: float, cpu: float):
        self.wall, self.cpu = wall, cpu

    def __add__(self, other: "Timed") -> "Timed":
        return Timed(self.wall + other.wall, self.cpu + other.cpu)

    def __str__(self) -> str:
        return f"{self.wall:.3f} (CPU {self.cpu:.3f})"


def timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, Timed(time.perf_counter() - start, time.process_time() - cpu)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def plain_reportlab(rows: list[list[str]], pages: int) -> tuple[bytes, int]:
    """The baseline: SimpleDocTemplate, one plain Table a page of the same cells the report
    prints, Helvetica 6 pt (rows of any length fit a page)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import PageBreak, SimpleDocTemplate, Table

    per_page = max(1, math.ceil(len(rows) / max(pages, 1)))
    width = max((len(row) for row in rows), default=1)
    rows = [row + [""] * (width - len(row)) for row in rows]
    header = ("Patient", "Birth date", "MRN", "Due", "Last outreach", "Why")[:width]
    story = []
    for start in range(0, max(len(rows), 1), per_page):
        story += [Table([header, *rows[start:start + per_page]], style=[("FONT", (0, 0), (-1, -1), "Helvetica", 6)]),
                  PageBreak()]
    while len(story) // 2 < pages:  # a practice with few gaps: empty pages up to the count
        story += [Table([header]), PageBreak()]
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=letter, leftMargin=20, rightMargin=20, topMargin=20,
                      bottomMargin=20).build(story[:-1])
    data = buffer.getvalue()
    return data, reports._page_count(data)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="/work/pods/pod200-1m.db")
    parser.add_argument("--practice", help="a practice code, or typical / largest / smallest (default: typical "
                                           "and largest)")
    parser.add_argument("--period", help="YYYY-MM (default: the newest computed period's last month)")
    parser.add_argument("--batch", action="store_true",
                        help="also write every practice's report into a temporary folder as the Reports "
                             "section's batch does (opens the pod for writing: the exports are audited)")
    args = parser.parse_args(argv)

    pod = read_only_pod(args.db)
    with pod.engine.connect() as conn:
        patients = conn.scalar(sa.select(sa.func.max(t.patient.c.id)))
        practices = conn.scalar(sa.select(sa.func.count()).select_from(t.practice))
    if args.period:
        month = reports.parse_month(args.period)
        start, end = reports._period_of(pod, month)
    else:
        start, end = gap_queries.gap_periods(pod.engine)[0]
        month = end.replace(day=1)
    with pod.engine.connect() as conn:
        kept_month = conn.scalar(sa.select(sa.func.max(t.quality_snapshot.c.month))
                                 .where(t.quality_snapshot.c.period_end == end))

    def figure(name: str, measured: object, baseline: str = "") -> None:
        print(f"{name:<66}{str(measured):>30}  {baseline}", flush=True)

    print(f"pod {args.db}: {practices} practices, about {patients:,} patients; month {month:%Y-%m} of the period "
          f"{start} – {end}; {load()}\n")
    print(f"{'figure (wall s, CPU s of this process)':<66}{'measured':>30}  baseline (same run)")

    from reports.base import register_fonts

    _none, fonts = timed(register_fonts)
    figure("report fonts registered (once per process)", fonts)
    if kept_month is not None:
        kept_month = dt.date.fromisoformat(str(kept_month)[:10])
        (by_measure, taken_at), snapshot_t = timed(lambda: quality_queries.snapshot_rates(pod.engine, end, kept_month))
        snapshot = reports.PodRates(month, start, end, by_measure, taken_at)
        figure(f"pod rates from the snapshot of {kept_month:%Y-%m}", snapshot_t)
    else:
        snapshot, snapshot_t = None, None
        figure("pod rates from a snapshot", "no snapshot kept")
    computed, computed_t = timed(lambda: reports.pod_rates(pod, month) if snapshot is None else
                                 reports.PodRates(month, start, end, quality_queries.peer_rates(pod.engine, end), None))
    figure("pod rates computed from the gaps (a month without a snapshot)", computed_t)
    rates = snapshot or computed
    rates_t = snapshot_t if snapshot_t is not None else computed_t

    for what, code in chosen_practices(pod, args.practice):
        with pod.engine.connect() as conn:
            in_practice = conn.execute(sa.text(
                "SELECT COUNT(*) FROM patient p JOIN practice pr ON pr.id = p.practice_id WHERE pr.code = :c"),
                {"c": code}).scalar_one()
        print(f"\n{what} practice {code}: {in_practice:,} patients")
        data, read_t = timed(lambda: reports.practice_quality_report(pod, code, month, rates=rates))
        figure(f"read model with those rates ({data.open_gap_count:,} open gaps, why included)", read_t)
        printed, render_t = timed(lambda: reports.render(data))
        gap_rows = [row for group in data.open_gaps for row in gap_listing(group).rows]  # the very cells printed
        (plain, plain_pages), plain_t = timed(lambda: plain_reportlab(gap_rows, printed.pages))
        figure(f"PDF laid out ({printed.pages:,} pages, {len(printed.pdf) / 1e6:.1f} MB)", render_t,
               f"{plain_t}: plain reportlab, {plain_pages:,} pages")
        figure("pages per second (wall)", f"{printed.pages / render_t.wall:,.0f}", f"{plain_pages / plain_t.wall:,.0f}")
        figure("one practice's report as the user waits (rates + gaps + PDF)", rates_t + read_t + render_t,
               "1.000 (target)")
    pod.close()
    print(f"\n{load()}")
    if args.batch:
        batch(args.db, month)
    return 0


def batch(path: str, month: dt.date) -> None:
    """Every practice's report of the month into a temporary folder, timed whole."""
    import tempfile

    from application.pod import open_pod
    from storage.queries.reports import practices_overview

    pod = open_pod(path, create=False)
    pod = pod.with_actor(staff_member(pod.engine))
    start, end = reports._period_of(pod, month)
    practices = practices_overview(pod.engine, end)
    gaps = sum(line[4] for line in practices)
    with tempfile.TemporaryDirectory() as folder:
        result, batch_t = timed(lambda: reports.write_practice_reports(pod, [line[1] for line in practices], month,
                                                                        folder))
        pages = sum(reports._page_count(Path(p).read_bytes()) for p in result.written)
    pod.close()
    print(f"{f'batch: {len(result.written)} practices, {gaps:,} open gaps, {pages:,} pages':<66}{str(batch_t):>30}  "
          f"{120 * len(practices) / 200:.1f} (2 minutes for 200 practices, pro rata)")
    print(load())


if __name__ == "__main__":
    sys.exit(main())
