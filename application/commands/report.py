"""``report``: write one practice's quality report of a month as PDF.

    python main.py report --db PATH --practice CODE --period YYYY-MM --out DIR [--as NAME]

writes ``DIR/<CODE>-<YYYY-MM>.pdf`` (the measurement year containing the month, the rates of
that month's snapshot when one was kept) and prints its path. Exit 2, with a sentence on
standard error: an unknown practice code, a period that is not YYYY-MM, a month of no computed
period, an unknown staff member, a folder that cannot be written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--practice", required=True, metavar="CODE", help="the practice's code, e.g. RFP")
    parser.add_argument("--period", required=True, metavar="YYYY-MM",
                        help="the report's month; its measurement year is reported")
    parser.add_argument("--out", required=True, metavar="DIR", help="the folder to write <CODE>-<YYYY-MM>.pdf into")
    parser.add_argument("--as", dest="actor", metavar="NAME",
                        help="the staff member printing it (recorded in the audit trail; default: the "
                             "computer's user name)")


def _fail(message: str) -> int:
    print(f"report: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    import getpass

    from application import reports
    from application.pod import NotACarepodDatabase, open_pod
    from application.staff import active_staff_names
    from domain.errors import DomainError

    try:
        month = reports.parse_month(args.period)
    except DomainError as exc:
        return _fail(str(exc))
    out = Path(args.out).expanduser()
    if not out.is_dir():
        return _fail(f"{out} is not a folder (create it first).")
    if args.db is None:
        from storage.db import default_db_path

        if not default_db_path().exists():
            return _fail(f"there is no database yet at {default_db_path()} (give --db PATH).")
    try:
        pod = open_pod(args.db)
    except NotACarepodDatabase as exc:
        return _fail(str(exc))
    try:
        if args.actor is not None:
            names = active_staff_names(pod)
            if args.actor not in names:
                return _fail(f"{args.actor!r} is not an active staff member of the pod"
                             + (f" (they are: {', '.join(names)})." if names else "."))
            actor = args.actor
        else:
            actor = f"{getpass.getuser()} (command line)"
        pod = pod.with_actor(actor)
        try:
            printed = reports.render(reports.practice_quality_report(pod, args.practice, month))
            saved = reports.save_report(pod, printed, out / printed.file_name)
        except DomainError as exc:
            return _fail(str(exc))
        except reports.ReportWriteFailed as exc:
            return _fail(str(exc))
    finally:
        pod.close()
    print(saved.path)
    return 0
