"""CodeableConcepts: every coding kept with the element (role) it came from."""
from __future__ import annotations

import functools

from domain.facts import SYSTEMS

# Systems a measure or a screen may match on, plus FHIR's own vocabularies. Codes of
# any other system are kept all the same; the import reports the system once per file
# so that a misspelt system URL does not silently miss every value set.
KNOWN_SYSTEMS = frozenset(SYSTEMS) | {
    "http://www.nlm.nih.gov/research/umls/hcpcs",
    "https://nahdo.org/sopt",
    "http://unitsofmeasure.org",
    "http://hl7.org/fhir/sid/icd-10",
    "http://hl7.org/fhir/sid/icd-9-cm",
    "http://hl7.org/fhir/sid/ndc",
    "http://hl7.org/fhir/sid/us-npi",
    "http://www.ama-assn.org/go/cpt",
    "urn:ietf:bcp:47",
    "urn:carepod:payer",  # Coverage payor codings made from an Organization without identifier
}
KNOWN_PREFIXES = ("http://terminology.hl7.org/", "http://hl7.org/fhir/", "urn:oid:",
                  "http://hl7.org/fhir/us/", "urn:iso:std:")


@functools.lru_cache(maxsize=1024)  # asked once per coding; files use a handful of systems
def is_known_system(system: str) -> bool:
    return system in KNOWN_SYSTEMS or system.startswith(KNOWN_PREFIXES)


def as_list(value) -> list:
    """A repeating element as a list (senders put a lone value where a list belongs)."""
    return value if isinstance(value, list) else []


def codings(concept, role: str) -> list[tuple[str, str, str, str]]:
    """(role, system, code, display) of each coding of a CodeableConcept that has a code."""
    # called for nearly every element of every resource: the exact-class tests skip isinstance
    # and str() for what JSON gives (plain dicts, lists and strings)
    if concept.__class__ is not dict and not isinstance(concept, dict):
        return []
    items = concept.get("coding")
    if items.__class__ is not list and not isinstance(items, list):
        return []
    out = []
    for coding in items:
        if coding.__class__ is dict or isinstance(coding, dict):
            code = coding.get("code")
            if code is not None and code != "":
                system, display = coding.get("system"), coding.get("display")
                if code.__class__ is not str or system.__class__ is not str and system is not None \
                        or display.__class__ is not str and display is not None:
                    _not_text(coding, role)
                out.append((role, system or "", code, display or ""))
    return out


def _not_text(coding: dict, role: str) -> None:
    """A coding's code, system and display are texts in FHIR JSON: another type (a number) is
    refused, never turned into text (4548 is not the code "4548-4" nor a sure "4548")."""
    from storage.importers.plans import Rejected

    for name in ("code", "system", "display"):
        value = coding.get(name)
        if value is not None and not isinstance(value, str):
            raise Rejected(f"a coding's {name} is {value!r} ({_json_type(value)}) where FHIR has text"
                           f"{'' if role in ('', 'code') else f' (in its {role} element)'}")


def _json_type(value) -> str:
    return {bool: "true/false", int: "a number", float: "a number", dict: "an object", list: "a list"}.get(
        type(value), type(value).__name__)


def codings_of_list(concepts, role: str) -> list[tuple[str, str, str, str]]:
    if not isinstance(concepts, list):
        return []
    out = []
    for concept in concepts:
        out.extend(codings(concept, role))
    return out


def coding_as_concept(coding, role: str) -> list[tuple[str, str, str, str]]:
    """A bare Coding (Encounter.class) as a one-coding list."""
    return codings({"coding": [coding]}, role) if isinstance(coding, dict) else []


def first_code(concept) -> str:
    """The code of a status-like CodeableConcept (clinicalStatus, verificationStatus)."""
    found = codings(concept, "")
    return found[0][2] if found else ""


def concept_text(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for _role, _system, code, display in codings(concept, ""):
        return display or code
    return ""
