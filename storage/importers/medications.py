"""MedicationRequest, MedicationStatement, MedicationAdministration, MedicationDispense.

The drug is ``medicationCodeableConcept`` or a ``medicationReference`` to a contained or
referenced Medication, whose code becomes the fact's code.
"""
from __future__ import annotations

from storage.importers.codings import codings
from storage.importers.dates import instant, set_choice, set_span
from storage.importers.facts import base, require_code
from storage.importers.plans import FactPlan, Rejected


def _drug_codings(resource: dict, ctx, field: str) -> list:
    if isinstance(resource.get("medicationCodeableConcept"), dict):
        return codings(resource["medicationCodeableConcept"], "code")
    reference = resource.get("medicationReference")
    if reference is None:
        raise Rejected(f"{field} has neither medicationCodeableConcept nor medicationReference")
    medication = ctx.lookup(reference, resource)
    if medication is None:
        raise Rejected(f"{field}.medicationReference {ctx.describe(reference)} names a Medication "
                       "that is not in this import or contained in the resource")
    return codings(medication.get("code"), "code")


def medication_request(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "medication_request", _drug_codings(resource, ctx, "MedicationRequest"))
    require_code(plan, "MedicationRequest medication")
    # authoredOn is what the measures ask of a request; dosage timing stays in resource_json
    authored = resource.get("authoredOn")
    plan.row["recorded_at"] = instant(authored, "authoredOn")
    plan.row["start_raw"], plan.row["start_at"] = authored or "", plan.row["recorded_at"]
    return plan


def medication_statement(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "medication_statement", _drug_codings(resource, ctx, "MedicationStatement"))
    require_code(plan, "MedicationStatement medication")
    set_choice(plan.row, resource, "effective")
    plan.row["recorded_at"] = instant(resource.get("dateAsserted"), "dateAsserted")
    return plan


def medication_administration(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "medication_administration", _drug_codings(resource, ctx, "MedicationAdministration"))
    require_code(plan, "MedicationAdministration medication")
    set_choice(plan.row, resource, "effective")
    return plan


def medication_dispense(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "medication_dispense", _drug_codings(resource, ctx, "MedicationDispense"))
    require_code(plan, "MedicationDispense medication")
    if resource.get("whenHandedOver") or resource.get("whenPrepared"):
        set_span(plan.row, resource.get("whenHandedOver") or resource.get("whenPrepared"), None,
                 "whenHandedOver" if resource.get("whenHandedOver") else "whenPrepared")
    plan.row["recorded_at"] = instant(resource.get("whenPrepared"), "whenPrepared")
    quantity = resource.get("daysSupply")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), (int, float)):
        plan.row["value_num"], plan.row["value_unit"] = float(quantity["value"]), "days supply"
    plan.codings += codings(resource.get("type"), "type")
    return plan
