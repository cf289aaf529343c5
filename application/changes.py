"""What an operation changed: one value every write returns, one signal carries it.

After Anki's ``OpChanges``: the screens look at a :class:`ChangeSet` and refresh only what
they show (the referral board on "referrals", the chart of patient 42 when 42 is among the
patients). ``patient_ids=None`` means "any patient" (an import or a recompute of the pod).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable

# the kinds of records an operation can change; a screen names the ones it shows
KINDS = frozenset({
    "patients",     # demographics, practice, status, links between duplicate records
    "facts",        # clinical facts (imported or entered)
    "gaps",         # gaps in care and their documented exclusions/refusals
    "quality",      # practice rates and monthly snapshots
    "referrals", "calls", "reviews", "outreach", "care_plans", "tasks", "time",
    "risk",         # risk tiers and their overrides
    "today",        # Today-list state of its own (snoozes, done marks)
    "staff", "practices",  # pod administration
    "imports",      # the import log
    "audit",        # the audit trail (views, prints, exports)
    "drafts",       # unfinished entries kept while typing
    "user",         # who is acting changed (File ▸ Change user): her lists, drafts and timers
})


@dataclasses.dataclass(frozen=True)
class ChangeSet:
    kinds: frozenset[str] = frozenset()
    patient_ids: frozenset[int] | None = frozenset()  # None: any patient may have changed
    measure_ids: frozenset[str] | None = frozenset()  # gaps of these measures; None: any measure

    def __post_init__(self):
        unknown = set(self.kinds) - KINDS
        if unknown:
            raise ValueError(f"unknown change kinds: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "kinds", frozenset(self.kinds))
        if self.patient_ids is not None:
            object.__setattr__(self, "patient_ids", frozenset(self.patient_ids))
        if self.measure_ids is not None:
            object.__setattr__(self, "measure_ids", frozenset(self.measure_ids))

    @classmethod
    def of(cls, *kinds: str, patients: Iterable[int] | None = (), measures: Iterable[str] | None = ()) -> "ChangeSet":
        """``ChangeSet.of("referrals", patients=[42])``; ``patients=None``: any patient."""
        return cls(frozenset(kinds), None if patients is None else frozenset(patients),
                   None if measures is None else frozenset(measures))

    @classmethod
    def everything(cls) -> "ChangeSet":
        """Another database was opened, or a restore: every screen reads again."""
        return cls(KINDS, None, None)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def __or__(self, other: "ChangeSet") -> "ChangeSet":
        def union(a, b):
            return None if a is None or b is None else a | b
        return ChangeSet(self.kinds | other.kinds, union(self.patient_ids, other.patient_ids),
                         union(self.measure_ids, other.measure_ids))

    def touches(self, *kinds: str) -> bool:
        """Did any of these kinds of records change?"""
        return not self.kinds.isdisjoint(kinds)

    def touches_patient(self, patient_id: int, *kinds: str) -> bool:
        """Did records of this patient (of these kinds, or of any kind when none are named) change?"""
        if kinds and not self.touches(*kinds):
            return False
        return bool(self.kinds) and (self.patient_ids is None or patient_id in self.patient_ids)


NOTHING = ChangeSet()


def changes_of(result) -> ChangeSet:
    """The ChangeSet a use case returned, itself or as its ``changes`` attribute (else nothing)."""
    if isinstance(result, ChangeSet):
        return result
    changes = getattr(result, "changes", None)
    return changes if isinstance(changes, ChangeSet) else NOTHING
