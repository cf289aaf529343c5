"""The main window: navigation on the left, the chosen section on the right, menus and status bar."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
    QStackedWidget, QWidget,
)

from application.changes import ChangeSet
from ui import dialogs, sections, shortcuts
from ui.context import AppContext

NAVIGATION_WIDTH = 190


class MainWindow(QMainWindow):
    # another database was chosen in File > Open: the app opens a new window on it
    database_chosen = Signal(str)

    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setObjectName("mainWindow")
        self.setWindowTitle("Carepod")
        self._sections: dict[str, QWidget] = {}
        self._section_keys: list[tuple[str, str]] = []

        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setFixedWidth(NAVIGATION_WIDTH)
        self.navigation.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.stack = QStackedWidget(objectName="sections")
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        body = QWidget(objectName="mainBody")
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.navigation)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(body)

        self._build_menus()
        self._build_status_bar()
        # every operation's ChangeSet reaches the sections, which refresh only what they show
        context.tasks.changed.connect(self.apply_changes)
        for spec in sections.SECTIONS:
            widget = sections.build(spec, context)
            if widget is not None:
                self.add_section(spec.name, widget, spec.shortcut)
        self._restore()
        from ui.chart_timer import offer_running_timer

        offer_running_timer(self)  # a timer left running when Carepod last closed (or was killed)

    # -- sections ---------------------------------------------------------------------
    def add_section(self, name: str, widget: QWidget, shortcut: str = "") -> None:
        """Add one section: a navigation entry, its page, a View menu entry and its key."""
        if name in self._sections:
            raise ValueError(f"There is already a section called {name}.")
        self._sections[name] = widget
        item = QListWidgetItem(name)
        if shortcut:
            item.setToolTip(f"{name} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
            self._section_keys.append((shortcut, f"Go to {name}"))
        self.navigation.addItem(item)
        self.stack.addWidget(widget)
        action = QAction(name, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda: self.show_section(name))
        self.view_menu.insertAction(self._view_separator, action)
        open_patient = getattr(widget, "open_patient", None)
        if open_patient is not None and hasattr(open_patient, "connect"):
            open_patient.connect(self.open_chart)
        open_gaps = getattr(widget, "open_gaps", None)
        if open_gaps is not None and hasattr(open_gaps, "connect"):
            open_gaps.connect(self.open_gaps)
        if self.navigation.currentRow() < 0:
            self.navigation.setCurrentRow(0)
        self.find_action.setEnabled("Patients" in self._sections)

    def section(self, name: str) -> QWidget | None:
        return self._sections.get(name)

    def section_names(self) -> list[str]:
        return list(self._sections)

    def show_section(self, name: str) -> QWidget:
        widget = self._sections[name]
        self.navigation.setCurrentRow(self.stack.indexOf(widget))
        return widget

    def current_section_name(self) -> str:
        widget = self.stack.currentWidget()
        return next((name for name, w in self._sections.items() if w is widget), "")

    def find_patient(self) -> None:
        """Ctrl+K from anywhere: the Patients section with the cursor in the search box."""
        if "Patients" in self._sections:
            self.show_section("Patients").focus_search()

    def open_chart(self, patient_id: int) -> None:
        """Any section may ask for a patient's chart: it opens in Patients."""
        if "Patients" in self._sections:
            self.show_section("Patients").open_chart(patient_id)

    def open_gaps(self, gap_filter) -> None:
        """Any section may ask for the Gaps worklist with a filter (Quality: a measure's gaps)."""
        if "Gaps" in self._sections:
            self.show_section("Gaps").set_filter(gap_filter)

    def section_shortcuts(self) -> list[tuple[str, str]]:
        return list(self._section_keys)

    # -- menus and status bar ------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: shortcuts.Shortcut | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(shortcuts.key_sequences(shortcut))
            # window-wide, whichever widget has the focus
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open or create database…", self.choose_database, shortcuts.OPEN_DATABASE)
        self._action(file_menu, "Change &user…", self.choose_user, shortcuts.SWITCH_USER)
        file_menu.addSeparator()
        self._action(file_menu, "&Back up…", self.back_up)
        self._action(file_menu, "&Restore from backup…", self.restore_backup)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, shortcuts.QUIT)
        calls_menu = bar.addMenu("&Calls")
        self.new_call_action = self._action(calls_menu, "&New after-hours call…", self.new_call, shortcuts.NEW_CALL)
        data_menu = bar.addMenu("&Data")
        self._action(data_menu, "&Import data…", self.import_data, shortcuts.IMPORT)
        self._action(data_menu, "Import &history…", self.show_import_history)
        self._action(data_menu, "Possible &duplicates…", self.show_duplicates)
        data_menu.addSeparator()
        self._action(data_menu, "&Recompute gaps in care…", lambda: self.recompute_gaps(), shortcuts.RECOMPUTE)
        self.view_menu = bar.addMenu("&View")
        self._view_separator = self.view_menu.addSeparator()
        self.find_action = self._action(self.view_menu, "&Find patient", self.find_patient,
                                        shortcuts.FIND_PATIENT)
        self._action(self.view_menu, "Care management &month…", self.show_care_month, shortcuts.CARE_MONTH)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, shortcuts.SHOW_SHORTCUTS)
        self._action(help_menu, "&About Carepod", lambda: dialogs.show_about(self))

    def _build_status_bar(self) -> None:
        self.database_label = QLabel(objectName="statusDatabase")
        self.user_label = QLabel(objectName="statusUser")
        self.statusBar().addPermanentWidget(self.database_label, 1)
        self.statusBar().addPermanentWidget(self.user_label)
        self._show_status()

    def _show_status(self) -> None:
        damaged = " — found damaged: read only" if self.context.pod.damaged else ""
        self.database_label.setText(f"Database: {self.context.database}{damaged}")
        self.database_label.setToolTip(self.context.database)
        self.user_label.setText(f"User: {self.context.user or 'nobody chosen'}")
        self.user_label.setToolTip("The staff member every record, view, print and export is recorded "
                                   "under (File ▸ Change user)")

    # -- actions -----------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        dialogs.ShortcutsDialog(self.section_shortcuts(), self).exec()

    def import_data(self) -> None:
        from ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.context, self)
        dialog.import_finished.connect(self._imported)
        dialog.show_duplicates.connect(self.show_duplicates)
        dialog.exec()

    def _imported(self, report) -> None:
        """Gaps follow the data: recompute exactly the patients whose facts changed, in every
        period the pod has gaps of (this year when it has none yet)."""
        from application.measures import periods_with_gaps

        changed = sorted(report.changed_patient_ids)
        if changed and not report.dry_run:
            self.recompute_gaps(patient_ids=changed, start=True, periods=periods_with_gaps(self.context.pod))

    def show_care_month(self):
        from ui.care_month_dialog import show_care_month

        return show_care_month(self)

    def new_call(self) -> None:
        """Ctrl+Shift+N from anywhere: a call entry window, its draft saved as the nurse types."""
        from ui.call_entry import open_call_entry

        open_call_entry(self.context, self)

    def show_import_history(self) -> None:
        from ui.import_history_dialog import ImportHistoryDialog

        ImportHistoryDialog(self.context, self).exec()

    def show_duplicates(self) -> None:
        from ui.duplicates_dialog import DuplicatesDialog

        DuplicatesDialog(self.context, self).exec()

    def recompute_gaps(self, patient_ids: list[int] | None = None, start: bool = False, periods=None) -> None:
        from ui.recompute_dialog import RecomputeDialog

        RecomputeDialog(self.context, self, patient_ids=patient_ids, start=start, periods=periods).exec()

    def apply_changes(self, changes) -> None:
        """An operation changed records: each section that shows some of them refreshes itself
        (``apply_changes(changes)``), the others are left alone."""
        for widget in self._sections.values():
            apply = getattr(widget, "apply_changes", None)
            if callable(apply):
                apply(changes)

    def back_up(self) -> None:
        from ui.backup_actions import back_up

        back_up(self)

    def restore_backup(self) -> None:
        from ui.backup_actions import restore

        restore(self)

    def choose_database(self) -> None:
        """Open a Carepod database, or name a new file to start another pod in (its first run)."""
        from pathlib import Path

        path, _ = QFileDialog.getSaveFileName(self, "Open or create a Carepod database", "",
                                              "Carepod databases (*.db *.sqlite);;All files (*)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if not path:
            return
        if not Path(path).exists():
            Path(path).touch()  # an empty file: opened, it offers the first run
        self.database_chosen.emit(path)

    def choose_user(self, dialog_factory=None) -> bool:
        """File ▸ Change user: one of the pod's active staff (nothing typed: the audit trail's
        "who" is a person of the pod, spelt as the pod spells it)."""
        from application.staff import active_staff_names
        from ui.first_run import ChooseUserDialog

        entering = [w for w in QApplication.topLevelWidgets() if w.objectName() == "callEntry" and w.isVisible()]
        if entering:  # the call's draft and record carry who took it: she finishes or closes it first
            dialogs.show_warning(self, "Change user", "A call is being entered. Save it, or close it (its draft "
                                 "is kept), before changing user: the call names who took it.")
            return False
        names = active_staff_names(self.context.pod)
        dialog = (dialog_factory or ChooseUserDialog)(names, self.context.user, self)
        if not dialog.exec() or not dialog.chosen():
            return False
        self.context.settings.user_name = dialog.chosen()
        self._show_status()
        # every screen that shows the user's own work reads it again for the new user (Today, her
        # drafts, the timers on open charts), so nobody acts on the previous user's list
        self.context.tasks.changed.emit(ChangeSet.of("user", patients=None))
        return True

    # -- remembered layout ---------------------------------------------------------------------
    def _restore(self) -> None:
        settings = self.context.settings
        if not settings.window_geometry.isEmpty():
            self.restoreGeometry(settings.window_geometry)
        else:
            self.resize(1280, 800)
        if not settings.window_state.isEmpty():
            self.restoreState(settings.window_state)
        if settings.section in self._sections:
            self.show_section(settings.section)

    def save_layout(self) -> None:
        settings = self.context.settings
        settings.window_geometry = self.saveGeometry()
        settings.window_state = self.saveState()
        settings.section = self.current_section_name()
        for widget in self._sections.values():
            save = getattr(widget, "save_settings", None)
            if save is not None:
                save(settings)
        settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.save_layout()
        # what is being saved is finished; long work is asked to stop at its next safe point
        self.context.tasks.shutdown()
        super().closeEvent(event)
