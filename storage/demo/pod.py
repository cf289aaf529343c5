"""The pod itself: practices with their clinicians and on-call rota, payers, shared staff."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

from domain.office_hours import OfficeHours, OpeningHours, hhmm, to_utc
from domain.practice import ROLES
from domain.text import name_key
from storage.demo import names
from storage.demo.bulk import Loader
from storage.schema import sql_datetime
from storage.demo.clock import MEASURES, REFERENCE_DATE

# (code, name, kind): kinds as domain.practice.Payer documents them
PAYERS = (
    ("MCR", "Medicare Part B", "medicare"),
    ("MCR-ADV", "Medicare Advantage - Summit Senior Plan", "medicare"),
    ("MCD", "State Medicaid", "medicaid"),
    ("MCD-MCO", "Medicaid Managed Care - CommunityFirst", "medicaid"),
    ("BHH-PPO", "Blue Harbor Health PPO", "commercial"),
    ("EVG-HMO", "Evergreen Health Plan HMO", "commercial"),
    ("GRM-EPO", "Granite Mutual EPO", "commercial"),
    ("PSI", "Prairie Star Insurance", "commercial"),
    ("SELF", "Self-pay", "self-pay"),
)

CREDENTIALS = (("MD", 55), ("DO", 15), ("NP", 20), ("PA", 10))
STAFF_CREDENTIALS = {
    "care_manager": ("RN", "RN", "MSW", "CHW"), "nurse": ("RN",), "pharmacist": ("PharmD",),
    "social_worker": ("LCSW",), "administrator": ("MBA", ""),
}
# a practice's time zone: its state's, else the zone of its standard UTC offset
STATE_ZONES = {"AZ": "America/Phoenix", "MI": "America/Detroit", "IN": "America/Indiana/Indianapolis",
               "KY": "America/New_York", "FL": "America/Chicago"}  # Milton, FL is in the Panhandle
OFFSET_ZONES = {-5: "America/New_York", -6: "America/Chicago", -7: "America/Denver", -8: "America/Los_Angeles"}
# How many practices one member of each role covers (capped at the pod's size).
COVERAGE = {"care_manager": 6, "nurse": 20, "pharmacist": 40, "social_worker": 10}


@dataclasses.dataclass
class ClinicianPlan:
    id: int
    name: str  # "Dr. Ana Ortiz" / "Kim Lee, NP": how staff write it in notes
    prescriber: str = ""  # "Ana Ortiz, MD": as Carepod writes a clinician (prescriber choices)


@dataclasses.dataclass
class PracticePlan:
    id: int
    code: str
    name: str
    city: str
    state: str
    zip3: str
    utc_offset: int
    area_code: str
    mrn_style: int
    quality: dict[str, float]
    clinicians: list[ClinicianPlan] = dataclasses.field(default_factory=list)
    staff: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # role → names
    on_call: list[tuple[dt.datetime, dt.datetime, int]] = dataclasses.field(default_factory=list)
    patient_count: int = 0
    office: OfficeHours | None = None  # its time zone, opening hours and own closed days

    @property
    def time_zone(self) -> str:
        return self.office.time_zone

    def staff_for(self, role: str) -> list[str]:
        return self.staff.get(role) or self.staff.get("care_manager") or ["Pod staff"]

    def on_call_at(self, moment_utc: dt.datetime) -> int:
        """The clinician on call at a UTC moment (the practice's first clinician otherwise)."""
        for start, end, clinician_id in self.on_call:
            if start <= moment_utc < end:
                return clinician_id
        return self.clinicians[0].id


@dataclasses.dataclass
class PodPlan:
    practices: list[PracticePlan]
    payers: dict[str, list[int]]  # kind → payer ids
    staff_count: int


def weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def npi(rng: random.Random) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over the '80840' prefix)."""
    body = str(rng.randint(1, 2)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
    digits = [int(d) for d in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def practice_sizes(rng: random.Random, practices: int, patients: int) -> list[int]:
    """Patients per practice: uneven (small and large practices), each at least one."""
    weights = [rng.uniform(0.35, 1.65) for _ in range(practices)]
    total = sum(weights)
    sizes = [max(1, int(patients * w / total)) for w in weights]
    i = 0
    while sum(sizes) < patients:
        sizes[i % practices] += 1
        i += 1
    while sum(sizes) > patients:
        j = max(range(practices), key=lambda k: sizes[k])
        sizes[j] -= 1
    return sizes


def build_pod(seed: int, practices: int, patients: int, loader: Loader) -> PodPlan:
    rng = random.Random(f"{seed}:pod")
    created = sql_datetime(dt.datetime.combine(REFERENCE_DATE, dt.time(6, 0)) - dt.timedelta(days=400))
    payer_ids: dict[str, list[int]] = {}
    for pid, (code, name, kind) in enumerate(PAYERS, start=1):
        loader["payer"].add_values(id=pid, code=code, name=name, kind=kind)
        payer_ids.setdefault(kind, []).append(pid)

    sizes = practice_sizes(rng, practices, patients)
    plans: list[PracticePlan] = []
    used_names: set[str] = set()
    clinician_id = 0
    for index in range(practices):
        pid = index + 1
        city, state, zip3, offset = rng.choice(names.CITIES)
        name = f"{rng.choice(names.PRACTICE_NAME_FIRST)} {rng.choice(names.PRACTICE_NAME_KIND)}"
        if name in used_names:
            name = f"{name} of {city}"
        if name in used_names:
            name = f"{name} {pid}"
        used_names.add(name)
        initials = "".join(w[0] for w in name.replace("&", "").split() if w[0].isalpha())[:4].upper()
        code = f"{initials}-{pid:03d}"
        area = names.AREA_CODES[state]
        phone = f"({area}) 555-01{rng.randint(0, 99):02d}"
        nurse_line = f"({area}) 555-01{rng.randint(0, 99):02d}"
        factor = rng.random()
        quality = {m: round(0.44 + 0.38 * min(1.0, max(0.0, factor + rng.uniform(-0.2, 0.2))), 3)
                   for m in MEASURES}
        plan = PracticePlan(pid, code, name, city, state, zip3, offset, area, rng.randrange(3), quality,
                            patient_count=sizes[index], office=_office(seed, pid, state, offset))
        street = f"{rng.randint(10, 4999)} {rng.choice(names.STREETS)} {rng.choice(names.STREET_KINDS)}"
        loader["practice"].add_values(
            id=pid, code=code, name=name,
            address=f"{street}, Suite {rng.randint(100, 399)}, {city}, {state} {zip3}{rng.randint(0, 99):02d}",
            phone=phone, tin=f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}", npi=npi(rng),
            after_hours_instructions=(
                f"Outside office hours calls go to the pod nurse line {nurse_line}. "
                f"{rng.choice(('Page the on-call clinician for chest pain, shortness of breath or a sick infant.', 'Page the on-call clinician for any urgent symptom the protocol sends to the ED.', 'The on-call clinician takes pages until 10 pm; after that, urgent care or ED per protocol.'))} "
                f"{rng.choice(('Refill requests wait for the next business day.', 'Controlled-substance refills are never approved after hours.', 'Hospital discharges: leave a message for the care manager.'))}"
            ),
            active=True, created_at=created, time_zone=plan.office.time_zone,
        )
        for _ in range(rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0]):
            clinician_id += 1
            female = rng.random() < 0.5
            given = rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN)
            family = rng.choice(names.FAMILY)
            cred = weighted(rng, CREDENTIALS)
            loader["clinician"].add_values(id=clinician_id, practice_id=pid, family=family, given=given,
                                           npi=npi(rng), credentials=cred, active=True)
            label = f"Dr. {given} {family}" if cred in ("MD", "DO") else f"{given} {family}, {cred}"
            plan.clinicians.append(ClinicianPlan(clinician_id, label, f"{given} {family}, {cred}"))
        plans.append(plan)

    _calendars(plans, loader)
    _on_call_rota(rng, plans, loader)
    staff_count = _staff(rng, plans, loader)
    return PodPlan(plans, payer_ids, staff_count)


def _office(seed: int, practice_id: int, state: str, utc_offset: int) -> OfficeHours:
    """The practice's zone (its state's), a usual week of opening hours, and its own closed
    days: a staff training day some weeks back for some, the day after Thanksgiving for others.
    From a stream of its own, so the rest of the pod is the same whatever the hours."""
    rng = random.Random(f"{seed}:office:{practice_id}")
    zone_name = STATE_ZONES.get(state) or OFFSET_ZONES[utc_offset]
    pattern = weighted(rng, ((0, 50), (1, 15), (2, 15), (3, 10), (4, 10)))
    t = dt.time
    week = {day: (t(8), t(17)) for day in range(5)}
    if pattern == 1:
        week = {day: (t(8, 30), t(17, 30)) for day in range(5)}
    elif pattern == 2:
        week = {day: (t(7, 30), t(18)) for day in range(4)} | {4: (t(7, 30), t(16))}
    elif pattern == 3:
        week[5] = (t(9), t(12))  # a Saturday morning clinic
    elif pattern == 4:
        week[1] = week[3] = (t(8), t(19))  # late evenings on Tuesday and Thursday
    closed: dict[dt.date, str] = {}
    if rng.random() < 0.3:
        training = REFERENCE_DATE - dt.timedelta(days=rng.randint(10, 50))
        training += dt.timedelta(days=(2 - training.weekday()) % 7)  # a Wednesday
        closed[training] = "Staff training day"
    if rng.random() < 0.4:
        closed[dt.date(REFERENCE_DATE.year, 11, 27)] = "Day after Thanksgiving"
    return OfficeHours(zone_name, [OpeningHours(d, o, c) for d, (o, c) in sorted(week.items())], closed)


def _calendars(plans: list[PracticePlan], loader: Loader) -> None:
    hours_id = closed_id = 0
    for plan in plans:
        for row in plan.office.hours.values():
            hours_id += 1
            loader["practice_hours"].add_values(id=hours_id, practice_id=plan.id, weekday=row.weekday,
                                                opens=hhmm(row.opens), closes=hhmm(row.closes))
        for day, reason in sorted(plan.office.calendar.closed_days.items()):
            closed_id += 1
            loader["practice_closed_day"].add_values(id=closed_id, practice_id=plan.id, day=day, reason=reason)


def _on_call_rota(rng: random.Random, plans: list[PracticePlan], loader: Loader) -> None:
    """One slot from each closing of the office to its next opening (a weeknight; Friday evening
    to Monday morning; over a holiday), one clinician a week, from 9 weeks back to 5 weeks ahead."""
    first_monday = REFERENCE_DATE - dt.timedelta(days=REFERENCE_DATE.weekday() + 63)
    slot_id = 0
    for plan in plans:
        turn = rng.randrange(len(plan.clinicians))
        office = plan.office
        moment = to_utc(dt.datetime.combine(first_monday, dt.time()), office.time_zone)
        end = to_utc(dt.datetime.combine(first_monday + dt.timedelta(weeks=14), dt.time()), office.time_zone)
        while moment < end:
            opening = office.next_opening(moment)
            closing = office.opening_on(office.local_day(opening)).end
            starts, ends = closing, office.next_opening(closing)
            week = (office.local_day(starts) - first_monday).days // 7
            clinician = plan.clinicians[(turn + week) % len(plan.clinicians)].id
            slot_id += 1
            loader["on_call_slot"].add_values(id=slot_id, practice_id=plan.id, clinician_id=clinician,
                                              starts_at=starts, ends_at=ends)
            plan.on_call.append((starts, ends, clinician))
            moment = ends


def _staff(rng: random.Random, plans: list[PracticePlan], loader: Loader) -> int:
    """About 50 shared staff for 200 practices, 6–8 for a handful; each covers several practices."""
    count = max(6, round(6 + 0.22 * len(plans)))
    base_roles = ["care_manager", "nurse", "pharmacist", "social_worker", "administrator", "care_manager"]
    seen: set[str] = set()
    members: list[tuple[str, list[str]]] = []
    for index in range(count):
        role = base_roles[index] if index < len(base_roles) else weighted(
            rng, (("care_manager", 45), ("nurse", 30), ("pharmacist", 13), ("social_worker", 12)))
        roles = [role]
        if role == "care_manager" and rng.random() < 0.15:
            roles.append("nurse")
        while True:
            given = rng.choice(names.FEMALE_GIVEN if rng.random() < 0.75 else names.MALE_GIVEN)
            family = rng.choice(names.FAMILY)
            cred = rng.choice(STAFF_CREDENTIALS[role])
            name = f"{given} {family}" + (f", {cred}" if cred else "")
            if name not in seen:
                break
        seen.add(name)
        email = f"{name_key(given).replace(' ', '').lower()}.{name_key(family).replace(' ', '').lower()}@pod.example.org"
        members.append((name, roles))
        loader["staff_member"].add_values(id=index + 1, name=name, roles=",".join(r for r in ROLES if r in roles),
                                          email=email, active=True)
        if "administrator" in roles:
            covered = list(range(len(plans)))
        else:
            width = min(len(plans), COVERAGE[role])
            start = rng.randrange(len(plans))
            covered = sorted({(start + k) % len(plans) for k in range(width)})
        for p in covered:
            for r in roles:
                plans[p].staff.setdefault(r, []).append(name)
    # every practice needs its care manager, night nurse and pharmacist
    by_role = {r: [m for m in members if r in m[1]] for r in ("care_manager", "nurse", "pharmacist")}
    for plan in plans:
        for role, holders in by_role.items():
            if not plan.staff.get(role):
                name = holders[plan.id % len(holders)][0]
                plan.staff.setdefault(role, []).append(name)
    for index, (name, roles) in enumerate(members, start=1):
        for plan in plans:
            if any(name in plan.staff.get(r, []) for r in roles):
                loader["staff_practice"].add_values(staff_id=index, practice_id=plan.id)
    return count
