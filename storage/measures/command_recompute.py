"""``recompute``: recompute gaps in care for the pod (or one practice / some patients)."""
from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--measure", action="append", help="CMS id (repeatable; default: every active measure)")
    parser.add_argument("--period-start", help="YYYY-MM-DD (default: 1 January of this year, or a year "
                                               "before --period-end)")
    parser.add_argument("--period-end", help="YYYY-MM-DD (default: 31 December of this year, or a year "
                                             "after --period-start)")
    parser.add_argument("--patient", type=int, action="append", help="Carepod patient id (repeatable)")


def run(args) -> int:
    import datetime as dt

    from domain.errors import DomainError
    from domain.measures import definition
    from domain.measures.period import MeasurementPeriod
    from domain.measures.catalogue import catalogue
    from storage.measures.recompute import recompute

    try:
        period = MeasurementPeriod.from_bounds(args.period_start, args.period_end, dt.date.today())
        measures = [definition.canonical_id(m) for m in args.measure] if args.measure else list(catalogue().active_ids)
        for m in measures:
            definition.load(m)
    except DomainError as exc:
        print(f"recompute: {exc}", file=sys.stderr)
        return 2
    from storage.db import default_db_path
    from storage.queries.database import NotACarepodDatabase, open_carepod_database

    if args.db is None and not default_db_path().exists():
        print(f"recompute: there is no database yet at {default_db_path()} (give --db PATH)", file=sys.stderr)
        return 2
    try:
        engine = open_carepod_database(args.db)
    except NotACarepodDatabase as exc:
        print(f"recompute: {exc}", file=sys.stderr)
        return 2
    try:
        if args.patient:
            from storage.queries.patients import patients_by_ids

            unknown = sorted(set(args.patient) - {row.id for row in patients_by_ids(engine, args.patient)})
            if unknown:
                where = args.db or default_db_path()
                print(f"recompute: no patient with id {', '.join(map(str, unknown))} in {where}"
                      " (or it was entered in error)", file=sys.stderr)
                return 2
        summary = recompute(engine, period, measures, patient_ids=args.patient)
    finally:
        engine.dispose()
    for measure, counts in summary.items():
        print(measure, " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nobody in the measure")
    return 0
