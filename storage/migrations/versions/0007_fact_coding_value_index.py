"""ix_fact_coding_value: a fact's coded results, indexed with their codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 23:20:00

A measure's value tests (a screening's result in a value set) read the result's code from
this small partial index instead of each coding's row.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_fact_coding_value', 'fact_coding', ['fact_id', 'system', 'code'], unique=False,
                    sqlite_where=sa.text("role = 'value'"))


def downgrade() -> None:
    op.drop_index('ix_fact_coding_value', table_name='fact_coding')
