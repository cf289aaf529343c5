"""A measure with several population groups (CMS138) explains each group's gap by what closes
that group: screening (1), a cessation intervention for a tobacco user (2), both (3)."""
from __future__ import annotations

import dataclasses

import pytest

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


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")  # offscreen, a shown window
def test_the_worklist_shows_one_group_and_quality_asks_for_it(qtbot, measure_engine):
    """'CMS138 · 2' in Quality opens the open gaps of that group only; the measure chooser
    offers each group of a measure that has several."""
    from storage.measures.recompute import recompute
    from storage.queries import gaps as q
    from tests.ui.conftest import make_context
    from ui.gaps_screen import GapsScreen
    from ui.quality_screen import QualityScreen

    import_isolated(measure_engine, sorted((SHARED / "ecqm" / "CMS138" / "cases").glob("*.json")))
    recompute(measure_engine, PERIOD, ["CMS138"])
    screen = GapsScreen(make_context(measure_engine, "nurse.kim"))
    qtbot.addWidget(screen)
    screen.show()
    choices = [screen.measure_combo.itemText(i).strip() for i in range(screen.measure_combo.count())]
    assert "CMS138 · 2 — Tobacco users given cessation intervention" in choices
    everything = q.GapFilter(measure_id="CMS138", state=None, period_end=PERIOD.end)
    screen.set_filter(everything)
    assert screen.context.tasks.wait_idle()  # the worklist is read on the task runner
    assert {r.group_index for r in screen.model.loaded_rows()} == {0, 1, 2}
    screen.set_filter(dataclasses.replace(everything, group_index=1))
    assert screen.context.tasks.wait_idle()
    assert screen.measure_combo.currentData() == "CMS138|1"
    rows = screen.model.loaded_rows()
    assert rows and {r.group_index for r in rows} == {1}
    counts = q.count_gaps(measure_engine, screen.current_filter())
    assert counts.total == len(rows) and screen.current_filter().group_index == 1

    quality = QualityScreen(make_context(measure_engine, "nurse.kim"))
    qtbot.addWidget(quality)
    with qtbot.waitSignal(quality.loaded, timeout=30_000):
        quality.show()
    row = next(i for i, s in enumerate(quality.scores) if s.label == "CMS138 · 2")
    with qtbot.waitSignal(quality.open_gaps) as asked:
        quality.table.cellDoubleClicked.emit(row, 0)
    assert (asked.args[0].measure_id, asked.args[0].group_index) == ("CMS138", 1)
