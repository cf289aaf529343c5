"""DeviceRequest and ServiceRequest (which also opens a closed-loop referral)."""
from __future__ import annotations

from storage.importers.codings import as_list, codings, concept_text
from storage.importers.dates import instant, set_choice
from storage.importers.facts import base, require_code
from storage.importers.plans import FactPlan, Rejected

# ServiceRequest.status → the referral's closed-loop state
REFERRAL_STATES = {
    "draft": "ordered", "active": "ordered", "on-hold": "ordered", "unknown": "ordered",
    "completed": "closed", "revoked": "cancelled", "entered-in-error": "cancelled",
}
URGENCY = {"routine": "routine", "urgent": "urgent", "asap": "urgent", "stat": "stat"}


def _request_dates(plan: FactPlan, resource: dict) -> None:
    plan.row["recorded_at"] = instant(resource.get("authoredOn"), "authoredOn")
    if not set_choice(plan.row, resource, "occurrence") and resource.get("authoredOn"):
        plan.row["start_raw"], plan.row["start_at"] = resource["authoredOn"], plan.row["recorded_at"]


def device_request(resource: dict, ctx) -> FactPlan:
    if isinstance(resource.get("codeCodeableConcept"), dict):
        found = codings(resource["codeCodeableConcept"], "code")
    elif resource.get("codeReference") is not None:
        device = ctx.lookup(resource["codeReference"], resource)
        if device is None:
            raise Rejected(f"DeviceRequest.codeReference {ctx.describe(resource['codeReference'])} "
                           "names a Device that is not in this import")
        found = codings(device.get("type"), "code")
    else:
        raise Rejected("DeviceRequest has no code (codeCodeableConcept or codeReference)")
    plan = base(resource, "device_request", found)
    require_code(plan, "DeviceRequest.code")
    _request_dates(plan, resource)
    return plan


def service_request(resource: dict, ctx) -> FactPlan:
    plan = base(resource, "service_request", resource.get("code"))
    require_code(plan, "ServiceRequest.code")
    _request_dates(plan, resource)
    plan.codings += codings(resource.get("performerType"), "performer_type")
    status = plan.row["status"]
    if not plan.row["not_done"]:
        specialty = concept_text(resource.get("performerType")) or concept_text(resource.get("code"))
        reasons = [concept_text(c) for c in as_list(resource.get("reasonCode")) if concept_text(c)]
        plan.referral = {
            "specialty": specialty or plan.row["code"],
            "specialist": "",
            "reason": "; ".join(reasons) or plan.row["display"] or plan.row["code"],
            "urgency": URGENCY.get(str(resource.get("priority") or "routine"), "routine"),
            "state": REFERRAL_STATES.get(status, "ordered"),
            "entered_in_error": status == "entered-in-error",
        }
    return plan
