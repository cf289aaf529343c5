"""Opening the real main window for keyboard tests, and making a dialog the window keys go to."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from tests.ui.conftest import make_context
from ui.main_window import MainWindow


def open_window(qtbot, engine, user: str, size: tuple[int, int] = (1366, 768)):
    """The main window as a user has it: shown, active (its shortcuts answer), on a laptop's screen."""
    context = make_context(engine, user)
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return active(qtbot, window), context


def active(qtbot, widget):
    """The widget's window as the one keys go to (the offscreen platform activates nothing itself)."""
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)
    return widget


def choosing(name: str):
    """A File > Change user dialog stand-in in which ``name`` is chosen (MainWindow.choose_user)."""
    class Chooser:
        def __init__(self, names, current, parent):
            self.names, self.current = names, current

        def exec(self):
            return True

        def chosen(self):
            return name

    return Chooser
