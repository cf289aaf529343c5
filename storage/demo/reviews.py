"""The demo's medication reviews, consistent with each patient's chart.

A review lists the medications the chart has on its day (what each is for, how it is taken,
who prescribed it), and its drug-therapy problems come from what the chart shows: a statin
missing for a diabetic of 40-75, an NSAID beside kidney disease, a blood pressure above goal on
lisinopril 10 mg (the latest reading, with its value), an HbA1c above 9 % on metformin alone.
A patient without medications is not reviewed. Recommendations go to the patient's PCP; their
responses come back on or after the day they were sent. Comprehensive reviews have their
written summary given (mostly within 14 days); follow-ups past due were mostly done (a short
targeted review on the day); some patients due for a review have a draft with attempts to
reach them, and a few were closed as unable to reach after failed attempts on 3 days.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from domain.medication_review import PROBLEM_CATEGORIES, RESPONSES, plain_name
from storage.demo import codes as C
from storage.demo.clinical import ChartSummary
from storage.demo.clock import REFERENCE_DATE, at_local

# RxNorm → (what it is for, how to take it)
DIRECTIONS = {
    "314076": ("Blood pressure", "1 tablet by mouth once a day"),
    "197361": ("Blood pressure", "1 tablet by mouth once a day"),
    "979492": ("Blood pressure", "1 tablet by mouth once a day"),
    "316049": ("Blood pressure and swelling", "1 tablet by mouth every morning"),
    "860975": ("Diabetes", "1 tablet by mouth with the evening meal"),
    "106892": ("Diabetes", "Inject 20 units under the skin before breakfast and 12 units before supper"),
    "617310": ("Cholesterol", "1 tablet by mouth once a day"),
    "312961": ("Cholesterol", "1 tablet by mouth in the evening"),
    "745679": ("Breathing (rescue inhaler)", "2 puffs every 4 to 6 hours when short of breath"),
    "896188": ("Breathing (controller inhaler)", "1 inhalation twice a day; rinse your mouth after"),
    "895994": ("Asthma (controller inhaler)", "2 puffs twice a day; rinse your mouth after"),
    "310429": ("Heart failure (water pill)", "1 tablet by mouth every morning"),
    "200031": ("Heart failure", "1 tablet by mouth twice a day with food"),
    "1091170": ("ADHD", "1 tablet by mouth at breakfast and at noon"),
    "243670": ("Heart protection", "1 tablet by mouth once a day"),
    "313782": ("Pain", "2 tablets by mouth every 6 hours as needed"),
    "310965": ("Pain", "1 to 2 tablets by mouth every 6 hours as needed"),
    "849574": ("Joint pain", "1 tablet by mouth twice a day as needed"),
    "310325": ("Iron", "1 tablet by mouth once a day"),
    "1049630": ("Sleep", "1 tablet by mouth at bedtime"),
}
OTC = {c.code for c in C.OVER_THE_COUNTER}
STATINS, NSAIDS, ACE_ARB = {"617310", "312961"}, {"310965", "849574"}, {"314076", "979492"}
METFORMIN, INSULIN, ALBUTEROL = "860975", "106892", "745679"
CONTROLLERS = {"896188", "895994"}
RESPONSE_NOTES = {"modified": ("Started at a lower dose", "Will change at the next visit instead",
                               "Agree, with a different agent"),
                  "rejected": ("Prefers to keep the current plan; recheck in 3 months",
                               "Patient declined the change at the visit")}
REVIEW_NOTES = ("Reviewed with the patient by phone.", "In-person review with the pill bottles.",
                "Reviewed with the patient's daughter (caregiver).")


@dataclasses.dataclass(frozen=True)
class Problem:
    category: str
    description: str
    medication: str = ""
    condition: str = ""
    recommendation: str = ""
    talked_about: str = ""
    patient_action: str = ""
    words: tuple[str, str] | None = None  # (medication name, what the patient said), and its reconciliation


def _latest(results: list[tuple], day: dt.date):
    """The latest result on or before ``day`` (None when there is none yet)."""
    return max((r for r in results if r[0] <= day), default=None, key=lambda r: r[0])


def problems_for(chart: ChartSummary, meds: dict[str, str], age: int, day: dt.date) -> list[Problem]:
    """The problems the chart bears out on ``day``; ``meds``: RxNorm → name of the medications
    on the list; only results the chart had by then are quoted."""
    has = meds.__contains__
    names = chart.condition_names
    cond = {key: plain_name(names[key]) for key in names}
    found: list[Problem] = []
    add = found.append
    diabetes, hypertension, ckd = "diabetes" in cond, "hypertension" in cond, "ckd" in cond
    bp = _latest(chart.blood_pressures, day)
    bp_high = bp is not None and (bp[1] >= 140 or bp[2] >= 90)
    a1c = _latest(chart.hba1c, day)
    if diabetes and 40 <= age <= 75 and not STATINS & meds.keys():
        add(Problem("needs_additional_therapy", f"Diabetes at age {age} and no statin on the list",
                    condition=cond["diabetes"], recommendation="Start atorvastatin 20 mg once a day "
                    "(moderate-intensity statin for diabetes, age 40-75)",
                    talked_about="A cholesterol medicine protects your heart because you have diabetes",
                    patient_action="Ask your doctor about starting a cholesterol medicine at your next visit"))
    if diabetes and hypertension and not ACE_ARB & meds.keys():
        add(Problem("needs_additional_therapy", "Diabetes and high blood pressure without an ACE inhibitor or ARB",
                    condition=cond["hypertension"], recommendation="Consider lisinopril 10 mg once a day "
                    "(blood pressure and kidney protection); check potassium and creatinine in 2 weeks"))
    if ("copd" in cond or "asthma" in cond) and has(ALBUTEROL) and not CONTROLLERS & meds.keys():
        which = "copd" if "copd" in cond else "asthma"
        add(Problem("needs_additional_therapy", f"{cond[which]} on the rescue inhaler alone",
                    condition=cond[which], recommendation="Add a controller inhaler (long-acting bronchodilator "
                    "or low-dose inhaled corticosteroid)",
                    talked_about="Using your rescue inhaler often means your breathing is not controlled",
                    patient_action="Write down each day you use your rescue inhaler and bring the list"))
    if has("1049630") and age >= 65:
        add(Problem("unnecessary_therapy", f"Diphenhydramine for sleep at age {age} (Beers criteria: confusion, "
                    "falls)", medication=meds["1049630"], recommendation="Stop diphenhydramine; sleep hygiene",
                    talked_about="Diphenhydramine (a sleep aid) can cause confusion and falls at your age",
                    patient_action="Stop taking diphenhydramine. Try the sleep tips we talked about"))
    if has("243670") and age >= 70 and "heart_failure" not in cond:
        add(Problem("unnecessary_therapy", f"Low-dose aspirin for primary prevention at age {age} (bleeding risk "
                    "outweighs the benefit)", medication=meds["243670"],
                    recommendation="Consider stopping aspirin 81 mg"))
    if has(ALBUTEROL) and CONTROLLERS & meds.keys() and chart.ed_visits_12m == 0:
        add(Problem("unnecessary_therapy", "Rescue inhaler on the list but not used or refilled in over a year",
                    medication=meds[ALBUTEROL], recommendation="Keep one unexpired rescue inhaler; stop the "
                    "duplicate refills on the list"))
    if has("310325") and "ckd" not in cond:
        add(Problem("unnecessary_therapy", "Iron tablets with no anemia on record", medication=meds["310325"],
                    recommendation="Check CBC and ferritin; stop iron if not needed"))
    if has(METFORMIN) and not has(INSULIN) and a1c and a1c[1] > 9:
        tested, value = a1c
        add(Problem("ineffective_drug", f"HbA1c {value:g} % on {tested:%m/%d/%Y} on metformin alone",
                    medication=meds[METFORMIN], condition=cond.get("diabetes", ""),
                    recommendation="Add a second agent (GLP-1 receptor agonist preferred)",
                    talked_about=f"Your blood sugar test (A1c {value:g} %) is still above your goal",
                    patient_action="Keep taking metformin every day; ask your doctor about a second diabetes medicine"))
    if has(INSULIN) and a1c and a1c[1] > 9:
        tested, value = a1c
        add(Problem("ineffective_drug", f"HbA1c {value:g} % on {tested:%m/%d/%Y} on insulin 70/30",
                    medication=meds[INSULIN], condition=cond.get("diabetes", ""),
                    recommendation="Change to basal insulin with a GLP-1 receptor agonist; review injection technique",
                    talked_about=f"Your blood sugar test (A1c {value:g} %) is above your goal",
                    patient_action="Check your sugar before breakfast every day and bring the readings"))
    if CONTROLLERS & meds.keys() and chart.ed_visits_12m:
        controller = meds[next(iter(sorted(CONTROLLERS & meds.keys())))]
        add(Problem("ineffective_drug", f"Emergency visit{'s' if chart.ed_visits_12m > 1 else ''} in the last year "
                    f"despite the controller inhaler", medication=controller,
                    recommendation="Check inhaler technique and step up the controller therapy",
                    talked_about="Your breathing got bad enough to need the emergency room",
                    patient_action="Show your inhaler technique at your next visit; use the controller every day"))
    if hypertension and bp_high:
        for code, increase in (("314076", "Increase lisinopril to 20 mg once a day"),
                               ("197361", "Increase amlodipine to 10 mg once a day"),
                               ("979492", "Increase losartan to 100 mg once a day")):
            if has(code):
                add(Problem("dosage_too_low", f"Blood pressure {bp[1]}/{bp[2]} on {bp[0]:%m/%d/%Y}, above goal "
                            f"on {meds[code]}", medication=meds[code], recommendation=f"{increase}; recheck blood "
                            "pressure and potassium in 2 weeks",
                            talked_about="Your blood pressure is above your goal of under 140/90",
                            patient_action="Check your blood pressure at home 3 times a week and write it down"))
                break
    nsaid = next((c for c in NSAIDS if has(c)), None)
    harm = next((k for k in ("ckd", "heart_failure", "hypertension") if k in cond), None)
    if nsaid and harm:
        add(Problem("adverse_reaction", f"NSAID use with {cond[harm].lower()}", medication=meds[nsaid],
                    condition=cond[harm], recommendation=f"Stop {meds[nsaid].split()[0].lower()}; acetaminophen "
                    "up to 3 g a day for pain",
                    talked_about=f"{meds[nsaid].split()[0].capitalize()} can hurt your kidneys and raise your "
                    "blood pressure", patient_action=f"Stop taking {meds[nsaid].split()[0].lower()}. Use "
                    "acetaminophen (Tylenol) for pain instead"))
    if has("314076"):
        add(Problem("adverse_reaction", "Dry cough since lisinopril was started", medication=meds["314076"],
                    recommendation="Switch lisinopril 10 mg to losartan 50 mg once a day",
                    words=(meds["314076"], "This cough keeps me up at night")))
    if has(METFORMIN):
        add(Problem("adverse_reaction", "Stomach upset and loose stools on metformin", medication=meds[METFORMIN],
                    recommendation="Keep the extended-release tablet with the evening meal; if it continues, "
                    "reduce to 500 mg and increase slowly", words=(meds[METFORMIN], "My stomach is off after I take it")))
    if has(INSULIN) and age >= 65 and (a1c is None or a1c[1] < 7.5):
        add(Problem("dosage_too_high", "Low blood sugars (under 70 mg/dL) on insulin 70/30", medication=meds[INSULIN],
                    recommendation="Reduce each insulin 70/30 dose by 10 %; review meal timing",
                    talked_about="Your blood sugar has been going too low",
                    patient_action="Check your sugar before breakfast and supper; treat a low with 4 oz of juice"))
    if has(METFORMIN) and ckd:
        add(Problem("dosage_too_high", "Metformin dose not adjusted for chronic kidney disease",
                    medication=meds[METFORMIN], condition=cond["ckd"],
                    recommendation="Check eGFR; if 30-45, reduce metformin to 500 mg a day"))
    lowering = next((c for c in ("197361", "314076", "979492", "316049") if has(c)), None)
    if lowering and bp and bp[1] < 112:
        add(Problem("dosage_too_high", f"Blood pressure {bp[1]}/{bp[2]} on {bp[0]:%m/%d/%Y} with dizziness on "
                    "standing", medication=meds[lowering], recommendation=f"Reduce {meds[lowering].split()[0].lower()} "
                    "to the next lower dose; recheck blood pressure in 2 weeks",
                    talked_about="Your blood pressure is low enough to make you dizzy",
                    patient_action="Stand up slowly; sit down if you feel dizzy and call us"))
    if has("310429") and age >= 75:
        add(Problem("dosage_too_high", "Dizziness on standing on furosemide 20 mg", medication=meds["310429"],
                    recommendation="Reduce furosemide to 20 mg every other day; daily weights",
                    patient_action="Weigh yourself every morning and call if you gain 3 lb in a day"))
    if has("316049") and age >= 70:
        add(Problem("dosage_too_high", "Low sodium on hydrochlorothiazide 25 mg", medication=meds["316049"],
                    recommendation="Reduce hydrochlorothiazide to 12.5 mg a day; recheck sodium in 1 week"))
    statin = next((c for c in STATINS if has(c)), None)
    if statin:
        add(Problem("adherence", f"Refill gaps over 30 days for {meds[statin].split()[0].lower()}",
                    medication=meds[statin], recommendation="90-day supply by mail; weekly pill organizer",
                    talked_about="Missing doses of your cholesterol medicine",
                    patient_action="Use a weekly pill box; ask the pharmacy for a 90-day supply",
                    words=(meds[statin], "I forget the evening pills")))
    controller = next((c for c in CONTROLLERS if has(c)), None)
    if controller:
        add(Problem("adherence", "Skips the controller inhaler because of its cost", medication=meds[controller],
                    recommendation="Change to the formulary controller inhaler",
                    talked_about="Your controller inhaler works only if you use it every day",
                    patient_action="Use your controller inhaler twice a day, even when you feel well",
                    words=(meds[controller], "It costs too much, I only use it when I'm bad")))
    return found


class ReviewWriter:
    """Writes one patient's reviews through the workflow builder's loader and ids."""

    def __init__(self, builder):
        self.b = builder

    @property
    def rng(self) -> random.Random:
        return self.b.rng

    def shows_something_new(self, who, chart: ChartSummary) -> bool:
        """Would a review of this patient find a kind of problem the practice has not shown yet?
        (The workflow reviews such patients more often, so even a small pod shows every kind.)"""
        shown = self.b.cycle.get("dtp_categories_shown", set())
        if len(shown) == len(PROBLEM_CATEGORIES) or not chart.medications:
            return False
        names = {m.code: m.display for m in chart.medications}
        return any(p.category not in shown for p in problems_for(chart, names, who.age, REFERENCE_DATE))

    def review(self, practice, who, chart: ChartSummary) -> None:
        rng, b = self.rng, self.b
        recent = [d for d in chart.discharges if REFERENCE_DATE - dt.timedelta(days=200) <= d < REFERENCE_DATE]
        if recent and rng.random() < 0.8:
            kind = "reconciliation"
            day = min(recent[-1] + dt.timedelta(days=rng.randint(1, 7)), REFERENCE_DATE - dt.timedelta(days=1))
        else:
            kind = b._cycled("review_type", ("comprehensive", "targeted", "reconciliation"), (60, 40, 0))
            day = REFERENCE_DATE - dt.timedelta(days=rng.randint(1, 200))
        meds = [m for m in chart.medications if chart.medication_starts.get(m.code, REFERENCE_DATE) <= day]
        if not meds:
            return  # nothing to review: no medications on that day
        prescriber = self._prescriber(practice, who)
        pharmacist = rng.choice(practice.staff_for("pharmacist"))
        names = {m.code: m.display for m in meds}
        candidates = problems_for(chart, names, who.age, day)
        # each practice shows every category early on: the categories it has not shown come first
        shown = b.cycle.setdefault("dtp_categories_shown", set())
        new = len({p.category for p in candidates} - shown)
        count = min(len(candidates), max(min(new, 3), rng.choices((0, 1, 2, 3), (15, 45, 28, 12))[0]))
        order = sorted(candidates, key=lambda p: (p.category in shown, rng.random()))
        chosen = order[:count]
        shown.update(p.category for p in chosen)
        follow_up = day + dt.timedelta(days=rng.choice((30, 60, 90))) if chosen else None
        review_id = self._write_review(practice, who, kind, day, pharmacist, follow_up)
        words = {p.words[0]: p.words[1] for p in chosen if p.words}
        for med in meds:
            what_for, how = DIRECTIONS.get(med.code, ("", "1 tablet by mouth once a day"))
            said = words.get(med.display, "")
            action = "not_taking" if said and "only use it when" in said else "continue"
            b.loader["reviewed_medication"].add_values(
                id=b._id("reviewed_medication"), review_id=review_id, name=med.display, rxnorm=med.code,
                dose=how, action=action, kind="otc" if med.code in OTC else "prescription", indication=what_for,
                prescriber="" if med.code in OTC else prescriber, start_date=chart.medication_starts[med.code],
                patient_words=said, fact_id=chart.medication_facts.get(med.code))
        for problem in chosen:
            response = self._response(day)
            responded = None
            if response != "pending":
                responded = min(day + dt.timedelta(days=rng.randint(1, 14)), REFERENCE_DATE - dt.timedelta(days=1))
                responded = max(responded, day)
            b.loader["drug_therapy_problem"].add_values(
                id=b._id("drug_therapy_problem"), review_id=review_id, category=problem.category,
                description=problem.description, medication=problem.medication, condition=problem.condition,
                recommendation=problem.recommendation, prescriber=prescriber, recommended_on=day,
                response=response, responded_at=responded,
                response_note=rng.choice(RESPONSE_NOTES[response]) if response in RESPONSE_NOTES else "",
                talked_about=problem.talked_about, patient_action=problem.patient_action)
        b.loader["time_entry"].add_values(
            id=b._id("time_entry"), staff=pharmacist, patient_id=who.person.id, minutes=rng.choice((30, 40, 45, 60)),
            activity="medication_review", entry_date=day, note=f"{kind.capitalize()} medication review")
        if follow_up and follow_up < REFERENCE_DATE - dt.timedelta(days=7) and rng.random() < 0.85:
            self._write_review(practice, who, "targeted", follow_up, pharmacist, None,
                               notes="Follow-up call: reviewed the changes with the patient.", lines=meds,
                               prescriber=prescriber, chart=chart)

    def _response(self, day: dt.date) -> str:
        """Every response early in each practice; later, a recommendation still awaits its
        response mostly when it was sent in the last month."""
        forced = self.b._forced("dtp_response", len(RESPONSES))
        if forced is not None:
            return RESPONSES[forced]
        pending = 50 if day >= REFERENCE_DATE - dt.timedelta(days=30) else 3
        return self.rng.choices(RESPONSES, (pending, 55, 15, 12))[0]

    def _prescriber(self, practice, who) -> str:
        plan = next((c for c in practice.clinicians if c.id == who.pcp_id), practice.clinicians[0])
        return plan.prescriber or plan.name

    def _write_review(self, practice, who, kind: str, day: dt.date, pharmacist: str, follow_up: dt.date | None, *,
                      notes: str = "", lines=(), prescriber: str = "", chart: ChartSummary | None = None) -> int:
        rng, b = self.rng, self.b
        review_id = b._id("medication_review")
        started = at_local(day, rng.randrange(9 * 60, 16 * 60, 5), practice.utc_offset)
        summary_on, method = None, ""
        if kind == "comprehensive":
            due = day + dt.timedelta(days=14)
            late = rng.random() < 0.06
            given = day + dt.timedelta(days=rng.randint(15, 30) if late else rng.randint(0, 10))
            if given < REFERENCE_DATE and rng.random() < 0.96:
                summary_on, method = given, "in_person" if given == day else "mailed"
            elif due < REFERENCE_DATE and rng.random() < 0.5:
                summary_on, method = None, ""  # late, not given yet
        b.loader["medication_review"].add_values(
            id=review_id, patient_id=who.person.id, review_type=kind, review_date=day, pharmacist=pharmacist,
            follow_up_date=follow_up, notes=notes or rng.choice(REVIEW_NOTES), status="finished", started_at=started,
            finished_at=started + dt.timedelta(minutes=rng.randint(25, 70)), summary_given_on=summary_on,
            summary_method=method)
        for med in lines:
            what_for, how = DIRECTIONS.get(med.code, ("", "1 tablet by mouth once a day"))
            b.loader["reviewed_medication"].add_values(
                id=b._id("reviewed_medication"), review_id=review_id, name=med.display, rxnorm=med.code, dose=how,
                action="continue", kind="otc" if med.code in OTC else "prescription", indication=what_for,
                prescriber="" if med.code in OTC else prescriber, start_date=chart.medication_starts[med.code],
                fact_id=chart.medication_facts.get(med.code))
        return review_id

    def draft(self, practice, who, chart: ChartSummary, *, attempts: int, closed: bool) -> None:
        """A comprehensive review begun for a patient due for one, with attempts to reach them."""
        rng, b = self.rng, self.b
        meds = [m for m in chart.medications if chart.medication_starts.get(m.code, REFERENCE_DATE) < REFERENCE_DATE]
        if not meds:
            return
        pharmacist = rng.choice(practice.staff_for("pharmacist"))
        prescriber = self._prescriber(practice, who)
        first = REFERENCE_DATE - dt.timedelta(days=rng.randint(5, 20))
        days = sorted({first + dt.timedelta(days=i * rng.randint(2, 4)) for i in range(attempts)})
        days = [d for d in days if d < REFERENCE_DATE]
        closed = closed and len(days) >= 3
        review_id = b._id("medication_review")
        started = at_local(first, rng.randrange(9 * 60, 12 * 60, 5), practice.utc_offset)
        last = at_local(days[-1], rng.randrange(13 * 60, 16 * 60, 5), practice.utc_offset) if days else started
        b.loader["medication_review"].add_values(
            id=review_id, patient_id=who.person.id, review_type="comprehensive", review_date=first,
            pharmacist=pharmacist, notes="", status="unable_to_reach" if closed else "draft", started_at=started,
            finished_at=last if closed else None)
        for index, med in enumerate(meds):
            what_for, how = DIRECTIONS.get(med.code, ("", "1 tablet by mouth once a day"))
            b.loader["reviewed_medication"].add_values(
                id=b._id("reviewed_medication"), review_id=review_id, name=med.display, rxnorm=med.code,
                dose=how if index == 0 else "", action="continue" if index == 0 and not closed else "",
                kind="otc" if med.code in OTC else "prescription", indication=what_for if index == 0 else "",
                prescriber="" if med.code in OTC else prescriber, start_date=chart.medication_starts[med.code],
                fact_id=chart.medication_facts.get(med.code))
        outcomes = ("no_answer", "left_message", "no_answer")
        for index, day in enumerate(days):
            outcome = outcomes[index % 3]
            b.loader["outreach_attempt"].add_values(
                id=b._id("outreach_attempt"), patient_id=who.person.id,
                at=at_local(day, rng.randrange(9 * 60, 17 * 60, 5), practice.utc_offset), channel="phone",
                outcome=outcome, by=pharmacist, medication_review_id=review_id,
                note={"no_answer": "No answer", "left_message": "Left voicemail about the medication review"}[outcome])

