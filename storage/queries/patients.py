"""Patient search and the short rows the Patients screen lists.

Whatever the user types is read as every kind of key it could be (name, MRN,
birth date, phone digits); each reading becomes one indexed range or equality
predicate, and the readings are UNIONed in name order. Each arm of the union is
already in index order, so SQLite merges them and stops at the LIMIT instead of
sorting every match: "s" on a million patients answers as fast as "smith, jo".
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from domain.clock import today
from domain.text import age_on, age_text, name_key, parse_typed_date, phone_digits
from storage import schema as t
from storage.through_index import through

p = t.patient
PAGE_SIZE = 200
MIN_PHONE_DIGITS = 4
_PHONE_TYPED = re.compile(r"^[\d\s().+-]+$")

# The patients marked entered-in-error (a handful), from their own partial index: without
# statistics SQLite took the index of every inactive patient (moved, deceased) instead and read
# each one's row (21,000 at 1,000,000 patients: 50-60 ms). Counts that leave them out subtract
# their rows from counts read from indexes alone (the Gaps worklist, the pharmacist's worklist).
_in_error_index = through(p, "ix_patient_in_error")
PATIENTS_IN_ERROR = sa.select(_in_error_index.c.id).where(_in_error_index.c.entered_in_error == sa.true())
# the expression of ix_patient_phone_last4, written with a literal -4 (a bound
# parameter would not match the indexed expression and SQLite would scan)
_PHONE_LAST4 = sa.func.substr(p.c.phone_key, sa.literal_column("-4"))


@dataclasses.dataclass(frozen=True)
class PatientRow:
    """One line of the patient list."""

    id: int
    practice_id: int
    practice_code: str
    practice_name: str
    mrn: str
    family: str
    given: str
    birth_date: dt.date
    sex: str
    phone: str
    pcp: str
    risk_tier: str | None  # the effective tier: the override when there is one; None: never tiered
    risk_override_reason: str
    status: str

    @property
    def display_name(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family

    def age(self, on: dt.date | None = None) -> int:
        return age_on(self.birth_date, on or today())

    def age_text(self, on: dt.date | None = None) -> str:
        """'67 y'; a child under two in months."""
        return age_text(self.birth_date, on or today())


@dataclasses.dataclass(frozen=True)
class PracticeChoice:
    id: int
    code: str
    name: str


def clinician_name(given: str | None, family: str | None, credentials: str | None) -> str:
    """How a PCP is written everywhere on screen: "Ana Ruiz, MD"."""
    name = " ".join(part for part in (given, family) if part)
    return f"{name}, {credentials}" if name and credentials else name


def _successor(value: str) -> str:
    """The smallest string greater than every string starting with ``value``."""
    last = ord(value[-1])
    if last >= 0x10FFFF:  # no character after it: drop it and step the one before
        return _successor(value[:-1]) if len(value) > 1 else chr(0x10FFFF)
    return value[:-1] + chr(last + 1)


def _prefix(column: sa.ColumnElement, value: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``value``, written as a range an index can seek."""
    return sa.and_(column >= value, column < _successor(value))


def _name_readings(text: str) -> list[sa.ColumnElement[bool]]:
    """"smi", "smith jo", "smith, jo", "jo smith", "de la cruz": prefixes of family and given names."""
    if "," in text:
        family, _, given = text.partition(",")
        family_key, given_key = name_key(family), name_key(given)
        if not family_key:
            return []
        if not given_key:
            return [_prefix(p.c.family_key, family_key)]
        return [sa.and_(_prefix(p.c.family_key, family_key), _prefix(p.c.given_key, given_key))]
    tokens = name_key(text).split()
    if not tokens:
        return []
    readings = [_prefix(p.c.family_key, " ".join(tokens))]
    if len(tokens) > 1:  # a hyphenated family name typed with a space: Reyes-Cruz is kept as REYESCRUZ
        readings.append(_prefix(p.c.family_key, "".join(tokens)))
    # without a comma either part may come first, and either may hold several words
    for split in range(1, len(tokens)):
        first, second = " ".join(tokens[:split]), " ".join(tokens[split:])
        readings.append(sa.and_(_prefix(p.c.family_key, first), _prefix(p.c.given_key, second)))
        readings.append(sa.and_(_prefix(p.c.family_key, second), _prefix(p.c.given_key, first)))
        if split < len(tokens) - 1:  # "bobby reyes cruz": the family name hyphenated
            readings.append(sa.and_(_prefix(p.c.family_key, "".join(tokens[split:])), _prefix(p.c.given_key, first)))
    return readings


def _phone_readings(text: str) -> list[sa.ColumnElement[bool]]:
    """A run of 4+ digits: the start of the number (area code, full number) or its end (last 4)."""
    if not _PHONE_TYPED.match(text):
        return []
    digits = phone_digits(text)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    last4 = _PHONE_LAST4 == digits[-4:]
    ending = last4 if len(digits) == 4 else sa.and_(last4, p.c.phone_key.like("%" + digits))
    return [_prefix(p.c.phone_key, digits), ending]


def _mrn_readings(text: str) -> list[sa.ColumnElement[bool]]:
    """MRN exact or prefix, as typed and in capitals (MRNs are often 'A12345')."""
    if not text or any(c.isspace() for c in text):
        return []
    return [_prefix(p.c.mrn, variant) for variant in dict.fromkeys((text, text.upper()))]


def search_readings(text: str, *, on: dt.date | None = None) -> list[sa.ColumnElement[bool]]:
    """Every indexed predicate the typed text could mean (empty when there is nothing to search)."""
    text = (text or "").strip()
    if not text:
        return []
    readings: list[sa.ColumnElement[bool]] = []
    if any(c.isalpha() for c in text):
        readings += _name_readings(text)
    readings += _mrn_readings(text)
    born = parse_typed_date(text, today=on)
    if born is not None:
        readings.append(p.c.birth_date == born)
    readings += _phone_readings(text)
    return readings


def _practice_filter(practice_ids: Sequence[int] | None) -> list[sa.ColumnElement[bool]]:
    if practice_ids is None:
        return []
    ids = list(practice_ids)
    # one practice as an equality so ix_patient_practice_name also gives the name order
    return [p.c.practice_id == ids[0]] if len(ids) == 1 else [p.c.practice_id.in_(ids)]


def search_statement(text: str, practice_ids: Sequence[int] | None = None, *, limit: int = PAGE_SIZE,
                     offset: int = 0, on: dt.date | None = None) -> sa.Select | None:
    """The ids (with their sort keys) of one page of matches, in name order; None when nothing to search."""
    readings = search_readings(text, on=on)
    if not readings or (practice_ids is not None and not list(practice_ids)):
        return None
    common = [p.c.entered_in_error.is_(False), *_practice_filter(practice_ids)]
    arms = [sa.select(p.c.family_key, p.c.given_key, p.c.id).where(reading, *common)
            for reading in readings]
    order = (sa.literal_column("family_key"), sa.literal_column("given_key"), sa.literal_column("id"))
    if len(arms) == 1:
        return arms[0].order_by(p.c.family_key, p.c.given_key, p.c.id).limit(limit).offset(offset)
    return sa.union(*arms).order_by(*order).limit(limit).offset(offset)


def _row_statement(hits: sa.Subquery | None = None) -> sa.Select:
    pcp = t.clinician
    base = p.join(t.practice, t.practice.c.id == p.c.practice_id).outerjoin(pcp, pcp.c.id == p.c.pcp_id)
    if hits is not None:
        base = hits.join(base, p.c.id == hits.c.id)
    return sa.select(
        p.c.id, p.c.practice_id, t.practice.c.code.label("practice_code"),
        t.practice.c.name.label("practice_name"), p.c.mrn, p.c.family, p.c.given, p.c.birth_date,
        p.c.sex, p.c.phone, pcp.c.given.label("pcp_given"), pcp.c.family.label("pcp_family"),
        pcp.c.credentials.label("pcp_credentials"), p.c.risk_tier, p.c.risk_override,
        p.c.risk_override_reason, p.c.status,
    ).select_from(base)


def _to_row(r) -> PatientRow:
    return PatientRow(
        id=r.id, practice_id=r.practice_id, practice_code=r.practice_code, practice_name=r.practice_name,
        mrn=r.mrn, family=r.family, given=r.given or "", birth_date=r.birth_date, sex=r.sex or "",
        phone=r.phone or "", pcp=clinician_name(r.pcp_given, r.pcp_family, r.pcp_credentials),
        risk_tier=r.risk_override or r.risk_tier,
        risk_override_reason=r.risk_override_reason if r.risk_override else "", status=r.status,
    )


def search_patients(engine: Engine, text: str, practice_ids: Sequence[int] | None = None,
                    limit: int = PAGE_SIZE, offset: int = 0) -> list[PatientRow]:
    """Patients matching what was typed, in name order, one page at a time.

    ``practice_ids`` None searches the whole pod; an empty list finds nothing.
    Empty text finds nothing (never the whole table).
    """
    page = search_statement(text, practice_ids, limit=limit, offset=offset)
    if page is None:
        return []
    hits = page.subquery("hit")
    statement = _row_statement(hits).order_by(hits.c.family_key, hits.c.given_key, hits.c.id)
    with engine.connect() as conn:
        return [_to_row(r) for r in conn.execute(statement)]


def has_patients(engine: Engine) -> bool:
    """Whether the pod has any patient (not entered in error): a new pod has none."""
    with engine.connect() as conn:
        return conn.execute(sa.select(p.c.id).where(p.c.entered_in_error.is_(False)).limit(1)).first() is not None


def patients_by_ids(engine: Engine, ids: Iterable[int]) -> list[PatientRow]:
    """The rows of these patients in the order given (recently opened charts); unknown ids are skipped."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    with engine.connect() as conn:
        rows = {r.id: _to_row(r) for r in conn.execute(_row_statement().where(
            p.c.id.in_(wanted), p.c.entered_in_error.is_(False)))}
    return [rows[i] for i in wanted if i in rows]


def patient_row(engine: Engine, patient_id: int) -> PatientRow | None:
    found = patients_by_ids(engine, [patient_id])
    return found[0] if found else None


def practice_choices(engine: Engine) -> list[PracticeChoice]:
    """Active practices for the practice filter, by name (a pod has at most a few hundred)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.practice.c.id, t.practice.c.code, t.practice.c.name)
                            .where(t.practice.c.active.is_(True), t.practice.c.holding.is_(False))
                            .order_by(t.practice.c.name))
        return [PracticeChoice(r.id, r.code, r.name) for r in rows]
