"""Coded clinical facts: conditions, observations, procedures, immunizations,
encounters, medications, allergies and the other resources measures look at.

One shape holds them all; ``kind`` says which. Each fact keeps every coding it
arrived with (``codings``), its status fields and its dates both as given
(``*_raw``, exactly the source text) and as a UTC instant for ordering.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from domain.clock import utcnow
from domain.errors import DomainError

KINDS = (
    "condition", "observation", "procedure", "immunization", "encounter",
    "medication_request", "medication_statement", "medication_administration",
    "medication_dispense", "allergy", "device_request", "service_request",
    "diagnostic_report", "claim", "coverage",
)

SYSTEMS = {
    "http://snomed.info/sct": "SNOMED CT",
    "http://loinc.org": "LOINC",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
    "http://www.ama-assn.org/go/cpt": "CPT",
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets": "HCPCS",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/cvx": "CVX",
    "http://www.cms.gov/Medicare/Coding/ICD10": "ICD-10-PCS",
    "http://terminology.hl7.org/CodeSystem/v3-ActCode": "ActCode",
}


def unit_label(unit: str) -> str:
    """A UCUM unit as clinicians write it: mm[Hg] → mmHg, kg/m2 → kg/m²; annotations such as
    {score} are dropped (19 {score} reads 19)."""
    text = re.sub(r"\{[^}]*\}", "", unit or "").strip()
    return {"mm[Hg]": "mmHg", "kg/m2": "kg/m²", "[in_i]": "in", "[lb_av]": "lb"}.get(text, text)


def components_display(components: list["Component"]) -> str:
    """Component values joined as they are read aloud: 132/84 mmHg."""
    parts = [f"{c.value_num:g}" for c in components if c.value_num is not None]
    unit = unit_label(next((c.value_unit for c in components if c.value_unit), ""))
    return "/".join(parts) + (f" {unit}" if unit else "")


def system_label(system: str) -> str:
    return SYSTEMS.get(system, system.rsplit("/", 1)[-1] if system else "")


@dataclasses.dataclass(eq=False)
class Coding:
    """One coding of a fact. ``role`` says which element it came from: code, value,
    category, type, reason, discharge, class, not_done_reason, body_site…"""

    system: str
    code: str
    display: str = ""
    role: str = "code"
    id: int | None = None
    fact_id: int | None = None


@dataclasses.dataclass(eq=False)
class Component:
    """A component of an observation (blood pressure: systolic and diastolic)."""

    system: str
    code: str
    display: str = ""
    value_num: float | None = None
    value_unit: str = ""
    value_code: str = ""
    id: int | None = None
    fact_id: int | None = None


@dataclasses.dataclass(eq=False)
class ClinicalFact:
    patient_id: int
    kind: str
    code_system: str
    code: str
    display: str = ""
    status: str = ""
    clinical_status: str = ""
    verification_status: str = ""
    intent: str = ""
    category: str = ""
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    start_raw: str = ""
    end_raw: str = ""
    recorded_at: dt.datetime | None = None
    value_num: float | None = None
    value_unit: str = ""
    value_system: str = ""
    value_code: str = ""
    value_text: str = ""
    not_done: bool = False
    encounter_class: str = ""
    discharge_code: str = ""
    encounter_fact_id: int | None = None
    source_key: str | None = None
    entered_in_error: bool = False
    id: int | None = None
    created_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    codings: list[Coding] = dataclasses.field(default_factory=list)
    components: list[Component] = dataclasses.field(default_factory=list)

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise DomainError(f"Unknown kind of clinical fact {self.kind!r}.")
        if not self.code:
            raise DomainError(f"A {self.kind} needs a code.")
        if self.start_at and self.end_at and self.end_at < self.start_at:
            raise DomainError(f"The {self.kind} ends before it starts.")

    @property
    def is_active_condition(self) -> bool:
        return (
            self.kind == "condition"
            and not self.entered_in_error
            and self.clinical_status in ("", "active", "recurrence", "relapse")
            and self.verification_status not in ("refuted", "entered-in-error")
            and self.end_at is None
        )

    def value_text_for_display(self) -> str:
        if self.components:
            return components_display(self.components)
        if self.value_num is not None:
            return f"{self.value_num:g} {unit_label(self.value_unit)}".strip()
        return self.value_text or self.value_code
