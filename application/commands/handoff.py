"""``handoff``: write a practice's morning hand-off sheet of after-hours calls as PDF.

    python main.py handoff --db PATH --practice CODE --date YYYY-MM-DD --out FILE.pdf --as NAME

The sheet covers the night that ends on that morning: from the practice's closing before its
first opening on or after that date, to that opening (a Monday's covers the weekend), in the
practice's own time zone. The print is audited as the ``--as`` staff member. No ``--as``, an
unknown practice or a bad date is an error naming it (exit 2).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys

from domain.text import counted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--practice", required=True, help="the practice's code (e.g. OAK)")
    parser.add_argument("--date", required=True, help="the morning of the hand-off, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="the PDF file to write")


def run(args) -> int:
    from application.call_printouts import print_handoff
    from application.commands.acting import NO_ACTOR_EXIT, acting_as
    from application.pod import NotACarepodDatabase, open_pod
    from domain.errors import DomainError, NotFound
    from storage.db import default_db_path

    actor = acting_as(args, "handoff", "printing the hand-off sheet")
    if actor is None:
        return NO_ACTOR_EXIT
    try:
        morning = dt.date.fromisoformat(args.date)
    except ValueError:
        print(f"handoff: --date {args.date!r} is not a date like 2026-11-02", file=sys.stderr)
        return 2
    if args.db is None and not default_db_path().exists():
        print(f"handoff: there is no database yet at {default_db_path()} (give --db PATH)", file=sys.stderr)
        return 2
    try:
        pod = open_pod(args.db, actor, create=False)
    except NotACarepodDatabase as exc:
        print(f"handoff: {exc}", file=sys.stderr)
        return 2
    try:
        printed = print_handoff(pod, args.practice, morning, args.out)
    except NotFound as exc:
        print(f"handoff: {exc}", file=sys.stderr)
        return 2
    except DomainError as exc:
        print(f"handoff: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"handoff: {args.out} could not be written: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        pod.close()
    calls = counted(printed.calls, "call")
    print(f"Hand-off sheet of {args.practice.upper()} for the morning of {morning.isoformat()}: {calls}, "
          f"written to {printed.path}")
    return 0
