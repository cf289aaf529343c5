"""Resolving FHIR references inside a file and across the files of one import.

A reference may be ``Type/id``, an absolute URL ending in ``Type/id`` (``/_history/n``
ignored), a ``urn:uuid:``/``urn:oid:`` fullUrl of an entry, a conditional reference
``Type?identifier=system|value`` (batch/transaction bundles) or ``#id`` (contained).
A reference that cannot be resolved is left unresolved (the resource keeps it in its
JSON); only a missing patient stops a resource from being imported.
"""
from __future__ import annotations

import functools
from urllib.parse import parse_qs

from storage.importers.resources import looks_like_type

Key = tuple  # (resource type, resource id)


def reference_text(reference) -> str:
    if isinstance(reference, dict):
        return str(reference.get("reference") or "")
    return reference if isinstance(reference, str) else ""


@functools.lru_cache(maxsize=65536)  # a patient's reference repeats in each of its resources
def parse_key(text: str) -> Key | None:
    """(type, id) of a relative or absolute literal reference."""
    if not text or text.startswith(("#", "urn:")) or "?" in text:
        return None
    parts = [p for p in text.split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and looks_like_type(parts[-2]):
        return parts[-2], parts[-1]
    return None


def identifier_keys(rtype: str, resource: dict) -> list[tuple[str, str, str]]:
    """(type, system, value) of each identifier with a value: how a conditional reference
    (``Type?identifier=system|value``) finds the resource."""
    identifiers = resource.get("identifier")
    if not isinstance(identifiers, list):
        return []
    return [(rtype, str(identifier.get("system") or ""), str(identifier["value"])) for identifier in identifiers
            if isinstance(identifier, dict) and identifier.get("value")]


class ReferenceIndex:
    """The resources of a file (or an NDJSON chunk), findable by key, fullUrl and identifier."""

    def __init__(self, shared: dict | None = None):
        self.by_key: dict[Key, dict] = {}
        self.by_url: dict[str, Key] = {}
        self.by_identifier: dict[tuple[str, str, str], Key] = {}
        self.shared = shared if shared is not None else {}  # run-wide: reference-only resources
        self.unparsed: dict[Key, object] = {}  # see add_prepared

    def add(self, key: Key, resource: dict, full_url: str = "") -> None:
        self.by_key[key] = resource
        if full_url:
            self.by_url[full_url] = key
        for identifier in identifier_keys(key[0], resource):
            self.by_identifier[identifier] = key

    def add_prepared(self, key: Key, entry) -> None:
        """A line the reader process read (:class:`storage.importers.reader.Prepared`): filed
        as :meth:`add` files it, its resource parsed only when looked up."""
        self.unparsed[key] = entry
        if entry.identifiers:
            for identifier in entry.identifiers:
                self.by_identifier[identifier] = key

    def holds(self, key: Key) -> bool:
        return key in self.by_key or key in self.unparsed

    def key_of(self, reference) -> Key | None:
        text = reference.get("reference") if reference.__class__ is dict else None
        if not isinstance(text, str):
            text = reference_text(reference)
        if not text:
            return None
        if text in self.by_url:
            return self.by_url[text]
        if "?" in text:
            return self._conditional(text)
        return parse_key(text)

    def _conditional(self, text: str) -> Key | None:
        rtype, _, query = text.partition("?")
        for value in parse_qs(query).get("identifier", []):
            system, bar, code = value.partition("|")
            key = self.by_identifier.get((rtype, system, code) if bar else (rtype, "", system))
            if key:
                return key
        return None

    def type_of(self, reference) -> str:
        key = self.key_of(reference)
        if key:
            return key[0]
        head = reference_text(reference).split("?")[0].split("/")[0]
        if looks_like_type(head):
            return head
        return str(reference.get("type") or "") if isinstance(reference, dict) else ""

    def lookup(self, reference, holder: dict | None = None) -> dict | None:
        """The referenced resource when it is contained, in this file, or seen earlier in the import."""
        text = reference_text(reference)
        if text.startswith("#") and holder is not None:
            for contained in holder.get("contained") or ():
                if isinstance(contained, dict) and contained.get("id") == text[1:]:
                    return contained
            return None
        key = self.key_of(reference)
        if key is None:
            return None
        found = self.by_key.get(key)
        if found is None and key in self.unparsed:
            found = self.by_key[key] = self.unparsed.pop(key).resource
        return found or self.shared.get(key)

    @staticmethod
    def describe(reference) -> str:
        return reference_text(reference) or "(empty reference)"
