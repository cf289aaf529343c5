"""A printed report on screen, page by page, before it is printed or saved."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ui.pdf_pages import PdfPages, PdfPagesView


class ReportPreviewDialog(QDialog):
    """``ReportPreviewDialog(printed, actions, parent)``: the pages, Print… (Ctrl+P), Save as PDF…
    (Ctrl+S), Close (Esc); PgUp/PgDn, Home/End move through the pages."""

    def __init__(self, printed, actions, parent=None):
        super().__init__(parent)
        self.setObjectName("reportPreview")
        self.printed, self.actions = printed, actions
        data = printed.data
        self.setWindowTitle(f"Quality report of {data.practice_label}, {data.month:%B %Y}")
        self.pages = PdfPages(printed.pdf)
        self.view = PdfPagesView(self)
        self.page_label = QLabel(objectName="reportPreviewPage")
        self.page_label.setProperty("role", "hint")
        self.print_button = QPushButton("Print…", objectName="reportPreviewPrint")
        self.save_button = QPushButton("Save as PDF…", objectName="reportPreviewSave")
        self.close_button = QPushButton("Close", objectName="reportPreviewClose")
        self.print_button.setToolTip("Print the report (Ctrl+P)")
        self.save_button.setToolTip("Save the report as a PDF file (Ctrl+S)")
        self.print_button.clicked.connect(self.print_report)
        self.save_button.clicked.connect(self.save_report)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_report)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save_report)

        title = QLabel(f"{data.practice_label} · {data.month:%B %Y} · {printed.pages} pages")
        title.setProperty("role", "sectionTitle")
        bar = QHBoxLayout()
        bar.addWidget(title)
        bar.addStretch(1)
        bar.addWidget(self.page_label)
        bar.addSpacing(12)
        for button in (self.print_button, self.save_button, self.close_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.view.current_page_changed.connect(self._show_page)
        self.view.set_pages(self.pages)
        self.resize(860, 960)
        self.view.setFocus()

    def _show_page(self, page: int, total: int) -> None:
        self.page_label.setText(f"Page {page} of {total}")

    def print_report(self):
        return self.actions.print_printed(self.printed, self)

    def save_report(self):
        return self.actions.save_printed(self.printed, self)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None and self.height() > screen.height() - 40:
            self.resize(min(self.width(), screen.width() - 40), screen.height() - 40)

    def closeEvent(self, event) -> None:
        self.view.set_pages(None)
        self.pages.close()
        super().closeEvent(event)
