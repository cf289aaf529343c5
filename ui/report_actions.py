"""Preview, print and save a practice's quality report, from any screen (Quality, Reports).

``ReportActions(context, parent).preview("RFP", month)`` builds the report on the task runner's
background lane (progress, cancel) and then shows it in :class:`ui.report_preview.ReportPreviewDialog`;
``print_report`` opens the system print dialog and prints on the background lane; ``save``
asks where (the folder last used, else the user's documents) and writes the PDF. Each look,
print and save is audited by the application layer.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from application import reports
from domain.clock import today


def report_month(period_start: dt.date, period_end: dt.date) -> dt.date:
    """The month a report of the period is for: this month, the period's last month once it is
    over, its first month before it has begun."""
    return max(period_start.replace(day=1), min(today().replace(day=1), period_end.replace(day=1)))


class ReportActions(QObject):
    status = Signal(str)  # one sentence for the screen's status line

    def __init__(self, context, parent: QWidget):
        super().__init__(parent)
        self.context, self.parent_widget = context, parent
        self.last_dialog = None  # the preview shown last (tests look at it)

    # -- building --------------------------------------------------------------------------------------
    def build(self, practice_code: str, month: dt.date, then):
        """Read and lay out the report on the background lane, then ``then(printed)`` on the UI thread."""
        pod = self.context.pod

        def work(job):
            try:
                data = reports.practice_quality_report(pod, practice_code, month, progress=job.progress,
                                                       cancel=job.cancelled)
            except reports.Cancelled:
                return None
            job.raise_if_cancelled()
            job.set_label(f"Laying out the pages of {practice_code}'s report…")
            return reports.render(data)

        return self.context.tasks.background(
            work, label=f"Preparing the quality report of {practice_code}…", parent=self.parent_widget,
            on_done=lambda printed: then(printed) if printed is not None else None)

    def preview(self, practice_code: str, month: dt.date):
        return self.build(practice_code, month, self.show_preview)

    def print_report(self, practice_code: str, month: dt.date):
        return self.build(practice_code, month, self.print_printed)

    def save(self, practice_code: str, month: dt.date):
        return self.build(practice_code, month, self.save_printed)

    # -- with a built report ------------------------------------------------------------------------------
    def show_preview(self, printed: reports.PrintedReport):
        from ui.report_preview import ReportPreviewDialog

        pod = self.context.pod
        self.context.tasks.write(lambda job: reports.record_preview(pod, printed), label="Recording the view…",
                                 parent=self.parent_widget)
        dialog = ReportPreviewDialog(printed, self, self.parent_widget)
        self.last_dialog = dialog
        dialog.show()
        return dialog

    def print_printed(self, printed: reports.PrintedReport, parent: QWidget | None = None):
        """The system print dialog, then the pages to the printer on the background lane."""
        # imported when first printing: PDFium and Qt's print support are not needed to start the app
        from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter

        from ui.pdf_pages import PdfPages, prepare_printing, print_pages

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(printed.file_name)
        dialog = QPrintDialog(printer, parent or self.parent_widget)
        dialog.setWindowTitle(f"Print the quality report of {printed.data.practice_code}")
        dialog.setMinMax(1, printed.pages)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        first, last = (printer.fromPage(), printer.toPage()) if printer.fromPage() else (1, printed.pages)
        where = printer.printerName() or printer.outputFileName()
        pod = self.context.pod
        prepare_printing()  # here, on the UI thread (see ui.pdf_pages)

        def work(job):
            pages = PdfPages(printed.pdf)
            try:
                done = print_pages(pages, printer, first=first, last=last, cancelled=job.cancelled,
                                   progress=lambda n, total: job.progress(n, total, f"Printing page {n} of {total}…"))
            finally:
                pages.close()
            if done:
                reports.record_print(pod, printed, where)
            return done

        def printed_pages(done: int) -> None:
            asked = last - first + 1
            which = (f"all {printed.pages} pages" if asked == printed.pages else
                     f"page {first}" if asked == 1 else f"pages {first}–{last}")
            what = f"Printed {which} of {printed.file_name}" if done == asked else \
                f"Printing stopped after {done} of {asked} pages of {printed.file_name}"
            self.status.emit(what + (f" on {where}." if where else "."))

        return self.context.tasks.background(work, label=f"Printing {printed.file_name}…",
                                             parent=parent or self.parent_widget, on_done=printed_pages)

    def save_printed(self, printed: reports.PrintedReport, parent: QWidget | None = None):
        """Ask where (the folder last used), then write the PDF (audited)."""
        settings = self.context.settings
        suggested = str(Path(settings.report_folder) / printed.file_name)
        path, _filter = QFileDialog.getSaveFileName(parent or self.parent_widget, "Save the quality report as PDF",
                                                    suggested, "PDF files (*.pdf)")
        if not path:
            return None
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        pod = self.context.pod

        def saved(result) -> None:
            settings.report_folder = str(result.path.parent)
            self.status.emit(f"Saved {result.path} ({result.pages} pages).")

        return self.context.tasks.write(lambda job: reports.save_report(pod, printed, path),
                                        label=f"Saving {Path(path).name}…", parent=parent or self.parent_widget,
                                        on_done=saved)
