"""Importing FHIR and CSV files (a use case) and the import log (read models)."""
from __future__ import annotations

import dataclasses

from application.changes import NOTHING, ChangeSet
from storage.importers import history
from storage.importers.history import LoggedRun
from storage.importers.report import OUTCOMES, PROBLEM_COLUMNS, ImportReport, Problem
from storage.importers.run import Cancelled as ImportCancelled
from storage.importers.run import ImportProgress, import_paths

__all__ = ["OUTCOMES", "PROBLEM_COLUMNS", "ImportCancelled", "ImportProgress", "ImportReport", "Imported",
           "LoggedRun", "Problem", "import_files", "practice_choices", "recent_runs", "run_problems",
           "write_problems_csv"]


@dataclasses.dataclass(frozen=True)
class Imported:
    report: ImportReport
    changes: ChangeSet = NOTHING


def import_files(pod, paths, *, practice_code: str | None = None, dry_run: bool = False,
                 progress=None, cancel=None) -> Imported:
    """Import the files and folders (each file all or nothing); the report says what landed
    and every rejection. ``progress(ImportProgress)``; ``cancel``: an Event or a callable."""
    report = import_paths(pod.engine, paths, practice_code=practice_code, dry_run=dry_run, actor=pod.actor(),
                          progress=progress, cancel=cancel)
    changes = ChangeSet.of("imports")
    if not report.dry_run and report.patient_ids:
        changes |= ChangeSet.of("patients", "facts", patients=report.patient_ids)
    return Imported(report, changes)


def practice_choices(pod) -> list[tuple[str, str]]:
    """(code, name) of the practices an import can be aimed at."""
    return history.practice_choices(pod.engine)


def recent_runs(pod, limit: int = 50) -> list[LoggedRun]:
    return history.recent_runs(pod.engine, limit)


def run_problems(pod, run_id: int) -> list[Problem]:
    return history.run_problems(pod.engine, run_id)


def write_problems_csv(path, problems: list[Problem]) -> None:
    history.write_problems_csv(path, problems)
