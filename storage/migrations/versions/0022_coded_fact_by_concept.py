"""coded_fact keyed by the coding's concept, with the dates' precision as flags

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 22:40:00

coded_fact (derived: storage.coded_facts) repeated each coding's system and code as text in its
key (42 bytes a row) and each date's text as the source wrote it (28 bytes), for 14.5 million
rows at 1,000,000 patients (2,590 MB). A criterion's codes are now turned into the pod's concepts
once per run, and a row is keyed by (concept, fact); of the dates' text it keeps what a criterion
reads (storage.measures.sql_time): whether each bound has only day precision, and whether an end
was given. The table is made anew and filled, and its triggers made again.
"""
from __future__ import annotations

from importlib import import_module

import sqlalchemy as sa
from alembic import op

from storage import coded_facts

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _columns(key: list, dates: list) -> list:
    return [*key,
            sa.Column('patient_id', sa.Integer(), nullable=False),
            sa.Column('kind', sa.String(), nullable=False),
            sa.Column('entered_in_error', sa.Boolean(), nullable=False),
            sa.Column('status', sa.String(), nullable=False),
            sa.Column('clinical_status', sa.String(), nullable=False),
            sa.Column('intent', sa.String(), nullable=False),
            *dates,
            sa.Column('start_at', sa.DateTime(), nullable=True),
            sa.Column('end_at', sa.DateTime(), nullable=True),
            sa.Column('recorded_at', sa.DateTime(), nullable=True),
            sa.Column('open_period', sa.Boolean(), nullable=False),
            sa.Column('start_day', sa.String(), nullable=True),
            sa.Column('end_day', sa.String(), nullable=True),
            sa.Column('has_value', sa.Boolean(), nullable=False),
            sa.Column('encounter_fact_id', sa.Integer(), nullable=True)]


def _remake(columns: list, primary_key: tuple, rows: str, triggers: dict) -> None:
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact')
    op.create_table('coded_fact', *columns, sa.PrimaryKeyConstraint(*primary_key, name=op.f('pk_coded_fact')),
                    sqlite_with_rowid=False)
    op.execute(f"INSERT INTO coded_fact {rows}")
    op.execute("DELETE FROM coded_fact_pending")  # every coding's row is there now
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    columns = _columns([sa.Column('concept_id', sa.Integer(), nullable=False), sa.Column('id', sa.Integer(), nullable=False)],
                       [sa.Column('start_is_date', sa.Boolean(), nullable=False),
                        sa.Column('end_is_date', sa.Boolean(), nullable=False),
                        sa.Column('end_given', sa.Boolean(), nullable=False)])
    _remake(columns, ('concept_id', 'id'), coded_facts.ALL_ROWS, coded_facts.triggers())


def downgrade() -> None:
    before = import_module("storage.migrations.versions.0021_coding_concepts")
    columns = _columns([sa.Column('system', sa.String(), nullable=False), sa.Column('code', sa.String(), nullable=False),
                        sa.Column('id', sa.Integer(), nullable=False)],
                       [sa.Column('start_raw', sa.String(), nullable=False),
                        sa.Column('end_raw', sa.String(), nullable=False)])
    for name in coded_facts.triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _remake(columns, ('system', 'code', 'id'), before.ALL_ROWS, before.TRIGGERS)
