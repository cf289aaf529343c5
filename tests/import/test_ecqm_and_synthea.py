"""Every published eCQM case and the Synthea bundles import into one database, faithfully."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from helpers import snapshot
from storage.importers.run import import_paths
from storage.codings import components_with_text, with_text


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    from storage.db import open_database

    shared = __import__("conftest").Path(__file__).resolve().parents[2].parent / "shared"
    engine = open_database(tmp_path_factory.mktemp("ecqm") / "all.db")
    paths = sorted(shared.glob("ecqm/*/cases")) + [shared / "synthea"]
    # nine CMS124 cases name their patient "Patient/Patient-N", an id their Bundle does not hold:
    # imported as the one patient's record they are (a pod's import refuses that: test below)
    report = import_paths(engine, paths, actor="Test Import", sole_patient_bundles=True)
    yield engine, report, paths
    engine.dispose()


def q(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def test_every_case_imports_without_rejection(imported):
    engine, report, _paths = imported
    assert len(report.files) == 252
    assert report.errors == [], "\n".join(p.as_text() for p in report.errors[:20])
    assert report.files_imported == 252 and report.exit_status == 0
    assert q(engine, "SELECT count(*) FROM patient")[0][0] == 252
    # each case bundle is its own patient: none of their facts landed on another case's patient
    per_source = q(engine, "SELECT count(DISTINCT f.patient_id), count(DISTINCT substr(f.source_key, 1, "
                           "instr(f.source_key, '|') - 1)) FROM clinical_fact f")
    assert per_source[0][0] == per_source[0][1]


def test_repeated_ids_from_different_sources_do_not_collide(imported):
    engine, report, _paths = imported
    rows = q(engine, "SELECT count(*) FROM source_record WHERE resource_type = 'Encounter' AND resource_id = 'Encounter-1'")
    assert rows[0][0] > 5
    assert report.counts["Encounter"]["created"] == q(engine, "SELECT count(*) FROM clinical_fact WHERE kind='encounter'")[0][0]


def test_case_facts_are_faithful(imported, shared_dir):
    engine, _report, _paths = imported
    # blood pressure: one observation with systolic and diastolic components
    bp = q(engine, f"SELECT c.code, c.value_num, c.value_unit FROM clinical_fact f JOIN {components_with_text()} c "
                   "ON c.fact_id = f.id WHERE f.source_key = :k ORDER BY c.code",
           k="6f37e357-7575-4b40-a63e-4b882532250f|Observation|Observation-5")
    assert bp == [("8462-4", 89.0, "mmHg"), ("8480-6", 139.0, "mmHg")]
    # a frailty device with modifierExtension doNotPerform = true (and the published misspelling = false)
    device = q(engine, "SELECT not_done, code, start_raw, start_at FROM clinical_fact WHERE source_key = :k",
               k="65daa725-9d91-44d4-8d8a-d7caa41d7191|DeviceRequest|DeviceRequest-1")
    assert device == [(1, "183240000", "2025-11-01T23:59:00.000Z", "2025-11-01 23:59:00.000000")]
    assert q(engine, "SELECT not_done FROM clinical_fact WHERE source_key = :k",
             k="0ced1e0c-9c92-4582-a4b1-e44f130e436f|DeviceRequest|DeviceRequest-1") == [(0,)]
    # encounter: class, type, discharge disposition, and its diagnosis's codes
    enc = q(engine, "SELECT encounter_class, code, discharge_code FROM clinical_fact WHERE source_key = :k",
            k="92ed2664-a594-4cac-9001-3044b14a02f7|Encounter|Encounter-2")
    assert enc == [("AMB", "32485007", "428361000124107")]
    diag = q(engine, "SELECT c.role FROM fact_coding c JOIN clinical_fact f ON f.id = c.fact_id "
                     "WHERE f.source_key = :k AND c.role = 'diagnosis'",
             k="7e69124d-ff34-4daf-b626-08d1283f71ba|Encounter|Encounter-13")
    assert diag, "the encounter's diagnosis Condition codes are kept"
    # a not-done observation with its reason, and the full resource JSON kept
    nd = q(engine, "SELECT f.not_done, f.status, f.recorded_at, f.resource_json FROM clinical_fact f WHERE source_key = :k",
           k="03a2fe82-5708-4ae5-8144-a47b67705b25|Observation|adult-depression-screening-assessment-d70a")
    assert nd[0][:3] == (1, "cancelled", "2025-06-28 08:00:00.000000")
    assert json.loads(nd[0][3])["extension"][0]["url"].endswith("qicore-notDoneReason")
    reasons = q(engine, f"SELECT c.code FROM {with_text()} c JOIN clinical_fact f ON f.id = c.fact_id "
                        "WHERE f.source_key = :k AND c.role = 'not_done_reason'",
                k="03a2fe82-5708-4ae5-8144-a47b67705b25|Observation|adult-depression-screening-assessment-d70a")
    assert reasons == [("183932001",)]
    # condition status and category; the chart query by patient finds the facts
    cond = q(engine, "SELECT clinical_status, category, start_raw FROM clinical_fact WHERE source_key = :k",
             k="048a7212-c19c-4f9d-89e2-13727b23e585|Condition|Condition-1")
    assert cond == [("active", "problem-list-item", "2025-06-30T23:59:59.000Z")]


def test_chart_level_facts_through_the_repository(imported):
    engine, _report, _paths = imported
    from storage.uow import UnitOfWork

    patient_id = q(engine, "SELECT record_id FROM source_record WHERE resource_type='Patient' AND source = :s",
                   s="6f37e357-7575-4b40-a63e-4b882532250f")[0][0]
    with UnitOfWork(engine, "Test") as uow:
        kinds = {f.kind for f in uow.facts.for_patient(patient_id)}
    assert "observation" in kinds and "encounter" in kinds


def test_synthea_references_resolve(imported):
    engine, _report, _paths = imported
    linked = q(engine, "SELECT count(*) FROM clinical_fact o JOIN clinical_fact e ON e.id = o.encounter_fact_id "
                       "WHERE o.kind = 'observation' AND o.source_key LIKE 'Catherine_Turner%'")
    assert linked[0][0] > 50
    assert q(engine, "SELECT count(*) FROM patient WHERE payer_id IS NOT NULL")[0][0] >= 1
    # a typed MR identifier becomes the MRN
    assert q(engine, "SELECT mrn FROM patient WHERE family = 'Turner'") == [("fa4fbf0c-f581-41f2-889b-f3769e57681d",)]


def test_second_import_changes_nothing(imported):
    engine, _report, paths = imported
    before = snapshot(engine)
    again = import_paths(engine, paths, actor="Test Import", sole_patient_bundles=True)
    assert again.errors == []
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.total("unchanged") > 2000
    assert again.changed_patient_ids == set()
    assert snapshot(engine) == before
