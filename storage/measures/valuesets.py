"""The published value sets (FHIR ValueSet JSON with expansions) into ``valueset`` / ``valueset_code``."""
from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from storage import schema

VALUESETS = Path(__file__).resolve().parents[1] / "data" / "valuesets"


def _codes(contains, out):
    for item in contains or ():
        if item.get("code"):
            out[(item.get("system", ""), item["code"])] = item.get("display", "")
        _codes(item.get("contains"), out)


def load_valuesets(engine: sa.Engine, folder: Path = VALUESETS) -> int:
    """Load (or refresh) every ValueSet file of ``folder``; returns how many. One transaction."""
    files = sorted(Path(folder).glob("*.json"))
    with engine.begin() as conn:
        for path in files:
            vs = json.loads(path.read_text(encoding="utf-8"))
            oid = vs.get("id") or path.stem
            codes: dict = {}
            _codes((vs.get("expansion") or {}).get("contains"), codes)
            conn.execute(schema.valueset_code.delete().where(schema.valueset_code.c.valueset_oid == oid))
            conn.execute(schema.valueset.delete().where(schema.valueset.c.oid == oid))
            conn.execute(schema.valueset.insert(), [{"oid": oid, "url": vs.get("url", ""),
                                                     "name": vs.get("title") or vs.get("name", ""),
                                                     "version": vs.get("version", "")}])
            if codes:
                conn.execute(schema.valueset_code.insert(),
                             [{"valueset_oid": oid, "system": s, "code": c, "display": d}
                              for (s, c), d in codes.items()])
    return len(files)


def ensure_valuesets(engine: sa.Engine) -> None:
    """Load the shipped value sets once (an empty table means a new database)."""
    with engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.valueset)).scalar()
    if not count:
        load_valuesets(engine)
