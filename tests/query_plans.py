"""What SQLite plans for the statements an action runs: tests that a screen's query reads the
index it was written for (at 1,000,000 patients the other plans cost seconds)."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from sqlalchemy import event


@contextlib.contextmanager
def statements_run(engine) -> Iterator[list[tuple[str, object]]]:
    """The (SQL, parameters) of every statement run on ``engine`` inside the block."""
    statements: list[tuple[str, object]] = []

    def seen(conn, cursor, statement, params, context, many):
        statements.append((statement, params))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def query_plans(engine, statements, keep: Callable[[str], bool]) -> list[list[str]]:
    """SQLite's plan (its steps' text) of each statement whose SQL ``keep`` accepts."""
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        return [[row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params)]
                for sql, params in statements if keep(sql)]
