"""``python main.py import --db PATH [--practice CODE] [--source NAME] [--dry-run] FILE_OR_DIR...``

Prints counts per resource type (created / updated / unchanged / rejected / skipped) and
every rejection. Exit status: 0 nothing rejected, 1 something rejected, 2 nothing could be read.
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR",
                        help="FHIR Bundle .json, bulk-data .ndjson, panel .csv files, or folders of them")
    parser.add_argument("--practice", help="code of an existing practice that new patients join")
    parser.add_argument("--source", help="name of the sending system (default: from each file; see docs)")
    parser.add_argument("--dry-run", action="store_true", help="check and count, then save nothing")
    parser.add_argument("--actor", default="import", help="who is importing (kept in the import log)")
    parser.add_argument("--warnings", action="store_true", help="also list warnings (nothing refused)")


def run(args) -> int:
    from storage.db import open_database
    from storage.importers.run import import_paths

    engine = open_database(args.db)
    try:
        report = import_paths(engine, args.paths, practice_code=args.practice, source=args.source,
                              dry_run=args.dry_run, actor=args.actor)
    finally:
        engine.dispose()
    print(format_report(report, warnings=args.warnings))
    return report.exit_status


def format_report(report, *, warnings: bool = False) -> str:
    from storage.importers.report import OUTCOMES

    lines = [f"{'DRY RUN — nothing saved. ' if report.dry_run else ''}"
             f"{len(report.files)} file(s): {report.files_imported} imported, {report.files_rejected} rejected, "
             f"{report.files_unreadable} unreadable{' (cancelled)' if report.cancelled else ''}"]
    width = max([len(r) for r, _c in report.counts_table()] + [13])
    lines.append(f"{'resource type':<{width}}  " + "  ".join(f"{o:>9}" for o in OUTCOMES))
    for rtype, counts in report.counts_table():
        lines.append(f"{rtype:<{width}}  " + "  ".join(f"{counts[o]:>9}" for o in OUTCOMES))
    shown = report.problems if warnings else report.errors
    if shown:
        lines.append("")
        lines.extend(p.as_text() for p in shown)
    hidden = len(report.warnings) if not warnings else 0
    if hidden:
        lines.append(f"({hidden} warning(s) not shown; --warnings lists them)")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through main.py: python main.py import ...")
