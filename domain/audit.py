"""Audit events: who did what to which record, when. Written once, never changed."""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.clock import utcnow

ACTIONS = ("view", "create", "change", "entered_in_error", "print", "export", "import")


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    actor: str
    action: str
    record_type: str
    record_id: int | None
    patient_id: int | None = None
    detail: str = ""
    at: dt.datetime = dataclasses.field(default_factory=utcnow)
