"""Risk tiers computed set-based for the pod (storage.risk) agree with the rules (domain.risk),
keep their components, follow the pod's top 5 %, and leave the never-tiered without a tier."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from application.pod import Pod
from application.risk import recompute_risk_tiers, risk_detail, set_risk_tier
from domain import risk as rules
from domain.errors import DomainError
from domain.facts import ClinicalFact, Coding
from domain.patient import Patient
from domain.practice import Practice
from domain.text import us_date
from storage import schema as t
from storage.uow import UnitOfWork

AS_OF = dt.date(2026, 12, 7)
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


def condition(pid: int, system: str, code: str, *, since=dt.datetime(2015, 1, 1), status="active",
              verification="confirmed", ended=None) -> ClinicalFact:
    return ClinicalFact(patient_id=pid, kind="condition", code_system=system, code=code, clinical_status=status,
                        verification_status=verification, start_at=since, end_at=ended,
                        codings=[Coding(system, code, code)])


def encounter(pid: int, cls: str, start: dt.datetime, days: int = 0, status="finished") -> ClinicalFact:
    return ClinicalFact(patient_id=pid, kind="encounter", code_system=SNOMED, code="32485007", status=status,
                        start_at=start, end_at=start + dt.timedelta(days=days, hours=3), encounter_class=cls,
                        start_raw=start.date().isoformat(),
                        end_raw=(start + dt.timedelta(days=days, hours=3)).date().isoformat())


@pytest.fixture
def pod(engine) -> tuple[Pod, dict[str, int]]:
    """40 patients: most healthy 40-year-olds, a few sick ones whose scores are worked out below."""
    ids = {}
    with UnitOfWork(engine, "Dana Reyes") as uow:
        oak = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine"))
        for n in range(40):
            ids[f"p{n}"] = uow.patients.add(Patient(practice_id=oak.id, mrn=f"M{n:03d}", family=f"Person{n:02d}",
                                                    given="Test", birth_date=dt.date(1986, 5, 1))).id
        ids["old"] = uow.patients.add(Patient(practice_id=oak.id, mrn="OLD", family="Elder", given="Ann",
                                              birth_date=dt.date(1948, 1, 1))).id
        ids["dead"] = uow.patients.add(Patient(practice_id=oak.id, mrn="DEAD", family="Gone", given="Bo",
                                               birth_date=dt.date(1940, 1, 1), status="deceased")).id
        uow.commit()
        sick, second, riser, old = ids["p0"], ids["p1"], ids["p2"], ids["old"]
        for fact in (
            # p0: diabetes (ICD + SNOMED codings of one group), CHF, COPD, CKD 3: 7 points; 2 ED, 1 admission
            condition(sick, ICD10, "E11.9"), condition(sick, SNOMED, "44054006"), condition(sick, ICD10, "I50.22"),
            condition(sick, SNOMED, "13645005"), condition(sick, ICD10, "N18.30"),
            condition(sick, ICD10, "R73.03"),  # prediabetes: not a chronic group
            condition(sick, ICD10, "J45.909", verification="refuted"),  # refuted asthma: left out
            encounter(sick, "EMER", dt.datetime(2026, 2, 1, 10)), encounter(sick, "EMER", dt.datetime(2026, 6, 1, 10)),
            encounter(sick, "EMER", dt.datetime(2025, 6, 1, 10)),  # over a year ago
            encounter(sick, "IMP", dt.datetime(2026, 11, 26, 8), days=4),  # discharged 2026-11-30
            encounter(sick, "EMER", dt.datetime(2026, 8, 1, 10), status="cancelled"),
            # p1: CKD and COPD (4 points) and an admission in the summer (2)
            condition(second, SNOMED, "433144002"), condition(second, ICD10, "J44.9"),
            encounter(second, "IMP", dt.datetime(2026, 7, 1, 8), days=2),
            # p2: hypertension since long (1), heart failure only since October (2): rising
            condition(riser, ICD10, "I10"), condition(riser, ICD10, "I50.9", since=dt.datetime(2026, 10, 1)),
            # the elder: 78, asthma resolved in November (active 90 days ago, not now)
            condition(old, ICD10, "J45.40", status="resolved", ended=dt.datetime(2026, 11, 1)),
        ):
            uow.facts.add(fact)
        uow.commit()
    return Pod(engine, "test").with_actor("Dana Reyes"), ids


def components(engine, pid: int):
    with engine.connect() as conn:
        return conn.execute(sa.select(t.risk_score).where(t.risk_score.c.patient_id == pid)).mappings().first()


def tier_of(engine, pid: int):
    with engine.connect() as conn:
        return conn.execute(sa.select(t.patient.c.risk_tier).where(t.patient.c.id == pid)).scalar()


def test_never_tiered_patients_have_no_tier(pod):
    app_pod, ids = pod
    assert tier_of(app_pod.engine, ids["p0"]) is None  # not "low" before any computation (issue 23.6)
    with UnitOfWork(app_pod.engine, "x") as uow:
        detail = risk_detail(app_pod.engine, uow.patients.get(ids["p0"]), "America/New_York")
    assert detail.tier is None and detail.explanation.startswith("No risk tier computed yet")


def test_the_pod_is_scored_set_based_as_the_rules_say(pod):
    app_pod, ids = pod
    result = recompute_risk_tiers(app_pod, as_of=AS_OF)
    assert result.changes.touches("risk") and result.changes.patient_ids is None
    run = result.run
    assert run.patients == 41  # the deceased patient is not tiered
    sick = components(app_pod.engine, ids["p0"])
    assert sick["chronic_groups"].split(",") and set(sick["chronic_groups"].split(",")) == \
        {"diabetes", "heart_failure", "copd", "ckd"}
    assert (sick["ed_visits"], sick["admissions"]) == (2, 1)
    expected = rules.score_of(("diabetes", "heart_failure", "copd", "ckd"), 2, 1, 40, True)
    assert sick["score"] == expected == 13
    second = components(app_pod.engine, ids["p1"])
    assert second["score"] == rules.score_of(("ckd", "copd"), 0, 1, 40, False) == 6
    # 42 patients, 41 tiered: 5 % is 2 patients; p0 (15) and p1 (6) are the top two
    assert run.high_cut == 6
    assert tier_of(app_pod.engine, ids["p0"]) == tier_of(app_pod.engine, ids["p1"]) == "high"
    riser = components(app_pod.engine, ids["p2"])
    assert (riser["score"], riser["score_before"]) == (3, 1) and tier_of(app_pod.engine, ids["p2"]) == "rising"
    elder = components(app_pod.engine, ids["old"])
    assert (elder["score"], elder["score_before"], elder["chronic_groups"]) == (2, 3, "")  # asthma then
    assert tier_of(app_pod.engine, ids["old"]) == "low"
    assert tier_of(app_pod.engine, ids["p5"]) == "low"
    assert tier_of(app_pod.engine, ids["dead"]) is None and components(app_pod.engine, ids["dead"]) is None
    assert run.tiers == {"high": 2, "rising": 1, "low": 38}


def test_the_chart_says_why_and_some_patients_are_tiered_against_the_pods_cut(pod):
    app_pod, ids = pod
    recompute_risk_tiers(app_pod, as_of=AS_OF)
    with UnitOfWork(app_pod.engine, "x") as uow:
        detail = risk_detail(app_pod.engine, uow.patients.get(ids["p0"]), "America/New_York", us_date)
    assert detail.explanation == (
        "High (score 13; the pod's top 5 % from 6): 4 chronic conditions (diabetes, CHF, COPD, CKD), "
        "2 ED visits and 1 admission in the last 12 months, discharged 11/30/2026")
    # an import adds heart failure to a healthy patient: only that patient is tiered again
    with UnitOfWork(app_pod.engine, "x") as uow:
        uow.facts.add(condition(ids["p9"], ICD10, "I50.9"))
        uow.facts.add(condition(ids["p9"], ICD10, "N18.4"))
        uow.facts.add(encounter(ids["p9"], "IMP", dt.datetime(2026, 11, 20, 8), days=2))
        uow.commit()
    again = recompute_risk_tiers(app_pod, as_of=AS_OF, patient_ids=[ids["p9"]])
    assert again.run.high_cut == 6 and again.run.patients == 1 and again.changes.patient_ids == {ids["p9"]}
    assert tier_of(app_pod.engine, ids["p9"]) == "high"  # 2 + 2 + 2 + 2 = 8 >= the pod's cut
    assert tier_of(app_pod.engine, ids["p0"]) == "high"  # the others are left as they were


def test_a_tier_set_by_hand_keeps_its_history(pod):
    app_pod, ids = pod
    recompute_risk_tiers(app_pod, as_of=AS_OF)
    pid = ids["p5"]
    with pytest.raises(DomainError, match="reason"):
        set_risk_tier(app_pod, pid, "high", "")
    with pytest.raises(DomainError, match="nothing to clear"):
        set_risk_tier(app_pod, pid, None, "no longer needed")
    changes = set_risk_tier(app_pod, pid, "high", "Lives alone after two falls")
    assert changes.touches_patient(pid, "risk")
    set_risk_tier(app_pod, pid, None, "Moved in with her daughter")
    with UnitOfWork(app_pod.engine, "x") as uow:
        patient = uow.patients.get(pid)
        detail = risk_detail(app_pod.engine, patient, "America/New_York")
        assert patient.risk_override is None and patient.risk_tier == "low"
    assert [(o.tier, o.reason, o.by) for o in detail.overrides] == [
        (None, "Moved in with her daughter", "Dana Reyes"), ("high", "Lives alone after two falls", "Dana Reyes")]
    with app_pod.engine.connect() as conn:
        actions = conn.execute(sa.select(t.audit_event.c.action, t.audit_event.c.detail)
                               .where(t.audit_event.c.patient_id == pid, t.audit_event.c.action == "change")).all()
    assert len(actions) == 2 and "risk_override" in actions[0].detail
    recompute_risk_tiers(app_pod, as_of=AS_OF)  # a recompute never touches the tier set by hand
