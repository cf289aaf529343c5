"""A fact's codings name their text once, in the dictionary coding_concept

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:10:00

``fact_coding`` held each coding's system, code and display as text: 92 bytes a row, and a
1,000,000-patient pod has 25.8 million codings of a few thousand distinct texts (2,387 MB, and
its two indexes 609 MB). Each distinct (system, code, display) is now a row of
``coding_concept``, and a coding is (fact, role, concept) with one index by (fact, role,
concept): the index alone answers "this fact's codings of a role", the value test of a measure
included, so the partial index of coded values is no longer needed. Nothing is lost: every
coding keeps its id, fact, role, order and text (storage.codings reads it back). The
triggers that keep coded_fact in step read a coding's code through its concept now, so they
are made again. SQLite reuses the pages freed for the rows written next; ``carepod compact``
gives them back to the file system.
"""
from __future__ import annotations

from importlib import import_module

import sqlalchemy as sa
from alembic import op

from storage import coded_facts

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _drop_triggers(names) -> None:
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _make_triggers(triggers: dict[str, str]) -> None:
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    _drop_triggers(coded_facts.triggers())
    op.create_table('coding_concept',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('display', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coding_concept')),
    sa.UniqueConstraint('system', 'code', 'display', name='uq_coding_concept')
    )
    op.execute("INSERT INTO coding_concept (system, code, display) "
               "SELECT DISTINCT system, code, display FROM fact_coding ORDER BY system, code, display")
    op.create_table('fact_coding_compact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(), server_default='code', nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['coding_concept.id'], name='fk_fact_coding_concept_id_coding_concept'),
    sa.ForeignKeyConstraint(['fact_id'], ['clinical_fact.id'], name='fk_fact_coding_fact_id_clinical_fact',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_fact_coding')
    )
    op.execute("INSERT INTO fact_coding_compact (id, fact_id, role, concept_id) "
               "SELECT c.id, c.fact_id, c.role, n.id FROM fact_coding c JOIN coding_concept n "
               "ON n.system = c.system AND n.code = c.code AND n.display = c.display ORDER BY c.id")
    op.drop_table('fact_coding')
    op.rename_table('fact_coding_compact', 'fact_coding')
    op.create_index('ix_fact_coding_fact', 'fact_coding', ['fact_id', 'role', 'concept_id'], unique=False)
    _make_triggers(coded_facts.triggers())


def downgrade() -> None:
    _drop_triggers(coded_facts.triggers())
    op.create_table('fact_coding_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(), server_default='code', nullable=False),
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('display', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['fact_id'], ['clinical_fact.id'], name='fk_fact_coding_fact_id_clinical_fact',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_fact_coding')
    )
    op.execute("INSERT INTO fact_coding_text (id, fact_id, role, system, code, display) "
               "SELECT c.id, c.fact_id, c.role, n.system, n.code, n.display FROM fact_coding c "
               "JOIN coding_concept n ON n.id = c.concept_id ORDER BY c.id")
    op.drop_table('fact_coding')
    op.drop_table('coding_concept')
    op.rename_table('fact_coding_text', 'fact_coding')
    op.create_index('ix_fact_coding_fact', 'fact_coding', ['fact_id', 'role'], unique=False)
    op.create_index('ix_fact_coding_value', 'fact_coding', ['fact_id', 'system', 'code'], unique=False,
                    sqlite_where=sa.text("role = 'value'"))
    _make_triggers(import_module("storage.migrations.versions.0004_coded_fact_days").TRIGGERS)
