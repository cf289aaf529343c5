"""``evaluate-measure``: evaluate one eCQM and print FHIR MeasureReport JSON.

Over a pod (``--db``) the output is audited as an export by the ``--as`` staff member (without
``--as`` nothing is evaluated, exit 2); over ``--additional-data`` (patient Bundles evaluated in
a temporary database) there is no pod, no staff and nothing to record."""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--measure", required=True, help="CMS id, e.g. CMS125 (or a variant's id)")
    parser.add_argument("--period-start", required=True, help="YYYY-MM-DD")
    parser.add_argument("--period-end", required=True, help="YYYY-MM-DD")
    parser.add_argument("--report-type", choices=("individual", "summary"), default="individual")
    parser.add_argument("--subject", help="Patient/ID: only this patient (id as in the source)")
    parser.add_argument("--additional-data", nargs="+", metavar="FILE_OR_DIR",
                        help="patient Bundles, each evaluated in isolation in a temporary database")


def run(args) -> int:
    import json
    from domain.errors import DomainError
    from domain.measures import definition
    from domain.measures.period import MeasurementPeriod

    try:
        period = MeasurementPeriod.parse(args.period_start, args.period_end)
        args.measure = definition.canonical_id(args.measure)
        definition.load(args.measure)
    except DomainError as exc:
        print(f"evaluate-measure: {exc}", file=sys.stderr)
        return 2
    if not args.additional_data and not args.db:
        print("evaluate-measure: give --db PATH or --additional-data FILE_OR_DIR", file=sys.stderr)
        return 2
    actor = None
    if not args.additional_data:  # over a pod: its output is audited as someone on its staff list
        from storage.acting import NO_ACTOR_EXIT, acting_as

        actor = acting_as(args, "evaluate-measure", "exporting the measure report")
        if actor is None:
            return NO_ACTOR_EXIT
    from storage.health import DamagedDatabase
    from storage.measures.evaluate_service import EvaluationError, evaluate_report
    try:
        report = evaluate_report(args.measure, period, report_type=args.report_type, subject=args.subject,
                                 db=args.db, additional_data=args.additional_data,
                                 actor=actor)
    except EvaluationError as exc:
        print(f"evaluate-measure: {exc}", file=sys.stderr)
        return 2
    except DamagedDatabase as exc:
        print(f"evaluate-measure: {exc} Patient-level output is audited, so nothing was printed.", file=sys.stderr)
        return 3
    except Exception as exc:  # the disk or the database file: one sentence, not a traceback
        from storage.failures import EXIT_UNUSABLE, explain

        unusable = explain(exc, args.db)
        if unusable is None:
            raise
        print(f"evaluate-measure: {unusable}", file=sys.stderr)
        return EXIT_UNUSABLE
    json.dump(report, sys.stdout, indent=1)  # audited first (evaluate_report)
    sys.stdout.write("\n")
    return 0
