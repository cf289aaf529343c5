"""One patient's chart: conditions, encounters, observations, procedures, immunizations,
medications, allergies and the rarer kinds, at the rates of a US primary-care panel.

Measure-relevant facts follow each practice's ``quality`` (one probability per measure,
0.40–0.85): a patient "meets" a measure with that probability, and the chart is then
written so the eCQM logic would find (or miss) the evidence in measurement year 2025,
and again in 2026 (the current year, up to the reference date).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

from domain.text import age_on
from storage.demo import codes as C
from storage.demo.clock import MEASUREMENT_YEAR, REFERENCE_DATE, at_local, fhir_instant, shift_to_weekday
from storage.demo.facts import FactSink

CHRONIC = ("hypertension", "diabetes", "copd", "heart_failure", "depression", "asthma", "ckd")

# prevalence by age band: (0-17, 18-39, 40-64, 65+)
PREVALENCE = {
    "hypertension": (0.002, 0.09, 0.34, 0.60),
    "diabetes": (0.003, 0.03, 0.12, 0.22),
    "copd": (0.0, 0.005, 0.06, 0.11),
    "heart_failure": (0.0, 0.002, 0.015, 0.08),
    "depression": (0.03, 0.09, 0.09, 0.07),
    "asthma": (0.08, 0.08, 0.07, 0.06),
    "ckd": (0.0, 0.01, 0.05, 0.14),
    "hyperlipidemia": (0.002, 0.06, 0.28, 0.45),
    "obesity": (0.06, 0.14, 0.18, 0.14),
    "adhd": (0.06, 0.01, 0.0, 0.0),
}

# Infant schedule: visit day of life → vaccines given (CMS117 counts these by the 2nd birthday).
INFANT_VISITS = (
    (61, ("dtap", "ipv", "hib", "pcv", "rv", "hepb")),
    (122, ("dtap", "ipv", "hib", "pcv", "rv")),
    (190, ("dtap", "ipv", "pcv", "hepb", "flu")),
    (274, ("flu",)),
    (372, ("mmr", "vzv", "hepa", "hib", "pcv")),
    (460, ("dtap",)),
    (550, ("hepa",)),
    (735, ()),
    (1100, ()),
    (1600, ("dtap", "ipv", "mmr", "vzv")),
)
# Series a child most often falls behind on (dropping the last dose misses CMS117).
MISSABLE = ("dtap", "pcv", "flu", "hepa", "rv", "hib")


@dataclasses.dataclass
class Person:
    id: int
    birth: dt.date
    sex: str
    utc_offset: int
    last_day: dt.date  # the chart stops here (reference date, move or death)
    quality: dict[str, float]
    payer_kind: str | None
    attributed_from: dt.date


@dataclasses.dataclass
class ChartSummary:
    chronic: list[str]
    conditions: list[str]
    medications: list[C.Code]
    ed_visits_12m: int = 0
    admissions_12m: int = 0
    discharges: list[dt.date] = dataclasses.field(default_factory=list)
    smoker: bool = False
    last_visit: dt.datetime | None = None
    # what the workflow's medication reviews must agree with (never drawn from the random stream)
    condition_names: dict[str, str] = dataclasses.field(default_factory=dict)  # key → display
    medication_starts: dict[str, dt.date] = dataclasses.field(default_factory=dict)  # RxNorm → first day
    medication_facts: dict[str, int] = dataclasses.field(default_factory=dict)  # RxNorm → its fact's id
    hba1c: list[tuple[dt.date, float]] = dataclasses.field(default_factory=list)  # results, oldest first
    blood_pressures: list[tuple[dt.date, int, int]] = dataclasses.field(default_factory=list)  # readings


def _band(age: int) -> int:
    return 0 if age < 18 else 1 if age < 40 else 2 if age < 65 else 3


class ChartBuilder:
    """Writes one patient's facts through a :class:`FactSink`."""

    def __init__(self, rng: random.Random, sink: FactSink, book: C.CodeBook):
        self.rng, self.sink, self.book = rng, sink, book

    # --- time helpers ---------------------------------------------------------------

    def _day_between(self, first: dt.date, last: dt.date, weekday: bool = True) -> dt.date | None:
        if last < first:
            return None
        day = first + dt.timedelta(days=int(self.rng.random() * ((last - first).days + 1)))
        if weekday:
            day = shift_to_weekday(day)
        return day if day <= last else None

    def _office_time(self, day: dt.date) -> dt.datetime:
        # 08:00 to 16:30 in quarter hours (random() is several times cheaper than randrange)
        return at_local(day, 480 + 15 * int(self.rng.random() * 35), self.p.utc_offset)

    def _raw(self, moment: dt.datetime) -> str:
        return fhir_instant(moment, self.p.utc_offset)

    @staticmethod
    def _date_only(day: dt.date) -> tuple[dt.datetime, str]:
        return dt.datetime(day.year, day.month, day.day), day.isoformat()

    # --- the chart ------------------------------------------------------------------

    def build(self, p: Person) -> ChartSummary:
        self.p = p
        rng = self.rng
        age = age_on(p.birth, REFERENCE_DATE)
        self.age = age
        band = _band(age)
        conditions = [k for k, rates in PREVALENCE.items() if rng.random() < rates[band]]
        if "diabetes" in conditions and "hypertension" not in conditions and rng.random() < 0.4:
            conditions.append("hypertension")  # the usual company of type 2 diabetes
        self.summary = ChartSummary([c for c in conditions if c in CHRONIC], conditions, [])
        self.summary.smoker = age >= 14 and rng.random() < (0.03 if age < 18 else 0.13)
        self._conditions(conditions)
        self._coverage()
        if age < 4:  # old enough to have been 2 in 2025, young enough to still be in the series
            self._infant_series()
        for year in (MEASUREMENT_YEAR, MEASUREMENT_YEAR + 1):
            self._year_of_care(year)
        self._screenings()
        self._medications(conditions)
        self._allergies()
        return self.summary

    def _conditions(self, conditions: list[str]) -> None:
        p, book = self.p, self.book
        earliest = max(p.birth + dt.timedelta(days=365), REFERENCE_DATE - dt.timedelta(days=365 * 15))
        for key in conditions:
            codes = book.conditions["diabetes_type1" if key == "diabetes" and self.rng.random() < 0.06 else key]
            onset = self._day_between(earliest, dt.date(MEASUREMENT_YEAR - 1, 12, 31), weekday=False)
            if onset is None:
                onset = min(p.last_day, p.birth + dt.timedelta(days=400))
            start, raw = self._date_only(onset)
            self.sink.add(p.id, "condition", codes[0], start, raw, more_codes=codes[1:],
                          clinical_status="active", verification="confirmed", category="problem-list-item")
            self.summary.condition_names[key] = codes[0].display

    def _coverage(self) -> None:
        if self.p.payer_kind:
            start, raw = self._date_only(self.p.attributed_from)
            self.sink.add(self.p.id, "coverage", self.book.payer_types[self.p.payer_kind], start, raw,
                          status="active")

    # --- encounters ------------------------------------------------------------------

    def _encounter(self, moment: dt.datetime, type_code: C.Code, cls: str = "AMB", *, minutes: int = 25,
                   more_types: tuple[C.Code, ...] = (), discharge: C.Code | None = None) -> int:
        end = moment + dt.timedelta(minutes=minutes)
        fid = self.sink.add(self.p.id, "encounter", type_code, moment, self._raw(moment),
                            more_codes=more_types, end=end, end_raw=self._raw(end), status="finished",
                            encounter_class=self.book.classes[cls], discharge=discharge)
        if self.summary.last_visit is None or moment > self.summary.last_visit:
            self.summary.last_visit = moment
        return fid

    def _preventive_code(self, age: int) -> C.Code:
        book = self.book
        if age < 18:
            key = "0" if age < 1 else "1-4" if age < 5 else "5-11" if age < 12 else "12-17"
            return book.preventive_child[key]
        if age >= 65 and self.p.payer_kind == "medicare" and self.rng.random() < 0.5:
            return book.wellness_visit
        return book.preventive_adult["18-39" if age < 40 else "40-64" if age < 65 else "65+"]

    def _year_of_care(self, year: int) -> None:
        p, rng, book = self.p, self.rng, self.book
        first = max(dt.date(year, 1, 1), p.birth + dt.timedelta(days=1))
        last = min(dt.date(year, 12, 31), p.last_day)
        if last < first:
            return
        age = age_on(p.birth, first)
        chronic = len(self.summary.chronic)
        visits: list[tuple[dt.datetime, bool]] = []
        if age >= 3 and rng.random() < (0.66 if age >= 65 or age < 18 else 0.56):
            day = self._day_between(first, last)
            if day:
                visits.append((self._office_time(day), True))
        office = int(rng.random() < 0.25 + 0.12 * chronic) + int(rng.random() < 0.03 + 0.15 * chronic) \
            + int(chronic >= 2 and rng.random() < 0.25)
        if not visits and office == 0 and age >= 3 and rng.random() < 0.6:
            office = 1  # most of a panel is seen at least once a year
        for _ in range(office):
            day = self._day_between(first, last)
            if day:
                visits.append((self._office_time(day), False))
        visits.sort()
        bp_visits = []
        screened = False
        for moment, preventive in visits:
            if preventive:
                code = self._preventive_code(age_on(p.birth, moment.date()))
            elif rng.random() < 0.06:
                code = book.telephone_visit
            else:
                code = rng.choices(book.office_visit, (10, 50, 35, 5))[0]
            enc = self._encounter(moment, code, "VR" if code is book.telephone_visit else "AMB",
                                  minutes=40 if preventive else 20)
            if age >= 18 and code is not book.telephone_visit and (
                    preventive or "hypertension" in self.summary.conditions):
                bp_visits.append((moment, enc))
            if age >= 18 and preventive and rng.random() < 0.3:
                self._observation(moment, enc, C.BMI, value_num=round(rng.gauss(28.5, 5.5), 1), unit="kg/m2",
                                  category="vital-signs")
            if age >= 12 and not screened and (preventive or moment == visits[-1][0]):
                screened = True
                self._tobacco(moment, enc, year)
                self._depression_screen(moment, enc, year)
            if "hyperlipidemia" in self.summary.conditions and preventive and rng.random() < 0.6:
                self.sink.add(p.id, "diagnostic_report", C.LIPID_PANEL, moment + dt.timedelta(minutes=30),
                              self._raw(moment + dt.timedelta(minutes=30)), status="final", category="LAB",
                              encounter_id=enc)
            if age >= 60 and not preventive and rng.random() < 0.03:
                self.sink.add(p.id, "medication_administration", C.B12_INJECTION, moment + dt.timedelta(minutes=10),
                              self._raw(moment + dt.timedelta(minutes=10)), status="completed", encounter_id=enc)
        self._blood_pressures(bp_visits, year)
        self._hba1c(visits, year, first, last)
        self._acute_care(year, first, last)
        self._flu_season(year, first, last)

    def _acute_care(self, year: int, first: dt.date, last: dt.date) -> None:
        """ED visits (some admitted) and hospital admissions with discharge dispositions and claims."""
        rng, book, p = self.rng, self.book, self.p
        chronic = len(self.summary.chronic)
        elder = self.age >= 65
        ed_rate = 0.07 + 0.04 * chronic + (0.03 if self.age < 5 else 0)
        admit_rate = 0.012 + 0.02 * chronic * (1.5 if elder else 1)
        year_ago = REFERENCE_DATE - dt.timedelta(days=365)
        for _ in range(int(rng.random() < ed_rate) + int(rng.random() < ed_rate / 4)):
            day = self._day_between(first, last, weekday=False)
            if not day:
                continue
            moment = at_local(day, rng.randrange(0, 24 * 60, 5), p.utc_offset)
            admitted = rng.random() < 0.12
            self._encounter(moment, rng.choice(book.ed_visit), "EMER", minutes=rng.randrange(120, 420, 5),
                            more_types=(book.ed_visit_snomed,),
                            discharge=None if admitted else book.discharges[
                                "aadvice" if rng.random() < 0.03 else "home"])
            if day >= year_ago:
                self.summary.ed_visits_12m += 1
            if admitted:
                self._admission(moment + dt.timedelta(hours=6), year_ago, emergency=True)
        if rng.random() < admit_rate:
            day = self._day_between(first, last, weekday=False)
            if day:
                self._admission(at_local(day, rng.randrange(6 * 60, 20 * 60, 5), p.utc_offset), year_ago)

    def _admission(self, moment: dt.datetime, year_ago: dt.date, emergency: bool = False) -> None:
        rng, book, p = self.rng, self.book, self.p
        stay = rng.choices((1, 2, 3, 4, 5, 7, 10), (15, 25, 20, 15, 10, 10, 5))[0]
        end = moment + dt.timedelta(days=stay, hours=rng.randrange(-3, 5))
        if end.date() > p.last_day:
            return
        serious = "heart_failure" in self.summary.conditions or "copd" in self.summary.conditions
        where = rng.choices(("home", "snf", "rehab", "long", "hospice"),
                            (74, 13, 8, 3, 2 if serious and self.age >= 65 else 0))[0]
        type_code = book.inpatient[1] if emergency else rng.choice(book.inpatient)
        enc = self._encounter(moment, type_code, "IMP", minutes=int((end - moment).total_seconds() // 60),
                              discharge=book.discharges[where])
        self.sink.add(p.id, "claim", C.CLAIM_INSTITUTIONAL, end, self._raw(end), status="active", encounter_id=enc)
        self.summary.discharges.append(end.date())
        if moment.date() >= year_ago:
            self.summary.admissions_12m += 1

    # --- observations at visits ------------------------------------------------------

    def _observation(self, moment: dt.datetime, encounter: int | None, code: C.Code, *, category: str,
                     value_num: float | None = None, unit: str = "", value: C.Code | None = None,
                     components=()) -> int:
        moment = moment + dt.timedelta(minutes=5)
        return self.sink.add(self.p.id, "observation", code, moment, self._raw(moment), status="final",
                             category=category, value_num=value_num, unit=unit, value=value,
                             encounter_id=encounter, components=components)

    def _met(self, measure: str) -> bool:
        return self.rng.random() < self.p.quality[measure]

    def _blood_pressures(self, visits: list[tuple[dt.datetime, int]], year: int) -> None:
        """CMS165 reads the most recent reading of the year: it is controlled (<140/<90)
        as often as the practice's quality says; earlier readings vary."""
        if not visits:
            return
        rng = self.rng
        hypertensive = "hypertension" in self.summary.conditions
        controlled_last = self._met("CMS165") if hypertensive else True
        for index, (moment, enc) in enumerate(visits):
            last = index == len(visits) - 1
            controlled = controlled_last if last else (rng.random() < (0.6 if hypertensive else 0.92))
            if controlled:
                systolic, diastolic = rng.randint(104, 138), rng.randint(62, 88)
            elif rng.random() < 0.5:
                systolic, diastolic = rng.randint(140, 178), rng.randint(70, 98)
            else:
                systolic, diastolic = rng.randint(120, 139), rng.randint(90, 104)
            self._observation(moment, enc, C.BP_PANEL, category="vital-signs",
                              components=((C.SYSTOLIC, float(systolic), "mm[Hg]"),
                                          (C.DIASTOLIC, float(diastolic), "mm[Hg]")))
            self.summary.blood_pressures.append((moment.date(), systolic, diastolic))

    def _hba1c(self, visits, year: int, first: dt.date, last: dt.date) -> None:
        """CMS122 (inverse): the last HbA1c of the year above 9 %, or none, is poor control."""
        rng = self.rng
        if "diabetes" not in self.summary.conditions:
            if self.age >= 40 and rng.random() < 0.12 and visits:
                moment, _ = visits[0]
                self._observation(moment, None, self.book.hba1c, category="laboratory",
                                  value_num=round(rng.uniform(4.8, 6.3), 1), unit="%")
            return
        controlled = self._met("CMS122")
        if not controlled and rng.random() < 0.4:
            return  # never tested this year
        tests = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
        days = sorted(filter(None, (self._day_between(first, last) for _ in range(tests))))
        for index, day in enumerate(days):
            final = index == len(days) - 1
            good = controlled if final else rng.random() < 0.7
            value = rng.uniform(5.9, 8.9) if good else rng.uniform(9.1, 12.8)
            self._observation(self._office_time(day), None, self.book.hba1c, category="laboratory",
                              value_num=round(value, 1), unit="%")
            self.summary.hba1c.append((day, round(value, 1)))

    def _tobacco(self, moment: dt.datetime, enc: int, year: int) -> None:
        """CMS138: screened in the year; users also get an intervention."""
        rng, book = self.rng, self.book
        if not self._met("CMS138"):
            return
        smoker = self.summary.smoker
        value = rng.choice(book.tobacco_user if smoker else book.tobacco_non_user)
        self._observation(moment, enc, book.tobacco_screen, category="survey", value=value)
        if smoker and self._met("CMS138"):
            later = moment + dt.timedelta(minutes=15)
            if rng.random() < 0.7:
                counsel = book.cessation_counseling
                self.sink.add(self.p.id, "procedure", counsel[0], later, self._raw(later), more_codes=counsel[1:],
                              status="completed", encounter_id=enc)
            else:
                self.sink.add(self.p.id, "medication_request", rng.choice(book.cessation_drugs), later,
                              self._raw(later), status="active", intent="order", category="community",
                              encounter_id=enc)

    def _depression_screen(self, moment: dt.datetime, enc: int, year: int) -> None:
        """CMS2: screened on the encounter date; a positive screen needs a follow-up plan."""
        rng, book = self.rng, self.book
        met = self._met("CMS2")
        if not met and rng.random() < 0.85:
            return
        positive = (not met) or rng.random() < (0.3 if "depression" in self.summary.conditions else 0.07)
        code = C.ADOLESCENT_DEPRESSION_SCREEN if age_on(self.p.birth, moment.date()) < 18 \
            else C.ADULT_DEPRESSION_SCREEN
        self._observation(moment, enc, code, category="survey",
                          value=C.SCREEN_POSITIVE if positive else C.SCREEN_NEGATIVE)
        if positive:
            self._observation(moment, enc, C.PHQ9, category="survey", value_num=float(rng.randint(10, 24)),
                              unit="{score}")
            if met:
                later = moment + dt.timedelta(minutes=20)
                if rng.random() < 0.7:
                    self.sink.add(self.p.id, "procedure", book.depression_follow_up, later, self._raw(later),
                                  status="completed", encounter_id=enc)
                else:
                    self.sink.add(self.p.id, "service_request", book.depression_referral, later, self._raw(later),
                                  status="active", intent="order", encounter_id=enc)

    def _flu_season(self, year: int, first: dt.date, last: dt.date) -> None:
        age = self.age
        if age < 2:
            return  # infants get theirs in the infant series
        rate = 0.55 if age >= 65 else 0.3 if age < 18 else 0.22
        if year > MEASUREMENT_YEAR:
            rate *= 0.85  # the 2026 season is still under way at the reference date
        if self.rng.random() < rate:
            day = self._day_between(max(first, dt.date(year, 9, 15)), min(last, dt.date(year, 11, 30)))
            if day:
                moment = self._office_time(day)
                code = C.ADULT_FLU if age >= 65 else self.book.vaccines["flu"]
                self.sink.add(self.p.id, "immunization", code, moment, self._raw(moment), status="completed")

    # --- screenings outside visits ---------------------------------------------------------

    def _procedure_or_test(self, kind: str, code: C.Code, day: dt.date | None, *, more=(), category="",
                           value: C.Code | None = None, value_text: str = "") -> None:
        if day is None or day > self.p.last_day or day <= self.p.birth:
            return
        moment = self._office_time(day)
        if kind == "procedure":
            end = moment + dt.timedelta(minutes=45)
            self.sink.add(self.p.id, "procedure", code, moment, self._raw(moment), more_codes=more, end=end,
                          end_raw=self._raw(end), status="completed")
        else:
            self.sink.add(self.p.id, "observation", code, moment, self._raw(moment), more_codes=more,
                          status="final", category=category, value=value, value_text=value_text)

    def _screenings(self) -> None:
        """Breast (CMS125), colorectal (CMS130) and cervical (CMS124) screening history.

        A screening that counts is dated so it counts for both measurement years, 2025 and
        2026 (inside both look-back windows); FIT, valid one year only, is drawn each year.
        """
        rng, book, p = self.rng, self.book, self.p
        end_age = age_on(p.birth, dt.date(MEASUREMENT_YEAR, 12, 31))
        female = p.sex == "female"
        span = self._day_between
        y = MEASUREMENT_YEAR
        if female and 42 <= end_age <= 74:
            if self._met("CMS125"):  # both windows: 1 Oct two years before the period to its end
                day = span(dt.date(y - 1, 10, 1), dt.date(y, 12, 31))
            else:
                day = span(dt.date(y - 5, 1, 1), dt.date(y - 2, 8, 31)) if rng.random() < 0.35 else None
            self._procedure_or_test("observation", rng.choice(book.mammography), day, category="imaging",
                                    value_text=rng.choice(("BI-RADS 1: Negative", "BI-RADS 2: Benign")))
        if 45 <= end_age <= 75:
            if self._met("CMS130"):
                choice = rng.random()
                if choice < 0.62:  # colonoscopy: ten years back from either period
                    self._procedure_or_test("procedure", book.colonoscopy[0], span(dt.date(y - 8, 1, 1), dt.date(y, 12, 31)),
                                            more=book.colonoscopy[1:])
                elif choice < 0.88:  # FIT: in the period itself, so once a year
                    for year in (y, y + 1):
                        if year == y or self._met("CMS130"):
                            self._procedure_or_test("observation", book.fit,
                                                    span(dt.date(year, 1, 1), min(dt.date(year, 12, 31), p.last_day)),
                                                    category="laboratory", value=C.NEGATIVE)
                else:  # sDNA-FIT: three years
                    self._procedure_or_test("observation", book.sdna_fit, span(dt.date(y - 1, 1, 1), dt.date(y, 12, 31)),
                                            category="laboratory", value=C.NEGATIVE)
            elif rng.random() < 0.3:
                self._procedure_or_test("observation", book.fit, span(dt.date(y - 3, 1, 1), dt.date(y - 1, 6, 30)),
                                        category="laboratory", value=C.NEGATIVE)
        if female and 21 <= end_age <= 64:
            if self._met("CMS124"):
                if end_age >= 30 and rng.random() < 0.35:  # HPV test: five years
                    self._procedure_or_test("observation", book.hpv, span(dt.date(y - 3, 1, 1), dt.date(y, 12, 31)),
                                            category="laboratory", value=C.NEGATIVE)
                else:  # cytology: three years
                    self._procedure_or_test("observation", book.pap, span(dt.date(y - 1, 1, 1), dt.date(y, 12, 31)),
                                            category="laboratory", value=C.NEGATIVE)
            elif rng.random() < 0.35:
                self._procedure_or_test("observation", book.pap, span(dt.date(y - 6, 1, 1), dt.date(y - 3, 6, 30)),
                                        category="laboratory", value=C.NEGATIVE)

    def _infant_series(self) -> None:
        """Well-child visits with the recommended vaccines; CMS117 misses follow the practice's quality."""
        rng, book, p = self.rng, self.book, self.p
        skipped: set[str] = set()
        if not self._met("CMS117"):
            skipped.update(rng.sample(MISSABLE, rng.randint(1, 2)))
        doses_left = {name: sum(name in given for _, given in INFANT_VISITS[:8]) for name in MISSABLE}
        birth_dose = dt.datetime(p.birth.year, p.birth.month, p.birth.day, 12) + dt.timedelta(days=1)
        if birth_dose.date() <= p.last_day:
            self.sink.add(p.id, "immunization", book.vaccines["hepb"], birth_dose, self._raw(birth_dose),
                          status="completed")
        for day_of_life, vaccines in INFANT_VISITS:
            day = shift_to_weekday(p.birth + dt.timedelta(days=day_of_life + rng.randrange(0, 10)))
            if day > p.last_day:
                break
            moment = self._office_time(day)
            enc = self._encounter(moment, self._preventive_code(age_on(p.birth, day)), minutes=30)
            for name in vaccines:
                if name in doses_left and day_of_life <= 735:
                    doses_left[name] -= 1
                    if name in skipped and doses_left[name] == 0:
                        continue  # the dose that was never given
                given = moment + dt.timedelta(minutes=20)
                self.sink.add(p.id, "immunization", book.vaccines[name], given, self._raw(given),
                              status="completed", encounter_id=enc)

    # --- medications, allergies, devices ---------------------------------------------------

    def _medications(self, conditions: list[str]) -> None:
        rng, book, p = self.rng, self.book, self.p
        chosen: list[C.Code] = []
        for key in conditions:
            if key == "depression":
                if rng.random() < 0.6:
                    chosen.append(rng.choice(book.depression_drugs))
                continue
            options = C.MEDICATIONS.get(key)
            if not options or (key == "hyperlipidemia" and rng.random() < 0.2):
                continue
            count = 2 if key in ("heart_failure", "copd") or (key == "hypertension" and rng.random() < 0.35) else 1
            for code in rng.sample(options, min(count, len(options))):
                if code not in chosen:
                    chosen.append(code)
        first = max(p.birth + dt.timedelta(days=30), REFERENCE_DATE - dt.timedelta(days=730))
        written: list[C.Code] = []  # only what the chart has: a code without a day is not ordered
        for code in chosen:
            day = self._day_between(first, p.last_day)
            if not day:
                continue
            written.append(code)
            self.summary.medication_starts[code.code] = day
            moment = self._office_time(day)
            self.summary.medication_facts[code.code] = self.sink.add(
                p.id, "medication_request", code, moment, self._raw(moment), status="active", intent="order",
                category="community")
            if rng.random() < 0.25:
                filled = moment + dt.timedelta(days=rng.randint(1, 3), hours=2)
                self.sink.add(p.id, "medication_dispense", code, filled, self._raw(filled), status="completed")
            if code.code == "106892" and rng.random() < 0.8:
                self.sink.add(p.id, "device_request", C.GLUCOSE_METER, moment, self._raw(moment), status="active",
                              intent="order")
        if self.age >= 18 and rng.random() < (0.25 if self.age >= 50 else 0.08):
            otc = rng.choice(C.OVER_THE_COUNTER)
            day = self._day_between(first, p.last_day)
            if day:
                start, raw = self._date_only(day)
                self.summary.medication_facts[otc.code] = self.sink.add(p.id, "medication_statement", otc, start,
                                                                        raw, status="active")
                written.append(otc)
                self.summary.medication_starts[otc.code] = day
        if self.age >= 75 and rng.random() < 0.12:
            day = self._day_between(first, p.last_day)
            if day:
                moment = self._office_time(day)
                self.sink.add(p.id, "device_request", self.book.walker, moment, self._raw(moment),
                              status="active", intent="order")
        self.summary.medications = written

    def _allergies(self) -> None:
        rng, p = self.rng, self.p
        count = int(rng.random() < 0.18) + int(rng.random() < 0.04)
        for code in rng.sample(C.ALLERGIES, count):
            category = "medication" if code.code in ("91936005", "294505008") else \
                "food" if code.code in ("300913006", "91935009", "425525006") else "environment"
            day = self._day_between(p.birth + dt.timedelta(days=180), p.last_day, weekday=False)
            if day:
                start, raw = self._date_only(day)
                self.sink.add(p.id, "allergy", code, start, raw, clinical_status="active",
                              verification="confirmed", category=category)
