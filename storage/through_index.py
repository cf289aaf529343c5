"""Steering SQLite's planner, on SQLite only: a table read through one named index (``INDEXED
BY``), a column never taken as the index a read starts from (``+column``).

Without statistics SQLite's planner sometimes takes a wider index than the one a query was
written for (a partial index whose condition the query also implies, or a bigger index over the
same columns) and looks up millions of rows. ``through(table, index)`` stands for the table in a
query and names the index on SQLite; ``unindexed(column)`` keeps a condition from choosing the
index a read starts from. Other databases choose by their statistics and see the plain table and
column.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.visitors import InternalTraversal


class _Through(TableClause):
    # a cache key of its own (the table's and the index's name), so a statement reading through
    # an index is compiled once, like any other, rather than at every execution
    inherit_cache = False
    _traverse_internals = [*TableClause._traverse_internals, ("index", InternalTraversal.dp_string)]

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


class _Unindexed(sa.sql.expression.ColumnElement):
    """A column SQLite's planner will not take an index for (``+column``); plain elsewhere."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: sa.ColumnElement):
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """``column`` with the same value, but never the index a SQLite read starts from (``+column``):
    steers the planner to the index that holds the rows in the order asked for, or that starts
    from fewer rows. Other databases see the plain column."""
    return _Unindexed(column)
