"""A word-wrapped label that is as tall as its text needs at the width it is given."""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel


class WrapLabel(QLabel):
    """A word-wrapped label whose size hint is its height at its real width (a form layout
    otherwise gives it the height of a narrow default width: blank lines under it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        width = self.width() if self.width() > 100 else max(hint.width(), 400)
        return QSize(hint.width(), self.heightForWidth(width))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.updateGeometry()
