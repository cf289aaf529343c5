"""The fused fast path: a new Condition, Observation, Encounter, Procedure, Immunization or
MedicationRequest straight to its clinical_fact values, codings and components.

The general mapping (:mod:`storage.importers.facts` and friends) builds a ``FactPlan`` with a
row dict that the writer completes, converts and reorders; at a million patients that
generality is most of an import's Python time. Here a resource whose shape is common gets its
values in column order at once. Anything else (an element only the general path reads:
extensions, linked conditions, medication references, contained resources…) returns None and
the resource goes the general way, so both paths write the very same rows: the shared
pieces (codings, dates, value[x], components, abatement) are the general path's own functions,
and ``tests/import/test_fast_path.py`` compares the two table by table.
"""
from __future__ import annotations

import math

from storage.importers.codings import codings, codings_of_list, first_code
from storage.importers.dates import set_choice
from storage.importers.encounters import encounter_class_codings
from storage.importers.facts import observation_components, set_abatement, set_value
from storage.importers.fhir_datetime import InvalidDate, parse_instant
from storage.schema import sql_datetime
from storage.importers.plans import Rejected

# elements only the general path reads (for every type), and per type on top of these
_GENERAL_ONLY = frozenset({"extension", "modifierExtension", "doNotPerform", "statusReason", "reasonReference",
                           "context", "contained"})
_GENERAL_ONLY_BY_TYPE = {
    "Condition": _GENERAL_ONLY,
    "Observation": _GENERAL_ONLY | {"hasMember"},
    "Encounter": _GENERAL_ONLY | {"hospitalization", "diagnosis"},
    "Procedure": _GENERAL_ONLY,
    "Immunization": _GENERAL_ONLY,
    "MedicationRequest": _GENERAL_ONLY,
}
FAST_TYPES = frozenset(_GENERAL_ONLY_BY_TYPE)


# the clinical_fact columns of a fast fact's middle, in order (store.FACT_ROW[2:24])
MIDDLE_COLUMNS = (
    "kind", "code_system", "code", "display", "status", "clinical_status", "verification_status", "intent",
    "category", "start_at", "end_at", "start_raw", "end_raw", "recorded_at", "value_num", "value_unit",
    "value_system", "value_code", "value_text", "not_done", "encounter_class", "discharge_code",
)


# what fast_fact gives the writer: (middle, entered_in_error, codings, components, subject_ref,
# encounter_ref); middle holds the values of MIDDLE_COLUMNS as stored (dates as SQL text, flags
# as 0/1). A plain tuple: this is made for most resources of an import. From the reader process
# (storage.importers.pipeline) a literal subject or encounter reference comes as its (type, id).


def fast_fact(resource: dict, rtype: str) -> tuple | None:
    """The resource's fact, or None when it needs the general path (which also gives the
    reason when the resource is to be rejected: a bad value here means None too). The common
    shapes (a dateTime, a quantity, an absent element) are read inline; the rest through the
    general path's own helpers."""
    try:
        return _fast_fact(resource, rtype)
    except (Rejected, InvalidDate):  # the general path rejects it, with its own message
        return None


def _fast_fact(resource: dict, rtype: str) -> tuple | None:
    if not _GENERAL_ONLY_BY_TYPE[rtype].isdisjoint(resource):
        return None
    get = resource.get
    categories = get("category")
    if categories is None:
        category_codings, category = [], ""
    elif categories.__class__ is list and all(c.__class__ is dict for c in categories):
        category_codings = codings_of_list(categories, "category")
        category = ",".join(dict.fromkeys(c[2] for c in category_codings))
    else:  # code lists and lone concepts are read by the general path
        return None
    value = _NO_VALUE
    extra: list = []
    components: list = []
    recorded_at = None
    encounter_class = ""
    subject_ref = get("subject")
    if subject_ref is not None and subject_ref.__class__ is not dict:
        return None  # not a Reference: the general path refuses it
    try:
        if rtype == "Observation":
            kind, found = "observation", codings(get("code"), "code")
            if not found:
                return None
            start_raw, end_raw, start_at, end_at = _choice(resource, "effectiveDateTime", "effective")
            recorded_at = _sql_at(get("issued"))
            quantity = get("valueQuantity")
            if quantity.__class__ is dict:
                value = _quantity(quantity)
                if value is None:
                    return None
                if "dataAbsentReason" in resource:
                    extra = codings(resource["dataAbsentReason"], "data_absent_reason")
            else:
                holder = dict(_VALUE_FIELDS)
                set_value(holder, extra, resource, "Observation")
                value = tuple(holder.values())
            if "interpretation" in resource:
                extra += codings_of_list(resource["interpretation"], "interpretation")
            if "component" in resource:
                components = observation_components(resource)
        elif rtype == "Condition":
            kind, found = "condition", codings(get("code"), "code")
            if not found:
                return None
            start_raw, end_raw, start_at, end_at = _choice(resource, "onsetDateTime", "onset")
            if not _ABATEMENT.isdisjoint(resource):
                span = {"end_raw": end_raw, "end_at": end_at}  # an abatementString keeps the onset's end
                set_abatement(span, resource)
                end_raw, end_at = span["end_raw"], span["end_at"]
                if end_at is not None and end_at.__class__ is not str:
                    end_at = sql_datetime(end_at)
            recorded_at = _sql_at(get("recordedDate"))
            if "bodySite" in resource or "severity" in resource:
                extra = codings_of_list(get("bodySite"), "body_site") + codings(get("severity"), "severity")
        elif rtype == "Encounter":
            kind, found = "encounter", codings_of_list(get("type"), "code")
            if not found:
                return None
            extra = encounter_class_codings(resource)
            encounter_class = extra[0][2] if extra else ""
            period = get("period")
            if period is not None and period.__class__ is not dict:
                return None  # not a Period: the general path refuses it
            if period.__class__ is dict:
                start, end = period.get("start"), period.get("end")
                if start == "" or end == "":
                    return None  # an empty date: the general path refuses it
                start_raw = start if start.__class__ is str else ""
                end_raw = end if end.__class__ is str else ""
                start_at, end_at = _sql_at(start), _sql_at(end)
            else:
                start_raw, end_raw, start_at, end_at = "", "", None, None
            if "serviceType" in resource or "priority" in resource:
                extra += codings(get("serviceType"), "service_type") + codings(get("priority"), "priority")
        elif rtype == "Procedure":
            kind, found = "procedure", codings(get("code"), "code")
            if not found:
                return None
            start_raw, end_raw, start_at, end_at = _choice(resource, "performedDateTime", "performed")
            if "bodySite" in resource:
                extra = codings_of_list(resource["bodySite"], "body_site")
        elif rtype == "Immunization":
            kind, found = "immunization", codings(get("vaccineCode"), "code")
            if not found:
                return None
            subject_ref = get("patient")
            if subject_ref is not None and subject_ref.__class__ is not dict:
                return None
            span = {"start_raw": "", "end_raw": "", "start_at": None, "end_at": None}
            if not set_choice(span, resource, "occurrence") and isinstance(get("occurrenceString"), str):
                span["start_raw"] = resource["occurrenceString"]
            start_raw, end_raw = span["start_raw"], span["end_raw"]
            start_at, end_at = sql_datetime(span["start_at"]), sql_datetime(span["end_at"])
            recorded_at = _sql_at(get("recorded"))
        else:  # MedicationRequest
            concept = get("medicationCodeableConcept")
            if concept.__class__ is not dict:
                return None
            kind, found = "medication_request", codings(concept, "code")
            if not found:
                return None
            authored = get("authoredOn")
            recorded_at = start_at = _sql_at(authored)
            start_raw, end_raw, end_at = authored or "", "", None
    except (Rejected, InvalidDate):  # the general path rejects it, with its own message
        return None
    status = get("status")
    if status.__class__ is not str:
        if status is not None:
            return None  # not text: the general path refuses it
        status = ""
    verification = get("verificationStatus")
    verification = _first_code(verification) if verification is not None else ""
    clinical = get("clinicalStatus")
    clinical = _first_code(clinical) if clinical is not None else ""
    intent = get("intent")
    if verification is None or clinical is None or intent is not None and intent.__class__ is not str:
        return None
    first = found[0]
    if category_codings:
        found = found + category_codings
    if "reasonCode" in resource:
        found = found + codings_of_list(resource["reasonCode"], "reason")
    middle = (
        kind, first[1], first[2], first[3], status, clinical,
        verification, str(intent) if intent else "", category, start_at, end_at, start_raw, end_raw, recorded_at,
        *value, int(status == "not-done"), encounter_class, "",
    )
    return (middle, int(status == "entered-in-error" or verification == "entered-in-error"),
            found + extra if extra else found, components, subject_ref, get("encounter") or None)


_VALUE_FIELDS = {"value_num": None, "value_unit": "", "value_system": "", "value_code": "", "value_text": ""}
_NO_VALUE = tuple(_VALUE_FIELDS.values())
_ABATEMENT = frozenset({"abatementDateTime", "abatementPeriod", "abatementDate", "abatementString"})


def _sql_at(text):
    """dates.instant as stored (sql_datetime); InvalidDate where that raises Rejected."""
    stored = _SQL_AT.get(text) if text.__class__ is str else None
    if stored is not None:
        return stored
    if text is None or text == "":
        return None
    stored = parse_instant(text).isoformat(" ", "microseconds")
    if len(_SQL_AT) >= _SQL_AT_LIMIT:
        _SQL_AT.clear()
    _SQL_AT[text] = stored
    return stored


# date texts repeat across a file (a day's visits, a panel's birth dates): each is read once
_SQL_AT: dict[str, str] = {}
_SQL_AT_LIMIT = 100_000


def _first_code(concept) -> str | None:
    """codings.first_code, inline for a concept of plain dicts and lists (clinicalStatus…);
    None where that refuses the resource."""
    if concept.__class__ is dict:
        items = concept.get("coding")
        if items.__class__ is list:
            for coding in items:
                if coding.__class__ is dict:
                    code = coding.get("code")
                    if code is not None and code != "":
                        return code if code.__class__ is str else None  # None: the general path refuses it
                elif isinstance(coding, dict):
                    return first_code(concept)
            return ""
    try:
        return first_code(concept)
    except Rejected:
        return None


def _choice(resource: dict, common: str, prefix: str) -> tuple:
    """(start_raw, end_raw, start_at, end_at) of a ``<prefix>[x]`` date choice, as set_choice reads it."""
    value = resource.get(common)
    if value.__class__ is str and value:
        return value, "", _sql_at(value), None
    span = {"start_raw": "", "end_raw": "", "start_at": None, "end_at": None}
    set_choice(span, resource, prefix)
    return span["start_raw"], span["end_raw"], sql_datetime(span["start_at"]), sql_datetime(span["end_at"])


def _quantity(quantity: dict) -> tuple | None:
    """facts.set_value of a valueQuantity (None: not a number, for the general path to reject)."""
    number = quantity.get("value")
    if number is not None:
        if number.__class__ is bool or not isinstance(number, (int, float)):
            return None
        number = float(number)
        if not math.isfinite(number):
            return None
    elif "value" in quantity:  # an explicit null
        return None
    get = quantity.get
    return (number, str(get("unit") or get("code") or ""), str(get("system") or ""), str(get("code") or ""),
            str(quantity["comparator"]) if get("comparator") else "")
