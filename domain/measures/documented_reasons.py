"""The reasons a care team can document for excluding a patient from a measure, or for the
patient declining its care: data in each measure's definition (``"documented_reasons"``:
``{"exclusion": [[code, label], ...], "declined": [...]}``), read here.

A measure without a list (or unknown here) offers only "another reason", which the note
must then say (:meth:`domain.gaps.GapOverride.check_documented`).
"""
from __future__ import annotations

import functools

from domain.errors import DomainError
from domain.gaps import OTHER_REASON
from domain.measures import definition

OTHER_LABEL = "Another reason (say which in the note)"


@functools.lru_cache(maxsize=None)
def _lists(measure_id: str) -> dict[str, tuple[tuple[str, str], ...]]:
    try:
        data = definition.load(measure_id).get("documented_reasons") or {}
    except DomainError:
        data = {}
    return {kind: tuple((str(code), str(label)) for code, label in items) for kind, items in data.items()}


def reasons_for(measure_id: str, kind: str) -> dict[str, str]:
    """code -> label of the reasons for a documented ``kind`` ("exclusion" or "declined") of the
    measure, in the definition's order, always ending with "another reason"."""
    reasons = dict(_lists(measure_id).get(kind, ()))
    reasons.setdefault(OTHER_REASON, OTHER_LABEL)
    return reasons
