"""The calls' data: the demo's calls tell a true story (issue 23 point 13), and migration 0010
keeps the meaning of every existing call."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest
import sqlalchemy as sa

from application.calls import office_hours_of
from application.pod import open_pod
from domain.calls import DISPOSITIONS, LEGACY_DISPOSITIONS
from domain.text import age_on
from storage.db import create_engine, open_database
from storage.demo.generate import create_demo_pod
from storage.migrate import upgrade_to
from storage.codings import facts_with_text


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("calls") / "pod.db"
    create_demo_pod(path, practices=4, patients=1200, seed=11)
    return path


def _rows(path, sql, *params):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_every_demo_call_comes_in_outside_its_practice_office_hours(demo):
    pod = open_pod(demo)
    offices = office_hours_of(pod)
    calls = _rows(demo, "SELECT practice_id, received_at FROM after_hours_call")
    assert len(calls) > 30
    for call in calls:
        received = dt.datetime.fromisoformat(call["received_at"])
        assert offices[call["practice_id"]].is_after_hours(received), call["received_at"]
    zones = {r["time_zone"] for r in _rows(demo, "SELECT time_zone FROM practice")}
    assert len(zones) >= 2, zones  # practices in more than one zone
    assert _rows(demo, "SELECT count(*) AS n FROM practice p WHERE NOT EXISTS "
                       "(SELECT 1 FROM practice_hours h WHERE h.practice_id = p.id)")[0]["n"] == 0
    pod.close()


def test_demo_calls_fit_the_patient_they_are_about(demo):
    calls = _rows(demo, "SELECT c.*, p.birth_date, p.sex, p.status FROM after_hours_call c "
                        "JOIN patient p ON p.id = c.patient_id")
    assert calls
    for call in calls:
        age = age_on(dt.date.fromisoformat(call["birth_date"]), dt.date.fromisoformat(call["received_at"][:10]))
        assert call["status"] == "active"
        if call["protocol"].endswith("- Pediatric"):
            assert age < 18 and call["caller_relation"] == "parent", dict(call)
        if call["protocol"].endswith("- Adult") or call["protocol"] == "Urination Pain - Female":
            assert age >= 18, dict(call)
        if call["protocol"] == "Urination Pain - Female":
            assert call["sex"] == "female"
        if call["reason"] in ("Missed doses", "Missed evening dose", "High blood sugar"):
            # the medicine the caller names is on the patient's active list
            named = call["symptoms"] if call["reason"] != "High blood sugar" else call["advice"]
            medications = [r["display"].lower() for r in _rows(
                demo, f"SELECT display FROM {facts_with_text()} f WHERE patient_id = ? AND kind = 'medication_request' "
                      "AND status = 'active'", call["patient_id"])]
            words = [w for w in re.findall(r"[a-z]{5,}", named.lower()) if w not in ("forgot", "tonight", "feels")]
            assert any(w in m for w in words for m in medications), (named, medications)
    assert {r["disposition"] for r in _rows(demo, "SELECT DISTINCT disposition FROM after_hours_call")} == set(DISPOSITIONS)


def test_demo_pages_go_to_the_clinician_on_call_then(demo):
    pod = open_pod(demo)
    from application.calls import on_call_now

    pages = _rows(demo, "SELECT c.practice_id, g.clinician_id, g.paged_at FROM call_page g "
                        "JOIN after_hours_call c ON c.id = g.call_id")
    assert pages
    for page in pages:
        on_call = on_call_now(pod, page["practice_id"], dt.datetime.fromisoformat(page["paged_at"]))
        assert on_call is not None and on_call[0] == page["clinician_id"]
    pod.close()


def test_migration_keeps_the_meaning_of_existing_calls(db_path):
    engine = create_engine(db_path)
    upgrade_to(engine, "0009")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO practice (id, code, name) VALUES (1, 'OAK', 'Oak')"))
        conn.execute(sa.text("INSERT INTO practice (id, code, name) VALUES (2, 'ELM', 'Elm')"))
        conn.execute(sa.text("INSERT INTO practice_hours (practice_id, weekday, opens, closes) "
                             "VALUES (2, 5, '09:00', '12:00')"))
        conn.execute(sa.text("INSERT INTO clinician (id, practice_id, family, given) VALUES (7, 1, 'Patel', 'Ravi')"))
        for index, old in enumerate(LEGACY_DISPOSITIONS, start=1):
            paged = old == "on_call_paged"
            conn.execute(sa.text(
                "INSERT INTO after_hours_call (id, practice_id, received_at, called_back_at, caller_name, reason, "
                "disposition, escalated_to_id, escalated_at, taken_by) VALUES (:id, 1, :at, :at, 'Ann', 'Fever', "
                ":d, :k, :e, 'Lee Park')"),
                {"id": index, "at": dt.datetime(2026, 3, 2, 23, index), "d": old, "k": 7 if paged else None,
                 "e": dt.datetime(2026, 3, 2, 23, 30) if paged else None})
    engine.dispose()

    engine = open_database(db_path)
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT id, disposition FROM after_hours_call")).all())
        assert found == {i: LEGACY_DISPOSITIONS[old] for i, old in enumerate(LEGACY_DISPOSITIONS, start=1)}
        pages = conn.execute(sa.text("SELECT call_id, clinician_id, paged_at, outcome, by FROM call_page")).all()
        assert [(p[0], p[1], str(p[2])[:16], p[3], p[4]) for p in pages] == [(6, 7, "2026-03-02 23:30", "reached", "Lee Park")]
        hours = conn.execute(sa.text("SELECT practice_id, weekday, opens, closes FROM practice_hours "
                                     "ORDER BY practice_id, weekday")).all()
        # a practice without hours gets the old fixed rule; one with hours keeps its own
        assert [tuple(h) for h in hours] == [(1, d, "08:00", "17:00") for d in range(5)] + [(2, 5, "09:00", "12:00")]
    engine.dispose()
