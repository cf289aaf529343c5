"""bench/reshape_pod.py splits a bench pod's practices (issue 24's 200-practice shape from a
20-practice pod): every patient lands in a sister of their practice, what keeps a copy of the
patient's practice follows, the worklist's kept counts still agree with the gap rows, and the
Quality snapshots name the new practices."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import sqlalchemy as sa

from domain.measures.period import MeasurementPeriod

ROOT = Path(__file__).resolve().parents[2]
PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def _reshape_pod():
    spec = importlib.util.spec_from_file_location("reshape_pod", ROOT / "bench" / "reshape_pod.py")
    module = sys.modules["reshape_pod"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _scalar(conn, sql: str):
    return conn.execute(sa.text(sql)).scalar()


def test_a_reshaped_pod_keeps_its_patients_records_and_counts_together(tmp_path, capsys):
    from storage.db import open_database
    from storage.demo.generate import create_demo_pod
    from storage.measures.peer_rates import take_snapshot
    from storage.measures.recompute import recompute

    db = tmp_path / "pod.db"
    create_demo_pod(db, practices=2, patients=300, seed=5)
    engine = open_database(db)
    recompute(engine, PERIOD, workers=1)
    take_snapshot(engine, "CMS125", PERIOD.start, PERIOD.end)
    with engine.connect() as conn:
        before = {name: _scalar(conn, f"SELECT count(*) FROM {name}") for name in ("patient", "gap", "referral")}
        practices_before = _scalar(conn, "SELECT count(*) FROM practice WHERE NOT holding")
        by_patient = dict(conn.execute(sa.text("SELECT id, practice_id FROM patient")).all())
    engine.dispose()

    assert _reshape_pod().main(["--db", str(db), "--split", "3"]) == 0
    assert "patients moved" in capsys.readouterr().out

    engine = open_database(db)
    with engine.connect() as conn:
        assert _scalar(conn, "SELECT count(*) FROM practice WHERE NOT holding") == 3 * practices_before
        assert before == {name: _scalar(conn, f"SELECT count(*) FROM {name}") for name in before}
        # each patient is in the sister their id names: the first practice keeps id % 3 == 0
        moved = dict(conn.execute(sa.text("SELECT id, practice_id FROM patient")).all())
        assert all((moved[pid] == old) == (pid % 3 == 0) for pid, old in by_patient.items())
        codes = conn.execute(sa.text("SELECT p.code FROM patient t JOIN practice p ON p.id = t.practice_id "
                                     "WHERE t.id % 3 = 2")).scalars().all()
        assert codes and all(code.endswith("-3") for code in codes)
        for table in ("referral", "after_hours_call", "task", "time_entry", "outreach_plan"):
            assert _scalar(conn, f"SELECT count(*) FROM {table} r JOIN patient p ON p.id = r.patient_id "
                                 "WHERE r.practice_id IS NOT p.practice_id") == 0, table
        kept = dict(conn.execute(sa.text(
            "SELECT practice_id || ' ' || measure_id || ' ' || state, sum(n) FROM gap_count "
            "WHERE period_end = '2025-12-31' GROUP BY 1 HAVING sum(n) <> 0")).all())
        counted = dict(conn.execute(sa.text(
            "SELECT p.practice_id || ' ' || g.measure_id || ' ' || g.state, count(*) FROM gap g "
            "JOIN patient p ON p.id = g.patient_id WHERE p.entered_in_error = 0 AND g.period_end = '2025-12-31' "
            "GROUP BY 1")).all())
        assert kept == counted and len({key.split()[0] for key in kept}) == 3 * practices_before
        assert _scalar(conn, "SELECT count(DISTINCT practice_id) FROM quality_snapshot "
                             "WHERE measure_id = 'CMS125'") == 3 * practices_before
        # a staff member who is not an administrator keeps one sister of each practice covered
        covered = conn.execute(sa.text(
            "SELECT s.roles, count(*) FROM staff_member s JOIN staff_practice sp ON sp.staff_id = s.id "
            "GROUP BY s.id")).all()
        assert all(n == 3 * practices_before for roles, n in covered if "administrator" in roles)
        assert all(n <= practices_before for roles, n in covered if "administrator" not in roles)
    engine.dispose()


def test_a_code_too_long_for_a_practice_stops_it_before_anything_changes(tmp_path, capsys):
    from storage.db import open_database
    from storage.demo.generate import create_demo_pod

    db = tmp_path / "pod.db"
    create_demo_pod(db, practices=2, patients=100, seed=5)
    engine = open_database(db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE practice SET code = 'FIFTEEN-CHARS-X' WHERE id = "
                             "(SELECT min(id) FROM practice WHERE NOT holding)"))
        before = _scalar(conn, "SELECT count(*) FROM practice"), _scalar(conn, "SELECT sum(practice_id) FROM patient")
    engine.dispose()

    assert _reshape_pod().main(["--db", str(db), "--split", "3"]) == 2
    assert "FIFTEEN-CHARS-X-2 would be longer than 16 characters; nothing was changed" in capsys.readouterr().err
    engine = open_database(db)
    with engine.connect() as conn:
        assert (_scalar(conn, "SELECT count(*) FROM practice"),
                _scalar(conn, "SELECT sum(practice_id) FROM patient")) == before
    engine.dispose()
