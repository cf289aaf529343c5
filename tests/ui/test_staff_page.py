"""Administration ▸ Staff (issue 20.1): name, roles, practices covered, active; add, edit,
deactivate; every change audited; nobody deleted; File ▸ Change user offers the active staff."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from application import staff as s
from storage import schema as t
from tests.ui.conftest import ACTOR, make_context
from ui.admin_staff import StaffDialog, StaffPage

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


class Fill:
    """Stands in for the modal staff dialog: fills it as a user would, then Save (once per entry)."""

    def __init__(self, *entries: dict):
        self.entries = list(entries)
        self.messages: list[str] = []
        self.dialogs: list[StaffDialog] = []

    def __call__(self, practices, submit, parent, **options):
        fill = self

        class Scripted(StaffDialog):
            def exec(self):
                fill.dialogs.append(self)
                for entry in fill.entries:
                    if "name" in entry and not self.name_edit.isReadOnly():
                        self.name_edit.setText(entry["name"])
                    for role, box in self.role_boxes.items():
                        box.setChecked(role in entry.get("roles", ()))
                    self.set_practices(entry.get("practices", ()))
                    self.email_edit.setText(entry.get("email", ""))
                    self.save()
                    if self.result() == StaffDialog.DialogCode.Accepted:
                        return 1
                    fill.messages.append(self.error_label.text())
                return 0

        return Scripted(practices, submit, parent, **options)


@pytest.fixture
def page(qtbot, engine, sample_pod):
    page = StaffPage(make_context(engine, ACTOR))
    page.context.tasks.changed.connect(page.apply_changes)  # as the main window does
    qtbot.addWidget(page)
    page.resize(1100, 600)
    page.show()
    page.context.tasks.wait_idle()
    return page


def _cells(page):
    return [[page.table.item(r, c).text() for c in range(page.table.columnCount())]
            for r in range(page.table.rowCount())]


def test_the_page_lists_name_roles_practices_and_status(page):
    assert _cells(page) == [["Dana Reyes (you)", "Care manager", "None yet", "", "Active"],
                            ["Sam Ortiz", "Clinical pharmacist", "None yet", "", "Active"]]
    assert page.status.text() == "2 active staff"


def test_adding_a_staff_member_is_checked_and_audited(page, engine, sample_pod):
    page.make_dialog = fill = Fill(
        {"name": "dana reyes", "roles": ["nurse"]},  # a name already used (any case)
        {"name": "Lee Park, RN", "roles": []},  # no role
        {"name": "Lee Park, RN", "roles": ["nurse"], "email": "lee@"},  # not an e-mail address
        {"name": "Lee Park, RN", "roles": ["nurse", "care_manager"], "practices": [sample_pod.oak, sample_pod.elm],
         "email": "lee.park@pod.example.org"})
    assert page.add()
    page.context.tasks.wait_idle()
    assert fill.messages == ["There is already a staff member called dana reyes.", "Choose at least one role.",
                             "'lee@' is not an e-mail address."]
    assert ["Lee Park, RN", "Care manager, After-hours nurse", "ELM, OAK", "lee.park@pod.example.org",
            "Active"] in _cells(page)
    with engine.connect() as conn:
        lee = conn.scalar(sa.select(t.staff_member.c.id).where(t.staff_member.c.name == "Lee Park, RN"))
        events = conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.action, t.audit_event.c.detail)
                              .where(t.audit_event.c.record_type == "StaffMember", t.audit_event.c.record_id == lee)
                              .order_by(t.audit_event.c.id)).all()
    assert [(a, action) for a, action, _d in events] == [(ACTOR, "create"), (ACTOR, "change")]
    assert events[1].detail.startswith("covered practices: ")


def test_editing_keeps_the_name_and_the_earlier_values(page, engine, sample_pod):
    page.table.selectRow(1)  # Sam Ortiz
    page.make_dialog = fill = Fill({"name": "Samuel Ortiz", "roles": ["pharmacist", "social_worker"],
                                    "practices": [sample_pod.elm]})
    assert page.edit_selected()
    page.context.tasks.wait_idle()
    assert fill.dialogs[0].name_edit.isReadOnly()
    assert _cells(page)[1] == ["Sam Ortiz", "Clinical pharmacist, Social worker", "ELM", "", "Active"]
    with engine.connect() as conn:
        revision = conn.execute(sa.select(t.record_revision).where(
            t.record_revision.c.record_type == "StaffMember")).one()
    assert revision.old_values == {"roles": "pharmacist"} and revision.changed_by == ACTOR


def test_deactivating_hides_from_the_chooser_never_deletes_and_not_yourself(page, engine):
    page.table.selectRow(0)  # you
    assert not page.toggle_active()
    assert page.status.text().startswith("You are using Carepod as Dana Reyes: choose another user")
    page.table.selectRow(1)
    assert page.active_button.text() == "&Deactivate"
    assert page.toggle_active()
    page.context.tasks.wait_idle()
    assert [r[0] for r in _cells(page)] == ["Dana Reyes (you)"]
    assert page.status.text() == "1 active staff · 1 inactive (hidden)"
    assert s.active_staff_names(page.context.pod) == ["Dana Reyes"]
    page.show_inactive.setChecked(True)
    assert _cells(page)[1] == ["Sam Ortiz", "Clinical pharmacist", "None yet", "", "Inactive"]
    page.table.selectRow(1)
    assert page.active_button.text() == "&Reactivate"
    assert page.toggle_active()
    page.context.tasks.wait_idle()
    assert s.active_staff_names(page.context.pod) == ["Dana Reyes", "Sam Ortiz"]
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.staff_member)) == 2
        reasons = list(conn.scalars(sa.select(t.record_revision.c.reason).order_by(t.record_revision.c.id)))
    assert reasons == ["deactivated on the Staff page", "reactivated on the Staff page"]


def test_the_administration_section_shows_the_staff_page(qtbot, engine, sample_pod):
    from ui.main_window import MainWindow

    window = MainWindow(make_context(engine, ACTOR))
    qtbot.addWidget(window)
    admin = window.show_section("Administration")
    assert isinstance(admin.show_page("Staff"), StaffPage)
