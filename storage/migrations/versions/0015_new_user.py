"""What a new user needs to trust: a holding place for imported patients whose practice is not
known, structured exclusion and refusal reasons, when gaps were evaluated, and pod settings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00

- ``practice.holding``: the practice an import used to create as a peer ("Imported") becomes the
  holding place it always should have been: never ranked, never a filter choice; its patients
  are assigned to a real practice by a person.
- ``gap_override.reason_code`` / ``applies_from`` / ``source``: a documented exclusion or refusal
  names a reason from the measure's list, the day it applies from and where it is documented.
- ``gap_evaluation``: when a period's gaps were last evaluated (the whole pod or some patients).
- ``pod_setting``: settings shared by every user of the pod (minimum denominator of a ranked rate).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

HOLDING_NAME = "Practice not known yet"


def upgrade() -> None:
    with op.batch_alter_table('practice') as batch:
        # a constant default: SQLite adds the column in place (a recreated table would be dropped
        # under the foreign keys of the patients that refer to it)
        batch.add_column(sa.Column('holding', sa.Boolean(), server_default='0', nullable=False))
    # the importer's catch-all practice was a holding place in all but name
    op.execute(sa.text("UPDATE practice SET holding = 1, name = CASE WHEN name = 'Imported' THEN :name "
                       "ELSE name END WHERE code = 'IMPORTED'").bindparams(name=HOLDING_NAME))
    with op.batch_alter_table('gap_override') as batch:
        batch.add_column(sa.Column('reason_code', sa.String(), server_default='', nullable=False))
        batch.add_column(sa.Column('applies_from', sa.Date(), nullable=True))
        batch.add_column(sa.Column('source', sa.String(), server_default='', nullable=False))
    op.create_table(
        'gap_evaluation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('evaluated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], ondelete='CASCADE',
                                name=op.f('fk_gap_evaluation_patient_id_patient')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_evaluation')),
    )
    op.create_index('ix_gap_evaluation_patient', 'gap_evaluation', ['patient_id', 'period_end'])
    op.create_table(
        'pod_setting',
        sa.Column('key', sa.String(), nullable=False),
        sa.Column('value', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_pod_setting')),
    )


def downgrade() -> None:
    op.drop_table('pod_setting')
    op.drop_index('ix_gap_evaluation_patient', table_name='gap_evaluation')
    op.drop_table('gap_evaluation')
    with op.batch_alter_table('gap_override') as batch:
        batch.drop_column('source')
        batch.drop_column('applies_from')
        batch.drop_column('reason_code')
    with op.batch_alter_table('practice') as batch:
        batch.drop_column('holding')
