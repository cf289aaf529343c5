"""The Gaps worklist's counts kept with the gaps: gap_count, gap_count_write, a trigger

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:00:00

- ``gap_count``: gaps per measure, period, population group, practice and state (patients
  not entered in error), and
  ``gap_count_write``: the ``gap_write`` version they are in step with
  (``storage.measures.gap_counts``). The worklist's counts read these few rows instead of
  counting every gap of a period (0.5-1 s at 1,000,000 patients). Built here from the gaps
  (one read of them: about a minute at 1,000,000 patients); the recompute keeps them after.
- the trigger ``gap_count_patient_changed``: a patient's change of practice moves their gaps'
  counts, a patient marked entered-in-error takes theirs out (SQLite; another database server
  gets its own when it comes).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from storage.measures import gap_counts

    op.create_table(
        'gap_count',
        sa.Column('measure_id', sa.String(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('group_index', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('measure_id', 'period_start', 'period_end', 'group_index', 'practice_id', 'state',
                                name=op.f('pk_gap_count')),
    )
    op.create_table(
        'gap_count_write',
        sa.Column('measure_id', sa.String(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('measure_id', 'period_start', 'period_end', name=op.f('pk_gap_count_write')),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(gap_counts.PATIENT_CHANGED_TRIGGER)
        gap_counts.build_all(bind.exec_driver_sql)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS gap_count_patient_changed")
    op.drop_table('gap_count_write')
    op.drop_table('gap_count')
