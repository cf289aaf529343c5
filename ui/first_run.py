"""Who is using Carepod, and what a fresh database offers.

Until sign-in exists, the person using Carepod is chosen from the pod's active staff (and
remembered in the settings); every record and audit event carries that name, spelt as the pod
spells it (the command line's ``--as NAME`` gives the same). A database with nothing in it
offers a way in: start the pod with its first practice and staff member (then, if wanted,
import a panel), or fill it with the synthetic demo pod.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QPushButton, QVBoxLayout, QWidget,
)

from application.pod_setup import DEMO_PATIENTS, DEMO_PRACTICES, pod_is_empty, start_pod
from application.staff import ROLE_LABELS, acting_staff_name, active_staff_names, add_staff
from ui.saving import save_and_wait

# the roles offered on the first run (a practice viewer does not start a pod)
FIRST_ROLES = ("administrator", "care_manager", "nurse", "pharmacist", "social_worker")


def suggested_code(name: str) -> str:
    """'Oak Family Medicine' -> 'OFM': the initials, or the first letters of a one-word name."""
    words = re.findall(r"[A-Za-z0-9]+", name or "")
    code = "".join(w[0] for w in words) if len(words) > 1 else (words[0][:4] if words else "")
    return code.upper()[:16]


class ChooseUserDialog(QDialog):
    """"Who is using Carepod?": one of the pod's active staff, nothing typed."""

    def __init__(self, names: list[str], current: str = "", parent: QWidget | None = None, *,
                 at_start: bool = False):
        super().__init__(parent)
        self.setObjectName("chooseUserDialog")
        self.setWindowTitle("Who is using Carepod?")
        intro = QLabel("Choose yourself from the pod's staff. Everything you record, view, print or "
                       "export will carry this name." if at_start else
                       "Choose the staff member using Carepod from now on.")
        intro.setWordWrap(True)
        self.names = QListWidget(objectName="staffNames")
        self.names.addItems(names)
        if current in names:
            self.names.setCurrentRow(names.index(current))
        elif names:
            self.names.setCurrentRow(0)
        self.names.itemActivated.connect(lambda _item: self.accept())
        hint = QLabel("Someone missing? An administrator adds staff on Administration ▸ Staff.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use Carepod as this person")
        if at_start:
            buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Quit")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.names, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(420, 380)

    def chosen(self) -> str:
        item = self.names.currentItem()
        return item.text() if item is not None else ""


class FirstRunDialog(QDialog):
    """A database with nothing in it: start the pod, start and import a panel, or the demo pod.

    ``choice`` is "start", "import" or "demo" once accepted; ``staff_name`` the person who
    started the pod. Saving runs on the task runner's writer while the dialog waits; a rule
    broken (no name, a bad practice code) is shown here and nothing is kept."""

    def __init__(self, context, parent: QWidget | None = None, *, staff_only: bool = False):
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to Carepod")
        self.context, self.staff_only = context, staff_only
        self.choice = ""
        self.staff_name = ""

        title = QLabel("Welcome to Carepod")
        title.setProperty("role", "sectionTitle")
        intro = QLabel(f"This database is empty: <b>{context.database}</b>. Start your pod with its first "
                       "practice and yourself as its first staff member, then add patients by importing a "
                       "panel, or look around in a demo pod first.")
        intro.setWordWrap(True)

        self.name_edit = QLineEdit(objectName="firstStaffName")
        self.name_edit.setPlaceholderText("e.g. Dana Reyes, RN")
        self.role_boxes: dict[str, QCheckBox] = {}
        roles = QGridLayout()
        for index, role in enumerate(FIRST_ROLES):
            box = QCheckBox(ROLE_LABELS[role], objectName=f"firstRole_{role}")
            box.setChecked(role in ("administrator", "care_manager"))
            self.role_boxes[role] = box
            roles.addWidget(box, index // 3, index % 3)
        self.practice_edit = QLineEdit(objectName="firstPracticeName")
        self.practice_edit.setPlaceholderText("e.g. Oak Family Medicine")
        self.code_edit = QLineEdit(objectName="firstPracticeCode")
        self.code_edit.setPlaceholderText("e.g. OFM")
        self.code_edit.setMaxLength(16)
        self._code_typed = False
        self.code_edit.textEdited.connect(lambda _t: setattr(self, "_code_typed", True))
        self.practice_edit.textChanged.connect(self._suggest_code)
        form = QFormLayout()
        form.addRow("Your &name:", self.name_edit)
        form.addRow("Your roles:", roles)
        if not staff_only:
            form.addRow("First &practice:", self.practice_edit)
            form.addRow("Practice &code:", self.code_edit)
        else:
            intro.setText(f"This pod (<b>{context.database}</b>) has no staff yet. Add yourself as its first "
                          "staff member: every record you make will carry your name.")
            self.practice_edit.hide()
            self.code_edit.hide()
        self.error_label = QLabel(objectName="firstRunError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.start_button = QPushButton("&Start the pod", objectName="firstRunStart")
        self.start_button.setDefault(True)
        self.import_button = QPushButton("Start and &import a panel…", objectName="firstRunImport")
        self.start_button.clicked.connect(lambda: self.start("start"))
        self.import_button.clicked.connect(lambda: self.start("import"))
        start_row = QHBoxLayout()
        start_row.addStretch(1)
        start_row.addWidget(self.import_button)
        start_row.addWidget(self.start_button)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        demo_text = QLabel(f"<b>Or look around first:</b> fill this database with a demo pod of "
                           f"{DEMO_PRACTICES} practices and {DEMO_PATIENTS:,} synthetic patients, their gaps "
                           "in care computed. (Start your real pod in another database later: File ▸ Open or create database.)")
        demo_text.setWordWrap(True)
        self.demo_button = QPushButton("Open the &demo pod", objectName="firstRunDemo")
        self.demo_button.clicked.connect(self.open_demo)
        quit_button = QPushButton("&Quit")
        quit_button.clicked.connect(self.reject)
        demo_row = QHBoxLayout()
        demo_row.addWidget(demo_text, 1)
        demo_row.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignTop)

        if staff_only:
            self.start_button.setText("&Add me and continue")
            self.import_button.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addLayout(start_row)
        if not staff_only:
            layout.addSpacing(6)
            layout.addWidget(line)
            layout.addLayout(demo_row)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(quit_button)
        layout.addLayout(bottom)
        self.resize(640, 460)

    def _suggest_code(self, name: str) -> None:
        if not self._code_typed:
            self.code_edit.setText(suggested_code(name))

    def roles(self) -> list[str]:
        return [role for role, box in self.role_boxes.items() if box.isChecked()]

    def start(self, choice: str) -> bool:
        """Create the first practice and staff member (on the writer, while the dialog waits)."""
        pod, name = self.context.pod, self.name_edit.text()
        practice, code, roles = self.practice_edit.text(), self.code_edit.text(), self.roles()

        def work(job):
            if self.staff_only:
                return add_staff(pod.with_actor(" ".join(name.split())), name=name, roles=roles)
            return start_pod(pod, practice_name=practice, practice_code=code, staff_name=name, roles=roles)

        saved, message = save_and_wait(self.context, lambda: work(None), label="Starting the pod…", parent=self,
                                       failed="The pod could not be started")
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            return False
        self.choice, self.staff_name = choice, saved.name
        self.accept()
        return True

    def open_demo(self) -> None:
        self.choice = "demo"
        self.accept()


def start_session(context, as_name: str | None = None, parent: QWidget | None = None) -> str | None:
    """Settle who is using Carepod before the window opens. Returns "ready", "import" (the
    pod was just started: import a panel next), "demo" (fill this empty database with the demo
    pod), or None (the user quit). ``as_name`` (``--as NAME``) must be an active staff member:
    raises :class:`application.staff.UnknownStaffMember` naming it otherwise."""
    pod, settings = context.pod, context.settings
    if as_name is not None:
        settings.user_name = acting_staff_name(pod, as_name)
        return "ready"
    if pod_is_empty(pod):
        dialog = FirstRunDialog(context, parent)
        if not dialog.exec():
            return None
        if dialog.choice != "demo":
            settings.user_name = dialog.staff_name
        return {"start": "ready"}.get(dialog.choice, dialog.choice)
    names = active_staff_names(pod)
    if settings.user_name in names:
        return "ready"
    if not names:
        dialog = FirstRunDialog(context, parent, staff_only=True)
        if not dialog.exec():
            return None
        settings.user_name = dialog.staff_name
        return "ready"
    dialog = ChooseUserDialog(names, settings.user_name, parent, at_start=True)
    if not dialog.exec() or not dialog.chosen():
        return None
    settings.user_name = dialog.chosen()
    return "ready"
