"""The day sheet: a staff member's Today list on paper, by priority, with a box to tick."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.platypus import KeepTogether, Spacer

from reports.document import MARGIN, PageHeading, build, checkbox, grid, para


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
    practices: list[str]  # "Oak Family Medicine (OAK)"
    kinds: list[SheetKind]
    printed_at: dt.datetime
    printed_by: str


def _story(sheet: DaySheet, width: float):
    story = [para(f"Day sheet — {sheet.staff} — {sheet.day:%A %m/%d/%Y}", "title"),
             para("Practices covered: " + ("; ".join(sheet.practices) or "none"), "muted"), Spacer(1, 6)]
    summary = [[para("Priority", "cell_bold"), para("What", "cell_bold"), para("On the list", "cell_bold"),
                para("Why it comes here", "cell_bold")]]
    for kind in sheet.kinds:
        summary.append([para(str(kind.priority), "cell"), para(kind.label, "cell"), para(f"{kind.total:,}", "cell"),
                        para(kind.explanation, "cell")])
    story.append(grid(summary, [0.08 * width, 0.2 * width, 0.1 * width, 0.62 * width]))
    for kind in sheet.kinds:
        if not kind.rows:
            continue
        shown = f"{kind.total:,}" if kind.total == len(kind.rows) else f"the first {len(kind.rows):,} of {kind.total:,}"
        title = para(f"{kind.priority} · {kind.label} — {shown}", "heading")
        rows = [[para(h, "cell_bold") for h in ("Done", "Practice", "Patient", "MRN", "Why", "Since")]]
        for row in kind.rows:
            rows.append([checkbox(), para(row.practice, "cell"), para(row.patient, "cell"),
                         para(row.mrn, "cell"), para(row.reason, "cell"), para(f"{row.since:%m/%d/%Y}", "cell")])
        table = grid(rows, [0.05 * width, 0.09 * width, 0.17 * width, 0.09 * width, 0.51 * width, 0.09 * width])
        story.append(KeepTogether([title, table]) if len(rows) < 12 else title)
        if len(rows) >= 12:
            story.append(table)
    if not any(kind.rows for kind in sheet.kinds):
        story.append(Spacer(1, 10))
        story.append(para("Nothing is on the list for this day.", "body"))
    return story


def write_day_sheet(sheet: DaySheet, path: str | Path) -> int:
    """Write the PDF; returns its page count."""
    heading = PageHeading(f"Day sheet {sheet.day:%m/%d/%Y}", "Practices: " + ", ".join(
        p.rsplit("(", 1)[-1].rstrip(")") for p in sheet.practices), printed_by=sheet.printed_by,
        printed_at=sheet.printed_at, patient=f"{sheet.staff} · {sheet.day:%m/%d/%Y}")
    width = letter[1] - 2 * MARGIN
    return build(path, heading, lambda: _story(sheet, width), landscape=True)
