"""``python main.py restore --db PATH --from FILE --as NAME [--yes]``: put a backup in place.

Checks the backup whole (a damaged file, or one that is not a Carepod backup, is refused and
nothing changes), asks for confirmation (``--yes`` answers it), makes sure no other Carepod
window or command has the database open, keeps the current database beside it as
``PATH.before-restore-<date-time>`` and puts the backup in its place. The restore is recorded
in the restored database's audit trail as the ``--as`` staff member, who must be one of the
backup's active staff (main.py checks the name there: the database being replaced may be
damaged or gone).

Exit status: 0 restored, 1 not confirmed (nothing changed), 2 no ``--as``, no such backup or
not a Carepod one, 3 the backup is damaged or the database could not be replaced (nothing
changed).
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("--from", dest="backup", required=True, metavar="FILE", help="the backup file")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(args) -> int:
    from pathlib import Path

    from application.backups import BackupFailed, check_backup, restore_pod
    from application.commands.acting import NO_ACTOR_EXIT, acting_as, resolve_acting
    from domain.errors import DomainError
    from storage.db import default_db_path
    from storage.failures import EXIT_UNUSABLE

    actor = acting_as(args, "restore", "restoring the backup")
    if actor is None:
        return NO_ACTOR_EXIT
    if args.db and "://" in str(args.db):
        print("restore: --db must be a database file, not a server URL.", file=sys.stderr)
        return 2
    database = Path(args.db).expanduser() if args.db else default_db_path()
    backup = Path(args.backup).expanduser()
    try:
        check_backup(backup)
    except BackupFailed as exc:
        print(f"restore: {exc} Nothing was changed.", file=sys.stderr)
        return 2 if not backup.is_file() or "not a Carepod" in str(exc) or "not an SQLite" in str(exc) \
            else EXIT_UNUSABLE
    try:  # one of the backup's active staff: its audit trail records the restore (read only: not changed)
        actor = resolve_acting(backup, actor, read_only=True)
    except DomainError as exc:
        print(f"restore: in the backup {backup.name}, {exc} Nothing was changed.", file=sys.stderr)
        return 2
    if not args.yes:
        kept = " (it is kept beside it)" if database.exists() else ""
        print(f"Replace {database}{kept} with the backup {backup}? Type yes to restore: ", end="",
              file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("yes", "y"):
            print("restore: not confirmed; nothing was changed.", file=sys.stderr)
            return 1
    try:
        restored, _changes = restore_pod(database, backup, actor)
    except BackupFailed as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    kept = f" The database before the restore is kept as {restored.kept_as}." if restored.kept_as else ""
    print(f"Restored {database} from {backup} (its audit trail whole: {restored.audit_events:,} "
          f"event{'s' if restored.audit_events != 1 else ''}).{kept}")
    return 0
