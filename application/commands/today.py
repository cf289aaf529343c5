"""``python main.py today --db PATH --staff NAME [--date YYYY-MM-DD]``: a staff member's Today
list, one row a line (priority, practice, patient, MRN, reason, since), tab-separated, in the
order the Today screen shows them. An unknown staff name is an error naming it (exit 2)."""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from domain.errors import DomainError, NotFound

COLUMNS = ("priority", "practice", "patient", "mrn", "reason", "since")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--staff", required=True, help="the staff member's name, as the pod's staff list has it")
    parser.add_argument("--date", help="the day (YYYY-MM-DD; default today)")
    parser.add_argument("--limit", type=int, default=None,
                        help="rows of each kind (default: as many as the Today screen shows)")
    parser.add_argument("--header", action="store_true", help="print the column names first")
    parser.add_argument("--pdf", help="also write the day sheet to this PDF file")


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"--date {text!r} is not a date written YYYY-MM-DD.") from None


def run(args: argparse.Namespace) -> int:
    from application import today
    from application.pod import NotACarepodDatabase, open_pod

    try:
        on = _day(args.date)
        if args.limit is not None and args.limit < 1:
            raise DomainError("--limit must be at least 1.")
        pod = open_pod(args.db, actor=args.staff)
    except (DomainError, NotACarepodDatabase) as exc:
        print(f"carepod today: {exc}", file=sys.stderr)
        return 2
    try:
        kwargs = {} if args.limit is None else {"limit": args.limit}
        listing = today.today_list(pod, args.staff, on, **kwargs)
    except NotFound as exc:
        print(f"carepod today: {exc}", file=sys.stderr)
        return 2
    finally:
        pod.close()
    if not listing.staff.practices:
        print(f"carepod today: {listing.staff.name} covers no practices; only tasks assigned to them are listed.",
              file=sys.stderr)
    out = sys.stdout
    if args.header:
        out.write("\t".join(COLUMNS) + "\n")
    for row in listing.rows:
        cells = (str(row.priority), row.practice_code, row.patient_name, row.mrn, row.reason, row.since.isoformat())
        out.write("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in cells) + "\n")
    left_out = listing.total - len(listing.rows)
    if left_out:
        print(f"carepod today: {listing.total:,} items on the list; {left_out:,} beyond the first of each kind "
              "are not printed (--limit)", file=sys.stderr)
    if args.pdf:
        pod = open_pod(args.db, actor=args.staff)
        try:
            today.print_day_sheet(pod, listing, args.pdf)
        finally:
            pod.close()
    return 0
