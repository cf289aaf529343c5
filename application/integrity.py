"""Is the pod whole? The full database check and the audit trail's chain (read models).

Both only read: a Pod opened with ``read_only=True`` is enough, and nothing is created."""
from __future__ import annotations

from storage import audit_chain, health
from storage.audit_chain import Verdict
from storage.health import FullCheck

__all__ = ["FullCheck", "Verdict", "NotChained", "check_database", "verify_audit_trail"]


class NotChained(Exception):
    """The database predates the chained audit trail; the message says what to do."""


def check_database(pod, progress=None) -> FullCheck:
    """Every page and index, every foreign key and the whole audit chain. ``progress(text)``."""
    return health.full_check(pod.engine, progress)


def verify_audit_trail(pod, progress=None) -> Verdict:
    """Walk the whole chain; the verdict names the first broken event. ``progress(done, total)``."""
    import sqlalchemy as sa

    with pod.engine.connect() as conn:
        if not sa.inspect(conn).has_table("audit_chain"):
            raise NotChained(f"{pod.label} was last opened by an older Carepod: its audit trail is not "
                             "chained yet. Open it once with this version (it is brought up to date), "
                             "then verify it.")
    return audit_chain.verify(pod.engine, progress=progress)
