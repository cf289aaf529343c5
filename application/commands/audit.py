"""``python main.py audit --verify [--db PATH]``: check the audit trail's chain of events.

Walks every event from the first, recomputing each link of the hash chain
(:mod:`storage.audit_chain`), and says the trail is whole (with its number of events and
newest hash, to compare with an earlier check or a backup) or names the first broken event.
Only reads: opens the database read-only and never creates one.

Exit status: 0 the trail is whole, 1 it is broken, 2 no such Carepod database.
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("--verify", action="store_true", required=True,
                        help="walk the whole chain and name the first broken event")


def run(args) -> int:
    from application.integrity import NotChained, verify_audit_trail
    from application.commands import open_to_read

    pod = open_to_read(args, "audit")
    if pod is None:
        return 2
    try:
        verdict = verify_audit_trail(pod)
    except NotChained as exc:
        print(f"audit: {exc}", file=sys.stderr)
        return 2
    finally:
        pod.close()
    if not verdict.ok:
        print(verdict.problem)
        return 1
    print(f"The audit trail of {pod.label} is whole: {verdict.events:,} events, each chained to the one "
          f"before it. Newest hash: {verdict.last_hash or '(no events yet)'}")
    return 0
