"""Who sent a resource and what it is called there, and which practice a new patient joins.

A resource id is unique only within the system that sent it, so every imported record is
keyed by **source + resource type + id** (``source_record``; ``source_key`` =
``"source|Type|id"``). The source of a file is, in this order:

1. ``--source NAME`` (``source=``) when given: every file of the import is that source;
2. the Bundle's ``identifier`` (``system|value``) or ``meta.source``;
3. for NDJSON files, the name of their folder (a bulk-data export is a folder of files,
   one per resource type, that refer to each other);
4. otherwise the file's name without its extension (each eCQM case bundle is a separate
   patient record from a separate source).

A new patient joins the ``--practice`` practice when given; else the practice its
``managingOrganization`` (or a ``generalPractitioner`` organization or clinician) maps to,
matched on NPI, code or name (never the holding place); else the pod's **holding place**
(``practice.holding``, code ``UNASSIGNED``): not a practice and never a pod peer, where patients
wait until a person assigns them one (the import results say how many went there).

Matching a new resource to an existing patient: always on source + FHIR id; on practice +
MRN only in a real practice (not the holding place, whose records come from unrelated senders
whose MRNs mean nothing to each other — every eCQM case says MR 999999995), only for an
identifier typed MR, and only when the name and birth date agree; an MRN held by someone
else is a rejection, never a merge.
"""
from __future__ import annotations

from pathlib import Path

from storage.importers.codings import as_list
from storage.importers.organizations import npi_of
from storage.importers.reader import is_ndjson

HOLDING_CODE = "UNASSIGNED"
HOLDING_NAME = "Practice not known yet"


def source_for(path: Path, *, given: str | None, bundle_hint: str = "") -> str:
    if given:
        return given
    if bundle_hint:
        return bundle_hint
    if is_ndjson(path):
        return path.resolve().parent.name or path.stem
    return path.stem


def source_key(source: str, rtype: str, rid: str) -> str:
    return f"{source}|{rtype}|{rid}"


def resource_id(resource: dict, entry) -> str:
    """The resource's id; in a transaction without ids, the id part of its fullUrl or PUT url."""
    rid = resource.get("id")
    if isinstance(rid, str) and rid.strip():
        return rid.strip()
    if entry.full_url:
        return entry.full_url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    request = entry.request or {}
    if request.get("method") == "PUT" and "/" in str(request.get("url") or "") and "?" not in request["url"]:
        return str(request["url"]).rsplit("/", 1)[-1]
    return ""


class PracticeFinder:
    """The practice of new patients in one file (cached per file: a rolled-back file may have
    created the holding place in its own transaction)."""

    def __init__(self, store, practice_id: int | None):
        self.store, self.practice_id = store, practice_id
        self._imported: int | None = None
        self._by_org: dict[str, int | None] = {}

    def is_catch_all(self, practice_id: int) -> bool:
        return practice_id == self._imported

    def for_patient(self, plan, index, landed) -> int:
        if self.practice_id is not None:
            return self.practice_id
        for reference in [plan.organization_ref] + list(plan.practitioner_refs):
            if not reference:
                continue
            target = landed.get(index.key_of(reference))
            if target and target[0] == "clinician":
                row = self.store.one("SELECT practice_id FROM clinician WHERE id = ?", (target[1],))
                if row and row[0]:
                    return row[0]
            organization = index.lookup(reference)
            if organization is not None and organization.get("resourceType") == "Organization":
                found = self._practice_of(organization)
                if found:
                    return found
        return self._holding_place()

    def _practice_of(self, organization: dict) -> int | None:
        npi = npi_of(organization)
        name = str(organization.get("name") or "")
        codes = [str(i.get("value")) for i in as_list(organization.get("identifier"))
                 if isinstance(i, dict) and i.get("value")]
        cache_key = f"{npi}|{name}|{','.join(codes)}"
        if cache_key not in self._by_org:
            row = None
            if npi:
                row = self.store.one("SELECT id FROM practice WHERE npi = ? AND NOT holding", (npi,))
            for code in codes:
                row = row or self.store.one("SELECT id FROM practice WHERE code = ? AND NOT holding", (code.upper(),))
            if name:
                row = row or self.store.one("SELECT id FROM practice WHERE lower(name) = lower(?) AND NOT holding",
                                            (name,))
            self._by_org[cache_key] = row[0] if row else None
        return self._by_org[cache_key]

    def _holding_place(self) -> int:
        """The pod's holding place for patients whose practice cannot be told (made once)."""
        if self._imported is None:
            row = self.store.one("SELECT id FROM practice WHERE holding ORDER BY id LIMIT 1")
            if row is None:
                self.store.db.execute(
                    "INSERT INTO practice (code, name, active, holding, created_at) VALUES (?, ?, 1, 1, ?)",
                    (HOLDING_CODE, HOLDING_NAME, self.store.now))
                row = self.store.one("SELECT id FROM practice WHERE holding ORDER BY id LIMIT 1")
            self._imported = row[0]
        return self._imported
