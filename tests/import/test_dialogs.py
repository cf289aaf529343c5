"""The Import and Duplicates dialogs, with real widgets (offscreen)."""
from __future__ import annotations

import csv
import json

import pytest

from tests.ui.conftest import make_context

from helpers import add_practice


def _bundle(path, family="Rivera", pid="p1", birth="1961-04-12", bad=False):
    patient = {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": ["Ana"]}],
               "birthDate": birth, "telecom": [{"system": "phone", "value": "555-201-3344"}]}
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": f"Patient/{pid}"},
                 "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]},
                 "onsetDateTime": "not-a-date" if bad else "2024-01-01"}
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": patient}, {"resource": condition}]}))
    return path


# showing a window offscreen makes Qt say its platform cannot propagate size hints: not a fault
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_import_dialog_runs_in_background_and_saves_problems(qtbot, engine, tmp_path):
    from ui.import_dialog import ImportDialog

    add_practice(engine)
    dialog = ImportDialog(make_context(engine, "Test Admin"))
    qtbot.addWidget(dialog)
    assert dialog.practice.count() == 2  # "from the data" + OAK
    dialog.add_paths([_bundle(tmp_path / "good.json"), _bundle(tmp_path / "bad.json", pid="p2", bad=True)])
    dialog.practice.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.import_finished, timeout=30_000) as blocker:
        dialog.start.click()
    report = blocker.args[0]
    assert report.files_imported == 1 and report.files_rejected == 1
    assert dialog.counts.rowCount() == 2
    assert dialog.problems_model.rowCount() == len(report.problems) >= 2
    assert "1 imported, 1 rejected" in dialog.status.text()
    out = tmp_path / "problems.csv"
    dialog.save_problems_csv(out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][0] == "File" and any("onsetDateTime" in r[-1] for r in rows[1:])
    history = dialog.show_history()  # the run just made is on top of the log
    qtbot.addWidget(history)
    assert history.runs_table.item(0, 0).text() == str(report.run_id)
    history.close()


def test_import_dialog_dry_run_and_cancel(qtbot, engine, tmp_path):
    from ui.import_dialog import ImportDialog

    dialog = ImportDialog(make_context(engine, "Test Admin"))
    qtbot.addWidget(dialog)
    dialog.add_paths([_bundle(tmp_path / "good.json")])
    dialog.dry_run.setChecked(True)
    with qtbot.waitSignal(dialog.import_finished, timeout=30_000) as blocker:
        dialog.start.click()
    assert blocker.args[0].dry_run and "Dry run" in dialog.status.text()
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM patient")).scalar() == 0
    # a cancel before the first file: nothing is imported and the report says so
    with qtbot.waitSignal(dialog.import_finished, timeout=30_000) as blocker:
        dialog.start.click()
        dialog.cancel_import()
    assert blocker.args[0].cancelled or blocker.args[0].files_imported == 1


def test_duplicates_dialog_confirms_without_merging(qtbot, engine, tmp_path):
    from storage.importers.duplicates import linked_records
    from storage.importers.run import import_paths
    from ui.duplicates_dialog import DuplicatesDialog

    add_practice(engine, "OAK", "Oak")
    add_practice(engine, "ELM", "Elm")
    assert import_paths(engine, [_bundle(tmp_path / "a.json")], practice_code="OAK", source="oak-ehr").errors == []
    assert import_paths(engine, [_bundle(tmp_path / "b.json", family="Riviera", pid="x9")],
                        practice_code="ELM", source="elm-ehr").errors == []
    dialog = DuplicatesDialog(make_context(engine, "Test Admin"))
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    assert "phone" in dialog.table.item(0, 1).text()
    dialog.table.selectRow(0)
    dialog.confirm.click()
    dialog.context.tasks.wait_idle()
    assert dialog.table.rowCount() == 0
    from sqlalchemy import text

    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM patient ORDER BY id")).scalars().all()
    assert len(ids) == 2  # never merged
    linked = linked_records(engine, ids[0])
    assert [(r.patient_id, r.practice_code) for r in linked] == [(ids[1], "ELM")]


def test_counts_show_separators_and_sort_as_numbers(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QTableWidget

    from ui.tables import CountItem

    table = QTableWidget(3, 1)
    qtbot.addWidget(table)
    for row, count in enumerate((200, 140000, 9)):
        table.setItem(row, 0, CountItem(count))
    table.sortItems(0, Qt.SortOrder.AscendingOrder)
    assert [table.item(r, 0).text() for r in range(3)] == ["9", "200", "140,000"]
