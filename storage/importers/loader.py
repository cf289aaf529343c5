"""Loading the resources of one file inside its transaction (see :mod:`storage.importers.run`).

Per chunk (a Bundle is one chunk; NDJSON comes in chunks of :data:`CHUNK`): index the
resources, look up in bulk what this source sent before, skip what is unchanged (same
content hash), map the rest, resolve references, and write phase by phase so that what
others refer to (practitioners, patients, encounters) has its id first. A new resource of a
common type and shape takes the fused fast path (:mod:`storage.importers.fastpath`), which
writes the same rows as the general one.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import json

from storage.importers import identity
from storage.importers.codings import codings, is_known_system
from storage.importers.fastpath import FAST_TYPES, FastFact, fast_fact
from storage.importers.plans import ClinicianPlan, FactPlan, NotePlan, PatientPlan, Rejected, SkipPlan
from storage.importers.reader import Entry
from storage.importers.references import ReferenceIndex
from storage.importers.report import Problem
from storage.importers.resources import MAPPERS, R4_TYPES, REFERENCE_ONLY, looks_like_type, map_resource, phase_of
from storage.importers.store import Store, sql_value

CHUNK = 2000
# what other resources refer to: where these landed is kept for the rest of the file and run
REFERRED_TYPES = frozenset({"Patient", "Encounter"})
FAST_PATH = True  # see storage.importers.fastpath
MAPPING_VERSION = "1"  # in every content hash: a changed mapping re-maps resources on the next import
_EMPTY_HASH_PREFIX = MAPPING_VERSION.encode() + b"\n"


@dataclasses.dataclass(slots=True)
class Item:
    entry: Entry
    rtype: str
    rid: str
    content_hash: str
    text: str
    key: tuple[str, str]  # (rtype, rid)


class FileLoader:
    """Everything one file does; discarded (with its transaction) when the file is rejected."""

    def __init__(self, store: Store, run, file_label: str, source: str):
        self.store, self.run, self.file, self.source = store, run, file_label, source
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.problems: list[Problem] = []
        self.patient_ids: set[int] = set()
        self.changed_patient_ids: set[int] = set()
        self.unknown_systems: collections.Counter = collections.Counter()
        self.unresolved: collections.Counter = collections.Counter()
        self.unsupported: collections.Counter = collections.Counter()
        self.mrns: dict[tuple[int, str], str] = {}
        self.fresh_practices: dict[int, bool] = {}  # see _had_no_patients
        self.practices = identity.PracticeFinder(store, run.practice_id)
        self.shared = run.shared.setdefault(source, {})
        self.sole_patient_key = None
        # (type, id) → (table, id) of referred-to resources this file wrote or found (its own
        # transaction sees them) and that the run's earlier committed files did: a chunk of
        # Conditions then asks the database nothing about its patients (see RunState.remember_landed)
        self.landed_here: dict[tuple[str, str], tuple[str, int]] = {}
        self.landed_before = run.landed.get(source, {})
        self.fast = FAST_PATH  # False: every resource the general way (tests compare the two)
        # (type, id) → where it stood: a resource twice in one file is refused, however many
        # chunks apart the two copies are
        self.seen: dict[tuple[str, str], str] = {}

    # --- problems ----------------------------------------------------------------
    @property
    def rejected(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def reject(self, location: str, rtype: str, rid: str, reason: str) -> None:
        self.problems.append(Problem(self.file, location, rtype, rid, reason))
        if rtype:
            self.counts[rtype]["rejected"] += 1

    def warn(self, reason: str, location: str = "", rtype: str = "", rid: str = "") -> None:
        self.problems.append(Problem(self.file, location, rtype, rid, reason, "warning"))

    def finish_warnings(self) -> None:
        for system, count in sorted(self.unknown_systems.items()):
            label = f"code system {system!r}" if system else "codings without a system"
            self.warn(f"{count} coding(s) of {label}, which Carepod does not know: kept as sent")
        for rtype, count in sorted(self.unsupported.items()):
            self.warn(f"{count} {rtype} resource(s) skipped: Carepod does not import {rtype}")
        if self.unresolved:
            listed = ", ".join(f"{n} to {t}" for t, n in sorted(self.unresolved.items()))
            self.warn(f"references to resources not in this import kept unresolved (in the resource JSON): {listed}")

    # --- a chunk -----------------------------------------------------------------
    def load_chunk(self, entries: list[Entry], *, whole_file: bool = False) -> None:
        """Load entries; ``whole_file`` when they are all of the file (a Bundle)."""
        index = ReferenceIndex(self.shared)
        items: list[Item] = []
        for entry in entries:
            item = self._item(entry, self.seen)
            if item is not None:
                index.add(item.key, item.entry.resource, entry.full_url)
                if item.rtype in REFERENCE_ONLY:
                    self.shared[item.key] = item.entry.resource
                items.append(item)
        patients = [i.key for i in items if i.rtype == "Patient"]
        self.sole_patient_key = patients[0] if whole_file and len(patients) == 1 else None
        found = self.store.find_sources(self.source, [i.key for i in items]) if items else {}
        landed = {key: (table, record_id) for key, (table, record_id, _h) in found.items()}
        phases: dict[int, list[Item]] = {}
        for item in items:
            phases.setdefault(phase_of(item.rtype), []).append(item)
        for phase in sorted(phases):
            plans = []
            for item in phases[phase]:
                existing = found.get(item.key)
                if existing and existing[2] == item.content_hash:
                    self.counts[item.rtype]["unchanged"] += 1
                    if existing[0] == "patient":
                        self.patient_ids.add(existing[1])
                    continue
                plan = fast_fact(item.entry.resource, item.rtype) \
                    if self.fast and existing is None and item.rtype in FAST_TYPES else None
                try:
                    if plan is None:
                        plan = map_resource(item.entry.resource, index)
                except Rejected as exc:
                    self.reject(item.entry.location, item.rtype, item.rid, str(exc))
                    continue
                if isinstance(plan, SkipPlan):
                    self.counts[item.rtype]["skipped"] += 1
                    continue
                plans.append((item, plan, existing))
            self._resolve_in_bulk(plans, index, landed)
            for item, plan, existing in plans:
                try:
                    self._write(item, plan, existing, index, landed)
                except Rejected as exc:
                    self.reject(item.entry.location, item.rtype, item.rid, str(exc))
            self.store.flush()
        landed_here = self.landed_here
        for item in items:
            if item.rtype in REFERRED_TYPES and item.key in landed:
                landed_here[item.key] = landed[item.key]

    def _item(self, entry: Entry, seen: dict) -> Item | None:
        if entry.error:
            self.reject(entry.location, "", "", entry.error)
            return None
        resource = entry.resource
        rtype = resource.get("resourceType")
        if rtype not in MAPPERS and (not isinstance(rtype, str) or not looks_like_type(rtype)):
            self.reject(entry.location, "", str(resource.get("id") or ""),
                        "resourceType is missing or not a FHIR resource type")
            return None
        if rtype == "Bundle":
            self.reject(entry.location, rtype, str(resource.get("id") or ""),
                        "a Bundle inside a file is not imported; give its entries as a Bundle file")
            return None
        rid = identity.resource_id(resource, entry)
        if not rid:
            self.reject(entry.location, rtype, "", "the resource has no id (and no fullUrl to name it)")
            return None
        if rtype not in R4_TYPES:
            self.reject(entry.location, rtype, str(resource.get("id") or ""),
                        f"{rtype!r} is not a FHIR R4 resource type")
            return None
        if rtype not in MAPPERS:
            self.unsupported[rtype] += 1
            self.counts[rtype]["skipped"] += 1
            return None
        key = (rtype, rid)
        if key in seen:
            self.reject(entry.location, rtype, rid, f"{rtype}/{rid} appears twice in this file "
                                                    f"(also at {seen[key]})")
            return None
        seen[key] = entry.location
        if entry.text is not None:  # an NDJSON line: stored and hashed as read
            text = entry.text
            raw = entry.raw if entry.raw is not None else text.encode("utf-8")
        else:
            text = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
            raw = text.encode("utf-8")
        content_hash = hashlib.sha1(_EMPTY_HASH_PREFIX + raw).hexdigest()
        return Item(entry, rtype, rid, content_hash, text, key)

    def _resolve_in_bulk(self, plans, index: ReferenceIndex, landed: dict) -> None:
        wanted = _Wanted(landed, self.landed_here, self.landed_before)
        for _item, plan, _existing in plans:
            if plan.__class__ is FastFact:  # its keys are kept for _write_fast
                plan.subject_key = index.key_of(plan.subject_ref) if plan.subject_ref else None
                plan.encounter_key = index.key_of(plan.encounter_ref) if plan.encounter_ref else None
                for key in (plan.subject_key, plan.encounter_key):
                    if key and key not in landed:
                        wanted.want(key)
                continue
            for reference in _references_of(plan):
                key = index.key_of(reference)
                if key and key not in landed:
                    wanted.want(key)
        if wanted:
            for key, (table, record_id, _h) in self.store.find_sources(self.source, wanted).items():
                landed[key] = (table, record_id)

    # --- writing ---------------------------------------------------------------------
    def _write(self, item: Item, plan, existing, index: ReferenceIndex, landed: dict) -> None:
        if plan.__class__ is FastFact:
            if self._write_fast(item, plan, index, landed):
                return
            plan = map_resource(item.entry.resource, index)  # the general path explains the problem
        if isinstance(plan, FactPlan):
            self._note_systems(plan.codings)
            self._write_fact(item, plan, existing, index, landed)
        elif isinstance(plan, PatientPlan):
            self._write_patient(item, plan, existing, index, landed)
        elif isinstance(plan, ClinicianPlan):
            self._write_clinician(item, plan, existing, landed)
        elif isinstance(plan, NotePlan):
            self._remember(item, "", 0, existing)
            self.counts[item.rtype]["updated" if existing else "created"] += 1

    def _remember(self, item: Item, table: str, record_id: int, existing) -> None:
        self.store.remember_source(self.source, item.rtype, item.rid, table, record_id,
                                   item.content_hash, existing=existing is not None)

    def _note_systems(self, found) -> None:
        for coding in found:
            if not is_known_system(coding[1]):
                self.unknown_systems[coding[1]] += 1

    def _outcome(self, item: Item, changed: bool, existing) -> None:
        self.counts[item.rtype]["updated" if existing and changed else "unchanged" if existing else "created"] += 1

    def _write_clinician(self, item: Item, plan: ClinicianPlan, existing, landed) -> None:
        if existing and existing[0] == "clinician":
            changed = self.store.update("clinician", existing[1], plan.row, reason=self._reason(item))
            clinician_id = existing[1]
        else:
            match = self.store.one("SELECT id FROM clinician WHERE npi = ? AND npi != ''", (plan.row["npi"],)) \
                if plan.row["npi"] else None
            clinician_id = match[0] if match else self.store.insert(
                "clinician", dict(plan.row, practice_id=self.run.practice_id, active=True))
            changed = True
        self._remember(item, "clinician", clinician_id, existing)
        landed[item.key] = ("clinician", clinician_id)
        self._outcome(item, changed, existing)

    def _reason(self, item: Item) -> str:
        return f"import: {item.rtype}/{item.rid} changed at source {self.source}"

    def _write_patient(self, item: Item, plan: PatientPlan, existing, index, landed) -> None:
        pcp_id = None
        for reference in plan.practitioner_refs:
            target = landed.get(index.key_of(reference))
            if target and target[0] == "clinician":
                pcp_id = target[1]
                break
        row = dict(plan.row)
        if pcp_id:
            row["pcp_id"] = pcp_id
        if existing and existing[0] == "patient":
            patient_id = existing[1]
            changed = self.store.update("patient", patient_id, row, reason=self._reason(item))
        else:
            practice_id = self.practices.for_patient(plan, index, landed)
            mrn, match_id = self._choose_mrn(item, plan, practice_id)
            if match_id:
                patient_id = match_id
                changed = self.store.update("patient", patient_id, row, reason=self._reason(item))
            else:
                patient_id = self.store.insert("patient", dict(
                    row, practice_id=practice_id, mrn=mrn, language=row.get("language", ""),
                    created_at=self.store.now, updated_at=self.store.now))
                changed = True
        self._remember(item, "patient", patient_id, existing)
        landed[item.key] = ("patient", patient_id)
        self.patient_ids.add(patient_id)
        self._outcome(item, changed, existing)

    def _choose_mrn(self, item: Item, plan: PatientPlan, practice_id: int) -> tuple[str, int | None]:
        """The MRN for a new patient record, or the id of the record it is (see identity)."""
        mrn = plan.mrn
        if mrn and (practice_id, mrn.upper()) in self.mrns:
            raise Rejected(f"MRN {mrn} appears twice in this file (also {self.mrns[(practice_id, mrn.upper())]})")
        if mrn:
            self.mrns[(practice_id, mrn.upper())] = f"Patient/{item.rid}"
        fresh = self._had_no_patients(practice_id)
        taken = self.store.one("SELECT id, family_key, birth_date FROM patient WHERE practice_id = ? AND mrn = ?",
                               (practice_id, mrn)) if mrn and not fresh else None
        if mrn and plan.mrn_is_typed and taken and not self.practices.is_catch_all(practice_id):
            if (taken[1], taken[2]) != (plan.row["family_key"], sql_value(plan.row["birth_date"])):
                raise Rejected(f"MRN {mrn} already belongs to another patient of this practice (a different "
                               "name or birth date): not merged; check the identifier")
            return mrn, taken[0]
        if mrn and not taken:
            return mrn, None
        fallback = f"FHIR-{item.rid}"
        if (practice_id, fallback.upper()) in self.mrns or not fresh and self.store.one(
                "SELECT 1 FROM patient WHERE practice_id = ? AND mrn = ?", (practice_id, fallback)):
            fallback = f"FHIR-{item.rid}@{self.source}"
        self.mrns[(practice_id, fallback.upper())] = f"Patient/{item.rid}"
        return fallback, None

    def _had_no_patients(self, practice_id: int) -> bool:
        """Whether the practice had no patient when this file first gave it one. Then every MRN
        it holds came from this file and is in ``self.mrns`` (records keep their practice and
        MRN when updated), so a first bulk load asks the database nothing per patient."""
        fresh = self.fresh_practices.get(practice_id)
        if fresh is None:
            fresh = self.fresh_practices[practice_id] = self.store.one(
                "SELECT 1 FROM patient WHERE practice_id = ? LIMIT 1", (practice_id,)) is None
        return fresh

    def _write_fact(self, item: Item, plan: FactPlan, existing, index, landed) -> None:
        subject_key = index.key_of(plan.subject_ref)
        if plan.subject_ref is None:
            raise Rejected("the resource names no patient (subject/patient reference is missing)")
        target = landed.get(subject_key) if subject_key else None
        misfiled = False
        if (not target or target[0] != "patient") and self.sole_patient_key and subject_key \
                and subject_key[0] == "Patient" and subject_key not in index.by_key:
            # a Bundle holding one patient's record is that patient's, whatever id its resources
            # use for them (some published eCQM cases refer to "Patient/Patient-5")
            target, misfiled = landed.get(self.sole_patient_key), True
        if not target or target[0] != "patient":
            raise Rejected(f"its patient {index.describe(plan.subject_ref)} is not in this import "
                           f"and was not imported before from source {self.source!r}")
        patient_id = target[1]
        if misfiled:
            self.warn(f"its patient {index.describe(plan.subject_ref)} is not in this import; attached to "
                      "the one patient of this Bundle", item.entry.location, item.rtype, item.rid)
        row = plan.row  # the plan is this resource's alone: completed in place
        row.update(patient_id=patient_id, encounter_fact_id=None,
                   source_key=identity.source_key(self.source, item.rtype, item.rid), resource_json=item.text)
        if plan.encounter_ref is not None:
            encounter = landed.get(index.key_of(plan.encounter_ref))
            if encounter and encounter[0] == "clinical_fact":
                row["encounter_fact_id"] = encounter[1]
            else:
                self.unresolved[index.type_of(plan.encounter_ref) or "?"] += 1
        found = plan.codings + self._linked_codings(plan, index, landed) if plan.linked else plan.codings
        if existing and existing[0] == "clinical_fact":
            fact_id = existing[1]
            changed = self._update_fact(item, fact_id, row, found, plan.components)
        else:
            fact_id = self.store.new_id("clinical_fact")
            row.update(id=fact_id, created_at=self.store.now)
            self.store.insert("clinical_fact", row)
            self.store.add_children("fact_coding", fact_id, list(dict.fromkeys(found)))
            if plan.components:
                self.store.add_children("fact_component", fact_id, plan.components)
            changed = True
        if plan.referral is not None:
            changed = self._write_referral(row, plan.referral, patient_id) or changed
        if plan.payer is not None:
            self.run.apply_coverage(self.store, patient_id, plan.payer, self._reason(item))
        self._remember(item, "clinical_fact", fact_id, existing)
        landed[item.key] = ("clinical_fact", fact_id)
        self.patient_ids.add(patient_id)
        if changed:
            self.changed_patient_ids.add(patient_id)
        self._outcome(item, changed, existing)

    def _write_fast(self, item: Item, plan: FastFact, index: ReferenceIndex, landed: dict) -> bool:
        """:meth:`_write_fact` for a new fast-mapped resource whose patient is known; False
        (nothing written) otherwise, for the general path to reject it or attach it. The store's
        bookkeeping (ids, buffers, source records) is done inline: this runs for most resources."""
        subject_key = plan.subject_key  # set by _resolve_in_bulk
        target = landed.get(subject_key) if subject_key else None
        if not target or target[0] != "patient":
            return False
        found = plan.codings
        for coding in found:
            if not is_known_system(coding[1]):
                self.unknown_systems[coding[1]] += 1
        patient_id = target[1]
        encounter_fact_id = None
        if plan.encounter_ref is not None:
            encounter = landed.get(plan.encounter_key)
            if encounter and encounter[0] == "clinical_fact":
                encounter_fact_id = encounter[1]
            else:
                self.unresolved[index.type_of(plan.encounter_ref) or "?"] += 1
        store = self.store
        pending, next_id = store.pending, store.next_id
        fact_id = next_id["clinical_fact"]
        next_id["clinical_fact"] = fact_id + 1
        rtype, rid = item.key
        pending["clinical_fact"].append((
            fact_id, patient_id, *plan.middle, encounter_fact_id,
            f"{self.source}|{rtype}|{rid}", item.text, plan.entered_in_error, store.now))  # identity.source_key
        if len(found) > 1:
            found = list(dict.fromkeys(found))
        first = next_id["fact_coding"]
        next_id["fact_coding"] = first + len(found)
        pending["fact_coding"].extend([(first + n, fact_id, *coding) for n, coding in enumerate(found)])
        if plan.components:
            store.add_children("fact_component", fact_id, plan.components)
        source_id = next_id["source_record"]
        next_id["source_record"] = source_id + 1
        pending["source_record"].append((source_id, self.source, rtype, rid, "clinical_fact", fact_id,
                                         item.content_hash, store.run_id))
        landed[item.key] = ("clinical_fact", fact_id)
        self.patient_ids.add(patient_id)
        self.changed_patient_ids.add(patient_id)
        self.counts[rtype]["created"] += 1
        return True

    def _linked_codings(self, plan: FactPlan, index, landed) -> list[tuple]:
        """Codes of the Conditions (or other facts) an encounter or claim names as diagnoses/reasons."""
        out = []
        for role, reference in plan.linked:
            resource = index.lookup(reference)
            if resource is not None:
                out += codings(resource.get("code"), role)
                continue
            target = landed.get(index.key_of(reference))
            if target and target[0] == "clinical_fact":
                out += [(role, *c) for c in self.store.db.execute(
                    "SELECT system, code, display FROM fact_coding WHERE fact_id = ? AND role = 'code'",
                    (target[1],))]
            else:
                self.unresolved[index.type_of(reference) or "?"] += 1
        return out

    def _update_fact(self, item: Item, fact_id: int, row: dict, found: list, components: list) -> bool:
        new_codings = sorted(dict.fromkeys(found), key=repr)
        old_codings = self.store.children("fact_coding", fact_id, ("role", "system", "code", "display"))
        new_components = sorted(components, key=repr)
        old_components = self.store.children(
            "fact_component", fact_id, ("system", "code", "display", "value_num", "value_unit", "value_code"))
        extra_old, extra_new = {}, {}
        if old_codings != new_codings:
            extra_old["codings"], extra_new["codings"] = old_codings, new_codings
            self.store.replace_children("fact_coding", fact_id, new_codings)
        if old_components != new_components:
            extra_old["components"], extra_new["components"] = old_components, new_components
            self.store.replace_children("fact_component", fact_id, new_components)
        values = {k: v for k, v in row.items() if k not in ("id", "created_at")}
        return self.store.update("clinical_fact", fact_id, values, reason=self._reason(item),
                                 extra_old=extra_old, extra_new=extra_new)

    def _write_referral(self, fact_row: dict, referral: dict, patient_id: int) -> bool:
        at = fact_row.get("recorded_at") or fact_row.get("start_at") or self.run.now
        current = self.store.one("SELECT id, state FROM referral WHERE source_key = ?", (fact_row["source_key"],))
        if current is None:
            referral_id = self.store.insert("referral", dict(
                referral, patient_id=patient_id, clinician_id=None, state_since=at, ordered_at=at,
                appointment_at=None, source_key=fact_row["source_key"]))
            self.store.add("referral_event", (self.store.new_id("referral_event"), referral_id, None, "ordered",
                                              *_sql_at(at), self.store.actor, f"imported from {self.source}"))
            if referral["state"] != "ordered":
                self.store.add("referral_event", (self.store.new_id("referral_event"), referral_id, "ordered",
                                                  referral["state"], *_sql_at(at), self.store.actor,
                                                  "status at the source when imported"))
            return True
        referral_id, state = current
        values = {k: referral[k] for k in ("specialty", "reason", "urgency", "entered_in_error")}
        if referral["state"] != state:
            values.update(state=referral["state"], state_since=self.run.now)
            self.store.add("referral_event", (self.store.new_id("referral_event"), referral_id, state,
                                              referral["state"], *_sql_at(self.run.now), self.store.actor,
                                              f"status changed at {self.source}"))
        return self.store.update("referral", referral_id, values, reason="import: changed at source")


class _Wanted(set):
    """Keys to look up in source_record, less those already known to have landed (copied into
    ``landed`` instead)."""

    def __init__(self, landed: dict, *known: dict):
        super().__init__()
        self.landed, self.known = landed, known

    def want(self, key) -> None:
        for known in self.known:
            target = known.get(key)
            if target is not None:
                self.landed[key] = target
                return
        self.add(key)


def _sql_at(value) -> tuple:
    return (sql_value(value),)


def _references_of(plan) -> list:
    if isinstance(plan, FactPlan):
        return [r for r in [plan.subject_ref, plan.encounter_ref] + [ref for _role, ref in plan.linked] if r]
    if isinstance(plan, PatientPlan):
        return list(plan.practitioner_refs)
    return []
