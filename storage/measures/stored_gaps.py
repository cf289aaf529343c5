"""What a measure's gaps are now, as a recompute reads them before working out its writes:
per population group each patient's stored gap (:class:`StoredGap`), the documented
exclusions and refusals still standing, birth dates where a due date needs them, and the
version of the measure's last write. SQLite-specific SQL (temp tables, CROSS JOIN to fix the
join order) on a raw sqlite3 connection, for speed: at 1M patients this reads millions of rows."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import NamedTuple

from domain.measures.explain import OVERRIDE_RULES
from domain.measures.period import MeasurementPeriod
from storage.measures import id_sets

# population code -> its column in ``gap``, in the order of a gap's flag bits
POPULATION_COLUMNS = {"initial-population": "initial_population", "denominator": "denominator",
                      "denominator-exclusion": "denominator_exclusion",
                      "denominator-exception": "denominator_exception", "numerator": "numerator"}
# a gap's five population flags as one number (bit 0: initial population ... bit 4: numerator)
# (SQLite gives | and << the same precedence: each shift is in parentheses)
FLAG_BITS_SQL = ("(g.initial_population | (g.denominator << 1) | (g.denominator_exclusion << 2) "
                 "| (g.denominator_exception << 3) | (g.numerator << 4))")
# flag bits -> the five flags, in POPULATION_COLUMNS order
FLAGS = [tuple((bits >> n) & 1 for n in range(5)) for bits in range(32)]


class StoredGap(NamedTuple):
    """One gap as stored; its evidence is compared by its key, not its rows (at 1M patients
    the rows of a measure take gigabytes, and reading them cost more than working out new ones)."""
    patient_id: int
    group_index: int
    gap_id: int
    state: str
    flags: int  # see FLAG_BITS_SQL
    due_date: str | None
    evidence_key: int | None


# A documented exclusion or refusal as the first item of its gap's evidence
# (storage.measures.evidence_items.FIELDS)
OverrideItem = tuple[str, str, None, str, str, str, str]


@dataclasses.dataclass
class StoredState:
    """What one measure's plan is worked out from (see :func:`read_state`)."""
    version: int | None  # gap_write's: which write of the measure this was read after
    gaps: list[dict[int, StoredGap]]  # per population group: patient -> gap
    overrides: dict[int, OverrideItem]  # patient -> the latest standing override
    births: dict[int, dt.date]  # patient -> birth date, where the open due date counts from it


def read_state(con, result, period: MeasurementPeriod, scoped: bool) -> StoredState:
    """One measure's stored gaps and what else its plan needs, within the caller's (read or
    write) transaction. ``scoped``: only the patients of ``result.universe`` (some patients
    after an import, or a practice), read from their side."""
    d = result.definition
    mid, ps, pe = result.measure_id, period.start.isoformat(), period.end.isoformat()
    if scoped:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS gap_universe (patient_id INTEGER PRIMARY KEY)")
        con.execute("DELETE FROM gap_universe")
        id_sets.fill(con, "gap_universe", result.universe)
        # read from the patients' side (CROSS JOIN keeps that order), not the measure's gaps
        gaps = "gap_universe u CROSS JOIN gap g ON g.patient_id = u.patient_id"
    else:
        gaps = "gap g"
    stored: list[dict[int, StoredGap]] = [{} for _ in result.groups]
    # each row made a StoredGap as it comes, without StoredGap's own __new__ (a Python call,
    # which took a tenth of a measure's plan: millions of gaps at 1M patients)
    make = tuple.__new__
    for row in con.execute(
            f"SELECT g.patient_id, g.group_index, g.id, g.state, {FLAG_BITS_SQL}, g.due_date, g.evidence_key "
            f"FROM {gaps} WHERE g.measure_id = ? AND g.period_start = ? AND g.period_end = ? AND g.group_index < ?",
            (mid, ps, pe, len(stored))):
        stored[row[1]][row[0]] = make(StoredGap, row)
    births = birth_dates(con, set().union(*(g.populations["initial-population"] for g in result.groups))) \
        if d.get("due_open", {}).get("from") == "birth" else {}
    return StoredState(write_version(con, mid, ps, pe), stored, documented_overrides(con, scoped, mid, ps, pe), births)


def write_version(con, mid: str, ps: str, pe: str) -> int | None:
    """How many times the measure's gaps of the period were written (``gap_write``)."""
    row = con.execute("SELECT version FROM gap_write WHERE measure_id = ? AND period_start = ? AND period_end = ?",
                      (mid, ps, pe)).fetchone()
    return row[0] if row else None


def documented_overrides(con, scoped: bool, mid: str, ps: str, pe: str) -> dict[int, OverrideItem]:
    """Per patient, the latest documented exclusion or refusal of this measure and period
    still standing (not entered-in-error) as its evidence item."""
    source = ("gap_universe u CROSS JOIN gap_override o ON o.patient_id = u.patient_id" if scoped
              else "gap_override o")
    out: dict[int, OverrideItem] = {}
    for pid, kind, reason, by, at in con.execute(
            f"SELECT o.patient_id, o.kind, o.reason, o.by, o.at FROM {source} WHERE o.measure_id = ? "
            "AND o.period_start = ? AND o.period_end = ? AND NOT o.entered_in_error ORDER BY o.at, o.id",
            (mid, ps, pe)):
        day = str(at)[:10]
        out[pid] = ("denominator-exclusion", OVERRIDE_RULES.get(kind, kind), None, "", "", day,
                    f"{reason} — documented by {by} on {day}")
    return out


def birth_dates(con, pids) -> dict[int, dt.date]:
    con.execute("CREATE TEMP TABLE IF NOT EXISTS gap_birth (patient_id INTEGER PRIMARY KEY)")
    con.execute("DELETE FROM gap_birth")
    id_sets.fill(con, "gap_birth", pids)
    out = {}
    for pid, birth in con.execute("SELECT p.id, p.birth_date FROM patient p JOIN gap_birth b ON b.patient_id = p.id"):
        try:
            out[pid] = dt.date.fromisoformat(str(birth)[:10])
        except (TypeError, ValueError):
            continue
    return out
