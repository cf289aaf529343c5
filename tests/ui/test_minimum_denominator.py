"""Ranking on tiny denominators (issue 23.7): below the pod's minimum denominator (20 by default,
a pod setting) a rate is shown with its counts, marked as too few, and neither ranked nor the
pod's best nor in its median — in Quality and in the rates the practice report uses."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage import schema as t
from storage.measures.peer_rates import _ranked, practice_rates
from storage.queries.pod_settings import write_minimum_denominator
from tests.ui.conftest import make_context
from tests.ui.test_gaps_data import ACTOR, PERIOD
from ui.quality_screen import QualityScreen


def test_a_rate_below_the_minimum_is_not_ranked_nor_the_best_nor_in_the_median():
    # (practice, numerator, denominator, exclusions, exceptions)
    rates = {r.practice_id: r for r in _ranked([(1, 4, 4, 0, 0), (2, 15, 25, 0, 0), (3, 12, 20, 0, 0),
                                                 (4, 19, 21, 2, 0)], inverse=False, minimum=20)}
    assert (rates[1].rate, rates[1].rank, rates[1].too_few) == (1.0, None, True)  # 4/4: the old "best: 100 %"
    assert rates[4].denominator == 19 and rates[4].too_few and rates[4].rank is None  # 21 less 2 excluded
    assert (rates[2].rank, rates[3].rank) == (1, 1) and not rates[2].too_few and not rates[3].too_few  # 20: enough
    assert rates[1].practices_ranked == 2 and rates[1].pod_best == 0.6 and rates[1].best_practice_ids == (2, 3)
    assert rates[1].pod_median == 0.6
    # exactly at the minimum counts; one below does not
    assert _ranked([(1, 1, 5, 0, 0)], inverse=True, minimum=5)[0].rank == 1
    assert _ranked([(1, 1, 4, 0, 0)], inverse=True, minimum=5)[0].rank is None


def test_the_practice_report_rates_use_the_pod_setting(engine, pod):
    with engine.begin() as conn:
        write_minimum_denominator(conn, 20)
    rates = practice_rates(engine, "CMS125", *PERIOD)
    assert rates and all(r.too_few and r.rank is None and r.minimum == 20 for r in rates if r.rate is not None)
    assert {r.practices_ranked for r in rates} == {0} and {r.pod_best for r in rates} == {None}
    with engine.begin() as conn:
        write_minimum_denominator(conn, 3)
    assert sorted(r.rank for r in practice_rates(engine, "CMS125", *PERIOD) if r.rank) == [1, 1, 3]


@pytest.fixture
def screen(qtbot, engine, pod):
    with engine.begin() as conn:
        write_minimum_denominator(conn, 20)  # the default, as a new pod has it
    widget = QualityScreen(make_context(engine, ACTOR))
    widget.context.tasks.changed.connect(widget.apply_changes)  # as the main window does
    qtbot.addWidget(widget)
    widget.resize(1366, 800)
    widget.show()
    widget.context.tasks.wait_idle()
    return widget


def _row(screen, measure):
    row = next(i for i in range(screen.table.rowCount()) if screen.table.item(i, 0).text() == measure)
    return [screen.table.item(row, c).text() for c in range(screen.table.columnCount())]


def test_quality_shows_counts_marks_too_few_and_ranks_after_the_setting_changes(screen, engine, pod):
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(pod.practices["CED"]))
    cms125 = _row(screen, "CMS125")
    assert cms125[2:8] == ["1", "3", "33.3 % · too few", "not ranked (under 20)", "—", "—"]
    assert "fewer than the pod's minimum of 20 patients" in screen.table.item(1, 4).toolTip()
    assert screen.minimum_spin.value() == 20
    screen.minimum_spin.setValue(3)
    screen.minimum_spin.editingFinished.emit()
    screen.context.tasks.wait_idle()
    # the change set of the new setting has the rates read and ranked again
    screen.context.tasks.wait_idle()
    assert _row(screen, "CMS125")[4:8] == ["33.3 %", "3 of 3", "66.7 %", "66.7 % (ALD, BIR)"]
    with engine.connect() as conn:
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.record_type == "PodSetting")).one()
    assert (audit.actor, audit.action, audit.detail) == (ACTOR, "change", "minimum denominator 20 → 3")


def test_a_minimum_out_of_range_is_refused(engine, pod):
    from application.quality import set_minimum_denominator
    from domain.errors import DomainError
    from tests.conftest import app_pod_for

    with pytest.raises(DomainError, match="from 1 to 1000"):
        set_minimum_denominator(app_pod_for(engine).with_actor(ACTOR), 0)
