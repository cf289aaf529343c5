"""A coding concept is never changed or removed

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:00:00

A row of coding_concept is the text of every coding that names it, across many facts and
patients: changing one would silently recode all of them (and put coded_fact out of step), so
the database refuses it, as it refuses changes to the audit trail. A new text is a new concept
(storage.codings).
"""
from __future__ import annotations

from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TRIGGERS = {
    "coding_concept_kept_on_update":
        "BEFORE UPDATE ON coding_concept BEGIN SELECT RAISE(ABORT, 'a coding concept is the text of every coding "
        "that names it and is never changed: add a new concept'); END",
    "coding_concept_kept_on_delete":
        "BEFORE DELETE ON coding_concept BEGIN SELECT RAISE(ABORT, 'a coding concept is the text of every coding "
        "that names it and is never removed'); END",
}


def upgrade() -> None:
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
