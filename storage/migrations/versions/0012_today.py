"""The care manager's day: Today's marks, outreach plans, referral due times and the pod's
expected days, and small partial indexes for Today (high-risk and inactive patients, hospital
discharges, two-way contacts, calls to follow up)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 08:00:00

Existing open referrals get their due time from the default expected days, and every existing
outreach target its plan, worked out from its attempts.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# as storage.schema writes them (the partial indexes' conditions)
HIGH_RISK_WHERE = sa.text("coalesce(risk_override, risk_tier) IN ('high', 'complex') "
                          "AND status = 'active' AND entered_in_error = 0")
INACTIVE_WHERE = sa.text("status <> 'active' OR entered_in_error = 1")
DISCHARGE_WHERE = sa.text("kind = 'encounter' AND encounter_class IN ('IMP', 'ACUTE', 'OBSENC', 'SS')")
REACHED_WHERE = sa.text("outcome = 'reached' AND entered_in_error = 0")
CONTACT_TIME_WHERE = sa.text("activity = 'transition_of_care' AND entered_in_error = 0")
CALL_FOLLOW_UP_WHERE = sa.text("(follow_up_needed = 1 OR disposition IN ('call_911', 'ed_now')) "
                               "AND entered_in_error = 0")


def upgrade() -> None:
    # plain ADD COLUMN: a copy of the table (batch mode) would drop the old one, which checks every
    # row's children, and outreach_attempt.referral_id has no index (hours at a million patients)
    op.add_column('referral', sa.Column('due_at', sa.DateTime(), nullable=True))
    op.add_column('referral', sa.Column('practice_id', sa.Integer(), nullable=True))
    op.create_index('ix_referral_state_due', 'referral', ['state', 'due_at'])
    op.create_index('ix_referral_practice_due', 'referral', ['practice_id', 'urgency', 'due_at'])
    op.create_index('ix_referral_practice_state', 'referral', ['practice_id', 'state', 'due_at'])
    op.create_table(
        'referral_expected_days',
        sa.Column('urgency', sa.String(), nullable=False),
        sa.Column('state', sa.String(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('changed_by', sa.String(), nullable=False),
        sa.PrimaryKeyConstraint('urgency', 'state', name=op.f('pk_referral_expected_days')),
    )
    op.create_table(
        'outreach_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('gap_id', sa.Integer(), nullable=True),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(), nullable=False),
        sa.Column('days_tried', sa.Integer(), server_default='0', nullable=False),
        sa.Column('next_try_on', sa.Date(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('settled_on', sa.Date(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['gap_id'], ['gap.id'], name=op.f('fk_outreach_plan_gap_id_gap'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_outreach_plan_patient_id_patient')),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'],
                                name=op.f('fk_outreach_plan_practice_id_practice')),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'],
                                name=op.f('fk_outreach_plan_referral_id_referral')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_plan')),
        sa.UniqueConstraint('target', name=op.f('uq_outreach_plan_target')),
    )
    op.create_index('ix_outreach_plan_due', 'outreach_plan', ['practice_id', 'status', 'next_try_on'])
    op.create_index('ix_outreach_plan_patient', 'outreach_plan', ['patient_id'])
    op.create_table(
        'today_mark',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_kind', sa.String(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('occurrence_at', sa.DateTime(), nullable=True),
        sa.Column('action', sa.String(), nullable=False),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('reason', sa.String(), server_default='', nullable=False),
        sa.Column('by', sa.String(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=True),
        sa.Column('entered_in_error', sa.Boolean(), server_default=sa.text('0'), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_today_mark_patient_id_patient')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_today_mark')),
    )
    op.create_index('ix_today_mark_item', 'today_mark', ['item_kind', 'record_id'])
    op.create_index('ix_patient_high_risk', 'patient', ['practice_id', 'risk_override', 'risk_tier'],
                    sqlite_where=HIGH_RISK_WHERE)
    op.create_index('ix_patient_inactive', 'patient', ['id'], sqlite_where=INACTIVE_WHERE)
    op.create_index('ix_fact_discharge', 'clinical_fact', ['kind', 'end_at', 'patient_id', 'entered_in_error'],
                    sqlite_where=DISCHARGE_WHERE)
    op.create_index('ix_outreach_reached', 'outreach_attempt', ['patient_id', 'at'], sqlite_where=REACHED_WHERE)
    op.create_index('ix_time_contact', 'time_entry', ['patient_id', 'entry_date'], sqlite_where=CONTACT_TIME_WHERE)
    op.create_index('ix_call_follow_up', 'after_hours_call', ['practice_id', 'received_at', 'disposition',
                                                               'follow_up_needed'], sqlite_where=CALL_FOLLOW_UP_WHERE)
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    """Referrals get their patient's practice and, when open, their due time (default expected
    days); every outreach target its plan."""
    from storage.outreach_plans import rebuild_all
    from storage.referral_due import store_due_at

    conn.execute(sa.text("UPDATE referral SET practice_id = "
                         "(SELECT practice_id FROM patient WHERE patient.id = referral.patient_id)"))
    ids = list(conn.scalars(sa.text("SELECT id FROM referral WHERE state NOT IN ('closed', 'cancelled', 'declined') "
                                    "AND entered_in_error = 0")))
    store_due_at(conn, ids, {})
    rebuild_all(conn)


def downgrade() -> None:
    op.drop_index('ix_call_follow_up', table_name='after_hours_call')
    op.drop_index('ix_time_contact', table_name='time_entry')
    op.drop_index('ix_outreach_reached', table_name='outreach_attempt')
    op.drop_index('ix_fact_discharge', table_name='clinical_fact')
    op.drop_index('ix_patient_inactive', table_name='patient')
    op.drop_index('ix_patient_high_risk', table_name='patient')
    op.drop_index('ix_today_mark_item', table_name='today_mark')
    op.drop_table('today_mark')
    op.drop_index('ix_outreach_plan_patient', table_name='outreach_plan')
    op.drop_index('ix_outreach_plan_due', table_name='outreach_plan')
    op.drop_table('outreach_plan')
    op.drop_table('referral_expected_days')
    op.drop_index('ix_referral_practice_state', table_name='referral')
    op.drop_index('ix_referral_practice_due', table_name='referral')
    op.drop_index('ix_referral_state_due', table_name='referral')
    with op.batch_alter_table('referral') as batch:
        batch.drop_column('practice_id')
        batch.drop_column('due_at')
