"""Recompute gaps from the window: a worker with progress and cancel; import then recompute."""
from __future__ import annotations

import sqlalchemy as sa

from storage.importers.run import import_paths
from tests.ui.conftest import make_context
from ui.recompute_dialog import RecomputeDialog

CASES = ["CMS125", "CMS130", "CMS165"]


def import_some_cases(engine, shared_dir, per_measure=3):
    paths = []
    for cms in CASES:
        paths += sorted((shared_dir / "ecqm" / cms / "cases").glob("*.json"))[:per_measure]
    report = import_paths(engine, paths)
    assert not [p for p in report.problems if not p.reason.startswith("warning")]
    return report


def gap_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM gap")).scalar()


def test_recompute_runs_in_a_worker_and_writes_gaps(qtbot, engine, shared_dir):
    import_some_cases(engine, shared_dir)
    dialog = RecomputeDialog(make_context(engine), year=2025)
    qtbot.addWidget(dialog)
    assert dialog.year_combo.currentData() == 2025
    # the wording follows the measure catalogue (the active measures, payer variants named)
    assert dialog.intro.text() == ("Evaluates the eight quality measures for all patients of the pod and "
                                   "updates their gaps in care.")
    with qtbot.waitSignal(dialog.recomputed, timeout=60_000) as signal:
        dialog.start_button.click()
    summary = signal.args[0]
    assert set(summary) >= set(CASES)
    qtbot.waitUntil(lambda: not dialog.running)
    assert "measures evaluated" in dialog.status.text()
    assert gap_count(engine) > 0
    assert dialog.close_button.text() == "Close"


def test_cancelled_recompute_changes_nothing(qtbot, engine, shared_dir):
    import_some_cases(engine, shared_dir)
    dialog = RecomputeDialog(make_context(engine), year=2025)
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.reject()  # the Cancel button: asks the task to stop
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    if "Cancelled" in dialog.status.text():
        assert gap_count(engine) == 0
    else:  # the engine finished before it looked at the flag: then it wrote everything
        assert "measures evaluated" in dialog.status.text()


def test_recompute_for_changed_patients_only(qtbot, engine, shared_dir):
    report = import_some_cases(engine, shared_dir)
    changed = sorted(report.changed_patient_ids)[:1]
    dialog = RecomputeDialog(make_context(engine), patient_ids=changed, year=2025)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.recomputed, timeout=60_000):
        dialog.start()
    qtbot.waitUntil(lambda: not dialog.running)
    with engine.connect() as conn:
        patients = conn.execute(sa.text("SELECT DISTINCT patient_id FROM gap")).scalars().all()
    assert patients == changed


def test_data_menu_offers_import_history_duplicates_and_recompute(qtbot, engine, db_path):
    from tests.ui.conftest import make_context
    from ui.main_window import MainWindow
    from ui.settings import Settings

    window = MainWindow(make_context(engine, "", Settings()))
    qtbot.addWidget(window)
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    actions = {a.text().replace("&", ""): a for a in menus["Data"].actions() if a.text()}
    assert set(actions) == {"Import data…", "Import history…", "Possible duplicates…", "Recompute gaps in care…"}
    assert actions["Import data…"].shortcut().toString() == "Ctrl+I"
    assert actions["Recompute gaps in care…"].shortcut().toString() == "Ctrl+R"


def test_quality_asks_for_a_measures_gaps_and_the_window_shows_them(qtbot, engine, db_path):
    from storage.queries.gaps import GapFilter
    from tests.ui.conftest import make_context
    from ui.main_window import MainWindow
    from ui.settings import Settings

    window = MainWindow(make_context(engine, "", Settings()))
    qtbot.addWidget(window)
    window.show()
    window.show_section("Quality").open_gaps.emit(GapFilter(measure_id="CMS125", state="open"))
    assert window.current_section_name() == "Gaps"
    assert window.section("Gaps").current_filter().state == "open"


def test_the_window_fits_a_1366_pixel_laptop_screen(qtbot, engine, db_path, pod):
    """Every section, the Gaps filter row the widest, fits beside the navigation on a common
    small screen; long practice and measure names are elided in their choosers instead."""
    from tests.ui.conftest import make_context
    from ui.main_window import MainWindow
    from ui.settings import Settings

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE practice SET name = 'The Very Long Named Community Family Medicine "
                             "and Internal Medicine Associates of the Valley'"))
    window = MainWindow(make_context(engine, "", Settings()))
    qtbot.addWidget(window)
    window.show()
    for name in window.section_names():
        window.show_section(name)
        assert window.minimumSizeHint().width() <= 1366, name


def test_the_recompute_counts_one_open_gap_in_the_singular(qtbot, engine):
    """Five Synthea patients recomputed for 2021 read "1 open gaps"."""
    import types

    from application.measures import year_period

    dialog = RecomputeDialog(make_context(engine), year=2021)
    qtbot.addWidget(dialog)
    one, two = (types.SimpleNamespace(period=year_period(y), summary={"CMS125": {}}, open_gaps=n)
                for y, n in ((2021, 1), (2020, 5)))
    dialog._on_done(types.SimpleNamespace(results=[one, two]))
    assert dialog.status.text() == "Done — 2021: 1 measure evaluated, 1 open gap; 2020: 1 measure evaluated, 5 open gaps."
