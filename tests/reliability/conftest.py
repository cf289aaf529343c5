"""Shared by the reliability tests: a small demo pod made once per module, and damage."""
from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small pod (2 practices, 300 patients), not yet recomputed: its first recompute writes
    every gap. Dana Reyes is one of its staff."""
    path = tmp_path_factory.mktemp("demo") / "pod.db"
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "demo", "--db", str(path), "--practices", "2",
                          "--patients", "300", "--quiet"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    # commands that write run --as one of the pod's active staff: Dana Reyes joins them, added
    # from the command line by one of the demo's own staff
    con = sqlite3.connect(path)
    first = con.execute("SELECT name FROM staff_member WHERE active ORDER BY id").fetchone()[0]
    con.close()
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), "staff", "--db", str(path), "--as", first,
                          "--add", "Dana Reyes", "--roles", "care_manager,administrator"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return path


def damage(path) -> None:
    """64 KB of random bytes in the middle of the file (SQLite's integrity_check finds it)."""
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(random.Random(7).randbytes(64 * 1024))
