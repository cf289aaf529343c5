"""Unfinished call entries, kept in the database as the nurse types.

A draft is the entry form's fields as JSON, one row per open entry, written in its own short
transaction after each pause in typing: a crash, a kill or a closed window loses at most the
last pause's keystrokes. Drafts are not clinical records: they are replaced as the nurse types
and deleted when the call is saved or the draft discarded.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage import schema as t
from storage.db import write_transaction

d = t.call_draft


@dataclasses.dataclass(frozen=True)
class Draft:
    id: int
    actor: str
    updated_at: dt.datetime
    content: dict


def save_draft(engine: Engine, actor: str, draft_id: int | None, content: dict, now: dt.datetime) -> int:
    """Write the draft (a new one when ``draft_id`` is None or was discarded meanwhile); its id."""
    text = json.dumps(content, sort_keys=True)
    with write_transaction(engine) as conn:  # a staff save: begun as a write (storage.db)
        if draft_id is not None:
            updated = conn.execute(sa.update(d).where(d.c.id == draft_id, d.c.actor == actor)
                                   .values(content=text, updated_at=now))
            if updated.rowcount:
                return draft_id
        return conn.execute(sa.insert(d).values(actor=actor, content=text, updated_at=now)).inserted_primary_key[0]


def drafts_of(engine: Engine, actor: str) -> list[Draft]:
    """The staff member's drafts, most recently typed first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(d).where(d.c.actor == actor).order_by(d.c.updated_at.desc(), d.c.id.desc()))
        return [Draft(r.id, r.actor, r.updated_at, json.loads(r.content)) for r in rows]


def delete_draft(conn, draft_id: int) -> None:
    """Inside the caller's transaction (the call's save), or on its own."""
    conn.execute(sa.delete(d).where(d.c.id == draft_id))
