"""The sections of the main window's navigation, in the order they are listed.

Adding a section is one line here: its name, ``"module:factory"`` (the factory
takes the :class:`ui.context.AppContext` and returns the widget) and the key that
shows it. A section with an ``open_patient(int)`` signal opens charts in Patients. A section whose module is not there yet is left out, never shown as a
placeholder; an error inside a section's own module still fails loudly.
"""
from __future__ import annotations

import dataclasses
import importlib

from ui.context import AppContext


@dataclasses.dataclass(frozen=True)
class SectionSpec:
    name: str
    factory: str  # "package.module:callable"
    shortcut: str = ""


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("Today", "ui.today_screen:today_section", "Ctrl+1"),
    SectionSpec("Patients", "ui.patients_section:PatientsSection", "Ctrl+2"),
    SectionSpec("Gaps", "ui.gaps_screen:gaps_section", "Ctrl+3"),
    SectionSpec("Referrals", "ui.referral_board:referrals_section", "Ctrl+4"),
    SectionSpec("After-hours calls", "ui.calls_section:calls_section", "Ctrl+5"),
    SectionSpec("Medication reviews", "ui.reviews_section:reviews_section", "Ctrl+6"),
    SectionSpec("Quality", "ui.quality_screen:quality_section", "Ctrl+7"),
    SectionSpec("Reports", "ui.reports_section:reports_section", "Ctrl+8"),
    SectionSpec("Administration", "ui.admin_section:admin_section", "Ctrl+9"),
)


def load_factory(path: str):
    """The callable named by ``"module:callable"``, or None when that module does not exist yet."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, attribute)


def build(spec: SectionSpec, context: AppContext):
    """The section's widget, or None when its module does not exist (not built yet) or the
    factory has nothing to show (returns None). In a database found damaged, a section whose
    own data cannot be read says so in its page: the window still opens, read-only, so that
    what can be read is kept (any other error fails loudly)."""
    from application.pod import UNREADABLE

    factory = load_factory(spec.factory)
    if factory is None:
        return None
    try:
        return factory(context)
    except UNREADABLE:
        if not context.pod.damaged:
            raise
        return _unreadable(spec.name, context)


def _unreadable(name: str, context: AppContext):
    import html

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    page = QWidget(objectName="unreadable_section")
    label = QLabel(f"<b>{html.escape(name)} cannot be shown.</b><br><br>The part of {html.escape(context.database)} "
                   "it reads is "
                   "damaged. Carepod opened the database read-only, so that what can still be read is kept: "
                   "open the other sections for it, then restore the latest backup (File ▸ Restore from "
                   "backup…).", objectName="unreadable_message")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    layout = QVBoxLayout(page)
    layout.addWidget(label)
    layout.addStretch(1)
    return page
