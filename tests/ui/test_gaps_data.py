"""A small synthetic pod with gaps, evidence and measures, shared by the Gaps and Quality tests.

Patients and practices go through the unit of work (as the app writes them); gap
rows are inserted directly, so these tests do not depend on the measure engine.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from domain.practice import Practice
from domain.services import register_patient
from storage import schema as t
from storage.measures import evidence_items
from storage.uow import UnitOfWork
from storage.codings import concept_id

PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OLD_PERIOD = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
LOINC, SNOMED = "http://loinc.org", "http://snomed.info/sct"
ACTOR = "Dana Reyes"

# practice code, family, given, birth date, MRN
PATIENTS = [
    ("ALD", "Abbott", "Ann", dt.date(1960, 2, 1), "A100"),
    ("ALD", "Baker", "Beth", dt.date(1958, 5, 9), "A101"),
    ("ALD", "Carter", "Cora", dt.date(1965, 7, 21), "A102"),
    ("ALD", "Dunn", "Dora", dt.date(1962, 11, 30), "A103"),
    ("BIR", "Evans", "Eve", dt.date(1959, 1, 15), "B200"),
    ("BIR", "Foster", "Faye", dt.date(1963, 3, 3), "B201"),
    ("BIR", "Garcia", "Gina", dt.date(1970, 8, 8), "B202"),
    ("BIR", "Smith", "Joan", dt.date(1961, 6, 6), "B203"),
    ("CED", "Hughes", "Hana", dt.date(1957, 4, 4), "C300"),
    ("CED", "Irwin", "Iris", dt.date(1966, 9, 9), "C301"),
    ("CED", "Smith", "Jo", dt.date(1964, 12, 12), "C302"),
    ("CED", "Jones", "Jill", dt.date(1968, 10, 10), "C303"),
]

# CMS125 state per MRN in 2025 (ALD 2/3 met, BIR 2/3 met, CED 1/3, DEN has no patients)
CMS125_STATES = {
    "A100": "closed", "A101": "closed", "A102": "open", "A103": "excluded",
    "B200": "closed", "B201": "open", "B202": "closed", "B203": "not_applicable",
    "C300": "open", "C301": "closed", "C302": "open", "C303": "excluded",
}
# CMS122 (inverse: open = HbA1c > 9 %, the bad outcome)
CMS122_STATES = {"A100": "open", "A101": "closed", "B200": "closed", "B201": "closed",
                 "C300": "open", "C301": "open"}


@dataclasses.dataclass
class Pod:
    practices: dict[str, int]
    patients: dict[str, int]  # MRN -> patient id
    gaps: dict[tuple[str, str], int]  # (MRN, measure) -> gap id of the 2025 period


def _populations(state: str, inverse: bool = False) -> dict:
    ip = 0 if state == "not_applicable" else 1
    excluded = 1 if state == "excluded" else 0
    met = state == "closed"
    numerator = int(ip and not excluded and (met != inverse))
    return dict(initial_population=ip, denominator=ip, denominator_exclusion=excluded,
                denominator_exception=0, numerator=numerator)


def build_pod(engine) -> Pod:
    with UnitOfWork(engine, ACTOR) as uow:
        practices = {}
        for code, name in [("ALD", "Alder Family Medicine"), ("BIR", "Birch Street Clinic"),
                           ("CED", "Cedar Health"), ("DEN", "Denali Internal Medicine")]:
            practices[code] = uow.practices.add(Practice(code, name)).id
        uow.commit()
    patients = {}
    for code, family, given, born, mrn in PATIENTS:
        with UnitOfWork(engine, ACTOR) as uow:
            patients[mrn] = register_patient(uow, practice_id=practices[code], mrn=mrn, family=family,
                                             given=given, birth_date=born, sex="female")
    computed = dt.datetime(2025, 7, 1, 8, 0)
    gaps = {}
    with engine.begin() as conn:
        conn.execute(sa.insert(t.measure), [
            dict(id="CMS125", version="2025", title="Breast Cancer Screening", inverse=False,
                 definition={}),
            dict(id="CMS122", version="2025", title="Diabetes: Glycemic Status Assessment Greater Than 9%",
                 inverse=True, definition={}),
        ])
        fact_ids = {}
        for mrn, pid in patients.items():
            fact_ids[mrn] = conn.execute(sa.insert(t.clinical_fact).values(
                patient_id=pid, kind="observation", code="24606-6", concept_id=concept_id(conn, LOINC, "24606-6", "Mammogram"),
                start_at=dt.datetime(2024, 11, 3, 10, 0), status="final",
            )).inserted_primary_key[0]
        for i, (mrn, state) in enumerate(sorted(CMS125_STATES.items())):
            due = None if state != "open" else dt.date(2025, 12, 31) - dt.timedelta(days=30 * (i % 3))
            outreach = dt.datetime(2025, 5, 1 + i, 9, 0) if i % 2 else None
            gid = conn.execute(sa.insert(t.gap).values(
                patient_id=patients[mrn], measure_id="CMS125", period_start=PERIOD[0],
                period_end=PERIOD[1], state=state, due_date=due,
                computed_at=computed, created_at=dt.datetime(2025, 2, 1, 8, 0),
                **_populations(state))).inserted_primary_key[0]
            gaps[(mrn, "CMS125")] = gid
            if outreach is not None:  # the patient's latest outreach, shown beside each of their gaps
                for at, error in ((outreach - dt.timedelta(days=40), False), (outreach, False),
                                  (outreach + dt.timedelta(days=3), True)):
                    conn.execute(sa.insert(t.outreach_attempt).values(
                        patient_id=patients[mrn], at=at, channel="phone", outcome="left_message",
                        by="nurse.kim", gap_id=gid, entered_in_error=error))
            if state == "closed":
                conn.execute(sa.insert(t.gap_evidence).values(gap_id=gid, items=evidence_items.encode([(
                    "numerator", "Mammography since 1 October two years before the period",
                    fact_ids[mrn], LOINC, "24606-6", "2024-11-03", "")])))
            if state == "excluded":
                conn.execute(sa.insert(t.gap_evidence).values(gap_id=gid, items=evidence_items.encode([(
                    "denominator-exclusion", "Has Hospice Services", None, SNOMED, "385763009", "2025-06-10",
                    "Hospice care encounter")])))
            if state != "open":
                conn.execute(sa.insert(t.gap_history).values(
                    gap_id=gid, from_state="open", to_state=state, at=computed))
        for mrn, state in sorted(CMS122_STATES.items()):
            gid = conn.execute(sa.insert(t.gap).values(
                patient_id=patients[mrn], measure_id="CMS122", period_start=PERIOD[0],
                period_end=PERIOD[1], state=state, due_date=PERIOD[1] if state == "open" else None,
                computed_at=computed, **_populations(state, inverse=True))).inserted_primary_key[0]
            gaps[(mrn, "CMS122")] = gid
        # the sample's few patients are ranked as if they were enough (the pod's minimum
        # denominator, 20 by default, is tested in tests/ui/test_minimum_denominator.py)
        from storage.queries.pod_settings import write_minimum_denominator

        write_minimum_denominator(conn, 1)
        # an older period, which the chart must not show as current
        conn.execute(sa.insert(t.gap).values(
            patient_id=patients["A102"], measure_id="CMS125", period_start=OLD_PERIOD[0],
            period_end=OLD_PERIOD[1], state="closed", computed_at=computed, **_populations("closed")))
    return Pod(practices, patients, gaps)
