"""Reading import files: Bundle JSON, NDJSON (one resource a line) and folders of them.

Readers never hold more than one copy of a file's text: a Bundle is parsed from the
file object; NDJSON is streamed line by line, and a line longer than
:data:`MAX_LINE_BYTES` is skipped without being kept (reported as a rejection).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from pathlib import Path
from typing import Iterator

MAX_LINE_BYTES = 16 * 1024 * 1024  # one NDJSON resource; bulk-data resources are far smaller
MAX_JSON_FILE_BYTES = 64 * 1024 * 1024  # a Bundle is parsed whole; bigger exports belong in NDJSON
FHIR_SUFFIXES = (".json", ".ndjson", ".jsonl")
CSV_SUFFIXES = (".csv",)
_SKIP_BLOCK = 1024 * 1024
# a \uD800-\uDFFF escape: half of a UTF-16 surrogate pair, which JSON lets through alone
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
NESTED_TOO_DEEPLY = "the JSON is nested too deeply (hundreds of levels; no FHIR resource is)"

# Files whose name starts with one of these load first, so that the others can
# refer to what they hold (a bulk export's Patient.ndjson before Condition.ndjson).
_LOAD_ORDER = ("Organization", "Location", "Practitioner", "PractitionerRole", "Patient",
               "Medication.", "Medication-", "Encounter", "Condition")


class FileProblem(Exception):
    """A whole file cannot be read (empty, not UTF-8, malformed, too big)."""

    def __init__(self, reason: str, location: str = ""):
        super().__init__(reason)
        self.reason, self.location = reason, location


@dataclasses.dataclass(slots=True)
class Entry:
    """One resource of a file, or the reason it could not be read."""

    location: str                      # "entry 3" or "line 17"
    resource: dict | None = None
    text: str | None = None            # the source text of the resource, when it is one line
    raw: bytes | None = None           # that text as read (hashed as is: no re-encoding)
    full_url: str = ""
    request: dict | None = None        # Bundle.entry.request of transactions and batches
    error: str | None = None


def list_files(paths: list[str | os.PathLike]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The importable files under ``paths`` (folders recursively) and the paths that are not."""
    found: list[Path] = []
    missing: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in FHIR_SUFFIXES + CSV_SUFFIXES
                            and not p.name.startswith("."))
            if not inside:
                missing.append((str(path), "the folder holds no file to import (.json, .ndjson, .jsonl or .csv)"))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            missing.append((str(path), _not_a_file(path)))
    return sorted(dict.fromkeys(found), key=_load_rank), missing


def _not_a_file(path: Path) -> str:
    """Why a path that is neither a file nor a folder is not read (a pipe or a device would
    block the import or never end)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or folder" if not path.is_symlink() else "a link to a file that is not there"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    via = " (through a link)" if path.is_symlink() else ""
    return f"it is {kind}{via}, not a file: not read"


def _load_rank(path: Path) -> tuple[int, str]:
    for rank, prefix in enumerate(_LOAD_ORDER):
        if path.name.startswith(prefix):
            return rank, str(path)
    return len(_LOAD_ORDER), str(path)


def is_csv(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


def is_ndjson(path: Path) -> bool:
    return path.suffix.lower() in (".ndjson", ".jsonl")


@dataclasses.dataclass
class BundleFile:
    """A parsed JSON file: its entries and what it says about where it came from."""

    entries: list[Entry]
    bundle_type: str = ""
    source_hint: str = ""  # Bundle.identifier (system|value) or meta.source


def read_json_file(path: Path) -> BundleFile:
    size = path.stat().st_size
    if size == 0:
        raise FileProblem("the file is empty (0 bytes)")
    if size > MAX_JSON_FILE_BYTES:
        raise FileProblem(
            f"the file is {size // (1024 * 1024)} MB; JSON files over "
            f"{MAX_JSON_FILE_BYTES // (1024 * 1024)} MB are refused: export bulk data as NDJSON")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise FileProblem(f"the file is not UTF-8 text (bad byte at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FileProblem(f"malformed JSON: {exc.msg}", f"line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise FileProblem(NESTED_TOO_DEEPLY) from None
    surrogates = _SURROGATE_ESCAPE_BYTES.search(data) is not None
    del data
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise FileProblem("not a FHIR resource: the JSON has no resourceType")
    if document["resourceType"] != "Bundle":
        return BundleFile([Entry("resource", document)])
    entries_json = document.get("entry", [])
    if not isinstance(entries_json, list):  # {} or null as well: never read as "no entries"
        raise FileProblem(f"Bundle.entry is {json.dumps(entries_json)[:40]}: a list of entries belongs there")
    entries = []
    for index, item in enumerate(entries_json):
        location = f"entry {index}"
        if not isinstance(item, dict):
            entries.append(Entry(location, error="the entry is not a JSON object"))
            continue
        resource = item.get("resource")
        request = item.get("request") if isinstance(item.get("request"), dict) else None
        if resource is None and request and request.get("method") == "DELETE":
            entries.append(Entry(location, error="DELETE requests are not imported (records are "
                                                   "marked entered-in-error in Carepod, never deleted)"))
            continue
        if not isinstance(resource, dict):
            entries.append(Entry(location, error="the entry has no resource"))
            continue
        unreadable = surrogates and text_problem(resource)
        if unreadable:
            entries.append(Entry(location, error=unreadable))
            continue
        entries.append(Entry(location, resource, full_url=str(item.get("fullUrl") or ""), request=request))
    return BundleFile(entries, str(document.get("type") or ""), _bundle_source(document))


def _bundle_source(bundle: dict) -> str:
    identifier = bundle.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        system = identifier.get("system") or ""
        return f"{system}|{identifier['value']}" if system else str(identifier["value"])
    meta = bundle.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("source"), str) and meta["source"]:
        return meta["source"]
    return ""


def read_ndjson(path: Path, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[Entry]:
    """Entries of an NDJSON file, one per non-blank line, numbered from 1."""
    if path.stat().st_size == 0:
        raise FileProblem("the file is empty (0 bytes)")
    with open(path, "rb") as handle:
        number = 0
        while True:
            line = handle.readline(max_line_bytes + 1)
            if not line:
                return
            number += 1
            location = f"line {number}"
            if len(line) > max_line_bytes and not line.endswith(b"\n"):
                skipped = len(line) + _skip_rest_of_line(handle)
                yield Entry(location, error=(
                    f"the line is {skipped // (1024 * 1024)} MB; lines over "
                    f"{max_line_bytes // (1024 * 1024)} MB are refused"))
                continue
            if not line.strip():
                continue
            yield parse_line(line, location)


def _skip_rest_of_line(handle) -> int:
    skipped = 0
    while True:
        block = handle.readline(_SKIP_BLOCK)
        skipped += len(block)
        if not block or block.endswith(b"\n"):
            return skipped


def parse_line(line: bytes, location: str) -> Entry:
    raw = line.strip()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Entry(location, error=f"not UTF-8 text (bad byte at column {exc.start + 1})")
    try:
        # json.loads's own scanner without its Python wrapper (a tenth of an NDJSON import's
        # parsing time); anything but one whole object on the line goes through json.loads,
        # so errors, trailing data and odd whitespace are reported exactly as before
        resource, end = _scan_once(text, 0)
        if end != len(text):
            resource = json.loads(text)
    except Exception:
        resource = None
    if resource is None:
        return _parse_slowly(text, location, raw)
    if not isinstance(resource, dict):
        return Entry(location, error="the line is not a JSON object")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        unreadable = text_problem(resource)
        if unreadable:
            return Entry(location, error=unreadable)
    return Entry(location, resource, text=text, raw=raw)


def text_problem(resource: dict) -> str | None:
    """Why a parsed resource cannot be stored as text, or None: a lone UTF-16 surrogate
    (``\\ud800`` with no partner) decodes to no character at all. Names the field."""
    try:
        json.dumps(resource, ensure_ascii=False).encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    except RecursionError:
        return NESTED_TOO_DEEPLY
    field = _surrogate_field(resource, "")
    return (f"{field or 'a text'} holds half of a UTF-16 surrogate pair (a \\uD800-\\uDFFF escape "
            "without its partner), which is no character: the text was damaged before it was sent")


def _surrogate_field(value, path: str) -> str | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return None
        except UnicodeEncodeError:
            return path or "a text"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str):
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                return f"{path}.{key!r}".lstrip(".")
        found = _surrogate_field(item, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}".lstrip("."))
        if found:
            return found
    return None


_scan_once = json.JSONDecoder().scan_once  # the decoder json.loads uses by default, as a C scanner


def _parse_slowly(text: str, location: str, raw: bytes) -> Entry:
    try:
        resource = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (the line is cut short)" if exc.pos >= len(text) - 1 else ""
        return Entry(location, error=f"malformed JSON at column {exc.colno}: {exc.msg}{hint}")
    except RecursionError:
        return Entry(location, error=NESTED_TOO_DEEPLY)
    if not isinstance(resource, dict):
        return Entry(location, error="the line is not a JSON object")
    return Entry(location, resource, text=text, raw=raw)


class Prepared:
    """An NDJSON line of a mapped type with an id, read by the reader process
    (:mod:`storage.importers.pipeline`): what :class:`Entry` holds, less the parsed resource
    (parsed again here only when something asks for it: the general path, a look-up), plus
    what the reader worked out from it alone: type, id, content hash, the fast path's fact
    (``fast``: :func:`storage.importers.fastpath.fast_fact`, or a Patient's ``PatientPlan``
    fields from :func:`storage.importers.patients.patient`; None for the general path; False
    when the reader left it to the importing process) and the
    (type, system, value) identifiers :class:`ReferenceIndex` files it under."""

    __slots__ = ("location", "text", "rtype", "rid", "content_hash", "fast", "identifiers", "_resource")
    raw = None  # text.encode("utf-8") is the line as read
    full_url = ""
    request = None
    error = None

    def __init__(self, location, text, rtype, rid, content_hash, fast, identifiers):
        self.location, self.text, self.rtype, self.rid = location, text, rtype, rid
        self.content_hash, self.fast, self.identifiers = content_hash, fast, identifiers
        self._resource = None

    @property
    def resource(self) -> dict:
        if self._resource is None:
            self._resource = json.loads(self.text)
        return self._resource
