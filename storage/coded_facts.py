"""``coded_fact``: each 'code' coding of a fact with the fact columns measure criteria filter on
(patient, kind, statuses, dates), in the coding's own index order — so a whole-pod criterion
reads the facts of its value set from one index range instead of looking up millions of wide
``clinical_fact`` rows one by one (most of a complete recompute at 1M patients).

It is derived data, equal at all times a criterion reads it to ``fact_coding`` (role 'code')
joined with ``clinical_fact``. Triggers (migration 0003) keep it in step when a fact or coding
is changed or deleted. A new coding is only queued by its trigger (in ``coded_fact_pending``,
a few microseconds) and its row added by :func:`catch_up`, set-based, which every writer of
many facts calls before committing (the importer per file, the demo) and the engine calls before
a whole-pod evaluation, so a fact written any other way is never missed.
"""
from __future__ import annotations

from storage.measures.sql_time import PERIOD_PATHS

# open_period: the resource's date is a Period, which may be open-ended (the paths sql_time reads)
_OPEN_PERIOD = ("(CASE " + " ".join(
    f"WHEN f.kind = '{kind}' THEN json_type(f.resource_json, '{path}') IS NOT NULL" for kind, path in PERIOD_PATHS.items())
    + " ELSE 0 END)")
# The fact's columns as coded_fact holds them (alias f = clinical_fact); only the kinds whose
# date may be a Period have their JSON read.
FACT_VALUES = ("f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, "
               "f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, "
               f"(CASE WHEN f.kind NOT IN ({', '.join(repr(kind) for kind in PERIOD_PATHS)}) "
               f"OR f.resource_json IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE {_OPEN_PERIOD} END)")


def rows_of(codings: str, where: str = "") -> str:
    """SELECT the coded_fact rows of the 'code' codings ``c`` read from ``codings`` (SQL that
    ends with the alias c), in the index's order (appending is faster than inserting at random)."""
    return (f"SELECT c.system, c.code, {FACT_VALUES} FROM {codings} CROSS JOIN clinical_fact f ON f.id = c.fact_id "
            f"WHERE c.role = 'code'{' AND ' + where if where else ''} ORDER BY c.system, c.code, c.fact_id")


ALL_ROWS = rows_of("fact_coding c")
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
