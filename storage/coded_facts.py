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

# The fact's columns as coded_fact holds them (alias f = clinical_fact). open_period: the
# resource's date is a Period, which may be open-ended (see storage.measures.sql_time).
FACT_VALUES = (
    "f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, "
    "f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, "
    "(CASE WHEN f.resource_json IS NULL OR f.kind NOT IN ('observation', 'procedure') "
    "OR NOT json_valid(f.resource_json) THEN 0 "
    "WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
    "ELSE json_type(f.resource_json, '$.performedPeriod') IS NOT NULL END)")

# every row, in the index's order (appending is faster than inserting at random places)
ALL_ROWS = (f"SELECT c.system, c.code, {FACT_VALUES} FROM fact_coding c CROSS JOIN clinical_fact f "
            "ON f.id = c.fact_id WHERE c.role = 'code' ORDER BY c.system, c.code, c.fact_id")
_QUEUED_ROWS = (f"SELECT c.system, c.code, {FACT_VALUES} FROM coded_fact_pending p "
                "CROSS JOIN fact_coding c ON c.id = p.coding_id CROSS JOIN clinical_fact f ON f.id = c.fact_id "
                "WHERE c.role = 'code' ORDER BY c.system, c.code, c.fact_id")


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
