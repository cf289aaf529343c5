"""Conditions without a prevalence interval (issue 19): a Condition that is not active
(inactive, resolved, or no clinicalStatus) and has no abatement date neither puts a patient in a
population nor excludes them. QICoreCommon.prevalenceInterval() gives it no interval (a query
over a null abatement date is null), so every timing rule on it is not true — the reference
engine (cql-execution 3.3.2) evaluates it so, start-only rules included.

The six further cases (``../shared/ecqm/further-cases``) through import and the engine and
through ``evaluate-measure --additional-data``; each timing relation with a known end, an
unknown end (not active, no abatement) and a missing end (active, no abatement: ongoing), on
both of the engine's read paths; the explanation a care manager reads; the import's warning."""
from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from domain.measures.period import MeasurementPeriod
from tests.conftest import ROOT, SHARED
from tests.measures.conftest import import_isolated

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
FURTHER = SHARED / "ecqm" / "further-cases"
POPULATIONS = ("initial-population", "denominator", "denominator-exclusion", "numerator", "denominator-exception")
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
SNOMED = "http://snomed.info/sct"


def _expected() -> dict:
    return json.loads((FURTHER / "expected.json").read_text())["cases"]


def _patient_of(path) -> str:
    return next(e["resource"]["id"] for e in json.loads(path.read_text())["entry"]
                if e["resource"]["resourceType"] == "Patient")


def _diffs(want: dict, got: dict) -> list[str]:
    return [f"{k}: expected {v}, got {got.get(k, 0)}" for k, v in want.items()
            if k in POPULATIONS and got.get(k, 0) != v]


@pytest.mark.parametrize("case", sorted(_expected()))
def test_further_case_through_import_and_engine(measure_engine, case):
    from storage.measures.engine import evaluate, raw_connection

    want = _expected()[case]
    ids = import_isolated(measure_engine, [FURTHER / case])
    pid = ids[_patient_of(FURTHER / case)]
    fairy, con = raw_connection(measure_engine)
    try:
        whole_pod = evaluate(con, [want["measure"]], PERIOD)[0]
        this_patient = evaluate(con, [want["measure"]], PERIOD, patient_ids={pid})[0]  # the other read path
    finally:
        fairy.close()
    for result in (whole_pod, this_patient):
        got = {k: int(pid in v) for k, v in result.groups[0].populations.items()}
        assert not _diffs(want, got), f"{want['why']}: {_diffs(want, got)}"


@pytest.mark.parametrize("measure", sorted({c["measure"] for c in _expected().values()}))
def test_further_cases_through_evaluate_measure(tmp_path, measure):
    cases = {name: want for name, want in _expected().items() if want["measure"] == measure}
    folder = tmp_path / measure
    folder.mkdir()
    for name in cases:
        (folder / name).write_text((FURTHER / name).read_text())
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "evaluate-measure", "--measure", measure,
                          "--period-start", "2025-01-01", "--period-end", "2025-12-31",
                          "--additional-data", str(folder)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    reports = {e["resource"]["subject"]["reference"].split("/", 1)[1]: e["resource"]
               for e in json.loads(out.stdout)["entry"]}
    for name, want in cases.items():
        report = reports[_patient_of(FURTHER / name)]
        got = {p["code"]["coding"][0]["code"]: p["count"] for p in report["group"][0]["population"]}
        assert not _diffs(want, got), f"{name}: {_diffs(want, got)}"


# --- each relation with a known, an unknown and a missing end ------------------------------

WINDOWS = {  # as the definitions write them
    "overlaps": None, "overlaps_day": None, "during_day": None, "ends_during_day": None,
    "starts_during_day": None,
    "ends_on_or_before": {"to": {"anchor": "period_end"}}, "ends_on_or_before_day": {"to": {"anchor": "period_end"}},
    "starts_on_or_before": {"to": {"anchor": "period_end"}}, "starts_on_or_before_day": {"to": {"anchor": "period_end"}},
}
ONSETS = ("2024-06-01", "2025-03-01", "2026-02-01")
ENDS = {"known, in the period": "2025-06-30", "known, after it": "2026-03-01", "none": None}
STATUSES = ("active", "recurrence", "inactive", "resolved", None)


def _interval(status, onset, end):
    """The prevalence interval as QICoreCommon gives it (dates; None: no interval)."""
    if status in ("active", "recurrence", "relapse"):
        return dt.date.fromisoformat(onset), dt.date.fromisoformat(end) if end else dt.date.max
    if end is None:
        return None
    return dt.date.fromisoformat(onset), dt.date.fromisoformat(end)


def _holds(rel, interval) -> bool:
    if interval is None:  # a null interval: every relation is null, which is not true
        return False
    lo, hi = interval
    start, end = PERIOD.start, PERIOD.end
    return {"overlaps": lo <= end and hi >= start, "overlaps_day": lo <= end and hi >= start,
            "during_day": lo >= start and hi <= end, "ends_during_day": start <= hi <= end,
            "starts_during_day": start <= lo <= end, "ends_on_or_before": hi <= end,
            "ends_on_or_before_day": hi <= end, "starts_on_or_before": lo <= end,
            "starts_on_or_before_day": lo <= end}[rel]


def _condition(code, status, onset, end):
    resource = {"resourceType": "Condition", "code": {"coding": [{"system": SNOMED, "code": code}]},
                "onsetDateTime": onset}
    if status:
        resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": status}]}
    if end:
        resource["abatementDateTime"] = end
    return resource


@pytest.fixture(scope="module")
def conditions(tmp_path_factory):
    """One patient per (status, onset, end), each with one condition of its own code."""
    from storage.db import open_database

    folder = tmp_path_factory.mktemp("prevalence")
    engine = open_database(folder / "pod.db")
    scenarios, paths = {}, []
    for n, (status, onset, (end_label, end)) in enumerate(
            (s, o, e) for s in STATUSES for o in ONSETS for e in ENDS.items()):
        name = f"p{n}"
        code = f"90000{n:03d}"
        scenarios[name] = (status, onset, end, end_label, code)
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": name, "gender": "female", "birthDate": "1970-01-01",
                          "name": [{"family": "Test", "given": [name]}]}},
            {"resource": {"id": "c", "subject": {"reference": f"Patient/{name}"}, **_condition(code, status, onset, end)}}]}
        path = folder / f"{name}.json"
        path.write_text(json.dumps(bundle))
        paths.append(path)
    ids = import_isolated(engine, paths)
    yield engine, {ids[name]: scenario for name, scenario in scenarios.items()}
    engine.dispose()


@pytest.mark.parametrize("scoped", [False, True], ids=["whole pod", "some patients"])
@pytest.mark.parametrize("rel", sorted(WINDOWS))
def test_each_relation_on_a_prevalence_interval(conditions, rel, scoped):
    from storage import coded_facts
    from storage.measures import criteria
    from storage.measures.engine import _scope, raw_connection

    engine, scenarios = conditions
    source = {"resource": "condition", "codes": [[SNOMED, s[4]] for s in scenarios.values()],
              "timing": {"of": "prevalence", "rel": rel, **({"window": WINDOWS[rel]} if WINDOWS[rel] else {})}}
    fairy, con = raw_connection(engine)
    try:
        coded_facts.catch_up(con)
        ctx = criteria.Context(con, PERIOD, _scope(con, None, set(scenarios) if scoped else None))
        result = criteria.evaluate(ctx, "rule", {"kind": "facts", "rule": "Rule", "sources": [source]}, {})
        ctx.close()
    finally:
        fairy.close()
    wrong = []
    for pid, (status, onset, end, end_label, _code) in sorted(scenarios.items()):
        want = _holds(rel, _interval(status, onset, end))
        if (pid in result.patients) != want:
            wrong.append(f"{status or 'no status'}, onset {onset}, end {end_label}: expected {want}")
        # a condition left out only for want of an interval is told apart (it would count if active)
        would_if_active = not want and _holds(rel, _interval("active", onset, end))
        if (pid in result.uncounted) != would_if_active:
            wrong.append(f"{status or 'no status'}, onset {onset}, end {end_label}: uncounted should be {would_if_active}")
    assert not wrong, wrong


# --- a start-only rule: the onset alone does not decide ----------------------------------------

def _cms125_patient(tmp_path, name, condition_changes, measure="CMS125", case="4fa225f9"):
    """A published case (default CMS125's 4fa225f9: bilateral mastectomy diagnosis, excluded),
    its diagnosis changed."""
    path = next((SHARED / "ecqm" / measure / "cases").glob(f"{case}*.json"))
    bundle = json.loads(path.read_text())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Condition":
            for key, value in condition_changes.items():
                if value is None:
                    resource.pop(key, None)
                else:
                    resource[key] = value
        if resource["resourceType"] == "Patient":
            resource["id"] = name
        elif "subject" in resource:
            resource["subject"] = {"reference": f"Patient/{name}"}
    out = tmp_path / f"{name}.json"
    out.write_text(json.dumps(bundle))
    return out


def test_starts_on_or_before_needs_the_interval_too(measure_engine, tmp_path):
    """'Bilateral mastectomy diagnosis starts on or before the end of the period': a diagnosis
    recorded inactive in 2024 without an end date does not exclude (cql-execution agrees);
    with its end date it does."""
    from storage.measures.engine import evaluate, raw_connection

    inactive = {"coding": [{"system": CLINICAL, "code": "inactive"}]}
    paths = [_cms125_patient(tmp_path, "as-published", {}),
             _cms125_patient(tmp_path, "no-status", {"clinicalStatus": None}),
             _cms125_patient(tmp_path, "inactive-2024", {"clinicalStatus": inactive,
                                                         "onsetDateTime": "2024-05-01T00:00:00.000Z"}),
             _cms125_patient(tmp_path, "inactive-ended-2024", {"clinicalStatus": inactive,
                                                               "onsetDateTime": "2024-05-01T00:00:00.000Z",
                                                               "abatementDateTime": "2024-06-01T00:00:00.000Z"})]
    ids = import_isolated(measure_engine, paths)
    fairy, con = raw_connection(measure_engine)
    try:
        result = evaluate(con, ["CMS125"], PERIOD)[0]
    finally:
        fairy.close()
    excluded = result.groups[0].populations["denominator-exclusion"]
    assert {name: ids[name] in excluded for name in ids} == {
        "as-published": True, "no-status": False, "inactive-2024": False, "inactive-ended-2024": True}


def test_starts_before_an_encounter_needs_the_interval_too(measure_engine, tmp_path):
    """CMS2's 'bipolar diagnosis starts before the qualifying encounter' (published case
    a3ddb325, excluded): recorded without a status, or resolved without an end date, it does
    not exclude; resolved with an end date after the encounter it does (cql-execution agrees)."""
    from storage.measures.engine import evaluate, raw_connection

    resolved = {"coding": [{"system": CLINICAL, "code": "resolved"}]}
    paths = [_cms125_patient(tmp_path, name, changes, "CMS2", "a3ddb325") for name, changes in (
        ("as-published", {}), ("no-status", {"clinicalStatus": None}), ("resolved", {"clinicalStatus": resolved}),
        ("resolved-ended-later", {"clinicalStatus": resolved, "abatementDateTime": "2026-06-01T00:00:00.000Z"}))]
    ids = import_isolated(measure_engine, paths)
    fairy, con = raw_connection(measure_engine)
    try:
        result = evaluate(con, ["CMS2"], PERIOD)[0]
    finally:
        fairy.close()
    excluded = result.groups[0].populations["denominator-exclusion"]
    assert {name: ids[name] in excluded for name in ids} == {
        "as-published": True, "no-status": False, "resolved": False, "resolved-ended-later": True}


# --- what a care manager reads --------------------------------------------------------------

def _import_recompute(engine, paths, measures):
    from storage.measures.recompute import recompute

    ids = import_isolated(engine, paths)
    recompute(engine, PERIOD, measures, workers=1)
    return ids


def test_gaps_tab_and_worklist_name_the_condition_not_counted(measure_engine):
    from storage.queries.gaps import GapFilter, gap_page, patient_gaps

    case = FURTHER / "CMS165-hospice-dx-no-status-exclusion.json"
    pid = _import_recompute(measure_engine, [case], ["CMS165", "CMS125"])[_patient_of(case)]
    (gap,) = [g for g in patient_gaps(measure_engine, pid) if g.measure_id == "CMS165"]
    assert gap.state == "closed"
    assert gap.why.endswith("Shared care - hospice and general practitioner (finding) (SNOMED CT 170936009), "
                            "onset 2025-12-31, is recorded without an active status or an end date: "
                            "the measure does not count it.")
    rows = gap_page(measure_engine, GapFilter(state=None, measure_id="CMS165", period_end=PERIOD.end)).rows
    assert [r.why for r in rows if r.patient_id == pid] == [gap.why]


def test_one_condition_left_out_by_two_rules_is_named_once(measure_engine):
    from storage.queries.gaps import patient_gaps

    case = FURTHER / "CMS165-inactive-esrd-dx-exclusion.json"
    pid = _import_recompute(measure_engine, [case], ["CMS165"])[_patient_of(case)]
    (gap,) = patient_gaps(measure_engine, pid)
    assert gap.state == "open"
    assert gap.why.count("is recorded as inactive, without an end date: the measure does not count it.") == 1


def test_a_diagnosis_sent_again_without_its_status_makes_the_gap_not_applicable_and_says_why(measure_engine, tmp_path):
    from storage.importers.run import import_paths
    from storage.measures.recompute import recompute
    from storage.queries.gaps import patient_gaps

    without = json.loads((FURTHER / "CMS122-diabetes-no-status-in-ip.json").read_text())
    active = copy.deepcopy(without)
    next(e for e in active["entry"] if e["resource"]["resourceType"] == "Condition")["resource"][
        "clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "active"}]}
    path = tmp_path / "monthly.json"
    path.write_text(json.dumps(active))
    with measure_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (code, name) VALUES ('OAK', 'Oak')"))
    assert not import_paths(measure_engine, [path], practice_code="OAK").errors
    recompute(measure_engine, PERIOD, ["CMS122"], workers=1)
    with measure_engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT id FROM patient")).scalar_one()
    assert [g.state for g in patient_gaps(measure_engine, pid)] == ["open"]
    path.write_text(json.dumps(without))
    report = import_paths(measure_engine, [path], practice_code="OAK")
    assert [w.reason for w in report.warnings] == [
        "1 Condition(s) without a clinicalStatus, imported: the measures count such a condition only if it "
        "has an end date (abatement); the source should send clinicalStatus"]
    recompute(measure_engine, PERIOD, ["CMS122"], workers=1)
    (gap,) = patient_gaps(measure_engine, pid)
    assert (gap.state, gap.why) == (
        "not_applicable", "Not applicable: Type 2 diabetes mellitus without complications (ICD-10-CM E11.9), "
        "onset 2025-03-01, is recorded without an active status or an end date: the measure does not count it.")


def test_a_condition_not_counted_that_decides_nothing_is_not_mentioned(measure_engine, tmp_path):
    """An inactive hospice diagnosis of a patient excluded anyway (an active one too) is not
    named: it decided nothing."""
    from storage.queries.gaps import patient_gaps

    case = json.loads((FURTHER / "CMS165-hospice-dx-no-status-exclusion.json").read_text())
    condition = next(e["resource"] for e in case["entry"] if e["resource"]["resourceType"] == "Condition"
                     and e["resource"]["code"]["coding"][0]["code"] == "170936009")  # the hospice diagnosis
    active = {**copy.deepcopy(condition), "id": "active-too",
              "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]}}
    case["entry"].append({"resource": active})
    path = tmp_path / "both.json"
    path.write_text(json.dumps(case))
    pid = _import_recompute(measure_engine, [path], ["CMS165"])[_patient_of(path)]
    (gap,) = patient_gaps(measure_engine, pid)
    assert gap.state == "excluded"
    assert "does not count" not in gap.why


@pytest.mark.parametrize("status, words", [("", "is recorded without an active status or an end date"),
                                           ("inactive", "is recorded as inactive, without an end date"),
                                           ("resolved", "is recorded as resolved, without an end date")])
def test_the_sentence_names_the_status_recorded(status, words):
    from domain.measures.explain import NOT_COUNTED, EvidenceItem, explain_gap

    note = EvidenceItem(NOT_COUNTED, "Palliative care diagnosis", "http://snomed.info/sct", "305686008",
                        dt.date(2025, 12, 30), status, display="Seen by palliative care physician (finding)")
    why = explain_gap(state="open", measure_id="CMS125", evidence=[note], period_end=PERIOD.end)
    assert why == ("Open: no mammography on record; due by 2025-12-31. Seen by palliative care physician "
                   f"(finding) (SNOMED CT 305686008), onset 2025-12-30, {words}: the measure does not count it.")
