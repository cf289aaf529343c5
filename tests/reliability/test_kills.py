"""SIGKILL at random moments of an import, a recompute and a backup (a few of each here;
``bench/bench_kills.py --kills 20`` does twenty): each leaves the database whole, and every
file, measure and backup whole or absent."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_kills_leave_everything_whole_or_absent(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_kills.py"), "--kills", "2", "--patients", "600",
                          "--seed", "5", "--keep", str(tmp_path / "work")],
                         capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ALL CHECKS PASSED" in out.stdout
    assert out.stdout.count("whole or absent, integrity ok") >= 6
    assert "runs killed mid-way" in out.stdout
