"""The referral letter to the specialist: who is referred, by whom, why and how urgently, and
the clinical summary the specialist needs (conditions, medications, allergies, latest results),
with a request to send the report back (closing the loop)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.platypus import Spacer

from reports.document import MARGIN, PageHeading, build, grid, para


@dataclasses.dataclass(frozen=True)
class LetterData:
    referral_id: int
    practice_name: str
    practice_code: str
    practice_address: str
    practice_phone: str
    practice_npi: str
    referring_clinician: str  # "Ravi Patel, MD (NPI 1234567890)" or ""
    patient_name: str
    birth_date: dt.date
    sex: str
    mrn: str
    patient_phone: str
    language: str
    payer: str  # "Medicare Advantage · member MA-99812"
    specialty: str
    specialist: str
    reason: str
    urgency: str  # "Routine", "Urgent", "Stat"
    ordered_on: dt.date
    state: str  # "Sent"
    appointment: str  # "11/20/2026 10:30" or ""
    conditions: list[tuple[str, str]]  # (condition, since)
    medications: list[tuple[str, str]]  # (medication, since)
    allergies: list[str]
    observations: list[tuple[str, str, str]]  # (observation, value, date)
    author: str  # the staff member printing it
    printed_at: dt.datetime  # naive UTC


def _story(data: LetterData, width: float):
    story = [para(f"Referral to {data.specialty}", "title"),
             para(f"{data.practice_name} ({data.practice_code})" + (f" · {data.practice_address}" if data.practice_address
                                                                    else "")
                  + (f" · phone {data.practice_phone}" if data.practice_phone else "")
                  + (f" · NPI {data.practice_npi}" if data.practice_npi else ""), "muted"),
             Spacer(1, 8)]
    to = data.specialist or f"the {data.specialty} service"
    story.append(para(f"To: {to}", "body"))
    story.append(para(f"Date: {data.printed_at.replace(tzinfo=dt.timezone.utc).astimezone():%m/%d/%Y}", "body"))
    story.append(Spacer(1, 6))
    urgency = data.urgency.lower()
    story.append(para(
        f"We are referring our patient {data.patient_name} for {urgency} {data.specialty.lower()} care. "
        f"Reason for referral: {data.reason}.", "body"))
    story.append(Spacer(1, 4))
    facts = [
        ("Patient", data.patient_name), ("Date of birth", f"{data.birth_date:%m/%d/%Y}"), ("Sex", data.sex),
        ("MRN", data.mrn), ("Phone", data.patient_phone or "—"), ("Preferred language", data.language or "—"),
        ("Insurance", data.payer or "None on record"),
        ("Referring clinician", data.referring_clinician or "—"),
        ("Urgency", data.urgency), ("Ordered", f"{data.ordered_on:%m/%d/%Y}"),
        ("Referral status", data.state + (f" · appointment {data.appointment}" if data.appointment else "")),
        ("Referral number", f"R-{data.referral_id}"),
    ]
    half = (len(facts) + 1) // 2
    rows = []
    for i in range(half):
        left = facts[i]
        right = facts[i + half] if i + half < len(facts) else ("", "")
        rows.append([para(left[0], "cell_bold"), para(left[1], "cell"), para(right[0], "cell_bold"),
                     para(right[1], "cell")])
    story.append(grid(rows, [0.17 * width, 0.33 * width, 0.17 * width, 0.33 * width], header=False, zebra=False))

    story.append(para("Active problems", "heading"))
    story.append(_listing([("Condition", "Since")], data.conditions, [0.75, 0.25], width, "None on record"))
    story.append(para("Current medications", "heading"))
    story.append(_listing([("Medication", "Since")], data.medications, [0.75, 0.25], width, "None on record"))
    story.append(para("Allergies", "heading"))
    story.append(para(", ".join(data.allergies) if data.allergies else "No known allergies on record.", "body"))
    story.append(para("Latest results", "heading"))
    story.append(_listing([("Observation", "Value", "Date")], data.observations, [0.4, 0.35, 0.25], width,
                          "None on record"))
    story.append(Spacer(1, 10))
    story.append(para(
        f"Please send your consultation report to {data.practice_name}"
        + (f" (phone {data.practice_phone})" if data.practice_phone else "")
        + f", quoting referral number R-{data.referral_id}, so that the patient's care team can act on it.", "body"))
    story.append(Spacer(1, 14))
    story.append(para("Sincerely,", "body"))
    story.append(Spacer(1, 18))
    story.append(para(data.referring_clinician or data.practice_name, "body"))
    story.append(para(f"Prepared by {data.author} for {data.practice_name}", "muted"))
    return story


def _listing(header, rows, fractions, width, empty: str):
    if not rows:
        return para(empty, "body")
    table_rows = [[para(h, "cell_bold") for h in header[0]]]
    table_rows += [[para(cell, "cell") for cell in row] for row in rows]
    return grid(table_rows, [f * width for f in fractions])


def write_referral_letter(data: LetterData, path: str | Path) -> int:
    """Write the letter as a PDF; returns its page count."""
    heading = PageHeading(f"Referral to {data.specialty}", f"{data.practice_name} ({data.practice_code})",
                          patient=f"{data.patient_name} · MRN {data.mrn} · DOB {data.birth_date:%m/%d/%Y}",
                          printed_by=data.author, printed_at=data.printed_at)
    width = letter[0] - 2 * MARGIN
    return build(path, heading, lambda: _story(data, width))
