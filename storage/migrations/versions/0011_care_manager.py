"""The care manager's records: risk tiers with their components, care plans and tasks with
entered-in-error and a trail, time with programme, start and billing practice, a running timer
that survives a crash, and care management consent with how it was given and its withdrawal

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 12:00:00

``patient.risk_tier`` becomes NULL until the risk model (storage.risk) computes it: the tiers
kept before were the column's default "low" for imported patients, or a rule without its
reasons; the next recompute tiers everyone again. An override of the old tier "complex" is
"high". The column is dropped and added again rather than the table copied (at a million
patients the copy would rebuild its nine indexes).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ACUTE_ENCOUNTERS = ("kind = 'encounter' AND encounter_class IN ('EMER', 'IMP', 'ACUTE', 'NONAC', 'OBSENC', 'SS') "
                    "AND entered_in_error = 0")
REFUTED_CONDITIONS = "kind = 'condition' AND verification_status IN ('refuted', 'entered-in-error')"


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), server_default=sa.text('0'), nullable=False)


def upgrade() -> None:
    op.execute("ALTER TABLE patient DROP COLUMN risk_tier")
    op.add_column('patient', sa.Column('risk_tier', sa.String(), nullable=True))
    op.execute("UPDATE patient SET risk_override = 'high' WHERE risk_override = 'complex'")
    op.add_column('patient', sa.Column('consent_method', sa.String(), server_default='', nullable=False))
    op.add_column('patient', sa.Column('consent_withdrawn_on', sa.Date(), nullable=True))
    op.create_index('ix_patient_consent', 'patient', ['practice_id', 'consent_date'],
                    sqlite_where=sa.text('consent_date IS NOT NULL'), postgresql_where=sa.text('consent_date IS NOT NULL'))

    op.create_index('ix_fact_acute_encounter', 'clinical_fact',
                    ['start_at', 'patient_id', 'encounter_class', 'end_at', 'status'],
                    sqlite_where=sa.text(ACUTE_ENCOUNTERS), postgresql_where=sa.text(ACUTE_ENCOUNTERS))
    op.create_index('ix_fact_refuted_condition', 'clinical_fact', ['id'],
                    sqlite_where=sa.text(REFUTED_CONDITIONS), postgresql_where=sa.text(REFUTED_CONDITIONS))

    op.add_column('care_goal', _flag('entered_in_error'))
    op.add_column('care_intervention', _flag('entered_in_error'))
    op.add_column('task', sa.Column('created_by', sa.String(), server_default='', nullable=False))
    op.add_column('task', sa.Column('note', sa.String(), server_default='', nullable=False))

    with op.batch_alter_table('time_entry') as batch:
        batch.add_column(sa.Column('programme', sa.String(), server_default='ccm', nullable=False))
        batch.add_column(sa.Column('performer', sa.String(), server_default='clinical_staff', nullable=False))
        batch.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('practice_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recorded_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('recorded_by', sa.String(), server_default='', nullable=False))
        batch.create_foreign_key(batch.f('fk_time_entry_practice_id_practice'), 'practice', ['practice_id'], ['id'])
        batch.create_index('ix_time_practice_date', ['practice_id', 'entry_date'])
    # the billing practice of the time already logged: the patient's practice
    op.execute("UPDATE time_entry SET practice_id = (SELECT p.practice_id FROM patient p "
               "WHERE p.id = time_entry.patient_id)")

    op.create_table(
        'running_timer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff', sa.String(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('activity', sa.String(), nullable=False),
        sa.Column('programme', sa.String(), nullable=False),
        sa.Column('state', sa.String(), server_default='running', nullable=False),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.Column('time_entry_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_running_timer_patient_id_patient')),
        sa.ForeignKeyConstraint(['time_entry_id'], ['time_entry.id'],
                                name=op.f('fk_running_timer_time_entry_id_time_entry')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_running_timer')),
    )
    op.create_index('ix_running_timer_staff', 'running_timer', ['staff', 'state'])
    op.create_table(
        'risk_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('scope', sa.String(), nullable=False),
        sa.Column('high_cut', sa.Integer(), nullable=True),
        sa.Column('patients', sa.Integer(), nullable=False),
        sa.Column('tiers', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_run')),
    )
    op.create_table(
        'risk_score',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('tier', sa.String(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('score_before', sa.Integer(), nullable=False),
        sa.Column('chronic_groups', sa.String(), nullable=False),
        sa.Column('ed_visits', sa.Integer(), nullable=False),
        sa.Column('admissions', sa.Integer(), nullable=False),
        sa.Column('discharged_at', sa.DateTime(), nullable=True),
        sa.Column('admitted_at', sa.DateTime(), nullable=True),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_risk_score_patient_id_patient'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['run_id'], ['risk_run.id'], name=op.f('fk_risk_score_run_id_risk_run')),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_risk_score')),
    )


def downgrade() -> None:
    op.drop_table('risk_score')
    op.drop_table('risk_run')
    op.drop_index('ix_running_timer_staff', table_name='running_timer')
    op.drop_table('running_timer')
    with op.batch_alter_table('time_entry') as batch:
        batch.drop_index('ix_time_practice_date')
        batch.drop_constraint('fk_time_entry_practice_id_practice', type_='foreignkey')
        for name in ('recorded_by', 'recorded_at', 'practice_id', 'started_at', 'performer', 'programme'):
            batch.drop_column(name)
    for table, column in (('task', 'note'), ('task', 'created_by'), ('care_intervention', 'entered_in_error'),
                          ('care_goal', 'entered_in_error')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index('ix_patient_consent', table_name='patient')
    op.drop_index('ix_fact_refuted_condition', table_name='clinical_fact')
    op.drop_index('ix_fact_acute_encounter', table_name='clinical_fact')
    op.execute("ALTER TABLE patient DROP COLUMN consent_withdrawn_on")
    op.execute("ALTER TABLE patient DROP COLUMN consent_method")
    op.execute("ALTER TABLE patient DROP COLUMN risk_tier")
    op.add_column('patient', sa.Column('risk_tier', sa.String(), server_default='low', nullable=False))
