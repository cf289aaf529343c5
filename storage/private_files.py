"""Files that hold patient data are readable by the user only: the database and its log files,
the folder Carepod makes for it, exports and backups (0600, folders 0700).

The mode is given when a file is created (``os.open``), not fixed afterwards, so there is no
moment when another user of the computer could open it. SQLite gives a database's ``-wal``
and ``-shm`` files the database file's own permissions.
"""
from __future__ import annotations

import logging
import os
import stat

log = logging.getLogger(__name__)

PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def make_private(path: str | os.PathLike) -> None:
    """Narrow a file Carepod writes (and an SQLite database's log files) to the user alone."""
    for name in (os.fspath(path), f"{os.fspath(path)}-wal", f"{os.fspath(path)}-shm"):
        try:
            mode = os.stat(name).st_mode
        except OSError:
            continue
        if stat.S_IMODE(mode) & 0o077:
            try:
                os.chmod(name, PRIVATE_FILE)
            except OSError as exc:  # not ours to change: say so, carry on
                log.warning("could not make %s readable by its owner only: %s", name, exc)


def create_private_file(path: str | os.PathLike) -> None:
    """Make an empty file readable by the user only, unless it exists (then narrow it)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    make_private(path)


def open_private(path: str | os.PathLike, mode: str = "w", **kwargs):
    """``open(path, mode)`` for writing a new file (or replacing one) readable by the user only."""
    if not any(flag in mode for flag in "wax") or "+" in mode and "r" in mode:
        raise ValueError(f"open_private writes files; mode {mode!r} does not")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if "x" in mode else os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # a file that was there keeps its mode otherwise
    except (AttributeError, OSError):  # pragma: no cover - no fchmod (Windows)
        pass
    return os.fdopen(fd, mode.replace("x", "w"), **kwargs)


def make_private_folder(path: str | os.PathLike) -> None:
    """Make a folder (and its missing parents) readable by the user only; a folder that is
    there already is left as it is (it may be the user's own, shared on purpose)."""
    if os.path.isdir(path):
        return
    os.makedirs(path, mode=PRIVATE_FOLDER)
    os.chmod(path, PRIVATE_FOLDER)  # makedirs' mode is narrowed by the umask, never widened
