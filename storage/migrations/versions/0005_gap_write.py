"""gap_write: how many times each measure's gaps of a period were written; a fact's codings indexed with their role

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 20:55:00

A recompute prepares a measure's writes before taking SQLite's write lock and, holding it,
checks this number to know nobody wrote the same measure's gaps in between.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gap_write',
    sa.Column('measure_id', sa.String(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_gap_write_measure_id_measure')),
    sa.PrimaryKeyConstraint('measure_id', 'period_start', 'period_end', name=op.f('pk_gap_write'))
    )
    # a fact's codings by role from the index alone (coded_fact's has_value, value tests)
    op.drop_index('ix_fact_coding_fact', table_name='fact_coding')
    op.create_index('ix_fact_coding_fact', 'fact_coding', ['fact_id', 'role'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fact_coding_fact', table_name='fact_coding')
    op.create_index('ix_fact_coding_fact', 'fact_coding', ['fact_id'], unique=False)
    op.drop_table('gap_write')
