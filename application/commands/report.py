"""``report``: write one practice's quality report of a month as PDF.

    python main.py report --db PATH --practice CODE --period YYYY-MM --out DIR --as NAME

writes ``DIR/<CODE>-<YYYY-MM>.pdf`` (the measurement year containing the month, the rates of
that month's snapshot when one was kept) and prints its path; the export is audited as the
``--as`` staff member. Exit 2, with a sentence on standard error: no ``--as``, an unknown
practice code, a period that is not YYYY-MM, a month of no computed period, an unknown staff
member (main.py), a folder that cannot be written.
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


def _fail(message: str) -> int:
    print(f"report: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from application import reports
    from application.commands.acting import NO_ACTOR_EXIT, acting_as
    from application.pod import NotACarepodDatabase, open_pod
    from domain.errors import DomainError

    actor = acting_as(args, "report", "printing the report")
    if actor is None:
        return NO_ACTOR_EXIT
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
        pod = open_pod(args.db, actor, create=False)
    except NotACarepodDatabase as exc:
        return _fail(str(exc))
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
