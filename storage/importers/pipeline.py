"""NDJSON files read in a second process while the importing one writes.

Reading a line (decoding, JSON parsing, hashing) and mapping a resource of a common shape
to its fact (:func:`storage.importers.fastpath.fast_fact`) or a Patient to its plan depend on
nothing but the line, so for an import with enough NDJSON (:data:`PIPELINE_MIN_BYTES`) and a
second core, a reader process (``spawn``, one pipe) does them for every NDJSON file of the
import in turn, in the order the files are imported, and sends each chunk of
:data:`storage.importers.loader.CHUNK` lines as one pickled list: a line of a mapped type
with an id as the fields of a :class:`~storage.importers.reader.Prepared`, anything else
(errors, odd types, no id) as the :class:`~storage.importers.reader.Entry` the local reader
makes. A fast fact is sent compacted: each repeated text (codes, systems, statuses) and coding
as one object, so pickle sends it once per chunk, and its subject and encounter references as the
(type, id) keys :meth:`~storage.importers.references.ReferenceIndex.key_of` would give them in
an NDJSON chunk (which has no fullUrls); a reference without such a key is sent as it is. The
importing process does everything that needs the database or the rest of the
file — duplicates, identities, references, writing — within the file's own transaction, as
before, and gets the very same chunks, so both ways write the same rows
(``tests/import/test_pipeline.py`` compares them table by table).

The pipe holds little (the reader blocks on a full pipe), so memory stays that of a chunk or
two. A reader that dies (or cannot start) is not waited for: the file it was reading goes on
from the same chunk in this process, as do the files after it. A file left before its end
(cancelled, failed with an exception) stops the reader, and the files after it are read in
this process. Throughput is by the clock: on a machine whose other core is busy the two
processes take turns, and the pickling between them is extra work.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import multiprocessing
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Iterator

from storage.importers.reader import Entry, FileProblem, Prepared, is_ndjson, read_ndjson

PIPELINE = True
PIPELINE_MIN_BYTES = 16 * 1024 * 1024  # the NDJSON of an import worth a second process (~25,000 resources)
POLL_SECONDS = 0.5  # how often a reader that sends nothing is checked for being alive
JOIN_SECONDS = 5.0

log = logging.getLogger(__name__)
_CHUNK, _END, _PROBLEM, _FAILED = "chunk", "end", "problem", "failed"


class ReaderStopped(Exception):
    """The reader process ended before sending all of a file."""


def _local_chunks(path: Path, size: int) -> Iterator[list]:
    chunk = []
    for entry in read_ndjson(path):
        chunk.append(entry)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class NdjsonChunks:
    """The chunks of each NDJSON file of an import, read by a reader process when the import
    has enough NDJSON (and a second core), else in this one. Use as a context manager."""

    def __init__(self, files: list[Path], chunk: int, *, fast: bool, sources: dict | None = None,
                 database: str | None = None):
        self.chunk = chunk
        self.process = self.conn = None
        self.queue: list[str] = []  # the files the reader still sends, in order
        ndjson = [str(f) for f in files if is_ndjson(Path(f))]
        if not PIPELINE or not ndjson or _cores() < 2:
            return
        try:
            total = sum(os.path.getsize(f) for f in ndjson)
        except OSError:
            return
        if total < PIPELINE_MIN_BYTES:
            return
        context = multiprocessing.get_context("spawn")  # safe beside Qt and other threads
        receiving, sending = context.Pipe(duplex=False)
        self.process = context.Process(target=_reader_main, name="carepod-import-reader", daemon=True,
                                       args=(sending, [(f, (sources or {}).get(f, "")) for f in ndjson], chunk,
                                             fast, database))
        try:
            self.process.start()
        except Exception:  # noqa: BLE001 — no second process here (a daemon, no resources): read in this one
            log.warning("no NDJSON reader process; reading in this process", exc_info=True)
            self.process = None
            receiving.close()
            return
        finally:
            sending.close()  # the reader's end: when it dies, receiving gets EOF instead of waiting
        self.conn, self.queue = receiving, ndjson

    def __enter__(self) -> NdjsonChunks:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def chunks(self, path: Path) -> Iterator[list]:
        """The file's chunks; close the iterator (``contextlib.closing``) when leaving early."""
        if self.process is None or not self.queue or self.queue[0] != str(path):
            self.stop()
            yield from _local_chunks(path, self.chunk)
            return
        self.queue.pop(0)
        finished = False
        sent = 0  # chunks of this file already given
        try:
            while True:
                try:
                    message = self._receive()
                except ReaderStopped:  # the rest of the file (and of the import) is read here
                    log.warning("the NDJSON reader process stopped; reading %s in this process", path)
                    finished = True
                    self.stop()
                    yield from itertools.islice(_local_chunks(path, self.chunk), sent, None)
                    return
                kind = message[0]
                if kind == _CHUNK:
                    sent += 1
                    yield [Prepared(*line) if line.__class__ is tuple else line for line in message[1]]
                elif kind == _END:
                    finished = True
                    return
                elif kind == _PROBLEM:
                    finished = True
                    raise FileProblem(message[1], message[2])
                else:
                    finished = True
                    raise message[1]
        finally:
            if not finished:  # left early: what the reader sends next is of no use
                self.stop()

    def _receive(self):
        conn, process = self.conn, self.process
        try:
            while not conn.poll(POLL_SECONDS):
                if not process.is_alive() and not conn.poll(0):
                    raise ReaderStopped(f"the NDJSON reader process stopped (exit code {process.exitcode})")
            return pickle.loads(conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError):
            process.join(JOIN_SECONDS)
            raise ReaderStopped(f"the NDJSON reader process stopped (exit code {process.exitcode})") from None

    def stop(self) -> None:
        process, conn = self.process, self.conn
        self.process = self.conn = None
        self.queue = []
        if process is None:
            return
        if process.is_alive():
            process.terminate()
        process.join(JOIN_SECONDS)
        if process.is_alive():
            process.kill()
            process.join(JOIN_SECONDS)
        conn.close()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# --- the reader process -----------------------------------------------------------------
def _reader_main(*args) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the importing process's to handle: it stops this one
    _read_files(*args)


def _read_files(conn, paths: list[tuple[str, str]], chunk: int, fast: bool, database: str | None = None) -> None:
    """Send the chunks of each (path, source). A resource's fact is worked out only for a type
    its source had no record of in ``database`` when first seen (else Prepared.fast is False: the
    importing process does it for the resources that turn out new; a re-import has none)."""
    from storage.importers.fastpath import FAST_TYPES, fast_fact
    from storage.importers.loader import _EMPTY_HASH_PREFIX, _PLAIN_TYPES
    from storage.importers.patients import patient
    from storage.importers.plans import Rejected
    from storage.importers.references import identifier_keys, parse_key

    sha1 = hashlib.sha1
    fast_types = FAST_TYPES if fast else frozenset()
    fresh: dict[tuple[str, str], bool] = {}
    try:
        db = sqlite3.connect(Path(database).resolve().as_uri() + "?mode=ro", uri=True) if database else None
    except (sqlite3.Error, ValueError):
        db = None
    source = ""

    def is_fresh(rtype: str) -> bool:
        known = fresh.get((source, rtype))
        if known is None:
            known = True
            if db is not None:
                try:
                    known = not db.execute("SELECT 1 FROM source_record WHERE source = ? AND resource_type = ? "
                                           "LIMIT 1", (source, rtype)).fetchall()  # no read left open
                except sqlite3.Error:
                    pass
            fresh[(source, rtype)] = known
        return known

    def prepared(entry: Entry):
        """The Prepared fields of a line load_chunk would index inline, else the Entry."""
        if entry.error is not None:
            return entry
        resource = entry.resource
        rtype = resource.get("resourceType")
        rid = resource.get("id")
        rid = rid.strip() if rid.__class__ is str else ""
        if rtype not in _PLAIN_TYPES or not rid:
            return entry
        if (rtype in fast_types or rtype == "Patient" and fast) and not is_fresh(rtype):
            plan = False
        elif rtype in fast_types:
            plan = fast_fact(resource, rtype)
            if plan is not None:
                plan = compact(plan)
        elif rtype == "Patient" and fast:
            try:
                found = patient(resource, None)
            except Rejected:  # the importing process maps it again, to say why
                plan = None
            else:
                plan = (found.row, found.mrn, found.mrn_is_typed, found.organization_ref, found.practitioner_refs)
        else:
            plan = None
        return (entry.location, entry.text, rtype, rid, sha1(_EMPTY_HASH_PREFIX + entry.raw).hexdigest(), plan,
                identifier_keys(rtype, resource) if "identifier" in resource else None)

    same: dict = {}  # a value → the one object sent for it (pickle then sends it once per chunk)
    one = same.setdefault

    def key(reference):
        """A literal reference's (type, id), as ReferenceIndex.key_of gives it for an NDJSON
        chunk (which has no fullUrls); else the reference itself."""
        text = reference.get("reference") if reference.__class__ is dict else None
        if text.__class__ is str and text and "?" not in text:
            found = parse_key(text)
            if found is not None:
                return found
        return reference

    def compact(plan: tuple) -> tuple:
        """A fast fact with its repeated values (codes, systems, statuses, its patient's key) as
        one object each, and its subject and encounter as keys: less to unpickle and look up."""
        middle, entered_in_error, found, components, subject, encounter = plan
        if len(same) >= 100_000:  # numbers and dates that seldom repeat: start again
            same.clear()
        # texts only: 1 == 1.0 == True and 0.0 == -0.0, so a number is sent as it is
        return (tuple([one(v, v) if v.__class__ is str else v for v in middle]), entered_in_error,
                [one(c, c) for c in found],  # codings are texts alone (codings.codings)
                [tuple([one(v, v) if v.__class__ is str else v for v in c]) for c in components]
                if components else components,
                None if subject is None else key(subject), None if encounter is None else key(encounter))

    def send(message) -> None:
        conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    try:
        for path, source in paths:
            try:
                lines = []
                for entry in read_ndjson(Path(path)):
                    lines.append(prepared(entry))
                    if len(lines) >= chunk:
                        send((_CHUNK, lines))
                        lines = []
                if lines:
                    send((_CHUNK, lines))
                send((_END,))
            except FileProblem as exc:
                send((_PROBLEM, exc.reason, exc.location))
            except (BrokenPipeError, EOFError):
                return
            except Exception as exc:  # noqa: BLE001 — the importing process reports it for this file
                try:
                    pickle.dumps(exc)
                except Exception:  # noqa: BLE001
                    exc = RuntimeError(f"{type(exc).__name__}: {exc}")
                send((_FAILED, exc))
    except (BrokenPipeError, EOFError, OSError):
        return
    finally:
        conn.close()
        if db is not None:
            db.close()
