"""Is the database whole? A quick look when it is opened, a full check on demand and before
every backup. A database found damaged is then only read, never written
(:func:`storage.db.mark_damaged`): what it holds can still be looked at and saved.

SQLite's own checks (``PRAGMA quick_check`` / ``integrity_check``, ``foreign_key_check``)
make this a speed module: on another database server these are the server's business.
"""
from __future__ import annotations

import dataclasses
import os
import time
import weakref
from typing import Callable

from sqlalchemy.engine import Engine

from storage import audit_chain
from storage.db import damage_of, database_file, mark_damaged

__all__ = ["DamagedDatabase", "Finding", "FullCheck", "check_on_open", "damage_of", "findings_of",
           "full_check", "refuse_if_damaged", "tell_findings"]

OPEN_CHECK_SECONDS = 1.0  # the quick check on open gives up (unfinished, not failed) after this
# a larger file is not quick-checked on open (it could not finish within the second: SQLite
# reads 250-500 MB a second here): ``check`` and every backup check it whole
OPEN_CHECK_MAX_BYTES = 256 * 1024 * 1024
_PROGRESS_EVERY = 10_000  # SQLite virtual-machine steps between looks at the clock
_REPORTED = 5  # problems of a check quoted in a message
_FINDINGS: "weakref.WeakKeyDictionary[Engine, list[Finding]]" = weakref.WeakKeyDictionary()


@dataclasses.dataclass(frozen=True)
class Finding:
    """Something the user must be told about the database, in one or two sentences."""

    kind: str  # "damaged" | "audit" | "unchecked"
    message: str

    @property
    def alarming(self) -> bool:
        """Damage or a broken audit trail (not merely "too large to check on open")."""
        return self.kind != "unchecked"


@dataclasses.dataclass(frozen=True)
class FullCheck:
    """What ``python main.py check`` found."""

    database: str
    integrity: list[str]       # SQLite's problems ([] when whole)
    foreign_keys: int          # rows naming a record that is not there
    audit: audit_chain.Verdict | None
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.foreign_keys and (self.audit is None or self.audit.ok)


def _damaged_message(database: str, problems: list[str]) -> str:
    shown = "; ".join(problems[:_REPORTED]) + (f" (and {len(problems) - _REPORTED} more)"
                                               if len(problems) > _REPORTED else "")
    return (f"{database} is damaged (SQLite's check found: {shown}). Carepod will not write to it; "
            "you can still read it. Restore the latest backup (python main.py restore), or copy out "
            "what you need first.")


def quick_check_on_open(engine: Engine, seconds: float = OPEN_CHECK_SECONDS) -> Finding | None:
    """SQLite's quick check, if it finishes within ``seconds`` (a small pod: a tenth of a
    second; a large one is left to ``check``). A damaged database is marked so."""
    database = database_file(engine)
    if database is None:
        return None
    if file_size(engine) > OPEN_CHECK_MAX_BYTES:
        return Finding("unchecked", f"{database} is too large to check when it opens; "
                                    "run python main.py check to check it whole.")
    deadline = time.monotonic() + seconds
    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), _PROGRESS_EVERY)
        try:
            problems = [row[0] for row in con.execute("PRAGMA quick_check").fetchall()]
        except Exception as exc:  # noqa: BLE001 - interrupted (too slow), or so damaged it cannot be read
            if "interrupt" in str(exc):
                return Finding("unchecked", f"{database} is too large to check when it opens; "
                                            "run python main.py check to check it whole.")
            problems = [str(exc)]
        finally:
            con.set_progress_handler(None, 0)
    finally:
        raw.close()
    if problems == ["ok"]:
        return None
    message = _damaged_message(database, problems)
    mark_damaged(engine, message)
    return Finding("damaged", message)


def audit_tail_on_open(engine: Engine) -> Finding | None:
    """The newest events of the audit trail still link up, and its triggers are there."""
    try:
        verdict = audit_chain.verify(engine, tail=audit_chain.TAIL_ON_OPEN)
    except Exception as exc:  # noqa: BLE001 - a damaged table: the quick check says more
        return Finding("audit", f"The audit trail could not be read: {exc}.")
    if verdict.ok:
        return None
    return Finding("audit", verdict.problem + " Run python main.py audit --verify for the whole trail.")


def check_on_open(engine: Engine) -> list[Finding]:
    """What opening a pod checks (each within about a second)."""
    findings = [f for f in (quick_check_on_open(engine),) if f is not None]
    if not any(f.kind == "damaged" for f in findings):
        finding = audit_tail_on_open(engine)
        if finding is not None:
            findings.append(finding)
    return findings


def remember_findings(engine: Engine, findings: list[Finding]) -> None:
    _FINDINGS[engine] = list(findings)


def findings_of(engine: Engine) -> list[Finding]:
    """What :func:`check_on_open` found when the database was opened (storage.queries.database)."""
    return list(_FINDINGS.get(engine, ()))


def full_check(engine: Engine, progress: Callable[[str], None] | None = None) -> FullCheck:
    """Every page and index (``integrity_check``), every foreign key, the whole audit chain.
    A damaged database is marked so (then only read)."""
    database = database_file(engine) or str(engine.url)
    started = time.monotonic()
    say = progress or (lambda _text: None)
    raw = engine.raw_connection()
    try:
        con = raw.driver_connection
        say("Checking every page and index…")
        try:
            integrity = [row[0] for row in con.execute("PRAGMA integrity_check").fetchall()]
        except Exception as exc:  # noqa: BLE001 - so damaged SQLite cannot even walk it
            integrity = [str(exc)]
        integrity = [] if integrity == ["ok"] else integrity
        foreign_keys = 0
        if not integrity:
            say("Checking that every record a row names is there…")
            foreign_keys = len(con.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        raw.close()
    verdict = None
    if not integrity:
        say("Checking the audit trail's chain…")
        verdict = audit_chain.verify(engine)
    else:
        mark_damaged(engine, _damaged_message(database, integrity))
    return FullCheck(database, integrity, foreign_keys, verdict, time.monotonic() - started)


def tell_findings(engine: Engine, say: Callable[[str], None]) -> bool:
    """Say what opening the database found that matters (damage, a broken audit trail);
    True if it was found damaged (a command that writes then stops)."""
    for finding in findings_of(engine):
        if finding.alarming:
            say(finding.message)
    return damage_of(engine) is not None


def refuse_if_damaged(engine: Engine) -> None:
    """Raise :class:`DamagedDatabase` before a write to a database found damaged."""
    reason = damage_of(engine)
    if reason:
        raise DamagedDatabase(reason)


class DamagedDatabase(Exception):
    """The database was found damaged; the message says which and what to do."""


def file_size(engine: Engine) -> int:
    database = database_file(engine)
    try:
        return os.path.getsize(database) if database else 0
    except OSError:
        return 0
