"""The open Carepod database of one user session: what every use case and read model is given.

``open_pod(path)`` is the one place that opens a database for the window and the command
line (checked to be a Carepod database, brought to the newest schema). A :class:`Pod` knows
its engine and the staff member doing the work; use cases reach the records through
:meth:`Pod.unit_of_work` and never hold a connection between calls, so a Pod can be used
from the task runner's threads (each call checks a connection out of the engine's pool).
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

from sqlalchemy.engine import Engine

from storage.failures import UNREADABLE, DatabaseUnusable
from storage.queries.database import NotACarepodDatabase, open_carepod_database
from storage.uow import UnitOfWork

__all__ = ["UNREADABLE", "DatabaseUnusable", "NotACarepodDatabase", "Pod", "open_pod"]


@dataclasses.dataclass
class Pod:
    engine: Engine
    label: str  # the file (or URL) shown to the user
    # the staff member every record and audit event names; a callable follows File > Change user
    actor: Callable[[], str] = lambda: "unknown user"

    def unit_of_work(self) -> UnitOfWork:
        """``with pod.unit_of_work() as uow: ...; uow.commit()`` — one transaction."""
        return UnitOfWork(self.engine, self.actor())

    def with_actor(self, actor: str | Callable[[], str]) -> "Pod":
        return dataclasses.replace(self, actor=actor if callable(actor) else (lambda: actor))

    @property
    def findings(self) -> list[str]:
        """What opening the database found and the user must be told (damage, a broken audit
        trail), one or two sentences each."""
        from storage.health import findings_of

        return [finding.message for finding in findings_of(self.engine) if finding.alarming]

    @property
    def damaged(self) -> bool:
        """Found damaged: only read from now on (see :mod:`storage.health`)."""
        from storage.db import damage_of

        return damage_of(self.engine) is not None

    @property
    def database_path(self) -> str | None:
        """The database file (None: a server database)."""
        from storage.db import database_file

        return database_file(self.engine)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    # the window's reads (a page, a chart, a count) need few pages; 64 MB per connection
    # cached what scrolling a worklist passed through, in each reader (issue 24: 128 MB)
    WINDOW_PAGE_CACHE_MB = 16

    def for_window(self) -> "Pod":
        """The Pod as the window uses it: a smaller page cache per connection
        (:data:`WINDOW_PAGE_CACHE_MB`); the same database and actor."""
        from storage.db import limit_page_cache

        limit_page_cache(self.engine, self.WINDOW_PAGE_CACHE_MB)
        return self

    def close(self) -> None:
        self.engine.dispose()


def open_pod(path: str | os.PathLike | None, actor: str | Callable[[], str] = "unknown user", *,
             create: bool = True, read_only: bool = False) -> Pod:
    """The Pod of a checked, migrated Carepod database (None: the default one).
    ``create=False``: a missing database is an error (commands that only read); ``read_only``:
    nothing can be written, nor the schema upgraded. :attr:`Pod.findings` says what opening it
    found (damage, a broken audit trail).

    Raises :class:`NotACarepodDatabase` or, when the file or the disk cannot be used (a
    read-only file or folder, a full disk), :class:`DatabaseUnusable`; each message names the
    file and the reason."""
    engine = open_carepod_database(path, create=create, read_only=read_only)
    label = str(path) if path else str(engine.url.database)
    return Pod(engine, label).with_actor(actor)
