"""Shared helpers: import patient Bundles, one practice per Bundle (each is a separate record)."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa


def import_isolated(engine, files) -> dict[str, int]:
    """Import each Bundle under its own practice; returns source patient id -> Carepod id."""
    from storage.importers.run import import_paths

    for number, path in enumerate(files):
        code = f"T{number:05d}"
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO practice (code, name) VALUES (:c, :n)"), {"c": code, "n": str(path)})
        report = import_paths(engine, [Path(path)], practice_code=code)
        assert not report.errors, [p.as_text() for p in report.errors]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT resource_id, record_id FROM source_record WHERE resource_type = 'Patient'"))
        return {rid: pid for rid, pid in rows}


@pytest.fixture
def measure_engine(engine):
    from storage.measures.valuesets import load_valuesets

    load_valuesets(engine)
    return engine
