"""What an import did: counts per resource type, every problem, which patients changed."""
from __future__ import annotations

import collections
import dataclasses

OUTCOMES = ("created", "updated", "unchanged", "rejected", "skipped")
PROBLEM_COLUMNS = ("File", "Where", "Resource type", "Resource id", "Severity", "Reason")


@dataclasses.dataclass
class Problem:
    """A rejected resource, row or file (``severity`` "error"), or a note the user should see
    although nothing was refused (``severity`` "warning": unknown code system, unresolved
    reference, unsupported resource type)."""

    file: str
    location: str
    resource_type: str
    resource_id: str
    reason: str
    severity: str = "error"

    def as_text(self) -> str:
        where = ", ".join(x for x in (self.location, "/".join(
            x for x in (self.resource_type, self.resource_id) if x)) if x)
        return f"{self.file}{': ' + where if where else ''}: {self.severity_text}: {self.reason}"

    @property
    def severity_text(self) -> str:
        return "warning" if self.severity == "warning" else "rejected"

    def as_row(self) -> tuple[str, ...]:
        """The values of :data:`PROBLEM_COLUMNS`."""
        return (self.file, self.location, self.resource_type, self.resource_id, self.severity_text, self.reason)


@dataclasses.dataclass
class ImportReport:
    files: list[str] = dataclasses.field(default_factory=list)
    counts: dict[str, collections.Counter] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(collections.Counter))
    problems: list[Problem] = dataclasses.field(default_factory=list)
    patient_ids: set[int] = dataclasses.field(default_factory=set)          # patients imported or matched
    changed_patient_ids: set[int] = dataclasses.field(default_factory=set)  # facts created or updated
    files_imported: int = 0
    files_rejected: int = 0
    files_unreadable: int = 0
    run_id: int | None = None
    dry_run: bool = False
    cancelled: bool = False
    busy: str = ""  # refused: another import of the database was running (what it was)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    @property
    def exit_status(self) -> int:
        """0 nothing rejected, 1 something rejected, 2 nothing could be read, 3 not started:
        another import of the database was running."""
        if self.busy:
            return 3
        if self.files and self.files_unreadable == len(self.files):
            return 2
        if not self.files:
            return 2
        return 1 if self.errors or self.cancelled else 0

    def counts_table(self) -> list[tuple[str, dict[str, int]]]:
        return [(rtype, {o: self.counts[rtype][o] for o in OUTCOMES}) for rtype in sorted(self.counts)]

    def plain_counts(self) -> dict[str, dict[str, int]]:
        return {rtype: dict(c) for rtype, c in sorted(self.counts.items())}
