"""Finding patients: the search of the Patients section and the recent list (read models)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from storage.queries import patients as q
from storage.queries.patients import PAGE_SIZE, PatientRow, PracticeChoice

__all__ = ["PAGE_SIZE", "PatientRow", "PracticeChoice", "has_patients", "patient_row", "patients_by_ids",
           "practice_choices", "search_patients"]


def search_patients(pod, text: str, practice_ids: Sequence[int] | None = None, *, limit: int = PAGE_SIZE,
                    offset: int = 0) -> list[PatientRow]:
    """Patients whose name, MRN, birth date or phone matches what was typed."""
    return q.search_patients(pod.engine, text, practice_ids, limit=limit, offset=offset)


def patients_by_ids(pod, ids: Iterable[int]) -> list[PatientRow]:
    return q.patients_by_ids(pod.engine, ids)


def has_patients(pod) -> bool:
    """Whether the pod has any patient yet (a new pod's screens say how patients come)."""
    return q.has_patients(pod.engine)


def patient_row(pod, patient_id: int) -> PatientRow | None:
    return q.patient_row(pod.engine, patient_id)


def practice_choices(pod) -> list[PracticeChoice]:
    return q.practice_choices(pod.engine)
