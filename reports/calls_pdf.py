"""After-hours call printouts on the report base: a practice's morning hand-off sheet, and the
call record for the practice's chart (one call per page). Built from plain data (never a
session): the application layer writes every value for people first.
"""
from __future__ import annotations

import dataclasses
from xml.sax.saxutils import escape

from reportlab.platypus import Flowable, PageBreak

from reports.base import Heading, PatientLine, Report

URGENT_MARK = "▌ "  # 911 and the emergency department stand out on the sheet


@dataclasses.dataclass(frozen=True)
class SheetCall:
    """One call on the hand-off sheet, its values already written for people."""

    number: int
    received: str
    patient: str  # name, MRN, birth date — or "Not yet a patient: …"
    caller: str
    reason: str
    disposition: str
    urgent: bool  # 911 or emergency department
    action: str  # what the practice must do
    pages: str  # on-call pages, one line each
    acknowledged: str  # "Dr. Patel, 11/02 08:40" or ""


@dataclasses.dataclass(frozen=True)
class HandoffSheet:
    practice: str  # "Oak Family Medicine (OAK)"
    night: str  # "10/30/2026 17:00 EDT to 11/02/2026 08:00 EST"
    acknowledge_by: str
    counts: list[tuple[str, int]]  # disposition label, calls
    calls: list[SheetCall]
    by: str  # who printed it


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One call's record for the practice's chart."""

    practice: str
    patient: PatientLine  # the patient, or "Not yet a patient: …" for a caller not yet registered
    night: str  # the period the header names: "Call of 11/01/2026 01:30 EDT"
    title: str
    fields: list[tuple[str, str]]
    pages: list[tuple[str, str, str, str]]  # when, clinician, outcome, note
    status: str  # "" or "Entered in error: …"


HANDOFF_COLUMNS = ("#", "Received", "Patient", "Caller", "Reason and symptoms", "Disposition", "The practice must",
                   "On-call pages", "Acknowledged")
HANDOFF_WIDTHS = ("fit", 0.09, 0.15, 0.11, 0.18, 0.10, 0.18, 0.10, 0.12)


class HandoffSheetReport(Report):
    """Every call of one practice's night, with what the practice must do about each."""

    landscape = True

    def __init__(self, sheet: HandoffSheet):
        super().__init__(Heading("Morning hand-off of after-hours calls", practice=sheet.practice,
                                 period=f"Night of {sheet.night}", generated_by=sheet.by))
        self.sheet = sheet

    def get_story(self) -> list[Flowable]:
        sheet = self.sheet
        counts = " · ".join(f"{label}: {n}" for label, n in sheet.counts) or "none"
        story = self.title_block(
            f"Morning hand-off — {sheet.practice}",
            subtitle=f"After-hours calls of the night {sheet.night}.",
            facts=[("Calls", f"{len(sheet.calls)} ({counts})"), ("Acknowledge each call by", sheet.acknowledge_by)])
        if not sheet.calls:
            story.append(self.empty("No after-hours calls for this practice that night."))
            return story
        rows = []
        for call in sheet.calls:
            disposition = (self.markup(f"<b>{escape(URGENT_MARK + call.disposition)}</b>", "cell") if call.urgent
                           else call.disposition)
            rows.append((str(call.number), call.received, call.patient, call.caller, call.reason, disposition,
                         call.action, call.pages, call.acknowledged or "Not yet"))
        story.append(self.table(HANDOFF_COLUMNS, rows, HANDOFF_WIDTHS, numeric=(0,), continued="Calls"))
        story.append(self.note(f"{URGENT_MARK.strip()} sent to the emergency department or by 911: the covering care "
                               "manager follows these up too."))
        return story


class _NextHeading(Flowable):
    """Zero-size marker at the end of a page: the next page's header names the next call's
    practice and patient (the header is drawn as each page begins)."""

    def __init__(self, report: Report, heading: Heading):
        super().__init__()
        self.report, self.heading = report, heading

    def wrap(self, *_args):
        return 0, 0

    def draw(self) -> None:
        self.report.heading_info = self.heading
        self.report._header_cache.clear()


class CallRecordsReport(Report):
    """The call record for the practice's chart: one call per page, everything documented;
    each page's header names that call's practice and patient."""

    def __init__(self, records: list[CallRecord], by: str):
        super().__init__(self._heading(records[0], by))
        self.records, self.by = records, by

    @staticmethod
    def _heading(record: CallRecord, by: str) -> Heading:
        return Heading("After-hours call record", practice=record.practice, period=record.night,
                       patient=record.patient, generated_by=by)

    def get_story(self) -> list[Flowable]:
        story: list[Flowable] = []
        for index, record in enumerate(self.records):
            if index:
                story += [_NextHeading(self, self._heading(record, self.by)), PageBreak()]
            story += self.title_block(record.title, subtitle=f"{record.practice} · {record.patient.text()}")
            if record.status:
                story.append(self.markup(f"<b>{escape(record.status)}</b>", "body"))
            story.append(self.table(("Documented", ""), record.fields, (0.3, 0.7)))
            story += self.section("Pages of the on-call clinician", keep=60)
            if record.pages:
                story.append(self.table(("Paged at", "Clinician", "Outcome", "Instructions or note"), record.pages,
                                        (0.2, 0.22, 0.2, 0.38)))
            else:
                story.append(self.empty("The on-call clinician was not paged."))
        return story
