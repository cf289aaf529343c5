"""Migration 0015 on a pod that has data: the importer's old "Imported" practice becomes the
holding place (its patients stay where they are), documented reasons start empty, and a
practice referred to by patients survives the new column (SQLite adds it in place)."""
from __future__ import annotations

import sqlalchemy as sa

from storage.db import create_engine, open_database
from storage.migrate import upgrade_to


def test_the_old_imported_practice_becomes_the_holding_place(db_path):
    engine = create_engine(db_path)
    upgrade_to(engine, "0014")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (id, code, name) VALUES (1, 'OAK', 'Oak'), (2, 'IMPORTED', 'Imported')"))
        conn.execute(sa.text("INSERT INTO patient (id, practice_id, mrn, family, given, birth_date, sex) VALUES "
                             "(1, 1, 'M1', 'A', 'B', '1960-01-01', 'female'), (2, 2, 'X1', 'C', 'D', '1970-01-01', 'male')"))
        conn.execute(sa.text("INSERT INTO measure (id, version, title, definition) VALUES ('CMS125', '1', 'B', '{}')"))
        conn.execute(sa.text("INSERT INTO gap_override (patient_id, measure_id, period_start, period_end, kind, "
                             "reason, by, at) VALUES (1, 'CMS125', '2025-01-01', '2025-12-31', 'declined', 'x', "
                             "'Dana', '2025-06-01 10:00:00')"))
    engine.dispose()
    engine = open_database(db_path)
    with engine.connect() as conn:
        practices = conn.execute(sa.text("SELECT code, name, holding FROM practice ORDER BY id")).all()
        patients = conn.execute(sa.text("SELECT id, practice_id FROM patient ORDER BY id")).all()
        override = conn.execute(sa.text("SELECT reason, reason_code, applies_from, source FROM gap_override")).one()
    engine.dispose()
    assert [tuple(p) for p in practices] == [("OAK", "Oak", 0), ("IMPORTED", "Practice not known yet", 1)]
    assert [tuple(p) for p in patients] == [(1, 1), (2, 2)]
    assert tuple(override) == ("x", "", None, "")
