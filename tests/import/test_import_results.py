"""Import results (issues 23.4 and 23.11): the practice each patient lands in, a holding place
(never a pod peer) for those whose practice the data does not tell, assigned from the results;
the folder-added status; a recompute of every period with gaps; the problems' reasons whole."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from storage import schema as t
from tests.ui.conftest import make_context

from helpers import add_practice

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _bundle(path, pid="p1", family="Rivera", birth="1961-04-12", phone="555-201-3344", org=None):
    patient = {"resourceType": "Patient", "id": pid, "name": [{"family": family, "given": ["Ana"]}],
               "birthDate": birth, "telecom": [{"system": "phone", "value": phone}]}
    entries = [{"resource": patient}]
    if org:
        patient["managingOrganization"] = {"reference": "Organization/o1"}
        entries.append({"resource": {"resourceType": "Organization", "id": "o1", "name": org}})
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return path


def _run(qtbot, dialog):
    with qtbot.waitSignal(dialog.import_finished, timeout=60_000) as blocker:
        dialog.start.click()
    dialog.context.tasks.wait_idle()
    return blocker.args[0]


def test_the_status_follows_the_chosen_files(qtbot, engine, tmp_path):
    """After adding a folder the dialog still said "Add at least one file or folder first"."""
    from ui.import_dialog import ImportDialog

    dialog = ImportDialog(make_context(engine, "Test Admin"))
    qtbot.addWidget(dialog)
    dialog.start.click()
    assert dialog.status.text() == "Add at least one file or folder first."
    folder = tmp_path / "panel"
    folder.mkdir()
    dialog.add_paths([folder])
    assert dialog.status.text() == "1 file or folder to import: press Import."
    dialog.paths.setCurrentRow(0)
    dialog.paths.takeItem(0)
    assert dialog.status.text() == "Add at least one file or folder first."


def test_patients_without_a_practice_wait_in_a_holding_place_never_a_peer(qtbot, engine, tmp_path):
    """A FHIR import without a practice created "Imported", which became a pod peer: now the
    results say where each patient is, the unplaced ones wait (not a practice: not in Quality,
    ranks or filters) and are assigned from the results."""
    from application import gaps, holding, patients
    from ui.import_dialog import ImportDialog

    add_practice(engine)
    dialog = ImportDialog(make_context(engine, "Test Admin"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert "wait for you to assign one" in dialog.practice.itemText(0)
    dialog.add_paths([_bundle(tmp_path / "a.json", "p1", "Rivera"), _bundle(tmp_path / "b.json", "p2", "Stone"),
                      _bundle(tmp_path / "c.json", "p3", "Tran", org="Oak Family Practice")])
    _run(qtbot, dialog)
    imported = dialog.imported
    assert [(p.code, p.holding, p.patients) for p in imported.landing] == [("OAK", False, 1), ("UNASSIGNED", True, 2)]
    text = dialog.landing_label.text()
    assert "1 in Oak Family Practice (OAK)" in text and "2 patients wait for a practice" in text
    assert dialog.assign_button.isVisibleTo(dialog) and dialog.assign_combo.currentText() == "Oak Family Practice (OAK)"
    with engine.connect() as conn:
        place = conn.execute(sa.select(t.practice).where(t.practice.c.holding.is_(True))).one()
    assert place.name == "Practice not known yet"
    pod = dialog.context.pod
    # not a practice of the pod: no filter, no peer
    assert [code for _id, code, _name in gaps.practice_choices(pod)] == ["OAK"]
    assert [c.code for c in patients.practice_choices(pod)] == ["OAK"]
    assert holding.holding_place(pod).patients == 2

    task = dialog.assign_waiting()
    dialog.context.tasks.wait_for(task)
    assert holding.holding_place(pod).patients == 0
    assert "2 waiting patients assigned to Oak Family Practice (OAK)" in dialog.landing_label.text()
    assert not dialog.assign_button.isVisibleTo(dialog)
    with engine.connect() as conn:
        moved = conn.execute(sa.select(t.patient.c.family, t.patient.c.practice_id).order_by(t.patient.c.family)).all()
        revisions = conn.execute(sa.select(t.record_revision.c.changed_by, t.record_revision.c.reason)
                                 .where(t.record_revision.c.record_type == "Patient")).all()
    assert {practice for _f, practice in moved} == {1}
    assert len(revisions) == 2 and all(by == "Test Admin" and "practice not known at import" in reason
                                       for by, reason in revisions)


def test_assigning_refuses_a_patient_already_in_a_practice_or_a_taken_mrn(engine, tmp_path):
    from application.holding import assign_practice
    from domain.errors import DomainError
    from storage.importers.run import import_paths
    from tests.conftest import app_pod_for

    add_practice(engine)
    import_paths(engine, [_bundle(tmp_path / "a.json", "p1")])
    pod = app_pod_for(engine).with_actor("Test Admin")
    with engine.connect() as conn:
        waiting = conn.scalar(sa.select(t.patient.c.id))
    with engine.begin() as conn:
        conn.execute(sa.insert(t.patient).values(practice_id=1, mrn="X1", family="Other", given="Oz",
                                                 birth_date=dt.date(1950, 1, 1)))
        other = conn.scalar(sa.select(t.patient.c.id).where(t.patient.c.mrn == "X1"))
    with pytest.raises(DomainError, match="already a patient of Oak Family Practice"):
        assign_practice(pod, [waiting, other], 1)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(t.patient.c.practice_id).where(t.patient.c.id == waiting)) != 1


def test_an_import_recomputes_every_period_that_has_gaps(qtbot, engine, tmp_path, monkeypatch):
    """The recompute after an import covered only the chosen year: the new patients were missing
    from the other computed years."""
    from application.measures import periods_with_gaps
    from tests.conftest import app_pod_for
    from ui.main_window import MainWindow
    from ui.settings import Settings

    add_practice(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(t.measure).values(id="CMS125", version="1", title="Breast", definition={}))
        patient = conn.execute(sa.insert(t.patient).values(practice_id=1, mrn="M1", family="A", given="B",
                                                           birth_date=dt.date(1960, 1, 1))).inserted_primary_key[0]
        for year in (2024, 2025):
            conn.execute(sa.insert(t.gap).values(patient_id=patient, measure_id="CMS125",
                                                 period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31),
                                                 state="open", computed_at=dt.datetime(2025, 1, 1)))
    assert [p.start.year for p in periods_with_gaps(app_pod_for(engine))] == [2024, 2025]
    window = MainWindow(make_context(engine, "Test Admin", Settings()))
    qtbot.addWidget(window)
    asked = []
    monkeypatch.setattr(window, "recompute_gaps", lambda **kwargs: asked.append(kwargs))

    class Report:
        changed_patient_ids, dry_run = {patient}, False

    window._imported(Report())
    assert [p.start.year for p in asked[0]["periods"]] == [2024, 2025] and asked[0]["patient_ids"] == [patient]


def test_the_recompute_dialog_runs_each_period(qtbot, engine, shared_dir):
    from application.measures import year_period
    from storage.importers.run import import_paths
    from storage.measures.valuesets import load_valuesets
    from ui.recompute_dialog import RecomputeDialog

    measure_engine = engine
    load_valuesets(engine)
    report = import_paths(measure_engine, sorted((shared_dir / "ecqm" / "CMS125" / "cases").glob("*.json"))[:2])
    ids = sorted(report.changed_patient_ids)
    dialog = RecomputeDialog(make_context(measure_engine, "Test Admin"), patient_ids=ids,
                             periods=[year_period(2024), year_period(2025)])
    qtbot.addWidget(dialog)
    assert dialog.periods_label.text() == "2024, 2025"
    with qtbot.waitSignal(dialog.recomputed, timeout=120_000):
        dialog.start()
    qtbot.waitUntil(lambda: not dialog.running)
    assert dialog.status.text().startswith("Done — 2024: 8 measures evaluated") and "; 2025: " in dialog.status.text()
    with measure_engine.connect() as conn:
        evaluated = set(conn.execute(sa.select(t.gap_evaluation.c.patient_id, t.gap_evaluation.c.period_end)))
        years = set(conn.scalars(sa.select(t.gap.c.period_end)))
    assert evaluated == {(pid, dt.date(year, 12, 31)) for pid in ids for year in (2024, 2025)}
    assert dt.date(2025, 12, 31) in years


def test_the_problems_table_gives_the_reason_the_width_and_wraps_it(qtbot):
    from application.imports import Problem
    from ui.import_problems_view import ProblemsModel, problems_view

    model = ProblemsModel()
    view = problems_view(model, "problems")
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    reason = ("file not imported: 3 problem(s); nothing from this file was saved — the Bundle's Patient has no "
              "birth date and two Observations refer to a Patient that is not in the file")
    model.set_problems([Problem("/data/panel/ali.json", "", "", "", reason)])
    header = view.horizontalHeader()
    # the columns empty in every problem are hidden: they no longer take the reason's width
    assert [view.isColumnHidden(c) for c in range(header.count())] == [False, True, True, True, False, False]
    widths = [header.sectionSize(c) for c in range(header.count()) if not view.isColumnHidden(c)]
    assert widths[-1] > sum(widths[:-1])
    assert view.rowHeight(0) > view.fontMetrics().height() * 1.8  # wrapped on several lines, whole


def test_the_command_line_import_says_where_the_patients_are(engine, db_path, tmp_path, capsys):
    """`main.py import` without a practice printed only its counts: five Synthea patients went to
    the holding place and nothing on the terminal said so (nor that gaps need a recompute)."""
    import main
    from tests.conftest import add_staff_member

    add_practice(engine)
    add_staff_member(engine, "Dana Reyes")
    bundles = [_bundle(tmp_path / "a.json", "p1", "Rivera"), _bundle(tmp_path / "b.json", "p2", "Stone"),
               _bundle(tmp_path / "c.json", "p3", "Tran", org="Oak Family Practice")]
    assert main.main(["import", "--db", str(db_path), "--as", "dana reyes", *map(str, bundles)]) == 0
    out = capsys.readouterr().out
    assert "Patients of this import: 1 in Oak Family Practice (OAK)." in out
    assert '2 patients wait for a practice in the holding place "Practice not known yet"' in out
    assert "Assign to a practice…" in out and "run `python main.py recompute" in out

    assert main.main(["import", "--db", str(db_path), "--as", "Dana Reyes", "--dry-run", str(bundles[0])]) == 0
    assert "holding place" not in capsys.readouterr().out  # a dry run saved nobody anywhere


def test_the_holding_place_is_not_a_practice_of_the_reports_section(engine, tmp_path):
    """After a Synthea import without a practice, Reports listed "Practice not known yet
    (UNASSIGNED)" as a practice to write a quality report for."""
    from storage.importers.run import import_paths
    from storage.queries.reports import practices_overview

    add_practice(engine)
    import_paths(engine, [_bundle(tmp_path / "a.json", "p1", "Rivera")])
    assert [code for _id, code, *_rest in practices_overview(engine, dt.date(2026, 12, 31))] == ["OAK"]
