"""What the board and the chart's Referrals tab both do with a referral: order one, move it,
print its letter. Each opens its dialog window-modally (not blocking) and runs the use case on
the task runner; the ChangeSet it returns refreshes the screens that show referrals."""
from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QWidget

from application import referrals as app
from ui.referral_dialogs import AdvanceReferralDialog, ExpectedDaysDialog, NewReferralDialog, run_and_wait


def _show(parent: QWidget, dialog) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    parent.referral_dialog = dialog  # the one being shown (tests, screen readers)
    dialog.open()


def new_referral(context, parent: QWidget, patient_id: int, patient_name: str):
    """Read the choices (specialties, the practice's clinicians), then ask for the referral."""
    pod = context.pod

    def ask(form: app.ReferralForm) -> None:
        def submit(**fields) -> str | None:
            return run_and_wait(context, parent, lambda: app.order_referral(pod, patient_id=patient_id, **fields),
                                "Ordering the referral…")

        _show(parent, NewReferralDialog(patient_name, form, submit, parent))

    return context.tasks.read(lambda job: app.referral_form(pod, patient_id), parent=parent, on_done=ask)


def move_referral(context, parent: QWidget, referral_id: int, state: str, state_since: dt.datetime,
                  text: str) -> AdvanceReferralDialog:
    pod = context.pod

    def submit(state: str, at: dt.datetime, note: str) -> str | None:
        return run_and_wait(context, parent, lambda: app.advance_referral(pod, referral_id, state, at=at, note=note),
                            "Moving the referral…")

    dialog = AdvanceReferralDialog(text, state, state_since, submit, parent)
    _show(parent, dialog)
    return dialog


def edit_expected_days(context, parent: QWidget):
    pod = context.pod

    def ask(table: dict) -> None:
        def submit(values: dict) -> str | None:
            return run_and_wait(context, parent, lambda: app.set_expected_days(pod, values),
                                "Keeping the expected days…")

        _show(parent, ExpectedDaysDialog(table, submit, parent))

    return context.tasks.read(lambda job: app.expected_days(pod), parent=parent, on_done=ask)


def letter_file_name(patient_name: str, specialty: str) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"referral-{specialty}-{patient_name}").strip("-").lower()
    return f"{words}.pdf"


def print_letter(context, parent: QWidget, referral_id: int, patient_name: str, specialty: str, *,
                 path: str | None = None, on_done=None):
    """Ask where (unless ``path`` is given) and write the referral letter (audited); returns the task."""
    if path is None:
        path, _ = QFileDialog.getSaveFileName(parent, "Print the referral letter",
                                              letter_file_name(patient_name, specialty), "PDF files (*.pdf)")
        if not path:
            return None
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
    pod = context.pod
    return context.tasks.background(lambda job: app.print_referral_letter(pod, referral_id, path),
                                    label="Printing the referral letter…", parent=parent, on_done=on_done)
