"""What an empty list says: a sentence painted in the middle of a view whose model has no rows
(a new pod's worklists, a search that found nothing), naming what would put rows there and
the key or menu that does it — instead of a blank white table."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QAbstractItemView

MARGIN = 24  # pixels around the sentence
MAX_WIDTH = 640  # a comfortable line length


class EmptyViewMessage(QObject):
    """Paints ``text`` over ``view``'s viewport while its model has no rows (and the text is
    not empty). ``set_text`` changes it; the view is repainted."""

    def __init__(self, view: QAbstractItemView, text: str = ""):
        super().__init__(view)
        self.view, self._text = view, text
        view.viewport().installEventFilter(self)

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.view.viewport().update()

    def showing(self) -> bool:
        """Whether the sentence is shown now (the view has no rows and there is a sentence)."""
        model = self.view.model()
        return bool(self._text) and (model is None or model.rowCount() == 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self.showing():
            viewport = self.view.viewport()
            painter = QPainter(viewport)
            painter.setPen(viewport.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText))
            width = min(MAX_WIDTH, viewport.width() - 2 * MARGIN)
            area = QRect((viewport.width() - width) // 2, MARGIN, width, viewport.height() - 2 * MARGIN)
            painter.drawText(area, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                                       | Qt.TextFlag.TextWordWrap), self._text)
            painter.end()
            return True
        return super().eventFilter(watched, event)
