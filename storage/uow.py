"""The unit of work: one transaction, commits only when told, rolls back on exit otherwise.

Its transaction begins as a write (``BEGIN IMMEDIATE``, :func:`storage.db.writer`): a unit of
work reads and then writes (a chart opened is read, then its view audited), and a transaction
begun as a read cannot wait for the write lock later."""
from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage import repositories as r
from storage.db import writer
from storage.mapping import start_mappers


class UnitOfWork:
    """``with UnitOfWork(engine, actor="Dana Reyes") as uow: ...; uow.commit()``

    Services receive it and reach records only through its repositories.
    ``actor`` is the staff member every audit event and revision names.
    """

    def __init__(self, engine: Engine, actor: str):
        start_mappers()
        self._factory = sessionmaker(bind=writer(engine), expire_on_commit=False)
        self.actor = actor
        self.session: Session | None = None

    def __enter__(self) -> "UnitOfWork":
        self.session = session = self._factory()
        self.audit = r.AuditLog(session, self.actor)
        args = (session, self.audit)
        self.practices = r.PracticeRepository(*args)
        self.clinicians = r.ClinicianRepository(*args)
        self.on_call = r.OnCallRepository(*args)
        self.staff = r.StaffRepository(*args)
        self.payers = r.PayerRepository(*args)
        self.patients = r.PatientRepository(*args)
        self.facts = r.FactRepository(*args)
        self.referrals = r.ReferralRepository(*args)
        self.calls = r.CallRepository(*args)
        self.reviews = r.ReviewRepository(*args)
        self.outreach = r.OutreachRepository(*args)
        self.care_plans = r.CarePlanRepository(*args)
        self.tasks = r.TaskRepository(*args)
        self.time_entries = r.TimeEntryRepository(*args)
        self.timers = r.TimerRepository(*args)
        self.gap_overrides = r.GapOverrideRepository(*args)
        self.today_marks = r.TodayMarkRepository(*args)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
