"""The Gaps worklist sorted by last outreach: the outreach attempts not entered in error by time

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:30:00

- ``ix_outreach_latest`` (outreach_attempt ``at``, ``patient_id``; attempts not entered in
  error): the worklist in "Last outreach" order walks the attempts in time order and joins each
  patient's latest one to their gaps (``storage.queries.gaps``), a page at a time, instead of
  sorting every gap of the period by a per-patient maximum (4 s at 1,000,000 patients). It is an
  index on the outreach attempts, which staff log one at a time: the recompute's gap writes
  do not pay for it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_index('ix_outreach_latest', 'outreach_attempt', ['at', 'patient_id'],
                    sqlite_where=sa.text("entered_in_error = 0"), postgresql_where=sa.text("entered_in_error = false"))


def downgrade() -> None:
    op.drop_index('ix_outreach_latest', table_name='outreach_attempt')
