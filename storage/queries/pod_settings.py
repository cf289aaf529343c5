"""Settings of the pod, the same for every user of it (``pod_setting``), with their defaults.

The minimum denominator: below it a practice's rate is shown with its counts but not ranked,
not used as the pod's best or median, and marked as too few (quality programmes use 20).
"""
from __future__ import annotations

import sqlalchemy as sa

from domain.errors import DomainError
from storage import schema as t

MINIMUM_DENOMINATOR = "quality/minimum_denominator"
DEFAULTS = {MINIMUM_DENOMINATOR: "20"}
MINIMUM_DENOMINATOR_RANGE = (1, 1000)


def read_setting(conn, key: str) -> str:
    value = conn.scalar(sa.select(t.pod_setting.c.value).where(t.pod_setting.c.key == key))
    return DEFAULTS[key] if value is None else value


def minimum_denominator(conn) -> int:
    """The pod's minimum denominator of a ranked rate (20 unless set)."""
    return minimum_from(read_setting(conn, MINIMUM_DENOMINATOR))


def minimum_from(value: str | None) -> int:
    """The minimum denominator a stored setting's text says (the default when unset or unreadable)."""
    try:
        return max(1, int(DEFAULTS[MINIMUM_DENOMINATOR] if value is None else value))
    except ValueError:
        return int(DEFAULTS[MINIMUM_DENOMINATOR])


def write_minimum_denominator(conn, value: int) -> None:
    low, high = MINIMUM_DENOMINATOR_RANGE
    if not isinstance(value, int) or not low <= value <= high:
        raise DomainError(f"The minimum denominator must be a whole number from {low} to {high}; got {value!r}.")
    table = t.pod_setting
    if conn.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.key == MINIMUM_DENOMINATOR)):
        conn.execute(table.update().where(table.c.key == MINIMUM_DENOMINATOR).values(value=str(value)))
    else:
        conn.execute(table.insert().values(key=MINIMUM_DENOMINATOR, value=str(value)))
