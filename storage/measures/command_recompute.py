"""``recompute``: recompute gaps in care for the pod (or one practice / some patients)."""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--measure", action="append", help="CMS id (repeatable; default: all eight)")
    parser.add_argument("--period-start", default="2025-01-01", help="YYYY-MM-DD")
    parser.add_argument("--period-end", default="2025-12-31", help="YYYY-MM-DD")
    parser.add_argument("--patient", type=int, action="append", help="Carepod patient id (repeatable)")


def run(args) -> int:
    from pathlib import Path

    from domain.errors import DomainError
    from domain.measures import definition
    from domain.measures.period import MeasurementPeriod

    try:
        period = MeasurementPeriod.parse(args.period_start, args.period_end)
        measures = [definition.canonical_id(m) for m in args.measure] if args.measure else \
            ["CMS125", "CMS130", "CMS124", "CMS122", "CMS165", "CMS138", "CMS2", "CMS117"]
        for m in measures:
            definition.load(m)
    except DomainError as exc:
        print(f"recompute: {exc}", file=sys.stderr)
        return 2
    if not args.db or not Path(args.db).exists():
        print(f"recompute: no such database {args.db!r}", file=sys.stderr)
        return 2
    from storage.db import open_database
    from storage.measures.recompute import recompute

    engine = open_database(Path(args.db))
    try:
        if args.patient:
            from storage.queries.patients import patients_by_ids

            unknown = sorted(set(args.patient) - {row.id for row in patients_by_ids(engine, args.patient)})
            if unknown:
                print(f"recompute: no patient with id {', '.join(map(str, unknown))} in {args.db}"
                      " (or it was entered in error)", file=sys.stderr)
                return 2
        summary = recompute(engine, period, measures, patient_ids=args.patient)
    finally:
        engine.dispose()
    for measure, counts in summary.items():
        print(measure, " ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 0
