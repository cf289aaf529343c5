"""The same person at two practices: candidate links for an administrator to decide.

After an import, each imported patient is compared with patients of *other* practices:
same name and birth date (score 1.0), or same birth date with a similar name and the same
phone or address (score 0.8). Candidates go to ``patient_link``; nothing is ever merged.
An administrator confirms or dismisses them; confirmed links let the chart show the other
practice's record (:func:`linked_records`).
"""
from __future__ import annotations

import dataclasses
import difflib
import datetime as dt

import sqlalchemy as sa

from domain.clock import utcnow
from domain.errors import DomainError
from storage import audit_chain
from storage import schema as t
from storage.db import write_transaction

SAME_NAME_SCORE = 1.0
FUZZY_SCORE = 0.8
NAME_SIMILARITY = 0.8
DECISIONS = ("confirmed", "dismissed")
_BATCH = 500


def _similar(a: str, b: str) -> bool:
    return bool(a and b) and difflib.SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def find_candidates(engine, patient_ids) -> int:
    """Record candidate links for ``patient_ids``; returns how many new candidates were added."""
    p, q = t.patient.alias("p"), t.patient.alias("q")
    ids = sorted(patient_ids)
    found: dict[tuple[int, int], tuple[float, str]] = {}
    with write_transaction(engine) as conn:
        for start in range(0, len(ids), _BATCH):
            part = ids[start:start + _BATCH]
            same = sa.select(p.c.id, q.c.id).join(q, sa.and_(
                q.c.family_key == p.c.family_key, q.c.given_key == p.c.given_key,
                q.c.birth_date == p.c.birth_date, q.c.practice_id != p.c.practice_id,
                q.c.entered_in_error.is_(False))).where(p.c.id.in_(part), p.c.family_key != "")
            for a, b in conn.execute(same):
                found[(min(a, b), max(a, b))] = (SAME_NAME_SCORE, "same name and birth date")
            fuzzy = sa.select(p.c.id, q.c.id, p.c.family_key, p.c.given_key, q.c.family_key, q.c.given_key,
                              p.c.phone_key, q.c.phone_key, p.c.address_line, q.c.address_line,
                              p.c.postal_code, q.c.postal_code).join(q, sa.and_(
                q.c.birth_date == p.c.birth_date, q.c.practice_id != p.c.practice_id,
                q.c.entered_in_error.is_(False),
                sa.or_(sa.and_(q.c.phone_key == p.c.phone_key, p.c.phone_key != ""),
                       sa.and_(q.c.postal_code == p.c.postal_code, p.c.postal_code != "")))
            ).where(p.c.id.in_(part))
            for row in conn.execute(fuzzy):
                a, b, pf, pg, qf, qg, pph, qph, pad, qad, ppc, qpc = row
                pair = (min(a, b), max(a, b))
                if pair in found:
                    continue
                same_phone = bool(pph) and pph == qph
                same_address = bool(pad) and pad.strip().upper() == qad.strip().upper() and ppc == qpc
                if not (same_phone or same_address):
                    continue
                if _similar(pf, qf) and (_similar(pg, qg) or pg[:1] == qg[:1]):
                    found[pair] = (FUZZY_SCORE, "similar name, same birth date and "
                                   + ("phone" if same_phone else "address"))
        if not found:
            return 0
        existing = set()
        pairs = list(found)
        for start in range(0, len(pairs), _BATCH):
            part = pairs[start:start + _BATCH]
            existing |= set(conn.execute(sa.select(t.patient_link.c.patient_a_id, t.patient_link.c.patient_b_id)
                                         .where(sa.tuple_(t.patient_link.c.patient_a_id,
                                                          t.patient_link.c.patient_b_id).in_(part))).all())
        new = [{"patient_a_id": a, "patient_b_id": b, "score": s, "reason": r, "status": "candidate"}
               for (a, b), (s, r) in found.items() if (a, b) not in existing]
        if new:
            conn.execute(sa.insert(t.patient_link), new)
        return len(new)


@dataclasses.dataclass
class LinkRow:
    id: int
    score: float
    reason: str
    status: str
    a_id: int
    a_practice: str
    a_name: str
    a_mrn: str
    b_id: int
    b_practice: str
    b_name: str
    b_mrn: str
    birth_date: dt.date | None


def links(engine, status: str = "candidate", limit: int = 1000) -> list[LinkRow]:
    """Links in a given state (candidates by default), best score first."""
    a, b = t.patient.alias("a"), t.patient.alias("b")
    pa, pb = t.practice.alias("pa"), t.practice.alias("pb")
    link = t.patient_link
    query = (sa.select(link.c.id, link.c.score, link.c.reason, link.c.status,
                       a.c.id, pa.c.code, a.c.family, a.c.given, a.c.mrn,
                       b.c.id, pb.c.code, b.c.family, b.c.given, b.c.mrn, a.c.birth_date)
             .join(a, a.c.id == link.c.patient_a_id).join(b, b.c.id == link.c.patient_b_id)
             .join(pa, pa.c.id == a.c.practice_id).join(pb, pb.c.id == b.c.practice_id)
             .where(link.c.status == status).order_by(link.c.score.desc(), link.c.id).limit(limit))
    with engine.connect() as conn:
        return [LinkRow(r[0], r[1], r[2], r[3], r[4], r[5], f"{r[6]}, {r[7]}", r[8],
                        r[9], r[10], f"{r[11]}, {r[12]}", r[13], r[14]) for r in conn.execute(query)]


def decide(engine, link_id: int, decision: str, *, actor: str) -> None:
    """Confirm or dismiss a candidate (audited). Confirming never merges the two records."""
    if decision not in DECISIONS:
        raise DomainError(f"A link can be {' or '.join(DECISIONS)}, not {decision!r}.")
    if not actor:
        raise DomainError("Deciding a link must name who decided.")
    now = utcnow()
    with write_transaction(engine) as conn:
        row = conn.execute(sa.select(t.patient_link).where(t.patient_link.c.id == link_id)).mappings().first()
        if row is None:
            raise DomainError(f"No duplicate candidate with id {link_id}.")
        conn.execute(sa.update(t.patient_link).where(t.patient_link.c.id == link_id).values(
            status=decision, decided_by=actor, decided_at=now))
        for patient_id in (row["patient_a_id"], row["patient_b_id"]):
            audit_chain.append(conn, at=now, actor=actor, action="change", record_type="PatientLink",
                               record_id=link_id, patient_id=patient_id, detail=f"{row['status']} → {decision}")


@dataclasses.dataclass
class LinkedRecord:
    link_id: int
    patient_id: int
    practice_code: str
    practice_name: str
    mrn: str
    name: str
    birth_date: dt.date


def linked_records(engine, patient_id: int) -> list[LinkedRecord]:
    """The other practices' records confirmed to be the same person as ``patient_id``."""
    link, p, pr = t.patient_link, t.patient, t.practice
    other = sa.case((link.c.patient_a_id == patient_id, link.c.patient_b_id), else_=link.c.patient_a_id)
    query = (sa.select(link.c.id, p.c.id, pr.c.code, pr.c.name, p.c.mrn, p.c.family, p.c.given, p.c.birth_date)
             .select_from(link).join(p, p.c.id == other).join(pr, pr.c.id == p.c.practice_id)
             .where(link.c.status == "confirmed",
                    sa.or_(link.c.patient_a_id == patient_id, link.c.patient_b_id == patient_id))
             .order_by(pr.c.code))
    with engine.connect() as conn:
        return [LinkedRecord(r[0], r[1], r[2], r[3], r[4], f"{r[5]}, {r[6]}", r[7]) for r in conn.execute(query)]
