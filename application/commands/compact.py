"""``python main.py compact --db PATH --as NAME``: give the database's free pages back to the disk.

SQLite reuses the space that deleted rows and upgrades free inside the file, but the file never
shrinks by itself. This writes the database anew, packed, in one transaction (a crash or kill
leaves it as it was). Close every Carepod window and command on the database first; it needs
free disk for twice the data in use. Recorded in the audit trail as the ``--as`` staff member.

Exit status: 0 done, 2 no ``--as`` or no such Carepod database, 3 it could not be compacted
(in use, or too little disk): nothing was changed.
"""
from __future__ import annotations

import sys


def run(args) -> int:
    from application.commands.acting import NO_ACTOR_EXIT, acting_as
    from application.compaction import CompactFailed, compact_pod
    from application.pod import NotACarepodDatabase, open_pod
    from storage.failures import EXIT_UNUSABLE

    actor = acting_as(args, "compact", "compacting the database")
    if actor is None:
        return NO_ACTOR_EXIT
    try:
        pod = open_pod(args.db, actor, create=False)
    except NotACarepodDatabase as exc:
        print(f"compact: {exc}", file=sys.stderr)
        return 2
    try:
        done = compact_pod(pod, lambda text: print(text, file=sys.stderr, flush=True))
    except CompactFailed as exc:
        print(f"compact: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        pod.close()
    print(f"Compacted in {done.seconds:.0f} s: {done.before.file_bytes / 1e6:,.0f} MB before, "
          f"{done.after.file_bytes / 1e6:,.0f} MB now.")
    return 0
