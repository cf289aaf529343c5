"""The referral letter to the specialist: who is referred, by whom, why and how urgently, and
the clinical summary the specialist needs (conditions, medications, allergies, latest results),
with a request to send the report back (closing the loop)."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from reportlab.platypus import Spacer

from reports.base import Heading, PatientLine, Report, date_text


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


class ReferralLetter(Report):
    def __init__(self, data: LetterData):
        printed = data.printed_at.replace(tzinfo=dt.timezone.utc).astimezone()
        super().__init__(Heading(f"Referral to {data.specialty}", practice=f"{data.practice_name} ({data.practice_code})",
                                 period=f"Referral R-{data.referral_id} · ordered {date_text(data.ordered_on)}",
                                 patient=PatientLine(data.patient_name, data.birth_date, data.mrn),
                                 generated_by=data.author, generated_at=printed))
        self.data = data

    def get_story(self):
        d = self.data
        letterhead = " · ".join(x for x in (d.practice_address, f"phone {d.practice_phone}" if d.practice_phone else "",
                                            f"NPI {d.practice_npi}" if d.practice_npi else "") if x)
        story = [*self.title_block(f"Referral to {d.specialty}", f"{d.practice_name} ({d.practice_code})"
                                   + (f" · {letterhead}" if letterhead else ""),
                                   facts=[("To", d.specialist or f"the {d.specialty} service"),
                                          ("Date", date_text(self.generated_at))])]
        story.append(self.paragraph(f"We are referring our patient {d.patient_name} for {d.urgency.lower()} "
                                    f"{d.specialty.lower()} care. Reason for referral: {d.reason}."))
        story.append(Spacer(1, 4))
        patient = [("Name", d.patient_name), ("Date of birth", date_text(d.birth_date)), ("Sex", d.sex),
                   ("MRN", d.mrn), ("Phone", d.patient_phone or "—"), ("Preferred language", d.language or "—"),
                   ("Insurance", d.payer or "None on record")]
        referral = [("Number", f"R-{d.referral_id}"), ("Referring clinician", d.referring_clinician or "—"),
                    ("Urgency", d.urgency), ("Ordered", date_text(d.ordered_on)),
                    ("Status", d.state + (f" · appointment {d.appointment}" if d.appointment else ""))]
        rows = [(*(patient[i] if i < len(patient) else ("", "")), *(referral[i] if i < len(referral) else ("", "")))
                for i in range(max(len(patient), len(referral)))]
        story.append(self.table(("Patient", "", "Referral", ""), rows, (0.16, 0.34, 0.17, 0.33)))
        story += self.section("Active problems")
        story.append(self.table(("Condition", "Since"), d.conditions, (1.0, "fit")) if d.conditions
                     else self.empty("None on record."))
        story += self.section("Current medications")
        story.append(self.table(("Medication", "Since"), d.medications, (1.0, "fit")) if d.medications
                     else self.empty("None on record."))
        story += self.section("Allergies", keep=0.6 * 72)
        story.append(self.paragraph(", ".join(d.allergies) if d.allergies else "No known allergies on record."))
        story += self.section("Latest results")
        story.append(self.table(("Observation", "Value", "Date"), d.observations, (0.5, 0.5, "fit"))
                     if d.observations else self.empty("None on record."))
        story.append(Spacer(1, 10))
        story.append(self.paragraph(
            f"Please send your consultation report to {d.practice_name}"
            + (f" (phone {d.practice_phone})" if d.practice_phone else "")
            + f", quoting referral number R-{d.referral_id}, so that the patient's care team can act on it."))
        story.append(Spacer(1, 14))
        story.append(self.paragraph("Sincerely,"))
        story.append(Spacer(1, 18))
        story.append(self.paragraph(d.referring_clinician or d.practice_name))
        story.append(self.note(f"Prepared by {d.author} for {d.practice_name}"))
        return story


def write_referral_letter(data: LetterData, path: str | Path) -> Path:
    return ReferralLetter(data).write(path)
