"""Who is using Carepod, and a first run (issues 23.9, 23.10, 20.1): the user is chosen from the
pod's active staff and remembered; a fresh database offers to start the pod (first practice and
staff member), to start and import a panel, or the demo pod; ``--as NAME`` is checked the same way."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from PySide6.QtWidgets import QApplication

from storage import schema as t
from tests.ui.conftest import make_context

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _staff(engine, *names, active=True):
    with engine.begin() as conn:
        for name in names:
            conn.execute(sa.insert(t.staff_member).values(name=name, roles="care_manager", active=active))


def _fill(dialog, name="Dana Reyes, RN", practice="Oak Family Medicine", code=None):
    dialog.name_edit.setText(name)
    dialog.practice_edit.setText(practice)
    if code is not None:
        dialog.code_edit.setText(code)


def test_a_fresh_database_offers_to_start_the_pod(qtbot, engine, monkeypatch):
    from ui import first_run

    context = make_context(engine, "")
    seen = []

    def exec_(dialog):
        seen.append(dialog)
        qtbot.keyClicks(dialog.name_edit, "  Dana   Reyes, RN ")
        qtbot.keyClicks(dialog.practice_edit, "Oak Family Medicine")
        assert dialog.code_edit.text() == "OFM"  # suggested from the name
        dialog.start_button.click()
        return dialog.result()

    monkeypatch.setattr(first_run.FirstRunDialog, "exec", exec_)
    assert first_run.start_session(context) == "ready"
    dialog = seen[0]
    assert [b.text() for b in (dialog.start_button, dialog.import_button, dialog.demo_button)] == [
        "&Start the pod", "Start and &import a panel…", "Open the &demo pod"]
    assert context.settings.user_name == context.user == "Dana Reyes, RN"
    with engine.connect() as conn:
        practice = conn.execute(sa.select(t.practice)).one()
        member = conn.execute(sa.select(t.staff_member)).one()
        covered = conn.execute(sa.select(t.staff_practice)).all()
        actors = set(conn.scalars(sa.select(t.audit_event.c.actor)))
    assert (practice.code, practice.name, practice.holding) == ("OFM", "Oak Family Medicine", False)
    assert (member.name, member.roles, member.active) == ("Dana Reyes, RN", "care_manager,administrator", True)
    assert [(c.staff_id, c.practice_id) for c in covered] == [(member.id, practice.id)]
    assert actors == {"Dana Reyes, RN"}  # the first staff member is recorded as having started the pod


def test_starting_needs_a_name_and_a_valid_code_and_keeps_nothing_otherwise(qtbot, engine):
    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(make_context(engine, ""))
    qtbot.addWidget(dialog)
    _fill(dialog, name="")
    assert not dialog.start("start")
    assert dialog.error_label.text() == "Give your name: every record you make will carry it."
    _fill(dialog, practice="", code="")  # the practice's name is asked for first, not its code
    assert not dialog.start("start") and dialog.error_label.text() == "A practice needs a name."
    _fill(dialog, code="O")
    assert not dialog.start("start")
    assert "must be 2-16 capital letters" in dialog.error_label.text()
    for box in dialog.role_boxes.values():
        box.setChecked(False)
    _fill(dialog, code="OFM")
    assert not dialog.start("start") and dialog.error_label.text() == "Choose at least one role."
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.practice)) == 0
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.staff_member)) == 0
    dialog.role_boxes["nurse"].setChecked(True)
    assert dialog.start("import") and dialog.choice == "import"


def test_the_user_is_chosen_from_the_active_staff_and_remembered(qtbot, engine, monkeypatch):
    from ui import first_run

    _staff(engine, "Dana Reyes", "Sam Ortiz")
    _staff(engine, "Lee Park", active=False)
    context = make_context(engine, "")
    offered = []

    def exec_(dialog):
        offered.append([dialog.names.item(i).text() for i in range(dialog.names.count())])
        dialog.names.setCurrentRow(dialog.names.count() - 1)
        return 1

    monkeypatch.setattr(first_run.ChooseUserDialog, "exec", exec_)
    assert first_run.start_session(context) == "ready"
    assert offered == [["Dana Reyes", "Sam Ortiz"]]  # never the OS login, never an inactive member
    assert context.user == "Sam Ortiz"
    assert first_run.start_session(context) == "ready" and len(offered) == 1  # remembered: not asked again
    with engine.begin() as conn:
        conn.execute(sa.update(t.staff_member).where(t.staff_member.c.name == "Sam Ortiz").values(active=False))
    assert first_run.start_session(context) == "ready" and offered[1] == ["Dana Reyes"]  # deactivated: asked again
    assert context.user == "Dana Reyes"


def test_quitting_the_chooser_opens_no_window(qtbot, engine, monkeypatch):
    from ui import first_run

    _staff(engine, "Dana Reyes")
    monkeypatch.setattr(first_run.ChooseUserDialog, "exec", lambda dialog: 0)
    assert first_run.start_session(make_context(engine, "")) is None


def test_as_name_is_an_active_staff_member_spelt_as_the_pod_spells_it(qtbot, engine):
    from application.staff import UnknownStaffMember
    from ui.first_run import start_session

    _staff(engine, "Dana Reyes")
    context = make_context(engine, "")
    assert start_session(context, "  dana   REYES ") == "ready" and context.user == "Dana Reyes"
    with pytest.raises(UnknownStaffMember, match="'Dana Reye' is not an active staff member of this pod; "
                                                 "the active staff are: Dana Reyes."):
        start_session(context, "Dana Reye")


def test_change_user_offers_only_active_staff_and_the_status_bar_shows_the_choice(qtbot, engine):
    from ui.main_window import MainWindow

    _staff(engine, "Dana Reyes", "Sam Ortiz")
    _staff(engine, "Lee Park", active=False)
    window = MainWindow(make_context(engine, "Dana Reyes"))
    qtbot.addWidget(window)
    assert window.user_label.text() == "User: Dana Reyes"
    offered = []

    class Chooser:
        def __init__(self, names, current, parent):
            offered.append((names, current))

        def exec(self):
            return 1

        def chosen(self):
            return "Sam Ortiz"

    assert window.choose_user(Chooser)
    assert offered == [(["Dana Reyes", "Sam Ortiz"], "Dana Reyes")]
    assert window.user_label.text() == "User: Sam Ortiz" and window.context.pod.actor() == "Sam Ortiz"
    from ui.first_run import ChooseUserDialog

    dialog = ChooseUserDialog(["Dana Reyes", "Sam Ortiz"], "Sam Ortiz")
    qtbot.addWidget(dialog)
    assert dialog.chosen() == "Sam Ortiz" and not hasattr(dialog, "lineEdit")  # nothing to type


def test_the_window_opens_after_the_first_run_or_not_at_all(qtbot, db_path):
    from ui.app import UnknownUser, open_window

    app = QApplication.instance()
    db_path.touch()  # an empty file becomes a new database
    assert open_window(app, str(db_path), start=lambda context, as_name: None) is None
    with pytest.raises(UnknownUser, match="the pod has no active staff yet"):
        open_window(app, str(db_path), "Nobody")


@pytest.mark.slow
def test_the_demo_pod_fills_an_empty_database_then_asks_who_is_using_it(qtbot, db_path):
    from storage.db import open_database
    from ui.app import open_window

    open_database(db_path).dispose()  # a fresh, empty database
    answers = iter(["demo", "ready"])
    asked = []

    def start(context, as_name):
        asked.append(context.pod.engine.url.database)
        answer = next(answers)
        if answer == "ready":
            from application.staff import active_staff_names

            context.settings.user_name = active_staff_names(context.pod)[0]
        return answer

    window = open_window(QApplication.instance(), str(db_path), start=start)
    qtbot.addWidget(window)
    assert window is not None and len(asked) == 2 and asked[0] == asked[1] == str(db_path)
    engine = window.context.pod.engine
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.practice)) == 6
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.patient)) == 3000
        years = {d.year for d in conn.scalars(sa.select(sa.distinct(t.gap.c.period_end)))}
    from domain.clock import today

    assert years == {today().year - 1, today().year}
    assert window.user_label.text().startswith("User: ")
    window.close()
