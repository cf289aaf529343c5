"""Create a whole demo pod, all or nothing.

The pod is written into a fresh temporary database beside the target (migrated to the
current schema, secondary indexes dropped while loading and recreated by their
migration-made definitions afterwards), and only a complete file is moved into place.
A failure leaves the target untouched; a replaced database is kept beside it.
"""
from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from pathlib import Path

from storage import coded_facts, schema
from storage.demo.bulk import Loader, explicit_indexes
from storage.schema import column_names
from storage.demo.parts import (DICTIONARY, Discard, Part, attach_parts, detach_parts, merge_parts, plan_parts,
                                table_definitions, write_parts)
from storage.demo.people import PATIENT_COLUMNS
from storage.demo.pod import build_pod
from storage.demo.progress import Progress

if column_names(schema.patient) != PATIENT_COLUMNS:
    raise RuntimeError("storage.demo.people is out of date with the patient table")

MAX_PRACTICES = 999  # practice codes carry a three-digit number
MAX_PATIENTS = 5_000_000


class DemoError(Exception):
    """A problem the person running the command can fix; the message says how."""


@dataclasses.dataclass
class DemoResult:
    path: Path
    practices: int
    patients: int
    staff: int
    rows: dict[str, int]
    seconds: float
    kept_previous: Path | None = None


def check_arguments(practices: int, patients: int) -> None:
    if not 1 <= practices <= MAX_PRACTICES:
        raise DemoError(f"--practices must be between 1 and {MAX_PRACTICES}; got {practices}.")
    if not 1 <= patients <= MAX_PATIENTS:
        raise DemoError(f"--patients must be between 1 and {MAX_PATIENTS:,}; got {patients}.")
    if patients < practices:
        raise DemoError(f"--patients ({patients}) must be at least --practices ({practices}): "
                        "every practice needs a patient.")


def describe_existing(path: Path) -> tuple[int, int, bool]:
    """(practices, patients, holds any data) of an existing database file."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            has_data = any(conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]
                           for t in tables if t != "alembic_version")
            if "practice" not in tables or "patient" not in tables:
                return 0, 0, has_data
            practices = conn.execute("SELECT count(*) FROM practice").fetchone()[0]
            patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            return practices, patients, has_data
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        raise DemoError(f"{path} cannot be read ({exc}); close any program using it and try again.") from exc
    except sqlite3.DatabaseError as exc:
        raise DemoError(f"{path} is not a Carepod database ({exc}); choose another --db.") from exc


def create_demo_pod(db_path: str | os.PathLike, *, practices: int, patients: int, seed: int,
                    replace: bool = False, progress: Progress | None = None,
                    workers: int | None = None) -> DemoResult:
    """Build the pod; ``workers`` (default: 2 for large pods) only changes the speed, never a row."""
    check_arguments(practices, patients)
    target = Path(db_path).expanduser().resolve()
    if not target.parent.is_dir():
        raise DemoError(f"The folder {target.parent} does not exist.")
    has_data = False
    if target.exists():
        old_practices, old_patients, has_data = describe_existing(target)
        if old_practices and not replace:
            raise DemoError(f"{target} already holds a pod ({old_practices:,} practices, {old_patients:,} patients). "
                            "Use --replace to put a new demo pod in its place (the old file is kept beside it), "
                            "or choose another --db.")
    progress = progress or Progress(patients, enabled=False)
    started = time.monotonic()
    temporary = target.with_name(f".{target.name}.demo-{os.getpid()}.tmp")
    _remove_database(temporary)
    try:
        rows, staff = _build(temporary, practices=practices, patients=patients, seed=seed, progress=progress,
                             workers=workers)
        progress.step("tiering patients by risk")
        _tier(temporary)
        rows["outreach_plan"] = _outreach_plans(temporary, progress)
        progress.step("moving the new pod into place")
        kept = _move_into_place(temporary, target, keep_old=has_data)
    except BaseException:
        _remove_database(temporary)
        raise
    finally:
        progress.finish()
    return DemoResult(target, practices, patients, staff, rows, time.monotonic() - started, kept)


def _outreach_plans(path: Path, progress: Progress) -> int:
    """Where outreach about each target stands, worked out from the attempts just written
    (storage.outreach_plans, as the app keeps it), dated at the demo's reference moment."""
    from storage.db import create_engine
    from storage.demo.clock import reference_moment
    from storage.outreach_plans import rebuild_all

    progress.step("scheduling outreach")
    engine = create_engine(path)
    try:
        with engine.begin() as conn:
            return rebuild_all(conn, now=reference_moment(8))
    finally:
        engine.dispose()


def _build(path: Path, *, practices: int, patients: int, seed: int, progress: Progress,
           workers: int | None) -> tuple[dict[str, int], int]:
    from storage.db import open_database

    engine = open_database(path)  # the schema exactly as the migrations make it
    try:
        raw = engine.raw_connection()
        dbapi = raw.dbapi_connection
        raw.detach()  # ours alone: closed below, never handed back to the pool with its pragmas
        cursor = dbapi.cursor()
        parts: list[Part] = []
        try:
            # A throw-away file until it is complete: no journal, no syncing, no FK checks per row
            # (ids are pre-assigned and consistent; the tests run foreign_key_check).
            for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-262144",
                           "locking_mode=EXCLUSIVE", "temp_store=MEMORY", "threads=2"):
                cursor.execute(f"PRAGMA {pragma}")
            indexes = explicit_indexes(cursor)
            # the parts write their own files first: the pod's plan says which practices each makes
            sizes = [p.patient_count for p in build_pod(seed, practices, patients, Discard()).practices]
            parts = plan_parts(path.parent, path.name, seed, practices, patients, sizes, workers)
            rows: dict[str, int] = {}
            for part_rows in write_parts(parts, table_definitions(cursor), progress.advance):
                for table, count in part_rows.items():
                    rows[table] = rows.get(table, 0) + count
            attach_parts(cursor, parts)
            cursor.execute("BEGIN")
            with coded_facts.suspended(cursor):  # filled in index order once the indexes are back
                for name, _sql in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                loader = Loader(dbapi)
                try:
                    pod = build_pod(seed, practices, patients, loader)
                    loader.flush()
                finally:
                    loader.close()
                rows.update(loader.counts())
                merge_parts(cursor, parts, progress.step)
                # each part counted the concepts it met; the pod keeps each once
                rows[DICTIONARY] = cursor.execute(f"SELECT count(*) FROM {DICTIONARY}").fetchall()[0][0]
                progress.step(f"indexing {sum(rows.values()):,} rows")
                for _name, sql in indexes:
                    cursor.execute(sql)
            cursor.execute("COMMIT")
            detach_parts(cursor, parts)
            cursor.execute("PRAGMA journal_mode=WAL")
            return dict(sorted(rows.items())), pod.staff_count
        finally:
            # a cursor left open would keep its statement, and so the file lock, alive after close()
            cursor.close()
            dbapi.close()
            for part in parts:
                _remove_database(part.path)
    finally:
        engine.dispose()


def _tier(path: Path) -> None:
    """Risk tiers as of the demo's reference date, by the risk model itself (storage.risk)."""
    from storage.db import open_database
    from storage.demo.clock import REFERENCE_DATE, reference_moment
    from storage.risk import recompute_risk

    engine = open_database(path)
    try:
        recompute_risk(engine, as_of=REFERENCE_DATE, now=reference_moment(8))
        with engine.connect() as conn:  # the file alone is the whole database
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove_database(path: Path) -> None:
    for candidate in [path, *_sidecars(path)]:
        candidate.unlink(missing_ok=True)


def _move_into_place(temporary: Path, target: Path, *, keep_old: bool) -> Path | None:
    kept = None
    if target.exists():
        # fold the old file's WAL into it so the file alone is the whole database
        conn = sqlite3.connect(target)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        if keep_old:
            kept = target.with_name(target.name + ".before-demo")
            n = 1
            while kept.exists():
                n += 1
                kept = target.with_name(f"{target.name}.before-demo-{n}")
            os.replace(target, kept)
        for sidecar in _sidecars(target):
            sidecar.unlink(missing_ok=True)
    os.replace(temporary, target)
    return kept
