"""Bulk loading through the raw DB-API connection: rows as tuples, inserted in chunks.

The demo writes millions of rows; SQLAlchemy Core's per-row processing would dominate
the time, so rows are built as tuples in the tables' column order and values are
stored in exactly the text forms SQLAlchemy's SQLite dialect writes (so the ORM,
Core queries and string comparisons in SQL read them back the same way).
"""
from __future__ import annotations

import datetime as dt
import queue
import threading
from typing import Any

import sqlalchemy as sa

from storage import schema
from storage.schema import column_names, sql_date, sql_datetime

CHUNK_ROWS = 20_000


class _Stopped(Exception):
    """The loader was closed; later chunks are not written."""




def to_sql(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return sql_datetime(value)
    if isinstance(value, dt.date):
        return sql_date(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _default(column: sa.Column) -> Any:
    if column.default is not None and column.default.is_scalar:
        return to_sql(column.default.arg)
    if column.nullable or column.primary_key:
        return None
    raise KeyError(f"{column.table.name}.{column.name} needs a value")


class Rows:
    """Collects the rows of one table and hands them to the loader in chunks."""

    def __init__(self, loader: "Loader", table: sa.Table):
        self.loader, self.table = loader, table
        self.columns = column_names(table)
        self._defaults = {c.name: c for c in table.columns}
        self.rows: list[tuple] = []
        self.count = 0
        self.sql = (f'INSERT INTO "{table.name}" ({", ".join(self.columns)}) '
                    f'VALUES ({", ".join("?" * len(self.columns))})')

    def add(self, row: tuple) -> None:
        """A tuple already in column order with SQL-ready values (the fast path; the
        loader flushes full buffers between patients, see :meth:`Loader.flush_full`)."""
        self.rows.append(row)

    def add_values(self, **values: Any) -> None:
        """A row by column name; unnamed columns take their schema default."""
        unknown = set(values) - set(self.columns)
        if unknown:
            raise KeyError(f"{self.table.name} has no column {', '.join(sorted(unknown))}")
        self.add(tuple(
            to_sql(values[name]) if name in values else _default(self._defaults[name])
            for name in self.columns
        ))

    def flush(self) -> None:
        if self.rows:
            self.loader.submit(self.sql, self.rows)
            self.count += len(self.rows)
            self.rows = []


class Loader:
    """One table writer per table, over one DB-API connection inside one transaction.

    Chunks are inserted by one writer thread, in the order they were handed over:
    sqlite3 releases the GIL while SQLite stores rows, so building the next rows in
    Python overlaps with writing the last ones. Only the writer touches the
    connection until :meth:`close`; a failure there is raised in the caller.
    """

    def __init__(self, dbapi_connection):
        self.cursor = dbapi_connection.cursor()
        self.tables: dict[str, Rows] = {}
        self._queue: queue.Queue = queue.Queue(maxsize=6)
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="demo-writer", daemon=True)
        self._writer.start()

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._error is None:
                    self.cursor.executemany(*item)
            except BaseException as exc:  # handed to the generating thread
                self._error = exc
            finally:
                self._queue.task_done()

    def submit(self, sql: str, rows: list[tuple]) -> None:
        self._raise_if_failed()
        self._queue.put((sql, rows))

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def __getitem__(self, name: str) -> Rows:
        rows = self.tables.get(name)
        if rows is None:
            rows = self.tables[name] = Rows(self, schema.metadata.tables[name])
        return rows

    def flush(self) -> None:
        """Everything handed over and written."""
        for rows in self.tables.values():
            rows.flush()
        self._queue.join()
        self._raise_if_failed()

    def flush_full(self) -> None:
        for rows in self.tables.values():
            if len(rows.rows) >= CHUNK_ROWS:
                rows.flush()

    def close(self) -> None:
        """Stop the writer (dropping what was not written) and release the cursor."""
        if self._writer.is_alive():
            self._error = self._error or _Stopped()
            self._queue.put(None)
            self._writer.join()
        self.cursor.close()

    def counts(self) -> dict[str, int]:
        return {name: rows.count + len(rows.rows) for name, rows in sorted(self.tables.items())}


def explicit_indexes(cursor) -> list[tuple[str, str]]:
    """(name, CREATE INDEX sql) of every index the migrations created by name; the
    automatic indexes of UNIQUE/PRIMARY KEY constraints (sql NULL) are not listed."""
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    return list(cursor.fetchall())
