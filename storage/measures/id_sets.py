"""Sets of ids handed to SQL as a temp table (patients in scope, a measure's domain...)."""
from __future__ import annotations

import json
from typing import Iterable


def fill(con, table: str, ids: Iterable[int]) -> None:
    """Add ``ids`` to ``table`` (one INTEGER PRIMARY KEY column), in key order, with one
    statement: the ids travel as one JSON array (faster than a row per id)."""
    con.execute(f"INSERT OR IGNORE INTO {table} SELECT value FROM json_each(?)",
                (json.dumps(sorted({int(i) for i in ids})),))
