"""The pod's staff: who can be chosen as the person using Carepod (in the window and with the
command line's ``--as NAME``), and the Staff page of Administration (add, edit, deactivate;
every change audited).

A staff member's name is what every record and audit event carries, so it is fixed once
created (records made under it keep pointing at the same person); a wrong name is
deactivated and the right one added.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from application.changes import ChangeSet
from domain.errors import DomainError
from domain.practice import ROLE_LABELS, ROLES, StaffMember, UnknownStaffMember
from storage.queries import staff as q
from storage.queries.staff import StaffRow

__all__ = ["ROLE_LABELS", "ROLES", "StaffRow", "StaffSaved", "UnknownStaffMember", "acting_staff_name",
           "active_staff_names", "add_staff", "edit_staff", "set_staff_active", "staff_list"]


def active_staff_names(pod) -> list[str]:
    return q.active_staff_names(pod.engine)


def staff_list(pod) -> list[StaffRow]:
    return q.staff_rows(pod.engine)


def acting_staff_name(pod, name: str | None) -> str:
    """The active staff member ``name`` as the pod spells it (the window's chooser and ``--as``
    record the same person the same way). Raises :class:`UnknownStaffMember` naming ``name``."""
    return q.acting_staff_name(pod.engine, name)


@dataclasses.dataclass(frozen=True)
class StaffSaved:
    staff_id: int
    name: str
    changes: ChangeSet = ChangeSet.of("staff")


def _roles(roles: Iterable[str]) -> str:
    chosen = set(roles)
    if not chosen:
        raise DomainError("Choose at least one role.")
    unknown = sorted(chosen - set(ROLES))
    if unknown:
        raise DomainError(f"Unknown role {unknown[0]!r}; the roles are: {', '.join(ROLES)}.")
    return ",".join(r for r in ROLES if r in chosen)


def _check_practices(uow, practice_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(practice_ids))
    for practice_id in ids:
        practice = uow.practices.get(practice_id)
        if practice.holding:
            raise DomainError(f"{practice.name} is the holding place of imported patients, not a practice "
                              "a staff member covers.")
    return ids


def add_staff(pod, *, name: str, roles: Iterable[str], practice_ids: Iterable[int] = (),
              email: str = "") -> StaffSaved:
    """A new active staff member with roles and the practices they cover (audited)."""
    with pod.unit_of_work() as uow:
        member = add_staff_in(uow, name=name, roles=roles, practice_ids=practice_ids, email=email)
        uow.commit()
        return StaffSaved(member.id, member.name)


def add_staff_in(uow, *, name: str, roles: Iterable[str], practice_ids: Iterable[int] = (),
                 email: str = "") -> StaffMember:
    """:func:`add_staff` inside a unit of work the caller commits."""
    member = StaffMember(name=name, roles=_roles(roles), email=email)
    member.validate()
    if any(m.name.casefold() == member.name.casefold() for m in uow.staff.all()):
        raise DomainError(f"There is already a staff member called {member.name}.")
    ids = _check_practices(uow, practice_ids)
    uow.staff.add(member)
    uow.staff.set_covered_practices(member, ids)
    return member


def edit_staff(pod, staff_id: int, *, roles: Iterable[str], practice_ids: Iterable[int],
               email: str = "") -> StaffSaved:
    """Change a staff member's roles, e-mail and practices covered (the earlier values are kept
    as a revision; the practices covered are audited)."""
    with pod.unit_of_work() as uow:
        member = uow.staff.get(staff_id)
        check = StaffMember(name=member.name, roles=_roles(roles), email=email)
        check.validate()
        ids = _check_practices(uow, practice_ids)
        uow.staff.correct(member, {"roles": check.roles, "email": check.email}, reason="Staff page")
        if ids != sorted(uow.staff.covered_practice_ids(staff_id)):
            uow.staff.set_covered_practices(member, ids)
        uow.commit()
        return StaffSaved(member.id, member.name)


def set_staff_active(pod, staff_id: int, active: bool) -> StaffSaved:
    """Deactivate (or bring back) a staff member: never deleted, since records carry the name.
    The person using Carepod cannot deactivate themselves, nor the pod its last active member."""
    with pod.unit_of_work() as uow:
        member = uow.staff.get(staff_id)
        if not active and member.active:
            if member.name == uow.actor:
                raise DomainError(f"You are using Carepod as {member.name}: choose another user "
                                  "(File ▸ Change user) before deactivating yourself.")
            if sum(1 for m in uow.staff.all() if m.active) <= 1:
                raise DomainError(f"{member.name} is the pod's last active staff member.")
        uow.staff.correct(member, {"active": bool(active)},
                          reason="deactivated on the Staff page" if not active else "reactivated on the Staff page")
        uow.commit()
        return StaffSaved(member.id, member.name)
