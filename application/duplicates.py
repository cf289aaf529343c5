"""Records of one person at two practices: the candidates an import found, and the decision."""
from __future__ import annotations

from application.changes import ChangeSet
from storage.importers import duplicates as d
from storage.importers.duplicates import LinkedRecord, LinkRow

__all__ = ["LinkRow", "LinkedRecord", "candidate_links", "decide_link", "linked_records"]


def candidate_links(pod, limit: int = 1000) -> list[LinkRow]:
    return d.links(pod.engine, "candidate", limit)


def decide_link(pod, link: LinkRow, decision: str) -> ChangeSet:
    """Confirm ("same person") or dismiss a candidate (audited); records are never merged."""
    d.decide(pod.engine, link.id, decision, actor=pod.actor())
    return ChangeSet.of("patients", patients=[link.a_id, link.b_id])


def linked_records(pod, patient_id: int) -> list[LinkedRecord]:
    return d.linked_records(pod.engine, patient_id)
