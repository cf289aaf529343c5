"""A recompute tells changed evidence by each gap's evidence key, not by reading the stored
items: evidence that changes while the populations stay is written anew, unchanged evidence
is not touched, and a gap without a key (written before the key existed) gets its evidence
written once more."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from domain.measures.period import MeasurementPeriod
from storage.db import open_database
from storage.demo.generate import create_demo_pod
from storage.measures import evidence_items
from storage.measures.gap_evidence import evidence_key
from storage.measures.recompute import recompute
from tests.measures.conftest import EVIDENCE_ROWS, count_evidence_writes

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
ROOT = Path(__file__).resolve().parents[2]
ROWS = [("numerator", "Mammography", 12, "http://loinc.org", "24606-6", "2025-02-01", ""),
        ("initial-population", "Visit", 7, "http://www.ama-assn.org/go/cpt", "99215", None, "")]


@pytest.fixture()
def pod(tmp_path) -> Path:
    path = tmp_path / "pod.db"
    create_demo_pod(path, seed=5, practices=2, patients=300)
    return path


def _recompute(path: Path) -> None:
    engine = open_database(path)
    try:
        recompute(engine, PERIOD, ["CMS125"], workers=1)
    finally:
        engine.dispose()


def test_the_key_is_the_same_in_any_order_and_any_process():
    assert evidence_key(ROWS) == evidence_key(list(reversed(ROWS))) != evidence_key(ROWS[:1])
    assert evidence_key([]) == 0
    assert evidence_key([ROWS[0][:4] + ("24606-7",) + ROWS[0][5:]]) != evidence_key(ROWS[:1])
    # Python's own string hash differs between processes; the key must not
    code = f"from storage.measures.gap_evidence import evidence_key; print(evidence_key({ROWS!r}))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert int(out.stdout) == evidence_key(ROWS)
    assert -2 ** 63 <= evidence_key(ROWS * 1000) < 2 ** 63  # fits SQLite's integer


def _writes(con) -> int:
    return con.execute("SELECT n FROM evidence_writes").fetchone()[0]


def test_changed_evidence_is_rewritten_and_the_rest_left_alone(pod):
    _recompute(pod)
    with sqlite3.connect(pod) as con:
        gap_id, fact_id, code = con.execute(
            f"SELECT e.gap_id, e.fact_id, e.code FROM ({EVIDENCE_ROWS}) e JOIN gap g ON g.id = e.gap_id "
            "WHERE g.measure_id = 'CMS125' AND g.state = 'closed' AND e.population = 'numerator' "
            "ORDER BY e.gap_id LIMIT 1").fetchone()
        other = con.execute("SELECT v.code FROM valueset_code v JOIN valueset s ON s.oid = v.valueset_oid "
                            "JOIN coding_concept n ON n.system = v.system JOIN fact_coding c ON c.concept_id = n.id "
                            "WHERE s.name = 'Mammography' "
                            "AND c.fact_id = ? AND c.role = 'code' AND v.code <> ? LIMIT 1",
                            (fact_id, code)).fetchone()[0]
        before = dict(con.execute("SELECT id, computed_at FROM gap"))
        untouched = con.execute("SELECT gap_id, items FROM gap_evidence WHERE gap_id <> ? ORDER BY gap_id",
                                (gap_id,)).fetchall()
        count_evidence_writes(con)
        # the same test, coded differently: the gap stays closed, its evidence names the new code
        coding, system, display = con.execute(
            "SELECT c.id, n.system, n.display FROM fact_coding c JOIN coding_concept n ON n.id = c.concept_id "
            "WHERE c.fact_id = ? AND c.role = 'code' AND n.code = ?", (fact_id, code)).fetchone()
        concept = con.execute("INSERT INTO coding_concept (system, code, display) VALUES (?, ?, ?) RETURNING id",
                              (system, other, display)).fetchone()[0]
        con.execute("UPDATE fact_coding SET concept_id = ? WHERE id = ?", (concept, coding))
    _recompute(pod)
    with sqlite3.connect(pod) as con:
        assert con.execute(f"SELECT code FROM ({EVIDENCE_ROWS}) WHERE gap_id = ? AND fact_id = ?",
                           (gap_id, fact_id)).fetchone()[0] == other
        assert con.execute("SELECT state FROM gap WHERE id = ?", (gap_id,)).fetchone()[0] == "closed"
        assert dict(con.execute("SELECT id, computed_at FROM gap")) == before  # no result changed
        assert con.execute("SELECT gap_id, items FROM gap_evidence WHERE gap_id <> ? ORDER BY gap_id",
                           (gap_id,)).fetchall() == untouched
        assert _writes(con) == 2  # the one gap's row deleted and written anew, nothing else


def test_a_gap_without_a_key_has_its_evidence_written_once_more(pod):
    _recompute(pod)
    with sqlite3.connect(pod) as con:
        gap_id, text = con.execute("SELECT gap_id, items FROM gap_evidence ORDER BY gap_id LIMIT 1").fetchone()
        key = con.execute("SELECT evidence_key FROM gap WHERE id = ?", (gap_id,)).fetchone()[0]
        assert key == evidence_key(evidence_items.decode(text)) != 0
        # as a gap written before migration 0008 (with an item the key does not cover)
        con.execute("UPDATE gap SET evidence_key = NULL WHERE id = ?", (gap_id,))
        con.execute("UPDATE gap_evidence SET items = ? WHERE gap_id = ?",
                    (evidence_items.encode([*evidence_items.decode(text), ("numerator", "stray", None, "", "", None, "")]),
                     gap_id))
        count_evidence_writes(con)
    _recompute(pod)
    with sqlite3.connect(pod) as con:
        assert con.execute("SELECT items FROM gap_evidence WHERE gap_id = ?", (gap_id,)).fetchone()[0] == text
        assert con.execute("SELECT evidence_key FROM gap WHERE id = ?", (gap_id,)).fetchone()[0] == key
        assert _writes(con) == 2


def test_items_are_stored_as_json_the_key_covers():
    text = evidence_items.encode(ROWS)
    assert json.loads(text) == [list(row) for row in ROWS]
    assert evidence_items.decode(text) == ROWS and evidence_items.encode([]) is None
    # the recompute's fast path writes exactly what encode writes, escapes included
    j = evidence_items.JsonText()
    tricky = ("numerator", 'Said "no" — twice\\', 3, "http://loinc.org", "x", "2025-02-01", "né \n")
    fast = evidence_items.join([evidence_items.item_text(evidence_items.item_prefix(*tricky[:2], j), *tricky[2:], j)
                                for _ in range(2)])
    assert fast == evidence_items.encode([tricky, tricky]) and evidence_items.decode(fast) == [tricky, tricky]
