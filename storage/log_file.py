"""Where Carepod's log goes: a file in the user's data folder, readable by the user only.

Without a handler Python prints warnings and errors, tracebacks included, on stderr; the
user is told what went wrong in one sentence and the details (for whoever fixes it) go
here instead. Messages never carry patient data: SQL errors are logged without their
parameters (``hide_parameters`` on every engine, storage.db).
"""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

MAX_BYTES, BACKUPS = 1_000_000, 3


def send_logs_to_file() -> Path | None:
    """Log to :func:`log_path` (the folder made private if new); if that cannot be written,
    nowhere: never as tracebacks on the user's screen."""
    root = logging.getLogger()
    try:
        from storage.db import default_db_path
        from storage.private_files import create_private_file

        path = default_db_path(create_folder=True).with_name("carepod.log")
        create_private_file(path)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    except OSError:
        path, handler = None, logging.NullHandler()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
