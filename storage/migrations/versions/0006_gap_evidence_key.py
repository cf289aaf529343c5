"""gap.evidence_key: a number standing for the gap's evidence rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 22:40:00

A recompute compares each gap's new evidence with this number instead of reading every
stored evidence row of the measure (gigabytes at a million patients). Gaps written before
have none: their evidence is written again, once, at the next recompute.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('gap', sa.Column('evidence_key', sa.Integer(), nullable=True))  # no table copy


def downgrade() -> None:
    # in place: a batch copy of the gap table would drop the old one, and with it (foreign keys
    # being on) every gap's evidence and history
    op.execute("ALTER TABLE gap DROP COLUMN evidence_key")
