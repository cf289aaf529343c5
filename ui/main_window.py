"""The main window: navigation on the left, the chosen section on the right, menus and status bar."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QInputDialog, QLabel, QListWidget, QListWidgetItem, QMainWindow,
    QSplitter, QStackedWidget, QWidget,
)

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
        body = QSplitter(objectName="mainSplitter")
        body.addWidget(self.navigation)
        body.addWidget(self.stack)
        body.setStretchFactor(1, 1)
        body.setChildrenCollapsible(False)
        self.setCentralWidget(body)

        self._build_menus()
        self._build_status_bar()
        for spec in sections.SECTIONS:
            widget = sections.build(spec, context)
            if widget is not None:
                self.add_section(spec.name, widget, spec.shortcut)
        self._restore()

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
        self._action(file_menu, "&Open database…", self.choose_database, shortcuts.OPEN_DATABASE)
        self._action(file_menu, "Change &user…", self.choose_user, shortcuts.SWITCH_USER)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, shortcuts.QUIT)
        self.view_menu = bar.addMenu("&View")
        self._view_separator = self.view_menu.addSeparator()
        self.find_action = self._action(self.view_menu, "&Find patient", self.find_patient,
                                        shortcuts.FIND_PATIENT)
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
        self.database_label.setText(f"Database: {self.context.database}")
        self.database_label.setToolTip(self.context.database)
        self.user_label.setText(f"User: {self.context.user}")

    # -- actions -----------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        dialogs.ShortcutsDialog(self.section_shortcuts(), self).exec()

    def choose_database(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a Carepod database", "",
                                              "Carepod databases (*.db *.sqlite);;All files (*)")
        if path:
            self.database_chosen.emit(path)

    def choose_user(self) -> None:
        from storage.queries.staff import active_staff_names

        names = active_staff_names(self.context.engine)
        current = self.context.user
        if current not in names:
            names.insert(0, current)
        name, ok = QInputDialog.getItem(self, "Current user", "Staff member using Carepod:", names,
                                        names.index(current), True)
        if ok and name.strip():
            self.context.settings.user_name = name
            self._show_status()

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
        super().closeEvent(event)
