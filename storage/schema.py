"""Every table of Carepod, in SQLAlchemy Core.

The domain classes are plain dataclasses; :mod:`storage.mapping` maps them onto
these tables imperatively (as Cosmic Python does), and bulk paths (demo
generator, importers, the measure engine) use the tables directly.
Datetimes are naive UTC. Dates are calendar dates.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from domain.medication_review import ACTIVE_MEDICATION_STATUSES
from domain.risk import ACUTE_CLASSES, REFUTED_VERIFICATION

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

Id = sa.Integer


def _pk() -> sa.Column:
    return sa.Column("id", Id, primary_key=True)


def _fk(name: str, target: str, *, nullable: bool = False, ondelete: str | None = None) -> sa.Column:
    return sa.Column(name, Id, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def _text(name: str, *, nullable: bool = False, default: str = "") -> sa.Column:
    return sa.Column(name, sa.String, nullable=nullable, default=default, server_default=default)


def _flag(name: str, default: bool = False) -> sa.Column:
    return sa.Column(name, sa.Boolean, nullable=False, default=default,
                     server_default=sa.text("1" if default else "0"))


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp())


# --- the pod ----------------------------------------------------------------

practice = sa.Table(
    "practice", metadata, _pk(),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False),
    _text("address"), _text("phone"), _text("tin"), _text("npi"),
    _text("after_hours_instructions"),
    _flag("active", True), _created(),
    # the IANA zone its hours are kept in; instants are stored in UTC and shown in this zone
    sa.Column("time_zone", sa.String, nullable=False, default="America/New_York", server_default="America/New_York"),
    # the holding place of imported patients whose practice could not be told: never a pod peer
    # (not ranked, not a filter choice); they leave it when someone assigns them a practice
    _flag("holding"),
)

# a practice's opening hours: one row per weekday it opens (0 Monday … 6 Sunday), local times
# 'HH:MM' in the practice's zone; a weekday without a row is closed all day
practice_hours = sa.Table(
    "practice_hours", metadata, _pk(),
    _fk("practice_id", "practice.id"),
    sa.Column("weekday", sa.Integer, nullable=False),
    sa.Column("opens", sa.String(5), nullable=False),
    sa.Column("closes", sa.String(5), nullable=False),
    sa.UniqueConstraint("practice_id", "weekday", name="uq_practice_hours_day"),
)

# days a practice is closed besides weekends and federal holidays (domain.business_days)
practice_closed_day = sa.Table(
    "practice_closed_day", metadata, _pk(),
    _fk("practice_id", "practice.id"),
    sa.Column("day", sa.Date, nullable=False),
    _text("reason"),
    sa.UniqueConstraint("practice_id", "day", name="uq_practice_closed_day"),
)

clinician = sa.Table(
    "clinician", metadata, _pk(),
    _fk("practice_id", "practice.id", nullable=True),
    sa.Column("family", sa.String, nullable=False), _text("given"),
    _text("npi"), _text("credentials"), _flag("active", True),
    sa.Index("ix_clinician_npi", "npi"),
)

on_call_slot = sa.Table(
    "on_call_slot", metadata, _pk(),
    _fk("practice_id", "practice.id"), _fk("clinician_id", "clinician.id"),
    sa.Column("starts_at", sa.DateTime, nullable=False),
    sa.Column("ends_at", sa.DateTime, nullable=False),
    sa.Index("ix_on_call_practice_start", "practice_id", "starts_at"),
)

staff_member = sa.Table(
    "staff_member", metadata, _pk(),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("roles", sa.String, nullable=False), _text("email"), _flag("active", True),
)

staff_practice = sa.Table(
    "staff_practice", metadata,
    sa.Column("staff_id", Id, sa.ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("practice_id", Id, sa.ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True),
)

payer = sa.Table(
    "payer", metadata, _pk(),
    sa.Column("code", sa.String, nullable=False, unique=True),
    sa.Column("name", sa.String, nullable=False), _text("kind"),
)

# --- patients and their facts -------------------------------------------------

# domain.today.HIGH_RISK_TIERS as the partial indexes' condition; a query uses the index when it
# says the same (storage.queries.today)
HIGH_RISK_WHERE = sa.text("coalesce(risk_override, risk_tier) IN ('high', 'complex') "
                          "AND status = 'active' AND entered_in_error = 0")
INACTIVE_WHERE = sa.text("status <> 'active' OR entered_in_error = 1")
# the two-way contacts (domain.today.TWO_WAY_OUTCOMES, TWO_WAY_ACTIVITIES)
REACHED_WHERE = sa.text("outcome = 'reached' AND entered_in_error = 0")
CONTACT_TIME_WHERE = sa.text("activity = 'transition_of_care' AND entered_in_error = 0")
# after-hours calls to follow up: flagged by the nurse, or sent to the ED or 911 (domain.today)
CALL_FOLLOW_UP_WHERE = sa.text("(follow_up_needed = 1 OR disposition IN ('call_911', 'ed_now')) "
                               "AND entered_in_error = 0")
# the inpatient stays whose discharge starts transitional care (domain.today.INPATIENT_CLASSES)
DISCHARGE_WHERE = sa.text("kind = 'encounter' AND encounter_class IN ('IMP', 'ACUTE', 'OBSENC', 'SS')")
# the same patients for the pharmacist's worklist, read pod-wide in tier order (migration 0014's
# partial index; storage.queries.reviews)
_REVIEW_HIGH_RISK = ("coalesce(risk_override, risk_tier) IN ('high', 'complex') AND entered_in_error = {false} "
                     "AND status = 'active'")
REVIEW_HIGH_RISK_WHERE = _REVIEW_HIGH_RISK.format(false="0")
REVIEW_HIGH_RISK_PG = _REVIEW_HIGH_RISK.format(false="false")

patient = sa.Table(
    "patient", metadata, _pk(),
    _fk("practice_id", "practice.id"),
    sa.Column("mrn", sa.String, nullable=False),
    sa.Column("family", sa.String, nullable=False), _text("given"),
    sa.Column("birth_date", sa.Date, nullable=False),
    _text("sex"), _text("phone"), _text("phone_alt"),
    _text("address_line"), _text("city"), _text("state"), _text("postal_code"),
    _text("language"),
    _fk("payer_id", "payer.id", nullable=True), _text("member_id"),
    _fk("pcp_id", "clinician.id", nullable=True),
    # computed by storage.risk (its components in risk_score); NULL: never tiered
    sa.Column("risk_tier", sa.String, nullable=True),
    sa.Column("risk_override", sa.String, nullable=True), _text("risk_override_reason"),
    sa.Column("consent_date", sa.Date, nullable=True), _text("consent_by"),
    sa.Column("status", sa.String, nullable=False, server_default="active"),
    sa.Column("deceased_date", sa.Date, nullable=True),
    sa.Column("attributed_from", sa.Date, nullable=True),
    sa.Column("attributed_to", sa.Date, nullable=True),
    # search keys: upper-case, accent-free names and phone digits (domain.text)
    _text("family_key"), _text("given_key"), _text("phone_key"),
    _flag("entered_in_error"),
    _created(),
    sa.Column("updated_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("practice_id", "mrn", name="uq_patient_practice_mrn"),
    sa.Index("ix_patient_name", "family_key", "given_key"),
    sa.Index("ix_patient_given", "given_key"),
    sa.Index("ix_patient_mrn", "mrn"),
    sa.Index("ix_patient_birth", "birth_date"),
    sa.Index("ix_patient_phone", "phone_key"),
    # "last 4 digits" phone search: an expression index makes the suffix an indexed equality
    sa.Index("ix_patient_phone_last4", sa.func.substr(sa.text("phone_key"), -4)),
    sa.Index("ix_patient_practice_name", "practice_id", "family_key", "given_key"),
    # the few patients marked entered-in-error (the Gaps worklist leaves them out of its counts)
    sa.Index("ix_patient_in_error", "id", sqlite_where=sa.text("entered_in_error = 1")),
    # care management consent: how it was given, and the day it was withdrawn (it ends with that month)
    _text("consent_method"),
    sa.Column("consent_withdrawn_on", sa.Date, nullable=True),
    # a practice's consented patients (the care management month) without walking the whole panel
    sa.Index("ix_patient_consent", "practice_id", "consent_date", sqlite_where=sa.text("consent_date IS NOT NULL"),
             postgresql_where=sa.text("consent_date IS NOT NULL")),
    # the active high-risk patients of a practice with their tiers (Today: high risk without
    # contact), a few per cent of the patients, read without the patient rows
    sa.Index("ix_patient_high_risk", "practice_id", "risk_override", "risk_tier", sqlite_where=HIGH_RISK_WHERE),
    # the patients no longer in care (moved, deceased, entered in error): few, read as one set
    sa.Index("ix_patient_inactive", "id", sqlite_where=INACTIVE_WHERE),
    # the high-risk patients of the pod in tier order, then by id (the pharmacist's worklist reads
    # them a page at a time; storage.queries.reviews)
    sa.Index("ix_patient_high_risk_review", sa.func.coalesce(sa.text("risk_override"), sa.text("risk_tier")), "id",
             sqlite_where=sa.text(REVIEW_HIGH_RISK_WHERE), postgresql_where=sa.text(REVIEW_HIGH_RISK_PG)),
)

# the partial indexes' conditions: a query uses the index only when it says the same
ACUTE_ENCOUNTERS = (f"kind = 'encounter' AND encounter_class IN ({', '.join(map(repr, ACUTE_CLASSES))}) "
                    "AND entered_in_error = 0")
REFUTED_CONDITIONS = f"kind = 'condition' AND verification_status IN ({', '.join(map(repr, REFUTED_VERIFICATION))})"

# on a patient's active medication list: ordered or taken, not stopped, completed or refuted
# (the end date, which moves with the clock, is checked by the query)
_ACTIVE_MEDICATION = ("kind IN ('medication_request', 'medication_statement') AND entered_in_error = {false} "
                      "AND status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_MEDICATION_STATUSES) + ")")
ACTIVE_MEDICATION_WHERE = _ACTIVE_MEDICATION.format(false="0")
ACTIVE_MEDICATION_PG = _ACTIVE_MEDICATION.format(false="false")

clinical_fact = sa.Table(
    "clinical_fact", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("kind", sa.String, nullable=False),
    # the first coding of the fact's code, for display: its code, and its system and display as
    # the concept (concept_id, below; storage.codings); every coding is in fact_coding
    _text("code"),
    _text("status"), _text("clinical_status"), _text("verification_status"),
    _text("intent"), _text("category"),
    sa.Column("start_at", sa.DateTime, nullable=True),
    sa.Column("end_at", sa.DateTime, nullable=True),
    _text("start_raw"), _text("end_raw"),
    sa.Column("recorded_at", sa.DateTime, nullable=True),
    sa.Column("value_num", sa.Float, nullable=True), _text("value_unit"),
    _text("value_system"), _text("value_code"), _text("value_text"),
    _flag("not_done"),
    _text("encounter_class"), _text("discharge_code"),
    sa.Column("encounter_fact_id", Id, sa.ForeignKey("clinical_fact.id"), nullable=True),
    # source + resource type + resource id of an imported fact; NULL when entered here
    sa.Column("source_key", sa.String, nullable=True, unique=True),
    sa.Column("resource_json", sa.Text, nullable=True),
    _flag("entered_in_error"),
    _created(),
    # the concept of the fact's code (migration 0024: its system and display were 64 bytes of
    # text on every fact); every fact has one, even a fact with no code (its text, if any, is
    # the concept's display); a column added to the rows there were, hence nullable
    sa.Column("concept_id", Id, sa.ForeignKey("coding_concept.id"), nullable=True),
    sa.Index("ix_fact_patient_kind_start", "patient_id", "kind", "start_at"),
    # (no index by code or by kind and day across the pod: a criterion finds its facts through
    # coded_fact, which is ordered by code, and every other reader by patient or through the
    # small partial indexes below; migration 0017 dropped the two that no query used)
    # the active medication list of every patient (the pharmacist's worklist counts it per
    # patient across the pod; storage.queries.reviews.ACTIVE_MEDICATION says what "active" is)
    sa.Index("ix_fact_active_medication", "patient_id", "end_at", "code",
             sqlite_where=sa.text(ACTIVE_MEDICATION_WHERE), postgresql_where=sa.text(ACTIVE_MEDICATION_PG)),
    # risk tiers (storage.risk): the pod's ED visits and hospital stays of a period from one
    # small index (a few % of the encounters), not millions of encounter rows looked up
    sa.Index("ix_fact_acute_encounter", "start_at", "patient_id", "encounter_class", "end_at", "status",
             sqlite_where=sa.text(ACUTE_ENCOUNTERS), postgresql_where=sa.text(ACUTE_ENCOUNTERS)),
    # risk tiers: the few conditions whose verification refuted them (coded_fact does not say)
    sa.Index("ix_fact_refuted_condition", "id",
             sqlite_where=sa.text(REFUTED_CONDITIONS), postgresql_where=sa.text(REFUTED_CONDITIONS)),
    # hospital discharges by day (Today: transitional care), a small part of the facts
    sa.Index("ix_fact_discharge", "kind", "end_at", "patient_id", "entered_in_error",
             sqlite_where=DISCHARGE_WHERE),
)

# Every coding a fact arrived with is one row of fact_coding naming its (system, code, display)
# in the dictionary coding_concept (storage.codings): a pod repeats a few thousand codings over
# tens of millions of rows, and the text once per coding took 92 bytes a row (3.0 GB at
# 1,000,000 patients, migration 0021).
coding_concept = sa.Table(
    "coding_concept", metadata, _pk(),
    sa.Column("system", sa.String, nullable=False),
    sa.Column("code", sa.String, nullable=False),
    _text("display"),
    sa.UniqueConstraint("system", "code", "display", name="uq_coding_concept"),
)

fact_coding = sa.Table(
    "fact_coding", metadata, _pk(),
    sa.Column("fact_id", Id, sa.ForeignKey("clinical_fact.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String, nullable=False, server_default="code"),
    sa.Column("concept_id", Id, sa.ForeignKey("coding_concept.id"), nullable=False),
    # (no index by code: coded_fact, ordered by code, is how a criterion finds its facts)
    # a fact's codings of a role with their concepts, from the index alone: "has this fact a
    # coded value?" and a measure's value test ("the latest screening's result is negative")
    sa.Index("ix_fact_coding_fact", "fact_id", "role", "concept_id"),
)

fact_component = sa.Table(
    "fact_component", metadata, _pk(),
    sa.Column("fact_id", Id, sa.ForeignKey("clinical_fact.id", ondelete="CASCADE"), nullable=False),
    sa.Column("value_num", sa.Float, nullable=True), _text("value_unit"), _text("value_code"),
    # what was measured (systolic, diastolic...): its concept (storage.codings; migration 0025: a
    # column added to the rows there were, hence nullable, though every component has one)
    sa.Column("concept_id", Id, sa.ForeignKey("coding_concept.id"), nullable=True),
    sa.Index("ix_fact_component_fact", "fact_id"),
)

coded_fact = sa.Table(
    # Derived (storage.coded_facts): one row per 'code' coding of a fact, carrying the fact
    # columns the measure criteria filter on, so a criterion reads the facts of its value set
    # from one index range instead of looking up millions of wide fact rows.
    # Keyed by the coding's concept (storage.codings), not its text: a criterion's codes are
    # turned into the pod's concepts once per run (migration 0022).
    "coded_fact", metadata,
    sa.Column("concept_id", Id, primary_key=True),
    sa.Column("id", Id, primary_key=True),  # the fact's id
    sa.Column("patient_id", Id, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("entered_in_error", sa.Boolean, nullable=False),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("clinical_status", sa.String, nullable=False),
    sa.Column("intent", sa.String, nullable=False),
    # what a criterion needs of the source's text of the dates (sql_time: CODED_START, CODED_END):
    # whether each bound has only day precision, and whether an end was given at all
    sa.Column("start_is_date", sa.Boolean, nullable=False),
    sa.Column("end_is_date", sa.Boolean, nullable=False),
    sa.Column("end_given", sa.Boolean, nullable=False),
    sa.Column("start_at", sa.DateTime, nullable=True),
    sa.Column("end_at", sa.DateTime, nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=True),
    # the resource's date is a Period (observation effectivePeriod, procedure performedPeriod)
    sa.Column("open_period", sa.Boolean, nullable=False),
    # each bound's calendar day as written (sql_time.START / END), worked out once per row
    sa.Column("start_day", sa.String, nullable=True),
    sa.Column("end_day", sa.String, nullable=True),
    # the fact has a result of any kind (criteria asking only that one is there)
    sa.Column("has_value", sa.Boolean, nullable=False),
    sa.Column("encounter_fact_id", Id, nullable=True),  # the encounter the fact was recorded in
    sqlite_with_rowid=False,
)

# Derived: the number of distinct medications of each patient with an active status, kept by
# triggers on clinical_fact (migration 0011); the end date is not looked at, so it is never
# below the active list's length, and the worklist checks the few patients it names exactly.
patient_medication_count = sa.Table(
    "patient_medication_count", metadata,
    sa.Column("patient_id", Id, primary_key=True),
    sa.Column("medications", sa.Integer, nullable=False),
    sa.Index("ix_patient_medication_count", "medications"),
)

# codings whose coded_fact row is still to be added (storage.coded_facts.catch_up)
coded_fact_pending = sa.Table("coded_fact_pending", metadata, sa.Column("coding_id", Id, primary_key=True))

# --- workflow records ---------------------------------------------------------

referral = sa.Table(
    "referral", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    _fk("clinician_id", "clinician.id", nullable=True),
    sa.Column("specialty", sa.String, nullable=False), _text("specialist"),
    sa.Column("reason", sa.String, nullable=False),
    sa.Column("urgency", sa.String, nullable=False, server_default="routine"),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("state_since", sa.DateTime, nullable=False),
    sa.Column("ordered_at", sa.DateTime, nullable=False),
    sa.Column("appointment_at", sa.DateTime, nullable=True),
    sa.Column("source_key", sa.String, nullable=True, unique=True),
    _flag("entered_in_error"),
    sa.Index("ix_referral_patient", "patient_id"),
    sa.Index("ix_referral_state", "state", "state_since"),
    # when the current state will have lasted as long as the pod expects (domain.referral.due_at);
    # NULL once final. The board and Today read open referrals overdue-first from it, and by the
    # patient's practice, kept beside it (storage.referral_due), without reading the patients.
    sa.Column("due_at", sa.DateTime, nullable=True),
    sa.Column("practice_id", Id, nullable=True),  # a copy of the patient's, so no reference of its own
    sa.Index("ix_referral_state_due", "state", "due_at"),
    sa.Index("ix_referral_practice_due", "practice_id", "urgency", "due_at"),
    sa.Index("ix_referral_practice_state", "practice_id", "state", "due_at"),
)

# the pod's own expected days per urgency and state (domain.referral.EXPECTED_DAYS when none)
referral_expected_days = sa.Table(
    "referral_expected_days", metadata,
    sa.Column("urgency", sa.String, primary_key=True),
    sa.Column("state", sa.String, primary_key=True),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String, nullable=False),
)

referral_event = sa.Table(
    "referral_event", metadata, _pk(),
    sa.Column("referral_id", Id, sa.ForeignKey("referral.id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_state", sa.String, nullable=True),
    sa.Column("to_state", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("by", sa.String, nullable=False), _text("note"),
    sa.Index("ix_referral_event_referral", "referral_id"),
)

after_hours_call = sa.Table(
    "after_hours_call", metadata, _pk(),
    _fk("practice_id", "practice.id"),
    _fk("patient_id", "patient.id", nullable=True),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("caller_name", sa.String, nullable=False),
    _text("caller_relation"), _text("caller_phone"),
    sa.Column("called_back_at", sa.DateTime, nullable=True),
    sa.Column("reason", sa.String, nullable=False),
    _text("symptoms"), _text("protocol"),
    sa.Column("disposition", sa.String, nullable=False),
    _text("advice"),
    _fk("escalated_to_id", "clinician.id", nullable=True),
    sa.Column("escalated_at", sa.DateTime, nullable=True),
    _flag("follow_up_needed"), _text("taken_by"), _text("acknowledged_by"),
    sa.Column("acknowledged_at", sa.DateTime, nullable=True),
    _flag("entered_in_error"),
    # issue 21: who a caller not yet a patient calls about; what was confirmed; the practice's to-do
    _text("patient_name"), sa.Column("patient_birth_date", sa.Date, nullable=True),
    _flag("medications_confirmed"), _flag("allergies_confirmed"), _flag("advice_repeated_back"),
    _text("follow_up_note"),
    sa.Index("ix_call_practice_received", "practice_id", "received_at"),
    sa.Index("ix_call_patient", "patient_id"),
    # the calls a care team follows up (Today), with what Today filters on, read without the rows
    sa.Index("ix_call_follow_up", "practice_id", "received_at", "disposition", "follow_up_needed",
             sqlite_where=CALL_FOLLOW_UP_WHERE),
    # the calls still waiting for their call-back (a handful among hundreds of thousands)
    sa.Index("ix_call_waiting", "received_at", sqlite_where=sa.text("called_back_at IS NULL")),
    # the night's calls across the pod, and those no practice has acknowledged yet
    sa.Index("ix_call_received", "received_at"),
    sa.Index("ix_call_unacknowledged", "received_at", sqlite_where=sa.text("acknowledged_at IS NULL")),
)

# each page of the on-call clinician about a call: when, whom, by whom, what came of it
call_page = sa.Table(
    "call_page", metadata, _pk(),
    sa.Column("call_id", Id, sa.ForeignKey("after_hours_call.id", ondelete="CASCADE"), nullable=False),
    _fk("clinician_id", "clinician.id"),
    sa.Column("paged_at", sa.DateTime, nullable=False),
    sa.Column("outcome", sa.String, nullable=False, server_default="awaiting"),
    _text("note"), _text("by"),
    sa.Index("ix_call_page_call", "call_id"),
)

# the unfinished call entries of each staff member, saved as they type (JSON of the form's
# fields); offered back when the app starts again, gone once the call is saved or discarded
call_draft = sa.Table(
    "call_draft", metadata, _pk(),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Index("ix_call_draft_actor", "actor"),
)

# triage protocols the pod added to the shipped list (domain.triage.PROTOCOLS)
triage_protocol = sa.Table(
    "triage_protocol", metadata, _pk(),
    sa.Column("name", sa.String, nullable=False, unique=True),
    _flag("active", True), _text("created_by"), _created(),
)

REVIEW_SET_ASIDE_WHERE = "status <> 'finished' OR entered_in_error = 1"
REVIEW_SET_ASIDE_PG = "status <> 'finished' OR entered_in_error"

medication_review = sa.Table(
    "medication_review", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("review_type", sa.String, nullable=False),
    sa.Column("review_date", sa.Date, nullable=False),
    sa.Column("pharmacist", sa.String, nullable=False),
    sa.Column("follow_up_date", sa.Date, nullable=True), _text("notes"),
    _flag("entered_in_error"),
    # draft (saved as the pharmacist types), finished, or unable_to_reach (domain.medication_review)
    sa.Column("status", sa.String, nullable=False, default="finished", server_default="finished"),
    sa.Column("started_at", sa.DateTime, nullable=True),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    # the written summary of a comprehensive review: when and how it reached the patient
    sa.Column("summary_given_on", sa.Date, nullable=True), _text("summary_method"),
    sa.Index("ix_review_patient", "patient_id"),
    sa.Index("ix_review_date", "review_date"),
    # "no comprehensive review in 12 months" per patient, from the index alone
    sa.Index("ix_review_patient_type_date", "patient_id", "review_type", "review_date", "status", "entered_in_error"),
    # "a later finished review" of the patient (the follow-up was done), one probe
    sa.Index("ix_review_patient_finished", "patient_id", "review_date", "id",
             sqlite_where=sa.text("status = 'finished' AND entered_in_error = 0"),
             postgresql_where=sa.text("status = 'finished' AND NOT entered_in_error")),
    # the few reviews whose recommendations are not awaiting a response (not finished, or in error)
    sa.Index("ix_review_set_aside", "id", sqlite_where=sa.text(REVIEW_SET_ASIDE_WHERE),
             postgresql_where=sa.text(REVIEW_SET_ASIDE_PG)),
    # the pharmacist's worklist reads these few rows from small partial indexes
    sa.Index("ix_review_follow_up", "follow_up_date",
             sqlite_where=sa.text("status = 'finished' AND entered_in_error = 0 AND follow_up_date IS NOT NULL"),
             postgresql_where=sa.text("status = 'finished' AND NOT entered_in_error AND follow_up_date IS NOT NULL")),
    sa.Index("ix_review_summary_pending", "review_date",
             sqlite_where=sa.text("review_type = 'comprehensive' AND status = 'finished' AND entered_in_error = 0 "
                                  "AND summary_given_on IS NULL"),
             postgresql_where=sa.text("review_type = 'comprehensive' AND status = 'finished' "
                                      "AND NOT entered_in_error AND summary_given_on IS NULL")),
    sa.Index("ix_review_draft", "started_at",
             sqlite_where=sa.text("status = 'draft' AND entered_in_error = 0"),
             postgresql_where=sa.text("status = 'draft' AND NOT entered_in_error")),
)

reviewed_medication = sa.Table(
    "reviewed_medication", metadata, _pk(),
    sa.Column("review_id", Id, sa.ForeignKey("medication_review.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String, nullable=False), _text("rxnorm"), _text("dose"),
    sa.Column("action", sa.String, nullable=False, server_default="continue"), _text("note"),
    # prescription, otc, herbal, supplement; what it is for; who prescribed it; since when
    sa.Column("kind", sa.String, nullable=False, default="prescription", server_default="prescription"),
    _text("indication"), _text("prescriber"), sa.Column("start_date", sa.Date, nullable=True),
    _text("patient_words"),
    # the chart's medication the line was taken from; NULL: added by hand during the review
    sa.Column("fact_id", Id, sa.ForeignKey("clinical_fact.id", ondelete="SET NULL"), nullable=True),
    sa.Index("ix_reviewed_medication_review", "review_id"),
)

drug_therapy_problem = sa.Table(
    "drug_therapy_problem", metadata, _pk(),
    sa.Column("review_id", Id, sa.ForeignKey("medication_review.id", ondelete="CASCADE"), nullable=False),
    sa.Column("category", sa.String, nullable=False),
    sa.Column("description", sa.String, nullable=False),
    _text("medication"), _text("recommendation"),
    sa.Column("response", sa.String, nullable=False, server_default="pending"),
    sa.Column("responded_at", sa.Date, nullable=True),
    _text("condition"), _text("prescriber"),
    sa.Column("recommended_on", sa.Date, nullable=True), _text("response_note"),
    # the patient's action plan: what we talked about, what I need to do
    _text("talked_about"), _text("patient_action"),
    sa.Index("ix_dtp_review", "review_id"),
    # recommendations awaiting the prescriber's response, oldest first
    sa.Index("ix_dtp_pending", "recommended_on", sqlite_where=sa.text("response = 'pending'"),
             postgresql_where=sa.text("response = 'pending'")),
)

outreach_attempt = sa.Table(
    "outreach_attempt", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("channel", sa.String, nullable=False),
    sa.Column("outcome", sa.String, nullable=False),
    sa.Column("by", sa.String, nullable=False),
    sa.Column("gap_id", Id, sa.ForeignKey("gap.id", ondelete="SET NULL"), nullable=True),
    _fk("referral_id", "referral.id", nullable=True), _text("note"),
    _flag("entered_in_error"),
    # an attempt to reach the patient for a medication review (the review's draft)
    sa.Column("medication_review_id", Id, sa.ForeignKey("medication_review.id", ondelete="SET NULL"),
              nullable=True),
    sa.Index("ix_outreach_patient", "patient_id", "at"),
    sa.Index("ix_outreach_review", "medication_review_id",
             sqlite_where=sa.text("medication_review_id IS NOT NULL"),
             postgresql_where=sa.text("medication_review_id IS NOT NULL")),
    # a patient's two-way contacts by time (Today: discharges, high risk without contact)
    sa.Index("ix_outreach_reached", "patient_id", "at", sqlite_where=REACHED_WHERE),
    # the attempts by time (migration 0016): the Gaps worklist in "Last outreach" order walks
    # them and joins each patient's latest to their gaps, a page at a time
    sa.Index("ix_outreach_latest", "at", "patient_id", sqlite_where=sa.text("entered_in_error = 0"),
             postgresql_where=sa.text("entered_in_error = false")),
)

# Where outreach about one thing (a gap, a referral, the patient) stands: one row per target,
# worked out from its attempts by domain.outreach.outreach_progress whenever one is logged,
# so Today finds the tries due from an index instead of every attempt of the pod.
outreach_plan = sa.Table(
    "outreach_plan", metadata, _pk(),
    sa.Column("target", sa.String, nullable=False, unique=True),  # domain.outreach.target_key
    _fk("patient_id", "patient.id"),
    _fk("practice_id", "practice.id"),  # the patient's, so Today reads a practice's plans alone
    sa.Column("gap_id", Id, sa.ForeignKey("gap.id", ondelete="SET NULL"), nullable=True),
    _fk("referral_id", "referral.id", nullable=True),
    sa.Column("status", sa.String, nullable=False),
    sa.Column("days_tried", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_try_on", sa.Date, nullable=True),
    sa.Column("last_attempt_at", sa.DateTime, nullable=False),
    sa.Column("settled_on", sa.Date, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_outreach_plan_due", "practice_id", "status", "next_try_on"),
    sa.Index("ix_outreach_plan_patient", "patient_id"),
)

care_plan = sa.Table(
    "care_plan", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("title", sa.String, nullable=False), _text("problems"), _text("created_by"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String, nullable=False, server_default="active"),
    _flag("entered_in_error"),
    sa.Index("ix_care_plan_patient", "patient_id"),
)

care_goal = sa.Table(
    "care_goal", metadata, _pk(),
    sa.Column("care_plan_id", Id, sa.ForeignKey("care_plan.id", ondelete="CASCADE"), nullable=False),
    sa.Column("description", sa.String, nullable=False), _text("target"),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("status", sa.String, nullable=False, server_default="active"), _text("problem"),
    sa.Index("ix_care_goal_plan", "care_plan_id"),
    _flag("entered_in_error"),
)

care_intervention = sa.Table(
    "care_intervention", metadata, _pk(),
    sa.Column("care_plan_id", Id, sa.ForeignKey("care_plan.id", ondelete="CASCADE"), nullable=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False, server_default="planned"),
    _text("goal_description"),
    sa.Index("ix_care_intervention_plan", "care_plan_id"),
    _flag("entered_in_error"),
)

task = sa.Table(
    "task", metadata, _pk(),
    sa.Column("title", sa.String, nullable=False),
    sa.Column("assignee", sa.String, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    _fk("practice_id", "practice.id", nullable=True),
    _fk("patient_id", "patient.id", nullable=True),
    sa.Column("status", sa.String, nullable=False, server_default="open"),
    sa.Column("priority", sa.String, nullable=False, server_default="normal"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("completed_at", sa.DateTime, nullable=True),
    _flag("entered_in_error"),
    sa.Index("ix_task_assignee_status", "assignee", "status", "due_date"),
    sa.Index("ix_task_patient", "patient_id"),
    _text("created_by"), _text("note"),
)

time_entry = sa.Table(
    "time_entry", metadata, _pk(),
    sa.Column("staff", sa.String, nullable=False),
    _fk("patient_id", "patient.id"),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("activity", sa.String, nullable=False),
    sa.Column("entry_date", sa.Date, nullable=False), _text("note"),
    _flag("entered_in_error"),
    sa.Index("ix_time_patient_date", "patient_id", "entry_date"),
    sa.Index("ix_time_staff_date", "staff", "entry_date"),
    # domain.time_entry: the programme the minutes are claimed for, who did the work, when it
    # started (naive UTC), the billing practice, and when and by whom it was entered
    sa.Column("programme", sa.String, nullable=False, default="ccm", server_default="ccm"),
    sa.Column("performer", sa.String, nullable=False, default="clinical_staff", server_default="clinical_staff"),
    sa.Column("started_at", sa.DateTime, nullable=True),
    _fk("practice_id", "practice.id", nullable=True),
    sa.Column("recorded_at", sa.DateTime, nullable=True), _text("recorded_by"),
    sa.Index("ix_time_practice_date", "practice_id", "entry_date"),
    # a patient's transitional-care contacts logged as time (Today: two-way contact)
    sa.Index("ix_time_contact", "patient_id", "entry_date", sqlite_where=CONTACT_TIME_WHERE),
)

# a timer started on a chart, kept from its first second so a crash does not lose it
running_timer = sa.Table(
    "running_timer", metadata, _pk(),
    sa.Column("staff", sa.String, nullable=False),
    _fk("patient_id", "patient.id"),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("activity", sa.String, nullable=False),
    sa.Column("programme", sa.String, nullable=False),
    sa.Column("state", sa.String, nullable=False, default="running", server_default="running"),
    sa.Column("stopped_at", sa.DateTime, nullable=True),
    _fk("time_entry_id", "time_entry.id", nullable=True), _text("note"),
    sa.Index("ix_running_timer_staff", "staff", "state"),
)

# --- risk tiers (storage.risk, domain.risk) ------------------------------------------------

# what each tiered patient's score was made of at the last recompute (derived: rewritten whole)
risk_score = sa.Table(
    "risk_score", metadata,
    sa.Column("patient_id", Id, sa.ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tier", sa.String, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("score_before", sa.Integer, nullable=False),  # as of domain.risk.RISING_DAYS ago
    sa.Column("chronic_groups", sa.String, nullable=False),  # domain.risk group keys, comma-separated
    sa.Column("ed_visits", sa.Integer, nullable=False),
    sa.Column("admissions", sa.Integer, nullable=False),
    sa.Column("discharged_at", sa.DateTime, nullable=True),  # the latest discharge in the last 30 days
    sa.Column("admitted_at", sa.DateTime, nullable=True),  # the latest admission in the last 90 days
    sa.Column("run_id", Id, sa.ForeignKey("risk_run.id"), nullable=False),
)

# each recompute of the tiers: as of when, the pod's high cut, how many in each tier
risk_run = sa.Table(
    "risk_run", metadata, _pk(),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.Column("scope", sa.String, nullable=False),  # "pod", or "N patients"
    sa.Column("high_cut", sa.Integer, nullable=True),
    sa.Column("patients", sa.Integer, nullable=False),
    sa.Column("tiers", sa.JSON, nullable=False),  # tier -> patients
)

# Done and snoozed marks left on Today's items (domain.today.TodayMark), with who and when
today_mark = sa.Table(
    "today_mark", metadata, _pk(),
    sa.Column("item_kind", sa.String, nullable=False),
    sa.Column("record_id", Id, nullable=False),
    sa.Column("occurrence_at", sa.DateTime, nullable=True),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("until", sa.Date, nullable=True),
    _text("reason"),
    sa.Column("by", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    _fk("patient_id", "patient.id", nullable=True),
    _flag("entered_in_error"),
    sa.Index("ix_today_mark_item", "item_kind", "record_id"),
)

# --- history and audit ----------------------------------------------------------

record_revision = sa.Table(
    "record_revision", metadata, _pk(),
    sa.Column("record_type", sa.String, nullable=False),
    sa.Column("record_id", Id, nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("changed_by", sa.String, nullable=False), _text("reason"),
    sa.Column("old_values", sa.JSON, nullable=False),
    sa.Column("new_values", sa.JSON, nullable=False),
    sa.Index("ix_revision_record", "record_type", "record_id"),
)

audit_event = sa.Table(
    "audit_event", metadata, _pk(),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("record_type", sa.String, nullable=False),
    sa.Column("record_id", Id, nullable=True),
    sa.Column("patient_id", Id, nullable=True), _text("detail"),
    # SHA-256 of the previous event's chain_hash and this event's content (storage.audit_chain)
    _text("chain_hash"),
    sa.Index("ix_audit_patient", "patient_id", "at"),
    sa.Index("ix_audit_at", "at"),
    # Administration ▸ Audit trail: one staff member's or one action's events, newest first
    # (each index holds the event id: read in id order without a sort)
    sa.Index("ix_audit_actor", "actor"),
    sa.Index("ix_audit_action", "action"),
)

# the audit chain's head: how many events there are and the newest one's hash (one row, id 1)
audit_chain = sa.Table(
    "audit_chain", metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("last_hash", sa.String, nullable=False),
)

# --- import bookkeeping -------------------------------------------------------------

source_record = sa.Table(
    "source_record", metadata, _pk(),
    sa.Column("source", sa.String, nullable=False),
    sa.Column("resource_type", sa.String, nullable=False),
    sa.Column("resource_id", sa.String, nullable=False),
    sa.Column("record_table", sa.String, nullable=False),
    sa.Column("record_id", Id, nullable=False),
    sa.Column("content_hash", sa.String, nullable=False),
    sa.Column("import_run_id", Id, sa.ForeignKey("import_run.id"), nullable=True),
    sa.UniqueConstraint("source", "resource_type", "resource_id", name="uq_source_record_key"),
    sa.Index("ix_source_record_target", "record_table", "record_id"),
)

import_run = sa.Table(
    "import_run", metadata, _pk(),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True),
    sa.Column("actor", sa.String, nullable=False), _text("practice_code"),
    _flag("dry_run"),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("status", sa.String, nullable=False),
)

import_problem = sa.Table(
    "import_problem", metadata, _pk(),
    sa.Column("import_run_id", Id, sa.ForeignKey("import_run.id", ondelete="CASCADE"), nullable=False),
    sa.Column("file", sa.String, nullable=False), _text("location"),
    _text("resource_type"), _text("resource_id"),
    sa.Column("reason", sa.String, nullable=False),
    sa.Index("ix_import_problem_run", "import_run_id"),
)

patient_link = sa.Table(
    "patient_link", metadata, _pk(),
    _fk("patient_a_id", "patient.id"), _fk("patient_b_id", "patient.id"),
    sa.Column("score", sa.Float, nullable=False), _text("reason"),
    sa.Column("status", sa.String, nullable=False, server_default="candidate"),
    _text("decided_by"), sa.Column("decided_at", sa.DateTime, nullable=True),
    sa.UniqueConstraint("patient_a_id", "patient_b_id", name="uq_patient_link_pair"),
    sa.Index("ix_patient_link_b", "patient_b_id"),
)

# --- measures and gaps ----------------------------------------------------------------

valueset = sa.Table(
    "valueset", metadata,
    sa.Column("oid", sa.String, primary_key=True),
    sa.Column("url", sa.String, nullable=False), _text("name"), _text("version"),
)

valueset_code = sa.Table(
    "valueset_code", metadata,
    sa.Column("valueset_oid", sa.String, sa.ForeignKey("valueset.oid", ondelete="CASCADE"), primary_key=True),
    sa.Column("system", sa.String, primary_key=True),
    sa.Column("code", sa.String, primary_key=True),
    _text("display"),
    sa.Index("ix_valueset_code_code", "system", "code"),
)

measure = sa.Table(
    "measure", metadata,
    sa.Column("id", sa.String, primary_key=True),  # CMS125, or a payer variant's own id
    sa.Column("version", sa.String, nullable=False),
    sa.Column("title", sa.String, nullable=False),
    _flag("inverse"), _flag("active", True),
    sa.Column("definition", sa.JSON, nullable=False),
)

gap = sa.Table(
    "gap", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("measure_id", sa.String, sa.ForeignKey("measure.id"), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("group_index", sa.Integer, nullable=False, server_default="0"),
    sa.Column("initial_population", sa.Integer, nullable=False, server_default="0"),
    sa.Column("denominator", sa.Integer, nullable=False, server_default="0"),
    sa.Column("denominator_exclusion", sa.Integer, nullable=False, server_default="0"),
    sa.Column("denominator_exception", sa.Integer, nullable=False, server_default="0"),
    sa.Column("numerator", sa.Integer, nullable=False, server_default="0"),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("last_outreach_at", sa.DateTime, nullable=True),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    # when the gap was first computed; its state then is the first change's from_state in
    # gap_history, or its state if it never changed
    sa.Column("created_at", sa.DateTime, nullable=True),
    # the gap's evidence items as one number (storage.measures.gap_evidence.evidence_key): a
    # recompute compares it instead of reading the rows; NULL: not known, written anew
    sa.Column("evidence_key", sa.Integer, nullable=True),
    sa.UniqueConstraint("patient_id", "measure_id", "period_start", "period_end", "group_index",
                        name="uq_gap_patient_measure_period"),
    sa.Index("ix_gap_measure_state", "measure_id", "period_end", "state"),
    # the Gaps worklist: open gaps of a period by due date, read in order a page at a time
    sa.Index("ix_gap_worklist", "period_end", "state", "due_date", "measure_id"),
    # a patient's gaps with what a count asks of them (migration 0020): a typed name's counts per
    # state (and a practice's, when its kept counts are out of step) are read from this index
    # alone, not from each gap's row
    sa.Index("ix_gap_patient_state", "patient_id", "period_end", "state", "measure_id", "group_index"),
)

# the facts behind a gap's populations, one JSON array per gap
# (storage.measures.evidence_items); the gap id is the row id
gap_evidence = sa.Table(
    "gap_evidence", metadata,
    sa.Column("gap_id", Id, sa.ForeignKey("gap.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("items", sa.Text, nullable=False),
)

# a gap's state changes after it was first computed (gap.created_at)
gap_history = sa.Table(
    "gap_history", metadata, _pk(),
    sa.Column("gap_id", Id, sa.ForeignKey("gap.id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_state", sa.String, nullable=True),
    sa.Column("to_state", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_gap_history_gap", "gap_id"),
)

gap_override = sa.Table(
    "gap_override", metadata, _pk(),
    _fk("patient_id", "patient.id"),
    sa.Column("measure_id", sa.String, sa.ForeignKey("measure.id"), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("reason", sa.String, nullable=False),  # the free text (before structured reasons: all of it)
    sa.Column("by", sa.String, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    _flag("entered_in_error"),
    # the structured reason from the measure's list (definitions' "documented_reasons"), the day
    # it applies from and where it is documented; '' / NULL on notes kept before they existed
    _text("reason_code"),
    sa.Column("applies_from", sa.Date, nullable=True),
    _text("source"),
    sa.Index("ix_gap_override_patient", "patient_id", "measure_id"),
)

# The Gaps worklist's counts: gaps per measure, period, population group, practice (the
# patient's) and state of the patients not entered in error, kept in step with the gap rows by
# the recompute's writes (storage.measures.gap_counts) and by a patient's change of practice or
# entered-in-error mark (a trigger made with the table). A count reads these few rows instead
# of counting millions of gaps (0.5-1 s at 1M patients).
gap_count = sa.Table(
    "gap_count", metadata,
    sa.Column("measure_id", sa.String, primary_key=True),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, primary_key=True),
    sa.Column("group_index", sa.Integer, primary_key=True),
    sa.Column("practice_id", Id, primary_key=True),
    sa.Column("state", sa.String, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

# For which measure and period ``gap_count`` is in step with the gaps: the ``gap_write.version``
# it was last kept at. A measure and period whose versions differ (or that has no row here) is
# counted from the gap rows instead, until its next write puts it back in step.
gap_count_write = sa.Table(
    "gap_count_write", metadata,
    sa.Column("measure_id", sa.String, primary_key=True),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

# When gaps of a period were last evaluated: for the whole pod (patient_id NULL) or for some
# patients (after an import); a chart with no gap in a period tells "in no measure's population"
# from "not evaluated since its data arrived" with it
gap_evaluation = sa.Table(
    "gap_evaluation", metadata, _pk(),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("patient_id", Id, sa.ForeignKey("patient.id", ondelete="CASCADE"), nullable=True),
    sa.Column("evaluated_at", sa.DateTime, nullable=False),
    sa.Index("ix_gap_evaluation_patient", "patient_id", "period_end"),
)

# Settings of the pod, the same for every user (the minimum denominator of a ranked rate, …)
pod_setting = sa.Table(
    "pod_setting", metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column("value", sa.String, nullable=False),
)

# How many times each measure's gaps of a period were written: a recompute prepares its
# writes before it takes the write lock and checks, once it holds it, that nobody wrote the
# same measure in between (storage.measures.gap_writer).
gap_write = sa.Table(
    "gap_write", metadata,
    sa.Column("measure_id", sa.String, sa.ForeignKey("measure.id"), primary_key=True),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)

# A measure and period whose first write is under way in several steps
# (storage.measures.gap_steps): its gaps are left out of sight until the last step removes it.
gap_staging = sa.Table(
    "gap_staging", metadata,
    sa.Column("measure_id", sa.String, sa.ForeignKey("measure.id"), primary_key=True),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, primary_key=True),
    sa.Column("started_at", sa.DateTime, nullable=False),
)

quality_snapshot = sa.Table(
    "quality_snapshot", metadata, _pk(),
    _fk("practice_id", "practice.id"),
    sa.Column("measure_id", sa.String, sa.ForeignKey("measure.id"), nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    # a measure with several population groups (CMS138) has one rate per group
    sa.Column("group_index", sa.Integer, nullable=False, server_default="0"),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("numerator", sa.Integer, nullable=False),
    sa.Column("denominator", sa.Integer, nullable=False),
    sa.Column("rate", sa.Float, nullable=True),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("practices_ranked", sa.Integer, nullable=False),
    sa.Column("pod_median", sa.Float, nullable=True),
    sa.Column("pod_best", sa.Float, nullable=True),
    sa.Column("taken_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("practice_id", "measure_id", "period_end", "group_index", "month",
                        name="uq_snapshot_key"),
)

# Audit events are written once and never changed (enforced in the database by triggers,
# made by migrations 0001 and 0013; storage.audit_chain checks they are still there).


# --- how values are stored, for the bulk writers (demo generator, importers) ------------

def column_names(table: sa.Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns)


def sql_datetime(value: dt.datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime type stores ('YYYY-MM-DD HH:MM:SS.ffffff')."""
    return None if value is None else value.isoformat(" ", "microseconds")


def sql_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


FACT_COLUMNS = column_names(clinical_fact)
