"""The pod's audit trail for the administrator: who did what to which record, when, newest
first and narrowed by staff member, action and days (read model), and its chain verified
(:func:`application.integrity.verify_audit_trail`)."""
from __future__ import annotations

import datetime as dt

from domain.audit import ACTIONS
from domain.errors import DomainError
from storage.queries import audit_trail as q
from storage.queries.audit_trail import PAGE_SIZE, AuditFilter, AuditRow

__all__ = ["ACTIONS", "PAGE_SIZE", "AuditFilter", "AuditRow", "audit_filter", "audit_page"]


def audit_filter(actor: str | None = None, action: str | None = None, first_day: dt.date | None = None,
                 last_day: dt.date | None = None, tz: dt.tzinfo | None = None) -> AuditFilter:
    """The filter of events by a staff member and an action recorded from ``first_day`` to
    ``last_day`` inclusive, days on the user's clock (``tz``: the computer's time zone),
    as the stored instants (UTC) bound them."""
    if first_day and last_day and first_day > last_day:
        raise DomainError(f"From {first_day:%m/%d/%Y} is after To {last_day:%m/%d/%Y}: no event can be in between.")

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time())
        local = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    return AuditFilter(actor or None, action or None,
                       utc(first_day) if first_day else None,
                       utc(last_day + dt.timedelta(days=1)) if last_day else None)


def audit_page(pod, flt: AuditFilter, before_id: int | None = None, limit: int = PAGE_SIZE) -> list[AuditRow]:
    """Events matching ``flt``, newest first, older than ``before_id`` (the next page)."""
    return q.audit_page(pod.engine, flt, before_id, limit)
