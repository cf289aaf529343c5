"""Patients an import could not place in a practice: where they wait, and assigning them.

They wait in the pod's holding place (never a practice, never a peer), and the import results
say how many went there; a person assigns each a practice (from the import results, or from
the chart). Assigning is a correction of the patient's record: the earlier practice is kept
as a revision, and the change audited.
"""
from __future__ import annotations

from collections.abc import Iterable

from application.changes import ChangeSet
from domain.errors import DomainError
from storage.queries import holding as q
from storage.queries.holding import HoldingPlace, Landing

__all__ = ["HoldingPlace", "Landing", "assign_practice", "holding_place", "landing", "waiting_patient_ids"]


def landing(pod, patient_ids: Iterable[int]) -> list[Landing]:
    return q.landing(pod.engine, patient_ids)


def holding_place(pod) -> HoldingPlace | None:
    return q.holding_place(pod.engine)


def waiting_patient_ids(pod, limit: int | None = None) -> list[int]:
    return q.waiting_patient_ids(pod.engine, limit)


def assign_practice(pod, patient_ids: Iterable[int], practice_id: int) -> ChangeSet:
    """Move patients out of the holding place into a practice of the pod, all or none: a patient
    already in a practice, or whose MRN the practice already gives someone else, is refused by
    name and nothing changes."""
    ids = sorted(set(patient_ids))
    if not ids:
        raise DomainError("Choose the patients to assign to a practice.")
    with pod.unit_of_work() as uow:
        practice = uow.practices.get(practice_id)
        if practice.holding or not practice.active:
            raise DomainError(f"{practice.name} is not an active practice of the pod.")
        for patient_id in ids:
            patient = uow.patients.get(patient_id)
            current = uow.practices.get(patient.practice_id)
            if not current.holding:
                raise DomainError(f"{patient.display_name} (MRN {patient.mrn}) is already a patient of "
                                  f"{current.name}; only patients whose practice was not known are assigned here.")
            other = uow.patients.by_mrn(practice_id, patient.mrn)
            if other is not None and other.id != patient.id:
                raise DomainError(f"{practice.name} already has MRN {patient.mrn} ({other.display_name}): "
                                  f"{patient.display_name} cannot be given the same MRN there.")
            uow.patients.correct(patient, {"practice_id": practice_id},
                                 reason=f"assigned to {practice.name} ({practice.code}): practice not known at import")
        uow.commit()
    return ChangeSet.of("patients", "quality", patients=ids)
