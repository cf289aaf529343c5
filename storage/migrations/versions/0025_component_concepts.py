"""What an observation's component measured is its concept

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 23:40:00

fact_component (a blood pressure's systolic and diastolic readings) kept the system, code and
display of what each reading measured as text on every row (45 bytes: 110 MB at 1,000,000
patients), the text coding_concept holds once. A component now names that concept; nothing is
lost (storage.importers.store.Store.components and the ORM's mapping read the text back).
"""
from __future__ import annotations

from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE fact_component ADD COLUMN concept_id INTEGER REFERENCES coding_concept (id)")
    op.execute("INSERT OR IGNORE INTO coding_concept (system, code, display) "
               "SELECT DISTINCT system, code, display FROM fact_component ORDER BY 1, 2, 3")
    op.execute("UPDATE fact_component SET concept_id = (SELECT n.id FROM coding_concept n WHERE "
               "n.system = fact_component.system AND n.code = fact_component.code AND n.display = fact_component.display)")
    for column in ("system", "code", "display"):
        op.execute(f"ALTER TABLE fact_component DROP COLUMN {column}")


def downgrade() -> None:
    op.execute("ALTER TABLE fact_component ADD COLUMN system VARCHAR DEFAULT '' NOT NULL")
    op.execute("ALTER TABLE fact_component ADD COLUMN code VARCHAR DEFAULT '' NOT NULL")
    op.execute("ALTER TABLE fact_component ADD COLUMN display VARCHAR DEFAULT '' NOT NULL")
    op.execute("UPDATE fact_component SET (system, code, display) = (SELECT n.system, n.code, n.display "
               "FROM coding_concept n WHERE n.id = fact_component.concept_id) WHERE concept_id IS NOT NULL")
    op.execute("ALTER TABLE fact_component DROP COLUMN concept_id")
