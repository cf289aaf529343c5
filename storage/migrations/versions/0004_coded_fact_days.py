"""coded_fact carries each bound's calendar day, whether the fact has a result and its encounter

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 20:05:00

The table is derived (storage.coded_facts), so it is made anew and filled, and its triggers
are made again to add rows with the new columns. The row SQL and triggers are this revision's,
frozen below as 0003 freezes its own.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The rows and triggers as this revision defined them (0021 changed both when codings moved
# to their concepts): frozen here, so a database upgraded through this revision gets what it made.
ALL_ROWS = (
    'SELECT c.system, c.code, f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status'
    ", f.intent, f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, (CASE WHEN f.kind NOT IN ('"
    "observation', 'procedure') OR f.resource_json IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE"
    " (CASE WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
    "WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 EN"
    "D) END), (CASE WHEN f.start_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.sta"
    "rt_raw, 1, 10) WHEN f.start_raw = '' THEN date(f.start_at) END), (CASE WHEN f.end_raw GLOB '[0-9][0-"
    "9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.end_raw, 1, 10) WHEN f.end_raw = '' THEN date(f.e"
    "nd_at) END), (f.value_num IS NOT NULL OR f.value_code <> '' OR f.value_text <> '' OR f.id IN (SELECT"
    " fact_id FROM fact_coding WHERE role = 'value')), f.encounter_fact_id FROM fact_coding c CROSS JOIN "
    "clinical_fact f ON f.id = c.fact_id WHERE c.role = 'code' ORDER BY c.system, c.code, c.fact_id")

TRIGGERS = {
    'coded_fact_coding_insert': (
        "AFTER INSERT ON fact_coding WHEN NEW.role = 'code' BEGIN INSERT OR IGNORE INTO coded_fact_pending (c"
        'oding_id) VALUES (NEW.id); END'),
    'coded_fact_coding_delete': (
        "AFTER DELETE ON fact_coding WHEN OLD.role = 'code' BEGIN DELETE FROM coded_fact WHERE system = OLD.s"
        'ystem AND code = OLD.code AND id = OLD.fact_id AND NOT EXISTS (SELECT 1 FROM fact_coding c WHERE c.f'
        "act_id = OLD.fact_id AND c.role = 'code' AND c.system = OLD.system AND c.code = OLD.code); END"),
    'coded_fact_coding_update': (
        'AFTER UPDATE OF fact_id, role, system, code ON fact_coding BEGIN DELETE FROM coded_fact WHERE OLD.ro'
        "le = 'code' AND system = OLD.system AND code = OLD.code AND id = OLD.fact_id AND NOT EXISTS (SELECT "
        "1 FROM fact_coding c WHERE c.fact_id = OLD.fact_id AND c.role = 'code' AND c.system = OLD.system AND"
        ' c.code = OLD.code); INSERT OR IGNORE INTO coded_fact SELECT c.system, c.code, f.id, f.patient_id, f'
        '.kind, f.entered_in_error, f.status, f.clinical_status, f.intent, f.start_raw, f.end_raw, f.start_at'
        ", f.end_at, f.recorded_at, (CASE WHEN f.kind NOT IN ('observation', 'procedure') OR f.resource_json "
        "IS NULL OR NOT json_valid(f.resource_json) THEN 0 ELSE (CASE WHEN f.kind = 'observation' THEN json_t"
        "ype(f.resource_json, '$.effectivePeriod') IS NOT NULL WHEN f.kind = 'procedure' THEN json_type(f.res"
        "ource_json, '$.performedPeriod') IS NOT NULL ELSE 0 END) END), (CASE WHEN f.start_raw GLOB '[0-9][0-"
        "9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.start_raw, 1, 10) WHEN f.start_raw = '' THEN date"
        "(f.start_at) END), (CASE WHEN f.end_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN subs"
        "tr(f.end_raw, 1, 10) WHEN f.end_raw = '' THEN date(f.end_at) END), (f.value_num IS NOT NULL OR f.val"
        "ue_code <> '' OR f.value_text <> '' OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = f.id AN"
        "D v.role = 'value')), f.encounter_fact_id FROM fact_coding c CROSS JOIN clinical_fact f ON f.id = c."
        "fact_id WHERE c.role = 'code' AND c.id = NEW.id ORDER BY c.system, c.code, c.fact_id; UPDATE coded_f"
        'act SET has_value = (EXISTS (SELECT 1 FROM clinical_fact x WHERE x.id = OLD.fact_id AND (x.value_num'
        " IS NOT NULL OR x.value_code <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WH"
        "ERE v.fact_id = OLD.fact_id AND v.role = 'value')) WHERE (system, code, id) IN (SELECT c.system, c.c"
        "ode, c.fact_id FROM fact_coding c WHERE c.fact_id = OLD.fact_id AND c.role = 'code'); UPDATE coded_f"
        'act SET has_value = (EXISTS (SELECT 1 FROM clinical_fact x WHERE x.id = NEW.fact_id AND (x.value_num'
        " IS NOT NULL OR x.value_code <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WH"
        "ERE v.fact_id = NEW.fact_id AND v.role = 'value')) WHERE (system, code, id) IN (SELECT c.system, c.c"
        "ode, c.fact_id FROM fact_coding c WHERE c.fact_id = NEW.fact_id AND c.role = 'code'); END"),
    'coded_fact_value_insert': (
        "AFTER INSERT ON fact_coding WHEN NEW.role = 'value' BEGIN UPDATE coded_fact SET has_value = (EXISTS "
        '(SELECT 1 FROM clinical_fact x WHERE x.id = NEW.fact_id AND (x.value_num IS NOT NULL OR x.value_code'
        " <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = NEW.fact_id "
        "AND v.role = 'value')) WHERE (system, code, id) IN (SELECT c.system, c.code, c.fact_id FROM fact_cod"
        "ing c WHERE c.fact_id = NEW.fact_id AND c.role = 'code'); END"),
    'coded_fact_value_delete': (
        "AFTER DELETE ON fact_coding WHEN OLD.role = 'value' BEGIN UPDATE coded_fact SET has_value = (EXISTS "
        '(SELECT 1 FROM clinical_fact x WHERE x.id = OLD.fact_id AND (x.value_num IS NOT NULL OR x.value_code'
        " <> '' OR x.value_text <> '')) OR EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = OLD.fact_id "
        "AND v.role = 'value')) WHERE (system, code, id) IN (SELECT c.system, c.code, c.fact_id FROM fact_cod"
        "ing c WHERE c.fact_id = OLD.fact_id AND c.role = 'code'); END"),
    'coded_fact_fact_update': (
        'AFTER UPDATE OF id, patient_id, kind, entered_in_error, status, clinical_status, intent, start_raw, '
        'end_raw, start_at, end_at, recorded_at, resource_json, value_num, value_code, value_text, encounter_'
        'fact_id ON clinical_fact BEGIN DELETE FROM coded_fact WHERE (system, code, id) IN (SELECT c.system, '
        "c.code, c.fact_id FROM fact_coding c WHERE c.fact_id = OLD.id AND c.role = 'code'); INSERT OR IGNORE"
        ' INTO coded_fact SELECT c.system, c.code, f.id, f.patient_id, f.kind, f.entered_in_error, f.status, '
        'f.clinical_status, f.intent, f.start_raw, f.end_raw, f.start_at, f.end_at, f.recorded_at, (CASE WHEN'
        " f.kind NOT IN ('observation', 'procedure') OR f.resource_json IS NULL OR NOT json_valid(f.resource_"
        "json) THEN 0 ELSE (CASE WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeri"
        "od') IS NOT NULL WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS N"
        "OT NULL ELSE 0 END) END), (CASE WHEN f.start_raw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
        "THEN substr(f.start_raw, 1, 10) WHEN f.start_raw = '' THEN date(f.start_at) END), (CASE WHEN f.end_r"
        "aw GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' THEN substr(f.end_raw, 1, 10) WHEN f.end_raw ="
        " '' THEN date(f.end_at) END), (f.value_num IS NOT NULL OR f.value_code <> '' OR f.value_text <> '' O"
        "R EXISTS (SELECT 1 FROM fact_coding v WHERE v.fact_id = f.id AND v.role = 'value')), f.encounter_fac"
        "t_id FROM fact_coding c CROSS JOIN clinical_fact f ON f.id = c.fact_id WHERE c.role = 'code' AND c.f"
        'act_id = NEW.id ORDER BY c.system, c.code, c.fact_id; END'),
    'coded_fact_fact_delete': (
        'AFTER DELETE ON clinical_fact BEGIN DELETE FROM coded_fact WHERE (system, code, id) IN (SELECT c.sys'
        "tem, c.code, c.fact_id FROM fact_coding c WHERE c.fact_id = OLD.id AND c.role = 'code'); END"),
}


def upgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact')
    op.create_table('coded_fact',
    sa.Column('system', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('entered_in_error', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('clinical_status', sa.String(), nullable=False),
    sa.Column('intent', sa.String(), nullable=False),
    sa.Column('start_raw', sa.String(), nullable=False),
    sa.Column('end_raw', sa.String(), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=True),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.Column('open_period', sa.Boolean(), nullable=False),
    sa.Column('start_day', sa.String(), nullable=True),
    sa.Column('end_day', sa.String(), nullable=True),
    sa.Column('has_value', sa.Boolean(), nullable=False),
    sa.Column('encounter_fact_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('system', 'code', 'id', name=op.f('pk_coded_fact')),
    sqlite_with_rowid=False
    )
    op.execute(f"INSERT INTO coded_fact {ALL_ROWS}")
    op.execute("DELETE FROM coded_fact_pending")  # every coding's row is there now
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    # back to 0003's table (its columns only) and triggers
    from importlib import import_module

    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('coded_fact')
    import_module("storage.migrations.versions.0003_coded_fact").create_coded_fact()
    op.execute("DELETE FROM coded_fact_pending")
