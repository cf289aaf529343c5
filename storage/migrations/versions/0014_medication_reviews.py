"""Medication reviews as the pod pharmacist works them (issue 22)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:00:00

A review is a draft until finished (or closed as unable to reach); its medication lines say
what each is, what it is for, who prescribed it, since when and what the patient said; each
problem is tied to a medication or condition, goes to a named prescriber on a date, and carries
the prescriber's response and the patient's action-plan wording; the written summary of a
comprehensive review is dated; outreach attempts can be for a review.

The four problem categories become the seven standard ones. Each of the three old needs that
hold two categories is split by what its recommendation asks for (stop → unnecessary therapy;
increase → dosage too low; reduce → dosage too high; otherwise needs additional therapy,
ineffective drug, adverse drug reaction); adherence stays. Every changed problem keeps its
former category as a revision (record_revision), so nothing is lost. Reconciliation words
follow: change → changed, stop → stopped, start (begun at the review) → continue.
Reviews already stored were finished; their recommendations are dated as sent on the review
day (or on the response day, should a response be dated earlier).
"""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

MEDICATION_KINDS = "('medication_request', 'medication_statement')"
ACTIVE_MEDICATION = (f"kind IN {MEDICATION_KINDS} AND entered_in_error = 0 "
                     "AND status IN ('', 'active', 'on-hold', 'intended', 'unknown')")
HIGH_RISK = "coalesce(risk_override, risk_tier) IN ('high', 'complex') AND entered_in_error = 0 AND status = 'active'"
# a medication coded or only named counts once however many orders or refills it has
_DISTINCT = "count(DISTINCT CASE WHEN code <> '' THEN code ELSE 'name:' || display END)"


def _recount(patient: str) -> str:
    """SQL: store the patient's count of medications with an active status."""
    return (f"INSERT INTO patient_medication_count (patient_id, medications) SELECT {patient}, {_DISTINCT} "
            f"FROM clinical_fact WHERE patient_id = {patient} AND {ACTIVE_MEDICATION} "
            "ON CONFLICT (patient_id) DO UPDATE SET medications = excluded.medications;")


# patient_medication_count follows every write of a medication fact, however it is written
TRIGGERS = {
    "medication_count_insert": f"AFTER INSERT ON clinical_fact WHEN NEW.kind IN {MEDICATION_KINDS} "
                               f"BEGIN {_recount('NEW.patient_id')} END",
    "medication_count_update": "AFTER UPDATE OF patient_id, kind, status, entered_in_error, code, display "
                               f"ON clinical_fact WHEN NEW.kind IN {MEDICATION_KINDS} OR OLD.kind IN "
                               f"{MEDICATION_KINDS} BEGIN {_recount('OLD.patient_id')} {_recount('NEW.patient_id')} END",
    "medication_count_delete": f"AFTER DELETE ON clinical_fact WHEN OLD.kind IN {MEDICATION_KINDS} "
                               f"BEGIN {_recount('OLD.patient_id')} END",
}

# (former category, words in the recommendation or description, new category), first match wins
SPLITS = (
    ("indication", ("stop", "discontinu", "deprescrib", "taper", "duplicate", "no indication", "not needed"),
     "unnecessary_therapy"),
    ("indication", (), "needs_additional_therapy"),
    ("effectiveness", ("increase", "titrate up", "higher dose", "double"), "dosage_too_low"),
    ("effectiveness", (), "ineffective_drug"),
    ("safety", ("reduce", "decrease", "lower dose", "lower the dose", "halve", "too high"), "dosage_too_high"),
    ("safety", (), "adverse_reaction"),
)
ACTIONS = {"change": "changed", "stop": "stopped", "start": "continue"}


def new_category(former: str, description: str, recommendation: str) -> str | None:
    text = f"{recommendation} {description}".lower()
    for old, words, category in SPLITS:
        if former == old and (not words or any(w in text for w in words)):
            return category
    return None  # adherence, or already one of the seven


def upgrade() -> None:
    with op.batch_alter_table('medication_review') as batch:
        batch.add_column(sa.Column('status', sa.String(), server_default='finished', nullable=False))
        batch.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('summary_given_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('summary_method', sa.String(), server_default='', nullable=False))
        batch.create_index('ix_review_patient_type_date',
                           ['patient_id', 'review_type', 'review_date', 'status', 'entered_in_error'])
        batch.create_index('ix_review_patient_finished', ['patient_id', 'review_date', 'id'],
                           sqlite_where=sa.text("status = 'finished' AND entered_in_error = 0"))
        batch.create_index('ix_review_set_aside', ['id'],
                           sqlite_where=sa.text("status <> 'finished' OR entered_in_error = 1"))
        batch.create_index('ix_review_follow_up', ['follow_up_date'], sqlite_where=sa.text(
            "status = 'finished' AND entered_in_error = 0 AND follow_up_date IS NOT NULL"))
        batch.create_index('ix_review_summary_pending', ['review_date'], sqlite_where=sa.text(
            "review_type = 'comprehensive' AND status = 'finished' AND entered_in_error = 0 "
            "AND summary_given_on IS NULL"))
        batch.create_index('ix_review_draft', ['started_at'], sqlite_where=sa.text(
            "status = 'draft' AND entered_in_error = 0"))
    with op.batch_alter_table('reviewed_medication') as batch:
        batch.add_column(sa.Column('kind', sa.String(), server_default='prescription', nullable=False))
        batch.add_column(sa.Column('indication', sa.String(), server_default='', nullable=False))
        batch.add_column(sa.Column('prescriber', sa.String(), server_default='', nullable=False))
        batch.add_column(sa.Column('start_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('patient_words', sa.String(), server_default='', nullable=False))
    _rebuild('reviewed_medication', (
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(), nullable=False),
        sa.Column('rxnorm', sa.String(), server_default='', nullable=False),
        sa.Column('dose', sa.String(), server_default='', nullable=False),
        sa.Column('action', sa.String(), server_default='continue', nullable=False),
        sa.Column('note', sa.String(), server_default='', nullable=False),
        sa.Column('kind', sa.String(), server_default='prescription', nullable=False),
        sa.Column('indication', sa.String(), server_default='', nullable=False),
        sa.Column('prescriber', sa.String(), server_default='', nullable=False),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('patient_words', sa.String(), server_default='', nullable=False),
        sa.Column('fact_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['review_id'], ['medication_review.id'],
                                name='fk_reviewed_medication_review_id_medication_review', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['fact_id'], ['clinical_fact.id'], name='fk_reviewed_medication_fact_id_clinical_fact',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_reviewed_medication'),
    ), new=('fact_id',), indexes=(('ix_reviewed_medication_review', ['review_id'], None),))
    with op.batch_alter_table('drug_therapy_problem') as batch:
        for name in ('condition', 'prescriber'):
            batch.add_column(sa.Column(name, sa.String(), server_default='', nullable=False))
        batch.add_column(sa.Column('recommended_on', sa.Date(), nullable=True))
        for name in ('response_note', 'talked_about', 'patient_action'):
            batch.add_column(sa.Column(name, sa.String(), server_default='', nullable=False))
        batch.create_index('ix_dtp_pending', ['recommended_on'], sqlite_where=sa.text("response = 'pending'"))
    _rebuild('outreach_attempt', (
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('channel', sa.String(), nullable=False),
        sa.Column('outcome', sa.String(), nullable=False),
        sa.Column('by', sa.String(), nullable=False),
        sa.Column('gap_id', sa.Integer(), nullable=True),
        sa.Column('referral_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(), server_default='', nullable=False),
        sa.Column('entered_in_error', sa.Boolean(), server_default=sa.text('0'), nullable=False),
        sa.Column('medication_review_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['gap_id'], ['gap.id'], name='fk_outreach_attempt_gap_id_gap', ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name='fk_outreach_attempt_patient_id_patient'),
        sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name='fk_outreach_attempt_referral_id_referral'),
        sa.ForeignKeyConstraint(['medication_review_id'], ['medication_review.id'],
                                name='fk_outreach_attempt_medication_review_id_medication_review', ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name='pk_outreach_attempt'),
    ), new=('medication_review_id',), indexes=(
        ('ix_outreach_patient', ['patient_id', 'at'], None),
        # migration 0012's partial index of the two-way contacts (Today), made again with the table
        ('ix_outreach_reached', ['patient_id', 'at'], "outcome = 'reached' AND entered_in_error = 0"),
        ('ix_outreach_review', ['medication_review_id'], "medication_review_id IS NOT NULL")))
    op.create_index('ix_fact_active_medication', 'clinical_fact', ['patient_id', 'end_at', 'code'],
                    sqlite_where=sa.text(ACTIVE_MEDICATION))
    op.create_index('ix_patient_high_risk_review', 'patient', [sa.text('coalesce(risk_override, risk_tier)'), 'id'],
                    sqlite_where=sa.text(HIGH_RISK))
    op.create_table(
        'patient_medication_count',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('medications', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_patient_medication_count')),
    )
    op.create_index('ix_patient_medication_count', 'patient_medication_count', ['medications'])
    op.execute(f"INSERT INTO patient_medication_count (patient_id, medications) SELECT patient_id, {_DISTINCT} "
               f"FROM clinical_fact WHERE {ACTIVE_MEDICATION} GROUP BY patient_id")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    _migrate_rows()


def _rebuild(name: str, items: tuple, *, new: tuple[str, ...], indexes: tuple) -> None:
    """Rebuild a table with new foreign-key columns: a new table made from the listed columns and
    named constraints, the rows copied, the old one dropped. (Alembic's batch mode would do this
    too, but lists the rebuilt table's constraints in an order that varies from process to
    process, and two demo pods made with one seed must be identical.)"""
    temporary = f"{name}_0014"
    op.create_table(temporary, *items)
    kept = ", ".join(f'"{c.name}"' for c in items if isinstance(c, sa.Column) and c.name not in new)
    op.execute(f'INSERT INTO {temporary} ({kept}) SELECT {kept} FROM {name}')
    op.drop_table(name)
    op.rename_table(temporary, name)
    for index, columns, where in indexes:
        op.create_index(index, name, columns, sqlite_where=sa.text(where) if where else None)


def _migrate_rows() -> None:
    conn = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for old, new in ACTIONS.items():
        conn.execute(sa.text("UPDATE reviewed_medication SET action = :new WHERE action = :old"),
                     {"old": old, "new": new})
    conn.execute(sa.text(
        "UPDATE drug_therapy_problem SET recommended_on = (SELECT r.review_date FROM medication_review r "
        "WHERE r.id = drug_therapy_problem.review_id)"))
    conn.execute(sa.text(
        "UPDATE drug_therapy_problem SET recommended_on = responded_at "
        "WHERE responded_at IS NOT NULL AND responded_at < recommended_on"))
    rows = conn.execute(sa.text(
        "SELECT id, category, description, recommendation FROM drug_therapy_problem "
        "WHERE category IN ('indication', 'effectiveness', 'safety')")).fetchall()
    revisions = []
    for row in rows:
        category = new_category(row.category, row.description or "", row.recommendation or "")
        if category is None:
            continue
        conn.execute(sa.text("UPDATE drug_therapy_problem SET category = :c WHERE id = :id"),
                     {"c": category, "id": row.id})
        revisions.append({"record_id": row.id, "changed_at": now, "old": json.dumps({"category": row.category}),
                          "new": json.dumps({"category": category})})
    if revisions:
        conn.execute(sa.text(
            "INSERT INTO record_revision (record_type, record_id, changed_at, changed_by, reason, old_values, "
            "new_values) VALUES ('DrugTherapyProblem', :record_id, :changed_at, 'Carepod (migration 0014)', "
            "'The seven standard drug-therapy problem categories replace the four needs', :old, :new)"),
            revisions)


def downgrade() -> None:
    conn = op.get_bind()
    for old, new in ACTIONS.items():
        if old != "start":
            conn.execute(sa.text("UPDATE reviewed_medication SET action = :old WHERE action = :new"),
                         {"old": old, "new": new})
    conn.execute(sa.text("UPDATE reviewed_medication SET action = 'continue' WHERE action IN ('', 'not_taking')"))
    for need, categories in (("indication", ("needs_additional_therapy", "unnecessary_therapy")),
                             ("effectiveness", ("ineffective_drug", "dosage_too_low")),
                             ("safety", ("adverse_reaction", "dosage_too_high"))):
        conn.execute(sa.text(f"UPDATE drug_therapy_problem SET category = :need "
                             f"WHERE category IN ('{categories[0]}', '{categories[1]}')"), {"need": need})
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index('ix_patient_medication_count', table_name='patient_medication_count')
    op.drop_table('patient_medication_count')
    op.drop_index('ix_patient_high_risk_review', table_name='patient')
    op.drop_index('ix_fact_active_medication', table_name='clinical_fact')
    op.drop_index('ix_outreach_review', table_name='outreach_attempt')
    with op.batch_alter_table('outreach_attempt') as batch:
        batch.drop_column('medication_review_id')
    with op.batch_alter_table('drug_therapy_problem') as batch:
        batch.drop_index('ix_dtp_pending')
        for name in ('condition', 'prescriber', 'recommended_on', 'response_note', 'talked_about',
                     'patient_action'):
            batch.drop_column(name)
    with op.batch_alter_table('reviewed_medication') as batch:
        for name in ('kind', 'indication', 'prescriber', 'start_date', 'patient_words', 'fact_id'):
            batch.drop_column(name)
    with op.batch_alter_table('medication_review') as batch:
        for name in ('ix_review_draft', 'ix_review_summary_pending', 'ix_review_follow_up',
                     'ix_review_patient_type_date', 'ix_review_patient_finished', 'ix_review_set_aside'):
            batch.drop_index(name)
        for name in ('summary_method', 'summary_given_on', 'finished_at', 'started_at', 'status'):
            batch.drop_column(name)
