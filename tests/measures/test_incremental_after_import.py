"""After one practice's monthly file is imported, recomputing only the patients it changed (what
the window does after an import) leaves exactly the gaps, evidence and states a complete
recompute of the pod leaves."""
from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path

import sqlalchemy as sa

from domain.measures.period import MeasurementPeriod

ROOT = Path(__file__).resolve().parents[2]
PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def _practice_month():
    spec = importlib.util.spec_from_file_location("practice_month", ROOT / "bench" / "practice_month.py")
    module = sys.modules["practice_month"] = importlib.util.module_from_spec(spec)  # its dataclass looks it up
    spec.loader.exec_module(module)
    return module


def _gaps(engine) -> dict:
    """Every gap of the period as a user sees it: populations, state, due date, evidence."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT g.patient_id, g.measure_id, g.group_index, g.initial_population, g.denominator, "
            "g.denominator_exclusion, g.denominator_exception, g.numerator, g.state, g.due_date, g.evidence_key, "
            "e.items FROM gap g LEFT JOIN gap_evidence e ON e.gap_id = g.id "
            "WHERE g.period_start = :s AND g.period_end = :e"),
            {"s": PERIOD.start.isoformat(), "e": PERIOD.end.isoformat()}).all()
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def test_an_incremental_recompute_after_a_monthly_file_gives_the_complete_recomputes_gaps(tmp_path):
    from application.imports import import_files
    from application.pod import open_pod
    from storage.demo.generate import create_demo_pod
    from storage.measures.recompute import recompute, recompute_for_patients

    db = tmp_path / "pod.db"
    create_demo_pod(db, practices=2, patients=400, seed=13)
    pod = open_pod(db, "Test Importer", create=False)
    try:
        recompute(pod.engine, PERIOD, workers=1)
        before = _gaps(pod.engine)
        with pod.engine.connect() as conn:
            code = conn.execute(sa.text("SELECT code FROM practice WHERE NOT holding ORDER BY id LIMIT 1")).scalar()
        # half the practice seen in November (more than a month's share: more gaps to move)
        month = _practice_month().write_month(db, code, dt.date(2025, 11, 1), tmp_path / f"ehr-{code}",
                                              share=0.5, seed=3)
        assert month.patients > 50 and month.resources["Encounter"] == month.patients
        report = import_files(pod, [month.folder], practice_code=code).report
        assert not report.errors and report.files_imported == len(month.resources)
        changed = sorted(report.changed_patient_ids)
        assert len(changed) == month.patients  # matched on practice + MRN: no new patient
        with pod.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 400
    finally:
        pod.close()
    complete = tmp_path / "complete.db"
    shutil.copy(db, complete)

    pod = open_pod(db, "Test Importer", create=False)
    try:
        recompute_for_patients(pod.engine, changed, PERIOD)
        incremental = _gaps(pod.engine)
    finally:
        pod.close()
    other = open_pod(complete, "Test Importer", create=False)
    try:
        recompute(other.engine, PERIOD, workers=1)
        whole = _gaps(other.engine)
    finally:
        other.close()

    assert incremental == whole
    moved = {key for key in whole if whole[key] != before.get(key)}
    # the month's visits, screenings and diagnoses changed gaps, and only its patients'
    assert len(moved) > 10 and {key[0] for key in moved} <= set(changed)
    assert sum(k not in before or before[k][5] != whole[k][5] for k in moved) > 5  # gaps opened or closed
