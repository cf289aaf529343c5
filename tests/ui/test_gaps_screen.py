"""The Gaps worklist screen: filters, counts, SQL sorting, paging, opening a chart, CSV export."""
from __future__ import annotations

import csv
import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from storage import schema as t
from storage.queries import gaps as q
from tests.ui.conftest import make_context
from tests.ui.test_gaps_data import ACTOR, CMS125_STATES, OLD_PERIOD, PERIOD
from ui.gaps_model import COLUMNS, WHY_COLUMN, GapTableModel
from ui.gaps_screen import GapsScreen


@pytest.fixture
def screen(qtbot, engine, pod):
    widget = GapsScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    _settle(widget)
    return widget


def _settle(widget):
    """Wait for the screen's reads (on the task runner) to be on screen, as a user would."""
    while not isinstance(widget, GapsScreen):
        widget = widget.parentWidget()
    assert widget.context.tasks.wait_idle()


def _select(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)
    _settle(combo)


def _mrns(screen):
    _settle(screen)
    return [r.mrn for r in screen.model.loaded_rows()]


def _model(engine):
    """A worklist model on its own, reading through a task runner."""
    context = make_context(engine, ACTOR)
    return GapTableModel(context.pod, context.tasks), context.tasks


def test_opens_on_open_gaps_of_the_newest_period(screen):
    _settle(screen)
    assert screen.state_combo.currentData() == "open"
    assert screen.period_combo.currentData() == PERIOD[1]
    rows = screen.model.loaded_rows()
    assert rows and all(r.state == "open" for r in rows)
    assert {r.mrn for r in rows if r.measure_id == "CMS125"} == {
        m for m, s in CMS125_STATES.items() if s == "open"}
    assert screen.count_label.text() == "7 open of 17 gaps · 1 not applicable"


def test_another_screen_can_ask_for_an_older_period(screen, pod):
    """Quality's double-click on a measure of 2024 opens the gaps of 2024, not the newest period."""
    screen.set_filter(q.GapFilter(measure_id="CMS125", practice_id=None, state="closed", period_end=OLD_PERIOD[1]))
    assert screen.period_combo.currentData() == OLD_PERIOD[1]
    assert _mrns(screen) == ["A102"]
    screen.set_filter(q.GapFilter(measure_id="CMS125", state="open", period_end=PERIOD[1]))
    _settle(screen)
    assert screen.period_combo.currentData() == PERIOD[1]


def test_measure_practice_and_state_filters(screen, pod):
    _select(screen.measure_combo, "CMS125")
    assert screen.count_label.text() == "4 open of 11 gaps · 1 not applicable"
    _select(screen.practice_combo, pod.practices["CED"])
    assert sorted(_mrns(screen)) == ["C300", "C302"]
    _select(screen.state_combo, "excluded")
    assert _mrns(screen) == ["C303"]
    assert screen.count_label.text() == "1 excluded of 4 gaps"
    _select(screen.state_combo, None)
    assert sorted(_mrns(screen)) == ["C300", "C301", "C302", "C303"]
    assert screen.count_label.text() == "2 open of 4 gaps"
    _select(screen.practice_combo, None)
    _select(screen.state_combo, "not_applicable")
    assert screen.count_label.text() == "1 not applicable (outside the measures' populations) · 11 gaps"
    _select(screen.state_combo, None)
    _select(screen.practice_combo, pod.practices["DEN"])
    assert screen.model.rowCount() == 0 and screen.count_label.text() == "0 open of 0 gaps"


def test_text_filter_is_debounced_and_matches_name_or_mrn(qtbot, screen):
    _select(screen.measure_combo, "CMS125")
    _select(screen.state_combo, None)
    qtbot.keyClicks(screen.text_edit, "smith")
    qtbot.waitUntil(lambda: sorted(_mrns(screen)) == ["B203", "C302"])
    screen.text_edit.setText("a10")
    qtbot.waitUntil(lambda: sorted(_mrns(screen)) == ["A100", "A101", "A102", "A103"])


def test_period_filter_reaches_the_older_period(screen):
    _select(screen.measure_combo, "CMS125")
    _select(screen.state_combo, "closed")
    assert "A102" not in _mrns(screen)
    _select(screen.period_combo, None)
    assert "A102" in _mrns(screen)  # closed in 2024


def test_clicking_a_header_sorts_in_sql(qtbot, screen):
    _select(screen.state_combo, None)
    header = screen.table.horizontalHeader()
    header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
    _settle(screen)
    names = [r.patient_name for r in screen.model.loaded_rows()]
    assert names == sorted(names, key=str.upper) and screen.model.sort_key == "patient"
    header.setSortIndicator(2, Qt.SortOrder.DescendingOrder)
    mrns = _mrns(screen)
    assert mrns == sorted(mrns, reverse=True) and screen.model.descending


def test_why_column_cannot_be_sorted_and_keeps_the_current_order(screen):
    header = screen.table.horizontalHeader()
    header.setSortIndicator(2, Qt.SortOrder.AscendingOrder)
    before = _mrns(screen)
    header.setSortIndicator(WHY_COLUMN, Qt.SortOrder.AscendingOrder)
    assert header.sortIndicatorSection() == 2 and _mrns(screen) == before


def test_rows_are_paged_in_as_the_view_asks(qtbot, engine, pod):
    model, tasks = _model(engine)
    model.page_size = 5
    ModelTester(qtbot).check(model)  # empty before the first filter
    model.set_filter(q.GapFilter(state=None))
    assert tasks.wait_idle()
    assert model.rowCount() == 5 and model.canFetchMore()
    ModelTester(qtbot).check(model, force_py=True)  # it may ask for the next page itself
    assert tasks.wait_idle()
    while model.canFetchMore():
        model.fetchMore()
        assert not model.canFetchMore()  # one page at a time: the next is asked for when this one is in
        assert tasks.wait_idle()
    assert model.rowCount() == 19 and len({r.gap_id for r in model.loaded_rows()}) == 19
    model.sort(COLUMNS.index(("DOB", "dob")), Qt.SortOrder.DescendingOrder)
    assert tasks.wait_idle()
    assert model.rowCount() == 5
    dobs = [r.birth_date for r in model.loaded_rows()]
    assert dobs == sorted(dobs, reverse=True)


def test_scrolling_keeps_only_the_last_pages_and_reads_a_dropped_one_again_when_shown(qtbot, screen, engine,
                                                                                      monkeypatch):
    """Memory stays bounded however far the list is scrolled: the pages looked at last are kept,
    and scrolling back shows the rows of a dropped page again, read by the same keyset."""
    import ui.gaps_model as gaps_model

    monkeypatch.setattr(gaps_model, "KEPT_PAGES", 2)
    screen.table.setMinimumHeight(0)
    screen.table.setFixedHeight(90)  # two rows on screen: the view asks for more as it is scrolled
    _select(screen.state_combo, None)
    screen.model.page_size = 2
    screen.refresh()
    _settle(screen)
    first = [screen.model.index(row, 2).data() for row in range(2)]
    assert all(first)
    while screen.model.canFetchMore():
        screen.table.scrollToBottom()
        qtbot.wait(1)
        _settle(screen)
    every = [r.mrn for r in q.iter_gaps(engine, screen.current_filter())]
    assert screen.model.rowCount() == len(every) > 10
    assert [r.mrn for r in screen.model.loaded_rows()] == every[-len(screen.model.loaded_rows()):]
    assert len(screen.model.loaded_rows()) <= 2 * 2  # two pages of two rows held, not nineteen rows
    assert screen.model.index(0, 2).data() is None  # dropped: asked for again
    screen.table.scrollToTop()
    qtbot.waitUntil(lambda: [screen.model.index(row, 2).data() for row in range(2)] == first)
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    assert screen.detail_label.text().startswith("<b>")  # the chosen row's reason, from the page read again


def test_model_data_never_raises_and_shows_text(qtbot, engine, pod):
    model, tasks = _model(engine)
    model.set_filter(q.GapFilter(measure_id="CMS125", state="closed", period_end=PERIOD[1]))
    assert tasks.wait_idle()
    why = model.index(0, WHY_COLUMN)
    assert model.data(why).startswith("Closed: Mammogram (LOINC 24606-6) on 2024-11-03")
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole) == "Breast Cancer Screening"
    assert model.data(model.index(999, 0)) is None


def test_an_open_gap_past_its_due_date_is_marked_overdue(qtbot, engine, pod, monkeypatch):
    import datetime as dt

    from ui import gaps_model

    class Today(dt.date):
        @classmethod
        def today(cls):
            return dt.date(2025, 12, 1)

    monkeypatch.setattr(gaps_model.dt, "date", Today)
    model, tasks = _model(engine)
    model.set_filter(q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1]))
    assert tasks.wait_idle()
    marked = {}
    for i, row in enumerate(model.loaded_rows()):
        due = model.index(i, gaps_model.DUE_COLUMN)
        marked[row.mrn] = (model.data(due, Qt.ItemDataRole.ToolTipRole),
                           model.data(due, Qt.ItemDataRole.FontRole) is not None)
    late = {mrn for mrn, (tip, bold) in marked.items() if bold}
    expected = {r.mrn for r in model.loaded_rows() if r.state == "open" and r.due_date < dt.date(2025, 12, 1)}
    assert late == expected and late  # some open gaps of the pod are due before 1 December, some after
    assert {r.mrn for r in model.loaded_rows() if r.state == "open"} - late
    assert all(tip.startswith("Overdue: due ") for mrn, (tip, _bold) in marked.items() if mrn in late)
    assert all(tip is None for mrn, (tip, _bold) in marked.items() if mrn not in late)


def test_a_failed_read_is_a_message_not_a_traceback(qtbot, screen, engine, monkeypatch):
    def broken(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(q, "gap_page", broken)
    screen.refresh()
    _settle(screen)
    assert screen.message_label.isVisible()
    assert screen.message_label.text() == ("The worklist could not be read. It could not be done: "
                                           "database is locked.")
    assert screen.model.rowCount() == 0
    monkeypatch.undo()
    screen.refresh()  # the next answer takes the sentence away
    _settle(screen)
    assert screen.model.rowCount() and not screen.message_label.isVisible()


def test_enter_and_double_click_open_the_patient(qtbot, screen, pod):
    _select(screen.measure_combo, "CMS125")
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    first = screen.model.row_at(0).patient_id
    with qtbot.waitSignal(screen.open_patient) as blocker:
        qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert blocker.args == [first]
    rect = screen.table.visualRect(screen.model.index(1, 0))
    # an item view activates on a double click only after the press that selected the row
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(screen.open_patient) as blocker:
        qtbot.mouseDClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [screen.model.row_at(1).patient_id]


def test_export_writes_the_filtered_sorted_rows_and_an_audit_event(qtbot, screen, engine, tmp_path,
                                                                  monkeypatch):
    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.mrn == "A100").values(phone="617.555.0100",
                                                                                  language="Spanish"))
    _select(screen.measure_combo, "CMS125")
    _select(screen.state_combo, None)
    screen.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.AscendingOrder)
    target = tmp_path / "worklist"
    monkeypatch.setattr("ui.gaps_screen.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(target), "CSV files (*.csv)"))
    with qtbot.waitSignal(screen.export_finished, timeout=10_000) as blocker:
        screen.export_button.click()
    assert blocker.args == [12]
    with (tmp_path / "worklist.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["MRN"] for r in rows] == sorted(CMS125_STATES)
    first = rows[0]
    assert (first["Patient"], first["Birth date"], first["Practice"], first["State"]) == (
        "Abbott, Ann", "1960-02-01", "ALD", "closed")
    assert first["Why"].startswith("Closed: Mammogram (LOINC 24606-6) on 2024-11-03")
    assert not list(tmp_path.glob("*.part"))
    with engine.connect() as conn:
        event = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.action == "export")).one()
    assert event.actor == ACTOR and event.record_type == "Gap"
    assert "12 gaps" in event.detail and "measure=CMS125" in event.detail
    # it says where it wrote, and the next export opens in that folder
    assert screen.export_label.text() == f"Exported 12 gaps to {tmp_path / 'worklist.csv'}"
    assert screen.context.settings.export_folder == str(tmp_path)
    assert screen.export_start_path() == str(tmp_path / screen.default_export_name())
    assert (first["Phone"], first["Preferred language"]) == ("(617) 555-0100", "Spanish")


def test_an_export_smaller_than_one_batch_reports_progress_once(engine, pod, tmp_path):
    target = tmp_path / "gaps.csv"
    assert q.export_csv(engine, ACTOR, q.GapFilter(state=None), target, cancel=lambda: True) == 19
    # 19 rows is under one progress batch: cancel is only asked between batches
    target.unlink()
    many = q.GapFilter(state=None)
    calls = []
    result = q.export_csv(engine, ACTOR, many, target, progress=calls.append, cancel=lambda: False)
    assert result == 19 and calls == [19]


def test_export_never_writes_a_formula_a_spreadsheet_would_run(engine, pod, tmp_path):
    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.id == pod.patients["A102"])
                     .values(family="=HYPERLINK(\"http://x\",\"y\")", mrn="+A102"))
    target = tmp_path / "gaps.csv"
    q.export_csv(engine, ACTOR, q.GapFilter(state=None), target)
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    (row,) = [r for r in rows if r["MRN"].endswith("A102") and r["Measure"] == "CMS125"
              and r["Period end"] == PERIOD[1].isoformat()]
    assert row["MRN"] == "'+A102" and row["Patient"].startswith("'=HYPERLINK")
    assert all(not r[c].startswith(("=", "+", "-", "@")) for r in rows for c in r)


def test_export_names_its_file_by_the_filter_and_says_which_file_failed(screen, engine, pod, tmp_path):
    _select(screen.measure_combo, "CMS125")
    _select(screen.practice_combo, pod.practices["CED"])
    assert screen.default_export_name() == f"gaps-CMS125-CED-open-{PERIOD[1].isoformat()}.csv"
    target = tmp_path / "no-such-folder" / "gaps.csv"
    with pytest.raises(q.ExportFailed, match=f"^{target} could not be written: No such file or directory"):
        q.export_csv(engine, ACTOR, screen.current_filter(), target)


def test_export_cancel_between_batches(engine, pod, tmp_path, monkeypatch):
    rows, why = next(q._batches(engine, q.GapFilter(state=None), q.DEFAULT_SORT, False, q.EXPORT_BATCH))
    full = (rows * q.EXPORT_BATCH)[:q.EXPORT_BATCH]
    monkeypatch.setattr(q, "_batches", lambda *a: iter([(full, why)] * 10))
    before = _audit_count(engine)
    assert q.export_csv(engine, ACTOR, q.GapFilter(), tmp_path / "big.csv", cancel=lambda: True) is None
    assert not list(tmp_path.glob("big.csv*")) and _audit_count(engine) == before


def _audit_count(engine):
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(t.audit_event)
                           .where(t.audit_event.c.action == "export"))


def test_nothing_is_read_until_the_screen_is_shown(qtbot, engine, pod):
    widget = GapsScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    assert widget.model.rowCount() == 0 and widget.count_label.text() == ""
    assert widget.context.tasks.idle()
    widget.show()
    _settle(widget)
    assert widget.model.rowCount() == 7


def test_screen_on_an_empty_database(qtbot, engine):
    widget = GapsScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.show()
    _settle(widget)
    assert widget.model.rowCount() == 0
    # a new user's empty pod showed only "0 open of 0 gaps": it says how gaps come to be
    assert widget.count_label.text() == GapsScreen.NOTHING_COMPUTED
    assert "Import data" in widget.count_label.text() and "Recompute" in widget.count_label.text()
    assert widget.period_combo.count() == 1  # "All periods"


def test_default_sort_is_by_state_then_due(screen):
    header = screen.table.horizontalHeader()
    assert header.sortIndicatorSection() == COLUMNS.index(("State", "state"))
    assert screen.model.sort_key == "state" and not screen.model.descending


def test_filters_are_remembered_across_screens(qtbot, engine, pod):
    from ui.settings import Settings

    first = GapsScreen(make_context(engine, ACTOR, Settings()))
    qtbot.addWidget(first)
    first.show()
    _settle(first)
    _select(first.measure_combo, "CMS125")
    _select(first.practice_combo, pod.practices["BIR"])
    _select(first.state_combo, None)
    first.settings.sync()
    second = GapsScreen(make_context(engine, ACTOR, Settings()))
    qtbot.addWidget(second)
    second.show()
    flt = second.current_filter()
    assert (flt.measure_id, flt.practice_id, flt.state) == ("CMS125", pod.practices["BIR"], None)
    assert sorted(_mrns(second)) == ["B200", "B201", "B202", "B203"]


def test_the_export_dialog_opens_in_the_documents_folder_at_first(screen, monkeypatch, tmp_path):
    """It opened in the program's working folder: now the user's documents folder, then the last one."""
    from PySide6.QtCore import QStandardPaths

    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda location: str(documents))
    assert screen.export_start_path() == str(documents / screen.default_export_name())
    screen.context.settings.export_folder = str(tmp_path / "gone")  # a folder since removed
    assert screen.export_start_path().startswith(str(documents))


@pytest.mark.parametrize("width", [1366, 1600])
def test_the_why_column_stays_readable_with_phone_and_language_on_screen(qtbot, engine, pod, width):
    """The Why column was cut off at 1366 and 1600 pixels; phone and language were not on screen."""
    from ui.main_window import MainWindow

    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.mrn == "A102").values(phone="6175550102",
                                                                                  language="Vietnamese"))
    window = MainWindow(make_context(engine, ACTOR))
    qtbot.addWidget(window)
    window.resize(width, 768)
    window.show()
    screen = window.show_section("Gaps")
    qtbot.waitUntil(lambda: screen.model.rowCount() > 0 and screen.context.tasks.idle())
    header = screen.table.horizontalHeader()
    why_width = header.sectionSize(WHY_COLUMN)
    assert header.sectionViewportPosition(WHY_COLUMN) + why_width <= screen.table.viewport().width() + 1
    assert why_width >= 300  # two lines of about fifty characters at the smallest
    assert screen.table.rowHeight(0) >= 2 * screen.table.fontMetrics().lineSpacing()
    row = next(i for i, r in enumerate(screen.model.loaded_rows()) if r.mrn == "A102")
    assert screen.model.index(row, 0).data() == "Carter, Cora\n(617) 555-0102 · Vietnamese"
    screen.table.setCurrentIndex(screen.model.index(row, 0))
    detail = screen.detail_label.text()
    assert "Carter, Cora" in detail and "(617) 555-0102 · Vietnamese" in detail
    assert screen.model.row_at(row).why in detail  # the reason whole under the table


def _gated(monkeypatch, slow_when):
    """``gap_page`` made slow for the reads ``slow_when(flt, sort)`` picks: they wait for the
    returned event (set it to let them answer)."""
    import threading

    gate, real = threading.Event(), q.gap_page

    def gap_page(engine, flt, *, sort=q.DEFAULT_SORT, **kwargs):
        if slow_when(flt, sort):
            assert gate.wait(30)
        return real(engine, flt, sort=sort, **kwargs)

    monkeypatch.setattr(q, "gap_page", gap_page)
    return gate


def test_a_slow_read_never_blocks_the_window_and_the_rows_shown_stay_until_it_answers(qtbot, screen,
                                                                                       monkeypatch):
    from PySide6.QtCore import QTimer

    _select(screen.state_combo, None)
    before = _mrns(screen)
    gate = _gated(monkeypatch, lambda flt, sort: sort == "mrn")
    ticks = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    screen.table.horizontalHeader().setSortIndicator(2, Qt.SortOrder.AscendingOrder)  # MRN
    # the event loop keeps turning while the read waits: the window paints, typing is taken
    qtbot.waitUntil(lambda: len(ticks) >= 10)
    qtbot.keyClicks(screen.text_edit, "a")
    assert screen.text_edit.text() == "a"
    assert not screen.context.tasks.idle() and screen.model.reading and screen.reading_label.isVisible()
    assert [r.mrn for r in screen.model.loaded_rows()] == before  # the last answer, until the new one
    screen.text_edit.clear()
    gate.set()
    _settle(screen)
    timer.stop()
    mrns = _mrns(screen)
    assert mrns == sorted(mrns) and len(mrns) == len(before) and not screen.reading_label.isVisible()


def test_an_answer_that_arrives_after_a_newer_request_is_dropped(qtbot, screen, monkeypatch):
    """Sorted by patient (a slow read), then by MRN (quick): the MRN order is shown, and the
    patient order arriving late does not replace it."""
    _select(screen.state_combo, None)
    gate = _gated(monkeypatch, lambda flt, sort: sort == "patient")
    header = screen.table.horizontalHeader()
    header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # Patient: waits
    header.setSortIndicator(2, Qt.SortOrder.DescendingOrder)  # MRN, descending: answers at once
    mrn_order = sorted((r.mrn for r in screen.model.loaded_rows()), reverse=True)
    qtbot.waitUntil(lambda: [r.mrn for r in screen.model.loaded_rows()] == mrn_order and not screen.model.reading)
    gate.set()  # the superseded patient-order page arrives now
    _settle(screen)
    assert [r.mrn for r in screen.model.loaded_rows()] == mrn_order
    assert (screen.model.sort_key, screen.model.descending) == ("mrn", True)


def test_counts_of_a_filter_counted_before_are_shown_at_once_until_the_gaps_change(qtbot, screen, monkeypatch):
    from application.changes import ChangeSet

    counted = []
    real = q.count_gaps
    monkeypatch.setattr(q, "count_gaps", lambda engine, flt: counted.append(flt) or real(engine, flt))
    _select(screen.measure_combo, "CMS125")
    _select(screen.state_combo, None)  # the counts do not depend on the state chosen
    _select(screen.measure_combo, None)
    assert [f.measure_id for f in counted] == ["CMS125"]
    assert screen.count_label.text() == "7 open of 17 gaps · 1 not applicable"
    screen.apply_changes(ChangeSet.of("gaps"))  # a recompute: counted again
    _settle(screen)
    assert [f.measure_id for f in counted] == ["CMS125", None]


def test_a_filter_matching_nothing_still_counts_the_gaps(qtbot, screen):
    screen.text_edit.setText("zzzz-nobody")
    screen.refresh()
    _settle(screen)
    qtbot.waitUntil(lambda: screen.count_label.text() not in ("", "Counting…"), timeout=5000)
    assert screen.count_label.text() != GapsScreen.NOTHING_COMPUTED
    assert "gaps" in screen.count_label.text()


def test_cells_painted_once_are_never_shown_for_another_filters_rows(qtbot, engine, pod):
    """A row's text is made once for painting; a new filter's or sort's rows replace it."""
    model, tasks = _model(engine)
    model.set_filter(q.GapFilter(measure_id="CMS125", state=None, period_end=PERIOD[1]))
    assert tasks.wait_idle()
    before = [model.index(row, 2).data() for row in range(model.rowCount())]
    assert model.index(0, 2).data(Qt.ItemDataRole.DecorationRole) is None  # a role not answered
    model.sort(2, Qt.SortOrder.DescendingOrder)  # by MRN, the other way
    assert tasks.wait_idle()
    after = [model.index(row, 2).data() for row in range(model.rowCount())]
    every = [r.mrn for r in q.iter_gaps(engine, model.filter, sort="mrn", descending=True)]
    assert after == every and after != before and sorted(after) == sorted(before)


def test_the_practice_column_shows_the_longest_practice_code_whole(qtbot, engine, pod):
    """A practice code may be up to 16 characters: the column is as wide as the pod's longest."""
    long_code = "SUNRISE-IM-NORTH"
    with engine.begin() as conn:
        first = conn.execute(sa.select(sa.func.min(t.practice.c.id))).scalar()
        conn.execute(sa.update(t.practice).where(t.practice.c.id == first).values(code=long_code))
    widget = GapsScreen(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.resize(1300, 600)
    widget.show()
    _settle(widget)
    _select(widget.practice_combo, first)  # its rows in view: Qt measures what they need
    column = next(i for i, (_caption, key) in enumerate(COLUMNS) if key == "practice")
    assert long_code in {row.practice_code for row in widget.model.loaded_rows()}
    assert widget.table.sizeHintForColumn(column) > widget.table.fontMetrics().horizontalAdvance(long_code)
    assert widget.table.columnWidth(column) >= widget.table.sizeHintForColumn(column)


def test_a_patient_who_has_died_is_shown_as_such_and_not_called(qtbot, engine, pod):
    """Her gaps stay as computed, but the row says so in place of the phone number, greyed, and
    Ctrl+L logs no outreach about them."""
    with engine.begin() as conn:  # a patient with an open gap, past its due date
        died, mrn = conn.execute(sa.select(t.patient.c.id, t.patient.c.mrn).join(t.gap, t.gap.c.patient_id == t.patient.c.id)
                                 .where(t.gap.c.state == "open", t.gap.c.due_date < dt.date.today()).limit(1)).one()
        conn.execute(sa.update(t.patient).where(t.patient.c.id == died)
                     .values(status="deceased", deceased_date=dt.date(2025, 10, 11)))
    screen = GapsScreen(make_context(engine, ACTOR))
    qtbot.addWidget(screen)
    screen.resize(1300, 600)
    screen.show()
    _settle(screen)
    _select(screen.state_combo, None)
    qtbot.keyClicks(screen.text_edit, mrn)
    qtbot.waitUntil(lambda: _mrns(screen) and set(_mrns(screen)) == {mrn})
    index = screen.model.index(0, 0)
    assert index.data().splitlines()[1] == "patient deceased 10/11/2025"
    assert "no outreach" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.ForegroundRole) is not None
    # an open gap past its due date, but not marked overdue: nobody is to act on it
    opened = next(i for i, r in enumerate(screen.model.loaded_rows()) if r.state == "open")
    assert screen.model.row_at(opened).due_date < dt.date.today()
    due = screen.model.index(opened, 6)
    assert due.data(Qt.ItemDataRole.FontRole) is None and due.data(Qt.ItemDataRole.ToolTipRole) is None
    screen.table.setFocus()
    screen.table.setCurrentIndex(index)
    qtbot.keyClick(screen.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert "No outreach is logged" in screen.message_label.text() and screen.message_label.isVisible()
