"""Patient rules at their edges: birth date, MRN uniqueness, risk override, consent."""
from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import DomainError
from domain.patient import Patient, ensure_unique_mrns


def make(**kw) -> Patient:
    fields = dict(practice_id=1, mrn="A1", family="Nguyen", given="Lan", birth_date=dt.date(1970, 5, 1))
    fields.update(kw)
    return Patient(**fields)


def test_birth_date_today_is_allowed_tomorrow_is_not():
    today = dt.date(2026, 11, 24)
    make(birth_date=today).validate(on=today)
    with pytest.raises(DomainError, match="in the future"):
        make(birth_date=today + dt.timedelta(days=1)).validate(on=today)


def test_implausible_birth_year_rejected():
    with pytest.raises(DomainError, match="not plausible"):
        make(birth_date=dt.date(1879, 12, 31)).validate()


@pytest.mark.parametrize("field,value,message", [
    ("mrn", "  ", "MRN"), ("family", "", "family name"), ("sex", "f", "Sex"),
    ("status", "gone", "Status"), ("risk_tier", "extreme", "Risk tier"),
])
def test_required_and_enumerated_fields(field, value, message):
    with pytest.raises(DomainError, match=message):
        make(**{field: value}).validate()


def test_death_before_birth_rejected():
    with pytest.raises(DomainError, match="before the birth"):
        make(status="deceased", deceased_date=dt.date(1969, 1, 1)).validate()


def test_mrn_unique_per_practice_only():
    ensure_unique_mrns([make(mrn="X"), make(mrn="X", practice_id=2)])
    with pytest.raises(DomainError, match="MRN X appears twice"):
        ensure_unique_mrns([make(mrn="X"), make(mrn=" X ")])


def test_risk_override_needs_a_reason_and_wins():
    p = make(risk_tier="low")
    with pytest.raises(DomainError, match="reason"):
        p.override_risk("high", "  ")
    p.override_risk("high", "recent admission not yet imported")
    assert p.effective_risk_tier == "high"
    p.validate()


def test_consent_must_name_who():
    with pytest.raises(DomainError, match="who recorded"):
        make(consent_date=dt.date(2026, 1, 5)).validate()


def test_search_keys_follow_the_name_and_phone():
    p = make(family="O'Brien-Núñez", given="José", phone="+1 (555) 010-2233")
    assert p.family_key == "OBRIENNUNEZ"
    assert p.given_key == "JOSE"
    assert p.phone_key == "5550102233"
