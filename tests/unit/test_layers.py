"""The layers hold: import-linter's contracts in pyproject.toml pass, and a forbidden import fails them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "storage", "reports", "application", "ui")


def lint(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the packages under ``root`` with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(config_filename=sys.argv[1]))"
    return subprocess.run([sys.executable, "-c", code, str(root / "pyproject.toml")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_layer_contracts_are_kept():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_screen_importing_storage_breaks_a_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "ui" / "sneaky_screen.py").write_text("from storage.db import open_database\n")
    (tmp_path / "domain" / "sneaky_rule.py").write_text("import sqlalchemy\n")

    result = lint(tmp_path)
    assert result.returncode != 0
    assert "screens reach storage only through the application layer BROKEN" in result.stdout
    assert "domain is plain Python: no outer layer, no Qt, no SQLAlchemy BROKEN" in result.stdout
    assert "ui.sneaky_screen -> storage.db" in result.stdout
