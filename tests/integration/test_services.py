"""Use cases through the unit of work: each commits whole or not at all."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from domain import services
from domain.errors import DomainError, InvalidTransition, NotFound
from domain.practice import Practice
from storage.uow import UnitOfWork


@pytest.fixture
def patient_id(engine):
    with UnitOfWork(engine, "Dana") as uow:
        practice = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        uow.commit()
        practice_id = practice.id
    with UnitOfWork(engine, "Dana") as uow:
        return services.register_patient(uow, practice_id=practice_id, mrn="E1", family="Vance",
                                         given="Iris", birth_date=dt.date(1948, 7, 4))


def test_open_chart_writes_a_view_event(engine, patient_id):
    with UnitOfWork(engine, "Nurse Kim") as uow:
        assert services.open_chart(uow, patient_id).family == "Vance"
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT actor, action, patient_id FROM audit_event WHERE action='view'")).one()
    assert tuple(row) == ("Nurse Kim", "view", patient_id)


def test_open_chart_of_unknown_patient_is_a_clear_error(engine):
    with UnitOfWork(engine, "Nurse Kim") as uow, pytest.raises(NotFound, match="No Patient with id 999"):
        services.open_chart(uow, 999)


def test_referral_use_cases(engine, patient_id):
    with UnitOfWork(engine, "Dana") as uow:
        rid = services.order_referral(uow, patient_id=patient_id, specialty="Podiatry", reason="Diabetic foot")
    with UnitOfWork(engine, "Dana") as uow:
        services.advance_referral(uow, rid, "sent")
    with UnitOfWork(engine, "Dana") as uow, pytest.raises(InvalidTransition):
        services.advance_referral(uow, rid, "closed")
    with UnitOfWork(engine, "Dana") as uow:
        assert uow.referrals.get(rid).state == "sent"


def test_correction_needs_a_reason(engine, patient_id):
    with UnitOfWork(engine, "Dana") as uow, pytest.raises(DomainError, match="why"):
        services.correct_patient(uow, patient_id, {"given": "Irene"}, reason="")
    with UnitOfWork(engine, "Dana") as uow:
        services.correct_patient(uow, patient_id, {"given": "Irene"}, reason="spelling")
        assert uow.patients.get(patient_id).given == "Irene"


def test_gap_override_recorded_with_who(engine, patient_id):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO measure (id, version, title, inverse, active, definition) "
                             "VALUES ('CMS125', '1', 'Breast Cancer Screening', 0, 1, '{}')"))
    with UnitOfWork(engine, "Dana") as uow:
        oid = services.document_gap_override(uow, patient_id=patient_id, measure_id="CMS125",
                                             period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
                                             kind="declined", reason="Patient declines mammography",
                                             reason_code="declined-after-discussion",
                                             applies_from=dt.date(2025, 3, 1), source="patient",
                                             confirm_past_period=True)
    with UnitOfWork(engine, "Dana") as uow:
        (override,) = uow.gap_overrides.for_patient(patient_id)
        assert (override.id, override.by, override.kind) == (oid, "Dana", "declined")
