"""``med-list``: write a patient's Personal Medication List as PDF (the print is audited).

    python main.py med-list --db PATH --patient ID --out FILE.pdf --as "Sam Ortiz"

The list is the one reconciled at the patient's latest finished medication review (with any
medication recorded since), or the active medications on record when there was no review. The
print is audited as the ``--as`` staff member; without ``--as`` nothing is written (exit 2).
"""
from __future__ import annotations

import argparse
import sys

from domain.text import counted

NAME = "med-list"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", type=int, required=True, help="Carepod patient id")
    parser.add_argument("--out", required=True, help="the PDF file to write")


def _fail(text: str) -> int:
    print(f"{NAME}: {text}", file=sys.stderr)
    return 2


def run(args) -> int:
    from application.commands.acting import NO_ACTOR_EXIT, acting_as
    from application.pod import NotACarepodDatabase, open_pod
    from application.reviews import print_medication_list
    from domain.errors import DomainError, NotFound
    from storage.db import default_db_path

    actor = acting_as(args, NAME, "printing the medication list")
    if actor is None:
        return NO_ACTOR_EXIT
    if args.db is None and not default_db_path().exists():
        return _fail(f"there is no database yet at {default_db_path()} (give --db PATH)")
    try:
        pod = open_pod(args.db, actor, create=False)
    except NotACarepodDatabase as exc:
        return _fail(str(exc))
    try:
        printed = print_medication_list(pod, args.patient, args.out)
    except NotFound:
        return _fail(f"there is no patient with id {args.patient} in {pod.label}")
    except DomainError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    finally:
        pod.close()
    print(f"Personal medication list of patient {args.patient} written to {printed.path} "
          f"({counted(printed.pages, 'page')}).")
    return 0
