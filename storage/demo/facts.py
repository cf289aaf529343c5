"""Writing clinical facts as rows: one ``clinical_fact`` row, every coding in
``fact_coding`` (its text once in ``coding_concept``), blood-pressure components in
``fact_component``."""
from __future__ import annotations

import datetime as dt

from storage.demo.bulk import Loader
from storage.schema import sql_datetime
from storage.demo.codes import Code
from storage.demo.clock import reference_moment

_REFERENCE_SQL = sql_datetime(reference_moment())
# FHIR has a recordedDate only on these; other resources leave recorded_at empty
_RECORDED = frozenset(("condition", "allergy"))

# The category concept of these kinds, written as a 'category' coding as the importer does
# (the measure engine filters observations by it: laboratory, survey...).
CATEGORY_SYSTEMS = {
    "observation": "http://terminology.hl7.org/CodeSystem/observation-category",
    "condition": "http://terminology.hl7.org/CodeSystem/condition-category",
    "diagnostic_report": "http://terminology.hl7.org/CodeSystem/v2-0074",
}
CATEGORY_DISPLAYS = {
    "vital-signs": "Vital Signs", "laboratory": "Laboratory", "survey": "Survey", "imaging": "Imaging",
    "social-history": "Social History", "problem-list-item": "Problem List Item", "LAB": "Laboratory",
}



class FactSink:
    """Pre-assigns ids so child rows (codings, components, observations of an
    encounter) need no round trip to the database."""

    def __init__(self, loader: Loader):
        self._facts = loader["clinical_fact"]
        self._codings = loader["fact_coding"]
        # the dictionary of codings (storage.codings), numbered as this writer first meets each
        self._concepts = loader["coding_concept"]
        self._concept_ids: dict[Code, int] = {}
        self._components = loader["fact_component"]
        self.last_fact_id = 0
        self._coding_id = 0
        self._component_id = 0
        self.by_kind: dict[str, int] = {}

    def _concept(self, code: Code) -> int:
        concept = self._concept_ids.get(code)
        if concept is None:
            concept = self._concept_ids[code] = len(self._concept_ids) + 1
            self._concepts.add((concept, code.system, code.code, code.display))
        return concept

    def _coding(self, fact_id: int, role: str, code: Code) -> None:
        self._coding_id += 1
        self._codings.add((self._coding_id, fact_id, role, self._concept(code)))

    def add(self, patient_id: int, kind: str, code: Code, start: dt.datetime | None, start_raw: str, *,
            more_codes: tuple[Code, ...] = (), end: dt.datetime | None = None,
            end_raw: str = "", status: str = "", clinical_status: str = "", verification: str = "",
            intent: str = "", category: str = "", value_num: float | None = None, unit: str = "",
            value: Code | None = None, value_text: str = "", encounter_class: Code | None = None,
            discharge: Code | None = None, encounter_id: int | None = None,
            components: tuple[tuple[Code, float, str], ...] = ()) -> int:
        """One fact; ``code`` and ``more_codes`` are the codings of its main element
        (role 'code': for an encounter its type, as the importer and the measure engine have it)."""
        self.last_fact_id += 1
        fid = self.last_fact_id
        start_sql = sql_datetime(start) if start is not None else None
        self._facts.add((
            fid, patient_id, kind, code.code, status, clinical_status,
            verification, intent, category, start_sql, sql_datetime(end) if end is not None else None,
            start_raw, end_raw, start_sql if kind in _RECORDED else None, value_num, unit,
            value.system if value else "", value.code if value else "", value.display if value else value_text,
            0, encounter_class.code if encounter_class else "", discharge.code if discharge else "",
            encounter_id, None, None, 0, start_sql or _REFERENCE_SQL, self._concept(code),
        ))
        coding = self._coding
        coding(fid, "code", code)
        for extra in more_codes:
            coding(fid, "code", extra)
        if category and kind in CATEGORY_SYSTEMS:
            coding(fid, "category", Code(CATEGORY_SYSTEMS[kind], category, CATEGORY_DISPLAYS[category]))
        if value is not None:
            coding(fid, "value", value)
        if encounter_class is not None:
            coding(fid, "class", encounter_class)
        if discharge is not None:
            coding(fid, "discharge", discharge)
        for component, number, component_unit in components:
            self._component_id += 1
            self._components.add((self._component_id, fid, number, component_unit, "", self._concept(component)))
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        return fid
