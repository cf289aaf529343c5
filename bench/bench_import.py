"""FHIR NDJSON import throughput, beside raw ``sqlite3.executemany`` of the same rows.

    .venv/bin/python bench/bench_import.py [--patients 100000] [--keep DIR] [--no-reader] [--general]

Generates a bulk-data export (Patient.ndjson, Encounter.ndjson, Condition.ndjson,
Observation.ndjson: per patient 1 encounter, 2 conditions, 3 observations, one of them a
blood pressure with components), imports it into a fresh database, then inserts the very
rows the import wrote into another fresh database with plain executemany (same indexes),
and prints both rates in resources per second: by the clock (what a user waits for: a big
import reads its NDJSON in a second process, storage.importers.pipeline), and by CPU time,
of the importing process alone and with the reader process's (the fairer comparison on a
machine other work is also using). ``--no-reader`` reads the NDJSON in the importing process;
``--general`` also imports the export with the fast path off (storage.importers.fastpath),
for before/after.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# every table the import writes, parents first
TABLES = ("practice", "import_run", "patient", "clinical_fact", "coding_concept", "fact_coding", "fact_component", "source_record",
          "audit_event")
CONDITIONS = [("44054006", "Diabetes mellitus type 2"), ("38341003", "Hypertensive disorder"),
              ("195967001", "Asthma"), ("13645005", "COPD")]


def generate(folder: Path, patients: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: open(folder / f"{name}.ndjson", "w") for name in ("Patient", "Encounter", "Condition", "Observation")}
    count = 0
    for n in range(patients):
        pid = f"pt{n}"
        files["Patient"].write(json.dumps({
            "resourceType": "Patient", "id": pid,
            "identifier": [{"type": {"coding": [{"code": "MR"}]}, "system": "urn:bench", "value": f"MRN{n}"}],
            "name": [{"family": f"Family{n % 5000}", "given": [f"Given{n % 997}"]}],
            "gender": rng.choice(("female", "male")),
            "birthDate": f"{rng.randint(1930, 2015)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "telecom": [{"system": "phone", "value": f"555-{n % 1000:03d}-{n % 10000:04d}"}]}) + "\n")
        day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        files["Encounter"].write(json.dumps({
            "resourceType": "Encounter", "id": f"e{n}", "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}]}],
            "subject": {"reference": f"Patient/{pid}"},
            "period": {"start": f"{day}T09:00:00Z", "end": f"{day}T09:20:00Z"}}) + "\n")
        for k in range(2):
            code, display = CONDITIONS[(n + k) % len(CONDITIONS)]
            files["Condition"].write(json.dumps({
                "resourceType": "Condition", "id": f"c{n}-{k}", "subject": {"reference": f"Patient/{pid}"},
                "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                               "code": "active"}]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}]},
                "onsetDateTime": f"20{rng.randint(10, 24)}-03-04"}) + "\n")
        files["Observation"].write(json.dumps({
            "resourceType": "Observation", "id": f"o{n}-a1c", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
            "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/e{n}"},
            "effectiveDateTime": f"{day}T09:10:00Z",
            "valueQuantity": {"value": round(rng.uniform(5, 11), 1), "unit": "%"}}) + "\n")
        files["Observation"].write(json.dumps({
            "resourceType": "Observation", "id": f"o{n}-bp", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
            "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/e{n}"},
            "effectiveDateTime": f"{day}T09:05:00Z",
            "component": [
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                 "valueQuantity": {"value": rng.randint(100, 170), "unit": "mmHg"}},
                {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                 "valueQuantity": {"value": rng.randint(60, 100), "unit": "mmHg"}}]}) + "\n")
        files["Observation"].write(json.dumps({
            "resourceType": "Observation", "id": f"o{n}-smoke", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "72166-2"}]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": day,
            "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "8517006",
                                                 "display": "Ex-smoker"}]}}) + "\n")
        count += 7
    for handle in files.values():
        handle.close()
    return count


def raw_insert_seconds(source_db: Path, target_db: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of plain executemany of the rows the import wrote, into a fresh
    migrated database (same tables, same indexes, same pragmas, one transaction)."""
    from storage.db import open_database

    open_database(target_db).dispose()
    src = sqlite3.connect(source_db)
    rows = {table: src.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    src.close()
    dst = sqlite3.connect(target_db, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "temp_store=MEMORY",
                   "cache_size=-65536"):
        dst.execute(f"PRAGMA {pragma}")
    started, cpu = time.perf_counter(), time.process_time()
    dst.execute("BEGIN IMMEDIATE")
    for table in TABLES:
        if rows[table]:
            marks = ",".join("?" * len(rows[table][0]))
            dst.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    dst.execute("COMMIT")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    dst.close()
    return seconds, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--keep", help="folder to keep the generated files and databases in")
    parser.add_argument("--no-reader", action="store_true",
                        help="read the NDJSON in the importing process (storage.importers.pipeline off)")
    parser.add_argument("--general", action="store_true",
                        help="also import through the general path only (fast path off), for before/after")
    args = parser.parse_args()
    if args.no_reader:
        from storage.importers import pipeline

        pipeline.PIPELINE = False
    if args.keep:
        return run(Path(args.keep), args.patients, args.general)
    with tempfile.TemporaryDirectory(prefix="carepod-bench-") as folder:  # gigabytes at 100,000 patients
        return run(Path(folder), args.patients, args.general)


def run(work: Path, patients: int, general: bool = False) -> int:
    from storage.db import open_database
    from storage.importers import loader
    from storage.importers.run import import_paths

    export = work / "export"
    t0 = time.perf_counter()
    resources = generate(export, patients)
    print(f"generated {resources:,} resources for {patients:,} patients in {time.perf_counter() - t0:.1f} s")
    db = work / "import.db"
    engine = open_database(db)
    load = os.getloadavg()[0]
    t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
    report = import_paths(engine, [export], actor="bench")
    import_s, import_cpu = time.perf_counter() - t0, time.process_time() - c0
    reader_cpu = _children_cpu() - k0  # the NDJSON reader process (storage.importers.pipeline), once it ended
    engine.dispose()
    assert not report.errors, report.errors[:5]
    t0 = time.perf_counter()
    engine = open_database(db)
    again = import_paths(engine, [export], actor="bench")
    reimport_s = time.perf_counter() - t0
    engine.dispose()
    raw_s, raw_cpu = raw_insert_seconds(db, work / "raw.db")
    total_cpu = import_cpu + reader_cpu
    print(f"load average before the import {load:.2f} (other work shares the cores); "
          f"NDJSON reader process: {'yes' if reader_cpu else 'no'}")
    print("                              wall clock                 CPU time (importing process)   CPU time (+ reader)")
    print(f"import (parse, map, write):   {_rate(resources, import_s)}   {_rate(resources, import_cpu)}"
          f"          {_rate(resources, total_cpu)}")
    print(f"raw executemany, same rows:   {_rate(resources, raw_s)}   {_rate(resources, raw_cpu)}")
    print(f"import / raw:                 {raw_s / import_s:7.0%}                    {raw_cpu / import_cpu:7.0%}"
          f"                        {raw_cpu / total_cpu:7.0%}   (target >= 50%, by the clock)")
    print(f"re-import, all unchanged:     {_rate(resources, reimport_s)}   ({again.total('unchanged'):,} unchanged)")
    if general:
        loader.FAST_PATH = False
        engine = open_database(work / "general.db")
        t0, c0 = time.perf_counter(), time.process_time()
        import_paths(engine, [export], actor="bench")
        general_s, general_cpu = time.perf_counter() - t0, time.process_time() - c0
        engine.dispose()
        loader.FAST_PATH = True
        print(f"general path only (before):   {_rate(resources, general_s)}   {_rate(resources, general_cpu)}")
        print(f"general path / raw:           {raw_s / general_s:7.0%}                    "
              f"{raw_cpu / general_cpu:7.0%}")
    return 0


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _rate(resources: int, seconds: float) -> str:
    return f"{seconds:7.1f} s {resources / seconds:9,.0f}/s"


if __name__ == "__main__":
    sys.exit(main())
