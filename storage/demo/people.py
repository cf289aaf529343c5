"""Synthetic patients of one practice: demographics of a US primary-care panel."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

from domain.text import name_key, phone_digits
from storage.demo import names
from storage.schema import sql_date, sql_datetime
from storage.demo.clinical import ChartSummary, Person
from storage.demo.clock import REFERENCE_DATE
from storage.demo.pod import PodPlan, PracticePlan, weighted

PATIENT_COLUMNS = (
    "id", "practice_id", "mrn", "family", "given", "birth_date", "sex", "phone", "phone_alt",
    "address_line", "city", "state", "postal_code", "language", "payer_id", "member_id", "pcp_id",
    "risk_tier", "risk_override", "risk_override_reason", "consent_date", "consent_by", "status",
    "deceased_date", "attributed_from", "attributed_to", "family_key", "given_key", "phone_key",
    "entered_in_error", "created_at", "updated_at", "consent_method", "consent_withdrawn_on",
)
OVERRIDE_REASONS = (
    "Lives alone after recent falls; care manager judgement.",
    "Frequent after-hours calls, unstable housing.",
    "New cancer diagnosis, treatment starting.",
    "Caregiver no longer available.",
)
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


@dataclasses.dataclass
class Demographics:
    """What the chart and the workflow records need to know about a patient."""

    person: Person
    practice_id: int
    family: str
    given: str
    phone: str
    age: int
    status: str
    pcp_id: int | None = None


def _age(rng: random.Random) -> int:
    u = rng.random()
    if u < 0.20:
        return rng.randint(0, 17)
    if u < 0.79:
        return rng.randint(18, 64)
    return min(101, 65 + int(rng.expovariate(1 / 9.0)))


def _member_id(rng: random.Random, kind: str | None) -> str:
    if kind == "medicare":  # the shape of a Medicare Beneficiary Identifier
        a = _MBI_LETTERS
        return (f"{rng.randint(1, 9)}{rng.choice(a)}{rng.choice(a + '0123456789')}{rng.randint(0, 9)}"
                f"{rng.choice(a)}{rng.choice(a + '0123456789')}{rng.randint(0, 9)}"
                f"{rng.choice(a)}{rng.choice(a)}{rng.randint(0, 9)}{rng.randint(0, 9)}")
    if kind == "medicaid":
        return f"{rng.randint(10000000, 99999999)}{rng.choice('ABCDEFGH')}"
    if kind == "commercial":
        return f"{''.join(rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ') for _ in range(3))}{rng.randint(100000000, 999999999)}"
    return ""


def _payer_kind(rng: random.Random, age: int) -> str:
    if age >= 65:
        return weighted(rng, (("medicare", 88), ("commercial", 10), ("self-pay", 2)))
    if age < 18:
        return weighted(rng, (("medicaid", 42), ("commercial", 54), ("self-pay", 4)))
    return weighted(rng, (("commercial", 64), ("medicaid", 21), ("medicare", 5), ("self-pay", 10)))


class PanelBuilder:
    """Patients practice by practice; ids run on across the pod."""

    def __init__(self, rng: random.Random, pod: PodPlan):
        self.rng, self.pod = rng, pod
        self.next_id = 0
        self.languages = tuple(names.LANGUAGES)

    def demographics(self, practice: PracticePlan, mrn_counter: list[int]) -> tuple[Demographics, dict]:
        """A patient's person-level facts; the row is finished by :meth:`row` once the chart is known."""
        rng = self.rng
        self.next_id += 1
        pid = self.next_id
        age = _age(rng)
        birth = REFERENCE_DATE - dt.timedelta(days=age * 365 + age // 4 + rng.randrange(365))
        u = rng.random()
        adult = age >= 18
        sex = "female" if u < (0.515 if adult else 0.49) else "male" if u < 0.995 else rng.choice(("other", "unknown"))
        female_name = sex == "female" or (sex in ("other", "unknown") and rng.random() < 0.5)
        given = rng.choice(names.FEMALE_GIVEN if female_name else names.MALE_GIVEN)
        family = rng.choice(names.FAMILY)
        if rng.random() < 0.03:
            family = f"{family}-{rng.choice(names.FAMILY)}"
        mrn_counter[0] += rng.randint(1, 40)
        mrn = (f"{mrn_counter[0]:07d}" if practice.mrn_style == 0 else
               f"A{mrn_counter[0]:06d}" if practice.mrn_style == 1 else f"{mrn_counter[0]:08d}")
        area = practice.area_code if rng.random() < 0.85 else names.AREA_CODES[rng.choice(names.CITIES)[1]]
        phone = f"({area}) 555-{rng.randrange(10000):04d}"
        phone_alt = f"({area}) 555-{rng.randrange(10000):04d}" if rng.random() < 0.3 else ""
        if rng.random() < 0.8:
            city, state, zip3 = practice.city, practice.state, practice.zip3
        else:
            city, state, zip3, _ = rng.choice(names.CITIES)
        address = f"{rng.randint(1, 9899)} {rng.choice(names.STREETS)} {rng.choice(names.STREET_KINDS)}"
        if rng.random() < 0.15:
            address += f" Apt {rng.randint(1, 30)}{rng.choice('ABCDEF')}"
        kind = _payer_kind(rng, age)
        payer_id = rng.choice(self.pod.payers[kind])
        clinicians = practice.clinicians
        pcp = clinicians[min(len(clinicians) - 1, int(rng.random() ** 1.3 * len(clinicians)))].id
        joined = max(birth + dt.timedelta(days=rng.randint(0, 30)),
                     REFERENCE_DATE - dt.timedelta(days=rng.randint(200, 16 * 365)))
        roll = rng.random()
        status, last_day, deceased, attributed_to = "active", REFERENCE_DATE - dt.timedelta(days=1), None, None
        if roll < 0.012 and age >= 40:
            status = "deceased"
            deceased = REFERENCE_DATE - dt.timedelta(days=rng.randint(15, 600))
            last_day = deceased
        elif roll > 0.985:
            status = "moved"
            attributed_to = REFERENCE_DATE - dt.timedelta(days=rng.randint(15, 500))
            last_day = attributed_to
        if last_day < joined:
            joined = max(birth, last_day - dt.timedelta(days=30))
        person = Person(pid, birth, sex, practice.utc_offset, last_day, practice.quality,
                        None if kind == "self-pay" else kind, joined)
        row = {
            "id": pid, "practice_id": practice.id, "mrn": mrn, "family": family, "given": given,
            "birth_date": sql_date(birth), "sex": sex, "phone": phone, "phone_alt": phone_alt,
            "address_line": address, "city": city, "state": state, "postal_code": f"{zip3}{rng.randrange(100):02d}",
            "language": weighted(rng, self.languages), "payer_id": payer_id, "member_id": _member_id(rng, kind),
            "pcp_id": pcp, "status": status, "deceased_date": sql_date(deceased) if deceased else None,
            "attributed_from": sql_date(joined), "attributed_to": sql_date(attributed_to) if attributed_to else None,
            "family_key": name_key(family), "given_key": name_key(given), "phone_key": phone_digits(phone),
            "created_at": sql_datetime(dt.datetime.combine(joined, dt.time(9, rng.randrange(60)))),
        }
        return Demographics(person, practice.id, family, given, phone, age, status, pcp), row

    def row(self, practice: PracticePlan, fields: dict, chart: ChartSummary) -> tuple:
        """The finished patient row: a tier set by hand for a few, consent for some. The computed
        tier is left to the risk model (storage.risk), run once the pod is written."""
        rng = self.rng
        override, reason = None, ""
        if rng.random() < 0.004:
            override = "high"
            reason = rng.choice(OVERRIDE_REASONS)
        consent_date, consent_by, method = None, "", ""
        # (the patients the earlier tier rule called high or complex: the same random stream)
        busy = len(chart.chronic) >= 3 or chart.admissions_12m >= 1 or chart.ed_visits_12m >= 3
        if fields["status"] == "active" and (len(chart.chronic) >= 2 or busy) and rng.random() < 0.45:
            consent_date = max(REFERENCE_DATE - dt.timedelta(days=rng.randint(20, 700)),
                               dt.date.fromisoformat(fields["attributed_from"]))
            consent_by = rng.choice(practice.staff_for("care_manager"))
            method = "written" if consent_date.day % 4 == 0 else "verbal"  # no draw: the stream stays
        fields.update(risk_tier=None, risk_override=override, risk_override_reason=reason,
                      consent_date=sql_date(consent_date) if consent_date else None, consent_by=consent_by,
                      consent_method=method, consent_withdrawn_on=None, entered_in_error=0)
        updated = chart.last_visit + dt.timedelta(hours=2) if chart.last_visit else None
        fields["updated_at"] = sql_datetime(updated) if updated and sql_datetime(updated) > fields["created_at"] \
            else fields["created_at"]
        return tuple(fields[c] for c in PATIENT_COLUMNS)
