"""The pharmacist's recommendations to each prescriber after a medication review: one letter per
prescriber (a page, more only when the problems need it), with each problem, the recommendation
and boxes for the response (accept, accept with changes, reject), a line for comments, and a
place to sign and date. The response is entered back in Carepod when the page returns.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from domain.medication_review import CATEGORY_LABELS, NEED_LABELS, DrugTherapyProblem
from reports.medication_documents import DocumentPatient, MedicationLine
from reports.patient_pdf import (
    FONT, INK, RULE, SHADE, DocumentStart, Frame, build, frame_width, marked, para, text, us_date,
)

RESPONSE_BOXES = ("Accept", "Accept with changes", "Reject")


@dataclasses.dataclass(frozen=True)
class Recommendation:
    category: str  # the label, with the need it answers
    about: str
    problem: str
    recommendation: str

    @classmethod
    def of(cls, problem: DrugTherapyProblem) -> "Recommendation":
        label = CATEGORY_LABELS.get(problem.category, problem.category)
        need = NEED_LABELS.get(problem.need, "")
        return cls(f"{label} ({need})" if need else label, problem.about, problem.description,
                   problem.recommendation)


@dataclasses.dataclass(frozen=True)
class Letter:
    prescriber: str
    recommendations: tuple[Recommendation, ...]


@dataclasses.dataclass(frozen=True)
class PrescriberLetters:
    patient: DocumentPatient
    pharmacist: str
    review_date: dt.date
    review_type: str
    prepared_at: dt.datetime  # local time
    medications: tuple[MedicationLine, ...]
    letters: tuple[Letter, ...]


class CheckBox(Flowable):
    """An empty square to tick, with its words."""

    SIZE = 11

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def wrap(self, available_width, available_height):
        return self.SIZE + 6 + stringWidth(self.label, FONT, 12), 14

    def draw(self):
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1)
        self.canv.rect(0, 1, self.SIZE, self.SIZE)
        self.canv.setFont(FONT, 12)
        self.canv.drawString(self.SIZE + 6, 2, self.label)


def write_prescriber_letters(data: PrescriberLetters, path: str) -> int:
    story: list = []
    for index, letter in enumerate(data.letters):
        if index:
            story.append(PageBreak())
        story += _letter(data, letter)
    frame = Frame(data.patient.name, data.patient.birth_date, data.patient.practice, data.prepared_at,
                 data.patient.mrn)
    return build(path, frame, story, title="Medication review recommendations", author=data.pharmacist)


def _letter(data: PrescriberLetters, letter: Letter) -> list:
    p = data.patient
    to = letter.prescriber or "The prescriber"
    head = Table([
        [marked("<b>To:</b>", "cell"), para(to, "cell")],
        [marked("<b>From:</b>", "cell"), para(f"{data.pharmacist}, clinical pharmacist, {p.practice}"
                                               + (f" · phone {p.practice_phone}" if p.practice_phone else ""), "cell")],
        [marked("<b>Date:</b>", "cell"), para(us_date(data.prepared_at.date()), "cell")],
        [marked("<b>Patient:</b>", "cell"), para(f"{p.name} · date of birth {us_date(p.birth_date)} · MRN {p.mrn}",
                                                  "cell")],
        [marked("<b>Review:</b>", "cell"), para(f"{data.review_type} medication review on "
                                                 f"{us_date(data.review_date)}", "cell")],
    ], colWidths=[0.9 * inch, frame_width() - 0.9 * inch])
    head.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    count = len(letter.recommendations)
    story = [DocumentStart(f"Letter to {to}"),
             marked("Medication review: recommendations to the prescriber", "heading"), head, Spacer(1, 8),
             para(f"I reviewed the medications of your patient {p.name} and found "
                  f"{'the following drug-therapy problem' if count == 1 else f'{count} drug-therapy problems'} "
                  "for you. Please mark your response to each recommendation, sign, and return this page to me. "
                  "Your response will be recorded in the patient's medication review.", "cell"),
             Spacer(1, 6)]
    for number, item in enumerate(letter.recommendations, start=1):
        story.append(KeepTogether([_recommendation(number, item), Spacer(1, 8)]))
    if data.medications:
        names = "; ".join(m.name for m in data.medications)
        story.append(para(f"Medications reviewed with the patient: {names}.", "small"))
        story.append(Spacer(1, 10))
    sign = Table([[para("Prescriber signature:", "cell"), "", para("Date:", "cell"), ""]],
                 colWidths=[2.2 * inch, frame_width() - 4.6 * inch, 0.8 * inch, 1.6 * inch], rowHeights=[30])
    sign.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.8, INK), ("LINEBELOW", (3, 0), (3, 0), 0.8, INK),
                              ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story.append(KeepTogether([sign]))
    return story


def _recommendation(number: int, item: Recommendation) -> Table:
    boxes = Table([[CheckBox(label) for label in RESPONSE_BOXES]],
                  colWidths=[1.3 * inch, 2.2 * inch, 1.3 * inch])
    boxes.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    comment = Table([[para("Comments:", "cell"), ""]], colWidths=[1.1 * inch, frame_width() - 1.1 * inch - 24],
                    rowHeights=[24])
    comment.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, 0), 0.6, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                 ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    about = f" — {text(item.about)}" if item.about else ""
    rows = [[marked(f"<b>{number}. {text(item.category)}</b>{about}", "cell")],
            [marked(f"<b>Problem:</b> {text(item.problem)}", "cell")],
            [marked(f"<b>Recommendation:</b> {text(item.recommendation)}", "cell")],
            [boxes], [comment]]
    table = Table(rows, colWidths=[frame_width()])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, INK), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                               ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE), ("LEFTPADDING", (0, 0), (-1, -1), 10),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 10), ("TOPPADDING", (0, 0), (-1, -1), 4),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return table
