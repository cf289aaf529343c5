"""A date typed the way clinic staff type it: 03/05/2026, 3/5/26, 2026-03-05, "t" for today,
"+30" for thirty days from today. An unreadable date is shown in red and named by the field's
caption when asked for its value."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from domain.clock import today
from domain.errors import DomainError
from domain.medication_review import add_months
from domain.text import parse_typed_date

_SHORT_YEAR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")
_RELATIVE = re.compile(r"^\+\s*(\d{1,4})\s*(d|days?|w|weeks?|m|months?)?$", re.IGNORECASE)


def read_date(text: str, *, on: dt.date | None = None) -> dt.date | None:
    """The date in ``text`` (None when empty); raises ValueError when it is not a date. Two-digit
    years are this century's (a follow-up in 1/6/27 is in 2027)."""
    text = (text or "").strip()
    on = on or today()
    if not text:
        return None
    if text.lower() in ("t", "today"):
        return on
    relative = _RELATIVE.match(text)
    if relative:
        count, unit = int(relative.group(1)), (relative.group(2) or "d").lower()[0]
        days = count * {"d": 1, "w": 7}.get(unit, 0)
        if unit == "m":
            return add_months(on, count)
        return on + dt.timedelta(days=days)
    short = _SHORT_YEAR.match(text)
    if short:
        month, day, year = (int(x) for x in short.groups())
        try:
            return dt.date(2000 + year, month, day)
        except ValueError:
            raise ValueError(text) from None
    found = parse_typed_date(text)
    if found is None:
        raise ValueError(text)
    return found


class DateField(QLineEdit):
    """``date()`` gives the typed date or None; ``caption`` names the field in error messages."""

    date_changed = Signal()

    def __init__(self, caption: str, parent: QWidget | None = None, **properties):
        super().__init__(parent, **properties)
        self.caption = caption
        self.setPlaceholderText("MM/DD/YYYY")
        self.setToolTip(f"{caption}: type 03/05/2026, 3/5/26, t (today) or +30 (days from today)")
        self.setMaximumWidth(130)
        self.textEdited.connect(self._edited)
        self.editingFinished.connect(self._normalise)

    def _edited(self, _text: str) -> None:
        self._show_valid(self.is_valid())
        self.date_changed.emit()

    def _normalise(self) -> None:
        """Write a readable typed date out in full (t → 12/07/2026) once the field is left."""
        if self.is_valid() and self.text().strip():
            value = self.date()
            written = value.strftime("%m/%d/%Y")
            if written != self.text():
                self.setText(written)

    def is_valid(self) -> bool:
        try:
            read_date(self.text())
        except ValueError:
            return False
        return True

    def _show_valid(self, valid: bool) -> None:
        self.setProperty("invalid", not valid)
        self.setStyleSheet("" if valid else "border: 1px solid #a8323e; background: #fbeeee;")

    def date(self) -> dt.date | None:
        try:
            return read_date(self.text())
        except ValueError:
            raise DomainError(f"{self.caption}: “{self.text().strip()}” is not a date; type it as MM/DD/YYYY.") from None

    def set_date(self, value: dt.date | None) -> None:
        self.setText(value.strftime("%m/%d/%Y") if value else "")
        self._show_valid(True)
