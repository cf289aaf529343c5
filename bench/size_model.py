"""How small the fact tables would be in a compact layout: built and measured, not estimated.

    python bench/size_model.py --db /path/to/pod.db --scratch /path/to/scratch.db [--json out.json]

Issue 24 asks for half the database. Three quarters of a pod's file are its clinical facts:
``clinical_fact``, its codings (``fact_coding``) and the criteria's copy ordered by code
(``coded_fact``). They store every code as text with its system's URL (35–60 bytes) and display,
three times over, and every time as 26 characters of text. This script copies the pod's facts
into a scratch file in the layout a redesign would use, and measures both with ``dbstat``:

- a dictionary of codes, ``code`` (system, code), and of codings, ``concept`` (code, display),
  each keyed by an integer;
- ``fact_coding`` as (fact, role, position, concept), clustered by its key (no rowid, no
  separate index: the key serves "this fact's codings of a role" and "its coded value");
- ``clinical_fact`` with its code and coded value as concept numbers, its kind as a number and
  its times as seconds since 1970 (UTC, as stored now);
- ``coded_fact`` keyed by (code number, fact), its days as day numbers, its times as seconds.

Everything a screen, report or explanation reads is kept: the source's own text of each date
(``start_raw``/``end_raw``), every coding with its display and order, every fact column. The
scratch file is the measurement only; the pod is opened read-only and not changed. SQLite-only
(a bench module). At 1,000,000 patients it takes about 5 minutes and 3.3 GB of disk.
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_dbsize  # noqa: E402

from storage import schema  # noqa: E402
from storage.codings import facts_with_text, with_text  # noqa: E402

# the pod's codings with their text (since migration 0021 a pod keeps each text once, in coding_concept)
POD_CODINGS = with_text("pod.")
POD_FACTS = facts_with_text("pod.")  # and its facts with their code's text (since 0024 kept in coding_concept)

# the tables the layout replaces (with their indexes)
FACT_TABLES = ("clinical_fact", "fact_coding", "coding_concept", "coded_fact")

# to the second, the fraction cut off (not rounded: 23:59:59.9995 stays on its day); stored times are UTC
_EPOCH_SECONDS = "CAST(strftime('%s', substr({0}, 1, 19)) AS INTEGER)"
_EPOCH_DAYS = "CAST(julianday({0}) - 2440587.5 AS INTEGER)"

STEPS = [
    ("kinds", f"""
        CREATE TABLE kind (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        INSERT INTO kind (name) SELECT DISTINCT kind FROM pod.clinical_fact ORDER BY kind;
        CREATE TABLE role (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        INSERT INTO role (name) SELECT DISTINCT role FROM {POD_CODINGS} ORDER BY role;
    """),
    ("the code dictionary", f"""
        CREATE TABLE code (id INTEGER PRIMARY KEY, system TEXT NOT NULL, code TEXT NOT NULL, UNIQUE (system, code));
        INSERT INTO code (system, code)
            SELECT system, code FROM (SELECT system, code FROM {POD_CODINGS}
                                      UNION SELECT code_system, code FROM {POD_FACTS}
                                      UNION SELECT value_system, value_code FROM {POD_FACTS} WHERE value_code <> '')
            ORDER BY system, code;
        CREATE TABLE concept (id INTEGER PRIMARY KEY, code_id INTEGER NOT NULL, display TEXT NOT NULL,
                              UNIQUE (code_id, display));
        INSERT OR IGNORE INTO concept (code_id, display)
            SELECT k.id, c.display FROM {POD_CODINGS} c JOIN code k ON k.system = c.system AND k.code = c.code;
        INSERT OR IGNORE INTO concept (code_id, display)
            SELECT k.id, f.display FROM {POD_FACTS} f JOIN code k ON k.system = f.code_system AND k.code = f.code;
        INSERT OR IGNORE INTO concept (code_id, display)
            SELECT k.id, f.value_text FROM {POD_FACTS} f
            JOIN code k ON k.system = f.value_system AND k.code = f.value_code WHERE f.value_code <> '';
    """),
    ("fact_coding", f"""
        CREATE TABLE fact_coding (fact_id INTEGER NOT NULL, role INTEGER NOT NULL, position INTEGER NOT NULL,
                                  concept_id INTEGER NOT NULL, PRIMARY KEY (fact_id, role, position)) WITHOUT ROWID;
        INSERT INTO fact_coding
            SELECT c.fact_id, r.id, row_number() OVER (PARTITION BY c.fact_id, c.role ORDER BY c.id), n.id
            FROM {POD_CODINGS} c JOIN role r ON r.name = c.role
            JOIN code k ON k.system = c.system AND k.code = c.code
            JOIN concept n ON n.code_id = k.id AND n.display = c.display
            ORDER BY c.fact_id, r.id, c.id;
    """),
    ("clinical_fact", f"""
        CREATE TABLE clinical_fact (
            id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL, kind INTEGER NOT NULL, concept_id INTEGER,
            status TEXT NOT NULL, clinical_status TEXT NOT NULL, verification_status TEXT NOT NULL,
            intent TEXT NOT NULL, category TEXT NOT NULL, start_at INTEGER, end_at INTEGER,
            start_raw TEXT NOT NULL, end_raw TEXT NOT NULL, recorded_at INTEGER, value_num REAL,
            value_unit TEXT NOT NULL, value_concept_id INTEGER, value_text TEXT NOT NULL, not_done INTEGER NOT NULL,
            encounter_class TEXT NOT NULL, discharge_code TEXT NOT NULL, encounter_fact_id INTEGER,
            source_key TEXT UNIQUE, resource_json TEXT, entered_in_error INTEGER NOT NULL, created_at INTEGER NOT NULL);
        INSERT INTO clinical_fact
            SELECT f.id, f.patient_id, kd.id, cn.id, f.status, f.clinical_status, f.verification_status,
                   f.intent, f.category, {_EPOCH_SECONDS.format('f.start_at')}, {_EPOCH_SECONDS.format('f.end_at')},
                   f.start_raw, f.end_raw, {_EPOCH_SECONDS.format('f.recorded_at')}, f.value_num, f.value_unit,
                   vn.id, CASE WHEN vn.id IS NULL THEN f.value_text ELSE '' END, f.not_done,
                   f.encounter_class, f.discharge_code, f.encounter_fact_id, f.source_key, f.resource_json,
                   f.entered_in_error, {_EPOCH_SECONDS.format('f.created_at')}
            FROM {POD_FACTS} f JOIN kind kd ON kd.name = f.kind
            LEFT JOIN code ck ON ck.system = f.code_system AND ck.code = f.code
            LEFT JOIN concept cn ON cn.code_id = ck.id AND cn.display = f.display
            LEFT JOIN code vk ON f.value_code <> '' AND vk.system = f.value_system AND vk.code = f.value_code
            LEFT JOIN concept vn ON vn.code_id = vk.id AND vn.display = f.value_text
            ORDER BY f.id;
        CREATE INDEX ix_fact_patient_kind_start ON clinical_fact (patient_id, kind, start_at);
    """),
    ("coded_fact", f"""
        CREATE TABLE coded_fact (
            code_id INTEGER NOT NULL, id INTEGER NOT NULL, patient_id INTEGER NOT NULL, kind INTEGER NOT NULL,
            entered_in_error INTEGER NOT NULL, status TEXT NOT NULL, clinical_status TEXT NOT NULL,
            intent TEXT NOT NULL, start_is_date INTEGER NOT NULL, end_is_date INTEGER NOT NULL,
            end_given INTEGER NOT NULL, start_at INTEGER,
            end_at INTEGER, recorded_at INTEGER, open_period INTEGER NOT NULL, start_day INTEGER, end_day INTEGER,
            has_value INTEGER NOT NULL, encounter_fact_id INTEGER, PRIMARY KEY (code_id, id)) WITHOUT ROWID;
        INSERT OR IGNORE INTO coded_fact  -- (two concepts of one code, told apart by display: one row)
            SELECT k.id, c.id, c.patient_id, kd.id, c.entered_in_error, c.status, c.clinical_status, c.intent,
                   c.start_is_date, c.end_is_date, c.end_given, {_EPOCH_SECONDS.format('c.start_at')},
                   {_EPOCH_SECONDS.format('c.end_at')},
                   {_EPOCH_SECONDS.format('c.recorded_at')}, c.open_period, {_EPOCH_DAYS.format('c.start_day')},
                   {_EPOCH_DAYS.format('c.end_day')}, c.has_value, c.encounter_fact_id
            FROM pod.coded_fact c JOIN pod.coding_concept n ON n.id = c.concept_id
            JOIN code k ON k.system = n.system AND k.code = n.code
            JOIN kind kd ON kd.name = c.kind
            ORDER BY k.id, c.id;
    """),
]

# the pod's small partial indexes of facts (storage.schema), with the code as its concept number
PARTIAL_INDEXES = [
    ("ix_fact_active_medication", f"(patient_id, end_at, concept_id) WHERE {schema.ACTIVE_MEDICATION_WHERE}"),
    ("ix_fact_acute_encounter", f"(start_at, patient_id, encounter_class, end_at, status) WHERE {schema.ACUTE_ENCOUNTERS}"),
    ("ix_fact_refuted_condition", f"(id) WHERE {schema.REFUTED_CONDITIONS}"),
    ("ix_fact_discharge", f"(kind, end_at, patient_id, entered_in_error) WHERE {schema.DISCHARGE_WHERE.text}"),
]

# a check that nothing was lost: each table's rows in the pod and in the layout
COUNTS = [("fact_coding", f"SELECT count(*) FROM {POD_CODINGS}", "SELECT count(*) FROM fact_coding"),
          ("clinical_fact", "SELECT count(*) FROM pod.clinical_fact", "SELECT count(*) FROM clinical_fact"),
          ("coded_fact", "SELECT count(*) FROM pod.coded_fact", "SELECT count(*) FROM coded_fact"),
          ("times with fractions of a second (kept only to the second)",
           "SELECT count(*) FROM pod.clinical_fact WHERE substr(start_at, 21) NOT IN ('', '000000') "
           "OR substr(end_at, 21) NOT IN ('', '000000') OR substr(recorded_at, 21) NOT IN ('', '000000')", "SELECT 0"),
          ("coded days that are not calendar days (no day number)",
           "SELECT count(*) FROM pod.coded_fact WHERE date(start_day) IS NOT start_day OR date(end_day) IS NOT end_day",
           "SELECT 0")]


def _read_only(path: Path) -> str:
    """The file's URI, opened read-only (any character in the path escaped)."""
    return path.resolve().as_uri() + "?mode=ro"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the pod's database file (opened read-only)")
    parser.add_argument("--scratch", required=True, help="a new file to build the layout in (replaced)")
    parser.add_argument("--year", type=int, default=2025, help="the year of the criterion's read (default 2025)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def build(pod: Path, scratch: Path, say=print) -> dict:
    """Build the layout of :data:`STEPS` in ``scratch`` from ``pod``; the seconds of each step
    and the row counts of :data:`COUNTS` (pod, layout)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(scratch.resolve().as_uri(), uri=True, isolation_level=None)
    try:
        with sqlite3.connect(_read_only(pod), uri=True) as source:
            page_size = source.execute("PRAGMA page_size").fetchone()[0]
        con.executescript(f"PRAGMA page_size = {page_size}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                          "PRAGMA cache_size = -1000000; PRAGMA temp_store = FILE;")
        con.execute("ATTACH ? AS pod", (_read_only(pod),))
        seconds = {}
        for name, script in STEPS:
            started = time.perf_counter()
            con.executescript(f"BEGIN; {script} COMMIT;")
            seconds[name] = time.perf_counter() - started
            say(f"  {name}: {seconds[name]:.0f} s")
        kinds = dict(con.execute("SELECT name, id FROM kind"))
        for index, sql in PARTIAL_INDEXES:  # the pod's partial indexes, on the kind numbers
            for name, number in kinds.items():
                sql = sql.replace(f"'{name}'", str(number))
            con.execute(f"CREATE INDEX {index} ON clinical_fact {sql}")
        counts = {label: (con.execute(before).fetchone()[0], con.execute(after).fetchone()[0])
                  for label, before, after in COUNTS}
    finally:
        con.close()
    return {"seconds": seconds, "counts": counts}


def _best_ms(con: sqlite3.Connection, sql: str, params=()) -> tuple[float, list]:
    """The best of three runs of ``sql`` in ms (the pages in the cache after the first), and its rows."""
    best, rows = float("inf"), []
    for _ in range(3):
        started = time.perf_counter()
        rows = con.execute(sql, params).fetchall()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, rows


def compare_reads(pod: Path, scratch: Path, year: int) -> list[tuple[str, float, float, bool]]:
    """Two reads on each layout, with the same answer: a criterion's (the most common code's facts
    of ``year``, the latest day per patient) and a chart's (100 patients' facts with their
    codings). (what, ms now, ms compact, same answer)."""
    old = sqlite3.connect(_read_only(pod), uri=True)
    new = sqlite3.connect(_read_only(scratch), uri=True)
    try:
        code_id, system, code = new.execute(
            "SELECT c.code_id, k.system, k.code FROM (SELECT code_id, count(*) n FROM coded_fact GROUP BY code_id "
            "ORDER BY n DESC LIMIT 1) c JOIN code k ON k.id = c.code_id").fetchone()
        first, last = f"{year}-01-01", f"{year}-12-31"
        days = new.execute("SELECT CAST(julianday(?) - 2440587.5 AS INTEGER), CAST(julianday(?) - 2440587.5 AS INTEGER)",
                           (first, last)).fetchone()
        crit_old = _best_ms(old, "SELECT patient_id, max(start_day) FROM coded_fact WHERE concept_id IN "
                                 "(SELECT id FROM coding_concept WHERE system = ? AND code = ?) "
                                 "AND start_day BETWEEN ? AND ? AND entered_in_error = 0 GROUP BY patient_id "
                                 "ORDER BY patient_id", (system, code, first, last))
        crit_new = _best_ms(new, "SELECT patient_id, date(max(start_day) * 86400, 'unixepoch') FROM coded_fact "
                                 "WHERE code_id = ? AND start_day BETWEEN ? AND ? AND entered_in_error = 0 "
                                 "GROUP BY patient_id ORDER BY patient_id", (code_id, *days))
        patients = [r[0] for r in old.execute("SELECT id FROM patient ORDER BY id LIMIT 100 OFFSET "
                                              "(SELECT count(*) / 2 FROM patient)")]
        marks = ", ".join("?" * len(patients))
        chart_old = _best_ms(old, f"SELECT f.id, f.kind, substr(f.start_at, 1, 19), c.role, c.system, c.code, c.display "
                                  f"FROM clinical_fact f JOIN {with_text()} c ON c.fact_id = f.id "
                                  f"WHERE f.patient_id IN ({marks}) ORDER BY f.id, c.role, c.id", patients)
        chart_new = _best_ms(new, f"SELECT f.id, kd.name, datetime(f.start_at, 'unixepoch'), r.name, k.system, k.code, "
                                  f"n.display FROM clinical_fact f JOIN kind kd ON kd.id = f.kind "
                                  f"JOIN fact_coding c ON c.fact_id = f.id JOIN role r ON r.id = c.role "
                                  f"JOIN concept n ON n.id = c.concept_id JOIN code k ON k.id = n.code_id "
                                  f"WHERE f.patient_id IN ({marks}) ORDER BY f.id, r.name, c.position", patients)
    finally:
        old.close()
        new.close()
    return [(f"a criterion's read ({system} {code}, {year}, {len(crit_old[1]):,} patients)",
             crit_old[0], crit_new[0], crit_old[1] == crit_new[1]),
            (f"a chart's read (100 patients, {len(chart_old[1]):,} codings)",
             chart_old[0], chart_new[0], chart_old[1] == chart_new[1])]


def _by_table(measured: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in measured["objects"]:
        out[o["table"]] = out.get(o["table"], 0) + o["bytes"]
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    pod, scratch = Path(args.db).expanduser(), Path(args.scratch).expanduser()
    if not pod.is_file():
        print(f"There is no database file at {pod}.", file=sys.stderr)
        return 2
    if scratch.resolve() == pod.resolve():
        print("The scratch file must not be the pod's own file.", file=sys.stderr)
        return 2
    print(f"building the compact layout of {pod} in {scratch}")
    built = build(pod, scratch)
    now, compact = bench_dbsize.measure(pod), bench_dbsize.measure(scratch)
    mb = bench_dbsize._mb
    now_tables, compact_tables = _by_table(now), _by_table(compact)
    patients = now["patients"] or 1
    print(f"\n{'table with its indexes':<34}{'now MB':>10}{'compact MB':>12}{'B/patient':>11}")
    for name in FACT_TABLES:
        print(f"{name:<34}{mb(now_tables.get(name, 0)):>10}{mb(compact_tables.get(name, 0)):>12}"
              f"{compact_tables.get(name, 0) / patients:>11,.0f}")
    for name in sorted(set(compact_tables) - set(FACT_TABLES) - {"sqlite_schema"}):
        print(f"{name + ' (new)':<34}{'':>10}{mb(compact_tables[name]):>12}")
    facts_now = sum(now_tables.get(n, 0) for n in FACT_TABLES)
    facts_compact = sum(compact_tables.values())
    in_use = now["file_bytes"] - now["free_pages"] * now["page_size"]
    rest = in_use - facts_now
    rest_packed = sum(o["used_bytes"] for o in now["objects"] if o["table"] not in FACT_TABLES)
    print(f"\nthe fact tables: {mb(facts_now)} MB now, {mb(facts_compact)} MB compact "
          f"({facts_compact / facts_now:.0%})")
    print(f"the file: {mb(now['file_bytes'])} MB, {mb(in_use)} MB in use; with the compact facts "
          f"{mb(rest + facts_compact)} MB, and with every other page full (VACUUM) {mb(rest_packed + facts_compact)} MB")
    for label, (before, after) in built["counts"].items():
        print(f"  rows, {label}: {before:,} in the pod, {after:,} in the layout")
    reads = compare_reads(pod, scratch, args.year)
    print(f"\n{'read (best of 3, pages cached)':<70}{'now ms':>9}{'compact ms':>12}  same answer")
    for what, before, after, same in reads:
        print(f"{what:<70}{before:>9,.1f}{after:>12,.1f}  {'yes' if same else 'NO'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"built": built, "now": now, "compact": compact, "reads": reads,
                                               "facts_now": facts_now, "facts_compact": facts_compact,
                                               "rest": rest, "rest_packed": rest_packed}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
