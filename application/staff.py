"""The pod's staff: who can be chosen as the person using Carepod."""
from __future__ import annotations

from storage.queries.staff import active_staff_names as _active_staff_names


def active_staff_names(pod) -> list[str]:
    return _active_staff_names(pod.engine)
