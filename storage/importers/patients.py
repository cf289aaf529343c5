"""Patient → patient row (demographics, phones, address, language, status) and its MRN.

MRN = the identifier typed MR (v2-0203); else the first identifier; else ``FHIR-<id>``.
Only an identifier typed MR is trusted to identify a person within a practice (records
are matched on it); an untyped identifier is used as the MRN when it is free in the
practice, since different senders reuse the same untyped values (the eCQM cases all say
999999995), and otherwise the writer falls back to ``FHIR-<id>`` and says so.
"""
from __future__ import annotations

import datetime as dt
import functools

from domain.clock import today
from domain.text import name_key, phone_digits
from storage.importers.fhir_datetime import InvalidDate, parse_date
from storage.importers.codings import as_list
from storage.importers.plans import PatientPlan, Rejected

SEXES = {"female", "male", "other", "unknown"}

# names repeat across a panel (a few thousand families cover most patients) and name_key's
# Unicode normalising is most of a Patient's mapping time; bounded, so a big file stays small
_name_key = functools.lru_cache(maxsize=65536)(name_key)


def _name(resource: dict) -> tuple[str, str]:
    names = [n for n in as_list(resource.get("name")) if isinstance(n, dict)]
    chosen = next((n for n in names if n.get("use") == "official"), names[0] if names else None)
    if not chosen:
        raise Rejected("Patient.name is missing (a patient needs a family name)")
    family = chosen.get("family")
    if family is not None and not isinstance(family, str):
        raise Rejected(f"Patient.name.family is {family!r}, not text")
    family = (family or "").strip()
    if not family:
        raise Rejected("Patient.name.family is missing (a patient needs a family name)")
    given = chosen.get("given")
    if given is not None and (not isinstance(given, list) or not all(isinstance(g, str) for g in given)):
        raise Rejected(f"Patient.name.given is {given!r}: a list of texts belongs there")
    return family, " ".join(g for g in given or () if g)


def mrn_of(resource: dict) -> tuple[str, bool]:
    listed = resource.get("identifier")
    if listed is not None and not isinstance(listed, list):
        # an MRN sent where it cannot be read would be lost, and the patient matched on nothing
        raise Rejected(f"{resource.get('resourceType', 'Patient')}.identifier is {listed!r}: "
                       "a list of identifiers belongs there")
    identifiers = [i for i in listed or () if isinstance(i, dict) and i.get("value")]
    for identifier in identifiers:
        if not isinstance(identifier["value"], str):
            raise Rejected(f"an identifier's value is {identifier['value']!r}, not text")
    for identifier in identifiers:
        coding = (identifier.get("type") or {}).get("coding") or []
        if any(isinstance(c, dict) and c.get("code") == "MR" for c in coding):
            return str(identifier["value"]).strip(), True
    if identifiers:
        return str(identifiers[0]["value"]).strip(), False
    return "", False


def birth_date(resource: dict) -> dt.date:
    raw = resource.get("birthDate")
    if not raw:
        raise Rejected("Patient.birthDate is missing (a patient needs a birth date)")
    try:
        value = parse_date(raw)
    except InvalidDate as exc:
        raise Rejected(f"Patient.birthDate: {exc}") from None
    if value > today():
        raise Rejected(f"Patient.birthDate {raw} is in the future")
    if value.year < 1880:
        raise Rejected(f"Patient.birthDate {raw} is not plausible")
    return value


def patient(resource: dict, ctx) -> PatientPlan:
    family, given = _name(resource)
    born = birth_date(resource)
    sex = str(resource.get("gender") or "unknown")
    if sex not in SEXES:
        raise Rejected(f"Patient.gender {sex!r} is not one of {', '.join(sorted(SEXES))}")
    phones = [str(t.get("value")) for t in as_list(resource.get("telecom"))
              if isinstance(t, dict) and t.get("system") == "phone" and t.get("value")]
    row = {
        "family": family, "given": given, "birth_date": born, "sex": sex,
        "phone": phones[0] if phones else "", "phone_alt": phones[1] if len(phones) > 1 else "",
        "family_key": _name_key(family), "given_key": _name_key(given),
        "phone_key": phone_digits(phones[0] if phones else ""),
        "status": "active", "deceased_date": None,
    }
    addresses = [a for a in as_list(resource.get("address")) if isinstance(a, dict)]
    address = next((a for a in addresses if a.get("use") == "home"), addresses[0] if addresses else None)
    if address:
        row.update(address_line=", ".join(str(x) for x in as_list(address.get("line")) if x),
                   city=str(address.get("city") or ""), state=str(address.get("state") or ""),
                   postal_code=str(address.get("postalCode") or ""))
    language = _language(resource)
    if language:
        row["language"] = language
    if resource.get("deceasedBoolean") is True:
        row["status"] = "deceased"
    if resource.get("deceasedDateTime"):
        try:
            row["deceased_date"] = parse_date(resource["deceasedDateTime"])
        except InvalidDate as exc:
            raise Rejected(f"Patient.deceasedDateTime: {exc}") from None
        if row["deceased_date"] < born:
            raise Rejected("Patient.deceasedDateTime is before the birth date")
        row["status"] = "deceased"
    mrn, typed = mrn_of(resource)
    return PatientPlan(row, mrn, typed, resource.get("managingOrganization"),
                       [r for r in as_list(resource.get("generalPractitioner")) if isinstance(r, dict)])


def _language(resource: dict) -> str:
    communications = [c for c in as_list(resource.get("communication")) if isinstance(c, dict)]
    chosen = next((c for c in communications if c.get("preferred")), communications[0] if communications else None)
    concept = (chosen or {}).get("language") or {}
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in as_list(concept.get("coding")):
        if isinstance(coding, dict):
            return str(coding.get("display") or coding.get("code") or "")
    return ""
