"""One evaluation run of criteria: the connection with its temp tables, the period, the scope,
the domain criteria are answered for, and what a criterion gives (the patients who meet it
and, per patient, the deciding fact)."""
from __future__ import annotations

import array
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import sqlite3

from domain.errors import DomainError
from domain.measures.period import MeasurementPeriod
from storage.measures import id_sets


@dataclasses.dataclass(slots=True)
class Evidence:
    fact_id: int | None
    system: str
    code: str
    day: str | None
    detail: str = ""


@dataclasses.dataclass
class CriterionResult:
    patients: set
    evidence: dict  # patient_id -> Evidence
    # patients who do not meet the criterion but have a condition it would count if the
    # condition were active: one without a prevalence interval (not active, no end date;
    # see sql_time.prevalence_known) -> that condition (the latest), its clinical status as
    # the detail. The explanation of a population it decided names it.
    uncounted: dict = dataclasses.field(default_factory=dict)


class Context:
    """One evaluation run: a connection with temp tables, the period, the scope, a cache."""

    def __init__(self, con: sqlite3.Connection, period: MeasurementPeriod, scoped: bool, reads=None):
        self.con, self.period, self.scoped = con, period, scoped
        self.cache: dict[tuple[str, str], CriterionResult] = {}  # (criterion ident, domain key)
        self._tables: dict[str, str] = {}  # see ``materialize``
        self.domain: Domain | None = None  # see ``restrict``
        self._domains: dict[str, Domain] = {}
        self._code_keys: dict[str, str] = {}
        self._births: tuple[array.array, array.array] | None = None  # see ``birth_dates``
        con.create_function("cql_add_date", 4, cql_add_date, deterministic=True)
        # a criterion's codes as the pod's concepts of them (storage.codings): a code no fact
        # has has no concept, and no row here
        con.execute("CREATE TEMP TABLE IF NOT EXISTS measure_codes "
                    "(key TEXT NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, concept_id INTEGER NOT NULL)")
        con.execute("CREATE UNIQUE INDEX IF NOT EXISTS temp.ix_measure_codes ON measure_codes "
                    "(key, concept_id, system, code)")
        con.execute("DELETE FROM measure_codes")  # keys are per run
        self.coded_facts = "coded_fact"  # see ``_scope_coded_facts``
        if scoped:
            self._scope_coded_facts(reads)

    def _scope_coded_facts(self, reads) -> None:
        """Some patients (after an import) or a practice: their coded_fact rows worked out anew
        into a temp table, once per run, which every criterion then reads as a whole-pod
        criterion reads coded_fact. Each criterion reading the patients' wide fact rows and
        their codings again took most of an incremental recompute (8,000 patients of a 1M pod:
        eighty queries of a quarter second each); these rows are also what coded_fact holds,
        so the scoped and the whole-pod runs read the very same rows. ``reads``
        (storage.measures.criteria.sources.CodedReads): what the run's criteria read from coded
        rows, the only rows worked out (None: every row; a fact whose code matches nothing is
        not even read)."""
        from storage import coded_facts

        ddl = self.con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'coded_fact'").fetchone()[0]
        self.con.execute("DROP TABLE IF EXISTS temp.scope_coded_fact")
        self.con.execute(ddl.replace("CREATE TABLE coded_fact", "CREATE TEMP TABLE scope_coded_fact", 1))
        kinds, codings = None, None
        if reads is not None:
            kinds = reads.kinds
            key = self.code_key(sorted(reads.valuesets), sorted(reads.codes))
            codings = f"EXISTS (SELECT 1 FROM measure_codes m WHERE m.key = '{key}' AND m.concept_id = c.concept_id)"
        self.con.execute("INSERT OR IGNORE INTO temp.scope_coded_fact "
                         f"{coded_facts.rows_of_patients('measure_scope', kinds, codings)}")
        self.coded_facts = "temp.scope_coded_fact"

    def code_key(self, valuesets, codes) -> str:
        """A key into the temp table ``measure_codes`` holding the union of value sets and codes,
        each with every concept the pod has of it."""
        ident = json.dumps([sorted(valuesets or []), sorted(map(list, codes or []))])
        if ident not in self._code_keys:
            key = f"k{len(self._code_keys)}"
            self._code_keys[ident] = key
            if valuesets:
                marks = ",".join("?" * len(valuesets))
                self.con.execute(f"INSERT OR IGNORE INTO measure_codes SELECT ?, v.system, v.code, n.id "
                                 f"FROM valueset_code v JOIN coding_concept n ON n.system = v.system "
                                 f"AND n.code = v.code WHERE v.valueset_oid IN ({marks})", [key, *valuesets])
            self.con.executemany("INSERT OR IGNORE INTO measure_codes SELECT ?, system, code, id FROM coding_concept "
                                 "WHERE system = ? AND code = ?", [(key, system, code) for system, code in codes or []])
        return self._code_keys[ident]

    def birth_dates(self) -> tuple[array.array, array.array]:
        """The patients in scope (not entered in error) by birth date: their birth dates as
        numbers (YYYYMMDD) and their ids, in the same order. Read once per run from the
        birth-date index: every age criterion is a slice of it."""
        if self._births is None:
            births, ids = array.array("q"), array.array("q")
            for birth, pid in self.con.execute(
                    f"SELECT CAST(replace(p.birth_date, '-', '') AS INTEGER), p.id FROM {self.patients()} "
                    "WHERE p.birth_date IS NOT NULL AND p.id NOT IN (SELECT id FROM patient WHERE entered_in_error = 1) "
                    "ORDER BY p.birth_date"):
                births.append(birth)
                ids.append(pid)
            self._births = births, ids
        return self._births

    def materialize(self, sql: str) -> str:
        """A temp table holding the rows of ``sql``, made once per run (criteria that read the
        same rows differently share it); dropped by :meth:`close`."""
        if sql not in self._tables:
            name = f"measure_rows_{len(self._tables)}"
            self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")
            self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
            self._tables[sql] = name
        return self._tables[sql]

    def close(self) -> None:
        scoped = ["scope_coded_fact"] if self.coded_facts != "coded_fact" else []
        for name in [*self._tables.values(), *(d.table for d in self._domains.values()), *scoped]:
            self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")
        self._tables.clear()
        self._domains.clear()

    def restrict(self, key: str | None, patients: set | None = None, universe: int = 0) -> None:
        """Evaluate the following criteria only for ``patients`` (None: everyone in scope).

        A measure's populations all lie within its initial population, so a criterion only
        needs answering for the patients who meet the initial population's other
        requirements (CMS165: adults with hypertension and a visit). ``key`` names the set
        (the same key is the same set within a run); results are cached per key. A set
        nearly as large as the ``universe`` is not worth a filter and is not applied."""
        if key is None or patients is None or len(patients) >= DOMAIN_WORTHWHILE * universe:
            self.domain = None
            return
        if key not in self._domains:
            table = f"measure_domain_{len(self._domains)}"
            self.con.execute(f"DROP TABLE IF EXISTS temp.{table}")
            self.con.execute(f"CREATE TEMP TABLE {table} (patient_id INTEGER PRIMARY KEY)")
            id_sets.fill(self.con, f"temp.{table}", patients)
            self._domains[key] = Domain(key, table)
        self.domain = self._domains[key]

    @contextlib.contextmanager
    def everyone(self):
        """Within this block criteria are evaluated for everyone in scope (no domain)."""
        domain, self.domain = self.domain, None
        try:
            yield
        finally:
            self.domain = domain

    def patients(self) -> str:
        """``patient p``, only those in scope (read from the scope's side) when scoped."""
        return "measure_scope s CROSS JOIN patient p ON p.id = s.patient_id" if self.scoped else "patient p"


# A domain holding at least this share of the patients in scope is not applied: the filter
# would cost more than it saves.
DOMAIN_WORTHWHILE = 0.9


@dataclasses.dataclass(frozen=True)
class Domain:
    key: str
    table: str


@functools.lru_cache(maxsize=262144)  # called per patient from SQL; birth dates repeat
def cql_add_date(day, years, months, days):
    from domain.measures.period import add_calendar
    if not day:
        return None
    try:
        return add_calendar(dt.date.fromisoformat(str(day)[:10]), years, months, days).isoformat()
    except (ValueError, DomainError):
        return None
