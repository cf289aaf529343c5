"""Coverage (the patient's payer and member id, and a ``coverage`` fact) and Claim /
ExplanationOfBenefit (a ``claim`` fact when they carry diagnoses or services)."""
from __future__ import annotations

from storage.importers.codings import as_list, codings
from storage.importers.dates import instant, period_element, set_span
from storage.importers.facts import base
from storage.importers.plans import FactPlan, SkipPlan


def coverage(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "coverage", resource.get("type"), subject_field="beneficiary")
    plan.codings += codings(resource.get("relationship"), "relationship")
    period = period_element(resource, "period")
    if period is not None:
        set_span(plan.row, period.get("start"), period.get("end"), "Coverage.period")
    payors = as_list(resource.get("payor"))
    payor_ref = payors[0] if payors and isinstance(payors[0], dict) else None
    name, code, system = "", "", ""
    if payor_ref is not None:
        target = ctx.lookup(payor_ref, resource)
        ref_type = ctx.type_of(payor_ref)
        if target is not None and target.get("resourceType") == "Organization":
            name = str(target.get("name") or "")
            for identifier in as_list(target.get("identifier")):
                if isinstance(identifier, dict) and identifier.get("value"):
                    code, system = str(identifier["value"]), str(identifier.get("system") or "")
                    break
        elif ref_type in ("Patient", "RelatedPerson"):
            name = "Self-pay"
        name = name or str(payor_ref.get("display") or "")
    if name or code:
        plan.codings.append(("payor", system or "urn:carepod:payer", code or name, name))
    member = str(resource.get("subscriberId") or "")
    if not member:
        for identifier in as_list(resource.get("identifier")):
            if isinstance(identifier, dict) and identifier.get("value"):
                member = str(identifier["value"])
                break
    plan.payer = {"name": name, "code": code, "member_id": member, "status": plan.row["status"]}
    plan.row["value_text"] = member
    return plan


def claim(resource: dict, ctx) -> FactPlan | SkipPlan:
    services = []
    for item in as_list(resource.get("item")):
        if isinstance(item, dict):
            services += codings(item.get("productOrService"), "code")
    diagnoses = []
    for diagnosis in as_list(resource.get("diagnosis")):
        if isinstance(diagnosis, dict):
            diagnoses += codings(diagnosis.get("diagnosisCodeableConcept"), "diagnosis")
    procedures = []
    for proc in as_list(resource.get("procedure")):
        if isinstance(proc, dict):
            procedures += codings(proc.get("procedureCodeableConcept"), "procedure")
    if not (services or diagnoses or procedures):
        return SkipPlan(f"{resource.get('resourceType')} without diagnoses or services")
    plan = base(resource, "claim", services, subject_field="patient")
    plan.codings += diagnoses + procedures
    if not services:  # the fact shows its first diagnosis (or procedure) instead
        _role, plan.row["code_system"], plan.row["code"], plan.row["display"] = (diagnoses + procedures)[0]
    plan.codings += codings(resource.get("type"), "type")
    plan.row["intent"] = str(resource.get("use") or "")
    for diagnosis in as_list(resource.get("diagnosis")):
        if isinstance(diagnosis, dict) and diagnosis.get("diagnosisReference"):
            plan.linked.append(("diagnosis", diagnosis["diagnosisReference"]))
    period = period_element(resource, "billablePeriod")
    if period is not None:
        set_span(plan.row, period.get("start"), period.get("end"), "billablePeriod")
    plan.row["recorded_at"] = instant(resource.get("created"), "created")
    return plan
