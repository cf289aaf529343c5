"""``recompute``: recompute gaps in care for the pod (or one practice / some patients).

Exit status: 0 done, 1 stopped part-way (a worker process failed or was killed: the measures
written before stay written, each whole), 2 a user error (no such database, measure or
patient), 3 the database could not be written (damaged, read-only, disk full; the measures
written before stay written)."""
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
    from storage.failures import EXIT_UNUSABLE, open_to_write, unusable_exit
    from storage.measures.parallel import RecomputeFailed

    engine, refused = open_to_write(args.db, "recompute", "recomputed", create=False)
    if engine is None:
        return refused
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
        from storage.risk import recompute_risk

        tiers = recompute_risk(engine, patient_ids=args.patient)  # the tiers follow the facts, as in the window
    except RecomputeFailed as exc:
        print(f"recompute: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE if exc.unusable else 1
    except Exception as exc:  # the disk or the database file: one sentence, not a traceback
        return unusable_exit(exc, engine, "recompute")
    finally:
        engine.dispose()
    for measure, counts in summary.items():
        print(measure, " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nobody in the measure")
    print("risk tiers", " ".join(f"{k}={tiers.tiers.get(k, 0)}" for k in ("high", "rising", "moderate", "low")),
          f"(high from score {tiers.high_cut})" if tiers.high_cut is not None else "(nobody high)")
    return 0
