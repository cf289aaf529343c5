"""A fact's code system and display are its concept's

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:20:00

clinical_fact repeated, on every fact, the system and display of its code's first coding as text
(64 bytes a fact: 810 MB at 1,000,000 patients), the very text coding_concept holds once. A fact
now names that concept (``concept_id``; every fact has one, a code-less fact's text being its
display) and keeps its code for the indexes and queries that read it. Nothing is lost: the
text of every fact is read back through its concept (storage.codings.fact_display, and the
ORM's mapping).

The pharmacist's medication counts (patient_medication_count, kept by triggers since 0014) told
an uncoded medication by its display: their triggers read it from the concept now. SQLite adds
and drops the columns in place (no trigger runs for the rows: none reads concept_id yet, and
the medication counts' are made again only once the columns are gone).
"""
from __future__ import annotations

from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

_MEDICATION_KINDS = "('medication_request', 'medication_statement')"
_ACTIVE_MEDICATION = (f"kind IN {_MEDICATION_KINDS} AND entered_in_error = 0 "
                      "AND status IN ('', 'active', 'on-hold', 'intended', 'unknown')")


def _triggers(display: str, columns: str) -> dict[str, str]:
    """0014's triggers of the medication counts, a medication's display read as ``display``."""
    distinct = f"count(DISTINCT CASE WHEN code <> '' THEN code ELSE 'name:' || {display} END)"

    def recount(patient: str) -> str:
        return (f"INSERT INTO patient_medication_count (patient_id, medications) SELECT {patient}, {distinct} "
                f"FROM clinical_fact WHERE patient_id = {patient} AND {_ACTIVE_MEDICATION} "
                "ON CONFLICT (patient_id) DO UPDATE SET medications = excluded.medications;")

    return {
        "medication_count_insert": f"AFTER INSERT ON clinical_fact WHEN NEW.kind IN {_MEDICATION_KINDS} "
                                   f"BEGIN {recount('NEW.patient_id')} END",
        "medication_count_update": f"AFTER UPDATE OF {columns} ON clinical_fact WHEN NEW.kind IN {_MEDICATION_KINDS} "
                                   f"OR OLD.kind IN {_MEDICATION_KINDS} BEGIN {recount('OLD.patient_id')} "
                                   f"{recount('NEW.patient_id')} END",
        "medication_count_delete": f"AFTER DELETE ON clinical_fact WHEN OLD.kind IN {_MEDICATION_KINDS} "
                                   f"BEGIN {recount('OLD.patient_id')} END",
    }


TRIGGERS = _triggers("coalesce((SELECT n.display FROM coding_concept n WHERE n.id = concept_id), '')",
                     "patient_id, kind, status, entered_in_error, code, concept_id")
BEFORE = _triggers("display", "patient_id, kind, status, entered_in_error, code, display")  # 0014's


def _replace_triggers(old: dict, new: dict) -> None:
    for name in old:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name, body in new.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    op.execute("ALTER TABLE clinical_fact ADD COLUMN concept_id INTEGER REFERENCES coding_concept (id)")
    op.execute("INSERT OR IGNORE INTO coding_concept (system, code, display) "
               "SELECT DISTINCT code_system, code, display FROM clinical_fact ORDER BY 1, 2, 3")
    # (no trigger reads concept_id yet: the medication counts' and coded_fact's are not run)
    op.execute("UPDATE clinical_fact SET concept_id = (SELECT n.id FROM coding_concept n WHERE "
               "n.system = clinical_fact.code_system AND n.code = clinical_fact.code AND n.display = clinical_fact.display)")
    _replace_triggers(BEFORE, {})
    op.execute("ALTER TABLE clinical_fact DROP COLUMN code_system")
    op.execute("ALTER TABLE clinical_fact DROP COLUMN display")
    _replace_triggers({}, TRIGGERS)


def downgrade() -> None:
    _replace_triggers(TRIGGERS, {})
    op.execute("ALTER TABLE clinical_fact ADD COLUMN code_system VARCHAR DEFAULT '' NOT NULL")
    op.execute("ALTER TABLE clinical_fact ADD COLUMN display VARCHAR DEFAULT '' NOT NULL")
    op.execute("UPDATE clinical_fact SET (code_system, display) = (SELECT n.system, n.display FROM coding_concept n "
               "WHERE n.id = clinical_fact.concept_id) WHERE concept_id IS NOT NULL")
    op.execute("ALTER TABLE clinical_fact DROP COLUMN concept_id")
    _replace_triggers({}, BEFORE)
