"""The command line as a shell uses it."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, SHARED


def test_output_piped_to_a_reader_that_stops_early_ends_without_a_traceback():
    """``main.py evaluate-measure ... | head``: the reader closes the pipe after a few bytes."""
    case = SHARED / "ecqm" / "CMS125" / "cases"
    command = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "evaluate-measure", "--measure", "CMS125",
                                "--period-start", "2025-01-01", "--period-end", "2025-12-31",
                                "--additional-data", str(case)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert command.stdout.read(10).startswith(b"{")
    command.stdout.close()
    error = command.stderr.read().decode()
    assert command.wait(timeout=600) == 1
    assert "Traceback" not in error and "BrokenPipeError" not in error, error


def _carepod(*args, timeout=600):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def test_a_measure_id_may_be_typed_in_lower_case():
    case = SHARED / "ecqm" / "CMS125" / "cases"
    typed = _carepod("evaluate-measure", "--measure", "cms125", "--period-start", "2025-01-01",
                     "--period-end", "2025-12-31", "--report-type", "summary", "--additional-data", str(case))
    assert typed.returncode == 0, typed.stderr
    assert '"measure": "https://madie.cms.gov/Measure/BreastCancerScreeningFHIR"' in typed.stdout
    unknown = _carepod("evaluate-measure", "--measure", "cms12", "--period-start", "2025-01-01",
                       "--period-end", "2025-12-31", "--additional-data", str(case))
    assert unknown.returncode == 2 and "Unknown measure 'cms12'; known: CMS117" in unknown.stderr


def test_recompute_names_the_patient_ids_it_does_not_know(tmp_path):
    from storage.db import open_database

    db = tmp_path / "pod.db"
    open_database(db).dispose()  # an empty pod at the current schema
    done = _carepod("recompute", "--db", str(db), "--measure", "cms122", "--patient", "41", "--patient", "7")
    assert done.returncode == 2
    assert "recompute: no patient with id 7, 41 in" in done.stderr and "Traceback" not in done.stderr


def test_recompute_and_evaluate_refuse_a_file_that_is_not_a_carepod_database(tmp_path):
    import sqlite3

    other = tmp_path / "invoices.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE invoice (id INTEGER)")
    text = tmp_path / "export.csv"
    text.write_text("a,b\n")
    for db, reason in ((other, "not a Carepod one"), (text, "it is not an SQLite file")):
        done = _carepod("recompute", "--db", str(db), "--measure", "CMS2")
        assert done.returncode == 2 and reason in done.stderr and "Traceback" not in done.stderr, done.stderr
        evaluated = _carepod("evaluate-measure", "--measure", "CMS2", "--period-start", "2025-01-01",
                             "--period-end", "2025-12-31", "--db", str(db), "--as", "Dana Reyes")
        assert evaluated.returncode == 2 and reason in evaluated.stderr and "Traceback" not in evaluated.stderr
    with sqlite3.connect(other) as con:  # nothing was added to the other program's file
        assert [r[0] for r in con.execute("SELECT name FROM sqlite_master")] == ["invoice"]


def test_a_period_from_one_day_or_none():
    import datetime as dt

    from domain.measures.period import MeasurementPeriod

    today = dt.date(2026, 11, 25)
    assert MeasurementPeriod.from_bounds(None, None, today) == MeasurementPeriod(dt.date(2026, 1, 1),
                                                                                  dt.date(2026, 12, 31))
    assert MeasurementPeriod.from_bounds("2026-01-01", None, today).end == dt.date(2026, 12, 31)
    assert MeasurementPeriod.from_bounds(None, "2025-06-30", today).start == dt.date(2024, 7, 1)
    assert MeasurementPeriod.from_bounds("2024-02-29", None, today).end == dt.date(2025, 2, 28)
    assert MeasurementPeriod.from_bounds(None, "2024-02-28", today).start == dt.date(2023, 3, 1)
    assert MeasurementPeriod.from_bounds("2025-03-01", "2025-03-31", today).end == dt.date(2025, 3, 31)
