"""Administration ▸ Staff: the pod's shared staff — name, roles, practices covered, active.

Add, edit (roles, practices, e-mail) and deactivate or bring back; every change is a use case
of ``application.staff`` on the task runner's writer, audited. A name is fixed once created
(records carry it); nobody is deleted. File ▸ Change user picks from the active staff here.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from application import gaps as gap_queries
from application import staff as s
from ui.saving import save_and_wait
from ui.style import MUTED
from ui.tables import make_read_only_list

COLUMNS = ("Name", "Roles", "Practices covered", "E-mail", "Status")


def roles_text(roles) -> str:
    return ", ".join(s.ROLE_LABELS.get(r, r) for r in roles)


class StaffDialog(QDialog):
    """Add a staff member, or edit one (the name is then fixed). ``submit(values)`` runs the use
    case and returns None when saved or the rule's message to show here."""

    def __init__(self, practices: list[tuple[int, str, str]], submit: Callable[[dict], str | None],
                 parent: QWidget | None = None, *, row: s.StaffRow | None = None):
        super().__init__(parent)
        self.setObjectName("staffDialog")
        self.setWindowTitle(f"Edit {row.name}" if row else "Add a staff member")
        self.submit = submit
        self.name_edit = QLineEdit(objectName="staffName")
        self.name_edit.setPlaceholderText("e.g. Dana Reyes, RN")
        name_hint = QLabel("Everything this person records will carry the name as written here; it cannot "
                           "be changed later.")
        if row is not None:
            self.name_edit.setText(row.name)
            self.name_edit.setReadOnly(True)
            self.name_edit.setEnabled(False)
            name_hint.setText("Records carry this name, so it stays as it is; to correct it, deactivate this "
                              "staff member and add the right name.")
        name_hint.setProperty("role", "hint")
        name_hint.setWordWrap(True)
        self.role_boxes: dict[str, QCheckBox] = {}
        roles = QGridLayout()
        for index, role in enumerate(s.ROLES):
            box = QCheckBox(s.ROLE_LABELS[role], objectName=f"staffRole_{role}")
            box.setChecked(row is not None and role in row.roles)
            self.role_boxes[role] = box
            roles.addWidget(box, index // 3, index % 3)
        self.practice_list = QListWidget(objectName="staffPractices")
        covered = set(row.practice_ids) if row else set()
        for practice_id, code, name in practices:
            item = QListWidgetItem(f"{name} ({code})")
            item.setData(Qt.ItemDataRole.UserRole, practice_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if practice_id in covered else Qt.CheckState.Unchecked)
            self.practice_list.addItem(item)
        self.practice_list.setMinimumHeight(120)
        self.email_edit = QLineEdit(row.email if row else "", objectName="staffEmail")
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("", name_hint)
        form.addRow("Roles:", roles)
        form.addRow("&Practices covered:", self.practice_list)
        form.addRow("&E-mail:", self.email_edit)
        self.error_label = QLabel(objectName="staffError")
        self.error_label.setProperty("role", "status-alert")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(560, 460)

    def set_practices(self, practice_ids) -> None:
        for index in range(self.practice_list.count()):
            item = self.practice_list.item(index)
            chosen = item.data(Qt.ItemDataRole.UserRole) in set(practice_ids)
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)

    def values(self) -> dict:
        practices = [self.practice_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.practice_list.count())
                     if self.practice_list.item(i).checkState() == Qt.CheckState.Checked]
        return {"name": self.name_edit.text(), "roles": [r for r, b in self.role_boxes.items() if b.isChecked()],
                "practice_ids": practices, "email": self.email_edit.text()}

    def save(self) -> None:
        message = self.submit(self.values())
        if message:
            self.error_label.setText(message)
            self.error_label.show()
            return
        self.accept()


class StaffPage(QWidget):
    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("staffPage")
        self.context = context
        self.rows: list[s.StaffRow] = []
        self.make_dialog = StaffDialog  # tests replace it; the real one is modal
        self._loaded = False

        title = QLabel("Staff of the pod")
        title.setProperty("role", "sectionTitle")
        hint = QLabel("The people who use Carepod, their roles and the practices they cover. Everything they "
                      "record carries their name, so nobody is deleted: a staff member who leaves is deactivated.")
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        self.show_inactive = QCheckBox("Show &inactive staff", objectName="staffShowInactive")
        self.show_inactive.toggled.connect(lambda _on: self._fill())
        self.table = QTableWidget(0, len(COLUMNS), objectName="staffTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        make_read_only_list(self.table)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.edit_selected())
        self.add_button = QPushButton("&Add staff member…", objectName="staffAdd")
        self.edit_button = QPushButton("&Edit…", objectName="staffEdit")
        self.active_button = QPushButton("&Deactivate", objectName="staffActive")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.active_button.clicked.connect(self.toggle_active)
        self.status = QLabel(objectName="staffStatus")
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        QShortcut(QKeySequence("Return"), self.table, self.edit_selected, context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(QKeySequence.StandardKey.New), self, self.add,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_inactive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        self._selection_changed()

    # -- reading ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def reload(self):
        self._loaded = True
        return self.context.tasks.read(lambda job: s.staff_list(self.context.pod), parent=self,
                                       on_done=self.show_rows)

    def show_rows(self, rows: list[s.StaffRow]) -> None:
        self.rows = rows
        self._fill()

    def shown_rows(self) -> list[s.StaffRow]:
        return [r for r in self.rows if r.active or self.show_inactive.isChecked()]

    def _fill(self) -> None:
        selected = self.selected()
        shown = self.shown_rows()
        self.table.setRowCount(len(shown))
        for index, row in enumerate(shown):
            you = " (you)" if row.name == self.context.user else ""
            cells = (row.name + you, roles_text(row.roles), ", ".join(row.practice_codes) or "None yet",
                     row.email, "Active" if row.active else "Inactive")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if not row.active:
                    item.setForeground(QBrush(QColor(MUTED)))
                self.table.setItem(index, column, item)
        self.table.resizeRowsToContents()
        names = [r.name for r in shown]
        if shown:
            self.table.selectRow(names.index(selected.name) if selected and selected.name in names else 0)
        inactive = sum(1 for r in self.rows if not r.active)
        self.status.setText(f"{sum(1 for r in self.rows if r.active)} active staff"
                            + (f" · {inactive} inactive" + ("" if self.show_inactive.isChecked() else " (hidden)")
                               if inactive else ""))
        self._selection_changed()

    def selected(self) -> s.StaffRow | None:
        rows = self.table.selectionModel().selectedRows()
        shown = self.shown_rows() if self.rows else []
        return shown[rows[0].row()] if rows and rows[0].row() < len(shown) else None

    def _selection_changed(self) -> None:
        row = self.selected()
        self.edit_button.setEnabled(row is not None)
        self.active_button.setEnabled(row is not None)
        self.active_button.setText("&Reactivate" if row is not None and not row.active else "&Deactivate")

    def apply_changes(self, changes) -> None:
        if changes.touches("staff", "practices", "user") and self._loaded:  # "(you)"
            self.reload()

    # -- changing ---------------------------------------------------------------------------
    def _run(self, use_case, label: str) -> str | None:
        """Run a use case on the writer while a dialog waits; its message when a rule is broken."""
        saved, message = save_and_wait(self.context, use_case, label=label, parent=self)
        if message is None:
            self.status.setText(f"Saved: {saved.name}.")
        return message

    def _practices(self) -> list[tuple[int, str, str]]:
        return gap_queries.practice_choices(self.context.pod)

    def add(self) -> bool:
        pod = self.context.pod

        def submit(values: dict) -> str | None:
            return self._run(lambda: s.add_staff(pod, **values), "Adding the staff member…")

        return bool(self.make_dialog(self._practices(), submit, self).exec())

    def edit_selected(self) -> bool:
        row, pod = self.selected(), self.context.pod
        if row is None:
            return False

        def submit(values: dict) -> str | None:
            return self._run(lambda: s.edit_staff(pod, row.id, roles=values["roles"],
                                                  practice_ids=values["practice_ids"], email=values["email"]),
                             "Saving the staff member…")

        return bool(self.make_dialog(self._practices(), submit, self, row=row).exec())

    def toggle_active(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        message = self._run(lambda: s.set_staff_active(self.context.pod, row.id, not row.active),
                            "Saving the staff member…")
        if message:
            self.status.setText(message)
            return False
        return True


def staff_page(context) -> StaffPage:
    """The Administration section's page factory (``ui.admin_section.PAGES``)."""
    return StaffPage(context)
