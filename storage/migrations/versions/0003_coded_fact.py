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

from storage import coded_facts

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The rows as this revision defined them (0004 added columns): frozen here, so a database
# upgraded through this revision gets the table this revision creates.
_VALUES = ("f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, "
           "f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, "
           "(CASE WHEN f.kind NOT IN ('observation', 'procedure') OR f.resource_json IS NULL "
           "OR NOT json_valid(f.resource_json) THEN 0 ELSE (CASE "
           "WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
           "WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 END) END)")


def _rows_of(codings: str, where: str = "") -> str:
    return (f"SELECT c.system, c.code, {_VALUES} FROM {codings} CROSS JOIN clinical_fact f ON f.id = c.fact_id "
            f"WHERE c.role = 'code'{' AND ' + where if where else ''} ORDER BY c.system, c.code, c.fact_id")


TRIGGERS = coded_facts.triggers(_rows_of)


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
