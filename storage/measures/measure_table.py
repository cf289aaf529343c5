"""The ``measure`` table kept in step with the definition files and the measure catalogue
(gap rows refer to it; the screens list its active rows)."""
from __future__ import annotations

import json
from collections.abc import Iterable

from domain.measures import definition as definitions
from domain.measures.catalogue import catalogue


def install_measures(con, measure_ids: Iterable[str]) -> None:
    """Write the measures about to be computed (in the caller's write transaction; a raw
    sqlite3 connection), and make every row's ``active`` the catalogue's (a measure the
    catalogue does not have any more is inactive), so the screens list what the catalogue
    makes active."""
    known = catalogue()
    for mid in measure_ids:
        d = definitions.load(mid)
        con.execute("INSERT INTO measure (id, version, title, inverse, active, definition) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET version = excluded.version, title = excluded.title, "
                    "inverse = excluded.inverse, definition = excluded.definition",
                    (mid, d.get("version", ""), d["title"], int(bool(d.get("inverse"))),
                     int(mid in known and known[mid].active), json.dumps(d)))
    active = known.active_ids
    marks = ", ".join("?" * len(active)) or "NULL"
    con.execute(f"UPDATE measure SET active = (id IN ({marks})) WHERE active <> (id IN ({marks}))",
                (*active, *active))
