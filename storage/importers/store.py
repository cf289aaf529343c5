"""The bulk writer: one SQLite transaction per file, rows written with ``executemany``.

A speed module, SQLite's alone: it works on the DB-API connection (not the ORM) because an
import writes millions of rows. The rows other rows name (patients, facts, clinicians,
referrals) get their ids here, from a block that starts after the table's largest id, read
once the write lock is held (BEGIN IMMEDIATE: nobody else adds rows until the file
commits), so a fact's codings can name it without a round trip; every other row (codings,
components, source records, revisions, referral events) gets its id from the database.
Inserts are buffered per table and flushed in one ``executemany`` each. Updates keep the
earlier values in ``record_revision`` as the repositories do. A new fact goes in through
:meth:`Store.new_fact`, whichever way the loader mapped it.
"""
from __future__ import annotations

import datetime as dt
import json
import operator

from storage import audit_chain, coded_facts, referral_due
from storage.codings import Concepts, components_with_text, facts_with_text, of_fact
from storage.schema import FACT_COLUMNS, sql_datetime

PATIENT_COLUMNS = (
    "id", "practice_id", "mrn", "family", "given", "birth_date", "sex", "phone", "phone_alt",
    "address_line", "city", "state", "postal_code", "language", "payer_id", "member_id", "pcp_id",
    "status", "deceased_date", "attributed_from", "attributed_to", "family_key", "given_key",
    "phone_key", "created_at", "updated_at",
)
# rows whose ids the database gives: their columns without the id
SOURCE_COLUMNS = ("source", "resource_type", "resource_id", "record_table", "record_id", "content_hash",
                  "import_run_id")
REFERRAL_COLUMNS = ("id", "patient_id", "clinician_id", "specialty", "specialist", "reason", "urgency",
                    "state", "state_since", "ordered_at", "appointment_at", "source_key", "entered_in_error")
EVENT_COLUMNS = ("referral_id", "from_state", "to_state", "at", "by", "note")
CLINICIAN_COLUMNS = ("id", "practice_id", "family", "given", "npi", "credentials", "active")
# A fact as the importer builds and buffers it: its code's system and display as text beside the
# code, where the table keeps the concept of all three (storage.codings); written as FACT_WRITTEN.
FACT_ROW = tuple(part for name in FACT_COLUMNS if name != "concept_id"
                 for part in (("code_system", "code", "display") if name == "code" else (name,)))
# codings and components as buffered: their text (system, code, display) in place of their concept
CODING_ROW = ("fact_id", "role", "system", "code", "display")
COMPONENT_ROW = ("fact_id", "system", "code", "display", "value_num", "value_unit", "value_code")


class _ByConcept:
    """How the buffered rows of a table naming a code are written: the columns the table keeps,
    then the concept of the code's text (``text``: the buffered system, code and display)."""

    def __init__(self, table: str, buffered: tuple[str, ...], text: tuple[str, str, str]):
        from storage import schema

        columns = schema.metadata.tables[table].columns
        kept = tuple(c for c in buffered if c in columns)
        self.written = (*kept, "concept_id")
        self.kept = operator.itemgetter(*(buffered.index(c) for c in kept))
        self.texts = operator.itemgetter(*(buffered.index(c) for c in text))


_BY_CONCEPT = {
    "clinical_fact": _ByConcept("clinical_fact", FACT_ROW, ("code_system", "code", "display")),
    "fact_coding": _ByConcept("fact_coding", CODING_ROW, ("system", "code", "display")),
    "fact_component": _ByConcept("fact_component", COMPONENT_ROW, ("system", "code", "display")),
}
FACT_WRITTEN = _BY_CONCEPT["clinical_fact"].written
_TABLES = {
    "clinical_fact": FACT_ROW, "patient": PATIENT_COLUMNS, "fact_coding": CODING_ROW,
    "fact_component": COMPONENT_ROW, "source_record": SOURCE_COLUMNS, "referral": REFERRAL_COLUMNS,
    "referral_event": EVENT_COLUMNS, "clinician": CLINICIAN_COLUMNS,
}
# the tables whose new rows are named by others before they are written: ids from a block
_NAMED = ("clinical_fact", "patient", "clinician", "referral")
# children are flushed after their parents (foreign keys are checked row by row)
_FLUSH_ORDER = ("clinician", "patient", "clinical_fact", "fact_coding", "fact_component",
                "referral", "referral_event", "source_record")
_IN_LIMIT = 500
RECORD_TYPES = {"patient": "Patient", "clinical_fact": "ClinicalFact", "referral": "Referral",
                "clinician": "Clinician"}


def _defaults(table: str) -> dict:
    """Column defaults of the schema (empty texts, false flags) for columns a row leaves out."""
    from storage import schema

    out = {"code_system": "", "display": ""} if table == "clinical_fact" else {}
    for column in schema.metadata.tables[table].columns:
        if column.default is not None and not callable(column.default.arg):
            out[column.name] = column.default.arg
    return out


_DEFAULTS = {name: _defaults(name) for name in _TABLES}


def _converted_positions(table: str) -> tuple[int, ...]:
    """Positions of the date, time and flag columns, whose Python values are converted first:
    dates to SQLAlchemy's text, and booleans to ints (sqlite3 takes a bool only after a failed
    adapter look-up that costs more than the rest of the row's binding)."""
    import sqlalchemy as sa
    from storage import schema

    columns = schema.metadata.tables[table].columns
    return tuple(index for index, name in enumerate(_TABLES[table]) if name in columns
                 and issubclass(type(columns[name].type), (sa.DateTime, sa.Date, sa.Boolean)))


def sql_value(value):
    """A Python value as SQLAlchemy would have stored it in SQLite."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_ALL_DEFAULTS = {name: {c: _DEFAULTS[name].get(c) for c in columns} for name, columns in _TABLES.items()}
_CONVERTED = {name: _converted_positions(name) for name in _TABLES}
_GETTERS = {name: operator.itemgetter(*columns) for name, columns in _TABLES.items()}
_MIDDLE = operator.itemgetter(*FACT_ROW[2:24])  # a fact row's values from kind to discharge_code


class Store:
    """``dry_run``: every file is a savepoint inside one transaction that :meth:`finish` rolls
    back, so a dry run of a bulk export sees its Patient file when it checks the others."""

    def __init__(self, connection, actor: str, run_id: int, now: dt.datetime, *, dry_run: bool = False):
        self.db = connection
        self.actor, self.run_id = actor, run_id
        self.now = sql_datetime(now)
        self.dry_run = dry_run
        # one list per table for the whole run, emptied when written (new_fact keeps four at hand)
        self.pending: dict[str, list[tuple]] = {name: [] for name in _TABLES}
        self._facts, self._codings = self.pending["clinical_fact"], self.pending["fact_coding"]
        self._components, self._sources = self.pending["fact_component"], self.pending["source_record"]
        self.next_id: dict[str, int] = {}
        self.next_fact_id = 0
        # codings wait in their buffer as (fact, role, system, code, display), and are written
        # as (fact, role, concept) with the concept of their text (storage.codings)
        self.concepts = Concepts()

    # --- transaction ---------------------------------------------------------
    def begin(self) -> None:
        if not self.dry_run:
            self.db.execute("BEGIN IMMEDIATE")
        else:
            if not self.db.in_transaction:
                self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("SAVEPOINT import_file")
        self._forget_pending()
        for name in _NAMED:
            self.next_id[name] = (self.db.execute(f"SELECT max(id) FROM {name}").fetchone()[0] or 0) + 1
        self.next_fact_id = self.next_id.pop("clinical_fact")

    def _forget_pending(self) -> None:
        for rows in self.pending.values():
            rows.clear()
        self.concepts.forget()  # the concepts a rolled-back file added are gone with it

    def commit(self) -> None:
        self.flush()
        coded_facts.catch_up(self.db)  # the measure criteria's rows of the facts just written
        referral_due.fill_missing(self.db)  # the practice and due time of the referrals just written
        self.db.execute("RELEASE import_file" if self.dry_run else "COMMIT")

    def rollback(self) -> None:
        self._forget_pending()
        if self.db.in_transaction:
            if self.dry_run:
                self.db.execute("ROLLBACK TO import_file")
                self.db.execute("RELEASE import_file")
            else:
                self.db.execute("ROLLBACK")

    def finish(self) -> None:
        """End of the run: a dry run's transaction is undone, whatever its files did."""
        self._forget_pending()
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def new_id(self, table: str) -> int:
        """The id of a new patient, clinician or referral (a fact's: :meth:`new_fact`)."""
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, row: tuple) -> None:
        self.pending[table].append(row)

    def flush(self) -> None:
        for table in _FLUSH_ORDER:
            rows = self.pending[table]
            if rows:
                columns = _TABLES[table]
                by_concept = _BY_CONCEPT.get(table)
                if by_concept is not None:  # the text of the code as its concept
                    kept, texts, id_of, db = by_concept.kept, by_concept.texts, self.concepts.id_of, self.db
                    rows, columns = [(*kept(row), id_of(db, *texts(row))) for row in rows], by_concept.written
                self.db.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
                self.pending[table].clear()

    def new_fact(self, patient_id: int, middle: tuple, entered_in_error: int, codings: list, components: list,
                 encounter_fact_id: int | None, source: str, rtype: str, rid: str, text: str,
                 content_hash: str) -> int:
        """A new fact into the buffers with its codings (each once), components and source
        record; returns its id. ``middle``: its values from kind to discharge_code as stored
        (:func:`fact_middle`). The one writer of new facts: it runs for most resources of an
        import, so it is written for speed."""
        fact_id = self.next_fact_id
        self.next_fact_id = fact_id + 1
        self._facts.append((fact_id, patient_id, *middle, encounter_fact_id, f"{source}|{rtype}|{rid}", text,
                            entered_in_error, self.now))  # identity.source_key
        if len(codings) == 1:
            self._codings.append((fact_id, *codings[0]))
        else:
            self._codings.extend([(fact_id, *coding) for coding in dict.fromkeys(codings)])
        if components:
            self._components.extend([(fact_id, *component) for component in components])
        self._sources.append((source, rtype, rid, "clinical_fact", fact_id, content_hash, self.run_id))
        return fact_id

    # --- look-ups --------------------------------------------------------------
    def find_sources(self, source: str, keys) -> dict[tuple[str, str], tuple[str, int, str]]:
        """(type, id) → (record table, record id, content hash) of what this source sent before."""
        by_type: dict[str, list[str]] = {}
        for rtype, rid in keys:
            by_type.setdefault(rtype, []).append(rid)
        found = {}
        for rtype, ids in by_type.items():
            for start in range(0, len(ids), _IN_LIMIT):
                part = ids[start:start + _IN_LIMIT]
                rows = self.db.execute(
                    "SELECT resource_id, record_table, record_id, content_hash FROM source_record "
                    f"WHERE source = ? AND resource_type = ? AND resource_id IN ({','.join('?' * len(part))})",
                    [source, rtype, *part])
                for rid, table, record_id, content_hash in rows:
                    found[(rtype, rid)] = (table, record_id, content_hash)
        return found

    def one(self, sql: str, params=()):
        return self.db.execute(sql, params).fetchone()

    def row(self, table: str, record_id: int) -> dict:
        """A row by its columns; a fact's with its code's text in place of its concept (as :data:`FACT_ROW`)."""
        source = facts_with_text() if table == "clinical_fact" else table
        cursor = self.db.execute(f"SELECT * FROM {source} WHERE id = ?", (record_id,))
        names = [d[0] for d in cursor.description]
        values = cursor.fetchone()
        found = dict(zip(names, values)) if values else {}
        if table == "clinical_fact":
            found.pop("concept_id", None)
        return found

    # --- writes ----------------------------------------------------------------
    def insert(self, table: str, values: dict) -> int:
        record_id = values.get("id") or self.new_id(table)
        values["id"] = record_id
        columns = _TABLES[table]
        row = None
        if len(values) >= len(columns):
            try:
                row = list(_GETTERS[table](values))  # a complete row (every fact): one C call
            except KeyError:
                pass
        if row is None:  # a new patient leaves columns out; an exception per row costs more than this test
            row = list(_GETTERS[table]({**_ALL_DEFAULTS[table], **values}))  # a column left out: its default
        for index in _CONVERTED[table]:
            value = row[index]
            if value is not None and value.__class__ is not str and value.__class__ is not int:
                row[index] = sql_value(value)
        self.pending[table].append(row)
        return record_id

    def remember_source(self, source: str, rtype: str, rid: str, table: str, record_id: int,
                        content_hash: str, *, existing: bool) -> None:
        if existing:
            self.db.execute(
                "UPDATE source_record SET record_table = ?, record_id = ?, content_hash = ?, import_run_id = ? "
                "WHERE source = ? AND resource_type = ? AND resource_id = ?",
                (table, record_id, content_hash, self.run_id, source, rtype, rid))
        else:
            self._sources.append((source, rtype, rid, table, record_id, content_hash, self.run_id))

    def update(self, table: str, record_id: int, values: dict, *, reason: str,
               extra_old: dict | None = None, extra_new: dict | None = None) -> bool:
        """Set the values that differ, keeping the earlier ones as a revision; True if any did."""
        self.flush()  # the row may still be waiting in a buffer
        current = self.row(table, record_id)
        old, new = dict(extra_old or {}), dict(extra_new or {})
        for name, value in values.items():
            stored = sql_value(value)
            if current.get(name) != stored and not _same_number(current.get(name), stored):
                old[name], new[name] = current.get(name), stored
        changed = {k: v for k, v in new.items() if k in values}
        if table == "clinical_fact" and changed.keys() & {"code_system", "code", "display"}:
            text = {**current, **changed}  # the code's text as it is now: its concept
            changed.pop("code_system", None), changed.pop("display", None)
            changed["concept_id"] = self.concepts.id_of(self.db, text["code_system"] or "", text["code"] or "",
                                                        text["display"] or "")
        if changed:
            if table == "patient":
                changed["updated_at"] = self.now
            self.db.execute(f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in changed)} WHERE id = ?",
                            [*changed.values(), record_id])
        if not new:
            return False
        self.db.execute(
            "INSERT INTO record_revision (record_type, record_id, changed_at, changed_by, reason, "
            "old_values, new_values) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (RECORD_TYPES.get(table, table), record_id, self.now,
             self.actor, reason, json.dumps(old, default=str), json.dumps(new, default=str)))
        return True

    def components(self, fact_id: int) -> list[tuple]:
        """A fact's components as (system, code, display, value_num, value_unit, value_code), sorted by
        their text (as the loader sorts what a resource gives)."""
        return sorted(self.db.execute(
            "SELECT system, code, display, value_num, value_unit, value_code "
            f"FROM {components_with_text()} WHERE fact_id = ?", (fact_id,)).fetchall(), key=repr)

    def codings(self, fact_id: int) -> list[tuple]:
        """A fact's codings as (role, system, code, display), sorted by their text (as the loader sorts
        what a resource gives)."""
        return sorted(of_fact(self.db, fact_id), key=repr)

    def replace_children(self, table: str, fact_id: int, rows: list[tuple]) -> None:
        """A changed fact's codings or components, in place of the ones it had."""
        self.db.execute(f"DELETE FROM {table} WHERE fact_id = ?", (fact_id,))
        self.pending[table].extend([(fact_id, *row) for row in rows])

    def audit(self, action: str, record_type: str, record_id: int | None, detail: str) -> None:
        audit_chain.append_sqlite(self.db, at=self.now, actor=self.actor, action=action, record_type=record_type,
                                  record_id=record_id, patient_id=None, detail=detail)


def fact_middle(row: dict) -> tuple:
    """A mapped fact row's values from kind to discharge_code as :meth:`Store.new_fact` takes
    them (dates as SQL text, flags as 0/1), in column order."""
    return tuple(value if value is None or value.__class__ is str or value.__class__ is float
                 else sql_value(value) for value in _MIDDLE(row))


def _same_number(a, b) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b)
