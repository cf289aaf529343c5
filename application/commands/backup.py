"""``python main.py backup --db PATH --out FILE --as NAME``: a checked copy of the database.

Checks the database whole first (every page and index, the audit trail's chain), then
copies one consistent moment of it with SQLite's online backup while others keep working,
checks the copy and only then gives it its name (a ``FILE.part`` left by an interrupted
backup is not one). The copy is readable by you only. Prints the copy's size and its
audit trail's newest hash (keep it: ``audit --verify`` on the database shows whether the
trail was rewritten since). The backup is recorded in the audit trail as the ``--as`` staff
member.

Exit status: 0 done, 2 no ``--as`` (nothing is copied), no such Carepod database (or a bad
--out), 3 the database is damaged or the copy could not be written or checked (nothing was kept).
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE", help="the backup file to write")


def run(args) -> int:
    from application.backups import BackupFailed, backup_pod
    from application.commands.acting import NO_ACTOR_EXIT, acting_as
    from application.pod import NotACarepodDatabase, open_pod
    from storage.failures import EXIT_UNUSABLE

    actor = acting_as(args, "backup", "taking the backup")
    if actor is None:
        return NO_ACTOR_EXIT
    try:
        pod = open_pod(args.db, actor, create=False)
    except NotACarepodDatabase as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    try:
        for message in pod.findings:
            print(f"backup: {message}", file=sys.stderr)
        made = backup_pod(pod, args.out, lambda text: print(text, file=sys.stderr, flush=True))
    except BackupFailed as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        pod.close()
    if made.audit_problem:
        print(f"backup: {made.audit_problem} The backup keeps the trail as it is.", file=sys.stderr)
    print(f"Backup written to {made.path}: {made.size / 1e6:,.1f} MB in {made.seconds:.1f} s, checked whole. "
          f"Audit trail: {made.audit_events:,} events, newest hash {made.audit_head or '(none)'}.")
    return 0
