"""The chart's Gaps tab: wording per state, history, documenting exclusions and refusals."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from domain.errors import DomainError

from storage import schema as t
from domain.clock import today
from tests.ui.conftest import make_context
from tests.ui.override_answers import Answer, declined, excluded
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
        "Closed: Mammogram (LOINC 24606-6) on 2024-11-03, before this period — the measure looks back: "
        "mammography since 1 October two years before the period."]
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
    # this year has no gaps yet: the tab says so and which period it shows instead
    assert tab.empty_label.text() == (f"Gaps for the period containing today ({today().year}) have not been "
                                      "computed yet; showing the period ending 2025-12-31.")
    assert tab.title.text() == "Gaps in care — Measurement year 2025 (01/01/2025 – 12/31/2025)"


def _add_this_year(engine, pod, mrn: str, state: str = "open") -> tuple[dt.date, dt.date]:
    from tests.ui.test_gaps_data import _populations

    year = today().year
    current = (dt.date(year, 1, 1), dt.date(year, 12, 31))
    with engine.begin() as conn:
        conn.execute(sa.insert(t.gap).values(
            patient_id=pod.patients[mrn], measure_id="CMS125", period_start=current[0], period_end=current[1],
            state=state, due_date=current[1] if state == "open" else None,
            computed_at=dt.datetime(year, 2, 1, 8, 0), **_populations(state)))
    return current


def test_one_period_at_a_time_the_current_one_first_the_others_from_a_chooser(qtbot, engine, pod):
    """A 2025 gap was shown beside this year's with no period said: now the tab shows one period,
    says which, and reads another (on the task runner) when it is chosen."""
    current = _add_this_year(engine, pod, "A100")
    tab = _tab(qtbot, engine, pod.patients["A100"])
    assert {g.period_end for g in tab.gaps} == {current[1]}
    assert [g.measure_id for g in tab.gaps] == ["CMS125"]  # CMS122 has no gap this year: not last year's
    assert tab.title.text() == f"Gaps in care — Measurement year {current[0].year} (current)"
    assert tab.empty_label.isHidden()
    combo = tab.period_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [f"{current[0].year} (current)", "2025", "2024"]
    assert combo.isEnabled()
    combo.activated.emit(1)
    assert {g.period_end for g in tab.gaps} == {current[1]}  # read in the background, not here
    tab.context.tasks.wait_idle()
    assert {g.period_end for g in tab.gaps} == {PERIOD[1]} and {g.measure_id for g in tab.gaps} == {"CMS122", "CMS125"}
    assert tab.title.text() == "Gaps in care — Measurement year 2025 (01/01/2025 – 12/31/2025)"
    assert combo.currentText() == "2025"


def test_patient_without_gaps_says_whether_it_was_evaluated(qtbot, engine, pod):
    """"No gaps computed yet" was also said of a patient evaluated and in no measure's
    population: the two are told apart."""
    from storage.queries.evaluations import record_evaluation

    with engine.begin() as conn:
        pid = conn.execute(sa.insert(t.patient).values(
            practice_id=pod.practices["DEN"], mrn="D1", family="Nobody", given="Ned",
            birth_date=dt.date(1990, 1, 1))).inserted_primary_key[0]
    tab = _tab(qtbot, engine, pid, "Nobody, Ned")
    assert tab.table.isHidden() and not tab.empty_label.isHidden()
    assert tab.empty_label.text() == ("Ned Nobody's gaps in care for this period have not been computed since "
                                      "their data arrived: recompute gaps in care (Data ▸ Recompute, Ctrl+R).")
    assert not tab.exclusion_button.isEnabled() and not tab.error_button.isEnabled()
    assert tab.history.topLevelItem(0).text(2) == "No changes on record"
    record_evaluation(engine, PERIOD[0], PERIOD[1], None, dt.datetime.utcnow() + dt.timedelta(seconds=1))
    tab.reload(PERIOD[1])
    tab.context.tasks.wait_idle()
    assert tab.empty_label.text().startswith(
        "Ned Nobody is in no measure's population for this period: no measure's age, sex, condition or visit "
        "criteria apply (evaluated ")


def test_history_lists_state_changes(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A103"])
    texts = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert texts == ["Open → Excluded (period ending 2025-12-31)", "New → Open (period ending 2025-12-31)"]


def test_declined_needs_a_listed_reason_a_date_and_a_source_and_is_kept_with_who_and_when(qtbot, engine, pod):
    """A one-letter reason was accepted: now the reason comes from the measure's list, the note
    must carry it when it is "another reason", and the date and source are asked for."""
    tab = _tab(qtbot, engine, pod.patients["A102"], "Carter, Cora")
    tab.make_dialog = answer = Answer(
        declined("x", code=""),  # no reason chosen
        declined("x", code="other"),  # "another reason" needs a note that says it
        declined("x", code="declined-cost", source=""),  # no source
        declined("Will reconsider after her surgery", code="declined-cost", day=dt.date(2025, 11, 4)))
    _select_measure(tab, "CMS125")
    with qtbot.waitSignal(tab.changed):
        assert tab.document("declined")
    tab.context.tasks.wait_idle()
    assert answer.messages == [
        "Choose the reason for the refusal from the list.",
        'With "Another reason (say which in the note)" the note must say the reason (at least 10 characters).',
        "Say where the refusal is documented (its source)."]
    dialog = answer.dialogs[0]
    assert "Carter, Cora" in dialog.prompt.text()
    assert [dialog.reason_combo.itemText(i) for i in range(1, 3)] == [
        "Declined mammography after discussing its benefits", "Declined mammography: cost or insurance coverage"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.gap_override)).one()
        audit = conn.execute(sa.select(t.audit_event).where(
            t.audit_event.c.record_type == "GapOverride")).one()
    assert (row.kind, row.reason_code, row.reason, row.applies_from, row.source, row.by, row.measure_id,
            row.period_end) == ("declined", "declined-cost", "Will reconsider after her surgery",
                                dt.date(2025, 11, 4), "patient", ACTOR, "CMS125", PERIOD[1])
    assert row.at is not None and audit.action == "create" and audit.actor == ACTOR
    why = _cells(tab, 0)[2]
    assert why.startswith("Open: no mammography on record")
    assert (f"Patient declined on {row.at:%Y-%m-%d} by {ACTOR}: Declined mammography: cost or insurance "
            "coverage — from 2025-11-04, source: the patient or caregiver, in person or by phone: Will "
            "reconsider after her surgery.") in why
    history = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert any(h.startswith(f"Patient declined documented by {ACTOR}: Declined mammography: cost") for h in history)
    assert tab.error_button.isEnabled()


def test_an_ended_period_asks_first_and_says_the_reported_rates_will_change(qtbot, engine, pod):
    """2025 is over (the gaps here are of 2025): the dialog says its rates will change and asks;
    "No" keeps nothing; the use case itself refuses without the confirmation."""
    from application import gaps as q

    tab = _tab(qtbot, engine, pod.patients["A102"])
    _select_measure(tab, "CMS125")
    tab.make_dialog = answer = Answer(declined("Refused on the phone", confirm=False))
    assert not tab.document("declined")
    assert answer.asked_past_period == 1
    assert "the rates already reported for it will change" in answer.dialogs[0].past_label.text()
    assert not answer.dialogs[0].past_label.isHidden()
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.gap_override)) == 0
    with pytest.raises(DomainError, match="is over: documenting this changes its gap, and the rates already "
                                          "reported for it will change"):
        q.document_override(tab.context.pod, patient_id=pod.patients["A102"], measure_id="CMS125",
                            period_start=PERIOD[0], period_end=PERIOD[1], kind="declined",
                            reason_code="declined-cost", applies_from=dt.date(2025, 6, 1), source="patient")
    tab.make_dialog = Answer(declined("Refused on the phone", confirm=True))
    assert tab.document("declined")


def test_a_date_after_the_period_or_in_the_future_is_refused(qtbot, engine, pod):
    from application import gaps as q

    args = dict(patient_id=pod.patients["A102"], measure_id="CMS125", period_start=PERIOD[0], period_end=PERIOD[1],
                kind="exclusion", reason_code="bilateral-mastectomy", source="outside_records",
                confirm_past_period=True)
    context = make_context(engine, ACTOR)
    with pytest.raises(DomainError, match="after the measurement period ending 2025-12-31"):
        q.document_override(context.pod, applies_from=dt.date(2026, 1, 2), **args)
    with pytest.raises(DomainError, match="a date in the future"):
        q.document_override(context.pod, applies_from=today() + dt.timedelta(days=1), **args)
    with pytest.raises(DomainError, match="not a reason for a documented exclusion of CMS125"):
        q.document_override(context.pod, applies_from=dt.date(2019, 5, 2), **{**args, "reason_code": "pregnancy"})
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.gap_override)) == 0


def test_cancelling_keeps_nothing(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"])
    tab.make_dialog = Answer(excluded(""))  # no reason chosen: refused, then the user cancels
    _select_measure(tab, "CMS125")
    assert not tab.document("exclusion")
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.gap_override)) == 0


def test_exclusion_marked_entered_in_error_instead_of_deleted(qtbot, engine, pod):
    tab = _tab(qtbot, engine, pod.patients["A102"])
    _select_measure(tab, "CMS125")
    tab.make_dialog = Answer(excluded("bilateral-mastectomy", "Bilateral mastectomy 2019 per outside records",
                                      dt.date(2019, 5, 2)))
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
    assert (row.reason_code, row.applies_from) == ("bilateral-mastectomy", dt.date(2019, 5, 2))
    assert revision.reason == "Wrong patient: records were for her sister"
    assert "Documented exclusion" not in _cells(tab, 0)[2]
    assert not tab.error_button.isEnabled()
    history = [tab.history.topLevelItem(i).text(2) for i in range(tab.history.topLevelItemCount())]
    assert any("marked entered-in-error" in h and "her sister" in h for h in history)
    assert any(h.startswith("Documented exclusion documented by") for h in history)


def test_the_real_dialog_shows_the_rule_and_stays_open(qtbot):
    from domain.measures.documented_reasons import reasons_for

    kept = []
    current = (dt.date(today().year, 1, 1), dt.date(today().year, 12, 31))
    dialog = GapOverrideDialog("exclusion", "CMS125 Breast Cancer Screening", "Abbott, Ann",
                               lambda answer: None if answer.reason_code else "Choose a reason.",
                               reasons=reasons_for("CMS125", "exclusion"), period=current)
    qtbot.addWidget(dialog)
    assert dialog.past_label.isHidden()  # this year is not over
    dialog.accepted.connect(lambda: kept.append(dialog.answer()))
    dialog.save()
    assert dialog.error_label.text() == "Choose a reason." and not kept
    qtbot.keyClick(dialog.reason_combo, Qt.Key.Key_Down)  # the first reason: hospice
    qtbot.keyClicks(dialog.reason_edit, "Hospice since June")
    dialog.save()
    assert [(a.reason_code, a.note, a.applies_from) for a in kept] == [("hospice", "Hospice since June", today())]


def test_a_period_evaluated_with_no_gap_of_the_patient_is_still_offered_and_current(qtbot, engine, pod):
    """A recompute of this year that put the patient in no measure is this year's answer, not a
    reason to show last year instead."""
    from storage.queries.evaluations import record_evaluation

    year = today().year
    record_evaluation(engine, dt.date(year, 1, 1), dt.date(year, 12, 31), None,
                      dt.datetime.utcnow() + dt.timedelta(seconds=1))
    tab = _tab(qtbot, engine, pod.patients["A102"], "Carter, Cora")
    assert tab.title.text() == f"Gaps in care — Measurement year {year} (current)"
    assert tab.gaps == [] and tab.empty_label.text().startswith("Cora Carter is in no measure's population")
    assert tab.period_combo.itemText(0) == f"{year} (current)" and tab.period_combo.count() == 3


def test_the_tab_title_counts_the_open_gaps_of_the_period_shown(qtbot, engine, pod):
    """The chart's 'Gaps (N)' followed this year whatever period was shown: a new user saw
    'Gaps (0)' above an open gap of an earlier year."""
    from application.chart import read_chart
    from ui.chart_view import ChartView

    _add_this_year(engine, pod, "A100", "closed")
    context = make_context(engine, ACTOR)
    chart = ChartView(context, read_chart(context.pod, pod.patients["A100"]))
    qtbot.addWidget(chart)
    gaps_index = chart.tab_titles.index("Gaps")
    assert chart.tabs.tabText(gaps_index) == "Gaps (0)"
    tab = chart.show_tab("Gaps")  # built when first shown, as a user opens it
    context.tasks.wait_idle()
    tab.period_combo.activated.emit(1)  # 2025: CMS122 is open
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: chart.tabs.tabText(gaps_index) == "Gaps (1)", timeout=5000)
    tab.period_combo.activated.emit(0)
    context.tasks.wait_idle()
    qtbot.waitUntil(lambda: chart.tabs.tabText(gaps_index) == "Gaps (0)", timeout=5000)
