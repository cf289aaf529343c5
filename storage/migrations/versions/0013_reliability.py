"""Reliability: the audit trail hash-chained and append-only

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:00:00

- ``audit_event.chain_hash``: each event's link in the chain (storage.audit_chain), worked
  out here for the events already recorded, oldest first; ``audit_chain`` keeps how many
  events there are and the newest hash.
- ``gap_staging``: a measure and period whose first write is under way in steps
  (storage.measures.gap_steps), out of sight until it is complete.
- Triggers: an insert over an existing event (``REPLACE INTO``, ``INSERT OR REPLACE``, which
  the delete trigger does not see) is refused, and the chain's head only moves forward.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TRIGGERS = {
    "audit_event_no_replace":
        "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
        "WHEN NEW.id IN (SELECT id FROM audit_event) "
        "BEGIN SELECT RAISE(ABORT, 'audit events cannot be replaced'); END",
    "audit_chain_no_insert":
        "CREATE TRIGGER audit_chain_no_insert BEFORE INSERT ON audit_chain "
        "WHEN (SELECT count(*) FROM audit_chain) > 0 "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain has one head'); END",
    "audit_chain_no_rewind":
        "CREATE TRIGGER audit_chain_no_rewind BEFORE UPDATE ON audit_chain "
        "WHEN NEW.id != OLD.id OR NEW.events <= OLD.events "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain only grows'); END",
    "audit_chain_no_delete":
        "CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain "
        "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END",
}


def upgrade() -> None:
    from storage.audit_chain import link  # the chain's format: it never changes

    op.add_column('audit_event', sa.Column('chain_hash', sa.String(), server_default='', nullable=False))
    op.create_table('audit_chain',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain'))
    )
    conn = op.get_bind()
    # the events recorded so far, chained in the order they were written (the update
    # trigger is lifted for this one pass and put back as it was)
    op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    previous, count, batch = "", 0, []
    rows = conn.exec_driver_sql("SELECT id, at, actor, action, record_type, record_id, patient_id, detail "
                                "FROM audit_event ORDER BY id").fetchall()
    for event_id, at, actor, action, record_type, record_id, patient_id, detail in rows:
        previous = link(previous, str(at), actor, action, record_type, record_id, patient_id, detail)
        batch.append({"h": previous, "i": event_id})
        count += 1
    if batch:
        conn.execute(sa.text("UPDATE audit_event SET chain_hash = :h WHERE id = :i"), batch)
    op.execute("CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
               "BEGIN SELECT RAISE(ABORT, 'audit events cannot be changed'); END")
    conn.execute(sa.text("INSERT INTO audit_chain (id, events, last_hash) VALUES (1, :n, :h)"),
                 {"n": count, "h": previous})
    for sql in TRIGGERS.values():
        op.execute(sql)
    op.create_table('gap_staging',
    sa.Column('measure_id', sa.String(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_gap_staging_measure_id_measure')),
    sa.PrimaryKeyConstraint('measure_id', 'period_start', 'period_end', name=op.f('pk_gap_staging'))
    )


def downgrade() -> None:
    op.drop_table('gap_staging')
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('audit_chain')
    op.execute("ALTER TABLE audit_event DROP COLUMN chain_hash")  # in place: the table keeps its triggers
