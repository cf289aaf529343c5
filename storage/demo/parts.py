"""Patients in parts: each part generates the patients of a run of practices into a file of
its own (in a worker process when there are two), and the parts are merged in practice order.

Every practice has its own random streams and the ids of each part start at 1 and are
shifted when merged, so the pod is the same row for row whatever the number of parts:
a two-core machine builds a large pod in about half the time.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import random
import sqlite3
import time
from pathlib import Path

from storage import schema
from storage.demo.bulk import Loader
from storage.demo.clinical import ChartBuilder
from storage.demo.codes import codebook
from storage.demo.facts import FactSink
from storage.demo.people import PATIENT_COLUMNS, PanelBuilder
from storage.demo.pod import PodPlan, build_pod
from storage.demo.workflow import WorkflowBuilder

# The tables the parts write; every other table belongs to the pod and is written once.
PART_TABLES = (
    "patient", "clinical_fact", "fact_coding", "fact_component", "referral", "referral_event",
    "after_hours_call", "call_page", "medication_review", "reviewed_medication", "drug_therapy_problem",
    "outreach_attempt", "care_plan", "care_goal", "care_intervention", "task", "time_entry",
)
# Each part numbers the codings' concepts it meets in its own dictionary (storage.codings); the
# merge adds those the pod lacks and gives the part's codings the pod's numbers.
DICTIONARY = "coding_concept"
_CONSENT = PATIENT_COLUMNS.index("consent_date")
PATIENTS_PER_EXTRA_PART = 20_000  # below this a second process costs more than it saves


@dataclasses.dataclass(frozen=True)
class Part:
    path: Path
    seed: int
    practices: int
    patients: int
    first_practice: int  # ids, inclusive
    last_practice: int


def plan_parts(folder: Path, stem: str, seed: int, practices: int, patients: int, sizes: list[int],
               workers: int | None) -> list[Part]:
    """Contiguous runs of practices with about as many patients each."""
    if workers is None:
        workers = 2 if patients >= PATIENTS_PER_EXTRA_PART and practices >= 2 else 1
    workers = max(1, min(workers, practices))
    bounds, total, target, first = [], 0, patients / workers, 1
    for pid, size in enumerate(sizes, start=1):
        total += size
        if len(bounds) < workers - 1 and total >= target * (len(bounds) + 1) and pid < practices:
            bounds.append((first, pid))
            first = pid + 1
    bounds.append((first, practices))
    return [Part(folder / f".{stem}.part{i}.tmp", seed, practices, patients, lo, hi)
            for i, (lo, hi) in enumerate(bounds)]


class Discard:
    """A loader stand-in for re-deriving the pod plan in a part (its rows are written once, by the pod)."""

    class _Rows:
        def add_values(self, **_values) -> None:
            pass

    def __getitem__(self, _name: str) -> "Discard._Rows":
        return self._Rows()


def write_part(part: Part, table_sql: list[str], progress=None) -> dict[str, int]:
    """Generate the part's practices into its own file (tables only, no indexes)."""
    part.path.unlink(missing_ok=True)
    conn = sqlite3.connect(part.path, isolation_level=None, check_same_thread=False)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-131072", "locking_mode=EXCLUSIVE"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN")
        for sql in table_sql:
            conn.execute(sql)
        loader = Loader(conn)
        try:
            pod = build_pod(part.seed, part.practices, part.patients, Discard())
            _patients(loader, pod, part, progress)
            loader.flush()
        finally:
            loader.close()
        conn.execute("COMMIT")
        return {t: n for t, n in loader.counts().items()}
    finally:
        conn.close()


def _patients(loader: Loader, pod: PodPlan, part: Part, progress) -> None:
    sink = FactSink(loader)
    charts = ChartBuilder(random.Random(), sink, codebook())
    people = PanelBuilder(random.Random(), pod)
    work = WorkflowBuilder(random.Random(), loader, sink)
    patient_rows = loader["patient"]
    done = 0
    for practice in pod.practices[part.first_practice - 1:part.last_practice]:
        # a practice's own streams: the same rows whichever part (or process) makes it
        people.rng = random.Random(f"{part.seed}:patients:{practice.id}")
        charts.rng = random.Random(f"{part.seed}:charts:{practice.id}")
        work.start_practice(random.Random(f"{part.seed}:workflow:{practice.id}"), practice.id, part.practices)
        mrn_counter = [people.rng.randint(10_000, 900_000)]
        panel = []
        for _ in range(practice.patient_count):
            who, fields = people.demographics(practice, mrn_counter)
            chart = charts.build(who.person)
            row = people.row(practice, fields, chart)
            patient_rows.add(row)
            work.patient(practice, who, chart, consent=row[_CONSENT] is not None)
            panel.append(who)
            done += 1
            if done % 1000 == 0:
                loader.flush_full()
                if progress is not None:
                    progress(1000)
        work.calls(practice, panel)
    if progress is not None:
        progress(done % 1000)


_counter = None  # the workers' shared patient count (handed over at process start, as it must be)


_parent = None


def _start_worker(counter) -> None:
    global _counter, _parent
    _counter, _parent = counter, os.getppid()


def _report(n: int) -> None:
    if os.getppid() != _parent:  # the generator was killed: stop rather than run on alone
        raise SystemExit(1)
    with _counter.get_lock():
        _counter.value += n


def _worker(part: Part, table_sql: list[str]) -> dict[str, int]:
    return write_part(part, table_sql, _report)


def write_parts(parts: list[Part], table_sql: list[str], on_progress) -> list[dict[str, int]]:
    """Run the parts: the first in this process, the others in worker processes."""
    if len(parts) == 1:
        return [write_part(parts[0], table_sql, on_progress)]
    context = multiprocessing.get_context("spawn")  # no fork of a process holding SQLite handles
    counter = context.Value("q", 0)
    seen = 0

    def collect() -> None:
        nonlocal seen
        with counter.get_lock():
            now = counter.value
        on_progress(now - seen)
        seen = now

    def local(n: int) -> None:
        on_progress(n)
        collect()

    with context.Pool(len(parts) - 1, initializer=_start_worker, initargs=(counter,)) as pool:
        pending = [pool.apply_async(_worker, (part, table_sql)) for part in parts[1:]]
        first = write_part(parts[0], table_sql, local)
        while not all(p.ready() for p in pending):
            collect()
            time.sleep(0.25)
        results = [first, *(p.get() for p in pending)]  # .get() re-raises a worker's error here
        collect()
    return results


def _offset_targets() -> dict[str, dict[str, str]]:
    """table → column → the part table whose ids the column holds (its own id included)."""
    targets: dict[str, dict[str, str]] = {}
    for name in PART_TABLES:
        table = schema.metadata.tables[name]
        columns = {"id": name}
        for fk in table.foreign_keys:
            if fk.column.table.name in PART_TABLES:
                columns[fk.parent.name] = fk.column.table.name
        targets[name] = columns
    return targets


def attach_parts(cursor, parts: list[Part]) -> None:
    """SQLite attaches and detaches only outside a transaction: attach before the merge's."""
    for index, part in enumerate(parts):
        cursor.execute(f"ATTACH DATABASE ? AS part{index}", (str(part.path),))


def detach_parts(cursor, parts: list[Part]) -> None:
    for index in range(len(parts)):
        cursor.execute(f"DETACH DATABASE part{index}")


def merge_parts(cursor, parts: list[Part], write_progress=None) -> None:
    """Append each attached part's rows, ids shifted past the rows already there, in part order."""
    targets = _offset_targets()
    offsets = {t: 0 for t in PART_TABLES}
    for index, part in enumerate(parts):
        if write_progress:
            write_progress(f"merging part {index + 1} of {len(parts)}")
        counts = {}
        _merge_dictionary(cursor, index)
        for name in PART_TABLES:
            columns = [c.name for c in schema.metadata.tables[name].columns]
            select = ", ".join(f"{c} + {offsets[targets[name][c]]}" if c in targets[name] and offsets[targets[name][c]]
                               else _PART_CONCEPT if c == "concept_id"
                               else c for c in columns)
            cursor.execute(f'INSERT INTO main."{name}" ({", ".join(columns)}) '
                           f'SELECT {select} FROM part{index}."{name}" ORDER BY id')
            counts[name] = cursor.execute(f'SELECT count(*) FROM part{index}."{name}"').fetchall()[0][0]
        for name, n in counts.items():
            top = cursor.execute(f'SELECT max(id) FROM part{index}."{name}"').fetchall()[0][0] or 0
            if top != n:  # the shift assumes ids 1..n in every part
                raise RuntimeError(f"part {index} of {name}: ids run to {top} for {n} rows")
            offsets[name] += n


_PART_CONCEPT = "(SELECT pod_id FROM temp.part_concept WHERE part_id = concept_id)"


def _merge_dictionary(cursor, index: int) -> None:
    """The part's concepts the pod lacks added, in the part's order, and each part number's pod
    number in ``temp.part_concept`` (:data:`_PART_CONCEPT` reads it)."""
    cursor.execute("DROP TABLE IF EXISTS temp.part_concept")
    cursor.execute("CREATE TEMP TABLE part_concept (part_id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL)")
    cursor.execute(f"INSERT OR IGNORE INTO main.{DICTIONARY} (system, code, display) "
                   f"SELECT system, code, display FROM part{index}.{DICTIONARY} ORDER BY id")
    cursor.execute(f"INSERT INTO temp.part_concept SELECT p.id, m.id FROM part{index}.{DICTIONARY} p "
                   f"JOIN main.{DICTIONARY} m ON m.system = p.system AND m.code = p.code AND m.display = p.display")


def table_definitions(cursor) -> list[str]:
    """CREATE TABLE statements of the part tables and the dictionary, as the migrations made them."""
    found = dict(cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    return [found[name] for name in (DICTIONARY, *PART_TABLES)]
