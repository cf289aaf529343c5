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
