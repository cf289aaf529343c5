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

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# The triggers as this revision made them (0022 keyed coded_fact by concept): frozen here, so a
# database upgraded through this revision gets what it made.
TRIGGERS = {
    'coded_fact_coding_insert': (
        "AFTER INSERT ON fact_coding WHEN NEW.role = 'code' BEGIN INSERT OR IGNORE INTO coded_fact_pending (c"
        'oding_id) VALUES (NEW.id); END'),
    'coded_fact_coding_delete': (
        "AFTER DELETE ON fact_coding WHEN OLD.role = 'code' BEGIN DELETE FROM coded_fact WHERE (system, code)"
        ' = (SELECT o.system, o.code FROM coding_concept o WHERE o.id = OLD.concept_id) AND id = OLD.fact_id '
        'AND NOT EXISTS (SELECT 1 FROM fact_coding c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE'
        " c.fact_id = OLD.fact_id AND c.role = 'code' AND (n.system, n.code) = (SELECT o.system, o.code FROM "
        'coding_concept o WHERE o.id = OLD.concept_id)); END'),
    'coded_fact_coding_update': (
        'AFTER UPDATE OF fact_id, role, concept_id ON fact_coding BEGIN DELETE FROM coded_fact WHERE OLD.role'
        " = 'code' AND (system, code) = (SELECT o.system, o.code FROM coding_concept o WHERE o.id = OLD.conce"
        'pt_id) AND id = OLD.fact_id AND NOT EXISTS (SELECT 1 FROM fact_coding c CROSS JOIN coding_concept n '
        "ON n.id = c.concept_id WHERE c.fact_id = OLD.fact_id AND c.role = 'code' AND (n.system, n.code) = (S"
        'ELECT o.system, o.code FROM coding_concept o WHERE o.id = OLD.concept_id)); INSERT OR IGNORE INTO co'
        'ded_fact SELECT n.system, n.code, f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinic'
        'al_status, f.intent, f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, (CASE WHEN f.kind '
        "NOT IN ('observation', 'procedure') OR f.resource_json IS NULL OR NOT json_valid(f.resource_json) TH"
        "EN 0 ELSE (CASE WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS "
        "NOT NULL WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL "
        "ELSE 0 END) END), (CASE WHEN f.start_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN sub"
        "str(f.start_raw, 1, 10) WHEN f.start_raw = '' THEN date(f.start_at) END), (CASE WHEN f.end_raw GLOB "
        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.end_raw, 1, 10) WHEN f.end_raw = '' THEN"
        " date(f.end_at) END), (f.value_num IS NOT NULL OR f.value_code <> '' OR f.value_text <> '' OR EXISTS"
        " (SELECT 1 FROM fact_coding v WHERE v.fact_id = f.id AND v.role = 'value')), f.encounter_fact_id FRO"
        'M fact_coding c CROSS JOIN coding_concept n ON n.id = c.concept_id CROSS JOIN clinical_fact f ON f.i'
        "d = c.fact_id WHERE c.role = 'code' AND c.id = NEW.id ORDER BY n.system, n.code, c.fact_id; UPDATE c"
        'oded_fact SET has_value = (EXISTS (SELECT 1 FROM clinical_fact x WHERE x.id = OLD.fact_id AND (x.val'
        "ue_num IS NOT NULL OR x.value_code <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_codin"
        "g v WHERE v.fact_id = OLD.fact_id AND v.role = 'value')) WHERE (system, code, id) IN (SELECT n.syste"
        'm, n.code, c.fact_id FROM fact_coding c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE c.f'
        "act_id = OLD.fact_id AND c.role = 'code'); UPDATE coded_fact SET has_value = (EXISTS (SELECT 1 FROM "
        "clinical_fact x WHERE x.id = NEW.fact_id AND (x.value_num IS NOT NULL OR x.value_code <> '' OR x.val"
        "ue_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = NEW.fact_id AND v.role = 'v"
        "alue')) WHERE (system, code, id) IN (SELECT n.system, n.code, c.fact_id FROM fact_coding c CROSS JOI"
        "N coding_concept n ON n.id = c.concept_id WHERE c.fact_id = NEW.fact_id AND c.role = 'code'); END"),
    'coded_fact_value_insert': (
        "AFTER INSERT ON fact_coding WHEN NEW.role = 'value' BEGIN UPDATE coded_fact SET has_value = (EXISTS "
        '(SELECT 1 FROM clinical_fact x WHERE x.id = NEW.fact_id AND (x.value_num IS NOT NULL OR x.value_code'
        " <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = NEW.fact_id "
        "AND v.role = 'value')) WHERE (system, code, id) IN (SELECT n.system, n.code, c.fact_id FROM fact_cod"
        'ing c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE c.fact_id = NEW.fact_id AND c.role = '
        "'code'); END"),
    'coded_fact_value_delete': (
        "AFTER DELETE ON fact_coding WHEN OLD.role = 'value' BEGIN UPDATE coded_fact SET has_value = (EXISTS "
        '(SELECT 1 FROM clinical_fact x WHERE x.id = OLD.fact_id AND (x.value_num IS NOT NULL OR x.value_code'
        " <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = OLD.fact_id "
        "AND v.role = 'value')) WHERE (system, code, id) IN (SELECT n.system, n.code, c.fact_id FROM fact_cod"
        'ing c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE c.fact_id = OLD.fact_id AND c.role = '
        "'code'); END"),
    'coded_fact_fact_update': (
        'AFTER UPDATE OF id, patient_id, kind, entered_in_error, status, clinical_status, intent, start_raw, '
        'end_raw, start_at, end_at, recorded_at, resource_json, value_num, value_code, value_text, encounter_'
        'fact_id ON clinical_fact BEGIN DELETE FROM coded_fact WHERE (system, code, id) IN (SELECT n.system, '
        'n.code, c.fact_id FROM fact_coding c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE c.fact'
        "_id = OLD.id AND c.role = 'code'); INSERT OR IGNORE INTO coded_fact SELECT n.system, n.code, f.id, f"
        '.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, f.start_raw, f.end_r'
        "aw, f.start_at, f.end_at, f.recorded_at, (CASE WHEN f.kind NOT IN ('observation', 'procedure') OR f."
        "resource_json IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE (CASE WHEN f.kind = 'observatio"
        "n' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL WHEN f.kind = 'procedure' THEN j"
        "son_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 END) END), (CASE WHEN f.start_raw "
        "GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.start_raw, 1, 10) WHEN f.start_raw "
        "= '' THEN date(f.start_at) END), (CASE WHEN f.end_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-"
        "9]*' THEN substr(f.end_raw, 1, 10) WHEN f.end_raw = '' THEN date(f.end_at) END), (f.value_num IS NOT"
        " NULL OR f.value_code <> '' OR f.value_text <> '' OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fac"
        "t_id = f.id AND v.role = 'value')), f.encounter_fact_id FROM fact_coding c CROSS JOIN coding_concept"
        " n ON n.id = c.concept_id CROSS JOIN clinical_fact f ON f.id = c.fact_id WHERE c.role = 'code' AND c"
        '.fact_id = NEW.id ORDER BY n.system, n.code, c.fact_id; END'),
    'coded_fact_fact_delete': (
        'AFTER DELETE ON clinical_fact BEGIN DELETE FROM coded_fact WHERE (system, code, id) IN (SELECT n.sys'
        'tem, n.code, c.fact_id FROM fact_coding c CROSS JOIN coding_concept n ON n.id = c.concept_id WHERE c'
        ".fact_id = OLD.id AND c.role = 'code'); END"),
}

# and the rows coded_fact held at this revision (0022's downgrade fills it with them)
ALL_ROWS = (
    'SELECT n.system, n.code, f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status'
    ", f.intent, f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, (CASE WHEN f.kind NOT IN ('"
    "observation', 'procedure') OR f.resource_json IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE"
    " (CASE WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
    "WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 EN"
    "D) END), (CASE WHEN f.start_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.sta"
    "rt_raw, 1, 10) WHEN f.start_raw = '' THEN date(f.start_at) END), (CASE WHEN f.end_raw GLOB '[0-9][0-"
    "9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.end_raw, 1, 10) WHEN f.end_raw = '' THEN date(f.e"
    "nd_at) END), (f.value_num IS NOT NULL OR f.value_code <> '' OR f.value_text <> '' OR f.id IN (SELECT"
    " fact_id FROM fact_coding WHERE role = 'value')), f.encounter_fact_id FROM fact_coding c CROSS JOIN "
    'coding_concept n ON n.id = c.concept_id CROSS JOIN clinical_fact f ON f.id = c.fact_id WHERE c.role '
    "= 'code' ORDER BY n.system, n.code, c.fact_id")


def _drop_triggers(names) -> None:
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _make_triggers(triggers: dict[str, str]) -> None:
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def _no_codings_of_missing_facts() -> None:
    """Codings naming a fact that is not there (written by another tool with its checks off) could
    not be carried into the new table: the upgrade stops, saying so, with nothing changed."""
    orphans = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM fact_coding c WHERE NOT EXISTS (SELECT 1 FROM clinical_fact f WHERE f.id = c.fact_id)"
    )).scalar()
    if orphans:
        raise RuntimeError(f"{orphans:,} codings name clinical facts that are not in the database, so it cannot be "
                           "upgraded: run python main.py check on it, and restore a backup. Nothing was changed.")


def upgrade() -> None:
    _no_codings_of_missing_facts()
    _drop_triggers(TRIGGERS)
    op.create_table('coding_concept',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('display', sa.String(), server_default='', nullable=False),
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
    _make_triggers(TRIGGERS)


def downgrade() -> None:
    _drop_triggers(TRIGGERS)
    op.create_table('fact_coding_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(), server_default='code', nullable=False),
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('display', sa.String(), server_default='', nullable=False),
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
