"""Staff saves through the application layer while a full recompute of a demo pod runs in
another process: none fails, and the longest wait is printed (no timing is asserted)."""
from __future__ import annotations

import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("busy") / "pod.db"
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(path), "--practices", "4",
                          "--patients", "12000", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return path


def test_staff_saves_never_fail_while_a_full_recompute_runs(demo, capsys):
    from application.chart import open_chart
    from application.gaps import document_override, mark_override_entered_in_error
    from application.pod import open_pod
    from storage.queries.gaps import patient_gaps

    env = {**os.environ, "CAREPOD_RECOMPUTE_WORKERS": "2"}
    recompute = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "recompute", "--db", str(demo),
         "--period-start", "2026-01-01", "--period-end", "2026-12-31"],  # a new period: every gap written
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    pod = open_pod(demo, "Nurse Kim")
    rng = random.Random(3)
    waits: dict[str, list[float]] = {"open chart": [], "document a refusal": [], "withdraw it": []}
    failures: list[str] = []
    try:
        with pod.engine.connect() as conn:
            patients = [r[0] for r in conn.exec_driver_sql("SELECT id FROM patient")]
        documented: list[tuple[int, int]] = []
        turn = 0
        while recompute.poll() is None:
            patient_id = rng.choice(patients)
            turn += 1
            started = time.perf_counter()
            try:
                if turn % 4:
                    open_chart(pod, patient_id)
                    waits["open chart"].append(time.perf_counter() - started)
                elif not documented or rng.random() < 0.6:
                    document_override(pod, patient_id=patient_id, measure_id="CMS2", period_start=dt.date(2026, 1, 1),
                                      period_end=dt.date(2026, 12, 31), kind="declined",
                                      reason_code="declined-after-discussion",
                                      reason="Declined depression screening at this visit",
                                      applies_from=dt.date(2026, 1, 1), source="patient")
                    override = next(g.overrides[-1].id for g in patient_gaps(pod.engine, patient_id)
                                    if g.measure_id == "CMS2" and g.overrides) \
                        if any(g.measure_id == "CMS2" and g.overrides for g in patient_gaps(pod.engine, patient_id)) \
                        else None
                    if override:
                        documented.append((patient_id, override))
                    waits["document a refusal"].append(time.perf_counter() - started)
                else:
                    patient_id, override = documented.pop()
                    mark_override_entered_in_error(pod, override_id=override, patient_id=patient_id,
                                                   measure_id="CMS2", period_start=dt.date(2026, 1, 1),
                                                   period_end=dt.date(2026, 12, 31), reason="Documented on the wrong day")
                    waits["withdraw it"].append(time.perf_counter() - started)
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                failures.append(f"{type(exc).__name__}: {exc}")
    finally:
        out, err = recompute.communicate(timeout=600)
        pod.close()
    assert recompute.returncode == 0, err
    assert not failures, failures[:5]
    # enough saves overlapped the recompute to mean something (fewer on a loaded machine: the pod is
    # large enough that a recompute on two busy cores still outlasts several saves)
    assert sum(map(len, waits.values())) >= 8, "the recompute ended before the saves could overlap it"
    with capsys.disabled():
        print("\nstaff saves during a full recompute of a 12,000-patient pod (2 workers): " + "; ".join(
            f"{name}: {len(times)}, longest {max(times, default=0):.3f} s" for name, times in waits.items()))
    con = sqlite3.connect(demo)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
