"""The measure catalogue: what the rest of Carepod needs to know about each measure, read from
its definition file (``domain/measures/definitions/``) and nowhere else.

Each definition holds a ``"catalogue"`` block beside its logic::

    "catalogue": {"active": true, "order": 1, "cost": 1.5, "care": "mammography"}

- ``active``: a recompute computes it (default: every active measure) and the screens list it;
  a payer variant ships inactive (``"catalogue": {"active": false}``) until a pod contracts it.
- ``order``: its place in lists and in a recompute run by one process (measures sharing criteria
  — hospice, frailty, visits — follow each other); missing: after the others, by id.
- ``cost``: its relative time to evaluate and write (bench/bench_measures.py), so parallel
  workers take the longest first; missing: 2.
- ``care``: what closes its gap, in plain words ("no mammography on record"); a list for a
  measure with several population groups, in group order; missing: the title.

A payer variant (``"extends"``) inherits its base's block and overrides what differs: it is a
measure of its own (its own gaps, rates and row in every list), never counted with its base.
Adding a measure or a variant is adding its file: the recompute's default list, the parallel
schedule, the explanations' wording, the screens' lists and the published-case tests follow.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from domain.errors import DomainError
from domain.measures import definition as definitions

DEFAULT_COST = 2.0
_LAST = 10 ** 6  # the order of a measure that gives none
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve")


@dataclasses.dataclass(frozen=True)
class MeasureInfo:
    """One measure (or payer variant) as the catalogue lists it."""

    id: str
    title: str
    version: str
    inverse: bool
    active: bool
    order: int
    cost: float
    care: tuple[str, ...]  # what closes the gap, per population group
    group_titles: tuple[str, ...]  # per group ("Group 2" where the definition gives none)
    variant_of: str | None = None  # the base measure of a payer variant
    payer: str = ""

    @property
    def is_variant(self) -> bool:
        return self.variant_of is not None

    @property
    def display_name(self) -> str:
        """'CMS125 — Breast Cancer Screening', as lists show a measure."""
        return f"{self.id} — {self.title}"

    @property
    def multi_group(self) -> bool:
        return len(self.group_titles) > 1

    def care_of(self, group_index: int = 0) -> str:
        """What closes the gap of one population group (the first group's for an unknown one)."""
        return self.care[group_index] if 0 <= group_index < len(self.care) else self.care[0]

    def group_label(self, group_index: int) -> str:
        """'CMS138 · 2' for a group of a measure with several, else the measure's id."""
        return f"{self.id} · {group_index + 1}" if self.multi_group else self.id


@dataclasses.dataclass(frozen=True)
class Catalogue:
    """Every measure defined, in catalogue order (``order``, then id)."""

    measures: tuple[MeasureInfo, ...]

    def __iter__(self):
        return iter(self.measures)

    def __contains__(self, measure_id: str) -> bool:
        return any(m.id == measure_id for m in self.measures)

    def get(self, measure_id: str) -> MeasureInfo | None:
        return next((m for m in self.measures if m.id == measure_id), None)

    def __getitem__(self, measure_id: str) -> MeasureInfo:
        found = self.get(measure_id)
        if found is None:
            raise DomainError(f"Unknown measure {measure_id!r}; known: {', '.join(m.id for m in self.measures)}")
        return found

    @property
    def active(self) -> tuple[MeasureInfo, ...]:
        return tuple(m for m in self.measures if m.active)

    @property
    def active_ids(self) -> tuple[str, ...]:
        """What a recompute computes when not told which measures: every active measure,
        payer variants included, in catalogue order."""
        return tuple(m.id for m in self.active)

    @property
    def base_ids(self) -> tuple[str, ...]:
        """The measures that are not payer variants, active or not (each has its published cases)."""
        return tuple(m.id for m in self.measures if not m.is_variant)

    @property
    def variant_ids(self) -> tuple[str, ...]:
        """Every payer variant, active or not: "All measures" never counts them (each is a
        measure of its own, and would count its base's patients a second time)."""
        return tuple(m.id for m in self.measures if m.is_variant)

    def variants_of(self, measure_id: str) -> tuple[MeasureInfo, ...]:
        return tuple(m for m in self.measures if m.variant_of == measure_id)

    def costs(self) -> dict[str, float]:
        return {m.id: m.cost for m in self.measures}

    def describe(self, measure_ids=None) -> str:
        """The measures a recompute evaluates in words: 'the eight quality measures', 'the
        eight quality measures and the BCBS variant of CMS125' (default: the active ones)."""
        chosen = [self[mid] for mid in measure_ids] if measure_ids is not None else list(self.active)
        base = [m for m in chosen if not m.is_variant]
        variants = [m for m in chosen if m.is_variant]
        parts = []
        if base:
            parts.append(f"the {count_words(len(base), 'quality measure')}" if len(base) > 1
                         else f"{base[0].id} ({base[0].title})")
        parts += [f"the {v.payer or v.id} variant of {v.variant_of}" for v in variants]
        return " and ".join(parts) if parts else "no measure"


def count_words(n: int, noun: str) -> str:
    """'eight quality measures', 'one quality measure', '14 quality measures'."""
    number = _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)
    return f"{number} {noun}" if n == 1 else f"{number} {noun}s"


def info_of(definition: definitions.MeasureDefinition, variant_of: str | None = None) -> MeasureInfo:
    """A measure's catalogue entry from its resolved definition (DomainError naming the
    measure and field when the block is malformed)."""
    mid = definition["id"]
    block = definition.get("catalogue", {})
    if not isinstance(block, dict):
        raise DomainError(f"{mid}: \"catalogue\" must be an object")
    groups = definition["groups"]
    care = block.get("care", definition["title"].lower())
    care = (care,) if isinstance(care, str) else tuple(care) if isinstance(care, list) else None
    if not care or not all(isinstance(c, str) and c.strip() for c in care):
        raise DomainError(f"{mid}: catalogue \"care\" must be plain words, or a list of them per group")
    if len(care) not in (1, len(groups)):
        raise DomainError(f"{mid}: catalogue \"care\" names {len(care)} groups; the measure has {len(groups)}")
    active = block.get("active", True)
    if not isinstance(active, bool):
        raise DomainError(f"{mid}: catalogue \"active\" must be true or false")
    try:
        cost = float(block.get("cost", DEFAULT_COST))
        order = int(block.get("order", _LAST))
    except (TypeError, ValueError):
        raise DomainError(f"{mid}: catalogue \"cost\" and \"order\" must be numbers") from None
    if cost <= 0:
        raise DomainError(f"{mid}: catalogue \"cost\" must be above 0")
    return MeasureInfo(
        id=mid, title=str(definition["title"]), version=str(definition.get("version", "")),
        inverse=bool(definition.get("inverse")), active=active, order=order, cost=cost, care=care,
        group_titles=tuple(str(g.get("title") or f"Group {i + 1}") for i, g in enumerate(groups)),
        variant_of=variant_of, payer=str(definition.get("payer", "")))


def load_catalogue(folder: Path = definitions.DEFINITIONS) -> Catalogue:
    """The catalogue of the definitions in ``folder`` (each definition loaded and checked)."""
    measures = []
    for mid in definitions.available(folder):
        measures.append(info_of(definitions.load(mid, folder), definitions.extends(mid, folder)))
    return Catalogue(tuple(sorted(measures, key=lambda m: (m.order, m.variant_of is not None, m.id))))


_shipped: Catalogue | None = None  # see catalogue()


def catalogue() -> Catalogue:
    """The catalogue of the definitions Carepod ships (read once per process)."""
    global _shipped
    if _shipped is None:
        _shipped = load_catalogue()
    return _shipped
