"""``python main.py check [--db PATH]``: check the whole database for damage.

SQLite's ``integrity_check`` (every page and index), its ``foreign_key_check`` and the
audit trail's chain. A large pod takes a while (about a minute per few gigabytes); opening
a pod only runs the quick check when it takes under a second. Only reads: opens the
database read-only and never creates one. A damaged database is named with what SQLite
found; Carepod does not write to it (restore a backup: ``python main.py restore``).

Exit status: 0 whole, 1 damage or a broken audit trail found, 2 no such Carepod database.
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("--quiet", action="store_true", help="print only what is wrong")


def run(args) -> int:
    from application.integrity import check_database
    from application.commands import open_to_read

    pod = open_to_read(args, "check")
    if pod is None:
        return 2
    say = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    try:
        result = check_database(pod, say)
    finally:
        pod.close()
    if result.integrity:
        print(f"{result.database} is damaged. SQLite's check found:")
        print("\n".join(f"  {problem}" for problem in result.integrity))
        print("Carepod will not write to it. Restore the latest backup (python main.py restore) or "
              "copy out what you need first.")
        return 1
    problems = []
    if result.foreign_keys:
        problems.append(f"{result.foreign_keys:,} row(s) name a record that is not there (foreign_key_check).")
    if result.audit is not None and not result.audit.ok:
        problems.append(result.audit.problem)
    if problems:
        print("\n".join(problems))
        return 1
    if not args.quiet:
        print(f"{result.database} is whole: every page, index and foreign key checked, and the audit trail's "
              f"{result.audit.events:,} events chained ({result.seconds:.1f} s).")
    return 0
