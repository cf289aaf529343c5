"""Test set-up: headless Qt, isolated settings and data directory, temporary databases."""
from __future__ import annotations

import os
import sys
from pathlib import Path

# before any Qt import
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Each test gets its own data directory and settings store."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CAREPOD_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    yield home


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "carepod.db"


@pytest.fixture
def engine(db_path):
    from storage.db import open_database

    engine = open_database(db_path)
    yield engine
    engine.dispose()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"The shared folder with eCQM cases is missing: {SHARED}")
    return SHARED


@pytest.fixture
def app_pod(engine):
    """The application layer's Pod over the test database, acting as the sample staff member."""
    return app_pod_for(engine).with_actor("Dana Reyes")


@pytest.fixture
def context(qapp, engine):
    """What the window gives every screen (Pod, task runner, settings), acting as Dana Reyes."""
    from ui.context import AppContext
    from ui.settings import Settings

    settings = Settings()
    settings.user_name = "Dana Reyes"
    context = AppContext.create(app_pod_for(engine), settings)
    yield context
    context.tasks.wait_idle()


def add_staff_member(engine, name: str = "Dana Reyes", roles=("care_manager",)) -> str:
    """``name`` joins the pod's active staff (through the application's staff use case), so a
    command can run ``--as`` them; returns the name."""
    from application.staff import add_staff

    add_staff(app_pod_for(engine).with_actor(name), name=name, roles=list(roles))
    return name


def app_pod_for(engine):
    """A Pod over an engine a test opened (its actor follows the context's user once composed)."""
    from application.pod import Pod

    return Pod(engine, str(engine.url.database))
