"""Population logic: boolean expressions over criteria evaluated as set algebra, and the
proportion-measure rules that turn them into a patient's populations.

An expression is a name (a criterion, a named expression, or an earlier population such as
``"initial-population"``), ``{"all": [...]}``, ``{"any": [...]}`` or ``{"not": expr}``.
"""
from __future__ import annotations

from typing import Callable, Iterable

from domain.errors import DomainError

POPULATIONS = ("initial-population", "denominator", "denominator-exclusion",
               "denominator-exception", "numerator")


def names_in(expr) -> set[str]:
    """Every name an expression refers to."""
    if isinstance(expr, str):
        return {expr}
    if isinstance(expr, dict) and len(expr) == 1:
        (op, arg), = expr.items()
        if op in ("all", "any"):
            return set().union(*(names_in(e) for e in arg)) if arg else set()
        if op == "not":
            return names_in(arg)
    raise DomainError(f"Not a population expression: {expr!r}")


def evaluate(expr, resolve: Callable[[str], set], universe: set) -> set:
    """The set of patients for whom ``expr`` is true."""
    if isinstance(expr, str):
        return resolve(expr)
    (op, arg), = expr.items()
    if op == "all":
        result = None
        for item in arg:
            part = evaluate(item, resolve, universe)
            result = set(part) if result is None else result & part
            if not result:
                return set()
        return result if result is not None else set(universe)
    if op == "any":
        result: set = set()
        for item in arg:
            result |= evaluate(item, resolve, universe)
        return result
    if op == "not":
        return universe - evaluate(arg, resolve, universe)
    raise DomainError(f"Unknown operator {op!r} in a population expression")


def proportion(pops: dict[str, set]) -> dict[str, set]:
    """Patient-based proportion semantics (as MADiE / fqm-execution report them):
    denominator ⊆ initial population; exclusions only from the denominator; the numerator
    only from those not excluded; exceptions only from those not in the numerator."""
    ip = set(pops.get("initial-population", set()))
    den = ip & pops["denominator"] if "denominator" in pops else set(ip)
    denex = den & pops.get("denominator-exclusion", set())
    num = (den - denex) & pops.get("numerator", set())
    denexcep = (den - denex - num) & pops.get("denominator-exception", set())
    return {"initial-population": ip, "denominator": den, "denominator-exclusion": denex,
            "numerator": num, "denominator-exception": denexcep}


def counts(groups: dict[str, set], patient_id: int) -> dict[str, int]:
    return {name: int(patient_id in members) for name, members in groups.items()}


def rate(numerator: int, denominator: int, exclusions: int = 0, exceptions: int = 0) -> float | None:
    """Performance rate: numerator / (denominator − exclusions − exceptions)."""
    eligible = denominator - exclusions - exceptions
    return None if eligible <= 0 else numerator / eligible


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
