"""A small synthetic pod for Today, outreach and referrals, made through the unit of work.

Monday 2 November 2026 is "the day". Dana Reyes covers Oak and Elm; Sam Ortiz covers Pine.
Each patient is there for one rule of the list (named in ``TodayPod``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from domain.calls import AfterHoursCall
from domain.care_plan import Task
from domain.facts import ClinicalFact
from domain.outreach import OutreachAttempt
from domain.patient import Patient
from domain.practice import Clinician, Practice, StaffMember
from domain.referral import Referral
from domain.time_entry import TimeEntry
from storage import outreach_plans
from storage.uow import UnitOfWork

DANA, SAM = "Dana Reyes", "Sam Ortiz"
DAY = dt.date(2026, 11, 2)  # a Monday
NOW = dt.datetime(2026, 11, 2, 15, 0)  # naive UTC, 10:00 in New York


def at(days_before: float, hour: int = 14) -> dt.datetime:
    return dt.datetime.combine(DAY - dt.timedelta(days=days_before), dt.time(hour, 0))


@dataclasses.dataclass
class TodayPod:
    oak: int
    elm: int
    pine: int
    discharged_no_contact: int  # Ann: discharged Saturday, nobody reached her
    discharged_left_message: int  # Bob: discharged Friday, only a message left
    discharged_reached: int  # Cat: reached after her discharge
    discharged_toc_logged: int  # Dan: a transition-of-care contact logged as time
    high_risk_never: int  # Eve: high risk, never contacted
    high_risk_recent: int  # Fay: high risk, reached 10 days ago
    complex_old_contact: int  # Gus: high (set by hand), last reached 40 days ago
    not_covered: int  # Hal: high risk at Pine
    referral_patient: int  # Ida: a routine referral sent 20 days ago (overdue), another sent 5 days ago
    caller: int  # Jon: an ED call last night, a flagged call two nights ago, an old ED call
    outreach_patient: int  # Kim: a message left 5 days ago, next try due
    overdue_referral: int
    fresh_referral: int
    ed_call: int
    flagged_call: int
    old_call: int
    overdue_task: int
    later_task: int
    discharge_fact: int


def build_today_pod(engine) -> TodayPod:
    with UnitOfWork(engine, DANA) as uow:
        oak = uow.practices.add(Practice(code="OAK", name="Oak Family Medicine"))
        elm = uow.practices.add(Practice(code="ELM", name="Elm Street Clinic"))
        pine = uow.practices.add(Practice(code="PINE", name="Pine Ridge Health"))
        patel = uow.clinicians.add(Clinician(practice_id=oak.id, family="Patel", given="Ravi", npi="1234567893"))
        dana = uow.staff.add(StaffMember(name=DANA, roles="care_manager"))
        sam = uow.staff.add(StaffMember(name=SAM, roles="care_manager"))
        uow.staff.add(StaffMember(name="Lee Park", roles="nurse"))
        uow.commit()
        uow.staff.set_covered_practices(dana, [oak.id, elm.id])
        uow.staff.set_covered_practices(sam, [pine.id])

        def patient(practice, mrn, family, given, **more):
            return uow.patients.add(Patient(practice_id=practice.id, mrn=mrn, family=family, given=given,
                                            birth_date=dt.date(1950, 1, 1), **more)).id

        ann = patient(oak, "T001", "Abbott", "Ann", pcp_id=patel.id)
        bob = patient(oak, "T002", "Baker", "Bob")
        cat = patient(oak, "T003", "Carter", "Cat")
        dan = patient(elm, "T004", "Diaz", "Dan")
        eve = patient(oak, "T005", "Evans", "Eve", risk_tier="high")
        fay = patient(oak, "T006", "Foster", "Fay", risk_tier="high")
        gus = patient(elm, "T007", "Garcia", "Gus", risk_tier="moderate", risk_override="high",
                      risk_override_reason="Three admissions this year")
        hal = patient(pine, "T008", "Hughes", "Hal", risk_tier="high")
        ida = patient(oak, "T009", "Ito", "Ida", pcp_id=patel.id)
        jon = patient(oak, "T010", "Jones", "Jon")
        kim = patient(elm, "T011", "Kim", "Kara")
        uow.commit()

        def discharge(pid, ended):
            return uow.facts.add(ClinicalFact(patient_id=pid, kind="encounter", code_system="http://snomed.info/sct",
                                          code="32485007",
                                              display="Hospital admission", start_at=ended - dt.timedelta(days=3),
                                              end_at=ended, encounter_class="IMP")).id

        fact = discharge(ann, at(2, 18))  # Saturday 31 October
        discharge(bob, at(3, 18))  # Friday 30 October
        discharge(cat, at(2, 18))
        discharge(dan, at(1, 18))
        uow.outreach.add(OutreachAttempt(bob, at(1, 15), "phone", "left_message", DANA))
        uow.outreach.add(OutreachAttempt(cat, at(1, 15), "phone", "reached", DANA))
        uow.time_entries.add(TimeEntry(DANA, dan, 15, "transition_of_care", DAY))
        uow.outreach.add(OutreachAttempt(fay, at(10), "phone", "reached", DANA))
        uow.outreach.add(OutreachAttempt(gus, at(40), "phone", "reached", DANA))

        overdue = uow.referrals.add(Referral.order(by=DANA, at=at(22), patient_id=ida, specialty="Cardiology",
                                                   reason="Palpitations", clinician_id=patel.id,
                                                   specialist="Dr. Okafor, Heart Center"))
        uow.referrals.advance(overdue, "sent", at=at(20))
        fresh = uow.referrals.add(Referral.order(by=DANA, at=at(6), patient_id=ida, specialty="Podiatry",
                                                 reason="Diabetic foot exam"))
        uow.referrals.advance(fresh, "sent", at=at(5))

        def call(days, disposition, follow_up=False):
            received = at(days, 3)
            return uow.calls.add(AfterHoursCall(practice_id=oak.id, patient_id=jon, received_at=received,
                                                called_back_at=received + dt.timedelta(minutes=10),
                                                caller_name="Jon Jones", reason="Chest pain",
                                                disposition=disposition, follow_up_needed=follow_up,
                                                taken_by="Lee Park")).id

        ed = call(1, "ed_now")
        flagged = call(2, "see_within_24h", follow_up=True)
        old = call(40, "ed_now")
        call(3, "home_care")  # neither flagged nor an emergency: not on the list

        overdue_task = uow.tasks.add(Task("Call about cardiology appointment", DANA, DAY - dt.timedelta(days=3),
                                          practice_id=oak.id, patient_id=ida, priority="high")).id
        later_task = uow.tasks.add(Task("Check refill history", DANA, DAY + dt.timedelta(days=2), practice_id=oak.id,
                                        patient_id=ida)).id
        uow.tasks.add(Task("Sam's own task", SAM, DAY - dt.timedelta(days=1), practice_id=pine.id, patient_id=hal))
        uow.outreach.add(OutreachAttempt(kim, at(5, 15), "phone", "left_message", DANA))
        uow.commit()
        conn = uow.session.connection()
        for pid in (bob, cat, fay, gus, kim):
            outreach_plans.refresh_patient(conn, pid, NOW)
        uow.commit()
        return TodayPod(oak.id, elm.id, pine.id, ann, bob, cat, dan, eve, fay, gus, hal, ida, jon, kim,
                        overdue.id, fresh.id, ed, flagged, old, overdue_task, later_task, fact)
