"""A practice's calendar: its time zone, opening hours by weekday, its own closed days

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:00:00

"After hours" and "business day" are computed from these (domain.business_days) rather than
from a fixed 5 pm - 8 am; instants stay in UTC and are shown in the practice's zone.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('practice') as batch:
        batch.add_column(sa.Column('time_zone', sa.String(), server_default='America/New_York', nullable=False))
    op.create_table(
        'practice_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('opens', sa.String(length=5), nullable=False),
        sa.Column('closes', sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_practice_hours_practice_id_practice')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_hours')),
        sa.UniqueConstraint('practice_id', 'weekday', name='uq_practice_hours_day'),
    )
    op.create_table(
        'practice_closed_day',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'],
                                name=op.f('fk_practice_closed_day_practice_id_practice')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_closed_day')),
        sa.UniqueConstraint('practice_id', 'day', name='uq_practice_closed_day'),
    )


def downgrade() -> None:
    op.drop_table('practice_closed_day')
    op.drop_table('practice_hours')
    with op.batch_alter_table('practice') as batch:
        batch.drop_column('time_zone')
