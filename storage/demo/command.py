"""``python main.py demo --db PATH --practices N --patients N --seed S [--replace] [--quiet]``

Creates a deterministic synthetic pod (the same arguments give the same rows).
Imports stay light: the generator loads only when the command runs.
"""
from __future__ import annotations

import argparse
import sys


def _count(text: str) -> int:
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--practices", type=_count, default=6, help="practices in the pod (default 6)")
    parser.add_argument("--patients", type=_count, default=3000, help="patients across the pod (default 3000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same pod")
    parser.add_argument("--replace", action="store_true",
                        help="replace a database that already holds a pod (the old file is kept beside it)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def run(args: argparse.Namespace) -> int:
    from storage.demo.generate import DemoError, create_demo_pod
    from storage.demo.progress import Progress

    if not args.db:
        print("carepod demo: --db PATH is required (the demo never writes into your default database).",
              file=sys.stderr)
        return 2
    if "://" in str(args.db):
        print(f"carepod demo: --db must be a SQLite file path, not a URL ({args.db}).", file=sys.stderr)
        return 2
    progress = Progress(args.patients, enabled=not args.quiet)
    try:
        result = create_demo_pod(args.db, practices=args.practices, patients=args.patients, seed=args.seed,
                                 replace=args.replace, progress=progress)
    except DemoError as exc:
        print(f"carepod demo: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("carepod demo: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # the disk or the file: one sentence, not a traceback
        from storage.failures import EXIT_UNUSABLE, explain

        unusable = explain(exc, args.db)
        if unusable is None:
            raise
        print(f"carepod demo: {unusable}", file=sys.stderr)
        return EXIT_UNUSABLE
    if not args.quiet:
        rows = result.rows
        print(f"Demo pod written to {result.path} in {result.seconds:.1f} s: "
              f"{result.practices:,} practices, {rows.get('clinician', 0):,} clinicians, {result.staff:,} staff, "
              f"{result.patients:,} patients, {rows.get('clinical_fact', 0):,} clinical facts "
              f"({rows.get('clinical_fact', 0) / max(1, result.patients):.1f} per patient), "
              f"{rows.get('referral', 0):,} referrals, {rows.get('after_hours_call', 0):,} after-hours calls, "
              f"{rows.get('medication_review', 0):,} medication reviews.")
        if result.kept_previous:
            print(f"The previous database was kept as {result.kept_previous}.")
    return 0
