"""coded_fact carries each bound's calendar day, whether the fact has a result and its encounter

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 20:05:00

The table is derived (storage.coded_facts), so it is made anew and filled, and its triggers
are made again to add rows with the new columns. A later change to its columns freezes the
row SQL used here, as 0003 does.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage import coded_facts

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in coded_facts.triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact')
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
    sa.Column('start_day', sa.String(), nullable=True),
    sa.Column('end_day', sa.String(), nullable=True),
    sa.Column('has_value', sa.Boolean(), nullable=False),
    sa.Column('encounter_fact_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('system', 'code', 'id', name=op.f('pk_coded_fact')),
    sqlite_with_rowid=False
    )
    op.execute(f"INSERT INTO coded_fact {coded_facts.ALL_ROWS}")
    op.execute("DELETE FROM coded_fact_pending")  # every coding's row is there now
    for name, body in coded_facts.triggers().items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    # back to 0003's table (its columns only) and triggers
    from importlib import import_module

    for name in coded_facts.triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact')
    import_module("storage.migrations.versions.0003_coded_fact").create_coded_fact()
    op.execute("DELETE FROM coded_fact_pending")
