"""A new pod's first steps: the first practice and staff member, or the demo pod.

A fresh database offers these when Carepod first opens it (``ui.first_run``); nothing is
created behind the user's back: each is what the user chose.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from application.changes import ChangeSet
from application.staff import StaffSaved, add_staff_in
from domain.errors import DomainError
from domain.practice import Practice
from storage import schema as t

DEMO_PRACTICES, DEMO_PATIENTS, DEMO_SEED = 6, 3000, 1


def pod_is_empty(pod) -> bool:
    """No practice, patient or staff member yet: a first run."""
    with pod.engine.connect() as conn:
        return not any(conn.scalar(sa.select(sa.exists().where(sa.true()).select_from(table)))
                       for table in (t.practice, t.patient, t.staff_member))


def start_pod(pod, *, practice_name: str, practice_code: str, staff_name: str,
              roles: Iterable[str]) -> StaffSaved:
    """The pod's first practice and its first staff member (covering it), in one transaction;
    the new staff member is recorded as having created both."""
    name = " ".join((staff_name or "").split())
    if not name:
        raise DomainError("Give your name: every record you make will carry it.")
    with pod.with_actor(name).unit_of_work() as uow:
        if uow.practices.all():
            raise DomainError("This pod already has practices; add others on the Practices page.")
        practice = uow.practices.add(Practice(code=(practice_code or "").strip().upper(),
                                              name=" ".join((practice_name or "").split())))
        member = add_staff_in(uow, name=name, roles=roles, practice_ids=[practice.id])
        uow.commit()
        return StaffSaved(member.id, member.name, ChangeSet.of("staff", "practices"))


def build_demo_pod(path, *, progress=None) -> None:
    """Fill the empty database file at ``path`` (closed) with the synthetic demo pod."""
    from storage.demo.generate import DemoError, create_demo_pod
    from storage.demo.progress import Progress

    try:
        create_demo_pod(path, practices=DEMO_PRACTICES, patients=DEMO_PATIENTS, seed=DEMO_SEED,
                        progress=progress or Progress(DEMO_PATIENTS, enabled=False))
    except DemoError as exc:
        raise DomainError(str(exc)) from None
