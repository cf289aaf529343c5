"""``coded_fact``: each 'code' coding of a fact with the fact columns measure criteria filter on
(patient, kind, statuses, dates), in the coding's own index order — so a whole-pod criterion
reads the facts of its value set from one index range instead of looking up millions of wide
``clinical_fact`` rows one by one (most of a complete recompute at 1M patients).

It is derived data, equal at all times a criterion reads it to ``fact_coding`` (role 'code')
joined with ``clinical_fact``. Triggers (:func:`triggers`) keep it in step when a fact or coding
is changed or deleted. A new coding is only queued by its trigger (in ``coded_fact_pending``,
a few microseconds) and its row added by :func:`catch_up`, set-based, which every writer of
many facts calls before committing (the importer per file, the demo) and the engine calls before
a whole-pod evaluation, so a fact written any other way is never missed.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterable, Iterator

from storage.measures.sql_time import END, END_GIVEN, PERIOD_PATHS, START

# open_period: the resource's date is a Period, which may be open-ended (the paths sql_time reads)
_OPEN_PERIOD = ("(CASE " + " ".join(
    f"WHEN f.kind = '{kind}' THEN json_type(f.resource_json, '{path}') IS NOT NULL" for kind, path in PERIOD_PATHS.items())
    + " ELSE 0 END)")


def has_value(fact_id: str, fact: str | None = None, every: bool = False) -> str:
    """SQL: the fact has a result of any kind (a number, a code, text or a coded value); with
    ``fact`` the alias of its clinical_fact row, else that row is looked up. ``every``: for
    (nearly) every fact, the facts with a coded value are listed once rather than looked up
    fact by fact."""
    coded = (f"{fact_id} IN (SELECT fact_id FROM fact_coding WHERE role = 'value')" if every else
             f"EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = {fact_id} AND v.role = 'value')")
    if fact is None:
        return (f"(EXISTS (SELECT 1 FROM clinical_fact x WHERE x.id = {fact_id} AND (x.value_num IS NOT NULL "
                f"OR x.value_code <> '' OR x.value_text <> '')) OR {coded})")
    return f"({fact}.value_num IS NOT NULL OR {fact}.value_code <> '' OR {fact}.value_text <> '' OR {coded})"


def _fact_values(every: bool) -> str:
    """The fact's columns as coded_fact holds them (alias f = clinical_fact). Only the kinds
    whose date may be a Period have their JSON read; each bound's calendar day is worked out
    here once (as sql_time reads it from the raw text), not by every criterion reading the row."""
    return ("f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, "
            f"{START.is_date}, {END.is_date}, {END_GIVEN}, f.start_at, f.end_at, f.recorded_at, "
            f"(CASE WHEN f.kind NOT IN ({', '.join(repr(kind) for kind in PERIOD_PATHS)}) "
            f"OR f.resource_json IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE {_OPEN_PERIOD} END), "
            f"{START.day}, {END.day}, {has_value('f.id', 'f', every)}, f.encounter_fact_id")


def rows_of(codings: str, where: str = "", every: bool = False) -> str:
    """SELECT the coded_fact rows of the 'code' codings ``c`` read from ``codings`` (SQL that
    ends with the alias c; ``every``: all of them), in the index's order (appending is faster
    than inserting at random). A row is keyed by the coding's concept."""
    return (f"SELECT c.concept_id, {_fact_values(every)} FROM {codings} CROSS JOIN clinical_fact f "
            f"ON f.id = c.fact_id WHERE c.role = 'code'{' AND ' + where if where else ''} "
            "ORDER BY c.concept_id, c.fact_id")


ALL_ROWS = rows_of("fact_coding c", every=True)


def rows_of_patients(patients: str, kinds: Iterable[str] | None = None, codings: str | None = None) -> str:
    """SELECT the coded_fact rows of the facts of the patients listed in the table ``patients``
    (its column patient_id), read from the patients' side: what coded_fact holds for them, worked
    out anew (an incremental recompute reads these rather than the pod's, see
    storage.measures.criteria.context.Context.coded_facts); ``kinds``: only facts of these kinds
    (told apart in the index, so the others' rows are not read); ``codings``: an SQL condition on
    the coding ``c`` (tested before the fact's row is read)."""
    of_kinds = "" if kinds is None else f" AND f.kind IN ({', '.join(repr(str(k)) for k in sorted(kinds))})"
    return (f"SELECT c.concept_id, {_fact_values(False)} FROM {patients} s CROSS JOIN clinical_fact f "
            f"ON f.patient_id = s.patient_id{of_kinds} CROSS JOIN fact_coding c ON c.fact_id = f.id "
            f"AND c.role = 'code'{' WHERE ' + codings if codings else ''}")


def _same_coding_left(row: str) -> str:
    """No other 'code' coding of the fact names the same concept."""
    return (f"NOT EXISTS (SELECT 1 FROM fact_coding c WHERE c.fact_id = {row}.fact_id AND c.role = 'code' "
            f"AND c.concept_id = {row}.concept_id)")


def _of_fact(fact: str) -> str:
    """Every coded_fact row of one fact (through the fact's codings)."""
    return (f"(concept_id, id) IN (SELECT c.concept_id, c.fact_id FROM fact_coding c "
            f"WHERE c.fact_id = {fact} AND c.role = 'code')")


def _value_again(fact: str) -> str:
    """Work out again whether a fact has a result, in its coded_fact rows."""
    return f"UPDATE coded_fact SET has_value = {has_value(fact)} WHERE {_of_fact(fact)};"


def triggers(rows: Callable[[str, str], str] = rows_of) -> dict[str, str]:
    """The triggers that keep coded_fact in step (name -> body), adding rows with ``rows``
    (a migration passes the row SQL of its own time)."""
    refill_fact = f"INSERT OR IGNORE INTO coded_fact {rows('fact_coding c', 'c.fact_id = NEW.id')};"
    return {
        # a new coding is queued; catch_up adds its row, set-based
        "coded_fact_coding_insert":
            "AFTER INSERT ON fact_coding WHEN NEW.role = 'code' BEGIN "
            "INSERT OR IGNORE INTO coded_fact_pending (coding_id) VALUES (NEW.id); END",
        "coded_fact_coding_delete":
            "AFTER DELETE ON fact_coding WHEN OLD.role = 'code' BEGIN "
            "DELETE FROM coded_fact WHERE concept_id = OLD.concept_id AND id = OLD.fact_id "
            f"AND {_same_coding_left('OLD')}; END",
        "coded_fact_coding_update":
            "AFTER UPDATE OF fact_id, role, concept_id ON fact_coding BEGIN "
            "DELETE FROM coded_fact WHERE OLD.role = 'code' AND concept_id = OLD.concept_id "
            f"AND id = OLD.fact_id AND {_same_coding_left('OLD')}; "
            f"INSERT OR IGNORE INTO coded_fact {rows('fact_coding c', 'c.id = NEW.id')}; "
            f"{_value_again('OLD.fact_id')} {_value_again('NEW.fact_id')} END",
        # a coded result added to or taken from a fact
        "coded_fact_value_insert":
            f"AFTER INSERT ON fact_coding WHEN NEW.role = 'value' BEGIN {_value_again('NEW.fact_id')} END",
        "coded_fact_value_delete":
            f"AFTER DELETE ON fact_coding WHEN OLD.role = 'value' BEGIN {_value_again('OLD.fact_id')} END",
        "coded_fact_fact_update":
            "AFTER UPDATE OF id, patient_id, kind, entered_in_error, status, clinical_status, intent, start_raw, "
            "end_raw, start_at, end_at, recorded_at, resource_json, value_num, value_code, value_text, "
            "encounter_fact_id "
            "ON clinical_fact BEGIN "
            f"DELETE FROM coded_fact WHERE {_of_fact('OLD.id')}; "
            f"{refill_fact} END",
        "coded_fact_fact_delete":
            f"AFTER DELETE ON clinical_fact BEGIN DELETE FROM coded_fact WHERE {_of_fact('OLD.id')}; END",
    }


_QUEUED_ROWS = rows_of("coded_fact_pending p CROSS JOIN fact_coding c ON c.id = p.coding_id")


def catch_up(con) -> int:
    """Add the rows of the codings queued since the last catch-up (a raw sqlite3 connection;
    inside the caller's transaction if one is open, else in one of its own). Returns how many."""
    if con.execute("SELECT 1 FROM coded_fact_pending LIMIT 1").fetchone() is None:
        return 0
    own = not con.in_transaction
    if own:
        con.execute("BEGIN IMMEDIATE")
    try:
        added = con.execute(f"INSERT OR IGNORE INTO coded_fact {_QUEUED_ROWS}").rowcount
        con.execute("DELETE FROM coded_fact_pending")
        if own:
            con.execute("COMMIT")
        return added
    except BaseException:
        if own:
            con.execute("ROLLBACK")
        raise


def rebuild(con) -> None:
    """Fill coded_fact anew from every fact (after a bulk load that bypassed the queue)."""
    con.execute("DELETE FROM coded_fact")
    con.execute(f"INSERT INTO coded_fact {ALL_ROWS}")
    con.execute("DELETE FROM coded_fact_pending")


@contextlib.contextmanager
def suspended(con) -> Iterator[None]:
    """A bulk load with the triggers off (they would look up each coding's fact, and a load
    that drops indexes first makes each look-up a scan); coded_fact is then filled anew, once
    the indexes are back, and the triggers made again."""
    for name in triggers():
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    rebuild(con)
    for name, body in triggers().items():
        con.execute(f"CREATE TRIGGER {name} {body}")
