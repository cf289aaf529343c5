"""A gap's evidence as one row of JSON items; its first computation on the gap itself

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 00:20:00

A recompute of a new period wrote every gap's evidence as one row per item, each with an
index entry, and a "new" history row per gap: at a million patients 9M rows of 13M, the
larger part of what the single writer did. Now:

- ``gap_evidence`` holds one row per gap, keyed by the gap id, its items as a JSON array
  (storage.measures.evidence_items); the rows written before are folded into it, in order.
  Evidence keys are cleared: they hashed the fact's date with a time of day, the items keep
  the day alone, so each gap's evidence is written once more at the next recompute.
- ``gap.created_at`` says when a gap was first computed, taken from its "new" history row,
  which is removed; ``gap_history`` keeps the state changes after that.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('gap', sa.Column('created_at', sa.DateTime(), nullable=True))  # no table copy
    op.execute("UPDATE gap SET created_at = COALESCE((SELECT MIN(h.at) FROM gap_history h "
               "WHERE h.gap_id = gap.id AND h.from_state IS NULL), computed_at)")
    op.execute("DELETE FROM gap_history WHERE from_state IS NULL")
    op.rename_table('gap_evidence', 'gap_evidence_rows')
    op.create_table(
        'gap_evidence',
        sa.Column('gap_id', sa.Integer(), nullable=False),
        sa.Column('items', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['gap_id'], ['gap.id'], name=op.f('fk_gap_evidence_gap_id_gap'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gap_id', name=op.f('pk_gap_evidence')),
    )
    op.execute("INSERT INTO gap_evidence (gap_id, items) "
               "SELECT gap_id, json_group_array(json_array(population, rule, fact_id, code_system, code, "
               "substr(fact_date, 1, 10), detail)) "
               "FROM (SELECT * FROM gap_evidence_rows ORDER BY gap_id, id) GROUP BY gap_id")
    op.drop_table('gap_evidence_rows')  # its index goes with it
    op.execute("UPDATE gap SET evidence_key = NULL")


def downgrade() -> None:
    op.rename_table('gap_evidence', 'gap_evidence_items')
    op.create_table(
        'gap_evidence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('gap_id', sa.Integer(), nullable=False),
        sa.Column('population', sa.String(), nullable=False),
        sa.Column('rule', sa.String(), nullable=False),
        sa.Column('fact_id', sa.Integer(), nullable=True),
        sa.Column('code_system', sa.String(), server_default='', nullable=False),
        sa.Column('code', sa.String(), server_default='', nullable=False),
        sa.Column('fact_date', sa.DateTime(), nullable=True),
        sa.Column('detail', sa.String(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['fact_id'], ['clinical_fact.id'], name=op.f('fk_gap_evidence_fact_id_clinical_fact')),
        sa.ForeignKeyConstraint(['gap_id'], ['gap.id'], name=op.f('fk_gap_evidence_gap_id_gap'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_evidence')),
    )
    op.create_index('ix_gap_evidence_gap', 'gap_evidence', ['gap_id'], unique=False)
    item = [f"json_extract(i.value, '$[{n}]')" for n in range(7)]  # population, rule, fact, system, code, day, detail
    op.execute("INSERT INTO gap_evidence (gap_id, population, rule, fact_id, code_system, code, fact_date, detail) "
               f"SELECT e.gap_id, {item[0]}, {item[1]}, {item[2]}, COALESCE({item[3]}, ''), COALESCE({item[4]}, ''), "
               f"CASE WHEN {item[5]} IS NULL THEN NULL ELSE {item[5]} || ' 00:00:00.000000' END, "
               f"COALESCE({item[6]}, '') FROM gap_evidence_items e, json_each(e.items) i ORDER BY e.gap_id, i.key")
    op.drop_table('gap_evidence_items')
    op.execute("UPDATE gap SET evidence_key = NULL")
    op.execute("INSERT INTO gap_history (gap_id, from_state, to_state, at) "
               "SELECT g.id, NULL, COALESCE((SELECT h.from_state FROM gap_history h WHERE h.gap_id = g.id "
               "ORDER BY h.at, h.id LIMIT 1), g.state), g.created_at FROM gap g WHERE g.created_at IS NOT NULL")
    # in place: a batch copy of the gap table would drop the old one, and with it (foreign keys
    # being on) every gap's evidence and history
    op.execute("ALTER TABLE gap DROP COLUMN created_at")
