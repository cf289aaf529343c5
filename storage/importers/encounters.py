"""Encounter → an ``encounter`` fact: class, type, status, period, discharge disposition,
diagnoses and reasons (the referenced Conditions' codes are added as role ``diagnosis`` /
``reason`` codings when the writer resolves them)."""
from __future__ import annotations

from storage.importers.codings import as_list, coding_as_concept, codings, codings_of_list
from storage.importers.dates import period_element, set_span
from storage.importers.facts import base, require_code
from storage.importers.plans import FactPlan


def encounter(resource: dict, ctx) -> FactPlan:
    type_codings = codings_of_list(resource.get("type"), "code")
    plan = base(resource, "encounter", type_codings)
    require_code(plan, "Encounter.type")
    class_codings = encounter_class_codings(resource)
    plan.codings += class_codings
    plan.row["encounter_class"] = class_codings[0][2] if class_codings else ""
    period = period_element(resource, "period")
    if period is not None:
        set_span(plan.row, period.get("start"), period.get("end"), "Encounter.period")
    hospitalization = resource.get("hospitalization")
    if isinstance(hospitalization, dict):
        discharge = codings(hospitalization.get("dischargeDisposition"), "discharge")
        plan.codings += discharge
        plan.row["discharge_code"] = discharge[0][2] if discharge else ""
        plan.codings += codings(hospitalization.get("admitSource"), "admit_source")
    plan.codings += codings(resource.get("serviceType"), "service_type")
    plan.codings += codings(resource.get("priority"), "priority")
    for diagnosis in as_list(resource.get("diagnosis")):
        if isinstance(diagnosis, dict) and diagnosis.get("condition"):
            plan.linked.append(("diagnosis", diagnosis["condition"]))
            plan.codings += codings(diagnosis.get("use"), "diagnosis_use")
    return plan


def encounter_class_codings(resource: dict) -> list:
    klass = resource.get("class")
    out = []
    for item in klass if isinstance(klass, list) else [klass]:  # R5 sends a list of concepts
        out += coding_as_concept(item, "class") if isinstance(item, dict) and "code" in item \
            else codings(item, "class")
    return out
