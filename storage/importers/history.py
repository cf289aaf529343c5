"""Reading the import log (import_run, import_problem) and the choices an import screen offers."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt

import sqlalchemy as sa

from storage import schema as t
from storage.importers.report import PROBLEM_COLUMNS, Problem

_WARNING_PREFIX = "warning: "  # how run.py keeps a warning's severity in import_problem.reason


@dataclasses.dataclass
class LoggedRun:
    """One import as the log keeps it."""

    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    actor: str
    practice_code: str            # "" when new patients went where their data said
    dry_run: bool
    files: list[str]
    counts: dict[str, dict[str, int]]  # resource type → outcome → number
    # running | waiting (for another import) | ok | with problems | failed | cancelled | refused
    # (another import was running) | interrupted (its process was killed)
    status: str
    errors: int = 0
    warnings: int = 0

    def total(self, outcome: str) -> int:
        return sum(int(c.get(outcome, 0)) for c in self.counts.values())

    @property
    def files_text(self) -> str:
        """The files in a few words: the file's name, or the folder they share and how many."""
        paths = [f.replace("\\", "/").rstrip("/") for f in self.files]
        if not paths:
            return ""
        if len(paths) == 1:
            return paths[0].rsplit("/", 1)[-1] or paths[0]
        folders = {p.rsplit("/", 1)[0] for p in paths}
        if len(folders) == 1 and "/" in paths[0]:
            return f"{folders.pop().rsplit('/', 1)[-1]}/ ({len(paths)} files)"
        return f"{paths[0].rsplit('/', 1)[-1]} and {len(paths) - 1} more"


def practice_choices(engine) -> list[tuple[str, str]]:
    """(code, name) of the active practices, by name."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.practice.c.code, t.practice.c.name).where(t.practice.c.active.is_(True))
            .order_by(t.practice.c.name))]


def recent_runs(engine, limit: int = 50) -> list[LoggedRun]:
    """The latest imports, newest first, with how many problems each logged."""
    return _runs(engine, sa.true(), limit)


def logged_run(engine, run_id: int) -> LoggedRun | None:
    found = _runs(engine, t.import_run.c.id == run_id, 1)
    return found[0] if found else None


def _runs(engine, condition, limit: int) -> list[LoggedRun]:
    problems = t.import_problem
    is_warning = problems.c.reason.like(_WARNING_PREFIX + "%")
    counted = (sa.select(problems.c.import_run_id,
                         sa.func.sum(sa.case((is_warning, 0), else_=1)).label("errors"),
                         sa.func.sum(sa.case((is_warning, 1), else_=0)).label("warnings"))
               .group_by(problems.c.import_run_id).subquery())
    query = (sa.select(t.import_run, counted.c.errors, counted.c.warnings)
             .outerjoin(counted, counted.c.import_run_id == t.import_run.c.id)
             .where(condition).order_by(t.import_run.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [_logged_run(engine, r) for r in conn.execute(query).mappings()]


def _logged_run(engine, row) -> LoggedRun:
    from storage.importers.turn import shown_status

    return LoggedRun(row["id"], row["started_at"], row["finished_at"], row["actor"], row["practice_code"] or "",
                     bool(row["dry_run"]), list(row["files"] or []), dict(row["counts"] or {}),
                     shown_status(engine, row["status"]), int(row.get("errors") or 0), int(row.get("warnings") or 0))


def run_problems(engine, run_id: int) -> list[Problem]:
    """The problems one import logged, in the order it met them, warnings told apart."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.import_problem).where(t.import_problem.c.import_run_id == run_id)
                            .order_by(t.import_problem.c.id)).mappings().all()
    out = []
    for r in rows:
        warning = r["reason"].startswith(_WARNING_PREFIX)
        out.append(Problem(r["file"], r["location"], r["resource_type"], r["resource_id"],
                           r["reason"][len(_WARNING_PREFIX):] if warning else r["reason"],
                           "warning" if warning else "error"))
    return out


def logged_reason(problem: Problem) -> str:
    """The text import_problem.reason keeps for a problem (see :func:`run_problems`)."""
    return problem.reason if problem.severity == "error" else _WARNING_PREFIX + problem.reason


def write_problems_csv(path, problems: list[Problem]) -> None:
    """Problems as a CSV file with a header row (the same columns as the screens)."""
    from storage.private_files import open_private

    with open_private(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PROBLEM_COLUMNS)
        writer.writerows(p.as_row() for p in problems)

