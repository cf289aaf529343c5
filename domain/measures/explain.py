"""Why a patient is in, out or excluded: one gap's state and evidence in plain words.

The measure engine records, per population, the fact and date that decided it
(``gap_evidence``); this module turns that into the sentence a care manager
reads, e.g. "Closed: Mammogram (LOINC 24606-6) on 2024-11-03 — mammography
since 1 October two years before the period."  Plain data in, text out.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from domain.facts import clinical_number, system_label, unit_label
from domain.gaps import GapOverride
from domain.measures.catalogue import catalogue

# The population of an evidence item that is no evidence: a condition a measure's rule would
# count if it were active, recorded without an active status or an end date, so that the measure
# does not count it (QICoreCommon gives it no prevalence interval); its detail is the clinical
# status it was recorded with ("" for none). Kept where it decided a population.
NOT_COUNTED = "not-counted"
_CLINICAL_STATUS_WORDS = {"inactive": "as inactive", "resolved": "as resolved", "remission": "as in remission"}

OVERRIDE_LABELS = {"exclusion": "Documented exclusion", "declined": "Patient declined"}
# The evidence rule of a gap the care team excluded by documentation (no fact behind it).
OVERRIDE_RULES = {"exclusion": "documented exclusion", "declined": "patient declined"}
_OVERRIDE_RULE_NAMES = frozenset(OVERRIDE_RULES.values())


@dataclasses.dataclass(frozen=True)
class EvidenceItem:
    """One row of gap evidence with the fact it points at (if any)."""

    population: str
    rule: str
    code_system: str = ""
    code: str = ""
    fact_date: dt.datetime | dt.date | None = None
    detail: str = ""
    display: str = ""
    kind: str = ""
    value: float | None = None
    unit: str = ""


# The populations whose evidence an explanation never cites: that the patient is in the
# measure's initial population and denominator is said by the state's words, never by the facts
# behind it (:func:`explain_gap` names a numerator's, an exclusion's or exception's, a fact it
# did not count, or the documentation of an override).
_NEVER_CITED = frozenset({"initialpopulation", "denominator"})


def cited(population: str, rule: str) -> bool:
    """Can :func:`explain_gap` cite an evidence item of this population and rule? An item it
    cannot leaves the explanation the same whatever it holds: its fact need not be read."""
    return population_key(population) not in _NEVER_CITED or rule in _OVERRIDE_RULE_NAMES


def override_label(kind: str) -> str:
    return OVERRIDE_LABELS.get(kind, kind.capitalize())


@functools.lru_cache(maxsize=256)  # a handful of spellings, asked for several times per gap explained
def population_key(population: str) -> str:
    """'denominator-exclusion', 'denominator_exclusion', 'DenominatorExclusion' → 'denominatorexclusion'."""
    return "".join(ch for ch in (population or "").lower() if ch.isalnum())


def code_label(code_system: str, code: str) -> str:
    if not code:
        return ""
    system = system_label(code_system)
    return f"{system} {code}".strip()


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def _value(item: EvidenceItem) -> str:
    if item.value is None:
        return ""
    number = clinical_number(item.value, code=item.code, unit=item.unit)
    return f" {number} {unit_label(item.unit)}".rstrip() if item.unit else f" {number}"


def describe_evidence(item: EvidenceItem, period_start: dt.date | None = None) -> str:
    """'Mammogram (LOINC 24606-6) on 2024-11-03 — mammography since ...'.

    A fact dated before the period (``period_start``) is said to be so, with the rule that
    lets the measure look back to it: a gap of this year is never explained by last year's
    fact without saying why it counts."""
    rule = (item.rule or "").strip()
    name = item.display.strip() or item.detail.strip() or rule or "a recorded fact"
    text = name + _value(item)
    code = code_label(item.code_system, item.code)
    if code:
        text += f" ({code})"
    when = _date(item.fact_date)
    if when:
        text += f" on {when}"
    note = next((n for n in (item.detail.strip(), rule) if n and n != name), "")
    day = item.fact_date.date() if isinstance(item.fact_date, dt.datetime) else item.fact_date
    if period_start is not None and day is not None and day < period_start:
        text += ", before this period"
        if note:
            text += f" — the measure looks back: {_lower_first(note)}"
        return text
    if note:
        text += f" — {_lower_first(note)}"
    return text


def _lower_first(text: str) -> str:
    """A rule name read inside a sentence: 'Has Hospice Services' → 'has hospice services'.

    Only plain capitalised words are lowered, so acronyms (HbA1c, GMI, CT) stay as written.
    """
    def lower(word: str) -> str:
        plain = len(word) > 1 and word[0].isupper() and word[1:].isalpha() and word[1:].islower()
        return word.lower() if plain else word

    words = text.split(" ")
    title_case = sum(w[:1].isupper() for w in words) * 2 > len(words)
    return " ".join(lower(w) for w in words) if title_case else " ".join([lower(words[0])] + words[1:])


def describe_not_counted(item: EvidenceItem) -> str:
    """'Type 2 diabetes mellitus (ICD-10-CM E11.9), onset 2025-03-01, is recorded without an
    active status or an end date: the measure does not count it'."""
    text = item.display.strip() or (item.rule or "").strip() or "A condition"
    code = code_label(item.code_system, item.code)
    if code:
        text += f" ({code})"
    when = _date(item.fact_date)
    if when:
        text += f", onset {when},"
    status = (item.detail or "").strip()
    if status:
        recorded = f"is recorded {_CLINICAL_STATUS_WORDS.get(status, 'as ' + status)}, without an end date"
    else:
        recorded = "is recorded without an active status or an end date"
    return f"{text} {recorded}: the measure does not count it"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pick(evidence: list[EvidenceItem], *populations: str) -> list[EvidenceItem]:
    wanted = {population_key(p) for p in populations}
    return [e for e in evidence if population_key(e.population) in wanted]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def numerator_care(measure_id: str, group_index: int = 0, measure_title: str = "") -> str:
    """What closes the gap of this measure's population group, in plain words (the measure
    catalogue's ``care``; a measure it does not know: its title)."""
    info = catalogue().get(measure_id)
    return info.care_of(group_index) if info is not None else (measure_title or measure_id).lower()


def documented_text(override: GapOverride) -> str:
    """'Patient declined on 2026-03-02 by Dana Reyes: Declined mammography: cost or insurance
    coverage — from 2026-03-01, source: the patient or caregiver, in person or by phone.'"""
    from domain.measures.documented_reasons import reasons_for

    reasons = reasons_for(override.measure_id, override.kind) if override.reason_code else {}
    return (f"{override_label(override.kind)} on {_date(override.at)} by {override.by}: "
            f"{_sentence(override.reason_text(reasons))}")


def explain_gap(*, state: str, measure_id: str, measure_title: str = "", inverse: bool = False,
                period_start: dt.date | None = None, period_end: dt.date | None = None,
                due_date: dt.date | None = None, evidence: list[EvidenceItem] = (),
                overrides: list[GapOverride] = (), group_index: int = 0) -> str:
    """One plain sentence (or two) saying why the gap is in the state it is."""
    # one condition can be left out by several rules (renal failure: advanced illness, and
    # kidney disease in CMS165): it is named once
    not_counted = list({(e.code_system, e.code, e.fact_date, e.detail): e
                        for e in _pick(evidence, NOT_COUNTED)}.values())
    evidence = [e for e in evidence if population_key(e.population) != population_key(NOT_COUNTED)]
    care = numerator_care(measure_id, group_index, measure_title)
    numerator = _pick(evidence, "numerator")
    documented = next((e for e in evidence if e.rule in OVERRIDE_RULES.values() and not e.code), None)
    active = [o for o in overrides if not o.entered_in_error]

    def described(item: EvidenceItem) -> str:
        return describe_evidence(item, period_start)

    if state == "excluded" and documented is not None:
        # the documentation is the reason; repeating the override note after it would say it twice
        if active:
            return "Excluded: " + documented_text(active[0])
        text, overrides = f"Excluded: {documented.rule} — {documented.detail}", ()
    elif state == "excluded":
        items = _pick(evidence, "denominator-exclusion", "denominator-exception")
        text = ("Excluded: " + "; ".join(described(e) for e in items[:2]) if items
                else "Excluded from the measure")
    elif state == "closed":
        if inverse:
            # an inverse measure is met when the patient is NOT in the numerator
            items = [e for e in evidence if population_key(e.population) not in
                     {"initialpopulation", "denominator", "numerator"}] or numerator
            text = ("Closed: " + described(items[0]) if items
                    else f"Closed: {care}")
        else:
            text = ("Closed: " + "; ".join(described(e) for e in numerator[:2]) if numerator
                    else f"Closed: {care} on record")
    elif state == "open":
        if inverse and numerator and any(e.fact_date for e in numerator):
            text = "Open: " + described(numerator[0])
        else:
            text = f"Open: no {care} on record"
        if due_date:
            text += f"; due by {due_date.isoformat()}"
        elif period_end:
            text += f"; due by {period_end.isoformat()}"
    elif state == "not_applicable" and not_counted:
        text, not_counted = "Not applicable: " + describe_not_counted(not_counted[0]), not_counted[1:]
    elif state == "not_applicable":
        text = "Not applicable: not in the measure's population (age, sex, condition or qualifying visit)"
    else:
        text = state.capitalize()
    text = _sentence(text)
    for item in not_counted[:2]:  # what the measure did not count, where it decided a population
        text += " " + _sentence(_upper_first(describe_not_counted(item)))
    active = [o for o in overrides if not o.entered_in_error]
    if active:
        text += " " + documented_text(active[0])
    return text
