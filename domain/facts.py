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


# Decimals a clinician reads a result with, by LOINC code, then by unit: blood pressure and
# heart rate as integers, HbA1c and BMI with one decimal, creatinine with two. The stored
# value stays exact; only what is shown is rounded (half up, as a clinician rounds).
DECIMALS_BY_CODE = {
    "8480-6": 0, "8462-4": 0, "85354-9": 0, "55284-4": 0,  # blood pressure (mmHg)
    "4548-4": 1, "17856-6": 1, "4549-2": 1, "97506-0": 1,  # HbA1c, GMI (%)
    "39156-5": 1, "59576-9": 1,  # BMI, BMI percentile
    "29463-7": 1, "3141-9": 1, "8302-2": 1, "8306-3": 1, "8287-5": 1,  # weight, height, head
    "8867-4": 0, "9279-1": 0, "2708-6": 0, "59408-5": 0,  # heart and breathing rate, O2 saturation
    "8310-5": 1, "8331-1": 1,  # body temperature
    "72514-3": 0, "44261-6": 0, "89204-2": 0, "55758-7": 0, "73831-0": 0, "89208-3": 0,  # scores
    "2339-0": 0, "2345-7": 0, "2093-3": 0, "2085-9": 0, "18262-6": 0, "13457-7": 0, "2571-8": 0,
    "33914-3": 0, "62238-1": 0, "98979-8": 0,  # glucose, lipids (mg/dL), eGFR
    "2160-0": 2, "38483-4": 2,  # creatinine (mg/dL)
}
DECIMALS_BY_UNIT = {"mm[Hg]": 0, "mmHg": 0, "kg/m2": 1, "%": 1, "kg": 1, "cm": 1, "Cel": 1, "[degF]": 1,
                    "/min": 0, "{beats}/min": 0, "{breaths}/min": 0, "mg/dL": 0, "{score}": 0}
DEFAULT_DECIMALS = 2  # anything else: at most two decimals, trailing zeros dropped


def clinical_decimals(code: str = "", unit: str = "") -> int | None:
    """The decimals a value of this code or unit is shown with; None: not fixed (at most two)."""
    if code in DECIMALS_BY_CODE:
        return DECIMALS_BY_CODE[code]
    return DECIMALS_BY_UNIT.get((unit or "").strip())


def clinical_number(value: float, *, code: str = "", unit: str = "") -> str:
    """A result as a clinician reads it: 185.822 mmHg → 186, HbA1c 5.80221 % → 5.8, BMI 28.3257
    → 28.3, 7 % → 7.0; a value of another kind with at most two decimals (0.5, 12)."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    decimals = clinical_decimals(code, unit)
    try:
        exact = Decimal(repr(float(value)))
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not exact.is_finite():
        return str(value)
    places = DEFAULT_DECIMALS if decimals is None else decimals
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "-0.0") else text


def components_display(components: list["Component"]) -> str:
    """Component values joined as they are read aloud: 132/84 mmHg."""
    parts = [clinical_number(c.value_num, code=c.code, unit=c.value_unit)
             for c in components if c.value_num is not None]
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
            number = clinical_number(self.value_num, code=self.code, unit=self.value_unit)
            return f"{number} {unit_label(self.value_unit)}".strip()
        return self.value_text or self.value_code
