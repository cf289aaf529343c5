"""Rules at their edges, on synthetic patients imported as FHIR Bundles."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from domain.errors import DomainError
from domain.measures.period import MeasurementPeriod, add_calendar, age_in_years_at
from tests.measures.conftest import import_isolated

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
CPT = "http://www.ama-assn.org/go/cpt"


def _bundle(tmp_path, name, birth, gender="female", extra=()):
    resources = [{"resourceType": "Patient", "id": name, "gender": gender, "birthDate": birth,
                  "name": [{"family": "Test", "given": [name]}]},
                 {"resourceType": "Encounter", "id": "enc", "status": "finished",
                  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                  "type": [{"coding": [{"system": CPT, "code": "99213"}]}],
                  "subject": {"reference": f"Patient/{name}"},
                  "period": {"start": "2025-03-01T10:00:00Z", "end": "2025-03-01T10:30:00Z"}}]
    for i, r in enumerate(extra):
        resources.append({"id": f"r{i}", "subject": {"reference": f"Patient/{name}"}, **r})
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in resources]}))
    return path


def _mammogram(effective, status="final"):
    return {"resourceType": "Observation", "status": status,
            "code": {"coding": [{"system": "http://loinc.org", "code": "24604-1"}]},
            "effectiveDateTime": effective}


def _evaluate(engine, measure, paths):
    from storage.measures.engine import evaluate, raw_connection

    ids = import_isolated(engine, paths)
    fairy, con = raw_connection(engine)
    try:
        result = evaluate(con, [measure], PERIOD)[0]
    finally:
        fairy.close()
    pops = result.groups[0].populations
    return {name: {k: int(pid in v) for k, v in pops.items()} for name, pid in ids.items()}


def test_age_band_on_first_and_last_day(measure_engine, tmp_path):
    # CMS125: 52–74 at the end of the period (2025-12-31)
    paths = [_bundle(tmp_path, "turns52on31dec", "1973-12-31"), _bundle(tmp_path, "turns52on1jan2026", "1974-01-01"),
             _bundle(tmp_path, "turns75on31dec", "1950-12-31"), _bundle(tmp_path, "is74", "1951-01-01")]
    got = _evaluate(measure_engine, "CMS125", paths)
    assert got["turns52on31dec"]["initial-population"] == 1
    assert got["turns52on1jan2026"]["initial-population"] == 0
    assert got["turns75on31dec"]["initial-population"] == 0
    assert got["is74"]["initial-population"] == 1


def test_leap_day_birthday():
    assert age_in_years_at(dt.date(1960, 2, 29), dt.date(2025, 2, 28)) == 64
    assert age_in_years_at(dt.date(1960, 2, 29), dt.date(2025, 3, 1)) == 65
    assert add_calendar(dt.date(2024, 2, 29), years=1) == dt.date(2025, 2, 28)
    assert add_calendar(dt.date(2024, 2, 29), years=4) == dt.date(2028, 2, 29)


@pytest.mark.parametrize("start, end", [("2025-01-01", "2025-12-31"), ("2024-01-01", "2024-12-31"),
                                        ("2023-03-01", "2024-02-29"), ("2024-03-01", "2025-02-28")])
def test_age_criteria_agree_with_cql_age_in_years_for_every_edge_birthday(engine, start, end):
    """The engine reads ages as a range of birth dates; each patient's age as CQL computes it
    (AgeInYearsAt) must decide the same, on either day of the period, around each band's edges."""
    import sqlalchemy as sa

    from storage.measures import criteria
    from storage.measures.engine import raw_connection

    period = MeasurementPeriod.parse(start, end)
    births = {}
    for on in (period.start, period.end):
        for years in (0, 1, 2, 12, 17, 18, 51, 52, 74, 75, 85, 86):
            for delta in (-1, 0, 1):
                year = on.year - years
                for month, day in ((on.month, min(on.day, 28)), (2, 28), (3, 1), (12, 31), (1, 1)):
                    births[dt.date(year, month, day) + dt.timedelta(days=delta)] = None
                if year % 4 == 0:
                    births[dt.date(year, 2, 29)] = None
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (id, code, name) VALUES (1, 'P1', 'Test practice')"))
        for n, birth in enumerate(sorted(births), 1):
            conn.execute(sa.text("INSERT INTO patient (id, practice_id, mrn, family, birth_date, entered_in_error) "
                                 "VALUES (:id, 1, :mrn, 'Test', :birth, :error)"),
                         {"id": n, "mrn": f"M{n}", "birth": birth.isoformat(), "error": int(n % 97 == 0)})
            births[birth] = n
    fairy, con = raw_connection(engine)
    try:
        ctx = criteria.Context(con, period, scoped=False)
        bands = [{"min": 18}, {"max": 17}, {"min": 52, "max": 74}, {"min": 18, "max": 85}, {"equals": 17},
                 {"equals": 2}, {"min": 12, "at": "period_start"}, {"min": 12, "max": 16, "at": "period_start"}]
        for band in bands:
            got = criteria.evaluate(ctx, "age", {"kind": "age", **band}, {}).patients
            on = period.start if band.get("at") == "period_start" else period.end
            expected = set()
            for birth, pid in births.items():
                age = age_in_years_at(birth, on)
                if pid % 97 and band.get("min", band.get("equals", -1)) <= age <= band.get("max", band.get("equals", 999)):
                    expected.add(pid)
            assert got == expected, band
    finally:
        fairy.close()


def test_leap_day_birth_window_cms117(measure_engine, tmp_path):
    # born 2023-02-29 does not exist; born 2022-12-31 is 2 at the end of 2025? no: 3. Use 2023-01-01 → 2.
    paths = [_bundle(tmp_path, "two", "2023-06-15", "male"), _bundle(tmp_path, "three", "2022-12-31", "male")]
    got = _evaluate(measure_engine, "CMS117", paths)
    assert got["two"]["initial-population"] == 1 and got["three"]["initial-population"] == 0


@pytest.mark.parametrize("effective,counted", [
    ("2025-12-31T23:59:00Z", 1),
    ("2025-12-31T23:59:00-05:00", 1),       # day precision uses the day as written (cql-execution)
    ("2026-01-01T00:30:00+02:00", 0),       # 2025-12-31T22:30Z, but its own day is 1 January
    ("2023-10-01T00:00:00Z", 1),            # first day of the look-back (1 October two years before)
    ("2023-09-30T23:59:00Z", 0),
    ("2025-12-31", 1),
])
def test_mammogram_window_edges(measure_engine, tmp_path, effective, counted):
    path = _bundle(tmp_path, "p", "1965-05-05", extra=[_mammogram(effective)])
    got = _evaluate(measure_engine, "CMS125", [path])["p"]
    assert got["denominator"] == 1
    assert got["numerator"] == counted


def test_entered_in_error_and_not_done_are_ignored(measure_engine, tmp_path):
    paths = [_bundle(tmp_path, "eie", "1965-05-05", extra=[_mammogram("2025-06-01", "entered-in-error")]),
             _bundle(tmp_path, "cancelled", "1965-05-05", extra=[_mammogram("2025-06-01", "cancelled")]),
             _bundle(tmp_path, "done", "1965-05-05", extra=[_mammogram("2025-06-01", "amended")])]
    got = _evaluate(measure_engine, "CMS125", paths)
    assert got["eie"]["numerator"] == 0 and got["cancelled"]["numerator"] == 0
    assert got["done"]["numerator"] == 1


def test_not_done_procedure_is_ignored(measure_engine, tmp_path):
    def colonoscopy(status):
        return {"resourceType": "Procedure", "status": status,
                "code": {"coding": [{"system": CPT, "code": "45378"}]}, "performedDateTime": "2025-06-01"}
    paths = [_bundle(tmp_path, "notdone", "1960-01-01", extra=[colonoscopy("not-done")]),
             _bundle(tmp_path, "completed", "1960-01-01", extra=[colonoscopy("completed")])]
    got = _evaluate(measure_engine, "CMS130", paths)
    assert got["notdone"]["numerator"] == 0 and got["completed"]["numerator"] == 1


def test_colonoscopy_lookback_boundary(measure_engine, tmp_path):
    def colonoscopy(day):
        return {"resourceType": "Procedure", "status": "completed",
                "code": {"coding": [{"system": CPT, "code": "45378"}]}, "performedDateTime": day}
    paths = [_bundle(tmp_path, "edge", "1960-01-01", extra=[colonoscopy("2016-01-01")]),
             _bundle(tmp_path, "before", "1960-01-01", extra=[colonoscopy("2015-12-31")])]
    got = _evaluate(measure_engine, "CMS130", paths)
    assert got["edge"]["numerator"] == 1 and got["before"]["numerator"] == 0


def test_bad_period_is_a_clear_error():
    with pytest.raises(DomainError, match="before it starts"):
        MeasurementPeriod.parse("2025-12-31", "2025-01-01")
    with pytest.raises(DomainError, match="not a date"):
        MeasurementPeriod.parse("2025-02-30", "2025-12-31")


def _diabetes():
    return {"resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "102781000119107"}]},
            "onsetDateTime": "2020-05-01"}


def _hba1c(day, value=None):
    obs = {"resourceType": "Observation", "status": "final",
           "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                     "code": "laboratory"}]}],
           "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
           "effectiveDateTime": f"{day}T09:00:00Z"}
    if isinstance(value, (int, float)):
        obs["valueQuantity"] = {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    elif value is not None:
        obs["valueCodeableConcept"] = {"coding": [{"system": "http://snomed.info/sct", "code": value}]}
    return obs


def test_cms122_most_recent_glycemic_result(measure_engine, tmp_path):
    """Inverse measure: the lowest reading of the most recent day decides; above 9 %, or a
    reading without a number (no value, or a coded one where a percentage belongs), or no
    reading at all is poor control."""
    cases = {"above9": [_hba1c("2025-06-01", 9.1)], "at9": [_hba1c("2025-06-01", 9)],
             "older_high_newer_low": [_hba1c("2025-03-01", 11), _hba1c("2025-09-01", 7.2)],
             "lowest_of_the_day": [_hba1c("2025-09-01", 10.4), _hba1c("2025-09-01", 8.1)],
             "no_value": [_hba1c("2025-06-01")], "coded_yes": [_hba1c("2025-06-01", "373066001")],
             "none": [], "last_year_only": [_hba1c("2024-12-31", 6)]}
    paths = [_bundle(tmp_path, name, "1970-04-04", extra=[_diabetes(), *obs]) for name, obs in cases.items()]
    got = _evaluate(measure_engine, "CMS122", paths)
    assert {name: got[name]["denominator"] for name in cases} == dict.fromkeys(cases, 1)
    assert {name: got[name]["numerator"] for name in cases} == {
        "above9": 1, "at9": 0, "older_high_newer_low": 0, "lowest_of_the_day": 0,
        "no_value": 1, "coded_yes": 1, "none": 1, "last_year_only": 1}
