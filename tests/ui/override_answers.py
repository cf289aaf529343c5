"""Stands in for the modal dialog of a documented exclusion, refusal or entered-in-error mark:
fills its fields as a user would and presses Save, once per attempt (or Cancel after them)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from ui.gap_override_dialog import GapOverrideDialog


@dataclasses.dataclass
class Attempt:
    note: str = ""
    reason_code: str = ""
    applies_from: dt.date | None = None
    source: str = ""
    confirm: bool = True  # the answer to "the period is over: document anyway?"


class Answer:
    def __init__(self, *attempts: Attempt | str):
        self.attempts = [a if isinstance(a, Attempt) else Attempt(note=a) for a in attempts]
        self.messages: list[str] = []
        self.dialogs: list[GapOverrideDialog] = []
        self.asked_past_period = 0

    def __call__(self, kind, measure, patient, submit, parent, **options):
        answer = self

        class Scripted(GapOverrideDialog):
            def exec(self):
                answer.dialogs.append(self)
                for attempt in answer.attempts:
                    self.reason_edit.setPlainText(attempt.note)
                    self.choose_reason(attempt.reason_code)
                    self.choose_source(attempt.source)
                    if attempt.applies_from is not None:
                        self.set_applies_from(attempt.applies_from)

                    def confirm(attempt=attempt):
                        answer.asked_past_period += 1
                        return attempt.confirm

                    self.confirm_past_period = confirm
                    self.error_label.clear()
                    self.save()
                    if self.result() == GapOverrideDialog.DialogCode.Accepted:
                        return 1
                    answer.messages.append(self.error_label.text())
                return 0

        return Scripted(kind, measure, patient, submit, parent, **options)


def declined(note: str = "", code: str = "declined-after-discussion", day: dt.date | None = None,
             source: str = "patient", confirm: bool = True) -> Attempt:
    return Attempt(note, code, day, source, confirm)


def excluded(code: str, note: str = "", day: dt.date | None = None, source: str = "outside_records",
             confirm: bool = True) -> Attempt:
    return Attempt(note, code, day, source, confirm)
