"""Three indexes of the facts that no query needs any more: a sixth of a million-patient pod

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:00:00

- ``ix_fact_coding_code`` (fact_coding system, code, role, fact_id; 1.6 GB at 1,000,000
  patients): the whole-pod criteria that read the fact row (a medication request's JSON) now
  go from their codes through ``coded_fact``, which holds every 'code' coding in code order
  already (``storage.measures.criteria.sources``); every other reader of codings goes by fact.
- ``ix_fact_code`` (clinical_fact code_system, code; 0.5 GB) and ``ix_fact_kind_start``
  (kind, start_at; 0.6 GB): no query looks facts up by code or by kind across the pod; the
  chart, reviews and care management read a patient's facts (``ix_fact_patient_kind_start``),
  risk tiers and discharges the small partial indexes of acute encounters.

Every fact an import writes no longer pays for the three. The pages they took are free within
the file: SQLite reuses them for the facts and gaps written next; ``sqlite3 FILE VACUUM``, with
Carepod closed, gives them back to the disk (not done here: at a million patients it rewrites
the whole file and needs as much space again).
"""
from __future__ import annotations

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_fact_coding_code', table_name='fact_coding')
    op.drop_index('ix_fact_code', table_name='clinical_fact')
    op.drop_index('ix_fact_kind_start', table_name='clinical_fact')


def downgrade() -> None:
    op.create_index('ix_fact_kind_start', 'clinical_fact', ['kind', 'start_at'])
    op.create_index('ix_fact_code', 'clinical_fact', ['code_system', 'code'])
    op.create_index('ix_fact_coding_code', 'fact_coding', ['system', 'code', 'role', 'fact_id'])
