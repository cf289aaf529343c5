"""Each gap's evidence as a recompute works it out: per population the fact that decided each
criterion behind it, the documented exclusion or refusal that excluded an open gap, and the
conditions a criterion did not count where that decided a population — as stored items
(:mod:`storage.measures.evidence_items`) and as one number, the evidence key, by which a
stored gap's evidence is compared without reading its items. Plain data in and out."""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import NamedTuple

from domain.measures.definition import MeasureDefinition
from domain.measures.explain import NOT_COUNTED
from domain.measures.populations import names_in
from storage.measures import evidence_items
from storage.measures.stored_gaps import POPULATION_COLUMNS, OverrideItem, StoredGap


class GapEvidence(NamedTuple):
    """A gap's evidence as written: its key and its items (None for none)."""
    key: int
    items: str | None


NO_EVIDENCE = GapEvidence(0, None)
_gap_evidence = functools.partial(tuple.__new__, GapEvidence)  # GapEvidence(*fields), in C: one per new gap


class EvidencePart(NamedTuple):
    """The items one criterion gives the gaps of one population (the order of a gap's items)."""
    population: str
    rule: str
    evidence: dict  # patient -> storage.measures.criteria.Evidence
    patients: set[int]


class StringKeys(dict):
    """A string's number for evidence keys: the same in every process and run (Python's own
    string hash is not), worked out once per distinct string; None is 0."""

    def __missing__(self, text):
        number = 0 if text is None else int.from_bytes(
            hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        self[text] = number
        return number


def _signed64(total: int) -> int:
    return (total + 2 ** 63) % 2 ** 64 - 2 ** 63


def evidence_key(rows, strings: StringKeys | None = None) -> int:
    """A gap's evidence items (:data:`storage.measures.evidence_items.FIELDS`) as one
    signed 64-bit number, the same for the same rows in any order, in any process (a tuple
    of numbers hashes the same everywhere); 0 for none. Should another Python hash tuples
    differently, every gap's evidence would be written once more, nothing worse."""
    n = strings if strings is not None else StringKeys()
    return _key(sum(hash((n[pop], n[rule], fact or 0, n[system], n[code], n[day], n[detail]))
                    for pop, rule, fact, system, code, day, detail in rows))


def _key(summed: int) -> int:
    """A gap's evidence key from the sum of its items' numbers (see :func:`evidence_key`)."""
    return _signed64(summed) if summed else 0


def evidence_changes(d: MeasureDefinition, result, gi: int, ids: dict[int, int],
                     stored: dict[int, StoredGap],
                     overrides: dict[int, OverrideItem], strings: StringKeys, texts: evidence_items.JsonText,
                     changes: dict[int, GapEvidence]) -> None:
    """Per gap of group ``gi``, the deciding fact of each criterion behind each population it
    is in, and the documented exclusion or refusal that made an open gap excluded: the gaps
    whose evidence key differs from the stored one (``stored``: patient -> gap; every new gap,
    ``ids`` < 0) go into ``changes`` as gap id -> their evidence.

    Each patient's key is summed criterion by criterion (as :func:`evidence_key`, without
    making the items); a stored gap's items are made only when its key changed."""
    pops = result.groups[gi].populations
    parts: list[EvidencePart] = []
    for code in POPULATION_COLUMNS:
        expr = d["groups"][gi]["populations"].get(code)
        if expr is None:
            continue
        for name in _leaves(d, expr):
            crit = result.criteria.get(name)
            if crit is None or not crit.evidence:
                continue
            members = crit.evidence.keys() & pops[code]
            if members:
                parts.append(EvidencePart(code, d["criteria"][name].get("rule", name), crit.evidence, members))
    parts += _not_counted_parts(d, result, gi, ids)
    n, j, item_text = strings, texts, evidence_items.item_text
    total = dict.fromkeys(ids, 0)  # patient -> the sum of their items' numbers
    for pid, row in overrides.items():
        total[pid] += evidence_key([row], n)
    # every new gap's items are made (a new period: every gap's), in the same pass as its key
    items = _override_items((pid for pid, gid in ids.items() if gid < 0), overrides)
    making = items.get
    for code, rule, evidence, members in parts:
        c, r = n[code], n[rule]
        prefix = evidence_items.item_prefix(code, rule, j)
        for pid in members:
            ev = evidence[pid]
            if ev.fact_id is not None:
                total[pid] += hash((c, r, ev.fact_id, n[ev.system], n[ev.code], n[ev.day], n[ev.detail]))
                made = making(pid)
                if made is not None:
                    made.append(item_text(prefix, ev.fact_id, ev.system, ev.code, ev.day, ev.detail, j))
    # a stored gap's items only when its key changed
    changed = _override_items((pid for pid, before in stored.items() if before.evidence_key != _key(total[pid])),
                              overrides)
    if changed:
        for code, rule, evidence, members in parts:
            prefix = evidence_items.item_prefix(code, rule, j)
            for pid in members & changed.keys():
                ev = evidence[pid]
                if ev.fact_id is not None:
                    changed[pid].append(item_text(prefix, ev.fact_id, ev.system, ev.code, ev.day, ev.detail, j))
        items.update(changed)
    join = evidence_items.join
    for pid, texts_of in items.items():
        changes[ids[pid]] = _gap_evidence((_key(total[pid]), join(texts_of)))


def _leaves(d: MeasureDefinition, expr) -> list[str]:
    """The criteria an expression reaches through named expressions."""
    out, todo = [], list(names_in(expr))
    while todo:
        name = todo.pop()
        if name in d["criteria"]:
            out.append(name)
        elif name in d["expressions"]:
            todo.extend(names_in(d["expressions"][name]))
    return sorted(set(out))


# Who a population is decided for: those in the population before it (everyone with a gap
# for the initial population: a stored gap whose patient left it is not applicable any more).
_DECIDED_AMONG = {"denominator": ("initial-population",), "denominator-exclusion": ("denominator",),
                  "numerator": ("denominator", "denominator-exclusion"),
                  "denominator-exception": ("denominator", "denominator-exclusion", "numerator")}


def _not_counted_parts(d: MeasureDefinition, result, gi: int, ids: dict[int, int]) -> list[EvidencePart]:
    """Like the parts of :func:`evidence_changes`, for the conditions a criterion did not
    count (CriterionResult.uncounted) where that decided a population: a criterion the
    population asks for, a patient the population was decided for who is not in it (or, for a
    criterion it asks to be absent, who is), with a gap."""
    pops = result.groups[gi].populations
    parts = []
    for code in POPULATION_COLUMNS:
        expr = d["groups"][gi]["populations"].get(code)
        if expr is None:
            continue
        leaves = [(name, wanted, result.criteria[name]) for name, wanted in sorted(_signed_leaves(d, expr))
                  if name in result.criteria and result.criteria[name].uncounted]
        if not leaves:  # (nearly always: a source that sends every clinicalStatus)
            continue
        before = _DECIDED_AMONG.get(code)
        decided = pops[before[0]].difference(*(pops[c] for c in before[1:])) if before else ids.keys()
        for name, wanted, crit in leaves:
            members = crit.uncounted.keys() & decided & ids.keys()
            members = members - pops[code] if wanted else members & pops[code]
            if members:
                parts.append(EvidencePart(NOT_COUNTED, d["criteria"][name].get("rule", name), crit.uncounted,
                                          members))
    return parts


def _signed_leaves(d: MeasureDefinition, expr, wanted: bool = True,
                   seen: frozenset = frozenset()) -> set[tuple[str, bool]]:
    """The criteria an expression reaches through named expressions, each with whether the
    expression asks for it to be met (True) or not met (under an odd number of "not")."""
    if isinstance(expr, str):
        if expr in d["criteria"]:
            return {(expr, wanted)}
        if expr in d["expressions"] and expr not in seen:
            return _signed_leaves(d, d["expressions"][expr], wanted, seen | {expr})
        return set()
    (op, arg), = expr.items()
    if op == "not":
        return _signed_leaves(d, arg, not wanted, seen)
    return set().union(*(_signed_leaves(d, item, wanted, seen) for item in arg))


def _override_items(pids: Iterable[int], overrides: dict[int, OverrideItem]) -> dict[int, list[str]]:
    """Per patient the first of their gap's items as JSON texts: a documented exclusion or
    refusal (see storage.measures.stored_gaps.documented_overrides), if any."""
    return {pid: [evidence_items.item_json(overrides[pid])] if pid in overrides else [] for pid in pids}
