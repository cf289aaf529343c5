"""Measure definitions as data: JSON files in ``definitions/`` (one per measure or payer
variant, plus the shared ``library.json``), resolved into one self-contained dict.

A payer variant is a file with ``"extends": "CMS125"`` and ``"override"`` holding the criteria,
windows, sources or groups it changes (another age band, look-back or value set): no code.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TypedDict, Union

from domain.errors import DomainError
from domain.measures import due
from domain.measures.populations import POPULATIONS, names_in

DEFINITIONS = Path(__file__).with_name("definitions")
VARIANTS = "variants"  # payer variants live in this subfolder of a definitions folder
LIBRARIES = ("library",)
# The kinds of criterion a definition may name; the engine answers exactly these (its one
# registry, storage.measures.criteria.registry, refuses to load otherwise).
CRITERION_KINDS = ("age", "gender", "facts", "latest", "lowest_on_latest_day", "dose_schedule",
                   "dates_after", "condition_before_encounter", "depression_screening",
                   "not_done_during_encounter", "screened_near_encounter")


# A population expression: a name (criterion, named expression, earlier population), or
# {"all": [...]}, {"any": [...]}, {"not": expr} (domain.measures.populations).
Expression = Union[str, dict]


class TimingSpec(TypedDict, total=False):
    of: str  # interval, prevalence, latest, earliest, start, issued, medication_period
    rel: str  # storage.measures.sql_time.relation's relations, or "any"
    window: dict  # from / to anchors (storage.measures.sql_time.window)


class SourceSpec(TypedDict, total=False):
    """Where a criterion's facts come from: a resource kind, its codes and filters."""
    resource: str
    valuesets: list[str]
    codes: list[list[str]]  # [system, code]
    status: Union[str, list[str]]  # a list, or the name of one of the definition's statuses
    intent: list[str]
    category: str
    value: Union[str, dict, list]
    timing: TimingSpec


class CriterionSpec(TypedDict, total=False):
    """One criterion: its ``kind`` (CRITERION_KINDS) and what that kind reads."""
    kind: str
    rule: str  # in words, for explanations and progress
    sources: list[SourceSpec]
    lapse: dict  # when a met criterion's gap opens again (domain.measures.due)


class GroupDefinition(TypedDict, total=False):
    id: str
    title: str
    populations: dict[str, Expression]  # population code -> expression


class MeasureDefinition(TypedDict, total=False):
    """A measure as :func:`load` resolves it: self-contained, every reference checked."""
    id: str
    title: str
    version: str
    url: str
    inverse: bool
    payer: str
    catalogue: dict  # domain.measures.catalogue
    due_open: dict
    groups: list[GroupDefinition]
    criteria: dict[str, CriterionSpec]
    expressions: dict[str, Expression]
    statuses: dict[str, list[str]]
    sources: dict[str, SourceSpec]
    windows: dict[str, dict]


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DomainError(f"No measure definition {path.name}") from None
    except json.JSONDecodeError as exc:
        raise DomainError(f"{path.name}: not valid JSON ({exc})") from None


def available(folder: Path = DEFINITIONS, *, variants: bool = True) -> list[str]:
    """Ids of the measures defined in ``folder`` (the library excluded), then its payer variants."""
    found = sorted(p.stem for p in folder.glob("*.json") if p.stem not in LIBRARIES)
    if variants:
        found += sorted(p.stem for p in (folder / VARIANTS).glob("*.json"))
    return found


def canonical_id(text: str, folder: Path = DEFINITIONS) -> str:
    """The measure id a person typed, as defined (``cms125`` is CMS125); DomainError naming
    the known ids when there is none."""
    known = available(folder)
    by_case = {m.casefold(): m for m in known}
    found = by_case.get(text.strip().casefold())
    if found is None:
        raise DomainError(f"Unknown measure {text!r}; known: {', '.join(known)}")
    return found


def _path_of(measure_id: str, folder: Path) -> Path | None:
    for candidate in (folder / f"{measure_id}.json", folder / VARIANTS / f"{measure_id}.json"):
        if candidate.exists():
            return candidate
    return None


def extends(measure_id: str, folder: Path = DEFINITIONS) -> str | None:
    """The measure a payer variant extends (None for a measure of its own)."""
    path = _path_of(measure_id, folder)
    if path is None:
        raise DomainError(f"Unknown measure {measure_id!r}; known: {', '.join(available(folder))}")
    base = _read(path).get("extends")
    return str(base) if base else None


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in ("populations",):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _resolve_refs(node, tables: dict):
    """Replace {"$ref": name} by the named source or window."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            name = node["$ref"]
            for table in ("sources", "windows"):
                if name in tables.get(table, {}):
                    return _resolve_refs(tables[table][name], tables)
            raise DomainError(f"Unknown reference {name!r}")
        return {k: _resolve_refs(v, tables) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, tables) for v in node]
    return node


def load(measure_id: str, folder: Path = DEFINITIONS) -> MeasureDefinition:
    """The resolved definition of one measure: its criteria, the library's, expressions,
    status lists and groups, with every reference checked."""
    safe = measure_id.strip()
    if not safe or "/" in safe or "\\" in safe or safe.startswith("."):
        raise DomainError(f"Unknown measure {measure_id!r}")
    path = _path_of(safe, folder)
    if path is None:
        raise DomainError(f"Unknown measure {measure_id!r}; known: {', '.join(available(folder))}")
    raw = _read(path)
    if "extends" in raw:
        parent_path = _path_of(str(raw["extends"]), folder)
        if parent_path is None or parent_path == path or raw["extends"] in LIBRARIES:
            raise DomainError(f"{path.name}: extends unknown measure {raw['extends']!r}")
        parent = _read(parent_path)
        raw = _merge(parent, {**raw.get("override", {}),
                              **{k: v for k, v in raw.items() if k not in ("extends", "override")}})
    resolved = {"criteria": {}, "expressions": {}, "statuses": {}, "sources": {}, "windows": {}}
    for lib in raw.get("include", []):
        library = _read(folder / f"{lib}.json")
        for table in resolved:
            resolved[table].update(library.get(table, {}))
    for table in resolved:
        resolved[table].update(raw.get(table, {}))
    definition = {k: v for k, v in raw.items() if k not in resolved}
    definition.update(resolved)
    definition["criteria"] = _resolve_refs(definition["criteria"], resolved)
    validate(definition)
    return definition


def validate(definition: MeasureDefinition) -> None:
    for key in ("id", "title", "groups"):
        if key not in definition:
            raise DomainError(f"Measure definition without {key!r}")
    for name, crit in definition["criteria"].items():
        if crit.get("kind") not in CRITERION_KINDS:
            raise DomainError(f"{definition['id']}: criterion {name!r} has unknown kind {crit.get('kind')!r}")
        if "lapse" in crit:
            due.check_spec(crit["lapse"], f"{definition['id']}: criterion {name!r} lapse")
    if "due_open" in definition:
        due.check_spec(definition["due_open"], f"{definition['id']}: due_open")
    known = set(definition["criteria"]) | set(definition["expressions"]) | set(POPULATIONS)
    for expr_name, expr in definition["expressions"].items():
        missing = names_in(expr) - known
        if missing:
            raise DomainError(f"{definition['id']}: expression {expr_name!r} refers to unknown {sorted(missing)}")
    for index, group in enumerate(definition["groups"]):
        pops = group.get("populations", {})
        if "initial-population" not in pops or "numerator" not in pops:
            raise DomainError(f"{definition['id']}: group {index + 1} needs an initial population and a numerator")
        for pop, expr in pops.items():
            if pop not in POPULATIONS:
                raise DomainError(f"{definition['id']}: unknown population {pop!r}")
            missing = names_in(expr) - known
            if missing:
                raise DomainError(f"{definition['id']}: {pop} refers to unknown {sorted(missing)}")


def valueset_oids(definition: MeasureDefinition) -> set[str]:
    """Every value set a definition uses (to check they are loaded)."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "valuesets":
                    found.update(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(definition["criteria"])
    return found
