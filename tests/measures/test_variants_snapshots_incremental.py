"""A payer variant shipped as data; the monthly snapshot a complete recompute takes; the
incremental recompute of the patients an import changed."""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from domain.measures import definition as definitions
from domain.measures.period import MeasurementPeriod
from tests.measures.conftest import import_isolated
from tests.measures.test_rule_edges import _bundle, _mammogram

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
VARIANT = "CMS125-BCBS-50-74"


def _states(engine, measure_id, ids):
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT patient_id, state, due_date FROM gap WHERE measure_id = :m"),
                            {"m": measure_id}).all()
    by_patient = {pid: (state, due) for pid, state, due in rows}
    return {name: by_patient.get(pid, (None, None)) for name, pid in ids.items()}


def test_payer_variant_is_picked_up_from_data_and_changes_results(measure_engine, tmp_path):
    from storage.measures.recompute import recompute

    assert VARIANT in definitions.available()
    variant = definitions.load(VARIANT)
    assert variant["criteria"]["age_band"]["min"] == 50 and variant["payer"] == "BCBS"
    paths = [
        _bundle(tmp_path, "age51", "1974-06-01", extra=[_mammogram("2024-06-01")]),        # 51: variant only
        _bundle(tmp_path, "mammo25monthsago", "1960-05-05", extra=[_mammogram("2023-11-15")]),  # CMS125 window only
        _bundle(tmp_path, "recent", "1960-05-05", extra=[_mammogram("2025-02-01")]),
        _bundle(tmp_path, "age49", "1976-06-01", extra=[_mammogram("2025-02-01")]),        # in neither
    ]
    ids = import_isolated(measure_engine, paths)
    recompute(measure_engine, PERIOD, ["CMS125", VARIANT])
    base, payer = _states(measure_engine, "CMS125", ids), _states(measure_engine, VARIANT, ids)
    assert base == {"age51": (None, None), "mammo25monthsago": ("closed", "2026-02-15"),
                    "recent": ("closed", "2027-05-01"), "age49": (None, None)}
    assert payer == {"age51": ("closed", "2026-06-01"), "mammo25monthsago": ("open", "2025-12-31"),
                     "recent": ("closed", "2027-02-01"), "age49": (None, None)}
    with measure_engine.connect() as conn:
        title = conn.execute(sa.text("SELECT title FROM measure WHERE id = :m"), {"m": VARIANT}).scalar()
    assert "50–74" in title


def test_a_variant_of_an_unknown_measure_is_refused(tmp_path):
    import pytest
    from domain.errors import DomainError

    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "X-1.json").write_text(json.dumps({"id": "X-1", "extends": "CMS999", "override": {}}))
    with pytest.raises(DomainError, match="X-1.json: extends unknown measure 'CMS999'"):
        definitions.load("X-1", tmp_path)


def test_complete_recompute_takes_this_months_snapshot_once(measure_engine, tmp_path):
    from storage.measures.recompute import recompute

    ids = import_isolated(measure_engine, [_bundle(tmp_path, "a", "1960-05-05", extra=[_mammogram("2025-02-01")]),
                                           _bundle(tmp_path, "b", "1961-05-05")])
    recompute(measure_engine, PERIOD, ["CMS125"], snapshot_month=dt.date(2025, 9, 3))
    recompute(measure_engine, PERIOD, ["CMS125"], snapshot_month=dt.date(2025, 9, 28))  # same month: replaced
    recompute(measure_engine, PERIOD, ["CMS125"], snapshot_month=dt.date(2025, 10, 1))
    recompute(measure_engine, PERIOD, ["CMS125"], patient_ids=[ids["a"]],
              snapshot_month=dt.date(2025, 11, 1))  # incremental: no snapshot
    with measure_engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT month, practice_id, numerator, denominator FROM quality_snapshot "
                                    "WHERE measure_id = 'CMS125' ORDER BY month, practice_id")).all()
    # each Bundle is its own practice: one row per practice and month
    assert [str(r.month) for r in rows] == ["2025-09-01", "2025-09-01", "2025-10-01", "2025-10-01"]
    assert sorted((r.numerator, r.denominator) for r in rows[:2]) == [(0, 1), (1, 1)]


def test_recompute_for_patients_touches_only_their_gaps(measure_engine, tmp_path):
    from storage.importers.run import import_paths
    from storage.measures.recompute import recompute, recompute_for_patients

    ids = import_isolated(measure_engine, [_bundle(tmp_path, "a", "1960-05-05"), _bundle(tmp_path, "b", "1961-05-05"),
                                           _bundle(tmp_path, "c", "1962-05-05")])
    recompute(measure_engine, PERIOD, ["CMS125", "CMS130"])
    with measure_engine.connect() as conn:
        before = dict(((pid, mid), (state, at)) for pid, mid, state, at in conn.execute(sa.text(
            "SELECT patient_id, measure_id, state, computed_at FROM gap")))
    # a new mammogram for patient "a" arrives in an import (same practice, same patient id)
    newer = _bundle(tmp_path, "a", "1960-05-05", extra=[_mammogram("2025-06-01")])
    with measure_engine.connect() as conn:
        code = conn.execute(sa.text("SELECT pr.code FROM patient p JOIN practice pr ON pr.id = p.practice_id "
                                    "WHERE p.id = :p"), {"p": ids["a"]}).scalar()
    report = import_paths(measure_engine, [newer], practice_code=code)
    assert not report.errors
    summary = recompute_for_patients(measure_engine, [ids["a"]], PERIOD, measure_ids=["CMS125", "CMS130"])
    assert summary["CMS125"] == {"closed": 1}
    with measure_engine.connect() as conn:
        after = dict(((pid, mid), (state, at)) for pid, mid, state, at in conn.execute(sa.text(
            "SELECT patient_id, measure_id, state, computed_at FROM gap")))
        history = conn.execute(sa.text("SELECT count(*) FROM gap_history h JOIN gap g ON g.id = h.gap_id "
                                       "WHERE g.patient_id = :p AND h.to_state = 'closed'"), {"p": ids["a"]}).scalar()
    assert after[(ids["a"], "CMS125")][0] == "closed" and before[(ids["a"], "CMS125")][0] == "open"
    assert history == 1
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed == {(ids["a"], "CMS125")}  # CMS130 unchanged for "a"; b and c untouched
    assert recompute_for_patients(measure_engine, [], PERIOD) == {}
