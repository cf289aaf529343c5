"""FHIR R4 MeasureReports (individual and summary) from engine results."""
from __future__ import annotations

import datetime as dt
import uuid

from domain.measures.populations import POPULATIONS, rate

SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"


def _report(result, report_type: str, groups: list[dict], subject: str | None = None) -> dict:
    d = result.definition
    report = {"resourceType": "MeasureReport", "id": str(uuid.uuid4()), "status": "complete",
              "type": report_type, "measure": d.get("url", d["id"]),
              "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
              "period": {"start": result.period.start.isoformat(), "end": result.period.end.isoformat()},
              "group": groups}
    if subject:
        report["subject"] = {"reference": subject}
    return report


def _population(code: str, count: int) -> dict:
    return {"code": {"coding": [{"system": SYSTEM, "code": code}]}, "count": count}


def individual(result, patient_id: int, subject: str) -> dict:
    groups = []
    for g in result.groups:
        groups.append({"id": g.group_id, "population": [
            _population(code, int(patient_id in g.populations[code])) for code in POPULATIONS if code in g.defined]})
    return _report(result, "individual", groups, subject)


def summary(result, patient_ids: set | None = None) -> dict:
    groups = []
    for g in result.groups:
        counts = {code: len(g.populations[code] if patient_ids is None else g.populations[code] & patient_ids)
                  for code in POPULATIONS}
        group = {"id": g.group_id, "population": [_population(c, counts[c]) for c in POPULATIONS if c in g.defined]}
        score = rate(counts["numerator"], counts["denominator"], counts["denominator-exclusion"],
                     counts["denominator-exception"])
        if score is not None:
            group["measureScore"] = {"value": round(score, 6)}
        groups.append(group)
    return _report(result, "summary", groups)


def individual_bundle(result, subjects: dict[int, str]) -> dict:
    """A collection Bundle of individual reports, one per patient (``subjects``: id -> reference)."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": individual(result, pid, ref)} for pid, ref in subjects.items()]}
