"""The chart's Gaps tab: wording per state, history, documenting exclusions and refusals."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from storage import schema as t
from tests.ui.conftest import make_context
from tests.ui.test_gaps_data import ACTOR, PERIOD
from ui.chart_gaps_tab import ChartGapsTab
from ui.gap_override_dialog import GapOverrideDialog


@pytest.fixture(autouse=True)
def _stored_gaps_stay(monkeypatch):
    """The gaps of this pod are stored by hand, not computed from facts: documenting keeps them
    as they are here (the recompute that follows a documentation is tested with real measures
    in tests/measures/test_chart_tab_override.py)."""
    import application.gaps

    monkeypatch.setattr(application.gaps, "_recompute_gap", lambda *args: None)


def _tab(qtbot, engine, patient_id, name="Abbott, Ann"):
    tab = ChartGapsTab(make_context(engine, ACTOR), patient_id, name)
    qtbot.addWidget(tab)
    tab.context.tasks.wait_idle()
    return tab


class Answer:
    """Stands in for the modal dialog: types the reason and presses Save (or Cancel)."""

    def __init__(self, *reasons: str, cancel_after: bool = True):
        self.reasons, self.cancel_after = list(reasons), cancel_after
        self.messages: list[str] = []
        self.dialogs: list[GapOverrideDialog] = []

    def __call__(self, kind, measure, patient, submit, parent):
        answer = self

        class Scripted(GapOverrideDialog):
            def exec(self):
                answer.dialogs.append(self)
                for reason in answer.reasons:
                    self.reason_edit.setPlainText(reason)
                    self.save()
                    if self.result() == GapOverrideDialog.DialogCode.Accepted:
                        return 1
                    answer.messages.append(self.error_label.text())
                return 0

        return Scripted(kind, measure, patient, submit, parent)


def _cells(tab, row):
    return [tab.table.item(row, c).text() for c in range(tab.table.columnCount())]


def _select_measure(tab, measure_id):
    row = next(i for i, g in enumerate(tab.gaps) if g.measure_id == measure_id)
    tab.table.selectRow(row)
    return row


def test_one_row_per_measure_with_plain_explanations(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A100"])
    rows = {tab.gaps[r].measure_id: _cells(tab, r) for r in range(tab.table.rowCount())}
    assert set(rows) == {"CMS122", "CMS125"}
    assert rows["CMS125"][:3] == [
        "CMS125 Breast Cancer Screening", "Closed",
        "Closed: Mammogram (LOINC 24606-6) on 2024-11-03 — mammography since 1 October two years "
        "before the period."]
    assert rows["CMS122"][1] == "Open" and rows["CMS122"][3] == "12/31/2025"


def test_excluded_and_not_applicable_wording(qtbot, engine, pod):
    excluded = _tab(qtbot, engine, pod.patients["A103"])
    assert _cells(excluded, 0)[2] == ("Excluded: Hospice care encounter (SNOMED CT 385763009) on "
                                      "2025-06-10 — has hospice services.")
    na = _tab(qtbot, engine, pod.patients["B203"])
    assert _cells(na, 0)[2].startswith("Not applicable: not in the measure's population")
    assert not na.exclusion_button.isEnabled() and not na.declined_button.isEnabled()


def test_only_an_open_gap_can_be_documented(qtbot, engine, pod):
    """A met or excluded gap has nothing to exclude: the buttons say why they are off."""
    tab = _tab(qtbot, engine, pod.patients["A100"])
    _select_measure(tab, "CMS125")  # closed
    assert not tab.exclusion_button.isEnabled() and not tab.declined_button.isEnabled()
    assert tab.declined_button.toolTip() == "Only an open gap can be documented; this one is closed."
    assert not tab.document("declined")
    _select_measure(tab, "CMS122")  # open
    assert tab.exclusion_button.isEnabled() and tab.declined_button.isEnabled()
    assert tab.declined_button.toolTip() == ""
    excluded = _tab(qtbot, engine, pod.patients["A103"])
    _select_measure(excluded, "CMS125")
    assert not excluded.exclusion_button.isEnabled()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.gap_override)).scalar() == 0


def test_only_the_current_period_is_shown(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"])
    assert [(g.measure_id, g.period_end, g.state) for g in tab.gaps] == [("CMS125", PERIOD[1], "open")]


def test_patient_without_gaps_says_so(qtbot, engine, pod):
    with engine.begin() as conn:
        pid = conn.execute(sa.insert(t.patient).values(
            practice_id=pod.practices["DEN"], mrn="D1", family="Nobody", given="Ned",
            birth_date=dt.date(1990, 1, 1))).inserted_primary_key[0]
    tab = _tab(qtbot, engine, pid)
    assert tab.table.isHidden() and not tab.empty_label.isHidden()
    assert not tab.exclusion_button.isEnabled() and not tab.error_button.isEnabled()
    assert tab.history.topLevelItem(0).text(2) == "No changes on record"


def test_history_lists_state_changes(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A103"])
    texts = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert texts == ["Open → Excluded (period ending 2025-12-31)", "New → Open (period ending 2025-12-31)"]


def test_declined_needs_a_reason_and_is_kept_with_who_and_when(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"], "Carter, Cora")
    tab.make_dialog = answer = Answer("   ", "Does not want a mammogram this year")
    _select_measure(tab, "CMS125")
    with qtbot.waitSignal(tab.changed):
        assert tab.document("declined")
    tab.context.tasks.wait_idle()
    assert answer.messages == ["A documented exclusion or refusal needs a reason."]
    assert "Carter, Cora" in answer.dialogs[0].prompt.text()
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.gap_override)).one()
        audit = conn.execute(sa.select(t.audit_event).where(
            t.audit_event.c.record_type == "GapOverride")).one()
    assert (row.kind, row.reason, row.by, row.measure_id, row.period_end) == (
        "declined", "Does not want a mammogram this year", ACTOR, "CMS125", PERIOD[1])
    assert row.at is not None and audit.action == "create" and audit.actor == ACTOR
    why = _cells(tab, 0)[2]
    assert why.startswith("Open: no mammography on record")
    assert f"Patient declined on {row.at:%Y-%m-%d} by {ACTOR}: Does not want a mammogram this year." in why
    history = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert f"Patient declined documented by {ACTOR}: Does not want a mammogram this year" in history
    assert tab.error_button.isEnabled()


def test_cancelling_keeps_nothing(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"])
    tab.make_dialog = Answer("")  # the empty reason is refused, then the user cancels
    _select_measure(tab, "CMS125")
    assert not tab.document("exclusion")
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.gap_override)) == 0


def test_exclusion_marked_entered_in_error_instead_of_deleted(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"])
    _select_measure(tab, "CMS125")
    tab.make_dialog = Answer("Bilateral mastectomy 2019 per outside records")
    assert tab.document("exclusion")
    tab.context.tasks.wait_idle()
    tab.make_dialog = answer = Answer("", "Wrong patient: records were for her sister")
    assert tab.mark_error()
    tab.context.tasks.wait_idle()
    assert answer.messages == ["Marking a record entered-in-error needs a reason."]
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.gap_override)).one()
        revision = conn.execute(sa.select(t.record_revision)).one()
    assert row.entered_in_error and row.reason == "Bilateral mastectomy 2019 per outside records"
    assert revision.reason == "Wrong patient: records were for her sister"
    assert "Documented exclusion" not in _cells(tab, 0)[2]
    assert not tab.error_button.isEnabled()
    history = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert any("marked entered-in-error" in h and "her sister" in h for h in history)
    assert any(h.startswith("Documented exclusion documented by") for h in history)


def test_the_real_dialog_shows_the_rule_and_stays_open(qtbot):
    kept = []
    dialog = GapOverrideDialog("exclusion", "CMS125 Breast Cancer Screening", "Abbott, Ann",
                               lambda reason: None if reason.strip() else "Give a reason.")
    qtbot.addWidget(dialog)
    dialog.accepted.connect(lambda: kept.append(dialog.reason()))
    dialog.save()
    assert dialog.error_label.text() == "Give a reason." and not kept
    qtbot.keyClicks(dialog.reason_edit, "Hospice since June")
    dialog.save()
    assert kept == ["Hospice since June"]
