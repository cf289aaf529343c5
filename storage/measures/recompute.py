"""Recompute gaps in care — the entry points: evaluate measures (set-based), then write gap
rows, their evidence and, when a state changes, gap history — each measure in one transaction
of its own. Incremental when given patient ids (only those are touched), complete otherwise; a
complete run is shared out between worker processes.

The engine's modules, by what they hold:

- :mod:`storage.measures.engine`: evaluating measures (criteria in :mod:`storage.measures.criteria`);
- :mod:`storage.measures.stored_gaps`: what a measure's gaps are now;
- :mod:`storage.measures.gap_plan`: the plan of a measure's writes (plain data);
- :mod:`storage.measures.gap_evidence`: each gap's evidence and its key;
- :mod:`storage.measures.gap_writer`: planning from one read, writing under the lock;
- :mod:`storage.measures.write_lock`: SQLite's one writer;
- :mod:`storage.measures.measure_table`: the ``measure`` table in step with the catalogue;
- :mod:`storage.measures.local_run`: a run in this process; :mod:`storage.measures.parallel`: on every core.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from domain.clock import utcnow
from domain.measures.catalogue import catalogue
from domain.measures.period import MeasurementPeriod
from storage.measures import parallel
from storage.measures.local_run import recompute_here
from storage.measures.valuesets import ensure_valuesets

# Every active measure of the catalogue, payer variants included, as the definition files
# said when this process started (a recompute not told which measures asks the catalogue:
# domain.measures.catalogue.catalogue().active_ids).
ALL_MEASURES = catalogue().active_ids


def recompute(engine, period: MeasurementPeriod, measure_ids: Iterable[str] | None = None, *,
              patient_ids: Iterable[int] | None = None, practice_id: int | None = None,
              progress: Callable[[int, int, str], None] | None = None,
              cancel: Callable[[], bool] | None = None,
              snapshot_month: dt.date | None = None,
              workers: int | None = None) -> dict[str, dict[str, int]]:
    """Returns per measure the number of gaps per state. Each measure is written whole in its
    own transaction; cancelling keeps the measures finished before it and writes no other.
    ``measure_ids``: default every active measure of the catalogue.

    The whole pod or a practice is shared out between ``workers`` processes (default: one per
    core, at most :data:`storage.measures.parallel.MAX_WORKERS`; ``CAREPOD_RECOMPUTE_WORKERS``
    overrides); some patients (after an import) are done here.

    A complete recompute (no patients, no practice) also keeps this month's pod-peer rates
    (``snapshot_month``, default today) in ``quality_snapshot``, so trends accumulate: each
    measure's as soon as it is written."""
    ensure_valuesets(engine)
    measure_ids = list(catalogue().active_ids if measure_ids is None else measure_ids)
    patient_ids = None if patient_ids is None else {int(p) for p in patient_ids}
    scoped = patient_ids is not None or practice_id is not None
    workers = parallel.worker_count(engine, measure_ids, patient_ids, workers)
    # each measure's snapshot is taken as soon as it is written (by the worker that wrote it)
    month = None if scoped else (snapshot_month or utcnow().date())
    if workers > 1:
        return parallel.recompute_in_processes(engine, period, measure_ids, workers, practice_id=practice_id,
                                               progress=progress, cancel=cancel, snapshot_month=month)
    return recompute_here(engine, period, measure_ids, patient_ids=patient_ids, practice_id=practice_id,
                          progress=progress, cancel=cancel, snapshot_month=month)


def recompute_for_patients(engine, patient_ids: Iterable[int], period: MeasurementPeriod | None = None,
                           progress: Callable[[int, int, str], None] | None = None,
                           cancel: Callable[[], bool] | None = None,
                           measure_ids: Iterable[str] | None = None) -> dict[str, dict[str, int]]:
    """After an import: recompute only these patients' gaps (the import report's changed
    patients) for the current calendar year unless a period is given; other gaps are untouched."""
    ids = {int(p) for p in patient_ids}
    if period is None:
        today = utcnow().date()
        period = MeasurementPeriod(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if not ids:
        return {}
    return recompute(engine, period, measure_ids, patient_ids=ids, progress=progress, cancel=cancel)
