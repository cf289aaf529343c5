"""Alembic environment: uses the engine Carepod hands over (or the URL in the config)."""
from __future__ import annotations

from alembic import context

from storage.schema import metadata

config = context.config


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from storage.db import create_engine

        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,  # SQLite alters tables by copying them
            compare_type=True,
        )
        context.run_migrations()


run_migrations()
