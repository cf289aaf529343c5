"""The measure engine's modules: one registry of criterion kinds, no import cycle between the
parallel run and the entry points, new gap ids given by the database."""
from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from domain.measures.definition import CRITERION_KINDS
from domain.measures.period import MeasurementPeriod
from tests.conftest import ROOT
from tests.measures.conftest import import_isolated
from tests.measures.test_rule_edges import _bundle, _mammogram

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def test_the_registry_answers_exactly_the_kinds_a_definition_may_name():
    from storage.measures.criteria import KINDS

    assert set(KINDS) == set(CRITERION_KINDS)


def test_the_parallel_run_does_not_import_the_entry_points():
    """parallel -> local_run -> gap_writer ...; recompute imports parallel, never the reverse."""
    code = ("import sys; import storage.measures.parallel; "
            "print('storage.measures.recompute' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_new_gaps_take_the_ids_the_database_gives_in_patient_order(measure_engine, tmp_path):
    from storage.measures.recompute import recompute

    ids = import_isolated(measure_engine, [_bundle(tmp_path, f"p{n}", "1960-05-05", extra=[_mammogram("2025-02-01")])
                                           for n in range(4)])
    recompute(measure_engine, PERIOD, ["CMS130"], workers=1)
    with measure_engine.begin() as conn:  # the largest gap id is 500
        conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        conn.execute(sa.text("UPDATE gap_evidence SET gap_id = 500 WHERE gap_id = (SELECT MAX(id) FROM gap)"))
        conn.execute(sa.text("UPDATE gap SET id = 500 WHERE id = (SELECT MAX(id) FROM gap)"))
    recompute(measure_engine, PERIOD, ["CMS125"], workers=1)
    with measure_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, patient_id FROM gap WHERE measure_id = 'CMS125' ORDER BY id")).all()
        evidence = dict(conn.execute(sa.text(
            "SELECT e.gap_id, g.patient_id FROM gap_evidence e JOIN gap g ON g.id = e.gap_id "
            "WHERE g.measure_id = 'CMS125'")).all())
    assert [gid for gid, _pid in rows] == list(range(501, 501 + len(ids)))  # after the largest, in a row
    assert [pid for _gid, pid in rows] == sorted(ids.values())  # in patient order
    assert all(evidence[gid] == pid for gid, pid in rows)  # each gap's evidence is its own
    assert len(evidence) == len(rows)
