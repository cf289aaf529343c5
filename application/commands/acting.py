"""``--as NAME``: the staff member a command works as, checked against the pod's active staff
before the command runs, so the window and the command line record the same person the same
way (the pod's spelling of the name). A command that acts as a staff member and is not given
one says so with :func:`acting_as` (``storage.acting``: the same sentence for every command)."""
from __future__ import annotations

from storage.acting import NO_ACTOR_EXIT, acting_as
from storage.queries.database import open_carepod_database
from storage.queries.staff import acting_staff_name

__all__ = ["NO_ACTOR_EXIT", "acting_as", "resolve_acting"]


def resolve_acting(db, name: str, *, read_only: bool = False) -> str:
    """The pod's spelling of the active staff member ``name`` in the database ``db`` (None: the
    default one, which is not created when it does not exist; ``read_only``: nor changed nor
    upgraded, e.g. a backup about to be restored). Raises
    :class:`domain.practice.UnknownStaffMember` or
    :class:`storage.queries.database.NotACarepodDatabase`, each naming what is wrong."""
    engine = open_carepod_database(db, create=False, read_only=read_only)
    try:
        return acting_staff_name(engine, name)
    finally:
        engine.dispose()
