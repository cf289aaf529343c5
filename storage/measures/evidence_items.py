"""A gap's evidence as stored: one JSON array per gap (``gap_evidence.items``), each item the
fact behind one population and the rule that used it:

    [population, rule, fact id, code system, code, day, detail]

``day`` is the fact's calendar day (``YYYY-MM-DD``) or null; a documented exclusion or
refusal has no fact id and no code. The items are always read and written whole, with their
gap, so they are one row (one B-tree insert per gap instead of one per item and its index:
at a million patients a new period's six million items cost the writer 14 s as rows)."""
from __future__ import annotations

import functools
import json
from typing import Iterable, Sequence

FIELDS = ("population", "rule", "fact_id", "code_system", "code", "day", "detail")
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def encode(items: Iterable[Sequence]) -> str | None:
    """The stored text of these items (tuples in :data:`FIELDS` order); None for none."""
    return join([item_json(item) for item in items])


def decode(text: str | None) -> list[tuple]:
    """The items of a stored text, as tuples in :data:`FIELDS` order."""
    return [tuple(item) for item in json.loads(text)] if text else []


class JsonText(dict):
    """A value's JSON text, worked out once per distinct value: the recompute builds millions
    of items from a few thousand distinct codes, systems and days."""

    def __missing__(self, value):
        text = _dumps(value)
        self[value] = text
        return text


def item_json(item: Sequence) -> str:
    """One item's JSON text (see :func:`join`)."""
    return _dumps(list(item))


def item_text(prefix: str, fact_id: int, system: str, code: str, day: str | None, detail: str,
              j: JsonText) -> str:
    """A fact's item as JSON text, as :func:`item_json` makes it, from JSON texts made once
    (``j``) and ``prefix``, the population's and rule's (:func:`item_prefix`)."""
    return f"{prefix}{fact_id},{j[system]},{j[code]},{j[day]},{j[detail]}]"


def item_prefix(population: str, rule: str, j: JsonText) -> str:
    return f"[{j[population]},{j[rule]},"


def join(item_texts: list[str]) -> str | None:
    """The stored text of items already in JSON (see :func:`item_text`)."""
    return f"[{','.join(item_texts)}]" if item_texts else None
