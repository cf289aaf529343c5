"""A fact's codings: each is a row of ``fact_coding`` (fact, role, concept) naming its system,
code and display once, in the dictionary ``coding_concept``.

A pod repeats a few thousand codings over tens of millions of rows; stored as text on every
row they took 92 bytes each (3.0 GB of a 1,000,000-patient pod, migration 0021). This module
is the one place that turns a coding's text into its concept and back: every writer of codings
(the importer's bulk writer, the demo, the ORM through :func:`concept_id`) gets the concept
here, and SQL that reads a coding's text joins the dictionary with :func:`text_join`.
"""
from __future__ import annotations

import sqlalchemy as sa

from storage import schema as t

_FIND = "SELECT id FROM coding_concept WHERE system = ? AND code = ? AND display = ?"
_ADD = "INSERT INTO coding_concept (system, code, display) VALUES (?, ?, ?)"


def text_join(coding: str, concept: str) -> str:
    """SQL: joins the concept ``concept`` of the fact_coding row ``coding`` (its system, code and
    display are then ``concept``.system, .code, .display)."""
    return f"CROSS JOIN coding_concept {concept} ON {concept}.id = {coding}.concept_id"


def concept_id(conn: sa.Connection, system: str, code: str, display: str = "") -> int:
    """The concept of a coding, added to the dictionary if it is new (inside the caller's
    transaction: a rollback takes it away with the coding that needed it)."""
    c = t.coding_concept.c
    key = (c.system == system) & (c.code == code) & (c.display == (display or ""))
    found = conn.execute(sa.select(c.id).where(key)).scalar()
    if found is None:
        found = conn.execute(sa.insert(t.coding_concept).values(system=system, code=code, display=display or "")
                             ).inserted_primary_key[0]
    return found


class Concepts:
    """The concepts of the codings a bulk writer writes, on its DB-API connection (SQLite's; the
    importer's and the demo's), each looked up or added once and then remembered.

    What it remembers holds for one transaction: a concept it added is gone after a rollback,
    so the writer calls :meth:`forget` then."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str, str], int] = {}

    def forget(self) -> None:
        self._ids.clear()

    def id_of(self, con, system: str, code: str, display: str) -> int:
        key = (system, code, display)
        found = self._ids.get(key)
        if found is None:
            row = con.execute(_FIND, key).fetchone()
            found = row[0] if row is not None else con.execute(_ADD, key).lastrowid
            self._ids[key] = found
        return found


def of_fact(con, fact_id: int, role: str | None = None) -> list[tuple]:
    """A fact's codings as (role, system, code, display), in the order they were written
    (only those of ``role`` if given: then (system, code, display))."""
    if role is None:
        return con.execute("SELECT c.role, n.system, n.code, n.display FROM fact_coding c "
                           f"{text_join('c', 'n')} WHERE c.fact_id = ? ORDER BY c.id", (fact_id,)).fetchall()
    return con.execute("SELECT n.system, n.code, n.display FROM fact_coding c "
                       f"{text_join('c', 'n')} WHERE c.fact_id = ? AND c.role = ? ORDER BY c.id",
                       (fact_id, role)).fetchall()


def with_text(schema: str = "") -> str:
    """SQL: fact_coding's rows with their text, as a subquery to alias (id, fact_id, role, system,
    code, display); ``schema``: of an attached database (``pod.``)."""
    return (f"(SELECT c.id AS id, c.fact_id AS fact_id, c.role AS role, n.system AS system, n.code AS code, "
            f"n.display AS display FROM {schema}fact_coding c JOIN {schema}coding_concept n ON n.id = c.concept_id)")


def fact_display(fact: sa.Table) -> sa.Label:
    """SQL: the display of a fact's code, its concept's, labelled ``display`` (``fact``: clinical_fact
    or an alias of it)."""
    n = t.coding_concept
    return sa.select(n.c.display).where(n.c.id == fact.c.concept_id).scalar_subquery().label("display")


def facts_with_text(schema: str = "") -> str:
    """SQL: clinical_fact's rows with their code's system and display (their concept's), as a
    subquery to alias; ``schema``: of an attached database (``pod.``)."""
    return (f"(SELECT f.*, coalesce(n.system, '') AS code_system, coalesce(n.display, '') AS display "
            f"FROM {schema}clinical_fact f LEFT JOIN {schema}coding_concept n ON n.id = f.concept_id)")


def components_with_text(schema: str = "") -> str:
    """SQL: fact_component's rows with their system, code and display (their concept's), as a
    subquery to alias."""
    return (f"(SELECT c.*, coalesce(n.system, '') AS system, coalesce(n.code, '') AS code, coalesce(n.display, '') "
            f"AS display FROM {schema}fact_component c LEFT JOIN {schema}coding_concept n ON n.id = c.concept_id)")
