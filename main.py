"""Carepod: the one place that wires database, services and windows together.

    python main.py [--db PATH_OR_URL] [--as NAME]     open the app (the default)
    python main.py demo --db PATH --practices N --patients N --seed S
    python main.py import --db PATH [--practice CODE] [--dry-run] FILE_OR_DIR...
    python main.py evaluate-measure --measure CMS125 --period-start ... --period-end ...
    python main.py recompute --db PATH [--measure CMS125] [--period-start ... --period-end ...]

Each subcommand lives in its own module (``COMMANDS``) with ``add_arguments(parser)``
and ``run(args) -> int``; they are imported only when used so the app starts fast.

``--as NAME`` (before or after the command) names the staff member doing the work: it must be
one of the pod's active staff (an unknown name is an error naming it, exit 2) and reaches the
command as ``args.as_name``, spelt as the pod spells it, so the window and the command line
record the same person the same way. The commands in ``ACTING`` view, change, print or export
what a pod holds: they do nothing without it (exit 2, one sentence, nothing written).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = {
    "gui": ("ui.app", "Open the Carepod window (the default)."),
    "demo": ("storage.demo.command", "Create a deterministic synthetic demo pod."),
    "import": ("storage.importers.command", "Import FHIR bundles, NDJSON files or CSV panels."),
    "evaluate-measure": ("storage.measures.command_evaluate",
                         "Evaluate an eCQM and print FHIR MeasureReport JSON."),
    "recompute": ("storage.measures.command_recompute", "Recompute gaps in care for the pod."),
    "report": ("application.commands.report", "Write a practice's quality report as PDF."),
    "today": ("application.commands.today", "Print a staff member's Today list."),
    "handoff": ("application.commands.handoff", "Write a practice's morning hand-off sheet of after-hours calls."),
    "med-list": ("application.commands.med_list", "Write a patient's personal medication list as PDF."),
    "backup": ("application.commands.backup", "Copy the database safely while it is in use, and check the copy."),
    "restore": ("application.commands.restore", "Replace the database with a checked backup."),
    "compact": ("application.commands.compact", "Give the database's free pages back to the disk (VACUUM)."),
    "check": ("application.commands.check", "Check the whole database for damage."),
    "audit": ("application.commands.audit", "Check the audit trail's chain of events."),
    "staff": ("application.commands.staff", "List the pod's staff, or add a staff member."),
}
# commands that never act as a staff member: --as is not checked for them
WITHOUT_ACTOR = {"gui", "demo"}
# commands that act as a staff member on a pod (a view, change, print or export of what it holds):
# without --as they do nothing (application.commands.acting.acting_as says so, exit 2), so the
# audit trail always names someone on the staff list. import --history / --show-run and
# evaluate-measure --additional-data (no pod) read no pod's patients and need no --as.
ACTING = {"import", "report", "med-list", "handoff", "backup", "restore", "compact", "evaluate-measure"}
# commands that check --as themselves: restore against the staff of the backup (the database it
# puts in place, whose audit trail records the restore), once it has checked the backup; the
# database it replaces may be damaged or gone
CHECK_THEIR_OWN_ACTOR = {"restore"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carepod", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="database file or SQLAlchemy URL (default: the user data directory)")
    parser.add_argument("--as", dest="as_name", metavar="NAME",
                        help="the staff member doing the work (one of the pod's active staff)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        command_parser.add_argument("--db", dest="sub_db", help=argparse.SUPPRESS if name == "gui" else
                                    "database file or SQLAlchemy URL")
        command_parser.set_defaults(module_name=module_name)
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a command whose module is not installed
            command_parser.set_defaults(missing=str(exc))
            module = None
        if module is not None and hasattr(module, "add_arguments"):
            module.add_arguments(command_parser)
        command_parser.add_argument(
            "--as", dest="sub_as", metavar="NAME", help=argparse.SUPPRESS if name in WITHOUT_ACTOR else
            "the staff member doing the work (one of the pod's active staff; recorded in the audit trail"
            + ("; required)" if name in ACTING else ")"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "sub_db", None):
        args.db = args.sub_db
    if getattr(args, "sub_as", None):
        args.as_name = args.sub_as
    if args.command is None:
        args.command, args.module_name = "gui", COMMANDS["gui"][0]
    if getattr(args, "missing", None):
        parser.error(f"{args.command} is not available: {args.missing}")
    if args.as_name is not None and args.command not in WITHOUT_ACTOR | CHECK_THEIR_OWN_ACTOR:
        from application.commands.acting import resolve_acting
        from domain.errors import DomainError
        from storage.failures import EXIT_UNUSABLE, DatabaseUnusable
        from storage.queries.database import NotACarepodDatabase

        try:
            args.as_name = resolve_acting(args.db, args.as_name)
        except (DomainError, NotACarepodDatabase) as exc:
            print(f"carepod {args.command}: {exc}", file=sys.stderr)
            return 2
        except DatabaseUnusable as exc:  # there, but read-only or on a full disk
            print(f"carepod {args.command}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
    module = importlib.import_module(args.module_name)
    return int(module.run(args) or 0)


def run_from_shell() -> int:
    """:func:`main`, for a shell: output piped to a reader that stops early (``| head``) ends
    the command quietly instead of with a traceback. Every file this process makes (database,
    exports, backups, reports) is readable by the user only."""
    os.umask(0o077)
    from storage.log_file import send_logs_to_file

    log = send_logs_to_file()  # details of a failure go there; the user is told in one sentence
    try:
        return main()
    except BrokenPipeError:
        # Python flushes stdout again on the way out, which would raise once more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("carepod: interrupted; what was being written is rolled back.", file=sys.stderr)
        return 130
    except Exception as exc:  # never a traceback on the user's screen
        return _failed(exc, log)


def _failed(exc: Exception, log) -> int:
    """A failure no command turned into a sentence: the disk or the database file (exit 3), or a
    bug (exit 70), told in one sentence; the traceback goes to the log file."""
    import logging

    from storage.failures import EXIT_UNUSABLE, DatabaseUnusable, explain

    logging.getLogger("carepod").error("command failed: %s", " ".join(sys.argv[1:2]), exc_info=exc)
    unusable = exc if isinstance(exc, DatabaseUnusable) else explain(exc, None)
    if unusable is not None:
        print(f"carepod: {unusable}", file=sys.stderr)
        return EXIT_UNUSABLE
    where = f" Details are in {log}." if log else ""
    first_line = (str(exc).splitlines() or [""])[0][:200]
    print(f"carepod: the command stopped on an unexpected error ({type(exc).__name__}: {first_line}).{where}",
          file=sys.stderr)
    return 70


if __name__ == "__main__":
    sys.exit(run_from_shell())
