"""One practice's quality report on a large pod, beside a plain reportlab document of the same
page count, in the same run.

    .venv/bin/python bench/bench_report.py [--db /work/pods/pod1m.db] [--practice CODE] [--period YYYY-MM]

The pod is opened read-only (nothing is migrated, written or audited: the figures are the
reading and the laying out the user waits for). Without ``--practice`` the practice with the
fewest patients is taken; without ``--period`` the last month of the newest computed period.
Printed:

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
    return Pod(engine, path).with_actor("bench")


def smallest_practice(pod: Pod) -> str:
    with pod.engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT pr.code FROM practice pr JOIN patient p ON p.practice_id = pr.id "
            "GROUP BY pr.id ORDER BY COUNT(*) LIMIT 1")).scalar_one()


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


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
    parser.add_argument("--db", default="/work/pods/pod1m.db")
    parser.add_argument("--practice", help="practice code (default: the one with the fewest patients)")
    parser.add_argument("--period", help="YYYY-MM (default: the newest computed period's last month)")
    parser.add_argument("--batch", action="store_true",
                        help="also write every practice's report into a temporary folder as the Reports "
                             "section's batch does (opens the pod for writing: the exports are audited)")
    args = parser.parse_args(argv)

    pod = read_only_pod(args.db)
    with pod.engine.connect() as conn:
        patients = conn.scalar(sa.select(sa.func.max(t.patient.c.id)))
        practices = conn.scalar(sa.select(sa.func.count()).select_from(t.practice))
    code = (args.practice or smallest_practice(pod)).upper()
    if args.period:
        month = reports.parse_month(args.period)
        start, end = reports._period_of(pod, month)
    else:
        start, end = gap_queries.gap_periods(pod.engine)[0]
        month = end.replace(day=1)
    with pod.engine.connect() as conn:
        kept_month = conn.scalar(sa.select(sa.func.max(t.quality_snapshot.c.month))
                                 .where(t.quality_snapshot.c.period_end == end))
        in_practice = conn.execute(sa.text(
            "SELECT COUNT(*) FROM patient p JOIN practice pr ON pr.id = p.practice_id WHERE pr.code = :c"),
            {"c": code}).scalar_one()

    rows: list[tuple[str, str, str]] = []

    def figure(name: str, measured: str, baseline: str = "") -> None:
        rows.append((name, measured, baseline))
        print(f"{name:<74}{measured:>22}  {baseline}", flush=True)

    print(f"pod {args.db}: {practices} practices, about {patients:,} patients; practice {code} ({in_practice:,} "
          f"patients), month {month:%Y-%m} of the period {start} – {end}\n")
    print(f"{'figure':<74}{'measured':>22}  baseline (same run)")

    from reports.base import register_fonts

    _none, fonts_s = timed(register_fonts)
    figure("report fonts registered (once per process), s", f"{fonts_s:.3f}")
    if kept_month is not None:
        kept_month = dt.date.fromisoformat(str(kept_month)[:10])
        (by_measure, taken_at), snapshot_s = timed(lambda: quality_queries.snapshot_rates(pod.engine, end, kept_month))
        snapshot = reports.PodRates(month, start, end, by_measure, taken_at)
        figure(f"pod rates from the snapshot of {kept_month:%Y-%m}, s", f"{snapshot_s:.3f}")
    else:
        snapshot, snapshot_s = None, None
        figure("pod rates from a snapshot, s", "no snapshot kept")
    computed, computed_s = timed(lambda: reports.pod_rates(pod, month) if snapshot is None else
                                 reports.PodRates(month, start, end, quality_queries.peer_rates(pod.engine, end), None))
    figure("pod rates computed from the gaps (a month without a snapshot), s", f"{computed_s:.3f}")
    rates = snapshot or computed

    data, read_s = timed(lambda: reports.practice_quality_report(pod, code, month, rates=rates))
    figure(f"read model with those rates ({data.open_gap_count:,} open gaps, why included), s", f"{read_s:.3f}")
    printed, render_s = timed(lambda: reports.render(data))
    gap_rows = [row for group in data.open_gaps for row in gap_listing(group).rows]  # the very cells printed
    (plain, plain_pages), plain_s = timed(lambda: plain_reportlab(gap_rows, printed.pages))
    figure(f"PDF laid out ({printed.pages:,} pages, {len(printed.pdf) / 1e6:.1f} MB), s", f"{render_s:.3f}",
           f"{plain_s:.3f} s: plain reportlab, {plain_pages:,} pages")
    figure("pages per second", f"{printed.pages / render_s:,.0f}", f"{plain_pages / plain_s:,.0f}")
    whole = (snapshot_s if snapshot_s is not None else computed_s) + read_s + render_s
    figure("one practice's report as the user waits (rates + gaps + PDF), s", f"{whole:.3f}", "1.000 (target)")
    pod.close()
    if args.batch:
        batch(args.db, month)
    return 0


def batch(path: str, month: dt.date) -> None:
    """Every practice's report of the month into a temporary folder, timed whole."""
    import tempfile

    from application.pod import open_pod
    from storage.queries.reports import practices_overview

    pod = open_pod(path, "bench")
    start, end = reports._period_of(pod, month)
    practices = practices_overview(pod.engine, end)
    gaps = sum(line[4] for line in practices)
    with tempfile.TemporaryDirectory() as folder:
        result, batch_s = timed(lambda: reports.write_practice_reports(pod, [line[1] for line in practices], month,
                                                                        folder))
        pages = sum(reports._page_count(Path(p).read_bytes()) for p in result.written)
    pod.close()
    print(f"{f'batch: {len(result.written)} practices, {gaps:,} open gaps, {pages:,} pages, s':<74}{batch_s:>22.3f}  "
          f"{120 * len(practices) / 200:.1f} (2 minutes for 200 practices, pro rata)")


if __name__ == "__main__":
    sys.exit(main())
