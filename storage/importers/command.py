"""``python main.py import --db PATH --as NAME [--practice CODE] [--source NAME] [--dry-run] FILE_OR_DIR...``

Prints counts per resource type (created / updated / unchanged / rejected / skipped) and
every rejection. Exit status: 0 nothing rejected, 1 something rejected, 2 nothing could be read
(or the file given as the database is not a Carepod database), 3 the database could not be
used: another import of it was running (with ``--no-wait``), it was found damaged, it is
read-only, or the disk is full; one sentence on stderr says which, and nothing was changed.

One import of a database runs at a time: a second one waits for it (saying so on stderr),
or with ``--no-wait`` is refused; both are in the import log.

The import log: ``import --history [--limit N]`` lists the latest imports (newest first);
``import --show-run N`` prints one of them with every problem it logged. These only read:
they never create a database nor change one.
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="FILE_OR_DIR",
                        help="FHIR Bundle .json, bulk-data .ndjson, panel .csv files, or folders of them")
    log = parser.add_mutually_exclusive_group()
    log.add_argument("--history", action="store_true", help="list the latest imports instead of importing")
    log.add_argument("--show-run", type=int, metavar="N", help="print import N of --history and its problems")
    parser.add_argument("--limit", type=int, default=20, help="how many imports --history lists (default 20)")
    parser.add_argument("--practice", help="code of an existing practice that new patients join")
    parser.add_argument("--source", help="name of the sending system (default: from each file; see docs)")
    parser.add_argument("--dry-run", action="store_true", help="check and count, then save nothing")
    parser.add_argument("--warnings", action="store_true", help="also list warnings (nothing refused)")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="if another import of the database is running, refuse instead of waiting")


def run(args) -> int:
    from storage.acting import NO_ACTOR_EXIT, acting_as
    from storage.failures import open_to_write, unusable_exit
    from storage.importers.run import import_paths

    if args.history or args.show_run is not None:
        if args.paths:
            print("carepod import: give files to import, or --history/--show-run, not both", file=sys.stderr)
            return 2
        return show_log(args)
    if not args.paths:
        print("carepod import: name at least one file or folder to import (or --history)", file=sys.stderr)
        return 2
    if acting_as(args, "carepod import", "importing") is None:  # main.py has checked a given name
        return NO_ACTOR_EXIT
    engine, refused = open_to_write(args.db, "carepod import", "imported", create=False)
    if engine is None:
        return refused
    try:
        said = set()

        def waiting(progress) -> None:
            if progress.waiting and progress.waiting not in said:
                said.add(progress.waiting)
                print(f"carepod import: {progress.waiting}", file=sys.stderr, flush=True)

        report = import_paths(engine, args.paths, practice_code=args.practice, source=args.source,
                              dry_run=args.dry_run, actor=args.as_name, progress=waiting, wait=args.wait)
        where = "" if report.dry_run else format_landing(engine, report.patient_ids)
    except Exception as exc:  # the disk or the database file: one sentence, not a traceback
        return unusable_exit(exc, engine, "carepod import")
    finally:
        engine.dispose()
    print(format_report(report, warnings=args.warnings))
    if where:
        print(where)
    return report.exit_status


def format_landing(engine, patient_ids) -> str:
    """What the window's import results say, for the terminal: which practice the import's
    patients are in, how many wait in the holding place (and where they are assigned), how
    many may be duplicates, and that gaps in care follow only after a recompute."""
    from storage.queries import holding

    if not patient_ids:
        return ""
    places = holding.landing(engine, patient_ids)
    lines = [""]
    found = [f"{place.patients:,} in {place.name} ({place.code})" for place in places if not place.holding]
    if found:
        lines.append(f"Patients of this import: {'; '.join(found)}.")
    waiting = sum(place.patients for place in places if place.holding)
    if waiting:
        name = next(place.name for place in places if place.holding)
        lines.append(f"{waiting:,} patient{'s' if waiting != 1 else ''} wait{'' if waiting != 1 else 's'} for a "
                     f"practice in the holding place \"{name}\": the data did not tell which practice they belong "
                     "to, so they are in no practice's rates or lists until assigned one (in the window: the "
                     "import results, or each chart's \"Assign to a practice…\").")
    duplicates = holding.candidate_duplicates_among(engine, patient_ids)
    if duplicates:
        lines.append(f"{duplicates:,} may be the same person as a patient of another practice: review them in "
                     "the window (Data ▸ Possible duplicates).")
    lines.append("Gaps in care are not computed by an import: run `python main.py recompute --db ...` for each "
                 "measurement year you follow (the window's import does it for every computed year).")
    return "\n".join(lines)


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


def show_log(args) -> int:
    from storage.importers.history import logged_run, recent_runs, run_problems
    from storage.queries.database import NotACarepodDatabase, open_carepod_database

    try:  # only reads: never creates a database, never changes one
        engine = open_carepod_database(args.db, create=False, read_only=True)
    except NotACarepodDatabase as exc:
        print(f"carepod import: {exc}", file=sys.stderr)
        return 2
    try:
        if args.show_run is None:
            print(format_runs(recent_runs(engine, max(1, args.limit))))
            return 0
        run = logged_run(engine, args.show_run)
        if run is None:
            print(f"carepod import: there is no import {args.show_run} in the log (see --history)", file=sys.stderr)
            return 2
        print(format_run(run, run_problems(engine, run.id)))
        return 0
    finally:
        engine.dispose()


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def format_runs(runs) -> str:
    """The --history table: one line per import, newest first (times in UTC)."""
    if not runs:
        return "No imports yet."
    header = (f"{'run':>5}  {'started (UTC)':<16}  {'by':<14}  {'practice':<8}  {'dry':<3}  "
              f"{'created':>8} {'updated':>8} {'unchanged':>9} {'rejected':>8}  {'problems':>8}  {'status':<13}  files")
    lines = [header]
    for r in runs:
        lines.append(f"{r.id:>5}  {_when(r.started_at):<16}  {r.actor[:14]:<14}  {r.practice_code[:8] or '-':<8}  "
                     f"{'yes' if r.dry_run else '':<3}  {r.total('created'):>8} {r.total('updated'):>8} "
                     f"{r.total('unchanged'):>9} {r.total('rejected'):>8}  {r.errors:>8}  {r.status:<13}  "
                     f"{r.files_text}")
    return "\n".join(lines)


def format_run(run, problems) -> str:
    """--show-run: what one import read, did and refused."""
    from storage.importers.report import OUTCOMES

    lines = [f"Import {run.id}{' (dry run: nothing saved)' if run.dry_run else ''}: {run.status}",
             f"started {_when(run.started_at)} UTC, finished {_when(run.finished_at) or '-'}, by {run.actor}",
             f"practice: {run.practice_code or 'from the data'}", f"{len(run.files)} file(s):"]
    lines += [f"  {name}" for name in run.files]
    if run.counts:
        width = max([len(k) for k in run.counts] + [13])
        lines.append(f"{'resource type':<{width}}  " + "  ".join(f"{o:>9}" for o in OUTCOMES))
        for rtype, counts in sorted(run.counts.items()):
            lines.append(f"{rtype:<{width}}  " + "  ".join(f"{int(counts.get(o, 0)):>9}" for o in OUTCOMES))
    lines.append(f"{run.errors} rejection(s), {run.warnings} warning(s)" + (":" if problems else "."))
    lines += [p.as_text() for p in problems]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through main.py: python main.py import ...")
