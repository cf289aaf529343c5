"""Shared helpers: import patient Bundles, one practice per Bundle (each is a separate record)."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.measures import evidence_items


def import_isolated(engine, files) -> dict[str, int]:
    """Import each Bundle under its own practice; returns source patient id -> Carepod id."""
    from storage.importers.run import import_paths

    for number, path in enumerate(files):
        code = f"T{number:05d}"
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO practice (code, name) VALUES (:c, :n)"), {"c": code, "n": str(path)})
        report = import_paths(engine, [Path(path)], practice_code=code, sole_patient_bundles=True)
        assert not report.errors, [p.as_text() for p in report.errors]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT resource_id, record_id FROM source_record WHERE resource_type = 'Patient'"))
        return {rid: pid for rid, pid in rows}


@pytest.fixture
def measure_engine(engine):
    from storage.measures.valuesets import load_valuesets

    load_valuesets(engine)
    return engine


# Each gap's evidence items as rows (storage.measures.evidence_items.FIELDS), with their
# place in the gap's list (seq): "FROM (EVIDENCE_ROWS) e" reads them as a table.
EVIDENCE_ROWS = ("SELECT e.gap_id, i.key AS seq, " + ", ".join(
    f"json_extract(i.value, '$[{n}]') AS {name}" for n, name in enumerate(evidence_items.FIELDS))
    + " FROM gap_evidence e, json_each(e.items) i")


def count_evidence_writes(con) -> None:
    """From now on, count every evidence row written or deleted (in ``evidence_writes``)."""
    con.executescript(
        "CREATE TABLE evidence_writes (n INTEGER NOT NULL); INSERT INTO evidence_writes VALUES (0);"
        "CREATE TRIGGER evidence_inserted AFTER INSERT ON gap_evidence BEGIN UPDATE evidence_writes SET n = n + 1; END;"
        "CREATE TRIGGER evidence_deleted AFTER DELETE ON gap_evidence BEGIN UPDATE evidence_writes SET n = n + 1; END;"
        "CREATE TRIGGER evidence_updated AFTER UPDATE ON gap_evidence BEGIN UPDATE evidence_writes SET n = n + 1; END;")
