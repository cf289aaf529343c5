"""The import log as the app and the command line show it."""
from __future__ import annotations

import csv
import json

from helpers import add_practice
from storage.importers.run import import_paths


def _bundle(path, pid="p1", onset="2024-01-01", extra_system=False):
    coding = {"system": "http://snomed.info/sct", "code": "44054006"}
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": f"Patient/{pid}"},
                 "code": {"coding": [coding] + ([{"system": "urn:local:typo", "code": "x1"}] if extra_system else [])},
                 "onsetDateTime": onset}
    patient = {"resourceType": "Patient", "id": pid, "name": [{"family": "Rivera", "given": ["Ana"]}],
               "birthDate": "1961-04-12"}
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": patient}, {"resource": condition}]}))
    return path


def _three_runs(engine, tmp_path):
    """A clean import with a warning, a dry run, and one with a rejected file."""
    add_practice(engine)
    first = import_paths(engine, [_bundle(tmp_path / "warned.json", extra_system=True)], practice_code="OAK",
                         actor="Dana Reyes")
    dry = import_paths(engine, [_bundle(tmp_path / "dry.json", pid="p2")], dry_run=True, actor="Dana Reyes")
    bad = import_paths(engine, [_bundle(tmp_path / "bad.json", pid="p3", onset="2024-02-30")], actor="Lee Park")
    assert first.errors == [] and first.warnings and not dry.errors and bad.errors
    return first, dry, bad


def test_history_reads_back_runs_and_problems_as_they_were(engine, tmp_path):
    from storage.importers.history import logged_run, recent_runs, run_problems

    first, dry, bad = _three_runs(engine, tmp_path)
    runs = recent_runs(engine)
    assert [r.id for r in runs] == [bad.run_id, dry.run_id, first.run_id]  # newest first
    newest, middle, oldest = runs
    assert (newest.actor, newest.status, newest.errors, newest.dry_run) == ("Lee Park", "with problems", 2, False)
    assert middle.dry_run and middle.status == "ok" and middle.total("created") == 2
    assert oldest.practice_code == "OAK" and oldest.errors == 0 and oldest.warnings == len(first.warnings)
    assert oldest.files_text == "warned.json" and oldest.total("created") == 2
    assert recent_runs(engine, limit=1)[0].id == bad.run_id
    # the severity survives the round trip through the log, and the reason reads as it was reported
    assert [(p.severity, p.reason) for p in run_problems(engine, bad.run_id)] == \
        [(p.severity, p.reason) for p in bad.problems]
    warning = run_problems(engine, first.run_id)[0]
    assert warning.severity == "warning" and not warning.reason.startswith("warning")
    assert logged_run(engine, 9999) is None and run_problems(engine, 9999) == []


def test_history_dialog_lists_runs_and_saves_the_chosen_runs_problems(qtbot, engine, tmp_path):
    from tests.ui.conftest import make_context
    from ui.import_history_dialog import RUN_COLUMNS, ImportHistoryDialog

    first, _dry, bad = _three_runs(engine, tmp_path)
    dialog = ImportHistoryDialog(make_context(engine))
    qtbot.addWidget(dialog)
    table = dialog.runs_table
    assert table.rowCount() == 3
    assert table.item(0, 0).text() == str(bad.run_id)  # the newest is chosen first
    assert table.item(0, RUN_COLUMNS.index("By")).text() == "Lee Park"
    assert table.item(1, RUN_COLUMNS.index("Dry run")).text() == "Yes"
    assert table.item(2, RUN_COLUMNS.index("Practice")).text() == "OAK"
    assert "bad.json" in table.item(0, RUN_COLUMNS.index("Files")).toolTip()
    assert dialog.problems_model.rowCount() == len(bad.problems) == 2
    assert "2024-02-30" in dialog.problems_model.index(0, 5).data()
    assert "2 rejection(s)" in dialog.summary.text()

    table.selectRow(2)  # the run that only warned: its warnings show, and can be hidden
    assert dialog.problems_model.rowCount() == len(first.warnings) >= 1
    assert dialog.problems_model.index(0, 4).data() == "warning"
    dialog.show_warnings.setChecked(False)
    assert dialog.problems_model.rowCount() == 0 and not dialog.save.isEnabled()
    dialog.show_warnings.setChecked(True)
    out = tmp_path / "problems.csv"
    dialog.save_problems_csv(out)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["File", "Where", "Resource type", "Resource id", "Severity", "Reason"]
    assert len(rows) == 1 + len(first.warnings) and rows[1][4] == "warning"

    import_paths(engine, [_bundle(tmp_path / "later.json", pid="p9")])
    dialog.refresh()  # a later import appears on top; the chosen run stays chosen
    assert table.rowCount() == 4 and dialog.selected_run().id == first.run_id


def test_history_dialog_with_no_imports_says_so(qtbot, engine):
    from tests.ui.conftest import make_context
    from ui.import_history_dialog import ImportHistoryDialog

    dialog = ImportHistoryDialog(make_context(engine))
    qtbot.addWidget(dialog)
    assert dialog.runs_table.rowCount() == 0 and dialog.problems_model.rowCount() == 0
    assert "No imports yet" in dialog.summary.text() and not dialog.save.isEnabled()


def test_command_line_history_and_show_run(engine, db_path, tmp_path, capsys):
    import main

    first, _dry, bad = _three_runs(engine, tmp_path)
    assert main.main(["import", "--db", str(db_path), "--history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["run", "started"] and len(lines) == 4
    assert lines[1].split()[0] == str(bad.run_id) and "Lee Park" in lines[1] and "with problems" in lines[1]
    assert main.main(["import", "--db", str(db_path), "--history", "--limit", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2

    assert main.main(["import", "--db", str(db_path), "--show-run", str(bad.run_id)]) == 0
    out = capsys.readouterr().out
    assert f"Import {bad.run_id}" in out and "bad.json" in out and "2024-02-30" in out and "rejected" in out
    assert main.main(["import", "--db", str(db_path), "--show-run", str(first.run_id)]) == 0
    assert "warning:" in capsys.readouterr().out

    assert main.main(["import", "--db", str(db_path), "--show-run", "999"]) == 2
    assert "no import 999" in capsys.readouterr().err
    assert main.main(["import", "--db", str(db_path)]) == 2  # neither files nor --history
    assert "at least one file" in capsys.readouterr().err
    assert main.main(["import", "--db", str(db_path), "--history", str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err
