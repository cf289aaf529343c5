"""coded_fact: each 'code' coding of a fact with the fact columns measures filter on, kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 17:30:00

See storage.coded_facts: derived rows for the measure criteria, kept in step by these
triggers and its catch_up; this migration fills it for the facts already there.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The rows and triggers as this revision defined them (0004 changed both): frozen here, so a
# database upgraded through this revision gets what this revision made.
_VALUES = ("f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, "
           "f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, "
           "(CASE WHEN f.kind NOT IN ('observation', 'procedure') OR f.resource_json IS NULL "
           "OR NOT json_valid(f.resource_json) THEN 0 ELSE (CASE "
           "WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
           "WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 END) END)")


def _rows_of(codings: str, where: str = "") -> str:
    return (f"SELECT c.system, c.code, {_VALUES} FROM {codings} CROSS JOIN clinical_fact f ON f.id = c.fact_id "
            f"WHERE c.role = 'code'{' AND ' + where if where else ''} ORDER BY c.system, c.code, c.fact_id")


def _same_coding_left(row: str) -> str:
    """No other 'code' coding of the fact carries the same system and code."""
    return (f"NOT EXISTS (SELECT 1 FROM fact_coding c WHERE c.fact_id = {row}.fact_id AND c.role = 'code' "
            f"AND c.system = {row}.system AND c.code = {row}.code)")


def _of_fact(fact: str) -> str:
    """Every coded_fact row of one fact (through the fact's codings)."""
    return (f"(system, code, id) IN (SELECT c.system, c.code, c.fact_id FROM fact_coding c "
            f"WHERE c.fact_id = {fact} AND c.role = 'code')")


_REFILL_FACT = f"INSERT OR IGNORE INTO coded_fact {_rows_of('fact_coding c', 'c.fact_id = NEW.id')};"

TRIGGERS = {
    # a new coding is queued; storage.coded_facts.catch_up adds its row, set-based
    "coded_fact_coding_insert":
        "AFTER INSERT ON fact_coding WHEN NEW.role = 'code' BEGIN "
        "INSERT OR IGNORE INTO coded_fact_pending (coding_id) VALUES (NEW.id); END",
    "coded_fact_coding_delete":
        "AFTER DELETE ON fact_coding WHEN OLD.role = 'code' BEGIN "
        "DELETE FROM coded_fact WHERE system = OLD.system AND code = OLD.code AND id = OLD.fact_id "
        f"AND {_same_coding_left('OLD')}; END",
    "coded_fact_coding_update":
        "AFTER UPDATE OF fact_id, role, system, code ON fact_coding BEGIN "
        "DELETE FROM coded_fact WHERE OLD.role = 'code' AND system = OLD.system AND code = OLD.code "
        f"AND id = OLD.fact_id AND {_same_coding_left('OLD')}; "
        f"INSERT OR IGNORE INTO coded_fact {_rows_of('fact_coding c', 'c.id = NEW.id')}; END",
    "coded_fact_fact_update":
        "AFTER UPDATE OF id, patient_id, kind, entered_in_error, status, clinical_status, intent, start_raw, "
        "end_raw, start_at, end_at, recorded_at, resource_json ON clinical_fact BEGIN "
        f"DELETE FROM coded_fact WHERE {_of_fact('OLD.id')}; "
        f"{_REFILL_FACT} END",
    "coded_fact_fact_delete":
        f"AFTER DELETE ON clinical_fact BEGIN DELETE FROM coded_fact WHERE {_of_fact('OLD.id')}; END",
}


def upgrade() -> None:
    op.create_table('coded_fact_pending',
    sa.Column('coding_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('coding_id', name=op.f('pk_coded_fact_pending'))
    )
    create_coded_fact()


def create_coded_fact() -> None:
    """This revision's table, filled for the facts already there, and its triggers (also
    what 0004's downgrade comes back to)."""
    op.create_table('coded_fact',
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('entered_in_error', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('clinical_status', sa.String(), nullable=False),
    sa.Column('intent', sa.String(), nullable=False),
    sa.Column('start_raw', sa.String(), nullable=False),
    sa.Column('end_raw', sa.String(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=True),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('open_period', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('system', 'code', 'id', name=op.f('pk_coded_fact')),
    sqlite_with_rowid=False
    )
    op.execute(f"INSERT OR IGNORE INTO coded_fact {_rows_of('fact_coding c')}")  # the facts already there
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact_pending')
    op.drop_table('coded_fact')
