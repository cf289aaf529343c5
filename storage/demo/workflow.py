"""The shared staff's work: referrals and their history, after-hours calls, medication
reviews, outreach, care plans, tasks and time entries.

Referral histories are made by the domain's own ``Referral.advance_to``, so every
stored transition is one ``domain.referral.NEXT`` allows. The first records of each
kind in each practice are spread over every state, disposition, category and response
(see ``WorkflowBuilder._forced``), so even a small pod shows them all.
"""
from __future__ import annotations

import datetime as dt
import random

from domain.business_days import BusinessCalendar
from domain.care_plan import GOAL_STATUSES, INTERVENTION_STATUSES, TASK_PRIORITIES
from domain.outreach import CHANNELS, OUTCOMES
from domain.referral import EXITS, FINAL, LOOP, NEXT, STATES, Referral, due_at
from domain.time_entry import ACTIVITIES
from storage.demo import codes as C
from storage.demo import names
from storage.demo.bulk import Loader
from storage.demo.calls import CallMaker, CallPatient, short_medication
from storage.demo.clinical import ChartSummary
from storage.demo.clock import REFERENCE_DATE, at_local, fhir_instant, reference_moment, shift_to_weekday
from storage.demo.facts import FactSink
from storage.demo.people import Demographics
from storage.demo.pod import PracticePlan
from storage.demo.reviews import ReviewWriter

# specialty → (reason, condition that makes it likely or None)
REFERRALS = (
    ("Cardiology", "Exertional chest pain, abnormal ECG", "hypertension"),
    ("Cardiology", "Heart failure follow-up, worsening edema", "heart_failure"),
    ("Endocrinology", "Uncontrolled type 2 diabetes on two agents", "diabetes"),
    ("Ophthalmology", "Annual diabetic retinal exam", "diabetes"),
    ("Podiatry", "Diabetic foot exam, callus", "diabetes"),
    ("Gastroenterology", "Screening colonoscopy", None),
    ("Gastroenterology", "Positive FIT result", None),
    ("Behavioral health", "Positive depression screen, PHQ-9 15", "depression"),
    ("Pulmonology", "COPD with two exacerbations this year", "copd"),
    ("Nephrology", "CKD stage 3, falling eGFR", "ckd"),
    ("Orthopedics", "Knee pain, failed conservative care", None),
    ("Dermatology", "Changing pigmented lesion", None),
    ("Physical therapy", "Low back pain, deconditioning", None),
    ("Nutrition", "Obesity, prediabetes counseling", "obesity"),
)
SPECIALISTS = ("Okafor", "Lindqvist", "Ramanathan", "Castellanos", "Whitfield", "Nakamura", "Abernathy",
               "Delacroix", "Haddad", "Brennan", "Oyelaran", "Sorensen", "Vukovic", "Achebe", "Moreau")

GOALS = {
    "hypertension": ("Blood pressure under control", "BP < 140/90 at home readings"),
    "diabetes": ("Better glucose control", "HbA1c < 8%"),
    "copd": ("Fewer COPD flares", "No ED visit for breathing in 6 months"),
    "heart_failure": ("Stay out of hospital", "Daily weights; call if up 3 lb in a day"),
    "depression": ("Improve mood", "PHQ-9 under 10"),
    "asthma": ("Asthma well controlled", "Rescue inhaler under twice a week"),
    "ckd": ("Protect kidney function", "Avoid NSAIDs; eGFR stable"),
}
INTERVENTIONS = ("Weekly phone check-in by care manager", "Home blood-pressure cuff and log",
                 "Medication review with pharmacist", "Diabetes self-management education referral",
                 "Connect with food pantry and transport benefit", "Teach-back on inhaler technique",
                 "Schedule follow-up with PCP within 2 weeks")
TASKS = ("Call back about home BP log", "Confirm specialist appointment", "Transition-of-care call after discharge",
         "Schedule diabetic eye exam", "Send mammogram reminder letter", "Review overnight call with PCP",
         "Request records from hospital", "Check pharmacy refill history")


class WorkflowBuilder:
    """Workflow records of one pod; ids are pre-assigned per table."""

    def __init__(self, rng: random.Random, loader: Loader, sink: FactSink):
        self.rng, self.loader, self.sink = rng, loader, sink
        self.ids: dict[str, int] = {}
        self.cycle: dict[str, int] = {}
        self.practice_index, self.practice_count = 0, 1
        self.reference = reference_moment(8)
        self.reviews = ReviewWriter(self)
        self.call_patients: list[CallPatient] = []  # the practice's active patients, for its calls

    def start_practice(self, rng: random.Random, practice_id: int, practice_count: int) -> None:
        """A practice's own stream, and its share of the pod's 'every value once first'."""
        self.rng, self.cycle = rng, {}
        self.practice_index, self.practice_count = practice_id - 1, practice_count
        self.call_patients = []

    def _id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    def _forced(self, name: str, size: int) -> int | None:
        """Which of ``size`` values the next record of ``name`` must take, or None when free.

        The j-th record of practice p takes value (p + j·P) mod size, for the first
        ⌈size/P⌉ records: together the P practices show every value, and each practice's
        records depend on that practice alone (so parts can be made in any process).
        """
        k = self.cycle.get(name, 0)
        self.cycle[name] = k + 1
        if k >= -(-size // self.practice_count):
            return None
        return (self.practice_index + k * self.practice_count) % size

    def _cycled(self, name: str, values, weights=None):
        forced = self._forced(name, len(values))
        if forced is not None:
            return values[forced]
        return self.rng.choices(values, weights)[0] if weights else self.rng.choice(values)

    # --- per patient ----------------------------------------------------------------

    def patient(self, practice: PracticePlan, who: Demographics, chart: ChartSummary, consent: bool) -> None:
        if who.status != "active":
            return
        self.call_patients.append(CallPatient(who, frozenset(chart.conditions),
                                              tuple(short_medication(m.display) for m in chart.medications)))
        rng = self.rng
        chronic = len(chart.chronic)
        referral_ids = []
        if rng.random() < 0.05 + 0.03 * chronic:
            referral_ids.append(self._referral(practice, who, chart))
        if rng.random() < 0.05 + 0.03 * chronic:
            self._outreach(practice, who, referral_ids)
        if (chronic >= 2 and rng.random() < 0.08) or (chart.discharges and rng.random() < 0.4) \
                or (self.reviews.shows_something_new(who, chart) and rng.random() < 0.5):
            self.reviews.review(practice, who, chart)
        elif chronic >= 3 or chart.admissions_12m >= 1 or chart.ed_visits_12m >= 3:
            # a review begun for a patient likely due for one (in the high risk tier once tiers are
            # computed, storage.risk); the first two of each practice show a
            # draft being worked and one closed after 3 days of failed calls
            made = self.cycle.get("review_drafts", 0)
            if made < 2 or rng.random() < 0.02:
                self.cycle["review_drafts"] = made + 1
                closed = made == 1 or (made > 1 and rng.random() < 0.25)
                self.reviews.draft(practice, who, chart, attempts=3 if closed else rng.randint(0, 2), closed=closed)
        if consent:
            self._care_plan(practice, who, chart)
            self._time_entries(practice, who)
        recent = [d for d in chart.discharges if REFERENCE_DATE - dt.timedelta(days=75) <= d < REFERENCE_DATE]
        if recent:
            self._transition(practice, who, recent[-1])
        if (consent and rng.random() < 0.5) or (referral_ids and rng.random() < 0.3):
            self._task(practice, who)

    def _referral(self, practice: PracticePlan, who: Demographics, chart: ChartSummary) -> int:
        rng = self.rng
        likely = [r for r in REFERRALS if r[2] in chart.conditions]
        specialty, reason, _ = rng.choice(likely if likely and rng.random() < 0.7 else REFERRALS)
        target = self._cycled("referral_state", STATES,
                              (8, 8, 12, 6, 6, 30, 6, 4, 5, 5))  # weights follow STATES' order
        urgency = rng.choices(("routine", "urgent", "stat"), (85, 12, 3))[0]
        clinician = rng.choice(practice.clinicians)
        ordered = self.reference - dt.timedelta(days=rng.randint(1, 200), minutes=rng.randrange(600))
        referral = Referral.order(by=clinician.name, at=ordered, patient_id=who.person.id, specialty=specialty,
                                  reason=reason, urgency=urgency, clinician_id=clinician.id,
                                  specialist=f"Dr. {rng.choice(SPECIALISTS)}, {rng.choice(names.SPECIALIST_PRACTICES)}")
        path = _path_to(target, rng)
        staff = practice.staff_for("care_manager")
        budget = (self.reference - ordered).total_seconds() / 86400
        at = ordered
        appointment = None
        for state in path:
            step = min(budget / (len(path) + 1), rng.uniform(1, 20))
            at = at + dt.timedelta(days=step, minutes=rng.randrange(5, 300))
            if at >= self.reference:
                at = self.reference - dt.timedelta(minutes=rng.randrange(10, 600))
                at = max(at, referral.state_since)
            if state == "scheduled":
                appointment = at + dt.timedelta(days=rng.randint(5, 45))
            note = "Appointment booked" if state == "scheduled" else ""
            referral.advance_to(state, by=rng.choice(staff), at=at, note=note)
        rid = self._id("referral")
        self.loader["referral"].add_values(
            id=rid, patient_id=who.person.id, clinician_id=clinician.id, specialty=specialty,
            specialist=referral.specialist, reason=reason, urgency=urgency, state=referral.state,
            state_since=referral.state_since, ordered_at=ordered,
            appointment_at=appointment if referral.state in ("scheduled", "seen", "report_received", "closed",
                                                             "no_show") else None,
            # kept beside it as storage.referral_due keeps them (the default expected days)
            practice_id=practice.id, due_at=due_at(referral.state, urgency, referral.state_since),
        )
        for event in referral.events:
            self.loader["referral_event"].add_values(id=self._id("referral_event"), referral_id=rid,
                                                     from_state=event.from_state, to_state=event.to_state,
                                                     at=event.at, by=event.by, note=event.note)
        order = C.REFERRAL_ORDERS[specialty]
        self.sink.add(who.person.id, "service_request", order, ordered, fhir_instant(ordered, practice.utc_offset),
                      status="completed" if referral.state in FINAL else "active", intent="order")
        return rid

    def _outreach(self, practice: PracticePlan, who: Demographics, referral_ids: list[int]) -> None:
        rng = self.rng
        staff = practice.staff_for("care_manager")
        when = self.reference - dt.timedelta(days=rng.randint(1, 120))
        for _ in range(rng.randint(1, 3)):
            when = when + dt.timedelta(days=rng.randint(1, 10), minutes=rng.randrange(480))
            if when >= self.reference:
                break
            outcome = self._cycled("outreach_outcome", OUTCOMES, (40, 30, 5, 18, 7))
            self.loader["outreach_attempt"].add_values(
                id=self._id("outreach_attempt"), patient_id=who.person.id,
                at=at_local(when.date(), rng.randrange(9 * 60, 17 * 60, 5), practice.utc_offset),
                channel=self._cycled("outreach_channel", CHANNELS, (60, 15, 12, 10, 3)), outcome=outcome,
                by=rng.choice(staff), referral_id=referral_ids[0] if referral_ids and rng.random() < 0.6 else None,
                note={"reached": "Spoke with patient", "left_message": "Left voicemail with callback number",
                      "wrong_number": "Number not in service; update phone", "no_answer": "No answer",
                      "declined": "Patient declined at this time"}[outcome],
            )

    def _care_plan(self, practice: PracticePlan, who: Demographics, chart: ChartSummary) -> None:
        rng = self.rng
        plan_id = self._id("care_plan")
        problems = [c for c in chart.chronic if c in GOALS] or ["hypertension"]
        manager = rng.choice(practice.staff_for("care_manager"))
        created = self.reference - dt.timedelta(days=rng.randint(10, 400), minutes=rng.randrange(600))
        self.loader["care_plan"].add_values(
            id=plan_id, patient_id=who.person.id, title="Chronic care management plan",
            problems="\n".join(p.replace("_", " ").capitalize() for p in problems), created_by=manager,
            created_at=created, status="active" if rng.random() < 0.9 else "completed",
        )
        for problem in problems[:3]:
            description, target = GOALS[problem]
            self.loader["care_goal"].add_values(
                id=self._id("care_goal"), care_plan_id=plan_id, description=description, target=target,
                due_date=created.date() + dt.timedelta(days=rng.choice((90, 180, 365))),
                status=self._cycled("goal_status", GOAL_STATUSES, (5, 60, 20, 10, 5)),
                problem=problem.replace("_", " ").capitalize(),
            )
        for text in rng.sample(INTERVENTIONS, rng.randint(1, 3)):
            self.loader["care_intervention"].add_values(
                id=self._id("care_intervention"), care_plan_id=plan_id, description=text,
                status=self._cycled("intervention_status", INTERVENTION_STATUSES, (20, 45, 30, 5)),
            )

    def _time_entries(self, practice: PracticePlan, who: Demographics) -> None:
        """Care-management minutes over the last three months; some months pass the 20-minute CCM mark."""
        rng = self.rng
        manager = rng.choice(practice.staff_for("care_manager"))
        for months_back in (3, 2, 1):
            month = (REFERENCE_DATE.replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=1)
            busy = rng.random() < 0.45
            for _ in range(rng.randint(2, 4) if busy else rng.randint(0, 2)):
                self.loader["time_entry"].add_values(
                    id=self._id("time_entry"), staff=manager, patient_id=who.person.id,
                    minutes=rng.choice((5, 8, 10, 12, 15, 20)),
                    activity=rng.choices(ACTIVITIES, (35, 20, 5, 20, 8, 2, 10))[0],
                    entry_date=month + dt.timedelta(days=rng.randint(0, 27)),
                    note=rng.choice(("Phone follow-up", "Reviewed home readings", "Coordinated with specialist office",
                                     "Updated care plan", "Arranged transport")),
                    practice_id=practice.id, recorded_by=manager,
                )

    def _transition(self, practice: PracticePlan, who: Demographics, discharged: dt.date) -> None:
        """The transitional-care contact after a recent discharge: most reached within two
        business days, some only after messages, a few never. A stream of its own (the patient's,
        from what the patient is, not the id a part of the pod gives), so the pod's other records
        stay as they were."""
        rng = random.Random(f"transition:{practice.id}:{who.family}:{who.given}:{who.phone}:{discharged}")
        calendar = BusinessCalendar()
        manager = rng.choice(practice.staff_for("care_manager"))
        roll = rng.random()
        visit_after = rng.choices((0, rng.randint(2, 7), rng.randint(8, 14)), (25, 55, 20))[0]
        visit_day = discharged + dt.timedelta(days=visit_after)
        if visit_after and visit_day < REFERENCE_DATE:  # the follow-up visit at the practice
            start = at_local(shift_to_weekday(visit_day), rng.randrange(9 * 60, 16 * 60, 15), practice.utc_offset)
            end = start + dt.timedelta(minutes=25)
            self.sink.add(who.person.id, "encounter", C.codebook().office_visit[2], start,
                          fhir_instant(start, practice.utc_offset), end=end,
                          end_raw=fhir_instant(end, practice.utc_offset), status="finished",
                          encounter_class=C.codebook().classes["AMB"])
        if roll < 0.15:
            return  # nobody called: the window is missed (or still open)
        days = [calendar.add(discharged, n) for n in (1, 2, 3, 4)]
        contacts = ([("reached", days[rng.randrange(2)])] if roll < 0.7 else
                    [("left_message", days[0]), ("reached", days[rng.randrange(2, 4)])])
        for outcome, day in contacts:
            if day >= REFERENCE_DATE:
                break
            at = at_local(day, rng.randrange(9 * 60, 16 * 60, 5), practice.utc_offset)
            self.loader["outreach_attempt"].add_values(
                id=self._id("outreach_attempt"), patient_id=who.person.id, at=at, channel="phone", outcome=outcome,
                by=manager, note="Post-discharge call: medications reviewed, follow-up visit booked"
                if outcome == "reached" else "Left voicemail after discharge")
            if outcome == "reached":
                self.loader["time_entry"].add_values(
                    id=self._id("time_entry"), staff=manager, patient_id=who.person.id,
                    minutes=rng.choice((15, 20, 25, 30)), activity="transition_of_care", entry_date=day,
                    note="Transitional care call after discharge", programme="tcm", practice_id=practice.id,
                    started_at=at, recorded_at=at + dt.timedelta(minutes=40), recorded_by=manager)

    def _task(self, practice: PracticePlan, who: Demographics) -> None:
        rng = self.rng
        status = rng.choices(("open", "in_progress", "done", "cancelled"), (50, 15, 30, 5))[0]
        created = self.reference - dt.timedelta(days=rng.randint(1, 60), minutes=rng.randrange(600))
        due = created.date() + dt.timedelta(days=rng.randint(1, 40))  # open ones due in the past are overdue
        title, assignee = rng.choice(TASKS), rng.choice(practice.staff_for("care_manager"))
        self.loader["task"].add_values(
            id=self._id("task"), title=title, assignee=assignee,
            due_date=due, practice_id=practice.id, patient_id=who.person.id, status=status,
            priority=rng.choices(TASK_PRIORITIES, (20, 60, 20))[0], created_at=created, created_by=assignee,
            completed_at=created + dt.timedelta(days=rng.randint(0, 10)) if status == "done" else None,
        )

    # --- per practice -----------------------------------------------------------------------

    def calls(self, practice: PracticePlan, panel: list[Demographics]) -> None:
        """After-hours calls of the last 60 nights, from the practice's active patients
        (:mod:`storage.demo.calls`); tonight's are not yet acknowledged."""
        CallMaker(self, practice, self.call_patients).make()


def _path_to(target: str, rng: random.Random) -> list[str]:
    """A walk from 'ordered' to ``target`` along ``NEXT`` (a no-show sometimes rescheduled)."""
    if target == "ordered":
        return []
    if target in LOOP:
        path = list(LOOP[1:LOOP.index(target) + 1])
        if "scheduled" in path and "seen" in path and rng.random() < 0.1:
            i = path.index("scheduled")
            path[i + 1:i + 1] = ["no_show", "scheduled"]
        return path
    # an exit: reach a state that may go there, then leave
    sources = [s for s in ("ordered", "sent", "scheduled", "no_show", "unable_to_reach") if target in NEXT[s]]
    source = rng.choice(sources)
    prefix = {"ordered": [], "sent": ["sent"], "scheduled": ["sent", "scheduled"],
              "no_show": ["sent", "scheduled", "no_show"], "unable_to_reach": ["sent", "unable_to_reach"]}[source]
    assert target in EXITS
    return prefix + [target]
