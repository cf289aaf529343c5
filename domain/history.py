"""Corrections never destroy history.

A correction to any record goes through :func:`correct`, which applies the new
values and returns a :class:`Revision` holding the earlier ones, so the
repository can keep it beside the record.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from domain.clock import utcnow
from domain.errors import DomainError


@dataclasses.dataclass
class Revision:
    record_type: str
    record_id: int
    changed_by: str
    reason: str
    old_values: dict[str, Any]
    new_values: dict[str, Any]
    changed_at: dt.datetime = dataclasses.field(default_factory=utcnow)
    id: int | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def correct(record: Any, changes: dict[str, Any], *, by: str, reason: str = "") -> Revision | None:
    """Apply ``changes`` to ``record`` and return the revision, or None if nothing changed.

    Fields not present on the record are a programming error; the record's own
    ``validate()`` (if any) runs after the change and restores the old values
    if it fails, so a rejected correction leaves the record as it was.
    """
    if not by:
        raise DomainError("A correction must name who made it.")
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for name, value in changes.items():
        if not hasattr(record, name):
            raise AttributeError(f"{type(record).__name__} has no field {name!r}")
        current = getattr(record, name)
        if current != value:
            old[name] = current
            new[name] = value
    if not new:
        return None
    for name, value in new.items():
        setattr(record, name, value)
    validate = getattr(record, "validate", None)
    if validate is not None:
        try:
            validate()
        except DomainError:
            for name, value in old.items():
                setattr(record, name, value)
            raise
    return Revision(
        record_type=type(record).__name__,
        record_id=record.id,
        changed_by=by,
        reason=reason,
        old_values={k: _plain(v) for k, v in old.items()},
        new_values={k: _plain(v) for k, v in new.items()},
    )
