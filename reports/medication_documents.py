"""The patient's documents after a medication review, in the layout patients know from Medicare's
medication therapy management programme (the CMS standardized format): a cover letter, the
Medication Action Plan and the Personal Medication List.

Built from plain data (:class:`PatientDocuments`), never from a session. Each medication is a
boxed block with the standard rows (how I use it, why I use it, prescriber, date I started,
date I stopped and why), followed by blank blocks for the patient to add to; each action item
has "What we talked about", "What I need to do" and an empty "What I did and when".
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from reportlab.lib.units import inch
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer, Table, TableStyle

from reports.patient_pdf import (
    INK, RULE, SHADE, STYLES, DocumentStart, Frame, build, frame_width, marked, para, text, us_date,
)

KIND_WORDS = {"prescription": "Prescription", "otc": "Over the counter", "herbal": "Herbal",
              "supplement": "Vitamin or supplement"}
BLANK_MEDICATION_BLOCKS = 2
PML_TITLE, MAP_TITLE, LETTER_TITLE = "Personal Medication List", "Medication Action Plan", "Cover letter"


@dataclasses.dataclass(frozen=True)
class DocumentPatient:
    name: str  # as a letter is addressed: Grace Okafor
    birth_date: dt.date
    address: str
    mrn: str
    practice: str
    practice_phone: str
    practice_address: str


@dataclasses.dataclass(frozen=True)
class MedicationLine:
    name: str
    what_for: str
    how: str
    prescriber: str
    started: dt.date | None
    notes: str
    kind: str = "prescription"
    stopped_on: dt.date | None = None
    why_stopped: str = ""


@dataclasses.dataclass(frozen=True)
class ActionItem:
    talked_about: str
    to_do: str


@dataclasses.dataclass(frozen=True)
class PatientDocuments:
    patient: DocumentPatient
    pharmacist: str
    review_date: dt.date | None  # None: the list is made from the record, no review yet
    review_type: str
    prepared_at: dt.datetime  # local time
    allergies: tuple[str, ...]
    medications: tuple[MedicationLine, ...]
    stopped: tuple[MedicationLine, ...]
    actions: tuple[ActionItem, ...]
    follow_up: dt.date | None
    notes: str


def _frame(data: PatientDocuments) -> Frame:
    return Frame(data.patient.name, data.patient.birth_date, data.patient.practice, data.prepared_at,
                 data.patient.mrn)


def write_patient_documents(data: PatientDocuments, path: str) -> int:
    """Cover letter, Medication Action Plan and Personal Medication List in one PDF; pages written."""
    story = _cover_letter(data) + [PageBreak()] + _action_plan(data) + [PageBreak()] + _medication_list(data)
    return build(path, _frame(data), story, title="Your medication review", author=data.pharmacist)


def write_medication_list(data: PatientDocuments, path: str) -> int:
    return build(path, _frame(data), _medication_list(data), title=PML_TITLE, author=data.pharmacist)


def _title(document: str, data: PatientDocuments) -> list:
    return [DocumentStart(document),
            marked(f"{text(document.upper())} FOR {text(data.patient.name)}", "title"),
            marked(f"<b>Date of birth:</b> {us_date(data.patient.birth_date)}", "body")]


# --- cover letter ------------------------------------------------------------------------------

def _cover_letter(data: PatientDocuments) -> list:
    p = data.patient
    practice = [text(p.practice)] + [text(x) for x in (p.practice_address, p.practice_phone and f"Phone {p.practice_phone}") if x]
    story = [DocumentStart(LETTER_TITLE), marked("<b>" + "<br/>".join(practice[:1]) + "</b><br/>" + "<br/>".join(practice[1:]), "body"),
             Spacer(1, 10), para(data.prepared_at.strftime("%B %d, %Y").replace(" 0", " ")), Spacer(1, 6),
             marked("<br/>".join(text(x) for x in (p.name, *[s.strip() for s in p.address.split(",", 1)]) if x), "body"),
             Spacer(1, 12), para(f"Dear {p.name}:")]
    talked = f"on {us_date(data.review_date)}" if data.review_date else "recently"
    story += [
        para(f"Thank you for talking with me {talked} about your health and medications. As part of "
             f"{p.practice}'s medication review program, I reviewed all of your medications with you: the ones "
             "your doctors prescribed, the ones you buy over the counter, and herbals, vitamins and supplements."),
        para("With this letter are an action plan (Medication Action Plan) and a medication list (Personal "
             "Medication List). The action plan has steps you should take to get the best results from your "
             "medications. The medication list will help you keep track of your medications and how to use "
             "them the right way."),
        para("Have your action plan and medication list with you when you talk with your doctors, pharmacists "
             "and other health care providers. Ask them to update the list at every visit. Take your medication "
             "list with you if you go to the hospital or emergency room, and share it with your family or "
             "caregivers."),
    ]
    if data.follow_up:
        story.append(para(f"I will contact you again on or about {us_date(data.follow_up)} to see how things "
                          "are going."))
    phone = f" at {p.practice_phone}" if p.practice_phone else ""
    story += [para(f"If you have any questions about your action plan or medication list, please call me{phone}."),
              Spacer(1, 8), para("Sincerely,"), Spacer(1, 18),
              marked(f"{text(data.pharmacist)}<br/>Clinical pharmacist, {text(p.practice)}", "body")]
    return story


# --- Medication Action Plan ------------------------------------------------------------------------

def _lines(count: int, inset: float = 0) -> Table:
    """Ruled blank lines to write on (``inset``: inside a box, less its padding)."""
    table = Table([[""] for _ in range(count)], colWidths=[frame_width() - inset - 12], rowHeights=[24] * count)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.6, RULE)]))
    return table


def _box(rows: list[list], *, heading: bool = True) -> Table:
    table = Table(rows, colWidths=[frame_width()])
    style = [("BOX", (0, 0), (-1, -1), 1, INK), ("LEFTPADDING", (0, 0), (-1, -1), 10),
             ("RIGHTPADDING", (0, 0), (-1, -1), 10), ("TOPPADDING", (0, 0), (-1, -1), 5),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]
    if heading:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE)]
    table.setStyle(TableStyle(style))
    return table


def _action_plan(data: PatientDocuments) -> list:
    story = _title(MAP_TITLE, data)
    story += [
        para("This action plan will help you get the best results from your medications if you:"),
        para("1. Read “What we talked about.”", "list"),
        para("2. Take the steps listed in the “What I need to do” boxes.", "list"),
        para("3. Fill in “What I did and when.”", "list"),
        para("4. Fill in “My follow-up plan” and “Questions I want to ask.”", "list"),
        para("Have this action plan with you when you talk with your doctors, pharmacists and other health care "
             "providers. Share it with your family or caregivers too."),
        marked(f"<b>Date prepared:</b> {us_date(data.prepared_at.date())}", "body"),
    ]
    if not data.actions:
        story.append(para("We did not agree on any steps for you to take at this review. Keep using your "
                          "medications as shown on your Personal Medication List."))
    for item in data.actions:
        story.append(Spacer(1, 6))
        story.append(KeepTogether(_box([
            [marked(f"<b>What we talked about:</b><br/>{text(item.talked_about)}", "cell")],
            [marked(f"<b>What I need to do:</b><br/>{text(item.to_do)}", "cell")],
            [marked("<b>What I did and when:</b>", "cell")],
            [_lines(2, inset=20)],
        ], heading=False)))
    follow_up = (f"I will be contacted again on or about {us_date(data.follow_up)}." if data.follow_up else "")
    story += [CondPageBreak(2.0 * inch), Spacer(1, 8),
              KeepTogether([marked("<b>My follow-up plan</b> (add notes about next steps):", "body"),
                            para(follow_up) if follow_up else Spacer(1, 0), _lines(2)]),
              Spacer(1, 8),
              KeepTogether([marked("<b>Questions I want to ask</b> (include topics about medications or "
                                   "therapy):", "body"), _lines(2)]),
              Spacer(1, 10)]
    phone = f" at {data.patient.practice_phone}" if data.patient.practice_phone else ""
    who = data.pharmacist or "your pharmacist"
    story.append(para(f"If you have any questions about your action plan, call {who}, {data.patient.practice}{phone}."))
    return story


# --- Personal Medication List -------------------------------------------------------------------------

def _medication_block(line: MedicationLine | None) -> KeepTogether:
    width = frame_width()
    half = (width - 2) / 2

    def field(label: str, value: str) -> object:
        return marked(f"<b>{text(label)}</b> {text(value)}", "cell")

    if line is None:
        name_row = marked("<b>Medication:</b>", "cell_bold")
        values = dict(how="", why="", prescriber="", started="", notes="")
    else:
        kind = KIND_WORDS.get(line.kind, "")
        name_row = marked(f"{text(line.name)}" + (f"  <font size=12>({text(kind)})</font>" if kind else ""),
                          "cell_bold")
        values = dict(how=line.how, why=line.what_for, prescriber=line.prescriber, started=us_date(line.started),
                      notes=line.notes)
    pair = Table([[field("Prescriber:", values["prescriber"]), field("Date I started using it:", values["started"])],
                  [field("Date I stopped using it:", us_date(line.stopped_on) if line else ""),
                   field("Why I stopped using it:", line.why_stopped if line else "")]],
                 colWidths=[half - 10, half - 10])
    pair.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                              ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                              ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows = [[name_row], [field("How I use it:", values["how"])], [field("Why I use it:", values["why"])], [pair]]
    if values["notes"]:
        rows.append([field("Notes:", values["notes"])])
    box = _box(rows)
    return KeepTogether([box, Spacer(1, 8)])


def _medication_list(data: PatientDocuments) -> list:
    story = _title(PML_TITLE, data)
    if data.review_date:
        source = (f"This medication list was made for you after we talked on {us_date(data.review_date)}. "
                  "We also used information from your records at " + data.patient.practice + ".")
    else:
        source = (f"This medication list was made from your records at {data.patient.practice}. It has not yet "
                  "been reviewed with you by a pharmacist: please check it and tell us about anything missing.")
    story += [
        para(source),
        para("Use the blank boxes to add new medications. Then fill in the dates you started using them. Cross out "
             "medications when you no longer use them, and write the date and why you stopped using them."),
        para("Ask your doctors, pharmacists and other health care providers to update this list at every visit. "
             "Keep it up to date with prescription medications, over-the-counter drugs, herbals, vitamins and "
             "minerals. If you go to the hospital or emergency room, take this list with you. Share it with your "
             "family or caregivers too."),
        marked(f"<b>Date prepared:</b> {us_date(data.prepared_at.date())}", "body"),
        Spacer(1, 4),
        _box([[marked("<b>Allergies or side effects</b>", "cell")],
              [para(", ".join(data.allergies) if data.allergies else "None known", "cell")]]),
        Spacer(1, 10),
    ]
    if not data.medications:
        story.append(para("No medications are on your list. Use the boxes below to write down anything you take."))
    for line in data.medications:
        story.append(_medication_block(line))
    for _ in range(BLANK_MEDICATION_BLOCKS):
        story.append(_medication_block(None))
    if data.stopped:
        story += [CondPageBreak(1.5 * inch), marked("<b>Medications you stopped at this review</b>", "heading")]
        for line in data.stopped:
            story.append(_medication_block(line))
    story += [CondPageBreak(1.1 * inch), marked("<b>Other information:</b>", "body")]
    if data.notes:
        story.append(para(data.notes))
    story.append(_lines(2))
    return story
