"""Importing FHIR and CSV files (a use case) and the import log (read models)."""
from __future__ import annotations

import dataclasses

from application.changes import NOTHING, ChangeSet
from storage.importers import history
from storage.importers.history import LoggedRun
from storage.importers.report import OUTCOMES, PROBLEM_COLUMNS, ImportReport, Problem
from storage.importers.run import Cancelled as ImportCancelled
from storage.importers.run import ImportProgress, import_paths
from storage.queries import holding
from storage.queries.holding import Landing

__all__ = ["OUTCOMES", "PROBLEM_COLUMNS", "ImportCancelled", "ImportProgress", "ImportReport", "Imported", "Landing",
           "LoggedRun", "Problem", "import_files", "practice_choices", "recent_runs", "run_problems",
           "write_problems_csv"]


@dataclasses.dataclass(frozen=True)
class Imported:
    report: ImportReport
    changes: ChangeSet = NOTHING
    # which practice the import's patients are in (the holding place last, when some went there)
    landing: tuple[Landing, ...] = ()
    likely_duplicates: int = 0  # undecided candidates: the same person at another practice
    waiting_ids: tuple[int, ...] = ()  # this import's patients waiting in the holding place

    @property
    def waiting(self) -> Landing | None:
        """The patients of this import waiting in the holding place for a practice."""
        return next((place for place in self.landing if place.holding), None)


def import_files(pod, paths, *, practice_code: str | None = None, dry_run: bool = False,
                 progress=None, cancel=None) -> Imported:
    """Import the files and folders (each file all or nothing); the report says what landed
    and every rejection, which practice the patients are in (those whose practice could not be
    told wait in the holding place) and how many may be the same person as a patient of another
    practice. ``progress(ImportProgress)``; ``cancel``: an Event or a callable."""
    report = import_paths(pod.engine, paths, practice_code=practice_code, dry_run=dry_run, actor=pod.actor(),
                          progress=progress, cancel=cancel)
    changes = ChangeSet.of("imports")
    if report.dry_run or not report.patient_ids:
        return Imported(report, changes)
    changes |= ChangeSet.of("patients", "facts", patients=report.patient_ids)
    return Imported(report, changes, tuple(holding.landing(pod.engine, report.patient_ids)),
                    holding.candidate_duplicates_among(pod.engine, report.patient_ids),
                    tuple(holding.waiting_among(pod.engine, report.patient_ids)))


def practice_choices(pod) -> list[tuple[str, str]]:
    """(code, name) of the practices an import can be aimed at."""
    return history.practice_choices(pod.engine)


def recent_runs(pod, limit: int = 50) -> list[LoggedRun]:
    return history.recent_runs(pod.engine, limit)


def run_problems(pod, run_id: int) -> list[Problem]:
    return history.run_problems(pod.engine, run_id)


def write_problems_csv(path, problems: list[Problem]) -> None:
    history.write_problems_csv(path, problems)
