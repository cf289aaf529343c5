"""The demo pod generator: deterministic, complete, consistent, all or nothing."""
from __future__ import annotations

import datetime as dt
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.calls import DISPOSITIONS
from domain.facts import KINDS
from domain.medication_review import PROBLEM_CATEGORIES, RESPONSES, REVIEW_TYPES
from domain.outreach import CHANNELS, OUTCOMES
from domain.patient import RISK_TIERS
from domain.referral import NEXT, STATES
from storage.schema import sql_date, sql_datetime
from storage.demo.clock import REFERENCE_DATE
from storage.demo.generate import DemoError, create_demo_pod
from storage.demo.progress import Progress
from storage.codings import components_with_text, facts_with_text, with_text

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"practices": 3, "patients": 300}


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    """Pod A in-process; pod B with the same arguments through the CLI in another process
    (another hash seed, so set/dict ordering cannot hide); pod C with another seed."""
    folder = tmp_path_factory.mktemp("demo")
    a, b, c = folder / "a.db", folder / "b.db", folder / "c.db"
    create_demo_pod(a, seed=7, **SMALL)
    env = dict(os.environ, PYTHONHASHSEED="12345", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(b), "--practices", "3",
                           "--patients", "300", "--seed", "7", "--quiet"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    create_demo_pod(c, seed=8, **SMALL)
    return a, b, c


def _query(path: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _tables(path: Path) -> list[str]:
    return [r[0] for r in _query(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


def _all_rows(path: Path, table: str) -> str:
    """Every row in a fixed order: by rowid, or by primary key in a table without one."""
    sql = _query(path, "SELECT sql FROM sqlite_master WHERE name = ?", table)[0][0]
    return f'SELECT * FROM "{table}"' + ("" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid")


def test_same_arguments_give_identical_rows_in_every_table(pods):
    a, b, _ = pods
    assert _tables(a) == _tables(b)
    for table in _tables(a):
        rows_a = _query(a, _all_rows(a, table))
        assert rows_a == _query(b, _all_rows(b, table)), table
    assert _query(a, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == \
        _query(b, "SELECT type, name, sql FROM sqlite_master ORDER BY name")


def test_two_worker_processes_make_the_same_pod(pods, tmp_path):
    a, _, _ = pods
    split = tmp_path / "split.db"
    create_demo_pod(split, seed=7, workers=2, **SMALL)
    for table in _tables(a):
        assert _query(a, _all_rows(a, table)) == _query(split, _all_rows(split, table)), table
    assert [p.name for p in tmp_path.iterdir()] == ["split.db"]  # no part files left behind


def test_another_seed_gives_another_pod(pods):
    a, _, c = pods
    assert _query(a, "SELECT family, given, birth_date FROM patient ORDER BY id") != \
        _query(c, "SELECT family, given, birth_date FROM patient ORDER BY id")
    assert _query(a, "SELECT name FROM practice ORDER BY id") != _query(c, "SELECT name FROM practice ORDER BY id")


def test_no_column_comes_from_the_clock(pods):
    a, _, _ = pods
    latest = sql_datetime(dt.datetime.combine(REFERENCE_DATE, dt.time(23, 59)))
    for table, column in (("patient", "created_at"), ("patient", "updated_at"), ("practice", "created_at"),
                          ("clinical_fact", "created_at"), ("clinical_fact", "start_at"),
                          ("referral_event", "at"), ("after_hours_call", "received_at")):
        assert _query(a, f"SELECT max({column}) FROM {table}")[0][0] <= latest, (table, column)


def test_small_pod_has_every_kind_state_and_disposition(pods):
    a, _, _ = pods
    assert {r[0] for r in _query(a, "SELECT DISTINCT kind FROM clinical_fact")} == set(KINDS)
    assert {r[0] for r in _query(a, "SELECT DISTINCT state FROM referral")} == set(STATES)
    assert {r[0] for r in _query(a, "SELECT DISTINCT disposition FROM after_hours_call")} == set(DISPOSITIONS)
    assert {r[0] for r in _query(a, "SELECT DISTINCT category FROM drug_therapy_problem")} == set(PROBLEM_CATEGORIES)
    assert {r[0] for r in _query(a, "SELECT DISTINCT response FROM drug_therapy_problem")} == set(RESPONSES)
    assert {r[0] for r in _query(a, "SELECT DISTINCT outcome FROM outreach_attempt")} == set(OUTCOMES)
    assert {r[0] for r in _query(a, "SELECT DISTINCT channel FROM outreach_attempt")} == set(CHANNELS)
    assert {r[0] for r in _query(a, "SELECT DISTINCT review_type FROM medication_review")} <= set(REVIEW_TYPES)
    # every active patient is tiered by the risk model; the others have no tier
    assert {r[0] for r in _query(a, "SELECT DISTINCT risk_tier FROM patient WHERE status = 'active'")} \
        == set(RISK_TIERS)
    assert _query(a, "SELECT DISTINCT risk_tier FROM patient WHERE status <> 'active'") == [(None,)]


def test_referral_histories_follow_the_closed_loop(pods):
    a, _, _ = pods
    referrals = {rid: state for rid, state in _query(a, "SELECT id, state FROM referral")}
    events: dict[int, list[tuple]] = {}
    for rid, from_state, to_state, at in _query(
            a, "SELECT referral_id, from_state, to_state, at FROM referral_event ORDER BY id"):
        events.setdefault(rid, []).append((from_state, to_state, at))
    assert set(events) == set(referrals)
    for rid, history in events.items():
        assert history[0][:2] == (None, "ordered")
        for (_, previous, at_before), (source, target, at) in zip(history, history[1:]):
            assert source == previous and target in NEXT[source], (rid, history)
            assert at >= at_before
        assert history[-1][1] == referrals[rid]


def test_calls_last_night_wait_for_the_practice_and_pages_go_to_its_clinicians(pods):
    a, _, _ = pods
    night_start = sql_datetime(dt.datetime.combine(REFERENCE_DATE - dt.timedelta(days=3), dt.time(12)))
    waiting = _query(a, "SELECT received_at FROM after_hours_call WHERE acknowledged_at IS NULL "
                        "AND received_at >= ?", night_start)
    assert waiting  # the weekend in progress is not handed off yet
    assert _query(a, "SELECT count(*) FROM after_hours_call c JOIN clinician k ON k.id = c.escalated_to_id "
                     "WHERE c.disposition = 'on_call_paged' AND k.practice_id != c.practice_id")[0][0] == 0
    assert _query(a, "SELECT count(*) FROM after_hours_call WHERE disposition = 'on_call_paged' "
                     "AND escalated_to_id IS NULL")[0][0] == 0
    # every escalation is a page of the clinician the call names, after the call came in
    assert _query(a, "SELECT count(*) FROM after_hours_call c WHERE c.escalated_to_id IS NOT NULL AND NOT EXISTS "
                     "(SELECT 1 FROM call_page g WHERE g.call_id = c.id AND g.clinician_id = c.escalated_to_id "
                     "AND g.paged_at = c.escalated_at AND g.paged_at >= c.received_at)")[0][0] == 0
    assert _query(a, "SELECT count(*) FROM after_hours_call WHERE called_back_at IS NULL "
                     "OR called_back_at < received_at")[0][0] == 0


def test_facts_carry_their_codings_and_blood_pressure_components(pods):
    a, _, _ = pods
    missing = _query(a, f"SELECT f.id FROM {facts_with_text()} f WHERE NOT EXISTS (SELECT 1 FROM {with_text()} c "
                        "WHERE c.fact_id = f.id AND c.role = 'code' AND c.system = f.code_system "
                        "AND c.code = f.code)")
    assert missing == []
    assert _query(a, "SELECT count(*) FROM clinical_fact WHERE kind = 'encounter' AND NOT EXISTS (SELECT 1 FROM "
                     "fact_coding c WHERE c.fact_id = clinical_fact.id AND c.role = 'class')")[0][0] == 0
    shapes = _query(a, f"SELECT f.id, group_concat(c.code) FROM clinical_fact f JOIN {components_with_text()} c ON c.fact_id = f.id "
                       "WHERE f.code = '85354-9' GROUP BY f.id")
    bp_count = _query(a, "SELECT count(*) FROM clinical_fact WHERE code = '85354-9'")[0][0]
    assert bp_count and len(shapes) == bp_count
    assert all(sorted(codes.split(",")) == ["8462-4", "8480-6"] for _, codes in shapes)
    assert _query(a, "SELECT count(*) FROM clinical_fact WHERE code = '4548-4' AND (value_num IS NULL "
                     "OR value_unit != '%')")[0][0] == 0
    statuses = dict(_query(a, "SELECT kind, group_concat(DISTINCT status) FROM clinical_fact "
                              "WHERE kind IN ('observation', 'procedure', 'encounter') GROUP BY kind"))
    assert statuses == {"observation": "final", "procedure": "completed", "encounter": "finished"}
    assert _query(a, "SELECT DISTINCT clinical_status, verification_status FROM clinical_fact "
                     "WHERE kind = 'condition'") == [("active", "confirmed")]
    # the measure engine finds lab results and surveys by their category coding
    categories = dict(_query(a, "SELECT f.code, group_concat(DISTINCT c.code) FROM clinical_fact f "
                                f"JOIN {with_text()} c ON c.fact_id = f.id AND c.role = 'category' "
                                "WHERE f.code IN ('4548-4', '72166-2', '73832-8', '10524-7') GROUP BY f.code"))
    assert categories == {"4548-4": "laboratory", "72166-2": "survey", "73832-8": "survey",
                          "10524-7": "laboratory"}
    assert _query(a, "SELECT count(*) FROM clinical_fact f WHERE kind IN ('observation', 'condition') AND NOT EXISTS "
                     "(SELECT 1 FROM fact_coding c WHERE c.fact_id = f.id AND c.role = 'category')")[0][0] == 0


def test_database_is_consistent_with_the_schema(pods, tmp_path):
    from storage.db import open_database

    a, _, _ = pods
    assert _query(a, "PRAGMA foreign_key_check") == []
    assert _query(a, "PRAGMA integrity_check") == [("ok",)]
    fresh = tmp_path / "fresh.db"
    open_database(fresh).dispose()
    index_sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    assert _query(a, index_sql) == _query(fresh, index_sql)
    assert _query(a, "PRAGMA journal_mode") == [("wal",)]


def test_stored_values_read_back_through_sqlalchemy(pods):
    from storage import schema

    a, _, _ = pods
    engine = sa.create_engine(f"sqlite:///{a}")
    try:
        with engine.connect() as conn:
            patient = conn.execute(sa.select(schema.patient).order_by(schema.patient.c.id)).first()
            fact = conn.execute(sa.select(schema.clinical_fact).where(
                schema.clinical_fact.c.kind == "encounter")).first()
    finally:
        engine.dispose()
    assert isinstance(patient.birth_date, dt.date) and isinstance(patient.created_at, dt.datetime)
    assert patient.entered_in_error is False
    assert isinstance(fact.start_at, dt.datetime) and fact.start_raw.startswith(fact.start_raw[:10])
    # start_raw is local time with its offset; start_at is the same instant in UTC
    local = dt.datetime.fromisoformat(fact.start_raw)
    assert local.astimezone(dt.timezone.utc).replace(tzinfo=None) == fact.start_at


def test_text_forms_match_what_sqlalchemy_writes():
    dialect = sa.create_engine("sqlite://").dialect
    moment, day = dt.datetime(2025, 3, 4, 5, 6, 7), dt.date(2025, 3, 4)
    assert sql_datetime(moment) == sa.DateTime().dialect_impl(dialect).bind_processor(dialect)(moment)
    assert sql_date(day) == sa.Date().dialect_impl(dialect).bind_processor(dialect)(day)


def test_people_and_staff_look_like_a_pod(pods):
    a, _, _ = pods
    staff = _query(a, "SELECT count(*) FROM staff_member")[0][0]
    assert 6 <= staff <= 8
    assert _query(a, "SELECT count(*) FROM staff_member s WHERE NOT EXISTS "
                     "(SELECT 1 FROM staff_practice sp WHERE sp.staff_id = s.id)")[0][0] == 0
    assert _query(a, "SELECT count(*) FROM patient WHERE consent_date IS NOT NULL AND consent_by = ''")[0][0] == 0
    children = _query(a, "SELECT count(*) FROM patient WHERE birth_date > ?",
                      sql_date(REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 18)))[0][0]
    assert 0.12 <= children / 300 <= 0.30
    assert _query(a, "SELECT count(DISTINCT phone_key) FROM patient")[0][0] > 280
    assert _query(a, "SELECT count(*) FROM on_call_slot WHERE starts_at > ?",
                  sql_datetime(dt.datetime.combine(REFERENCE_DATE, dt.time())))[0][0] > 0
    per_practice = _query(a, "SELECT practice_id, count(*) FROM clinician GROUP BY practice_id")
    assert all(1 <= n <= 4 for _, n in per_practice) and len(per_practice) == 3


def test_workflow_has_overdue_tasks_and_ccm_months(pods):
    a, _, _ = pods
    today = sql_date(REFERENCE_DATE)
    assert _query(a, "SELECT count(*) FROM task WHERE status IN ('open', 'in_progress') AND due_date < ?",
                  today)[0][0] > 0
    ccm_months = _query(a, "SELECT t.patient_id, substr(t.entry_date, 1, 7) FROM time_entry t "
                           "JOIN patient p ON p.id = t.patient_id WHERE p.consent_date IS NOT NULL "
                           "GROUP BY 1, 2 HAVING sum(t.minutes) >= 20")
    assert ccm_months
    assert _query(a, "SELECT count(*) FROM care_goal")[0][0] and _query(a, "SELECT count(*) FROM care_intervention")[0][0]
    assert _query(a, "SELECT count(*) FROM reviewed_medication")[0][0]


def test_cli_rejects_bad_arguments_with_a_message(tmp_path, capsys):
    import main

    target = tmp_path / "pod.db"
    assert main.main(["demo", "--db", str(target), "--practices", "3", "--patients", "0", "--quiet"]) == 1
    assert "--patients" in capsys.readouterr().err
    assert main.main(["demo", "--db", str(target), "--practices", "5", "--patients", "3", "--quiet"]) == 1
    assert "at least --practices" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main.main(["demo", "--db", str(target), "--patients", "many"])
    assert exit_info.value.code == 2
    assert "not a whole number" in capsys.readouterr().err
    assert not target.exists()


def test_cli_refuses_an_existing_pod_unless_replace(tmp_path, capsys):
    import main

    target = tmp_path / "pod.db"
    args = ["demo", "--db", str(target), "--practices", "2", "--patients", "40", "--seed", "3"]
    assert main.main(args) == 0
    assert "40 patients" in capsys.readouterr().out
    before = target.read_bytes()
    assert main.main(args + ["--quiet"]) == 1
    message = capsys.readouterr().err
    assert "already holds a pod" in message and "--replace" in message
    assert target.read_bytes() == before
    assert main.main(["--db", str(target), "demo", "--practices", "2", "--patients", "50", "--replace"]) == 0
    assert "kept as" in capsys.readouterr().out
    assert _query(target, "SELECT count(*) FROM patient") == [(50,)]
    assert _query(tmp_path / "pod.db.before-demo", "SELECT count(*) FROM patient") == [(40,)]


def test_not_a_database_is_refused(tmp_path):
    target = tmp_path / "notes.db"
    target.write_text("shopping list\n" * 200)
    with pytest.raises(DemoError, match="not a Carepod database"):
        create_demo_pod(target, practices=1, patients=5, seed=1)
    assert target.read_text().startswith("shopping list")


def test_a_failure_leaves_no_half_pod(tmp_path, monkeypatch):
    from storage.demo import workflow

    target = tmp_path / "pod.db"

    def broken(self, practice, panel):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(workflow.WorkflowBuilder, "calls", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        create_demo_pod(target, practices=2, patients=20, seed=1)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_plain_lines_off_a_terminal_and_silent_when_quiet():
    stream = io.StringIO()
    progress = Progress(100, stream=stream)
    for done in range(0, 101, 5):
        progress.update(done)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert 5 <= len(lines) <= 11 and "\r" not in stream.getvalue()
    assert lines[-1].startswith("patients 100/100")
    quiet = io.StringIO()
    silent = Progress(100, stream=quiet, enabled=False)
    silent.update(50)
    silent.step("indexing")
    assert quiet.getvalue() == ""
