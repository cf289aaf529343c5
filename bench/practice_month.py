"""One practice's monthly file, as its EHR would send it: a FHIR bulk-data export (a folder of
NDJSON files, one per resource type) of the month's visits for the patients seen that month.

    write_month(db, practice_code, month, folder, share=1/12, seed=1) -> MonthFile

About ``share`` of the practice's active patients (a twelfth: each seen about once a year) are
seen in the month, each at one visit: an office or preventive visit (Encounter) with what is
written at one (Observations: blood pressure with its components, BMI, smoking status, a
depression screen, an HbA1c for a diabetic, a mammogram or a stool test for some of those due;
a colonoscopy now and then as a Procedure; a flu shot in its season), a new diagnosis for a
few (Condition, with its ICD-10-CM and SNOMED codes), an acute problem for others, and every
active prescription of the patient renewed (MedicationRequest). Codes come from the shipped
value sets (:mod:`storage.demo.codes`), so a fact meant to close a gap carries a code the
measure looks for.

The patients are the pod's own (read from ``db``, read-only): each Patient resource carries the
patient's MRN typed MR with their name and birth date, so the first month's file is matched to
them on practice + MRN, later months on the source's resource id (the folder's name is the
source: ``ehr-<practice code>``, the same every month).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

from storage.demo import codes as C
from storage.demo.facts import CATEGORY_SYSTEMS

TYPES = ("Patient", "Encounter", "Observation", "Condition", "Procedure", "Immunization", "MedicationRequest")
DIABETES_CODES = ("E11.9", "E10.9", "44054006", "46635009")
NEW_DIAGNOSES = (  # (condition key in the code book, youngest age, share of the seen patients)
    ("hypertension", 18, 0.02), ("hyperlipidemia", 18, 0.015), ("diabetes", 18, 0.008),
    ("depression", 12, 0.01), ("obesity", 2, 0.01), ("asthma", 2, 0.005))
ACUTE = (C.Code(C.ICD10CM, "J06.9", "Acute upper respiratory infection, unspecified"),
         C.Code(C.ICD10CM, "M54.50", "Low back pain, unspecified"),
         C.Code(C.ICD10CM, "N39.0", "Urinary tract infection, site not specified"),
         C.Code(C.ICD10CM, "R51.9", "Headache, unspecified"))
CONDITION_CATEGORY, OBSERVATION_CATEGORY = CATEGORY_SYSTEMS["condition"], CATEGORY_SYSTEMS["observation"]
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


@dataclasses.dataclass(frozen=True)
class MonthFile:
    folder: Path
    practice_id: int
    practice_code: str
    practice_patients: int  # active patients of the practice
    patients: int  # seen in the month (in the file)
    resources: dict[str, int]  # resource type -> lines written

    @property
    def total(self) -> int:
        return sum(self.resources.values())


def _coding(code: C.Code) -> dict:
    return {"system": code.system, "code": code.code, "display": code.display}


def _concept(*codes: C.Code) -> dict:
    return {"coding": [_coding(c) for c in codes], "text": codes[0].display}


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _month_days(month: dt.date) -> list[dt.date]:
    """The month's weekdays (practices see patients Monday to Friday)."""
    end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    days = [month + dt.timedelta(days=n) for n in range((end - month).days)]
    return [d for d in days if d.weekday() < 5]


class _Writer:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.files = {t: open(folder / f"{t}.ndjson", "w", encoding="utf-8") for t in TYPES}
        self.counts = dict.fromkeys(TYPES, 0)

    def __call__(self, resource: dict) -> None:
        kind = resource["resourceType"]
        self.files[kind].write(json.dumps(resource, separators=(",", ":")) + "\n")
        self.counts[kind] += 1

    def close(self) -> dict[str, int]:
        for kind, f in self.files.items():
            f.close()
            if not self.counts[kind]:  # an export holds no file for a type it has none of
                Path(f.name).unlink()
        return {t: n for t, n in self.counts.items() if n}


def _read_practice(con, practice_code: str):
    row = con.execute("SELECT id, time_zone FROM practice WHERE code = ?", (practice_code,)).fetchone()
    if row is None:
        raise SystemExit(f"no practice with code {practice_code!r}")
    patients = con.execute(
        "SELECT id, mrn, family, given, birth_date, sex, phone, phone_alt, address_line, city, state, postal_code, "
        "language FROM patient WHERE practice_id = ? AND status = 'active' AND NOT entered_in_error ORDER BY id",
        (row[0],)).fetchall()
    return row[0], row[1] or "America/New_York", patients


def _chart_facts(con, patient_ids: list[int]) -> tuple[set[int], dict[int, list[C.Code]]]:
    """The diabetics among the patients, and each one's active prescriptions (latest per drug)."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS month_seen (patient_id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM month_seen")
    con.executemany("INSERT INTO month_seen VALUES (?)", [(p,) for p in patient_ids])
    marks = ",".join("?" * len(DIABETES_CODES))
    diabetic = {pid for (pid,) in con.execute(
        f"SELECT DISTINCT f.patient_id FROM month_seen s CROSS JOIN clinical_fact f ON f.patient_id = s.patient_id "
        f"WHERE f.kind = 'condition' AND f.code IN ({marks}) AND NOT f.entered_in_error", DIABETES_CODES)}
    drugs: dict[int, dict[str, C.Code]] = {}
    for pid, system, code, display in con.execute(
            "SELECT f.patient_id, n.system, f.code, n.display FROM month_seen s CROSS JOIN clinical_fact f "
            "ON f.patient_id = s.patient_id CROSS JOIN coding_concept n ON n.id = f.concept_id WHERE f.kind = 'medication_request' AND f.status = 'active' "
            "AND NOT f.entered_in_error AND f.code != '' ORDER BY f.patient_id, f.start_at"):
        drugs.setdefault(pid, {})[code] = C.Code(system, code, display)
    return diabetic, {pid: list(by_code.values()) for pid, by_code in drugs.items()}


def write_month(db: Path, practice_code: str, month: dt.date, folder: Path, *, share: float = 1 / 12,
                seed: int = 1) -> MonthFile:
    """Write the practice's file of ``month`` (its first day) into ``folder`` (see the module)."""
    book = C.codebook()
    rng = random.Random(f"{seed}-{practice_code}-{month}")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        practice_id, zone, patients = _read_practice(con, practice_code)
        seen = sorted(rng.sample(patients, max(1, round(len(patients) * share))) if patients else [])
        diabetic, drugs = _chart_facts(con, [p[0] for p in seen])
    finally:
        con.close()
    tz, days, tag = ZoneInfo(zone), _month_days(month), f"{month:%Y%m}"
    out = _Writer(folder)
    try:
        for (pid, mrn, family, given, birth, sex, phone, phone_alt, line, city, state, postal, language) in seen:
            birth = dt.date.fromisoformat(str(birth)[:10])
            day = rng.choice(days)
            start = dt.datetime.combine(day, dt.time(8 + rng.randrange(9), rng.choice((0, 15, 30, 45))), tz)
            _patient(out, pid, mrn, family, given, birth, sex, phone, phone_alt, line, city, state, postal, language)
            _visit(out, rng, book, pid, tag, birth, sex, start, pid in diabetic, drugs.get(pid, ()))
    finally:
        resources = out.close()
    return MonthFile(folder, practice_id, practice_code, len(patients), len(seen), resources)


def _patient(out, pid, mrn, family, given, birth, sex, phone, phone_alt, line, city, state, postal, language):
    resource = {"resourceType": "Patient", "id": f"pt-{pid}",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                     "code": "MR"}]}, "value": mrn}],
                "name": [{"use": "official", "family": family, "given": given.split() if given else []}],
                "gender": sex or "unknown", "birthDate": birth.isoformat(),
                "telecom": [{"system": "phone", "value": p} for p in (phone, phone_alt) if p]}
    if line or city:
        resource["address"] = [{"use": "home", "line": [line] if line else [], "city": city, "state": state,
                                "postalCode": postal}]
    if language:
        resource["communication"] = [{"language": {"text": language}, "preferred": True}]
    out(resource)


def _visit(out, rng, book, pid, tag, birth, sex, start: dt.datetime, diabetic: bool, drugs) -> None:
    age = _age(birth, start.date())
    subject = {"reference": f"Patient/pt-{pid}"}
    enc = f"enc-{tag}-{pid}"
    if rng.random() < 0.15:  # the yearly preventive visit
        if age >= 65 and rng.random() < 0.5:
            visit = book.wellness_visit
        elif age >= 18:
            visit = book.preventive_adult["18-39" if age < 40 else "40-64" if age < 65 else "65+"]
        else:
            visit = book.preventive_child["0" if age < 1 else "1-4" if age < 5 else "5-11" if age < 12 else "12-17"]
    else:
        visit = rng.choices(book.office_visit, weights=(10, 55, 30, 5))[0]
    minutes = 20 + rng.randrange(3) * 10

    def at(after: int) -> str:
        return (start + dt.timedelta(minutes=after)).isoformat()

    out({"resourceType": "Encounter", "id": enc, "status": "finished", "class": _coding(book.classes["AMB"]),
         "type": [_concept(visit)], "subject": subject, "period": {"start": at(0), "end": at(minutes)}})
    n = 0

    def observation(code: C.Code, category: str, **value) -> None:
        nonlocal n
        n += 1
        out({"resourceType": "Observation", "id": f"obs-{tag}-{pid}-{n}", "status": "final",
             "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}],
             "code": _concept(code), "subject": subject, "encounter": {"reference": f"Encounter/{enc}"},
             "effectiveDateTime": at(5), **value})

    if age >= 3 and rng.random() < 0.95:
        systolic, diastolic = rng.randint(104, 162), rng.randint(62, 98)
        observation(C.BP_PANEL, "vital-signs", component=[
            {"code": _concept(C.SYSTOLIC), "valueQuantity": _mmhg(systolic)},
            {"code": _concept(C.DIASTOLIC), "valueQuantity": _mmhg(diastolic)}])
    if age >= 18 and rng.random() < 0.5:
        observation(C.BMI, "vital-signs", valueQuantity={"value": round(rng.uniform(19, 38), 1), "unit": "kg/m2",
                                                          "system": "http://unitsofmeasure.org", "code": "kg/m2"})
    if age >= 12 and rng.random() < 0.4:
        # ex-smoker, never smoked (the code book's non-users), smoker
        smoking = (*book.tobacco_non_user, book.tobacco_user[0])
        observation(book.tobacco_screen, "survey", valueCodeableConcept=_concept(
            rng.choices(smoking, weights=(18, 70, 12))[0]))
    if age >= 12 and rng.random() < 0.3:
        screen = C.ADULT_DEPRESSION_SCREEN if age >= 18 else C.ADOLESCENT_DEPRESSION_SCREEN
        observation(screen, "survey", valueCodeableConcept=_concept(
            C.SCREEN_NEGATIVE if rng.random() < 0.9 else C.SCREEN_POSITIVE))
    if diabetic and rng.random() < 0.7:
        observation(book.hba1c, "laboratory", valueQuantity={"value": round(rng.uniform(5.6, 10.4), 1), "unit": "%",
                                                              "system": "http://unitsofmeasure.org", "code": "%"})
    if sex == "female" and 50 <= age <= 74 and rng.random() < 0.08:
        observation(rng.choice(book.mammography), "imaging")
    if 45 <= age <= 75 and rng.random() < 0.04:
        observation(book.fit, "laboratory", valueCodeableConcept=_concept(C.NEGATIVE))
    if 45 <= age <= 75 and rng.random() < 0.01:
        out({"resourceType": "Procedure", "id": f"proc-{tag}-{pid}", "status": "completed",
             "code": _concept(book.colonoscopy[0]), "subject": subject,
             "performedPeriod": {"start": at(0), "end": at(45)}})
    if start.month in (9, 10, 11, 12, 1) and age >= 1 and rng.random() < 0.25:
        vaccine = C.ADULT_FLU if age >= 18 else book.vaccines["flu"]
        out({"resourceType": "Immunization", "id": f"imm-{tag}-{pid}", "status": "completed",
             "vaccineCode": _concept(vaccine), "patient": subject, "encounter": {"reference": f"Encounter/{enc}"},
             "occurrenceDateTime": at(15)})
    for key, youngest, chance in NEW_DIAGNOSES:
        if age >= youngest and rng.random() < chance:
            _condition(out, f"cond-{tag}-{pid}-{key}", subject, enc, book.conditions[key], "problem-list-item",
                       "active", at(10))
            if key in C.MEDICATIONS:
                drugs = [*drugs, C.MEDICATIONS[key][0]]
    if visit in book.office_visit and rng.random() < 0.3:
        _condition(out, f"cond-{tag}-{pid}-acute", subject, enc, (rng.choice(ACUTE),), "encounter-diagnosis",
                   "resolved", at(10))
    for k, drug in enumerate(drugs):
        out({"resourceType": "MedicationRequest", "id": f"rx-{tag}-{pid}-{k}", "status": "active", "intent": "order",
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                       "code": "community"}]}],
             "medicationCodeableConcept": _concept(drug), "subject": subject,
             "encounter": {"reference": f"Encounter/{enc}"}, "authoredOn": at(minutes)})


def _condition(out, rid, subject, enc, codes, category, status, when) -> None:
    out({"resourceType": "Condition", "id": rid,
         "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
         "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
         "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": category}]}],
         "code": _concept(*codes), "subject": subject, "encounter": {"reference": f"Encounter/{enc}"},
         "onsetDateTime": when, "recordedDate": when})


def _mmhg(value: int) -> dict:
    return {"value": value, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
