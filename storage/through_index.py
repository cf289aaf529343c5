"""A table read through one named index, on SQLite only (``INDEXED BY``).

Without statistics SQLite's planner sometimes takes a wider index than the one a query was
written for (a partial index whose condition the query also implies, or a bigger index over the
same columns) and looks up millions of rows. ``through(table, index)`` stands for the table in a
query and names the index on SQLite; other databases choose by their statistics and see the plain
table.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import TableClause


class _Through(TableClause):
    inherit_cache = False

    def __init__(self, table: sa.Table, index: str):
        super().__init__(table.name, *(sa.column(c.name, c.type) for c in table.columns))
        self.index = index


@compiles(_Through, "sqlite")
def _through_sqlite(element, compiler, **kw):
    text = compiler.visit_table(element, **kw)
    return f"{text} INDEXED BY {element.index}" if kw.get("asfrom") else text


def through(table: sa.Table, index: str) -> TableClause:
    """``table`` read through its index ``index`` (on SQLite)."""
    assert index in {i.name for i in table.indexes}, f"{table.name} has no index {index}"
    return _Through(table, index)
