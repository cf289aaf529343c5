"""The quality report from the Quality screen and the Reports section: preview, print, save, batch."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog
from pypdf import PdfReader

from storage import schema as t
from tests.ui.conftest import make_context
from tests.ui.test_gaps_data import ACTOR
from ui.quality_screen import QualityScreen
from ui.report_actions import report_month
from ui.reports_section import ReportsSection


def _audit(engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.audit_event.c.actor, t.audit_event.c.action, t.audit_event.c.detail)
            .where(t.audit_event.c.record_type == "Practice", t.audit_event.c.action.in_(("view", "print", "export")))
            .order_by(t.audit_event.c.id))]


@pytest.fixture
def quality(qtbot, engine, pod):
    context = make_context(engine, ACTOR)
    screen = QualityScreen(context)
    qtbot.addWidget(screen)
    screen.resize(1366, 768)
    with qtbot.waitSignal(screen.loaded, timeout=10_000):
        screen.show()
    screen.practice_combo.setCurrentIndex(screen.practice_combo.findData(pod.practices["CED"]))
    return screen


def test_the_report_month_is_this_month_or_the_periods_last_or_first():
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert report_month(*year) == dt.date(2025, 12, 1)  # the year is over
    assert report_month(dt.date(2099, 1, 1), dt.date(2099, 12, 31)) == dt.date(2099, 1, 1)


def test_preview_from_the_quality_screen_shows_the_pages_and_is_audited(qtbot, quality, engine):
    quality.preview_action.trigger()
    qtbot.waitUntil(lambda: quality.report_actions.last_dialog is not None, timeout=20_000)
    quality.context.tasks.wait_idle()
    dialog = quality.report_actions.last_dialog
    qtbot.addWidget(dialog)
    assert dialog.printed.data.practice_code == "CED" and dialog.printed.data.month == dt.date(2025, 12, 1)
    assert dialog.page_label.text() == f"Page 1 of {dialog.printed.pages}"
    image = dialog.view.grab().toImage()
    assert image.pixelColor(image.width() // 2, 120).name() == "#ffffff"  # a page is drawn
    qtbot.keyClick(dialog.view, Qt.Key.Key_End)
    assert dialog.page_label.text() == f"Page {dialog.printed.pages} of {dialog.printed.pages}"
    actor, action, detail = _audit(engine)[-1]
    assert (actor, action) == (ACTOR, "view") and "quality report of CED for 2025-12" in detail
    dialog.close()


def test_print_goes_through_the_system_print_dialog(qtbot, quality, engine, tmp_path, monkeypatch):
    out = tmp_path / "printed.pdf"
    asked = []

    def accept(dialog):  # the user picks a printer (here: a PDF file) and presses Print
        asked.append(dialog.windowTitle())
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", accept)
    quality.print_action.trigger()
    qtbot.waitUntil(lambda: out.exists() and quality.context.tasks.idle(), timeout=30_000)
    quality.context.tasks.wait_idle()
    assert asked == ["Print the quality report of CED"]
    pages = len(PdfReader(out).pages)
    assert quality.status_label.text() == f"Printed all {pages} pages of CED-2025-12.pdf on {out}."
    assert pages == 2  # the scorecard and its chart, then the open gaps on a page of their own
    actor, action, detail = _audit(engine)[-1]
    assert (actor, action) == (ACTOR, "print") and str(out) in detail


def test_cancelling_the_print_dialog_prints_nothing(qtbot, quality, engine, monkeypatch):
    monkeypatch.setattr(QPrintDialog, "exec", lambda dialog: QDialog.DialogCode.Rejected)
    task = quality._report(quality.report_actions.print_report)
    quality.context.tasks.wait_for(task)
    quality.context.tasks.wait_idle()
    assert [a for _actor, a, _d in _audit(engine)] == []


def test_save_as_pdf_asks_where_in_the_documents_folder_then_remembers_it(qtbot, quality, engine, tmp_path,
                                                                           monkeypatch):
    suggested = []

    def choose(parent, caption, directory, filters):
        suggested.append(directory)
        return str(tmp_path / "for the practice"), filters  # typed without .pdf

    monkeypatch.setattr(QFileDialog, "getSaveFileName", choose)
    quality.save_action.trigger()
    target = tmp_path / "for the practice.pdf"
    qtbot.waitUntil(lambda: target.exists() and quality.context.tasks.idle(), timeout=30_000)
    quality.context.tasks.wait_idle()
    assert suggested[0].endswith("CED-2025-12.pdf")
    assert Path(suggested[0]).parent != tmp_path  # the first time: the documents folder
    assert "Cedar Health (CED)" in PdfReader(target).pages[0].extract_text()
    assert quality.context.settings.report_folder == str(tmp_path)
    assert quality.status_label.text().startswith(f"Saved {target}")
    actor, action, detail = _audit(engine)[-1]
    assert (actor, action) == (ACTOR, "export") and str(target) in detail
    quality.save_action.trigger()  # the next time the folder chosen last is offered
    qtbot.waitUntil(lambda: len(suggested) == 2, timeout=30_000)
    quality.context.tasks.wait_idle()
    assert suggested[1] == str(tmp_path / "CED-2025-12.pdf")


def test_the_preview_saves_with_ctrl_s(qtbot, quality, tmp_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(tmp_path / "kept.pdf"), ""))
    quality.preview_action.trigger()
    qtbot.waitUntil(lambda: quality.report_actions.last_dialog is not None, timeout=20_000)
    dialog = quality.report_actions.last_dialog
    qtbot.addWidget(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: (tmp_path / "kept.pdf").exists(), timeout=20_000)
    quality.context.tasks.wait_idle()
    assert (tmp_path / "kept.pdf").read_bytes() == dialog.printed.pdf
    dialog.close()


# --- the Reports section ------------------------------------------------------------------------------

@pytest.fixture
def section(qtbot, engine, pod):
    widget = ReportsSection(make_context(engine, ACTOR))
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    with qtbot.waitSignal(widget.loaded, timeout=10_000):
        widget.show()
    return widget


def _codes(section) -> list[str]:
    return [item.text(1) for item in section.items()]


def test_the_section_lists_practices_with_patients_and_open_gaps_and_the_months(qtbot, section):
    rows = {item.text(1): (item.text(0), item.text(2), item.text(3)) for item in section.items()}
    # 2025: ALD has Carter's CMS125 and Abbott's CMS122 open; DEN has nobody
    assert rows == {"ALD": ("Alder Family Medicine", "4", "2"), "BIR": ("Birch Street Clinic", "4", "1"),
                    "CED": ("Cedar Health", "4", "4"), "DEN": ("Denali Internal Medicine", "0", "0")}
    months = [section.month_combo.itemData(i) for i in range(section.month_combo.count())]
    assert months[0] == dt.date(2025, 12, 1) and dt.date(2025, 1, 1) in months and dt.date(2024, 12, 1) in months
    assert section.period_label.text().startswith("Measurement period 01/01/2025 – 12/31/2025; no snapshot")
    assert section.checked_label.text() == "0 of 4 checked" and not section.batch_button.isEnabled()
    with qtbot.waitSignal(section.loaded, timeout=10_000):  # an older month: its own period's counts
        section.month_combo.setCurrentIndex(months.index(dt.date(2024, 12, 1)))
        section.month_combo.activated.emit(section.month_combo.currentIndex())
    assert section.period_label.text().startswith("Measurement period 01/01/2024 – 12/31/2024")
    assert {item.text(1): item.text(3) for item in section.items()}["ALD"] == "0"


def test_filter_all_and_none_choose_the_practices(qtbot, section):
    qtbot.keyClicks(section.filter_edit, "ced")
    visible = [item.text(1) for item in section.items() if not item.isHidden()]
    assert visible == ["CED"]
    qtbot.mouseClick(section.all_button, Qt.MouseButton.LeftButton)
    assert section.checked_codes() == ["CED"]  # All checks only what the filter shows
    section.filter_edit.clear()
    qtbot.mouseClick(section.all_button, Qt.MouseButton.LeftButton)
    assert sorted(section.checked_codes()) == ["ALD", "BIR", "CED", "DEN"]
    assert section.batch_button.text() == "&Write the reports of the 4 checked practices…"
    qtbot.mouseClick(section.none_button, Qt.MouseButton.LeftButton)
    assert section.checked_codes() == []


def test_enter_previews_the_highlighted_practice(qtbot, section):
    section.practice_list.setCurrentItem(section.items()[_codes(section).index("BIR")])
    section.practice_list.setFocus()
    qtbot.keyClick(section.practice_list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.actions.last_dialog is not None, timeout=20_000)
    section.context.tasks.wait_idle()
    dialog = section.actions.last_dialog
    qtbot.addWidget(dialog)
    assert dialog.printed.data.practice_code == "BIR" and dialog.printed.data.month == dt.date(2025, 12, 1)
    dialog.close()


def test_the_batch_writes_each_checked_practices_report_into_the_chosen_folder(qtbot, section, engine, tmp_path,
                                                                                monkeypatch):
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(tmp_path))
    for item in section.items():
        if item.text(1) in ("ALD", "DEN"):
            item.setCheckState(0, Qt.CheckState.Checked)
    task = section.write_batch()
    assert task.lane == "background" and task.cancellable
    section.context.tasks.wait_for(task)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ALD-2025-12.pdf", "DEN-2025-12.pdf"]
    assert section.status_label.text() == f"2 reports of December 2025 written to {tmp_path}."
    assert section.open_folder_button.isVisible()
    assert [a for _actor, a, _d in _audit(engine)] == ["export", "export"]
    # the same batch again: the reports already there are replaced only when the user says so
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    asked = []
    assert section.write_batch(confirm=lambda text: asked.append(text) or False) is None
    assert asked and "2 reports of December 2025 already in" in asked[0] and "ALD-2025-12.pdf" in asked[0]
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    assert section.status_label.text().startswith("Nothing was written")
    task = section.write_batch(confirm=lambda text: True)
    section.context.tasks.wait_for(task)
    assert [a for _actor, a, _d in _audit(engine)] == ["export"] * 4


def test_a_cancelled_batch_says_how_many_were_written(qtbot, section, tmp_path, monkeypatch):
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(tmp_path))
    qtbot.mouseClick(section.all_button, Qt.MouseButton.LeftButton)
    task = section.write_batch()
    task.cancel()
    section.context.tasks.wait_for(task)
    written = len(list(tmp_path.iterdir()))
    assert written < 4
    assert section.status_label.text() == f"Cancelled: {written} reports of 4 written to {tmp_path}." or \
        section.status_label.text() == f"Cancelled: {written} report of 4 written to {tmp_path}."


def test_printing_a_range_of_pages_prints_only_those(qtbot, quality, tmp_path, monkeypatch):
    out = tmp_path / "page-two.pdf"

    def accept(dialog):  # the user types "2-2" in the dialog's page range
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(out))
        dialog.printer().setPrintRange(QPrinter.PrintRange.PageRange)
        dialog.printer().setFromTo(2, 2)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", accept)
    quality.print_action.trigger()
    qtbot.waitUntil(lambda: out.exists() and quality.context.tasks.idle(), timeout=30_000)
    quality.context.tasks.wait_idle()
    assert len(PdfReader(out).pages) == 1
    assert quality.status_label.text() == f"Printed page 2 of CED-2025-12.pdf on {out}."
