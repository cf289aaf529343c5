"""Migration 0008 folds each gap's evidence rows into one row of JSON items and moves its
"new" history row onto the gap (created_at), and can be undone."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from storage.db import create_engine
from storage.measures import evidence_items
from storage.migrate import alembic_config, upgrade_to

GAP = ("INSERT INTO gap (id, patient_id, measure_id, period_start, period_end, group_index, state, due_date, "
       "computed_at, evidence_key) VALUES (:id, 1, 'CMS125', '2025-01-01', '2025-12-31', :id - 1, :state, NULL, :at, 42)")
ROW = ("INSERT INTO gap_evidence (gap_id, population, rule, fact_id, code_system, code, fact_date, detail) "
       "VALUES (:g, :p, :r, :f, :s, :c, :d, :x)")
HISTORY = "INSERT INTO gap_history (gap_id, from_state, to_state, at) VALUES (:g, :f, :t, :at)"
NEW, LATER = "2025-02-01 08:00:00.000000", "2025-06-01 08:00:00.000000"
FACT_ROWS = [  # gap 1's rows, in the order written
    dict(g=1, p="initial-population", r="Visit", f=7, s="http://www.ama-assn.org/go/cpt", c="99215",
         d="2025-01-10 00:00:00.000000", x=""),
    dict(g=1, p="numerator", r="Mammography", f=12, s="http://loinc.org", c="24606-6",
         d="2025-02-01 00:00:00.000000", x=""),
    dict(g=1, p="denominator-exclusion", r="patient declined", f=None, s="", c="", d=None,
         x='Said "no" — documented by nurse.kim on 2025-03-01'),
]


def _pod_at_0007(db_path):
    engine = create_engine(db_path)
    upgrade_to(engine, "0007")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (id, code, name) VALUES (1, 'OAK', 'Oak Family Medicine')"))
        conn.execute(sa.text("INSERT INTO patient (id, practice_id, mrn, family, given, birth_date) "
                             "VALUES (1, 1, 'A1', 'Test', 'Pat', '1960-01-01')"))
        conn.execute(sa.text("INSERT INTO clinical_fact (id, patient_id, kind) VALUES (:id, 1, 'observation')"),
                     [dict(id=7), dict(id=12)])
        conn.execute(sa.text("INSERT INTO measure (id, version, title, definition) VALUES "
                             "('CMS125', '1', 'Breast Cancer Screening', '{}')"))
        conn.execute(sa.text(GAP), [dict(id=1, state="closed", at=LATER), dict(id=2, state="open", at=NEW)])
        conn.execute(sa.text(ROW), FACT_ROWS)
        conn.execute(sa.text(HISTORY), [dict(g=1, f=None, t="open", at=NEW), dict(g=1, f="open", t="closed", at=LATER),
                                        dict(g=2, f=None, t="open", at=NEW)])
    return engine


def test_upgrade_folds_evidence_rows_and_moves_the_first_computation_onto_the_gap(db_path):
    engine = _pod_at_0007(db_path)
    upgrade_to(engine, "0008")
    with engine.connect() as conn:
        items = dict(conn.execute(sa.text("SELECT gap_id, items FROM gap_evidence")).all())
        gaps = conn.execute(sa.text("SELECT id, created_at, evidence_key FROM gap ORDER BY id")).all()
        history = conn.execute(sa.text("SELECT gap_id, from_state, to_state, at FROM gap_history")).all()
    assert list(items) == [1]  # a gap without evidence has no row
    assert evidence_items.decode(items[1]) == [
        (r["p"], r["r"], r["f"], r["s"], r["c"], r["d"][:10] if r["d"] else None, r["x"]) for r in FACT_ROWS]
    # the keys hashed the old date form: cleared, so the next recompute writes the items again
    assert [tuple(g) for g in gaps] == [(1, NEW, None), (2, NEW, None)]
    assert [tuple(h) for h in history] == [(1, "open", "closed", LATER)]
    engine.dispose()


def test_downgrade_gives_the_rows_back(db_path):
    engine = _pod_at_0007(db_path)
    upgrade_to(engine, "0008")
    command.downgrade(alembic_config(engine), "0007")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT gap_id, population, rule, fact_id, code_system, code, fact_date, detail "
                                    "FROM gap_evidence ORDER BY id")).all()
        history = conn.execute(sa.text("SELECT gap_id, from_state, to_state, at FROM gap_history "
                                       "ORDER BY gap_id, at")).all()
    assert [tuple(r) for r in rows] == [tuple(r.values()) for r in FACT_ROWS]
    assert [tuple(h) for h in history] == [(1, None, "open", NEW), (1, "open", "closed", LATER),
                                           (2, None, "open", NEW)]
    # further down, the gap table loses a column in place: its evidence and history stay
    command.downgrade(alembic_config(engine), "0005")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM gap_evidence")).scalar() == len(FACT_ROWS)
        assert conn.execute(sa.text("SELECT count(*) FROM gap_history")).scalar() == len(history)
    engine.dispose()
