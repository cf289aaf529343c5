"""A SIGKILL in the middle of a file keeps the last commit; property-based tests of the parsers."""
from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

from storage.importers.csv_panel import parse_panel_date
from storage.importers.fhir_datetime import InvalidDate, parse_instant
from storage.importers.plans import Rejected
from storage.importers.reader import parse_line

ROOT = Path(__file__).resolve().parents[2]

KILLER = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from storage.db import open_database
    from storage.importers.run import import_paths

    def progress(p):
        if p.file.endswith("b_big.ndjson") and p.resources >= 4000:
            print("mid-file", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    import_paths(open_database({db!r}), [{small!r}, {big!r}], progress=progress)
""")


def _patients(path: Path, count: int, prefix: str) -> None:
    with open(path, "w") as handle:
        for n in range(count):
            handle.write(json.dumps({"resourceType": "Patient", "id": f"{prefix}{n}", "birthDate": "1970-01-01",
                                     "name": [{"family": f"{prefix}{n}"}]}) + "\n")


def test_sigkill_mid_file_keeps_the_previous_commit(tmp_path):
    db, small, big = tmp_path / "kill.db", tmp_path / "a_small.ndjson", tmp_path / "b_big.ndjson"
    _patients(small, 3, "kept")
    _patients(big, 10_000, "lost")
    proc = subprocess.run([sys.executable, "-c", KILLER.format(root=str(ROOT), db=str(db), small=str(small),
                                                                big=str(big))],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "mid-file" in proc.stdout
    from storage.db import open_database

    engine = open_database(db)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        families = conn.execute(sa.text("SELECT family FROM patient ORDER BY family")).scalars().all()
        assert families == ["kept0", "kept1", "kept2"]
        assert conn.execute(sa.text("SELECT count(*) FROM source_record")).scalar() == 3
    engine.dispose()


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1800, 1, 1), max_value=dt.datetime(2200, 1, 1)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_datetimes_with_offsets_become_utc(moment, offset_minutes):
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    tz = dt.timezone(dt.timedelta(minutes=offset_minutes))
    text = moment.replace(tzinfo=tz).isoformat(timespec="milliseconds")
    expected = (moment - dt.timedelta(minutes=offset_minutes))
    assert parse_instant(text) == expected
    assert parse_instant(moment.date().isoformat()) == dt.datetime.combine(moment.date(), dt.time())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_date_or_a_clear_error(text):
    try:
        value = parse_instant(text)
    except InvalidDate as exc:
        assert repr(text) in str(exc)
    else:
        assert isinstance(value, dt.datetime)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_ndjson_line_is_a_resource_or_a_clear_error(data):
    entry = parse_line(data, "line 1")
    assert (entry.resource is None) != (entry.error is None)
    if entry.resource is not None:
        assert isinstance(entry.resource, dict)


@settings(max_examples=500, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20))
def test_any_json_resource_maps_or_is_rejected(value):
    from storage.importers.references import ReferenceIndex
    from storage.importers.resources import MAPPERS

    for rtype, mapper in MAPPERS.items():
        resource = dict(value) if isinstance(value, dict) else {"extra": value}
        resource.update(resourceType=rtype, id="x")
        try:
            mapper(resource, ReferenceIndex())
        except Rejected:
            pass


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_panel_dates_in_both_forms(day):
    assert parse_panel_date(day.isoformat(), "birth_date") == day
    assert parse_panel_date(f"{day.month}/{day.day}/{day.year:04d}", "birth_date") == day


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_panel_dates_otherwise_rejected_clearly(text):
    try:
        parse_panel_date(text, "birth_date")
    except Rejected as exc:
        assert "birth_date" in str(exc)
