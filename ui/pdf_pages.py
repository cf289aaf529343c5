"""PDF pages on screen and on paper, drawn by PDFium (pypdfium2): PySide6-Essentials has no QtPdf.

``PdfPages(pdf_bytes)`` renders a page to a ``QImage`` at any scale; :class:`PdfPagesView`
shows a document's pages one under the other, fitted to its width, rendering only the pages
that come into view (a report of 3,000 pages opens at once); :func:`print_pages` sends the
pages to a ``QPrinter`` at the printer's resolution (at most 300 dpi). PDFium is not
thread-safe: every call into it holds :data:`PDFIUM_LOCK`, so a print on a worker thread and
a preview painting on the UI thread take turns.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import pypdfium2 as pdfium
from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageWriter, QPainter, QPen
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

PDFIUM_LOCK = threading.RLock()
PAGE_GAP = 14  # pixels between pages on screen
MARGIN = 16
CACHE_PAGES = 12
PRINT_DPI_LIMIT = 300


class PdfPages:
    """One PDF document's pages as images."""

    def __init__(self, data: bytes):
        with PDFIUM_LOCK:
            self._document = pdfium.PdfDocument(data)
            self.sizes = [self._document.get_page_size(i) for i in range(len(self._document))]  # points

    def __len__(self) -> int:
        return len(self.sizes)

    def image(self, index: int, scale: float) -> QImage:
        """Page ``index`` (from 0) at ``scale`` pixels per point, white behind."""
        with PDFIUM_LOCK:
            page = self._document[index]
            try:
                bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True)
                image = QImage(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride,
                               QImage.Format.Format_RGBX8888).copy()  # own the pixels: the bitmap goes
            finally:
                page.close()
        return image

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._document.close()


class PdfPagesView(QAbstractScrollArea):
    """The pages one under the other, each as wide as the view; PgUp/PgDn go a page."""

    current_page_changed = Signal(int, int)  # page shown at the top (from 1), of how many

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pdfPagesView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setStyleSheet("background: #8a949c;")
        self.pages: PdfPages | None = None
        self._cache: OrderedDict[tuple[int, int], QImage] = OrderedDict()
        self._current = 0
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._scrolled())
        self.horizontalScrollBar().setRange(0, 0)

    def set_pages(self, pages: PdfPages | None) -> None:
        self.pages = pages
        self._cache.clear()
        self._current = -1
        self.verticalScrollBar().setValue(0)
        self._layout()
        self._scrolled()
        self.viewport().update()

    # -- geometry ----------------------------------------------------------------------------------------
    def _page_width(self) -> int:
        return max(self.viewport().width() - 2 * MARGIN, 120)

    def _scale(self, index: int) -> float:
        return self._page_width() / self.pages.sizes[index][0]

    def _page_height(self, index: int) -> int:
        width, height = self.pages.sizes[index]
        return round(height * self._page_width() / width)

    def _tops(self) -> list[int]:
        tops, y = [], MARGIN
        for index in range(len(self.pages)):
            tops.append(y)
            y += self._page_height(index) + PAGE_GAP
        return tops

    def _layout(self) -> None:
        bar = self.verticalScrollBar()
        if not self.pages or not len(self.pages):
            bar.setRange(0, 0)
            return
        total = self._tops()[-1] + self._page_height(len(self.pages) - 1) + MARGIN
        bar.setRange(0, max(total - self.viewport().height(), 0))
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(40)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._cache.clear()
        self._layout()

    def sizeHint(self) -> QSize:
        return QSize(760, 900)

    # -- pages --------------------------------------------------------------------------------------------
    def current_page(self) -> int:
        """The page at the top of the view, from 1 (0: no document)."""
        return self._current + 1 if self.pages and len(self.pages) else 0

    def go_to_page(self, number: int) -> None:
        if not self.pages or not len(self.pages):
            return
        index = max(0, min(number - 1, len(self.pages) - 1))
        self.verticalScrollBar().setValue(self._tops()[index] - MARGIN)

    def _scrolled(self) -> None:
        if not self.pages or not len(self.pages):
            self.current_page_changed.emit(0, 0)
            return
        y = self.verticalScrollBar().value() + self.viewport().height() // 3
        tops = self._tops()
        current = max(i for i, top in enumerate(tops) if top <= max(y, tops[0]))
        if current != self._current:
            self._current = current
            self.current_page_changed.emit(current + 1, len(self.pages))
        self.viewport().update()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_PageDown:
            self.go_to_page(self.current_page() + 1)
        elif key == Qt.Key.Key_PageUp:
            self.go_to_page(self.current_page() - 1)
        elif key == Qt.Key.Key_Home:
            self.go_to_page(1)
        elif key == Qt.Key.Key_End:
            self.go_to_page(len(self.pages) if self.pages else 0)
        else:
            super().keyPressEvent(event)

    def _image(self, index: int) -> QImage:
        key = (index, self._page_width())
        image = self._cache.get(key)
        if image is None:
            ratio = self.devicePixelRatioF()
            image = self.pages.image(index, self._scale(index) * ratio)
            image.setDevicePixelRatio(ratio)
            self._cache[key] = image
            while len(self._cache) > CACHE_PAGES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return image

    def paintEvent(self, _event) -> None:
        painter = QPainter(self.viewport())
        painter.fillRect(self.viewport().rect(), QColor("#8a949c"))
        if not self.pages or not len(self.pages):
            painter.setPen(QColor("white"))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "No report to show")
            return
        offset = self.verticalScrollBar().value()
        visible = QRect(0, offset, self.viewport().width(), self.viewport().height())
        for index, top in enumerate(self._tops()):
            rect = QRect(MARGIN, top, self._page_width(), self._page_height(index))
            if rect.top() > visible.bottom():
                break
            if not rect.intersects(visible):
                continue
            target = rect.translated(0, -offset)
            painter.setPen(QPen(QColor(0, 0, 0, 60), 1))
            painter.drawRect(target.adjusted(-1, -1, 0, 0))
            painter.drawImage(target, self._image(index))


def prepare_printing() -> None:
    """Call on the UI thread before :func:`print_pages` runs on a worker: Qt's image format
    plugins are loaded here, on the thread that owns them. A PDF printer loads them the first
    time it draws an image, and loading them from a worker moves each plugin to the UI thread,
    which waits on that thread's lock: with the UI thread waiting for Python's lock meanwhile,
    the two waited for each other (seen once in a test run)."""
    QImageWriter.supportedImageFormats()


def print_pages(pages: PdfPages, printer: QPrinter, *, first: int = 1, last: int | None = None,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> int:
    """Draw pages ``first``..``last`` (from 1) on ``printer``, each fitted to the paper and
    centred; returns the pages printed (fewer when ``cancelled()`` turned true). Safe on a
    worker thread once :func:`prepare_printing` ran on the UI thread: Qt paints on a printer
    from any thread, and PDFium is locked."""
    last = min(last or len(pages), len(pages))
    dpi = min(printer.resolution(), PRINT_DPI_LIMIT)
    printer.setFullPage(True)  # the report has its own margins: draw it on the whole sheet
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"The printer {printer.printerName() or printer.outputFileName()} could not be started.")
    printed = 0
    try:
        for number in range(first, last + 1):
            if cancelled and cancelled():
                break
            if printed:
                printer.newPage()
            width, height = pages.sizes[number - 1]
            image = pages.image(number - 1, dpi / 72.0)
            area = QRectF(printer.pageLayout().fullRectPixels(printer.resolution()))
            area.moveTo(0, 0)
            fit = min(area.width() / width, area.height() / height)
            target = QRectF(0, 0, width * fit, height * fit)
            target.moveCenter(area.center())
            painter.drawImage(target, image)
            printed += 1
            if progress:
                progress(printed, last - first + 1)
    finally:
        painter.end()
    return printed
