"""``coded_fact`` (what whole-pod criteria read) is derived from ``fact_coding`` and
``clinical_fact`` by triggers: it must equal that join after every kind of write — the demo,
an import, a re-import that changes a resource, a correction, a deletion, an upgrade."""
from __future__ import annotations

import json
import sqlite3

import pytest
import sqlalchemy as sa

from tests.conftest import SHARED
from tests.measures.conftest import import_isolated

DERIVED = ("SELECT n.system, n.code, f.id, f.patient_id, f.kind, f.entered_in_error, f.status, f.clinical_status, "
           "f.intent, length(f.start_raw) = 10, length(f.end_raw) = 10, f.end_raw <> '', f.start_at, f.end_at, "
           "f.recorded_at, "
           "(CASE WHEN f.kind = 'observation' THEN json_type(f.resource_json, '$.effectivePeriod') IS NOT NULL "
           "WHEN f.kind = 'procedure' THEN json_type(f.resource_json, '$.performedPeriod') IS NOT NULL ELSE 0 END), "
           # each bound's day: the date as written (a partial date has none), else the UTC instant's
           + ", ".join(f"(CASE WHEN length(f.{b}_raw) >= 10 THEN substr(f.{b}_raw, 1, 10) WHEN f.{b}_raw = '' "
                       f"THEN date(f.{b}_at) END)" for b in ("start", "end")) +
           # a result of any kind
           ", (f.value_num IS NOT NULL OR length(f.value_code) + length(f.value_text) > 0 OR f.id IN "
           "(SELECT fact_id FROM fact_coding WHERE role = 'value')), f.encounter_fact_id"
           " FROM fact_coding c JOIN coding_concept n ON n.id = c.concept_id JOIN clinical_fact f ON f.id = c.fact_id"
           " WHERE c.role = 'code'")


def _add_coding(conn, fact_id: int, role: str, system: str, code: str) -> None:
    """A coding written straight into the table, as another tool would (its concept first)."""
    from storage.codings import concept_id

    conn.execute(sa.text("INSERT INTO fact_coding (fact_id, role, concept_id) VALUES (:f, :r, :n)"),
                 {"f": fact_id, "r": role, "n": concept_id(conn, system, code)})


def _rows(conn, sql: str) -> set[tuple]:
    return {tuple(r) for r in conn.execute(sa.text(sql))}


# coded_fact's rows with their concept's system and code in place of the concept
STORED = ("SELECT n.system, n.code, " + ", ".join(f"cf.{c}" for c in (
    "id", "patient_id", "kind", "entered_in_error", "status", "clinical_status", "intent", "start_is_date",
    "end_is_date", "end_given", "start_at", "end_at", "recorded_at", "open_period", "start_day", "end_day",
    "has_value", "encounter_fact_id")) + " FROM coded_fact cf JOIN coding_concept n ON n.id = cf.concept_id")


def assert_in_step(engine) -> set[tuple]:
    with engine.connect() as conn:
        stored, derived = _rows(conn, STORED), _rows(conn, DERIVED)
        assert conn.execute(sa.text("SELECT count(*) FROM coded_fact")).scalar() == len(stored)
    assert stored == derived, (repr(sorted(stored - derived)[:3]), repr(sorted(derived - stored)[:3]))
    return stored


def _case(measure: str, name: str):
    return SHARED / "ecqm" / measure / "cases" / f"{name}.json"


CASES = [_case("CMS122", "8956ebb5-d3c0-4112-a34a-200961713efd"),
         *sorted((SHARED / "ecqm" / "CMS130" / "cases").glob("*.json"))[:12]]


def test_an_import_fills_it_with_periods_told_apart(measure_engine):
    import_isolated(measure_engine, CASES)
    rows = assert_in_step(measure_engine)
    assert len(rows) > 30
    kinds_with_periods = {row[4] for row in rows if row[15]}
    assert kinds_with_periods == {"observation", "procedure"}  # effectivePeriod, performedPeriod
    assert any(not row[15] for row in rows)


def test_a_changed_resource_re_imported_updates_it(measure_engine, tmp_path):
    from storage.importers.run import import_paths

    bundle = json.loads(CASES[0].read_text())
    path = tmp_path / "case.json"
    path.write_text(json.dumps(bundle))
    import_isolated(measure_engine, [path])
    before = assert_in_step(measure_engine)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation":
            resource["status"] = "entered-in-error"
            resource["effectiveDateTime"] = "2025-03-04T10:00:00Z"
            del resource["effectivePeriod"]
            resource["code"]["coding"].append({"system": "http://loinc.org", "code": "4548-4"})
    path.write_text(json.dumps(bundle))
    report = import_paths(measure_engine, [path], practice_code="T00000")
    assert not report.errors
    after = assert_in_step(measure_engine)
    assert after != before
    observation = [row for row in after if row[4] == "observation"]
    assert {row[1] for row in observation} >= {"4548-4"}
    assert all(row[8] == "" or row[6] for row in observation)  # status read again
    assert not any(row[15] for row in observation)  # no longer a Period


def test_corrections_and_deletions_keep_it_in_step(measure_engine, engine):
    from domain import services
    from storage.uow import UnitOfWork

    import_isolated(measure_engine, CASES[:4])
    with engine.connect() as conn:
        fact_id = conn.execute(sa.text("SELECT MIN(id) FROM coded_fact")).scalar()
    with UnitOfWork(engine, "Test Nurse") as uow:
        services.mark_entered_in_error(uow, "facts", fact_id, reason="wrong patient")
    rows = assert_in_step(engine)
    assert {row[5] for row in rows if row[2] == fact_id} == {1}
    with engine.begin() as conn:  # a second coding with the same code and system, then one removed
        system, code = conn.execute(sa.text("SELECT n.system, n.code FROM coded_fact cf JOIN coding_concept n "
                                            "ON n.id = cf.concept_id WHERE cf.id = :f"), {"f": fact_id}).one()
        _add_coding(conn, fact_id, "code", system, code)
        conn.execute(sa.text("DELETE FROM fact_coding WHERE id = (SELECT MAX(id) FROM fact_coding)"))
    assert any(row[2] == fact_id for row in assert_in_step(engine))
    with engine.begin() as conn:  # a coded result added to a fact without one, then taken away
        bare = conn.execute(sa.text("SELECT MIN(id) FROM coded_fact WHERE NOT has_value AND id <> :f"),
                            {"f": fact_id}).scalar()
        _add_coding(conn, bare, "value", "s", "v")
    assert {row[18] for row in assert_in_step(engine) if row[2] == bare} == {1}
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM fact_coding WHERE fact_id = :f AND role = 'value'"), {"f": bare})
        conn.execute(sa.text("UPDATE clinical_fact SET value_text = 'seen' WHERE id = :f"), {"f": fact_id})
    assert {row[18] for row in assert_in_step(engine) if row[2] == bare} == {0}
    assert {row[18] for row in assert_in_step(engine) if row[2] == fact_id} == {1}
    with engine.begin() as conn:
        from storage.codings import concept_id

        conn.execute(sa.text("UPDATE fact_coding SET concept_id = :n WHERE fact_id = :f AND role = 'code'"),
                     {"f": fact_id, "n": concept_id(conn, system, "other")})
    assert {row[1] for row in assert_in_step(engine) if row[2] == fact_id} == {"other"}
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM gap_evidence"))
        conn.execute(sa.text("DELETE FROM clinical_fact WHERE id = :f"), {"f": fact_id})
    assert not any(row[2] == fact_id for row in assert_in_step(engine))


def test_the_demo_pod_has_it(tmp_path):
    from storage.db import open_database
    from storage.demo.generate import create_demo_pod

    path = tmp_path / "demo.db"
    from storage.coded_facts import triggers

    create_demo_pod(path, practices=2, patients=120, seed=3)
    engine = open_database(path)
    assert len(assert_in_step(engine)) > 500
    with engine.connect() as conn:  # put back after the bulk load
        assert set(triggers()) <= set(conn.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    engine.dispose()


@pytest.mark.parametrize("revision", ["0002", "0003"])  # before coded_fact; before its day columns
def test_an_older_database_is_filled_when_upgraded(db_path, revision):
    from storage.db import create_engine, open_database
    from storage.migrate import upgrade_to

    engine = create_engine(db_path)
    upgrade_to(engine, revision)
    engine.dispose()
    con = sqlite3.connect(db_path)
    con.executescript(
        "INSERT INTO practice (id, code, name) VALUES (1, 'OAK', 'Oak');"
        "INSERT INTO patient (id, practice_id, mrn, family, given, birth_date, sex) "
        "VALUES (1, 1, 'M1', 'Test', 'Ann', '1960-02-29', 'female');"
        "INSERT INTO clinical_fact (id, patient_id, kind, status, start_raw, start_at, resource_json) VALUES "
        "(1, 1, 'observation', 'final', '2025-02-01', '2025-02-01 00:00:00.000000', "
        "'{\"effectivePeriod\": {\"start\": \"2025-02-01\"}}'),"
        "(2, 1, 'encounter', 'finished', '2025-03-01', '2025-03-01 00:00:00.000000', NULL);"
        "INSERT INTO fact_coding (fact_id, role, system, code) VALUES (1, 'code', 'http://loinc.org', '4548-4'),"
        "(1, 'value', 'http://snomed.info/sct', '1'), (2, 'code', 'http://snomed.info/sct', '185463005');")
    con.commit()
    con.close()
    engine = open_database(db_path)
    rows = assert_in_step(engine)
    assert {(row[2], row[1], row[15], row[16]) for row in rows} == {(1, "4548-4", 1, "2025-02-01"),
                                                                   (2, "185463005", 0, "2025-03-01")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM coded_fact_pending")).scalar() == 0
    engine.dispose()


def test_a_fact_written_another_way_is_caught_up_before_a_whole_pod_evaluation(measure_engine):
    from domain.measures.period import MeasurementPeriod
    from storage.measures.engine import evaluate, raw_connection

    # a patient in CMS130's denominator and not its numerator (a colectomy after the period)
    import_isolated(measure_engine, [_case("CMS130", "394fbf45-d81c-49d1-be1f-3907227d8940")])
    with measure_engine.begin() as conn:
        patient = conn.execute(sa.text("SELECT MIN(id) FROM patient")).scalar()
        fact = conn.execute(sa.text(
            "INSERT INTO clinical_fact (patient_id, kind, status, start_raw, start_at) VALUES "
            "(:p, 'procedure', 'completed', '2025-05-06', '2025-05-06 00:00:00.000000') RETURNING id"),
            {"p": patient}).scalar()
        _add_coding(conn, fact, "code", "http://www.ama-assn.org/go/cpt", "44388")
    with measure_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM coded_fact WHERE id = :f"), {"f": fact}).scalar() == 0
    fairy, con = raw_connection(measure_engine)
    try:
        results = evaluate(con, ["CMS130"], MeasurementPeriod.parse("2025-01-01", "2025-12-31"))
    finally:
        fairy.close()
    assert results[0].criteria["colonoscopy"].evidence[patient].fact_id == fact
    assert results[0].groups[0].populations["numerator"] == {patient}
    assert_in_step(measure_engine)
