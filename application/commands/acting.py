"""``--as NAME``: the staff member a command works as, checked against the pod's active staff
before the command runs, so the window and the command line record the same person the same
way (the pod's spelling of the name)."""
from __future__ import annotations

from storage.queries.database import open_existing_carepod_database
from storage.queries.staff import acting_staff_name


def resolve_acting(db, name: str) -> str:
    """The pod's spelling of the active staff member ``name`` in the database ``db`` (None: the
    default one, which is not created when it does not exist). Raises
    :class:`domain.practice.UnknownStaffMember` or
    :class:`storage.queries.database.NotACarepodDatabase`, each naming what is wrong."""
    engine = open_existing_carepod_database(db)
    try:
        return acting_staff_name(engine, name)
    finally:
        engine.dispose()
