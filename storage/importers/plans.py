"""What one resource becomes: plain row dicts for the bulk writer, plus the references
it still needs resolved (patient, encounter, linked conditions) before it can be written."""
from __future__ import annotations

import dataclasses

Coding = tuple  # (role, system, code, display)
Component = tuple  # (system, code, display, value_num, value_unit, value_code)


class Rejected(Exception):
    """This resource cannot be imported; the message says why (shown to the user)."""


def text_element(resource: dict, name: str) -> str:
    """A code or string element (status, intent…) as sent; "" when absent. Another JSON type
    (``"status": 5``) is refused, not turned into text."""
    value = resource.get(name)
    if value is None:
        return ""
    if value.__class__ is not str and not isinstance(value, str):
        raise Rejected(f"{resource.get('resourceType', 'the resource')}.{name} is {value!r}, not text")
    return value


def reference_element(resource: dict, name: str):
    """A Reference element (subject, patient): an object with its reference, or None. A bare
    text (``"subject": "Patient/p1"``) is not a Reference and is refused rather than guessed."""
    value = resource.get(name)
    if value is None or value.__class__ is dict or isinstance(value, dict):
        return value
    raise Rejected(f"{resource.get('resourceType', 'the resource')}.{name} is {value!r}: a Reference "
                   '({"reference": "Patient/..."}) belongs there')


@dataclasses.dataclass
class FactPlan:
    kind: str
    row: dict                                  # clinical_fact columns this resource sets
    codings: list[Coding]
    components: list[Component] = dataclasses.field(default_factory=list)
    subject_ref: object = None                 # the Reference naming the patient
    encounter_ref: object = None
    linked: list[tuple[str, object]] = dataclasses.field(default_factory=list)  # (role, Reference)
    referral: dict | None = None               # ServiceRequest: the closed-loop referral
    payer: dict | None = None                  # Coverage: payer name/code and member id
    payor_ref: object = None


@dataclasses.dataclass
class PatientPlan:
    row: dict
    mrn: str
    mrn_is_typed: bool                         # an identifier typed MR: safe to match on
    organization_ref: object = None
    practitioner_refs: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ClinicianPlan:
    row: dict                                  # family, given, npi, credentials


@dataclasses.dataclass
class NotePlan:
    """A resource kept only for resolving references (Organization, Location, Medication)."""


@dataclasses.dataclass
class SkipPlan:
    """A resource type Carepod does not store (Goal, CarePlan…): counted and reported once."""
    reason: str
