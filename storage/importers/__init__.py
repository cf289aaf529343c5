"""Importing FHIR R4 (Bundle JSON, bulk-data NDJSON, folders of them) and CSV patient panels.

Entry point: :func:`storage.importers.run.import_paths`; CLI: ``python main.py import``.
Rules (where a record comes from, which practice, MRNs, dates, limits) are documented in
:mod:`storage.importers.identity`, :mod:`storage.importers.patients`,
:mod:`storage.importers.fhir_datetime`, :mod:`storage.importers.reader` and
``docs/csv-panel.md``.
"""
