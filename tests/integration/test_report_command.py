"""``main.py report``: one practice's quality report from the command line."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from pypdf import PdfReader

from storage.db import open_database
from tests.conftest import ROOT, add_staff_member

AS = ("--as", "Dana Reyes")  # one of the pod's active staff: who prints is recorded


def _carepod(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


@pytest.fixture
def pod_file(tmp_path):
    from tests.ui.test_gaps_data import build_pod

    path = tmp_path / "pod.db"
    engine = open_database(path)
    build_pod(engine)  # four practices, CMS125 and CMS122 computed for 2025
    add_staff_member(engine, "Dana Reyes")
    engine.dispose()
    return path


def test_writes_code_and_month_named_pdf_and_prints_its_path(pod_file, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    done = _carepod("report", "--db", str(pod_file), "--practice", "ald", "--period", "2025-06", "--out", str(out), *AS)
    assert done.returncode == 0, done.stderr
    target = out / "ALD-2025-06.pdf"
    assert done.stdout.strip() == str(target)
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Alder Family Medicine (ALD)" in text and "Measurement year 2025" in text and "June 2025" in text
    assert "Carter, Cora" in text and "Abbott, Ann" in text  # ALD's open CMS125 and CMS122 gaps
    assert "Baker, Beth" not in text  # ALD's patient whose gaps are closed
    assert "Garcia" not in text and "Hughes" not in text  # other practices' patients
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_unknown_practice_names_the_code(pod_file, tmp_path):
    done = _carepod("report", "--db", str(pod_file), "--practice", "XYZ", "--period", "2025-06", "--out", str(tmp_path), *AS)
    assert done.returncode == 2
    assert done.stderr.strip() == "report: The pod has no practice with code 'XYZ'."
    assert not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize("period", ["2025-13", "June 2025", "2025", "25-06"])
def test_a_period_that_is_not_a_month_is_a_sentence(pod_file, tmp_path, period):
    done = _carepod("report", "--db", str(pod_file), "--practice", "ALD", "--period", period, "--out", str(tmp_path), *AS)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"report: The period {period!r} is not a month: write it as YYYY-MM, "
                                   "for example 2026-03.")


def test_a_month_of_no_computed_period_a_missing_folder_and_an_unknown_staff_member(pod_file, tmp_path):
    done = _carepod("report", "--db", str(pod_file), "--practice", "ALD", "--period", "2023-06", "--out", str(tmp_path), *AS)
    assert done.returncode == 2 and "No measurement period containing June 2023 has been computed" in done.stderr
    missing = tmp_path / "nowhere"
    done = _carepod("report", "--db", str(pod_file), "--practice", "ALD", "--period", "2025-06", "--out", str(missing), *AS)
    assert done.returncode == 2 and f"{missing} is not a folder" in done.stderr
    done = _carepod("report", "--db", str(pod_file), "--practice", "ALD", "--period", "2025-06", "--out",
                    str(tmp_path), "--as", "Nobody Here")
    # main.py checks --as against the pod's active staff before the command runs
    assert done.returncode == 2 and ("'Nobody Here' is not an active staff member of this pod; the active staff "
                                     "are: Dana Reyes.") in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_export_is_audited_as_the_named_staff_member(pod_file, tmp_path):
    import sqlalchemy as sa

    from domain.practice import StaffMember
    from storage import schema as t
    from storage.uow import UnitOfWork

    engine = open_database(pod_file)
    with UnitOfWork(engine, "admin") as uow:
        uow.staff.add(StaffMember(name="Sam Ortiz", roles="care_manager"))
        uow.commit()
    done = _carepod("report", "--db", str(pod_file), "--practice", "BIR", "--period", "2025-12", "--out",
                    str(tmp_path), "--as", "sam  ortiz")
    assert done.returncode == 0, done.stderr
    with engine.connect() as conn:
        actor, detail = conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.detail)
                                     .where(t.audit_event.c.action == "export")).one()
    engine.dispose()
    # spelt as the pod spells the name
    assert actor == "Sam Ortiz" and "quality report of BIR for 2025-12" in detail and str(tmp_path) in detail
    assert dt.date(2025, 12, 1).strftime("%Y-%m") in detail
