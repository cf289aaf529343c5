"""Alembic migrations, run from code: the app upgrades any older database it opens.

Opening an up-to-date database must not cost Alembic's import and a scan of the
migrations folder (that is most of start-up on a big pod), so the newest revision is
also named here (``HEAD``) and checked with one query; a test keeps ``HEAD`` equal
to the migration chain's head.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0025"


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
        cfg.attributes["engine"] = engine
    return cfg


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade_to_head(engine: Engine) -> None:
    if current_revision(engine) == HEAD:
        return
    upgrade_to(engine, "head")


def upgrade_to(engine: Engine, revision: str) -> None:
    import warnings

    from alembic import command

    with warnings.catch_warnings():
        # Alembic's batch mode reflects a rebuilt table's indexes; SQLite's expression indexes
        # (the phone suffix's) cannot be reflected, and the migrations make them again by hand:
        # the note is not for the user's terminal
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                category=sa.exc.SAWarning)
        command.upgrade(alembic_config(engine), revision)
