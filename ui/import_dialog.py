"""File ▸ Import: FHIR bundles, NDJSON files, CSV panels or folders of them.

The import runs on the task runner's background lane (one long job at a time: an import
asked for while another runs waits its turn, and the dialog says so); the dialog shows
progress, can cancel (the file being read is rolled back), then shows the counts and the
rejections, which can be saved as CSV, which practice the patients are in (those whose practice
could not be told wait in the holding place, assigned from here), and how many may be the same
person as a patient of another practice.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QListWidget, QProgressBar,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout)

from domain.text import counted
from ui.import_problems_view import ProblemsModel, problems_view, save_problems_as
from ui.tables import CountItem


class ImportDialog(QDialog):
    import_finished = Signal(object)  # the ImportReport
    show_duplicates = Signal()  # "Review possible duplicates…"

    def __init__(self, context, parent=None):
        super().__init__(parent)
        self.setObjectName("ImportDialog")
        self.setWindowTitle("Import patients and clinical data")
        self.context = context
        self.task = None
        self.report = None
        self.imported = None

        self.paths = QListWidget()
        self.paths.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.paths.setMaximumHeight(6 * self.paths.fontMetrics().height() + 12)  # a few paths; results need the room
        self.paths.setToolTip("Files and folders to import (folders are read with their sub-folders)")
        add_files = QPushButton("Add &files…")
        add_files.clicked.connect(self._choose_files)
        add_folder = QPushButton("Add f&older…")
        add_folder.clicked.connect(self._choose_folder)
        remove = QPushButton("&Remove")
        remove.clicked.connect(lambda: [self.paths.takeItem(self.paths.row(i)) for i in self.paths.selectedItems()])
        path_buttons = QHBoxLayout()
        for button in (add_files, add_folder, remove):
            path_buttons.addWidget(button)
        path_buttons.addStretch()

        from application.imports import practice_choices

        self.practice = QComboBox(objectName="importPractice")
        self.practice.addItem("From the data (patients whose practice it does not tell wait for you to assign one)",
                              None)
        for code, name in practice_choices(context.pod):
            self.practice.addItem(f"{name} ({code})", code)
        self.dry_run = QCheckBox("&Dry run: check and count, save nothing")
        form = QFormLayout()
        form.addRow("Target practice:", self.practice)
        form.addRow("", self.dry_run)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Nothing imported yet.", objectName="importStatus")
        self.status.setWordWrap(True)
        self.paths.model().rowsInserted.connect(self._paths_changed)
        self.paths.model().rowsRemoved.connect(self._paths_changed)
        # after an import: where its patients are, and what is left to do about them
        self.landing_label = QLabel(objectName="importLanding")
        self.landing_label.setWordWrap(True)
        self.landing_label.hide()
        self.assign_combo = QComboBox(objectName="importAssignPractice")
        self.assign_button = QPushButton("&Assign them", objectName="importAssign")
        self.assign_button.clicked.connect(self.assign_waiting)
        self.duplicates_button = QPushButton("Review possible &duplicates…", objectName="importDuplicates")
        self.duplicates_button.clicked.connect(self.show_duplicates.emit)
        self.follow_up = QHBoxLayout()
        self.follow_up.addWidget(QLabel("Assign the waiting patients to:"))
        self.follow_up.addWidget(self.assign_combo)
        self.follow_up.addWidget(self.assign_button)
        self.follow_up.addStretch(1)
        self.follow_up.addWidget(self.duplicates_button)
        self._set_follow_up(None)
        self.counts = QTableWidget(0, 6)
        self.counts.setObjectName("importCounts")
        self.counts.setHorizontalHeaderLabels(["Resource type", "Created", "Updated", "Unchanged", "Rejected", "Skipped"])
        self.counts.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.counts.verticalHeader().setVisible(False)
        self.counts.verticalHeader().setDefaultSectionSize(self.counts.fontMetrics().height() + 8)
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.counts.setSortingEnabled(True)
        self.problems_model = ProblemsModel(self)
        self.problems = problems_view(self.problems_model, "importProblems")

        self.start = QPushButton("&Import")
        self.start.setDefault(True)
        self.start.clicked.connect(self.start_import)
        self.cancel = QPushButton("&Cancel import")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_import)
        self.save = QPushButton("&Save problems as CSV…")
        self.save.setEnabled(False)
        self.save.clicked.connect(self._choose_csv)
        self.history = QPushButton("&History…")
        self.history.setToolTip("Earlier imports and what each one refused")
        self.history.clicked.connect(self.show_history)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.start, self.cancel, self.save, self.history):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        hint = QLabel("Files and folders to import: FHIR Bundles (.json), bulk-data NDJSON (.ndjson) "
                      "or CSV patient panels (.csv); folders are read with their sub-folders.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(self.paths, 1)
        layout.addLayout(path_buttons)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.landing_label)
        layout.addLayout(self.follow_up)
        layout.addWidget(self.counts, 3)
        layout.addWidget(self.problems, 3)
        layout.addLayout(buttons)
        self.resize(1000, 680)

    # --- choosing ---------------------------------------------------------------
    def add_paths(self, paths) -> None:
        for path in paths:
            if str(path) and not self.paths.findItems(str(path), Qt.MatchExactly):
                self.paths.addItem(str(path))

    def _paths_changed(self, *_args) -> None:
        """The list of files changed: the status says what is chosen (an old "add a file first"
        must not stay after one was added)."""
        if self.task is not None:
            return
        count = self.paths.count()
        self.status.setText("Add at least one file or folder first." if not count else
                            f"{counted(count, 'file')} or folder{'s' if count != 1 else ''} "
                            "to import: press Import.")

    def chosen_paths(self) -> list[str]:
        return [self.paths.item(i).text() for i in range(self.paths.count())]

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to import", "",
                                                "FHIR and CSV (*.json *.ndjson *.jsonl *.csv);;All files (*)")
        self.add_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder to import")
        if folder:
            self.add_paths([folder])

    # --- running -----------------------------------------------------------------
    def start_import(self) -> None:
        paths = self.chosen_paths()
        if not paths:
            self.status.setText("Add at least one file or folder first.")
            return
        self.report = None
        self.counts.setRowCount(0)
        self.problems_model.set_problems([])
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.start.setEnabled(False)
        self.save.setEnabled(False)
        self.cancel.setEnabled(True)
        self.status.setText("Importing…")
        if self.context.tasks.running("background"):
            self.status.setText("Waiting for the work already running (an import or a recompute) to finish…")
        from application.imports import import_files

        practice, dry_run = self.practice.currentData(), self.dry_run.isChecked()

        def work(job):
            job.progress(0, 0, "")  # started: no longer waiting for another job
            return import_files(self.context.pod, paths, practice_code=practice, dry_run=dry_run,
                                cancel=job.cancel_event,
                                progress=lambda p: job.progress(0, -1, p.waiting) if p.waiting else
                                job.progress(p.file_index, p.file_count, f"{p.file}\t{p.resources}"))

        self.task = self.context.tasks.background(work, label="Importing…", parent=self, show_progress=False,
                                                  on_done=self._on_done, on_error=self._on_failed)
        self.task.progressed.connect(self._on_progress)

    def cancel_import(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.cancel.setEnabled(False)
            self.status.setText("Cancelling: the file being read will be rolled back…")

    def _on_progress(self, index: int, count: int, text: str) -> None:
        if count < 0 and text:  # waiting for another import of the database (another app's)
            self.status.setText(text)
            return
        if count <= 0:
            self.status.setText("Importing…")
            return
        file, _, resources = text.partition("\t")
        resources = int(resources or 0)
        self.progress.setRange(0, count)
        self.progress.setValue(index)
        self.status.setText(f"File {index + 1} of {count}: {file}" + (f" — {resources:,} read" if resources else ""))

    def _finish_worker(self) -> None:
        self.task = None
        self.progress.setVisible(False)
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)

    def _on_failed(self, error: BaseException) -> None:
        self._finish_worker()
        self.status.setText(f"The import stopped: {type(error).__name__}: {error}. "
                            "Nothing of the file being read was saved.")

    def _on_done(self, imported) -> None:
        self._finish_worker()
        report = self.report = imported.report
        self.imported = imported
        self.show_report(report)
        self.show_landing(imported)
        self.import_finished.emit(report)

    # --- where the patients are ----------------------------------------------------
    def show_landing(self, imported) -> None:
        """Which practice the import's patients are in, those waiting for one, likely duplicates."""
        if not imported.landing:
            self._set_follow_up(None)
            return
        places = [f"{place.patients:,} in {place.name} ({place.code})" for place in imported.landing
                  if not place.holding]
        text = f"Patients of this import: {'; '.join(places)}." if places else ""
        waiting = len(imported.waiting_ids)
        if waiting:
            text += (f"{' ' if text else ''}<b>{counted(waiting, 'patient')} "
                     f"wait{'' if waiting != 1 else 's'} for a "
                     "practice:</b> the data did not tell which practice they belong to, so they are kept aside "
                     "(not in any practice's rates or lists) until you assign them, here or from each chart.")
        if imported.likely_duplicates:
            text += (f" {imported.likely_duplicates:,} may be the same person as a patient of another practice: "
                     "review them (Data ▸ Possible duplicates).")
        self.landing_label.setText(text)
        self._set_follow_up(imported)

    def _set_follow_up(self, imported) -> None:
        from application.gaps import practice_choices

        waiting = bool(imported and imported.waiting_ids)
        self.landing_label.setVisible(imported is not None and bool(imported.landing))
        if waiting and self.assign_combo.count() == 0:
            for practice_id, code, name in practice_choices(self.context.pod):
                self.assign_combo.addItem(f"{name} ({code})", practice_id)
        for widget in (self.assign_combo, self.assign_button):
            widget.setVisible(waiting)
            widget.setEnabled(waiting and self.assign_combo.count() > 0)
        self.follow_up.itemAt(0).widget().setVisible(waiting)
        self.duplicates_button.setVisible(bool(imported and imported.likely_duplicates))

    def assign_waiting(self):
        """Assign this import's waiting patients to the chosen practice (on the writer)."""
        from application.holding import assign_practice

        imported, practice_id = getattr(self, "imported", None), self.assign_combo.currentData()
        if imported is None or not imported.waiting_ids or practice_id is None:
            return None
        ids, name = list(imported.waiting_ids), self.assign_combo.currentText()

        def assigned(_changes) -> None:
            import dataclasses

            self.imported = dataclasses.replace(imported, waiting_ids=(), landing=tuple(
                p for p in imported.landing if not p.holding))
            before = self.landing_label.text().split("<b>")[0].strip()
            self.landing_label.setText(f"{before} {len(ids):,} waiting patient{'s' if len(ids) != 1 else ''} "
                                       f"assigned to {name}.".strip())
            self._set_follow_up(self.imported)

        return self.context.tasks.write(lambda job: assign_practice(self.context.pod, ids, practice_id),
                                        label="Assigning the patients…", parent=self, on_done=assigned)

    def show_report(self, report) -> None:
        from application.imports import OUTCOMES

        prefix = "Dry run — nothing was saved. " if report.dry_run else ""
        cancelled = " Cancelled." if report.cancelled else ""
        totals = ", ".join(f"{report.total(o):,} {o}" for o in OUTCOMES if report.total(o))
        self.status.setText(f"{prefix}{len(report.files)} file(s): {report.files_imported} imported, "
                            f"{report.files_rejected} rejected, {report.files_unreadable} unreadable"
                            f"{'; resources: ' + totals if totals else ''}. "
                            f"{len(report.errors)} rejection(s), {len(report.warnings)} warning(s) below.{cancelled}")
        self.counts.setSortingEnabled(False)
        rows = report.counts_table()
        self.counts.setRowCount(len(rows))
        for r, (rtype, counts) in enumerate(rows):
            self.counts.setItem(r, 0, QTableWidgetItem(rtype))
            for c, outcome in enumerate(OUTCOMES, start=1):
                self.counts.setItem(r, c, CountItem(counts[outcome]))
        self.counts.setSortingEnabled(True)
        self.counts.sortItems(0, Qt.AscendingOrder)
        self.problems_model.set_problems(report.problems)
        self.save.setEnabled(bool(report.problems))

    def show_history(self):
        from ui.import_history_dialog import ImportHistoryDialog

        dialog = ImportHistoryDialog(self.context, self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # --- saving ------------------------------------------------------------------
    def _choose_csv(self) -> None:
        save_problems_as(self, "import-problems.csv", self.report.problems if self.report else [])

    def save_problems_csv(self, path) -> None:
        from application.imports import write_problems_csv

        write_problems_csv(path, self.report.problems if self.report else [])

    def done(self, result: int) -> None:  # closing while importing cancels and waits
        if self.task is not None:
            self.task.cancel()
            self.context.tasks.wait_for(self.task)
        super().done(result)

