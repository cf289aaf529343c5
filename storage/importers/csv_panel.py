"""CSV patient panels (attribution lists) of a practice; the layout is in docs/csv-panel.md.

Header-driven: columns in any order, header names case-insensitive with spaces, hyphens
and surrounding blanks ignored; values strict. A row names its practice by
``practice_code`` (or the import's ``--practice``); it creates or updates the patient
with that MRN. A blank cell leaves what is stored unchanged; a column that is absent
is not touched.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from pathlib import Path

from domain.clock import today
from domain.text import name_key, phone_digits
from storage.importers.loader import MAPPING_VERSION, FileLoader
from storage.importers.plans import Rejected
from storage.importers.reader import MAX_JSON_FILE_BYTES, FileProblem

COLUMNS = ("practice_code", "mrn", "family", "given", "birth_date", "sex", "phone", "phone_alt",
           "address_line", "city", "state", "postal_code", "language", "payer", "member_id",
           "pcp_npi", "pcp_name", "attributed_from", "attributed_to")
REQUIRED = ("mrn", "family", "birth_date")
SEXES = {"f": "female", "female": "female", "m": "male", "male": "male", "o": "other", "other": "other",
         "u": "unknown", "unknown": "unknown"}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
ROW_TYPE = "PanelRow"


def header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def parse_panel_date(text: str, column: str) -> dt.date:
    """YYYY-MM-DD, or MM/DD/YYYY (US order, four-digit year); nothing else."""
    iso, us = _ISO.match(text), _US.match(text)
    try:
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        if us:
            return dt.date(int(us[3]), int(us[1]), int(us[2]))
    except ValueError:
        raise Rejected(f"{column} {text!r} is not a real date") from None
    raise Rejected(f"{column} {text!r} is not a date in the form YYYY-MM-DD or MM/DD/YYYY")


def read_text(path: Path) -> str:
    data = path.read_bytes() if path.stat().st_size <= MAX_JSON_FILE_BYTES else None
    if data is None:
        raise FileProblem(f"the file is over {MAX_JSON_FILE_BYTES // (1024 * 1024)} MB; split the panel")
    if not data.strip():
        raise FileProblem("the file is empty" + (" (0 bytes)" if not data else ""))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise FileProblem(f"the file is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8",
                          f"line {line}") from None


def parse_row(values: dict[str, str], practice_code: str | None) -> dict:
    """A panel row as patient fields (only the non-blank ones); raises Rejected."""
    row: dict = {k: v for k, v in values.items() if v}
    code = row.pop("practice_code", "").upper()
    if practice_code and code and code != practice_code:
        raise Rejected(f"practice_code {code} differs from the practice chosen for this import ({practice_code})")
    row["practice_code"] = practice_code or code
    if not row["practice_code"]:
        raise Rejected("practice_code is blank")
    for column in REQUIRED:
        if not row.get(column):
            raise Rejected(f"{column} is blank")
    for column in ("birth_date", "attributed_from", "attributed_to"):
        if column in row:
            row[column] = parse_panel_date(row[column], column)
    if row["birth_date"] > today():
        raise Rejected(f"birth_date {row['birth_date'].isoformat()} is in the future")
    if row["birth_date"].year < 1880:
        raise Rejected(f"birth_date {row['birth_date'].isoformat()} is not plausible")
    if row.get("attributed_from") and row.get("attributed_to") and row["attributed_to"] < row["attributed_from"]:
        raise Rejected("attributed_to is before attributed_from")
    if "sex" in row:
        if row["sex"].lower() not in SEXES:
            raise Rejected(f"sex {row['sex']!r} is not one of F, M, O, U (female, male, other, unknown)")
        row["sex"] = SEXES[row["sex"].lower()]
    if "pcp_npi" in row and not re.fullmatch(r"\d{10}", row["pcp_npi"]):
        raise Rejected(f"pcp_npi {row['pcp_npi']!r} is not 10 digits")
    for column in ("phone", "phone_alt"):
        if column in row and len(phone_digits(row[column])) < 7:
            raise Rejected(f"{column} {row[column]!r} is not a phone number")
    return row


class PanelLoader(FileLoader):
    """Rows of one CSV panel, in the file's transaction (problems and counts as for FHIR)."""

    def load(self, text: str, practice_code: str | None) -> None:
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            raise FileProblem(f"no header row ({exc})" if str(exc) else "no header row") from None
        keys = [header_key(h) for h in header]
        unknown = [h for h, k in zip(header, keys) if k not in COLUMNS]
        if unknown:
            raise FileProblem(f"unknown column(s) {', '.join(map(repr, unknown))}; the columns are "
                              f"{', '.join(COLUMNS)} (docs/csv-panel.md)", "line 1")
        if len(set(keys)) != len(keys):
            raise FileProblem("a column appears twice in the header", "line 1")
        missing = [c for c in REQUIRED + (() if practice_code else ("practice_code",)) if c not in keys]
        if missing:
            raise FileProblem(f"missing column(s): {', '.join(missing)} (docs/csv-panel.md)", "line 1")
        seen: dict[tuple[str, str], int] = {}
        while True:
            start = reader.line_num + 1  # the row's first line (a quoted cell may hold line breaks)
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.reject(f"line {reader.line_num}", ROW_TYPE, "", f"malformed CSV: {exc}")
                continue
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(keys):
                self.reject(f"line {start}", ROW_TYPE, "", _cell_count_problem(cells, keys, line))
                continue
            control = next((k for k, c in zip(keys, cells) if "\x00" in c), None)
            if control is not None:  # a NUL cuts the text short wherever it is read: refused, not stored
                self.reject(f"line {line}", ROW_TYPE, "", f"the {control} cell holds a NUL character (byte 0)")
                continue
            values = {k: c.strip() for k, c in zip(keys, cells)}
            rid = f"{(practice_code or values.get('practice_code', '')).upper()}|{values.get('mrn', '')}"
            try:
                row = parse_row(values, practice_code)
                mrn_key = (row["practice_code"], row["mrn"].upper())
                if mrn_key in seen:
                    raise Rejected(f"MRN {row['mrn']} appears twice in this file (also line {seen[mrn_key]})")
                seen[mrn_key] = line
                self._write_row(row, rid, ",".join(cells))
            except Rejected as exc:
                self.reject(f"line {line}", ROW_TYPE, rid, str(exc))
        self.store.flush()

    def _write_row(self, row: dict, rid: str, text: str) -> None:
        content_hash = hashlib.sha1(f"{MAPPING_VERSION}\n{text}".encode()).hexdigest()
        existing = self.store.find_sources(self.source, [(ROW_TYPE, rid)]).get((ROW_TYPE, rid))
        practice = self.store.one("SELECT id FROM practice WHERE code = ?", (row["practice_code"],))
        if practice is None:
            raise Rejected(f"no practice has the code {row['practice_code']}")
        if existing and existing[2] == content_hash:
            self.counts[ROW_TYPE]["unchanged"] += 1
            self.patient_ids.add(existing[1])
            return
        fields = self._patient_fields(row, practice[0])
        current = self.store.one("SELECT id FROM patient WHERE practice_id = ? AND mrn = ?", (practice[0], row["mrn"]))
        if current:
            patient_id = current[0]
            changed = self.store.update("patient", patient_id, fields, reason=f"import: panel {self.file}")
        else:
            patient_id = self.store.insert("patient", dict(
                fields, practice_id=practice[0], mrn=row["mrn"], created_at=self.store.now,
                updated_at=self.store.now, status="active"))
            self.store.flush()
            changed = True
        self.store.remember_source(self.source, ROW_TYPE, rid, "patient", patient_id, content_hash,
                                   existing=existing is not None)
        self.patient_ids.add(patient_id)
        self.counts[ROW_TYPE]["created" if not current else "updated" if changed else "unchanged"] += 1

    def _patient_fields(self, row: dict, practice_id: int) -> dict:
        fields = {k: row[k] for k in ("family", "given", "birth_date", "sex", "phone", "phone_alt", "address_line",
                                      "city", "state", "postal_code", "language", "member_id",
                                      "attributed_from", "attributed_to") if k in row}
        if "family" in fields:
            fields["family_key"] = name_key(fields["family"])
        if "given" in fields:
            fields["given_key"] = name_key(fields["given"])
        if "phone" in fields:
            fields["phone_key"] = phone_digits(fields["phone"])
        if row.get("payer"):
            fields["payer_id"] = self._payer(row["payer"])
        if row.get("pcp_npi") or row.get("pcp_name"):
            fields["pcp_id"] = self._clinician(row.get("pcp_npi", ""), row.get("pcp_name", ""), practice_id)
        return fields

    def _payer(self, name: str) -> int:
        code = name_key(name).replace(" ", "-")[:64] or name
        found = self.store.one("SELECT id FROM payer WHERE code = ? OR lower(name) = lower(?)", (code, name))
        if found:
            return found[0]
        self.store.db.execute("INSERT INTO payer (code, name, kind) VALUES (?, ?, '')", (code, name))
        return self.store.one("SELECT id FROM payer WHERE code = ?", (code,))[0]

    def _clinician(self, npi: str, name: str, practice_id: int) -> int:
        if npi:
            found = self.store.one("SELECT id FROM clinician WHERE npi = ?", (npi,))
            if found:
                return found[0]
        family, given = _split_name(name)
        if not npi:
            found = self.store.one("SELECT id FROM clinician WHERE practice_id = ? AND lower(family) = lower(?) "
                                   "AND lower(given) = lower(?)", (practice_id, family, given))
            if found:
                return found[0]
        if not family:
            raise Rejected(f"pcp_npi {npi} names no known clinician and pcp_name is blank")
        clinician_id = self.store.insert("clinician", {"practice_id": practice_id, "family": family,
                                                       "given": given, "npi": npi, "active": True})
        self.store.flush()
        return clinician_id


def _split_name(name: str) -> tuple[str, str]:
    """"Family, Given" or "Given Family" (a trailing ", MD" style credential is dropped)."""
    name = re.sub(r",?\s*(MD|DO|NP|PA|PA-C|RN|FNP)\.?$", "", name.strip(), flags=re.I)
    if "," in name:
        family, given = name.split(",", 1)
        return family.strip(), given.strip()
    parts = name.split()
    return (parts[-1], " ".join(parts[:-1])) if parts else ("", "")


def load_csv(store, state, path: Path, label: str, source: str | None) -> PanelLoader:
    from storage.importers.identity import source_for

    loader = PanelLoader(store, state, label, source_for(path, given=source))
    practice_code = None
    if state.practice_id is not None:
        practice_code = store.one("SELECT code FROM practice WHERE id = ?", (state.practice_id,))[0]
    loader.load(read_text(path), practice_code)
    return loader


def _cell_count_problem(cells: list[str], keys: list[str], last_line: int) -> str:
    """Why a row has the wrong number of cells, as its writer would understand it: a quote left
    open swallows the following cells and lines (the commas inside it are no separators)."""
    runaway = next((i for i, c in enumerate(cells) if "\n" in c or "\r" in c), None)
    if runaway is None and len(cells) < len(keys):  # the last row of a file: no line break swallowed
        runaway = next((i for i, c in enumerate(cells) if "," in c), None)
    if runaway is not None:
        name = f"the {keys[runaway]} cell" if runaway < len(keys) else f"cell {runaway + 1}"
        return (f"a quote (\") opened in {name} is never closed, so everything after it up to line "
                f"{last_line} is read as that one cell: close the quote or remove it")
    return f"{len(cells)} cells but the header has {len(keys)}"
