"""Each criterion kind as set-based SQL: one query per criterion over all patients in scope
(joins value set codes → fact_coding → clinical_fact with the date-window predicate), giving
the patients that meet it and, per patient, the deciding fact (the evidence).

- :mod:`.context`: one evaluation run (connection, period, scope, domain, cache) and what a
  criterion gives (:class:`CriterionResult`, :class:`Evidence`);
- :mod:`.sources`: a criterion's sources as SQL;
- :mod:`.registry`: the one registry of kinds and :func:`evaluate`;
- one module per family of kinds: :mod:`.demographics` (age, sex), :mod:`.facts`,
  :mod:`.doses` (immunization schedules), :mod:`.readings` (latest values),
  :mod:`.encounters` (facts near a qualifying encounter).
"""
from storage.measures.criteria.context import Context, CriterionResult, Evidence
from storage.measures.criteria.registry import KINDS, evaluate, ident
from storage.measures.criteria.sources import quote, source_sql

__all__ = ["Context", "CriterionResult", "Evidence", "KINDS", "evaluate", "ident", "quote", "source_sql"]
