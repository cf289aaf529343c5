"""A measure with several population groups (CMS138) explains each group's gap by what closes
that group: screening (1), a cessation intervention for a tobacco user (2), both (3)."""
from __future__ import annotations

from domain.measures.explain import explain_gap, numerator_care
from domain.measures.period import MeasurementPeriod
from storage.queries.gaps import patient_gaps
from tests.conftest import SHARED
from tests.measures.conftest import import_isolated

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def test_each_group_names_its_own_missing_care():
    def open_text(group):
        return explain_gap(state="open", measure_id="CMS138", group_index=group)

    assert open_text(0) == "Open: no tobacco screening on record."
    assert open_text(1) == "Open: no cessation intervention for this tobacco user on record."
    assert open_text(2).startswith("Open: no tobacco screening with a cessation intervention")
    assert numerator_care("CMS138", 7) == "tobacco screening"  # a group the wording does not know
    assert numerator_care("CMS125", 1) == "mammography"


def test_a_screened_tobacco_user_without_cessation_is_told_apart_in_the_chart(measure_engine):
    from storage.measures.recompute import recompute

    ids = import_isolated(measure_engine, sorted((SHARED / "ecqm" / "CMS138" / "cases").glob("*.json")))
    recompute(measure_engine, PERIOD, ["CMS138"])
    checked = 0
    for pid in ids.values():
        groups = {g.group_index: g for g in patient_gaps(measure_engine, pid) if g.measure_id == "CMS138"}
        if groups.get(0) and groups[0].state == "closed" and groups.get(1) and groups[1].state == "open":
            assert groups[0].why.startswith("Closed: ")  # the screening that found a tobacco user
            assert groups[1].why.startswith("Open: no cessation intervention for this tobacco user on record")
            checked += 1
    assert checked  # the published cases have such a patient
