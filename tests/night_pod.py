"""A small pod for the night nurse tests, made through the application's own use cases.

Oak Family Medicine (New York, 08:00-17:00) and Pine Pediatrics (Chicago, 08:30-17:30); Oak's
rota has Dr. Patel on call the night of Monday 23 November 2026 and Dr. Kim the next; calls of
that night at both practices, one the next evening.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from application.calls import CallEntry, PageEntry, save_call
from application.practices import PracticeFields, add_clinician, add_on_call_slots, create_practice, practice_detail
from domain.facts import ClinicalFact
from domain.office_hours import OpeningHours, to_utc
from domain.patient import Patient

NEW_YORK, CHICAGO = "America/New_York", "America/Chicago"
MORNING = dt.date(2026, 11, 24)  # Tuesday: the hand-off of Monday night


def ny(*args) -> dt.datetime:
    return to_utc(dt.datetime(*args), NEW_YORK)


def chi(*args) -> dt.datetime:
    return to_utc(dt.datetime(*args), CHICAGO)


@dataclasses.dataclass
class NightPod:
    oak: int
    pine: int
    patel: int
    kim: int
    ruiz: int
    grace: int   # Okafor, Grace (Oak): metformin, penicillin allergy
    john: int    # Smith, John (Oak)
    mia: int     # Lopez, Mia (Pine), a child
    calls: dict[str, int]


def build_night_pod(pod) -> NightPod:
    oak = create_practice(pod, PracticeFields(
        "OAK", "Oak Family Medicine", address="12 Oak St, Salem, MA 01970", phone="(978) 555-0100", tin="12-3456789",
        npi="1234567893", after_hours_instructions="Page Dr. Patel for chest pain.", time_zone=NEW_YORK)).practice_id
    pine = create_practice(pod, PracticeFields("PINE", "Pine Pediatrics", phone="(312) 555-0200", time_zone=CHICAGO),
                           [OpeningHours(d, dt.time(8, 30), dt.time(17, 30)) for d in range(5)]).practice_id
    add_clinician(pod, oak, given="Ravi", family="Patel")
    add_clinician(pod, oak, given="Jin", family="Kim", credentials="DO")
    add_clinician(pod, pine, given="Ana", family="Ruiz")
    oak_clinicians = {c.name.split(",")[0].split()[-1]: c.id for c in practice_detail(pod, oak).clinicians}
    ruiz = practice_detail(pod, pine).clinicians[0].id
    add_on_call_slots(pod, oak, oak_clinicians["Patel"], dt.datetime(2026, 11, 23, 17), dt.datetime(2026, 11, 24, 8))
    add_on_call_slots(pod, oak, oak_clinicians["Kim"], dt.datetime(2026, 11, 24, 17), dt.datetime(2026, 11, 25, 8))

    with pod.unit_of_work() as uow:
        def patient(practice, mrn, family, given, born, phone):
            return uow.patients.add(Patient(practice_id=practice, mrn=mrn, family=family, given=given,
                                            birth_date=born, phone=phone)).id

        grace = patient(oak, "M001", "Okafor", "Grace", dt.date(1951, 2, 28), "(617) 555-0147")
        john = patient(oak, "M002", "Smith", "John", dt.date(1957, 3, 4), "617-555-2290")
        mia = patient(pine, "P100", "Lopez", "Mia", dt.date(2021, 5, 5), "(312) 555-0190")
        uow.facts.add(ClinicalFact(patient_id=grace, kind="medication_request", code_system="rxnorm", code="860975",
                                   display="Metformin 500 MG", status="active", start_at=dt.datetime(2024, 1, 3)))
        uow.facts.add(ClinicalFact(patient_id=grace, kind="allergy", code_system="snomed", code="91936005",
                                   display="Allergy to penicillin", clinical_status="active"))
        uow.commit()

    def call(key, practice, received, **fields):
        values = dict(practice_id=practice, received_at=received, caller_name="Caller", reason="Question",
                      disposition="home_care")
        values.update(fields)
        return key, save_call(pod, CallEntry(**values)).call_id

    calls = dict((
        call("grace", oak, ny(2026, 11, 23, 22, 10), patient_id=grace, caller_name="Grace Okafor",
             reason="Dizzy after new medication", symptoms="Light-headed on standing", disposition="see_within_24h",
             advice="Sit before standing; office will call", called_back_at=ny(2026, 11, 23, 22, 25)),
        call("john", oak, ny(2026, 11, 24, 7, 30), patient_id=john, caller_name="Mary Smith", caller_relation="spouse",
             reason="Chest pain", disposition="ed_now", advice="Go to the emergency department now",
             pages=(PageEntry(oak_clinicians["Patel"], ny(2026, 11, 24, 7, 40), "reached", "Agrees: ED now"),)),
        call("john_next", oak, ny(2026, 11, 24, 18, 0), patient_id=john, caller_name="John Smith",
             reason="Follow-up question", disposition="home_care"),
        call("mia", pine, chi(2026, 11, 23, 22, 0), patient_id=mia, caller_name="Rosa Lopez", caller_relation="parent",
             reason="Fever in child", disposition="home_care", follow_up_needed=True),
        call("mia_early", pine, chi(2026, 11, 24, 8, 15), patient_id=mia, caller_name="Rosa Lopez",
             caller_relation="parent", reason="Ear pain", disposition="see_within_24h"),
    ))
    return NightPod(oak, pine, oak_clinicians["Patel"], oak_clinicians["Kim"], ruiz, grace, john, mia, calls)


# --- fixtures for the window tests (imported by them) ----------------------------------------------

try:
    import pytest
except ImportError:  # imported outside the test suite (the bench, a script)
    pytest = None

if pytest is not None:
    @pytest.fixture
    def night(app_pod) -> NightPod:
        return build_night_pod(app_pod)


def night_window(qtbot, engine, user: str):
    """The real main window over the night pod, shown, its first reads done, acting as ``user``."""
    from tests.ui.conftest import make_context
    from ui.main_window import MainWindow

    window = MainWindow(make_context(engine, user))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.context.tasks.wait_idle()
    return window
