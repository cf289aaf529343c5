"""Telephone-triage protocols the night nurse picks from (the pod adds its own to the list).

Titles as the common adult and pediatric telephone-triage protocol books name their
guidelines; the pod's own additions live in the ``triage_protocol`` table.
"""
from __future__ import annotations

from domain.errors import DomainError

PROTOCOLS = (
    "Abdominal Pain - Adult", "Abdominal Pain - Pediatric", "Allergic Reaction - Adult",
    "Ankle Injury - Pediatric", "Asthma Attack - Adult", "Asthma Attack - Pediatric", "Back Pain - Adult",
    "Breathing Difficulty - Adult", "Breathing Difficulty - Pediatric", "Burns - Adult", "Chest Pain - Adult",
    "Colds - Adult", "Colds - Pediatric", "Confusion - Adult", "Cough - Adult", "Cough - Pediatric",
    "Croup - Pediatric", "Dehydration - Pediatric", "Depression - Adult", "Diabetes - High Blood Sugar",
    "Diabetes - Low Blood Sugar", "Diarrhea - Adult", "Diarrhea - Pediatric", "Dizziness - Adult",
    "Earache - Pediatric", "Eye Pain - Adult", "Fall - Adult", "Fever - Adult", "Fever - Pediatric",
    "Head Injury - Adult", "Head Injury - Pediatric", "Headache - Adult", "High Blood Pressure - Adult",
    "Leg Swelling - Adult", "Medication Question Call - Adult", "Medication Question Call - Pediatric",
    "Nosebleed - Adult", "Poisoning - Pediatric", "Pregnancy - Bleeding", "Rash - Widespread - Adult",
    "Rash - Widespread - Pediatric", "Sore Throat - Adult", "Sore Throat - Pediatric", "Suicidal Thoughts - Adult",
    "Urination Pain - Female", "Urination Pain - Male", "Vomiting - Adult", "Vomiting - Pediatric",
    "Wound Infection - Adult",
)


def clean_protocol_name(name: str) -> str:
    """A protocol title as kept: single spaces, 3 to 80 characters."""
    text = " ".join((name or "").split())
    if not 3 <= len(text) <= 80:
        raise DomainError(f"A protocol name must have 3 to 80 characters; got {name!r}.")
    return text
