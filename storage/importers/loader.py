"""Loading the resources of one file inside its transaction (see :mod:`storage.importers.run`).

Per chunk (a Bundle is one chunk; NDJSON comes in chunks of :data:`CHUNK`): index the
resources, look up in bulk what this source sent before, skip what is unchanged (same
content hash), map the rest, resolve references, and write phase by phase so that what
others refer to (practitioners, patients, encounters) has its id first. A new resource of a
common type and shape takes the fused fast path (:mod:`storage.importers.fastpath`), which
writes the same rows as the general one. NDJSON lines read by the reader process
(:mod:`storage.importers.pipeline`) come as :class:`~storage.importers.reader.Prepared`, with
their type, id, hash and fast-path fact (or Patient plan) already worked out.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import json

from storage.importers import identity, patients
from storage.codings import of_fact
from storage.importers.codings import codings, is_known_system
from storage.importers.fastpath import FAST_TYPES, fast_fact
from storage.importers.plans import ClinicianPlan, FactPlan, NotePlan, PatientPlan, Rejected, SkipPlan
from storage.importers.reader import Entry, Prepared
from storage.importers.references import ReferenceIndex, parse_key
from storage.importers.report import Problem
from storage.importers.resources import MAPPERS, R4_TYPES, REFERENCE_ONLY, looks_like_type, map_resource, phase_of
from storage.importers.store import Store, fact_middle, sql_value

CHUNK = 2000
# what other resources refer to: where these landed is kept for the rest of the file and run
REFERRED_TYPES = frozenset({"Patient", "Encounter"})
FAST_PATH = True  # see storage.importers.fastpath
MAPPING_VERSION = "1"  # in every content hash: a changed mapping re-maps resources on the next import
_EMPTY_HASH_PREFIX = MAPPING_VERSION.encode() + b"\n"
# types load_chunk indexes without _item's checks: mapped, FHIR R4, not a Bundle
_PLAIN_TYPES = frozenset(t for t in MAPPERS if t in R4_TYPES and t != "Bundle")
_PHASE_OF: dict[str, int] = {}  # phase_of, remembered


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
        self.conditions_without_status = 0  # see finish_warnings
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
        self.fresh_types: dict[str, bool] = {}  # see _find_sources
        self.known_systems: set[str] = set()  # code systems is_known_system said yes to

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
        if self.conditions_without_status:
            self.warn(f"{self.conditions_without_status} Condition(s) without a clinicalStatus, imported: the "
                      "measures count such a condition only if it has an end date (abatement); the source "
                      "should send clinicalStatus")

    # --- a chunk -----------------------------------------------------------------
    def load_chunk(self, entries: list[Entry], *, whole_file: bool = False) -> None:
        """Load entries; ``whole_file`` when they are all of the file (a Bundle).

        This runs for every resource of an import, so the common case is written out inline:
        a resource of a mapped type with an id is indexed, hashed and kept as a plain tuple
        (the fields of :class:`Item`), and a new one of a fast type is written straight from its
        :func:`fast_fact` values (:meth:`_write_plans`); anything else goes through :meth:`_item`
        and :meth:`_write`."""
        index = ReferenceIndex(self.shared)
        by_key = index.by_key
        seen, shared, sha1 = self.seen, self.shared, hashlib.sha1
        items: list[tuple] = []  # (entry, rtype, rid, content_hash, text, key)
        for entry in entries:
            if entry.__class__ is Prepared:  # read by the reader process: type, id and hash known
                key = (entry.rtype, entry.rid)
                if key in seen:
                    self._item(entry, seen)  # rejects it as a duplicate
                    continue
                seen[key] = entry.location
                items.append((entry, entry.rtype, entry.rid, entry.content_hash, entry.text, key))
                index.add_prepared(key, entry)
                if entry.rtype in REFERENCE_ONLY:
                    shared[key] = entry.resource
                continue
            resource = entry.resource
            if entry.error is None:
                rtype = resource.get("resourceType")
                rid = resource.get("id")
                rid = rid.strip() if rid.__class__ is str else ""  # else identity.resource_id looks further
                if rtype in _PLAIN_TYPES and rid:
                    key = (rtype, rid)
                    if key in seen:
                        self._item(entry, seen)  # rejects it as a duplicate
                        continue
                    seen[key] = entry.location
                    text = entry.text
                    if text is not None:  # an NDJSON line: stored and hashed as read
                        raw = entry.raw if entry.raw is not None else text.encode("utf-8")
                    else:
                        text = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
                        raw = text.encode("utf-8")
                    items.append((entry, rtype, rid, sha1(_EMPTY_HASH_PREFIX + raw).hexdigest(), text, key))
                    if entry.full_url or "identifier" in resource:
                        index.add(key, resource, entry.full_url)
                    else:
                        by_key[key] = resource
                    if rtype in REFERENCE_ONLY:
                        shared[key] = resource
                    continue
            item = self._item(entry, seen)
            if item is not None:
                index.add(item.key, resource, entry.full_url)
                if item.rtype in REFERENCE_ONLY:
                    shared[item.key] = resource
                items.append((entry, item.rtype, item.rid, item.content_hash, item.text, item.key))
        if not items:
            self.sole_patient_key = None
            return
        patients = [i[5] for i in items if i[1] == "Patient"]
        self.sole_patient_key = patients[0] if whole_file and len(patients) == 1 else None
        found = self._find_sources(items)
        landed = {key: (table, record_id) for key, (table, record_id, _h) in found.items()} if found else {}
        phases: dict[int, list[tuple]] = {}
        for item in items:
            phase = _PHASE_OF.get(item[1])
            if phase is None:
                phase = _PHASE_OF[item[1]] = phase_of(item[1])
            if phase in phases:
                phases[phase].append(item)
            else:
                phases[phase] = [item]
        for phase in sorted(phases):
            self._load_phase(phases[phase], found, index, landed)
            self.store.flush()
        landed_here = self.landed_here
        for item in items:
            if item[1] in REFERRED_TYPES and item[5] in landed:
                landed_here[item[5]] = landed[item[5]]

    def _find_sources(self, items: list[tuple]) -> dict:
        """What this source sent before of the chunk's resources. A type this source had no
        record of when the file began needs no look-up: the only records of it since are this
        file's own, and a resource twice in one file is refused before it gets here."""
        fresh = self.fresh_types
        keys = []
        for item in items:
            rtype = item[1]
            known = fresh.get(rtype)
            if known is None:
                known = fresh[rtype] = self.store.one(
                    "SELECT 1 FROM source_record WHERE source = ? AND resource_type = ? LIMIT 1",
                    (self.source, rtype)) is None
            if not known:
                keys.append(item[5])
        return self.store.find_sources(self.source, keys) if keys else {}

    def _load_phase(self, items: list[tuple], found: dict, index: ReferenceIndex, landed: dict) -> None:
        """Map a phase's resources, look up in one go the references none of them resolves from
        memory, then write them in order (ids are handed out in that order, whichever way a
        resource is written)."""
        counts = self.counts
        fast = self.fast
        wanted = _Wanted(landed, self.landed_here, self.landed_before)
        landed_here, landed_before = self.landed_here, self.landed_before
        by_url = index.by_url
        plans = []
        for item in items:
            rtype = item[1]
            existing = found.get(item[5]) if found else None
            if existing is not None and existing[2] == item[3]:
                counts[rtype]["unchanged"] += 1
                if existing[0] == "patient":
                    self.patient_ids.add(existing[1])
                continue
            entry = item[0]
            if fast and existing is None and rtype in FAST_TYPES:
                plan = entry.fast if entry.__class__ is Prepared and entry.fast is not False \
                    else fast_fact(entry.resource, rtype)
                if plan is not None:
                    # (type, id) of its patient, for _write_fast; where it landed when known
                    subject_key = None
                    reference = plan[4]
                    if reference.__class__ is tuple:  # its key, worked out by the reader process
                        subject_key = reference
                        if subject_key not in landed:
                            target = landed_here.get(subject_key) or landed_before.get(subject_key)
                            if target is not None:  # _Wanted.want, inline
                                landed[subject_key] = target
                            else:
                                wanted.add(subject_key)
                    elif reference is not None:
                        text = reference.get("reference") if reference.__class__ is dict else None
                        subject_key = parse_key(text) if text.__class__ is str and text and not by_url \
                            and "?" not in text else index.key_of(reference)
                        if subject_key and subject_key not in landed:
                            target = landed_here.get(subject_key) or landed_before.get(subject_key)
                            if target is not None:  # _Wanted.want, inline
                                landed[subject_key] = target
                            else:
                                wanted.add(subject_key)
                    reference = plan[5]
                    if reference is not None:
                        encounter_key = reference if reference.__class__ is tuple else index.key_of(reference)
                        if encounter_key and encounter_key not in landed:
                            wanted.want(encounter_key)
                    plans.append((item, plan, subject_key))
                    continue
            try:
                plan = None
                if fast and rtype == "Patient" and entry.__class__ is Prepared and entry.fast:
                    plan = PatientPlan(*entry.fast)  # patients.patient, run by the reader process
                    if plan.row["birth_date"] > patients.today():  # its clock differs (a test pins this one)
                        plan = None
                if plan is None:
                    plan = map_resource(entry.resource, index)
            except Rejected as exc:
                self.reject(item[0].location, rtype, item[2], str(exc))
                continue
            if isinstance(plan, SkipPlan):
                counts[rtype]["skipped"] += 1
                continue
            for reference in _references_of(plan):
                key = index.key_of(reference)
                if key and key not in landed:
                    wanted.want(key)
            plans.append((item, plan, existing))
        if wanted:
            for key, (table, record_id, _h) in self.store.find_sources(self.source, wanted).items():
                landed[key] = (table, record_id)
        self._write_plans(plans, index, landed)

    def _write_plans(self, plans: list[tuple], index: ReferenceIndex, landed: dict) -> None:
        """Write the plans of a phase in order: a fast fact (see :func:`fast_fact`) whose patient
        is known goes to :meth:`Store.new_fact` at once, the writer :meth:`_write_fact` also
        uses for a new fact; the rest through :meth:`_write`. This runs for most resources of
        an import: the fast fact's bookkeeping (code systems, counts) is written out here."""
        new_fact = self.store.new_fact
        source = self.source
        known, unknown = self.known_systems, self.unknown_systems
        patient_ids, changed_patient_ids = self.patient_ids, self.changed_patient_ids
        counts = self.counts
        for item, plan, subject_key in plans:  # a general plan's third part is what this source sent before
            if plan.__class__ is tuple:
                target = landed.get(subject_key) if subject_key else None
                if target is not None and target[0] == "patient":
                    middle, entered_in_error, found, components, _subject, encounter_ref = plan
                    if middle[0] == "condition" and not middle[5] and not entered_in_error:  # clinical_status
                        self.conditions_without_status += 1
                    for coding in found:
                        if coding[1] not in known:
                            if is_known_system(coding[1]):
                                known.add(coding[1])
                            else:
                                unknown[coding[1]] += 1
                    patient_id = target[1]
                    encounter_fact_id = None
                    if encounter_ref is not None:
                        keyed = encounter_ref.__class__ is tuple  # its key, from the reader process
                        encounter = landed.get(encounter_ref if keyed else index.key_of(encounter_ref))
                        if encounter and encounter[0] == "clinical_fact":
                            encounter_fact_id = encounter[1]
                        else:
                            self.unresolved[(encounter_ref[0] if keyed else index.type_of(encounter_ref))
                                            or "?"] += 1
                    rtype, rid = key = item[5]
                    landed[key] = ("clinical_fact", new_fact(patient_id, middle, entered_in_error, found, components,
                                                             encounter_fact_id, source, rtype, rid, item[4], item[3]))
                    patient_ids.add(patient_id)
                    changed_patient_ids.add(patient_id)
                    counts[rtype]["created"] += 1
                    continue
            try:
                if plan.__class__ is tuple:  # a fast fact without its patient: the general path
                    plan, subject_key = map_resource(item[0].resource, index), None  # explains the problem
                self._write(Item(*item), plan, subject_key, index, landed)
            except Rejected as exc:
                self.reject(item[0].location, item[1], item[2], str(exc))

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

    # --- writing ---------------------------------------------------------------------
    def _write(self, item: Item, plan, existing, index: ReferenceIndex, landed: dict) -> None:
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
            mrn, match_id = self._choose_mrn(item.rid, plan, practice_id)
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

    def _choose_mrn(self, rid: str, plan: PatientPlan, practice_id: int) -> tuple[str, int | None]:
        """The MRN for a new patient record, or the id of the record it is (see identity)."""
        mrn = plan.mrn
        if mrn and (practice_id, mrn.upper()) in self.mrns:
            raise Rejected(f"MRN {mrn} appears twice in this file (also {self.mrns[(practice_id, mrn.upper())]})")
        if mrn:
            self.mrns[(practice_id, mrn.upper())] = f"Patient/{rid}"
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
        fallback = f"FHIR-{rid}"
        if (practice_id, fallback.upper()) in self.mrns or not fresh and self.store.one(
                "SELECT 1 FROM patient WHERE practice_id = ? AND mrn = ?", (practice_id, fallback)):
            fallback = f"FHIR-{rid}@{self.source}"
        self.mrns[(practice_id, fallback.upper())] = f"Patient/{rid}"
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
                and subject_key[0] == "Patient" and not index.holds(subject_key) and self.run.sole_patient_bundles:
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
        if row["kind"] == "condition" and not row["clinical_status"] and not row["entered_in_error"]:
            self.conditions_without_status += 1  # see finish_warnings
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
            self._remember(item, "clinical_fact", fact_id, existing)
        else:  # the writer of new facts, with its source record, as for the fast path
            fact_id = self.store.new_fact(patient_id, fact_middle(row), int(row["entered_in_error"]), found,
                                          plan.components, row["encounter_fact_id"], self.source, item.rtype,
                                          item.rid, item.text, item.content_hash)
            changed = True
        if plan.referral is not None:
            changed = self._write_referral(row, plan.referral, patient_id) or changed
        if plan.payer is not None:
            self.run.apply_coverage(self.store, patient_id, plan.payer, self._reason(item))
        landed[item.key] = ("clinical_fact", fact_id)
        self.patient_ids.add(patient_id)
        if changed:
            self.changed_patient_ids.add(patient_id)
        self._outcome(item, changed, existing)

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
                out += [(role, *c) for c in of_fact(self.store.db, target[1], "code")]
            else:
                self.unresolved[index.type_of(reference) or "?"] += 1
        return out

    def _update_fact(self, item: Item, fact_id: int, row: dict, found: list, components: list) -> bool:
        new_codings = sorted(dict.fromkeys(found), key=repr)
        old_codings = self.store.codings(fact_id)
        new_components = sorted(components, key=repr)
        old_components = self.store.components(fact_id)
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
        current = self.store.one("SELECT id, state, urgency FROM referral WHERE source_key = ?",
                                 (fact_row["source_key"],))
        if current is None:
            referral_id = self.store.insert("referral", dict(
                referral, patient_id=patient_id, clinician_id=None, state_since=at, ordered_at=at,
                appointment_at=None, source_key=fact_row["source_key"]))
            self.store.add("referral_event", (referral_id, None, "ordered",
                                              *_sql_at(at), self.store.actor, f"imported from {self.source}"))
            if referral["state"] != "ordered":
                self.store.add("referral_event", (referral_id, "ordered",
                                                  referral["state"], *_sql_at(at), self.store.actor,
                                                  "status at the source when imported"))
            return True
        referral_id, state, urgency = current
        values = {k: referral[k] for k in ("specialty", "reason", "urgency", "entered_in_error")}
        if referral["state"] != state or referral["urgency"] != urgency:
            values["due_at"] = None  # worked out again when the file is committed (storage.referral_due)
        if referral["state"] != state:
            values.update(state=referral["state"], state_since=self.run.now)
            self.store.add("referral_event", (referral_id, state,
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
