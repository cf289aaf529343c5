"""Practitioner → clinician; Organization, Location, PractitionerRole, Medication and Device
are kept for resolving references (a managing organization that is a practice, a payer's
name, a referenced medication's code) and are not stored as records of their own."""
from __future__ import annotations

from storage.importers.codings import as_list
from storage.importers.plans import ClinicianPlan, NotePlan

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def npi_of(resource: dict) -> str:
    for identifier in as_list(resource.get("identifier")):
        if isinstance(identifier, dict) and identifier.get("system") == NPI_SYSTEM and identifier.get("value"):
            return str(identifier["value"]).strip()
    return ""


def practitioner(resource: dict, ctx) -> ClinicianPlan:
    names = [n for n in as_list(resource.get("name")) if isinstance(n, dict)]
    name = names[0] if names else {}
    family = str(name.get("family") or name.get("text") or "").strip() or "(no name)"
    given = " ".join(str(g) for g in as_list(name.get("given")) if g)
    credentials = " ".join(str(s) for s in as_list(name.get("suffix")) if s)
    return ClinicianPlan({"family": family, "given": given, "npi": npi_of(resource),
                          "credentials": credentials})


def reference_only(resource: dict, ctx) -> NotePlan:
    return NotePlan()
