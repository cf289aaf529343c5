"""The demo's after-hours calls: received outside each practice's office hours, about what
each caller's chart makes likely, paged to the clinician the rota had on call.

A call is drawn as a scenario first (disposition, reason, symptoms, protocol, advice, and whom
it can be about: an age, a sex, a condition, a medication on the list), then a patient the
scenario fits. Its moment is drawn in the practice's own after-hours time (zoneinfo, so the
evenings of daylight-saving time are right), evenings more likely than the small hours.
The night of the reference moment is not handed off yet: its calls wait for the practice's
acknowledgement; a few calls of earlier nights were never acknowledged (the nurse lead's list).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Callable

from domain.calls import DISPOSITIONS
from domain.office_hours import to_utc
from storage.demo import names
from storage.demo.clock import REFERENCE_DATE
from storage.demo.people import Demographics
from storage.demo.pod import PracticePlan

NIGHTS = 60
# local hour → weight of a call in that hour (only after-hours moments are kept)
HOUR_WEIGHTS = (2, 2, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 9, 10, 10, 9, 7, 5, 3)
# disposition weights, in DISPOSITIONS' order
DISPOSITION_WEIGHTS = (3, 12, 14, 26, 10, 24, 11)


@dataclasses.dataclass(frozen=True)
class CallPatient:
    """What a call needs to know of a patient: who, age, sex, conditions, active medications."""

    who: Demographics
    conditions: frozenset[str]
    medications: tuple[str, ...]  # short names: 'lisinopril', 'insulin'

    @property
    def age(self) -> int:
        return self.who.age

    @property
    def sex(self) -> str:
        return self.who.person.sex


NOT_A_NAME = {"HR", "MG", "ML", "UNT", "ACTUAT", "ORAL", "TABLET"}


def short_medication(display: str) -> str:
    """'lisinopril 10 MG Oral Tablet' -> 'lisinopril'; '24 HR Metformin …' -> 'metformin';
    '200 ACTUAT Albuterol …' -> 'albuterol'."""
    words = [w for w in display.replace(",", " ").split() if w.isalpha() and w.upper() not in NOT_A_NAME]
    return (words[0] if words else display).lower()


@dataclasses.dataclass(frozen=True)
class Scenario:
    disposition: str
    reason: str
    symptoms: str
    protocol: str
    advice: str
    fits: Callable[[CallPatient], bool]
    follow_up: str = ""  # what the practice should do, in the nurse's words


def _adult(p: CallPatient) -> bool:
    return p.age >= 18


def _child(low: int = 0, high: int = 17) -> Callable[[CallPatient], bool]:
    return lambda p: low <= p.age <= high


def _taking(*medications: str) -> Callable[[CallPatient], bool]:
    return lambda p: any(m in p.medications for m in medications)


def _with(*conditions: str, adult: bool = True) -> Callable[[CallPatient], bool]:
    return lambda p: (not adult or p.age >= 18) and any(c in p.conditions for c in conditions)


SCENARIOS = (
    Scenario("home_care", "Cold symptoms", "Runny nose, sore throat 2 days, no fever, eating and drinking",
             "Colds - Adult", "Fluids, rest, acetaminophen as labelled; call back if fever lasts over 3 days.", _adult),
    Scenario("home_care", "Fever in child", "Temp 101.2 F since supper, drinking well, playful between doses",
             "Fever - Pediatric", "Fluids, dress lightly, acetaminophen by weight; call back if lethargic or fever over 3 days.",
             _child(1, 12)),
    Scenario("home_care", "Loose stools", "Diarrhea 4 times since morning, no blood, drinking fluids, passing urine",
             "Diarrhea - Adult", "Small frequent sips of fluid, bland food; call back if blood in stool or dizzy.", _adult),
    Scenario("home_care", "Missed evening dose", "Forgot tonight's {med}; feels well", "Medication Question Call - Adult",
             "Take the missed dose only if within 4 hours; otherwise skip it and take the next one as usual.",
             lambda p: p.age >= 18 and bool(p.medications)),
    Scenario("see_within_24h", "Missed doses", "Missed two days of {med}; no symptoms", "Medication Question Call - Adult",
             "Restart {med} tonight at the usual dose; the office will review in the morning.",
             _taking("lisinopril", "amlodipine", "losartan", "hydrochlorothiazide"),
             "Book a blood-pressure check this week."),
    Scenario("see_within_24h", "Ear pain", "Pulling at right ear since this evening, temp 100.8 F", "Earache - Pediatric",
             "Pain relief by weight now; appointment tomorrow.", _child(1, 10), "Appointment tomorrow for ear exam."),
    Scenario("see_within_24h", "Wheezing, using inhaler more", "Needs albuterol every 4-5 hours since yesterday, talking in full sentences",
             "Asthma Attack - Adult", "Albuterol every 4 hours as needed; appointment tomorrow; ED if no relief.",
             _with("asthma", "copd"), "Visit within 24 hours for asthma/COPD review."),
    Scenario("see_within_4h", "Possible UTI", "Burning on urination, frequency since yesterday, no fever",
             "Urination Pain - Female", "Urgent care tonight for urinalysis; fluids.",
             lambda p: p.sex == "female" and p.age >= 18, "Check the urgent-care result."),
    Scenario("see_within_4h", "Ankle injury", "Twisted ankle at practice, swelling, can bear weight with pain",
             "Ankle Injury - Pediatric", "Rest, ice, elevation; urgent care for an X-ray tonight.", _child(8, 17),
             "Check the X-ray result from urgent care."),
    Scenario("see_within_4h", "Cough and fever", "Cough 5 days, temp 102.4 F tonight, no shortness of breath",
             "Cough - Adult", "Urgent care within 4 hours for an exam; fluids, acetaminophen.", _adult,
             "Check the urgent-care visit."),
    Scenario("see_within_3d", "Sore throat", "Sore throat 4 days, no fever, swallowing fine", "Sore Throat - Adult",
             "Salt-water gargles, lozenges; office visit within 3 days if not better.", _adult,
             "Offer a visit in the next 3 days if still sore."),
    Scenario("see_within_3d", "Itchy rash", "Itchy rash on both arms 2 days, no fever, no new medicines",
             "Rash - Widespread - Pediatric", "Cool compresses, fragrance-free moisturiser; office visit within 3 days.",
             _child(2, 17), "Offer a visit within 3 days."),
    Scenario("see_within_3d", "Back pain", "Low back pain after lifting 2 days ago, no numbness, walking",
             "Back Pain - Adult", "Keep moving, heat, ibuprofen as labelled; visit within 3 days if not easing.", _adult),
    Scenario("ed_now", "Shortness of breath", "Short of breath at rest, ankles swollen, weight up 4 lb in 2 days",
             "Breathing Difficulty - Adult", "Go to the emergency department now; do not drive yourself.",
             _with("heart_failure"), "Heart-failure follow-up after the ED visit."),
    Scenario("ed_now", "Dehydration", "Vomiting 8 times, no urine for 10 hours, sleepy", "Vomiting - Pediatric",
             "Emergency department now for assessment and fluids.", _child(0, 10)),
    Scenario("ed_now", "Breathing worse", "Inhaler every hour without relief, can only speak in short phrases",
             "Asthma Attack - Adult", "Emergency department now; use the inhaler on the way.", _with("asthma", "copd")),
    Scenario("ed_now", "Fall with head injury", "Fell at home, hit head, on a blood thinner, now vomiting",
             "Head Injury - Adult", "Emergency department now for a head scan.", lambda p: p.age >= 65),
    Scenario("call_911", "Chest pain", "Crushing chest pain 20 minutes, sweating, pain into left arm", "Chest Pain - Adult",
             "Call 911 now; chew aspirin 325 mg if not allergic.", lambda p: p.age >= 40),
    Scenario("call_911", "Breathing trouble", "Child struggling to breathe, lips bluish", "Breathing Difficulty - Pediatric",
             "Call 911 now; stay on the line.", _child(0, 12)),
    Scenario("on_call_paged", "High blood sugar", "Glucose meter reads 410, thirsty, no vomiting", "Diabetes - High Blood Sugar",
             "On-call clinician paged; {med} correction per clinician.", _taking("insulin", "metformin"),
             "Diabetes visit this week."),
    Scenario("on_call_paged", "Very high blood pressure", "Home BP 192/112 twice, headache, no chest pain, no weakness",
             "High Blood Pressure - Adult", "On-call clinician paged; extra dose per clinician, recheck in 1 hour.",
             _with("hypertension"), "BP recheck within 2 days."),
    Scenario("on_call_paged", "Rash after new antibiotic", "Hives after second dose of an antibiotic from urgent care, no breathing trouble",
             "Rash - Widespread - Pediatric", "On-call clinician paged; stop the antibiotic, antihistamine per clinician.",
             _child(1, 17), "Update the allergy list; review the antibiotic."),
)
BY_DISPOSITION = {d: [s for s in SCENARIOS if s.disposition == d] for d in DISPOSITIONS}
CLINICIAN_NOTES = {
    "on_call_paged": ("Advised as documented; office to follow up.", "Agrees with plan; call back if worse.",
                      "Will see the patient first thing tomorrow."),
    "ed_now": ("Informed; will call the ED.",),
    "call_911": ("Informed; will follow the admission.",),
}


class CallMaker:
    """The calls of one practice, from its workflow stream."""

    def __init__(self, builder, practice: PracticePlan, patients: list[CallPatient]):
        self.builder, self.rng, self.practice, self.patients = builder, builder.rng, practice, patients
        self.office = practice.office
        self.reference = builder.reference
        # the night in progress at the reference moment: its calls are not handed off yet
        self.tonight = self.office.after_hours_window(self.reference)

    def make(self) -> None:
        if not self.patients:
            return
        count = max(3, round(len(self.patients) * 0.03))
        nurses = self.practice.staff_for("nurse")
        viewers = [c.name for c in self.practice.clinicians] + ["Front desk"]
        for index in range(count):
            disposition = self.builder._cycled("disposition", DISPOSITIONS, DISPOSITION_WEIGHTS)
            scenario, patient = self._scenario_and_patient(disposition)
            received = self._received(tonight=index < 2)
            self._write(scenario, patient, received, nurses, viewers, never_acknowledged=index == 2)

    def _scenario_and_patient(self, disposition: str) -> tuple[Scenario, CallPatient | None]:
        rng = self.rng
        options = BY_DISPOSITION[disposition]
        for _ in range(4):
            scenario = rng.choice(options)
            if rng.random() < 0.03 and scenario.fits is _adult:
                return scenario, None  # a caller not yet a patient
            for _ in range(60):
                patient = rng.choice(self.patients)
                if scenario.fits(patient):
                    return scenario, patient
        generic = [s for s in SCENARIOS if s.fits is _adult]
        scenario = rng.choice(generic)
        adults = [p for p in self.patients if p.age >= 18]
        return scenario, (rng.choice(adults) if adults else None)

    def _received(self, tonight: bool) -> dt.datetime:
        """A moment outside office hours: last night's part of tonight, or one of the nights before."""
        rng, office = self.rng, self.office
        if tonight and self.tonight is not None:
            first, last = self.tonight.start, self.reference
        else:
            last = self.tonight.start if self.tonight is not None else self.reference
            first = last - dt.timedelta(days=NIGHTS)
        first_day = office.local_day(first)
        days = (office.local_day(last) - first_day).days + 1
        for _ in range(500):
            day = first_day + dt.timedelta(days=rng.randrange(days))
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            moment = to_utc(dt.datetime.combine(day, dt.time(hour, rng.randrange(60))), office.time_zone)
            if first <= moment < last and office.is_after_hours(moment):
                return moment
        return last - dt.timedelta(minutes=rng.randrange(20, 90))

    def _write(self, scenario: Scenario, patient: CallPatient | None, received: dt.datetime, nurses: list[str],
               viewers: list[str], never_acknowledged: bool) -> None:
        rng, practice = self.rng, self.practice
        medication = rng.choice(patient.medications) if patient and patient.medications else "the medicine"
        symptoms = scenario.symptoms.format(med=medication)
        advice = scenario.advice.format(med=medication)
        if patient is None:
            given, family = rng.choice(names.FEMALE_GIVEN + names.MALE_GIVEN), rng.choice(names.FAMILY)
            caller, relation = f"{given} {family}", "self"
            phone = f"({practice.area_code}) 555-{rng.randrange(10000):04d}"
            born = REFERENCE_DATE - dt.timedelta(days=rng.randint(20 * 365, 70 * 365))
            patient_name, patient_born = caller, born
        else:
            who = patient.who
            phone, patient_name, patient_born = who.phone, "", None
            if patient.age < 18:
                relation = "parent"
            else:
                relation = rng.choices(("self", "spouse", "child", "caregiver"), (80, 10, 6, 4))[0]
            if relation == "self":
                caller = f"{who.given} {who.family}"
            else:
                caller = f"{rng.choice(names.FEMALE_GIVEN + names.MALE_GIVEN)} {who.family}"
        live = rng.random() < 0.4
        called_back = received if live else received + dt.timedelta(minutes=rng.choice((4, 8, 12, 18, 25, 33, 41, 52)))
        paged = scenario.disposition == "on_call_paged" or (
            scenario.disposition in ("ed_now", "call_911") and rng.random() < 0.3)
        call_id = self.builder._id("after_hours_call")
        escalated_to = escalated_at = None
        if paged:
            escalated_at = called_back + dt.timedelta(minutes=rng.randint(2, 12))
            escalated_to = practice.on_call_at(escalated_at)
            answered = scenario.disposition == "on_call_paged" or rng.random() < 0.8
            self.builder.loader["call_page"].add_values(
                id=self.builder._id("call_page"), call_id=call_id, clinician_id=escalated_to, paged_at=escalated_at,
                outcome="reached" if answered else "no_answer",
                note=rng.choice(CLINICIAN_NOTES[scenario.disposition]) if answered else "Paged twice, no answer",
                by=rng.choice(nurses))
        follow_up = scenario.disposition not in ("home_care",) or rng.random() < 0.1
        acknowledged_by, acknowledged_at = "", None
        handed_off = self.tonight is None or received < self.tonight.start
        if handed_off and not never_acknowledged:
            morning = self.office.hand_off_morning(received)
            opening = self.office.overnight(morning).end
            late = rng.random() < 0.05
            acknowledged_at = opening + dt.timedelta(minutes=rng.randrange(150, 360) if late else rng.randrange(5, 110))
            acknowledged_at = min(acknowledged_at, self.reference - dt.timedelta(minutes=rng.randrange(1, 30)))
            acknowledged_by = rng.choice(viewers)
        self.builder.loader["after_hours_call"].add_values(
            id=call_id, practice_id=practice.id, patient_id=patient.who.person.id if patient else None,
            received_at=received, caller_name=caller, caller_relation=relation, caller_phone=phone,
            called_back_at=called_back, reason=scenario.reason, symptoms=symptoms, protocol=scenario.protocol,
            disposition=scenario.disposition, advice=advice, escalated_to_id=escalated_to, escalated_at=escalated_at,
            follow_up_needed=follow_up, taken_by=rng.choice(nurses), acknowledged_by=acknowledged_by,
            acknowledged_at=acknowledged_at, patient_name=patient_name, patient_birth_date=patient_born,
            medications_confirmed=patient is not None and rng.random() < 0.9,
            allergies_confirmed=patient is not None and rng.random() < 0.9,
            advice_repeated_back=rng.random() < 0.85,
            follow_up_note=scenario.follow_up if follow_up else "",
        )
