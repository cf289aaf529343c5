"""Administration > Practices: creating a practice, its details, hours, closed days, clinicians and
on-call rota edited through the page's own widgets, each change saved on the writer and audited."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import QDate, QDateTime, QTime, Qt

from application.calls import on_call_now
from application.practices import PracticeFields, practice_detail
from domain.office_hours import OpeningHours, to_utc
from storage import schema as t
from tests.night_pod import night, night_window  # noqa: F401 (night: a fixture)


@pytest.fixture
def page(qtbot, engine, night):
    window = night_window(qtbot, engine, "Pat Admin")
    admin = window.show_section("Administration")
    page = admin.show_page("Practices")
    window.context.tasks.wait_idle()
    return page


def settle(page):
    page.context.tasks.wait_idle()


def audit_details(app_pod, practice_id):
    with app_pod.engine.connect() as conn:
        return conn.execute(sa.select(t.audit_event.c.detail, t.audit_event.c.actor).where(
            t.audit_event.c.record_type == "Practice", t.audit_event.c.record_id == practice_id)).all()


def select(page, code):
    for i in range(page.list.count()):
        if f"({code})" in page.list.item(i).text():
            page.list.setCurrentRow(i)
    settle(page)
    assert page.detail.code == code


def test_the_page_shows_a_practice_details_calendar_and_rota(page, night):
    select(page, "OAK")
    assert page.details.name.text() == "Oak Family Medicine" and page.details.zone_name() == "America/New_York"
    assert page.details.instructions.toPlainText() == "Page Dr. Patel for chest pain."
    assert [page.hours.open[d].isChecked() for d in range(7)] == [True] * 5 + [False] * 2
    assert page.hours.opens[0].time() == QTime(8, 0) and page.hours.closes[4].time() == QTime(17, 0)
    assert page.clinicians.count() == 2
    holidays = [page.holidays.item(i).text() for i in range(page.holidays.count())]
    assert any("Thanksgiving Day" in h for h in holidays) and any("Independence Day (observed)" in h for h in holidays)
    select(page, "PINE")
    assert page.details.zone_name() == "America/Chicago" and page.hours.opens[0].time() == QTime(8, 30)


def test_hours_closed_days_and_details_are_saved_and_audited(qtbot, page, night, app_pod):
    select(page, "PINE")
    page.hours.open[5].setChecked(True)  # a Saturday morning clinic
    page.hours.opens[5].setTime(QTime(9, 0))
    page.hours.closes[5].setTime(QTime(12, 0))
    page.save_hours()
    settle(page)
    office = practice_detail(app_pod, night.pine).office
    assert office.is_open(to_utc(dt.datetime(2026, 11, 28, 10, 0), "America/Chicago"))
    page.closed_date.setDate(QDate(2026, 12, 24))
    qtbot.keyClicks(page.closed_reason, "Christmas Eve")
    page.add_closed_day()
    settle(page)
    assert [page.closed.item(i).text() for i in range(page.closed.count())] == ["Thu 12/24/2026 — Christmas Eve"]
    page.details.phone.clear()
    qtbot.keyClicks(page.details.phone, "(312) 555-0299")
    page.save_details()
    settle(page)
    assert practice_detail(app_pod, night.pine).phone == "(312) 555-0299"
    details = [d for d, actor in audit_details(app_pod, night.pine)]
    assert any(d.startswith("opening hours:") and "Sat 09:00–12:00" in d for d in details)
    assert "closed day added: 2026-12-24 Christmas Eve" in details and "phone" in details
    assert {actor for _d, actor in audit_details(app_pod, night.pine)} == {"Dana Reyes", "Pat Admin"}
    page.closed.setCurrentRow(0)
    page.remove_closed_day()
    settle(page)
    assert page.closed.count() == 0


def test_a_bad_closed_day_or_bad_hours_are_refused_with_a_message(page, night, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.tasks.QMessageBox.warning", lambda parent, title, text: shown.append(text))
    select(page, "OAK")
    page.closed_date.setDate(QDate(2026, 11, 26))
    page.closed_reason.setText("Turkey")
    page.add_closed_day()
    settle(page)
    page.hours.closes[0].setTime(QTime(7, 0))
    page.save_hours()
    settle(page)
    assert any("federal holiday (Thanksgiving Day)" in s for s in shown)
    assert any("On Monday the office must close after it opens (08:00–07:00)" in s for s in shown)


def test_clinicians_and_rota_slots_are_added_on_the_practice_clock(qtbot, page, night, app_pod):
    select(page, "PINE")
    qtbot.keyClicks(page.new_given, "Lee")
    qtbot.keyClicks(page.new_family, "Wong")
    page.add_clinician()
    settle(page)
    assert page.clinicians.count() == 2
    page.slot_clinician.setCurrentIndex(page.slot_clinician.findText("Lee Wong, MD"))
    page.slot_start.setDateTime(QDateTime(QDate(2026, 12, 28), QTime(17, 30)))
    page.slot_end.setDateTime(QDateTime(QDate(2026, 12, 29), QTime(8, 30)))
    page.slot_weeks.setValue(2)
    page.add_slot()
    settle(page)
    lee = next(c.id for c in practice_detail(app_pod, night.pine).clinicians if c.name == "Lee Wong, MD")
    chicago = "America/Chicago"
    assert on_call_now(app_pod, night.pine, to_utc(dt.datetime(2026, 12, 28, 17, 30), chicago))[0] == lee
    assert on_call_now(app_pod, night.pine, to_utc(dt.datetime(2027, 1, 5, 8, 29), chicago))[0] == lee
    assert on_call_now(app_pod, night.pine, to_utc(dt.datetime(2027, 1, 5, 8, 30), chicago)) is None


def test_a_new_practice_is_created_with_its_hours(page, app_pod, monkeypatch):
    shown = []
    monkeypatch.setattr("ui.tasks.QMessageBox.warning", lambda parent, title, text: shown.append(text))
    task = page.create_practice(PracticeFields("ELM", "Elm Street Clinic", time_zone="America/Denver"),
                                [OpeningHours(d, dt.time(7), dt.time(15)) for d in range(4)])
    settle(page)
    assert task.error is None
    assert page.detail.code == "ELM" and page.title.text() == "Elm Street Clinic (ELM)"
    assert [page.hours.open[d].isChecked() for d in range(7)] == [True] * 4 + [False] * 3
    assert page.details.zone_name() == "America/Denver"
    with app_pod.engine.connect() as conn:
        created = conn.execute(sa.select(t.audit_event.c.actor).where(
            t.audit_event.c.record_type == "Practice", t.audit_event.c.action == "create",
            t.audit_event.c.record_id == page.detail.id)).scalars().all()
    assert created == ["Pat Admin"]
    duplicate = page.create_practice(PracticeFields("ELM", "Another"), [])
    page.context.tasks.wait_for(duplicate)
    assert shown == ["Practice code ELM is already used by Elm Street Clinic."]
