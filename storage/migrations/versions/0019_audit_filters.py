"""The audit trail's filters by staff member and by action read an index

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 15:00:00

Administration ▸ Audit trail lists the events of one staff member (or one action) newest
first. Without an index SQLite walked every event from the newest to find them: a staff member
with 20 events among a year's 3,000,000 took 180 ms, and the trail only grows. ``ix_audit_actor``
and ``ix_audit_action`` hold each event's id beside its actor or action, so the page is read
from the one staff member's (or action's) events, newest first. An event is one row written per
user action or import run, so the two indexes cost nothing a user waits for.
"""
from __future__ import annotations

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_actor', 'audit_event', ['actor'])
    op.create_index('ix_audit_action', 'audit_event', ['action'])


def downgrade() -> None:
    op.drop_index('ix_audit_action', table_name='audit_event')
    op.drop_index('ix_audit_actor', table_name='audit_event')
