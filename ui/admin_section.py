"""Administration: the pod's set-up, one page per kind of record (staff, practices, …).

Adding a page is one line in ``PAGES``: its title and ``"module:factory"`` (the factory takes
the :class:`ui.context.AppContext` and returns the page widget). A page whose module is not
there yet is left out; with no page at all the section is not shown.
"""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QStackedWidget, QWidget

from ui.context import AppContext
from ui.sections import load_factory

PAGES_WIDTH = 170


@dataclasses.dataclass(frozen=True)
class PageSpec:
    title: str
    factory: str  # "package.module:callable"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Staff", "ui.admin_staff:staff_page"),
    PageSpec("Practices", "ui.admin_practices:practices_page"),
    PageSpec("Audit trail", "ui.admin_audit:audit_page"),
)


class AdminSection(QWidget):
    open_patient = Signal(int)  # a page asks for a patient's chart (the audit trail's events)

    def __init__(self, context: AppContext, pages: list[tuple[str, QWidget]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("adminSection")
        self.context = context
        self.page_list = QListWidget(objectName="adminPages")
        self.page_list.setFixedWidth(PAGES_WIDTH)
        self.stack = QStackedWidget(objectName="adminStack")
        self.pages: dict[str, QWidget] = {}
        for title, widget in pages:
            self.pages[title] = widget
            self.page_list.addItem(title)
            self.stack.addWidget(widget)
            asks = getattr(widget, "open_patient", None)
            if asks is not None and hasattr(asks, "connect"):
                asks.connect(self.open_patient)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.page_list)
        row.addWidget(self.stack, 1)

    def show_page(self, title: str) -> QWidget:
        widget = self.pages[title]
        self.page_list.setCurrentRow(self.stack.indexOf(widget))
        return widget

    def apply_changes(self, changes) -> None:
        for widget in self.pages.values():
            apply = getattr(widget, "apply_changes", None)
            if callable(apply):
                apply(changes)

    def save_settings(self, settings) -> None:
        for widget in self.pages.values():
            save = getattr(widget, "save_settings", None)
            if callable(save):
                save(settings)


def admin_section(context: AppContext) -> AdminSection | None:
    """The main window's section factory: None (no section) until some page exists."""
    pages = []
    for spec in PAGES:
        factory = load_factory(spec.factory)
        if factory is not None:
            pages.append((spec.title, factory(context)))
    if not pages:
        return None
    section = AdminSection(context, pages)
    section.page_list.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return section
