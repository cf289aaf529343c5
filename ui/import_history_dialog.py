"""File ▸ Import history: every import (dry runs too) and what each one refused.

The runs are listed newest first; choosing one lists the problems it logged, rejections
first-class and warnings (nothing refused) shown apart, and they can be saved as CSV.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QDialog, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ui.import_problems_view import ProblemsModel, problems_view, save_problems_as

RUN_COLUMNS = ("Run", "Started", "By", "Files", "Practice", "Dry run", "Created", "Updated", "Unchanged",
               "Rejected", "Skipped", "Problems", "Warnings", "Status")
RUN_LIMIT = 200


class ImportHistoryDialog(QDialog):
    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.setObjectName("ImportHistoryDialog")
        self.setWindowTitle("Import history")
        self.pod = context.pod
        self.runs: list = []
        self.all_problems: list = []

        self.runs_table = QTableWidget(0, len(RUN_COLUMNS))
        self.runs_table.setObjectName("importRuns")
        self.runs_table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.runs_table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.runs_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.runs_table.verticalHeader().setVisible(False)
        self.runs_table.verticalHeader().setDefaultSectionSize(self.runs_table.fontMetrics().height() + 8)
        self.runs_table.setWordWrap(False)
        self.runs_table.horizontalHeader().setSectionResizeMode(RUN_COLUMNS.index("Files"), QHeaderView.Stretch)
        self.runs_table.itemSelectionChanged.connect(self._show_selected)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.show_warnings = QCheckBox("Show &warnings too (nothing was refused for them)")
        self.show_warnings.setChecked(True)
        self.show_warnings.toggled.connect(self._fill_problems)
        self.problems_model = ProblemsModel(self)
        self.problems_view = problems_view(self.problems_model, "importProblems")

        problems_box = QWidget()
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.setContentsMargins(0, 0, 0, 0)
        problems_layout.addWidget(self.summary)
        problems_layout.addWidget(self.show_warnings)
        problems_layout.addWidget(self.problems_view)
        splitter = QSplitter(Qt.Vertical)
        splitter.setObjectName("importHistorySplitter")
        splitter.addWidget(self.runs_table)
        splitter.addWidget(problems_box)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)

        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.refresh)
        self.save = QPushButton("&Save problems as CSV…")
        self.save.clicked.connect(self._choose_csv)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(refresh)
        buttons.addWidget(self.save)
        buttons.addStretch()
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The latest {RUN_LIMIT} imports, newest first. Choose one to see what it refused."))
        layout.addWidget(splitter)
        layout.addLayout(buttons)
        self.resize(1100, 680)
        self.refresh()

    # --- runs ---------------------------------------------------------------------
    def refresh(self) -> None:
        from application.imports import recent_runs

        chosen = self.selected_run()
        self.runs = recent_runs(self.pod, RUN_LIMIT)
        table = self.runs_table
        table.setRowCount(len(self.runs))
        for r, run in enumerate(self.runs):
            for c, (value, number) in enumerate(_run_cells(run)):
                item = QTableWidgetItem(value)
                if number:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                item.setData(Qt.UserRole, run.id)
                if RUN_COLUMNS[c] == "Files":
                    item.setToolTip("\n".join(run.files))
                table.setItem(r, c, item)
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(RUN_COLUMNS.index("Files"), QHeaderView.Stretch)
        if self.runs:
            ids = [run.id for run in self.runs]
            table.selectRow(ids.index(chosen.id) if chosen and chosen.id in ids else 0)
        else:
            self._show_selected()

    def selected_run(self):
        rows = self.runs_table.selectionModel().selectedRows() if self.runs_table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.runs):
            return None
        return self.runs[rows[0].row()]

    def _show_selected(self) -> None:
        from application.imports import run_problems

        run = self.selected_run()
        self.all_problems = run_problems(self.pod, run.id) if run else []
        if run is None:
            self.summary.setText("No imports yet: File ▸ Import… brings in FHIR or CSV files."
                                 if not self.runs else "Choose an import above.")
        else:
            self.summary.setText(_summary(run))
        self._fill_problems()

    def _fill_problems(self) -> None:
        shown = self.shown_problems()
        self.problems_model.set_problems(shown)
        self.save.setEnabled(bool(shown))

    def shown_problems(self) -> list:
        if self.show_warnings.isChecked():
            return self.all_problems
        return [p for p in self.all_problems if p.severity == "error"]

    # --- saving -------------------------------------------------------------------
    def _choose_csv(self) -> None:
        run = self.selected_run()
        name = f"import-{run.id}-problems.csv" if run else "import-problems.csv"
        save_problems_as(self, name, self.shown_problems())

    def save_problems_csv(self, path) -> None:
        """The problems shown (with or without warnings) as CSV."""
        from application.imports import write_problems_csv

        write_problems_csv(path, self.shown_problems())


def _run_cells(run) -> list[tuple[str, bool]]:
    """(text, is a number) for each of RUN_COLUMNS."""
    from ui.format import label, local_datetime

    return [(str(run.id), True), (local_datetime(run.started_at), False), (run.actor, False),
            (run.files_text, False), (run.practice_code or "from the data", False),
            ("Yes" if run.dry_run else "", False)] + \
        [(f"{run.total(o):,}", True) for o in ("created", "updated", "unchanged", "rejected", "skipped")] + \
        [(f"{run.errors:,}", True), (f"{run.warnings:,}", True), (label(run.status), False)]


def _summary(run) -> str:
    from ui.format import label, local_datetime

    finished = f", finished {local_datetime(run.finished_at)}" if run.finished_at else " (not finished)"
    dry = " Dry run: nothing was saved." if run.dry_run else ""
    return (f"Import {run.id} by {run.actor}, started {local_datetime(run.started_at)}{finished}: "
            f"{label(run.status)}. {len(run.files)} file(s); {run.errors:,} rejection(s), "
            f"{run.warnings:,} warning(s).{dry}")
