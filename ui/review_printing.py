"""Printing a review's documents from the screens: the file is chosen (in the user's documents
folder, or wherever the last one went), written on the task runner's writer (the print is
audited there), and the screen is told where it went, with a link to open it."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtWidgets import QFileDialog, QWidget

from application import reviews as app
from domain.clock import today

TITLES = {"documents": "Save the patient's documents", "letters": "Save the prescriber letters",
          "medication_list": "Save the personal medication list"}
NAMES = {"documents": "medication-review", "letters": "prescriber-letters", "medication_list": "medication-list"}


def _folder(context) -> str:
    remembered = context.settings.review_print_folder
    if remembered and Path(remembered).is_dir():
        return remembered
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(Path.home())


def suggested_name(family: str, given: str, which: str) -> str:
    person = re.sub(r"[^A-Za-z0-9]+", "-", f"{family}-{given}").strip("-")
    return f"{person}-{NAMES[which]}-{today().isoformat()}.pdf"


def choose_pdf_path(parent: QWidget, title: str, suggested: str) -> str:
    """The file the user chose ("" when cancelled). Tests replace this function."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, "PDF documents (*.pdf)")
    return path


def _write(context, parent, which: str, family: str, given: str, fn, on_written) -> None:
    path = choose_pdf_path(parent, TITLES[which], str(Path(_folder(context)) / suggested_name(family, given, which)))
    if not path:
        return
    if not path.lower().endswith(".pdf"):
        path += ".pdf"
    context.settings.review_print_folder = str(Path(path).parent)

    def written(printed: app.Printed) -> None:
        url = QUrl.fromLocalFile(printed.path).toString()
        page_word = "page" if printed.pages == 1 else "pages"
        on_written(f"Written: <a href=\"{url}\">{Path(printed.path).name}</a> ({printed.pages} {page_word}) "
                   f"in {Path(printed.path).parent}")

    context.tasks.write(lambda job: fn(path), label="Writing the PDF…", parent=parent, on_done=written)


def print_review_documents(context, parent, sheet: app.ReviewSheet, which: str, on_written) -> None:
    """``which``: "documents" (for the patient) or "letters" (to the prescribers)."""
    patient, review_id = sheet.patient, sheet.review.id
    use_case = app.print_patient_documents if which == "documents" else app.print_prescriber_letters
    _write(context, parent, which, patient.family, patient.given,
           lambda path: use_case(context.pod, review_id, path), on_written)


def print_medication_list(context, parent, patient_id: int, family: str, given: str, on_written) -> None:
    _write(context, parent, "medication_list", family, given,
           lambda path: app.print_medication_list(context.pod, patient_id, path), on_written)
