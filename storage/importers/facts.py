"""Clinical resources → clinical_fact rows: the parts every kind shares, and the simple kinds
(Condition, Observation, Procedure, Immunization, AllergyIntolerance, DiagnosticReport).

Role ``code`` holds the element a measure's primary code path points to (QI-Core):
Condition/Observation/Procedure/AllergyIntolerance/DiagnosticReport/ServiceRequest ``code``,
Immunization ``vaccineCode``, Encounter ``type``, medications' ``medication[x]`` (or the
referenced Medication's code), DeviceRequest ``code[x]``, Coverage ``type``, Claim items'
``productOrService``. The fact's code_system/code/display repeat the first of them.
"""
from __future__ import annotations

import math

from storage.importers.codings import as_list, codings, codings_of_list, first_code
from storage.importers.dates import instant, set_choice
from storage.importers.plans import FactPlan, Rejected, reference_element, text_element

# QI-Core marks "not done" with these extensions (and one published misspelling of them)
NOT_DONE_REASON_URLS = ("qicore-notDoneReason", "qicore-doNotPerformReason")
DO_NOT_PERFORM_URLS = ("qicore-doNotPerform", "qicore-doNotPeform",
                       "extension-DeviceRequest.doNotPerform")
RECORDED_URL = "qicore-recorded"


def _extensions(resource: dict, *, modifier: bool = False):
    for ext in resource.get("modifierExtension" if modifier else "extension") or ():
        if isinstance(ext, dict) and isinstance(ext.get("url"), str):
            yield ext


def has_extension_true(resource: dict, endings: tuple[str, ...]) -> bool:
    for ext in list(_extensions(resource, modifier=True)) + list(_extensions(resource)):
        if ext["url"].endswith(endings) and ext.get("valueBoolean") is True:
            return True
    return False


def extension_codings(resource: dict, endings: tuple[str, ...], role: str) -> list:
    out = []
    for ext in _extensions(resource):
        if ext["url"].endswith(endings):
            out.extend(codings(ext.get("valueCodeableConcept"), role))
    return out


def base(resource: dict, kind: str, code_concept, *, subject_field: str = "subject") -> FactPlan:
    """The plan every fact starts from: code, status, category, not-done, reasons."""
    # a concept from the resource, or codings a mapper built (tuples): whatever else the resource
    # put there (a list, a number…) holds no code
    found = codings(code_concept, "code") if isinstance(code_concept, dict) else \
        [c for c in code_concept if isinstance(c, tuple)] if isinstance(code_concept, list) else []
    get = resource.get
    status = text_element(resource, "status")
    first = found[0] if found else ("", "", "", "")
    row = {
        "kind": kind, "status": status,
        "clinical_status": first_code(get("clinicalStatus")),
        "verification_status": first_code(get("verificationStatus")),
        "intent": text_element(resource, "intent"),
        "category": "", "start_at": None, "end_at": None, "start_raw": "", "end_raw": "",
        "recorded_at": None, "value_num": None, "value_unit": "", "value_system": "",
        "value_code": "", "value_text": "", "encounter_class": "", "discharge_code": "",
        "code_system": first[1], "code": first[2], "display": first[3],
    }
    categories = get("category")
    category_codings = []
    if categories is not None:
        if isinstance(categories, dict):  # AllergyIntolerance.category is a code list; some send one concept
            categories = [categories]
        category_codings = codings_of_list(categories, "category")
        if isinstance(categories, list) and categories and all(isinstance(c, str) for c in categories):
            row["category"] = ",".join(categories)
        else:
            row["category"] = ",".join(dict.fromkeys(c[2] for c in category_codings))
    # most resources carry no extension: skip the scans for them (this runs for every fact)
    has_extensions = "extension" in resource or "modifierExtension" in resource
    extension_reasons = extension_codings(resource, NOT_DONE_REASON_URLS, "not_done_reason") \
        if has_extensions else []
    do_not_perform = get("doNotPerform") is True or (
        has_extensions and has_extension_true(resource, DO_NOT_PERFORM_URLS))
    row["not_done"] = bool(status == "not-done" or do_not_perform or extension_reasons)
    row["entered_in_error"] = (status == "entered-in-error"
                               or row["verification_status"] == "entered-in-error")
    plan = FactPlan(kind, row, found + category_codings + codings(get("statusReason"), "not_done_reason")
                    + extension_reasons + codings_of_list(get("reasonCode"), "reason"),
                    subject_ref=reference_element(resource, subject_field),
                    encounter_ref=get("encounter") or get("context"))
    for reason in as_list(get("reasonReference")):
        plan.linked.append(("reason", reason))
    if has_extensions:
        for ext in _extensions(resource):
            if ext["url"].endswith(RECORDED_URL) and "valueDateTime" in ext:
                row["recorded_at"] = instant(ext["valueDateTime"], "extension qicore-recorded")
    return plan


def require_code(plan: FactPlan, field: str) -> None:
    if not plan.row["code"] and not any(c[0] == "code" for c in plan.codings):
        raise Rejected(f"{field} has no coding with a code")


def condition(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "condition", resource.get("code"))
    require_code(plan, "Condition.code")
    set_choice(plan.row, resource, "onset")
    set_abatement(plan.row, resource)
    plan.row["recorded_at"] = instant(resource.get("recordedDate"), "recordedDate") or plan.row["recorded_at"]
    plan.codings += codings_of_list(resource.get("bodySite"), "body_site")
    plan.codings += codings(resource.get("severity"), "severity")
    return plan


def set_abatement(row: dict, resource: dict) -> None:
    """Condition.abatement[x] ends the condition (row needs end_raw and end_at)."""
    for suffix in ("DateTime", "Period", "Date"):
        value = resource.get("abatement" + suffix)
        if isinstance(value, dict):
            row["end_raw"] = value.get("end") or value.get("start") or ""
            row["end_at"] = instant(row["end_raw"], "abatementPeriod")
        elif value is not None:
            row["end_raw"] = value
            row["end_at"] = instant(value, "abatement" + suffix)
    if not row["end_raw"] and isinstance(resource.get("abatementString"), str):
        row["end_raw"] = resource["abatementString"]


def set_value(row: dict, plan_codings: list, holder: dict, field: str) -> None:
    """Observation.value[x] of every kind."""
    if "valueQuantity" in holder and isinstance(holder["valueQuantity"], dict):
        q = holder["valueQuantity"]
        row["value_num"] = _number(q.get("value"), field + ".valueQuantity.value", q, "value")
        row["value_unit"] = str(q.get("unit") or q.get("code") or "")
        row["value_code"] = str(q.get("code") or "")
        row["value_system"] = str(q.get("system") or "")
        if q.get("comparator"):
            row["value_text"] = str(q["comparator"])
    elif isinstance(holder.get("valueCodeableConcept"), dict):
        concept = holder["valueCodeableConcept"]
        found = codings(concept, "value")
        plan_codings.extend(found)
        if found:
            row["value_system"], row["value_code"] = found[0][1], found[0][2]
        row["value_text"] = str(concept.get("text") or (found[0][3] if found else ""))
    elif isinstance(holder.get("valueBoolean"), bool):
        row["value_text"] = "true" if holder["valueBoolean"] else "false"
    elif "valueInteger" in holder:
        row["value_num"] = _number(holder["valueInteger"], field + ".valueInteger", holder, "valueInteger")
    elif isinstance(holder.get("valueString"), str):
        row["value_text"] = holder["valueString"]
    elif "valueDateTime" in holder:
        instant(holder["valueDateTime"], field + ".valueDateTime")
        row["value_text"] = holder["valueDateTime"]
    elif "valueTime" in holder:
        row["value_text"] = str(holder["valueTime"])
    elif isinstance(holder.get("valueRange"), dict):
        low, high = holder["valueRange"].get("low") or {}, holder["valueRange"].get("high") or {}
        row["value_text"] = f"{low.get('value', '')}-{high.get('value', '')} {low.get('unit') or high.get('unit') or ''}".strip()
    elif isinstance(holder.get("valueRatio"), dict):
        num, den = holder["valueRatio"].get("numerator") or {}, holder["valueRatio"].get("denominator") or {}
        row["value_text"] = f"{num.get('value', '')}/{den.get('value', '')}"
    elif isinstance(holder.get("valuePeriod"), dict):
        row["value_text"] = f"{holder['valuePeriod'].get('start', '')}/{holder['valuePeriod'].get('end', '')}"
    plan_codings.extend(codings(holder.get("dataAbsentReason"), "data_absent_reason"))


def _number(value, field: str, holder: dict | None = None, name: str = ""):
    """A number as stored; refused when it is not one, or not a finite one (NaN, Infinity and
    1e400 read as infinity would be stored as no value or as infinity), or an explicit null
    (FHIR JSON leaves an absent value out; a null is a sender's error, not a missing result)."""
    if value is None:
        if holder is not None and name in holder:
            raise Rejected(f"{field} is null: FHIR JSON leaves out a value it does not have")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected(f"{field}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise Rejected(f"{field}: {value!r} is not a finite number (NaN, Infinity or too large)")
    return number


def observation(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "observation", resource.get("code"))
    require_code(plan, "Observation.code")
    set_choice(plan.row, resource, "effective")
    plan.row["recorded_at"] = instant(resource.get("issued"), "issued") or plan.row["recorded_at"]
    set_value(plan.row, plan.codings, resource, "Observation")
    plan.codings += codings_of_list(resource.get("interpretation"), "interpretation")
    plan.components = observation_components(resource)
    for member in as_list(resource.get("hasMember")):
        plan.linked.append(("member", member))
    return plan


def observation_components(resource: dict) -> list:
    """Observation.component (a blood pressure's systolic and diastolic) as component rows."""
    out = []
    components = resource.get("component")
    if components is not None and not isinstance(components, list):
        raise Rejected(f"Observation.component is {components!r}: a list of components belongs there")
    for index, component in enumerate(components or ()):
        if not isinstance(component, dict):
            raise Rejected(f"Observation.component[{index}] is {component!r}: a component object belongs there")
        found = codings(component.get("code"), "component")
        if not found:
            raise Rejected(f"Observation.component[{index}].code has no coding with a code")
        values: dict = {"value_num": None, "value_unit": "", "value_code": "", "value_text": "", "value_system": ""}
        extra: list = []
        set_value(values, extra, component, f"Observation.component[{index}]")
        # a quantity's unit is in value_unit; a coded or text value goes to value_code
        value_code = "" if values["value_num"] is not None else (values["value_code"] or values["value_text"])
        out.append((found[0][1], found[0][2], found[0][3], values["value_num"], values["value_unit"], value_code))
    return out


def procedure(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "procedure", resource.get("code"))
    require_code(plan, "Procedure.code")
    set_choice(plan.row, resource, "performed")
    plan.codings += codings_of_list(resource.get("bodySite"), "body_site")
    return plan


def immunization(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "immunization", resource.get("vaccineCode"), subject_field="patient")
    require_code(plan, "Immunization.vaccineCode")
    if not set_choice(plan.row, resource, "occurrence") and isinstance(resource.get("occurrenceString"), str):
        plan.row["start_raw"] = resource["occurrenceString"]
    plan.row["recorded_at"] = instant(resource.get("recorded"), "recorded") or plan.row["recorded_at"]
    return plan


def allergy(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "allergy", resource.get("code"), subject_field="patient")
    require_code(plan, "AllergyIntolerance.code")
    set_choice(plan.row, resource, "onset")
    plan.row["recorded_at"] = instant(resource.get("recordedDate"), "recordedDate") or plan.row["recorded_at"]
    for reaction in as_list(resource.get("reaction")):
        if isinstance(reaction, dict):
            plan.codings += codings_of_list(reaction.get("manifestation"), "reaction")
    return plan


def diagnostic_report(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "diagnostic_report", resource.get("code"))
    require_code(plan, "DiagnosticReport.code")
    set_choice(plan.row, resource, "effective")
    plan.row["recorded_at"] = instant(resource.get("issued"), "issued") or plan.row["recorded_at"]
    plan.codings += codings_of_list(resource.get("conclusionCode"), "conclusion")
    return plan
