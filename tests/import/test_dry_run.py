"""A dry run checks a whole import as the real one would, and saves nothing."""
from __future__ import annotations

import json

from helpers import snapshot
from storage.importers.run import import_paths


def _export(folder, bad_condition=False):
    """A bulk-data export: the Condition file refers to the Patient file's patients."""
    folder.mkdir()
    patients = [{"resourceType": "Patient", "id": f"p{n}", "name": [{"family": f"Fam{n}"}], "birthDate": "1970-01-01"}
                for n in range(3)]
    conditions = [{"resourceType": "Condition", "id": f"c{n}", "subject": {"reference": f"Patient/p{n}"},
                   "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                   "onsetDateTime": "2024-13-01" if bad_condition and n == 1 else "2024-01-01"} for n in range(3)]
    (folder / "Patient.ndjson").write_text("".join(json.dumps(r) + "\n" for r in patients))
    (folder / "Condition.ndjson").write_text("".join(json.dumps(r) + "\n" for r in conditions))
    return folder


def test_dry_run_of_a_bulk_export_sees_its_own_patients_and_saves_nothing(engine, tmp_path):
    before = snapshot(engine)
    dry = import_paths(engine, [_export(tmp_path / "ehr")], dry_run=True)
    assert dry.errors == [] and dry.files_imported == 2
    assert dry.counts["Condition"]["created"] == 3 and dry.counts["Patient"]["created"] == 3
    assert snapshot(engine) == before
    real = import_paths(engine, [tmp_path / "ehr"])  # the real import counts the same
    assert real.plain_counts() == dry.plain_counts()


def test_dry_run_still_rejects_a_bad_file_and_not_the_good_one(engine, tmp_path):
    before = snapshot(engine)
    dry = import_paths(engine, [_export(tmp_path / "ehr", bad_condition=True)], dry_run=True)
    assert dry.files_imported == 1 and dry.files_rejected == 1
    assert [(p.location, p.resource_id) for p in dry.errors][:1] == [("line 2", "c1")]
    assert snapshot(engine) == before
