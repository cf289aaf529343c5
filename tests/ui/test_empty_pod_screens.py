"""What a new user sees on a pod with nothing in it yet: each list says what would put rows
there and the key or menu that does it (Patients: import; Referrals: the chart's New referral;
Medication reviews: what is listed and how a review starts) — and says nothing of the kind once
there are rows, or when a filter the user chose matches nothing."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt

from application.changes import ChangeSet
from storage import schema as t
from tests.conftest import add_staff_member
from tests.reviews_pod import PHARMACIST, build_reviews_pod
from tests.today_pod import DANA, build_today_pod
from tests.ui import window_helpers

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
CTRL = Qt.KeyboardModifier.ControlModifier


def _window(qtbot, engine, user):
    window, context = window_helpers.open_window(qtbot, engine, user)
    return window, context


def _idle(qtbot, context):
    context.tasks.wait_idle()
    qtbot.wait(10)


def test_patients_of_an_empty_pod_say_to_import_and_stop_saying_it_once_there_are_patients(qtbot, engine):
    window, context = _window(qtbot, engine, add_staff_member(engine, "Ada Park, RN"))
    qtbot.keyClick(window, Qt.Key.Key_K, CTRL)  # find a patient
    search = window.section("Patients").search
    qtbot.waitUntil(lambda: search.summary.text() == "No patients in this pod yet.", timeout=20_000)
    assert search.empty.showing()
    assert "Data ▸ Import data… (Ctrl+I)" in search.empty.text()
    with engine.begin() as conn:
        practice = conn.execute(sa.insert(t.practice).values(code="OFM", name="Oak Family Medicine")).inserted_primary_key[0]
        conn.execute(sa.insert(t.patient).values(practice_id=practice, mrn="M1", family="Ito", given="Ida",
                                                 birth_date=dt.date(1950, 3, 4), sex="female"))
    context.tasks.changed.emit(ChangeSet(kinds={"patients"}, patient_ids=None))  # as an import announces it
    qtbot.waitUntil(lambda: search.summary.text().startswith("Type a name"), timeout=20_000)
    assert not search.empty.showing()
    qtbot.keyClicks(search.search_box, "nobody")
    qtbot.waitUntil(lambda: search.summary.text() == "No patient matches “nobody”.", timeout=20_000)
    assert not search.empty.showing()  # a search that found nobody is not a new pod


def test_an_empty_referral_board_says_how_a_referral_is_ordered_but_a_chosen_filter_does_not(qtbot, engine):
    window, context = _window(qtbot, engine, add_staff_member(engine, "Ada Park, RN"))
    section = window.section("Referrals")
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    _idle(qtbot, context)
    assert section.status_label.text() == "No open referrals."
    first, *others = section.board.visible_columns()
    assert first.state == "ordered" and first.empty.showing()
    assert "New referral… (Ctrl+N)" in first.empty.text() and "Referrals tab" in first.empty.text()
    assert not any(c.empty.showing() for c in others)
    assert section.table_empty.showing()
    urgent = section.urgency_combo.findText("Urgent", Qt.MatchFlag.MatchStartsWith)
    assert urgent > 0
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        section.urgency_combo.setCurrentIndex(urgent)
    assert section.status_label.text() == "No referral matches these filters."
    assert not first.empty.showing() and not section.table_empty.showing()


def test_a_board_with_referrals_gives_no_such_guide(qtbot, engine):
    build_today_pod(engine)
    window, context = _window(qtbot, engine, DANA)
    section = window.section("Referrals")
    with qtbot.waitSignal(section.loaded, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_4, CTRL)
    _idle(qtbot, context)
    assert section.status_label.text().endswith("overdue first in every column")
    assert not any(c.empty.showing() for c in section.board.visible_columns())


def test_an_empty_medication_worklist_says_what_it_lists_and_how_a_review_starts(qtbot, engine):
    window, context = _window(qtbot, engine, add_staff_member(engine, "Ada Park, RN", roles=("pharmacist",)))
    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    section = window.section("Medication reviews")
    qtbot.waitUntil(lambda: section.counts is not None and section.empty.showing(), timeout=20_000)
    text = section.empty.text()
    assert text.startswith("Nothing on the worklist.")
    assert "10 or more active medications" in text and "Reviews tab" in text and "(Ctrl+K)" in text


def test_a_worklist_with_rows_gives_no_guide_and_an_empty_group_says_so(qtbot, engine):
    build_reviews_pod(engine)
    window, context = _window(qtbot, engine, PHARMACIST)
    qtbot.keyClick(window, Qt.Key.Key_6, CTRL)
    section = window.section("Medication reviews")
    qtbot.waitUntil(lambda: section.model.rowCount() == 3 and bool(section.counts), timeout=20_000)
    assert not section.empty.showing()
    draft = section.group_combo.findText("Review not finished", Qt.MatchFlag.MatchStartsWith)
    section.group_combo.setCurrentIndex(draft)
    qtbot.waitUntil(lambda: section.model.rowCount() == 0, timeout=20_000)
    _idle(qtbot, context)
    assert section.empty.showing() and section.empty.text() == "Nothing in “Review not finished” now."
