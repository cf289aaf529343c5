"""The day sheet: a staff member's Today list on paper, by priority, with a box to tick."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors

from reports.base import Heading, Report, count_text, date_text


@dataclasses.dataclass(frozen=True)
class SheetRow:
    practice: str
    patient: str
    mrn: str
    reason: str
    since: dt.date


@dataclasses.dataclass(frozen=True)
class SheetKind:
    priority: int
    label: str
    explanation: str
    total: int  # on the list (more than the rows when the list shows only the first of them)
    rows: list[SheetRow]


@dataclasses.dataclass(frozen=True)
class DaySheet:
    staff: str
    day: dt.date
    practices: list[tuple[str, str]]  # (code, name)
    kinds: list[SheetKind]
    printed_by: str


def checkbox(size: float = 7.5) -> Drawing:
    """An empty box to tick by hand."""
    box = Drawing(size + 1, size + 1)
    box.add(Rect(0.5, 0.5, size, size, fillColor=None, strokeColor=colors.black, strokeWidth=0.7))
    return box


class DaySheetReport(Report):
    landscape = True

    def __init__(self, sheet: DaySheet):
        codes = ", ".join(code for code, _name in sheet.practices) or "no practices"
        super().__init__(Heading(f"Day sheet of {sheet.staff}", practice=f"Practices {codes}",
                                 period=f"{sheet.day:%A} {date_text(sheet.day)}", generated_by=sheet.printed_by))
        self.sheet = sheet

    def get_story(self):
        sheet = self.sheet
        practices = "; ".join(f"{name} ({code})" for code, name in sheet.practices) or "none"
        story = [*self.title_block(f"Day sheet — {sheet.staff}", f"{sheet.day:%A} {date_text(sheet.day)}",
                                   facts=[("Practices covered", practices),
                                          ("Order", "by priority; within each, the longest waiting first")])]
        story.append(self.table(("Priority", "What", "Items", "Why it comes here"),
                                [(str(k.priority), k.label, count_text(k.total), k.explanation) for k in sheet.kinds],
                                ("fit", "fit", "fit", 1.0), numeric=(2,)))
        for kind in sheet.kinds:
            if not kind.rows:
                continue
            shown = (count_text(kind.total) if kind.total == len(kind.rows)
                     else f"the first {len(kind.rows):,} of {kind.total:,}")
            story += self.section(f"{kind.priority} · {kind.label} — {shown}")
            story.append(self.table(("Done", "Practice", "Patient", "MRN", "Why", "Since"),
                                    [(checkbox(), r.practice, r.patient, r.mrn, r.reason, date_text(r.since))
                                     for r in kind.rows],
                                    ("fit", "fit", 0.22, "fit", 0.78, "fit"), continued=kind.label))
        if not any(kind.rows for kind in sheet.kinds):
            story.append(self.empty("Nothing is on the list for this day."))
        return story


def write_day_sheet(sheet: DaySheet, path: str | Path) -> Path:
    return DaySheetReport(sheet).write(path)
