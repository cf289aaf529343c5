"""Importing files: each file is one transaction, all of it or none of it.

``import_paths(engine, paths, ...)`` reads every FHIR Bundle, NDJSON file and CSV panel
under ``paths``; a file with any rejected resource or row lands nothing and is reported
(file, line or entry, resource type and id, reason); the other files land. Re-importing
the same data changes nothing. Each call leaves an ``import_run`` record with its
``import_problem`` rows (dry runs too: they are the log, not data). An import with enough
NDJSON reads and maps its lines in a second process while this one writes
(:mod:`storage.importers.pipeline`); what lands is the same.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import logging
from pathlib import Path
from typing import Callable

import sqlalchemy as sa

from domain.clock import utcnow
from domain.text import name_key
from storage import schema as t
from storage.db import bulk_page_cache, write_transaction
from storage.write_priority import before_bulk_step
from storage.importers import identity, turn
from storage.importers import loader as loader_module
from storage.importers.loader import CHUNK, FileLoader
from storage.importers.pipeline import NdjsonChunks
from storage.importers.reader import FileProblem, is_csv, is_ndjson, list_files, read_json_file
from storage.importers.report import ImportReport, Problem

GC_THRESHOLD = 1_000_000  # see _fewer_collections
LANDED_LIMIT = 400_000  # entries of RunState.landed: about 100 MB at most
log = logging.getLogger(__name__)


@dataclasses.dataclass
class ImportProgress:
    file_index: int      # 0-based index of the file being read
    file_count: int
    file: str
    resources: int       # resources (or rows) read so far in this file
    waiting: str = ""    # while another import of the database runs: what this one waits for


class Cancelled(Exception):
    """The user cancelled: the current file is rolled back."""


class RunState:
    """What the files of one import share: the target practice and what they can refer to."""

    def __init__(self, practice_id: int | None, now: dt.datetime, sole_patient_bundles: bool = False):
        self.practice_id, self.now = practice_id, now
        # each Bundle is one patient's record, evaluated alone (published test cases): a
        # resource naming a patient not in it is its one patient's, with a warning; otherwise
        # such a resource is refused (a fact on the wrong patient is a safety defect)
        self.sole_patient_bundles = sole_patient_bundles
        self.shared: dict[str, dict] = {}  # source → reference-only resources (Organization, Medication…)
        self.landed: dict[str, dict] = {}  # source → (type, id) → (table, id) of committed files' patients…

    def remember_landed(self, source: str, landed: dict) -> None:
        """Keep where a committed file's patients and encounters landed, for the next files to
        refer to; bounded (a reference not kept is looked up in source_record as before)."""
        kept = self.landed.setdefault(source, {})
        if sum(map(len, self.landed.values())) + len(landed) <= LANDED_LIMIT:
            kept.update(landed)

    def apply_coverage(self, store, patient_id: int, payer: dict, reason: str) -> None:
        """An active Coverage sets the patient's payer and member id."""
        if payer["status"] not in ("", "active") or not (payer["name"] or payer["code"]):
            return
        code = (payer["code"] or name_key(payer["name"]).replace(" ", "-"))[:64] or "UNKNOWN"
        row = store.one("SELECT id FROM payer WHERE code = ?", (code,))
        if row is None and payer["name"]:
            row = store.one("SELECT id FROM payer WHERE lower(name) = lower(?)", (payer["name"],))
        if row is None:
            store.db.execute("INSERT INTO payer (code, name, kind) VALUES (?, ?, '')",
                             (code, payer["name"] or code))
            row = store.one("SELECT id FROM payer WHERE code = ?", (code,))
        values = {"payer_id": row[0]}
        if payer["member_id"]:
            values["member_id"] = payer["member_id"]
        store.update("patient", patient_id, values, reason=reason)


def _is_cancelled(cancel) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    return bool(cancel())


def import_paths(engine, paths, *, practice_code: str | None = None, source: str | None = None,
                 dry_run: bool = False, actor: str = "import",
                 progress: Callable[[ImportProgress], None] | None = None,
                 cancel=None, wait: bool = True, sole_patient_bundles: bool = False) -> ImportReport:
    """Import the files and folders in ``paths``; see the module docstring.

    One import of a database runs at a time (:mod:`storage.importers.turn`): while another
    runs, this one waits (``progress`` says for what) or, unless ``wait``, is refused
    (``report.busy``); either way it is in the import log. ``sole_patient_bundles``: see
    :class:`RunState` (only for test Bundles evaluated one by one, never for a pod's data)."""
    report = ImportReport(dry_run=dry_run)
    files, missing = list_files([paths] if isinstance(paths, (str, Path)) else list(paths))
    report.files = [str(f) for f in files] + [m for m, _reason in missing]
    for name, reason in missing:
        report.problems.append(Problem(name, "", "", "", reason))
        report.files_unreadable += 1
    now = utcnow()
    practice_id = None
    if practice_code:
        practice_id = _practice_id(engine, practice_code)
        if practice_id is None:
            report.problems.append(Problem("", "", "", "", _unknown_practice(engine, practice_code)))
            report.files_unreadable = len(report.files)
            files = []
    start = functools.partial(_start_run, engine, actor, practice_code, dry_run, report.files, now)
    with turn.one_import_at_a_time(engine, start, report, progress, cancel, wait) as running:
        if running and files:
            with _fewer_collections():
                _import_files(engine, report, files, RunState(practice_id, now, sole_patient_bundles), actor, source,
                              dry_run, progress, cancel)
        if running and report.patient_ids and not dry_run and not report.cancelled:
            from storage.importers.duplicates import find_candidates

            find_candidates(engine, report.patient_ids)
        _finish_run(engine, report)
    return report


@contextlib.contextmanager
def _fewer_collections():
    """An import makes millions of short-lived containers (parsed JSON, rows) that hold no
    reference cycles; the cycle collector at its default threshold keeps scanning them (about
    4 % of an NDJSON import's instructions, counted with callgrind), so it runs less often
    while files load. The first generation's count is of containers allocated and not yet
    freed, so a chunk's parsed resources, freed with the chunk, hardly add to it: what does is
    what an import keeps (the keys of a file's resources, where they landed), about two
    containers a resource, and at 50,000 a collection still ran every few chunks, each one
    scanning the chunk in hand. The threshold is restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], GC_THRESHOLD), *before[1:])
    gc.freeze()  # what was alive before the import (modules, the ORM) is not scanned again while it runs
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _import_files(engine, report: ImportReport, files: list[Path], state: RunState, actor, source,
                  dry_run, progress, cancel) -> None:
    raw = engine.raw_connection()
    # each file's commit need not wait for the disk: the run's end, committed in full, marks
    # what landed (a power cut before it shows the run interrupted, and re-importing is safe)
    raw.driver_connection.execute("PRAGMA synchronous=NORMAL")
    raw.driver_connection.execute("PRAGMA wal_autocheckpoint=1000")  # a bulk writer copies its own log
    try:
        with bulk_page_cache(raw.driver_connection):  # the window's engine keeps 16 MB per connection
            _import_each(engine, raw, report, files, state, actor, source, dry_run, progress, cancel)
    finally:
        raw.driver_connection.execute("PRAGMA synchronous=FULL")  # back to the pool as it came
        raw.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
        raw.close()


def _import_each(engine, raw, report: ImportReport, files: list[Path], state: RunState, actor, source,
                 dry_run, progress, cancel) -> None:
    """The files one after another on the run's raw connection (see :func:`_import_files`)."""
    from storage.importers.store import Store

    store = Store(raw.driver_connection, actor, report.run_id, state.now, dry_run=dry_run)
    try:
        sources = {str(f): identity.source_for(f, given=source) for f in files if is_ndjson(f)}
        database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
        with NdjsonChunks(files, CHUNK, fast=loader_module.FAST_PATH, sources=sources,
                          database=database if database and database != ":memory:" else None) as ndjson:
            for number, path in enumerate(files):
                if _is_cancelled(cancel):
                    report.cancelled = True
                    break
                if not dry_run:  # a staff member's save waiting now goes before the next file
                    before_bulk_step(database if database != ":memory:" else None)
                _import_file(store, state, report, path, number, len(files), source, dry_run, progress, cancel,
                             ndjson)
                if report.cancelled:
                    break
    finally:
        store.finish()


def _import_file(store, state: RunState, report: ImportReport, path: Path, number: int, total: int,
                 source: str | None, dry_run: bool, progress, cancel, ndjson: NdjsonChunks) -> None:
    label = str(path)
    if progress:
        progress(ImportProgress(number, total, label, 0))
    loader = None
    store.begin()
    try:
        if is_csv(path):
            from storage.importers.csv_panel import load_csv

            loader = load_csv(store, state, path, label, source)
        elif is_ndjson(path):
            loader = FileLoader(store, state, label, identity.source_for(path, given=source))
            done = 0
            with contextlib.closing(ndjson.chunks(path)) as chunks:
                for chunk in chunks:
                    loader.load_chunk(chunk)
                    if len(chunk) >= CHUNK:  # the last, shorter chunk is followed by the checks below
                        done += len(chunk)
                        if progress:
                            progress(ImportProgress(number, total, label, done))
                        if _is_cancelled(cancel):
                            raise Cancelled()
        else:
            bundle = read_json_file(path)
            loader = FileLoader(store, state, label,
                                identity.source_for(path, given=source, bundle_hint=bundle.source_hint))
            loader.load_chunk(bundle.entries, whole_file=True)
        loader.finish_warnings()
        if _is_cancelled(cancel):
            raise Cancelled()
    except Cancelled:
        store.rollback()
        report.cancelled = True
        report.problems.append(Problem(label, "", "", "", "cancelled: nothing from this file was saved",
                                       "warning"))
        return
    except FileProblem as exc:
        store.rollback()
        report.files_unreadable += 1
        report.problems.append(Problem(label, exc.location, "", "", exc.reason))
        return
    except Exception as exc:  # a database or programming error must not leave half a file
        store.rollback()
        log.exception("import of %s failed", label)
        report.files_rejected += 1
        report.problems.append(Problem(label, "", "", "", f"could not be imported: {type(exc).__name__}: {exc}"))
        return
    report.problems.extend(loader.problems)
    if loader.rejected:
        store.rollback()
        report.files_rejected += 1
        errors = sum(1 for p in loader.problems if p.severity == "error")
        report.problems.append(Problem(label, "", "", "", f"file not imported: {errors} problem(s); "
                                                          "nothing from this file was saved"))
        for rtype, counter in loader.counts.items():
            report.counts[rtype]["rejected"] += sum(counter.values())
        return
    if dry_run:
        store.commit()  # into the dry run's one transaction, undone when the run ends
    else:
        if any(c["created"] or c["updated"] for c in loader.counts.values()):  # a no-op re-import leaves no trace
            summary = ", ".join(f"{rtype} {dict(c)}" for rtype, c in sorted(loader.counts.items()))
            store.audit("import", "ImportRun", report.run_id, f"{Path(label).name}: {summary}"[:2000])
        store.commit()
        report.patient_ids |= loader.patient_ids
        report.changed_patient_ids |= loader.changed_patient_ids
    if isinstance(loader, FileLoader):  # a CSV panel's rows are referred to by nothing
        state.remember_landed(loader.source, loader.landed_here)
    report.files_imported += 1
    for rtype, counter in loader.counts.items():
        report.counts[rtype].update(counter)


def _practice_id(engine, code: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(t.practice.c.id).where(t.practice.c.code == code.strip().upper())).scalar()


def _unknown_practice(engine, code: str) -> str:
    with engine.connect() as conn:
        codes = conn.execute(sa.select(t.practice.c.code).order_by(t.practice.c.code).limit(20)).scalars().all()
    known = f" Known practices: {', '.join(codes)}." if codes else " There are no practices yet."
    return (f"No practice has the code {code.strip().upper()!r}; create it under Administration first "
            f"(an import never creates a practice from a typed code).{known}")


def _start_run(engine, actor, practice_code, dry_run, files, now, status: str) -> int:
    with write_transaction(engine) as conn:
        return conn.execute(sa.insert(t.import_run).values(
            started_at=now, actor=actor, practice_code=(practice_code or "").strip().upper(),
            dry_run=dry_run, files=files, counts={}, status=status)).inserted_primary_key[0]


def _finish_run(engine, report: ImportReport) -> None:
    """The run's outcome, committed durably: the files' own commits before it may be lost by a
    power cut (storage.importers.store), and then the run shows as interrupted."""
    status = ("refused" if report.busy else "cancelled" if report.cancelled else "failed" if report.exit_status == 2
              else "with problems" if report.errors else "ok")
    with write_transaction(engine) as conn:
        conn.execute(sa.update(t.import_run).where(t.import_run.c.id == report.run_id).values(
            finished_at=utcnow(), counts=report.plain_counts(), status=status))
        if report.problems:
            from storage.importers.history import logged_reason

            conn.execute(sa.insert(t.import_problem), [
                {"import_run_id": report.run_id, "file": p.file, "location": p.location,
                 "resource_type": p.resource_type, "resource_id": p.resource_id,
                 "reason": logged_reason(p)[:2000]}
                for p in report.problems])
