"""The night nurse line: triage levels, pages of the on-call clinician, drafts, protocols

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00

- after_hours_call: who a caller not yet a patient calls about, medications and allergies
  confirmed, advice repeated back, what the practice must do; indexes for the waiting calls,
  the night's calls and the calls not yet acknowledged.
- Dispositions become the standard triage levels. Every existing call keeps its meaning:
  self_care -> home_care, office_next_day -> see_within_24h, urgent_care -> see_within_4h,
  ed -> ed_now, 911 -> call_911, on_call_paged stays.
- call_page: each page of the on-call clinician; a call's existing escalation becomes its
  first page (outcome 'reached': the clinician's decision is what the call records).
- call_draft: call entries saved as the nurse types; triage_protocol: the pod's own protocols.
- A practice without opening hours gets Monday to Friday 08:00-17:00, the fixed rule "after
  hours" meant until now, so its calls stay after hours.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# frozen here: the mapping of this migration, whatever domain.calls says later
FORWARD = {"self_care": "home_care", "office_next_day": "see_within_24h", "urgent_care": "see_within_4h",
           "ed": "ed_now", "911": "call_911", "on_call_paged": "on_call_paged"}
BACKWARD = {"home_care": "self_care", "see_within_24h": "office_next_day", "see_within_3d": "office_next_day",
            "see_within_4h": "urgent_care", "ed_now": "ed", "call_911": "911", "on_call_paged": "on_call_paged"}


def _map_dispositions(mapping: dict[str, str]) -> None:
    cases = " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in mapping.items())
    keys = ", ".join(f"'{old}'" for old in mapping)
    op.execute(f"UPDATE after_hours_call SET disposition = CASE disposition {cases} END "
               f"WHERE disposition IN ({keys})")


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN (a batch would copy the table of a large pod for nothing)
    for column in (sa.Column('patient_name', sa.String(), server_default='', nullable=False),
                   sa.Column('patient_birth_date', sa.Date(), nullable=True),
                   sa.Column('medications_confirmed', sa.Boolean(), server_default=sa.text('0'), nullable=False),
                   sa.Column('allergies_confirmed', sa.Boolean(), server_default=sa.text('0'), nullable=False),
                   sa.Column('advice_repeated_back', sa.Boolean(), server_default=sa.text('0'), nullable=False),
                   sa.Column('follow_up_note', sa.String(), server_default='', nullable=False)):
        op.add_column('after_hours_call', column)
    op.create_index('ix_call_waiting', 'after_hours_call', ['received_at'], unique=False,
                    sqlite_where=sa.text('called_back_at IS NULL'))
    op.create_index('ix_call_received', 'after_hours_call', ['received_at'], unique=False)
    op.create_index('ix_call_unacknowledged', 'after_hours_call', ['received_at'], unique=False,
                    sqlite_where=sa.text('acknowledged_at IS NULL'))
    _map_dispositions(FORWARD)

    op.create_table(
        'call_page',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('clinician_id', sa.Integer(), nullable=False),
        sa.Column('paged_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.String(), server_default='awaiting', nullable=False),
        sa.Column('note', sa.String(), server_default='', nullable=False),
        sa.Column('by', sa.String(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['call_id'], ['after_hours_call.id'], name=op.f('fk_call_page_call_id_after_hours_call'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['clinician_id'], ['clinician.id'], name=op.f('fk_call_page_clinician_id_clinician')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_page')),
    )
    op.create_index('ix_call_page_call', 'call_page', ['call_id'], unique=False)
    op.execute("INSERT INTO call_page (call_id, clinician_id, paged_at, outcome, note, by) "
               "SELECT id, escalated_to_id, coalesce(escalated_at, called_back_at, received_at), 'reached', '', taken_by "
               "FROM after_hours_call WHERE escalated_to_id IS NOT NULL ORDER BY id")

    op.create_table(
        'call_draft',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_draft')),
    )
    op.create_index('ix_call_draft_actor', 'call_draft', ['actor'], unique=False)
    op.create_table(
        'triage_protocol',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.text('1'), nullable=False),
        sa.Column('created_by', sa.String(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_protocol')),
        sa.UniqueConstraint('name', name=op.f('uq_triage_protocol_name')),
    )
    op.execute("INSERT INTO practice_hours (practice_id, weekday, opens, closes) "
               "SELECT p.id, d.weekday, '08:00', '17:00' FROM practice p CROSS JOIN "
               "(SELECT 0 AS weekday UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) d "
               "WHERE NOT EXISTS (SELECT 1 FROM practice_hours h WHERE h.practice_id = p.id) "
               "ORDER BY p.id, d.weekday")


def downgrade() -> None:
    op.drop_table('triage_protocol')
    op.drop_index('ix_call_draft_actor', table_name='call_draft')
    op.drop_table('call_draft')
    op.drop_index('ix_call_page_call', table_name='call_page')
    op.drop_table('call_page')
    _map_dispositions(BACKWARD)
    op.drop_index('ix_call_unacknowledged', table_name='after_hours_call')
    op.drop_index('ix_call_received', table_name='after_hours_call')
    op.drop_index('ix_call_waiting', table_name='after_hours_call')
    with op.batch_alter_table('after_hours_call') as batch:
        batch.drop_column('follow_up_note')
        batch.drop_column('advice_repeated_back')
        batch.drop_column('allergies_confirmed')
        batch.drop_column('medications_confirmed')
        batch.drop_column('patient_birth_date')
        batch.drop_column('patient_name')
