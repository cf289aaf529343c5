"""Patient search and chart read models at their edges, on a real (temporary) database."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

from domain.facts import ClinicalFact
from domain.patient import Patient
from domain.practice import Practice
from storage import schema as t
from application.chart import read_chart
from storage.queries.chart import NOBODY, load_chart, nobodys_chart, record_chart_view
from storage.queries.database import NotACarepodDatabase, check_database_file, open_carepod_database
from storage.queries.patients import (
    patient_row, patients_by_ids, practice_choices, search_patients, search_statement,
)
from storage.uow import UnitOfWork

PEOPLE = [
    # practice, mrn, family, given, born, phone
    ("OAK", "A1001", "Smith", "John", dt.date(1957, 3, 4), "(617) 555-0147"),
    ("OAK", "A1002", "Smith", "Joan", dt.date(1962, 11, 30), "617-555-2290"),
    ("OAK", "A1003", "Smithers", "Jo", dt.date(1990, 7, 1), "1-508-555-1234"),
    ("ELM", "A1001", "Smith", "Anna", dt.date(1957, 3, 4), "508 555 0147"),
    ("ELM", "E2000", "De la Cruz", "María", dt.date(1948, 5, 9), "413.555.9000"),
    ("ELM", "E2001", "O'Brien", "Siobhan", dt.date(2001, 1, 2), ""),
    ("ELM", "E2002", "Müller", "Jörg", dt.date(1970, 8, 15), "9785550199"),
    ("OAK", "X%_1", "Percent", "Pat", dt.date(1980, 1, 1), ""),
    ("ELM", "E2003", "Reyes-Cruz", "Bobby", dt.date(1999, 9, 9), ""),
]


@pytest.fixture
def people(engine):
    with UnitOfWork(engine, "test") as uow:
        practices = {code: uow.practices.add(Practice(code=code, name=f"{code.title()} Clinic"))
                     for code in ("OAK", "ELM")}
        ids = {}
        for code, mrn, family, given, born, phone in PEOPLE:
            patient = uow.patients.add(Patient(practice_id=practices[code].id, mrn=mrn, family=family,
                                               given=given, birth_date=born, phone=phone))
            ids[(family, given)] = patient.id
        uow.commit()
        return {"practices": {c: p.id for c, p in practices.items()}, "ids": ids}


def names(rows):
    return [f"{r.family}, {r.given}" for r in rows]


@pytest.mark.parametrize("text, expected", [
    ("smi", ["Smith, Anna", "Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("SMITH", ["Smith, Anna", "Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("smith jo", ["Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("smith, jo", ["Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("smith,jo", ["Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("jo smith", ["Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("john smith", ["Smith, John"]),
    ("smith, john", ["Smith, John"]),
    ("de la cruz", ["De la Cruz, María"]),
    ("cruz", []),  # a prefix search: the middle of a family name does not match
    ("reyes cruz", ["Reyes-Cruz, Bobby"]),  # a hyphenated family name typed with a space
    ("reyes-cruz bob", ["Reyes-Cruz, Bobby"]),
    ("bobby reyes cruz", ["Reyes-Cruz, Bobby"]),
    ("maria de la", ["De la Cruz, María"]),
    ("muller", ["Müller, Jörg"]),
    ("Müller jörg", ["Müller, Jörg"]),
    ("o'brien", ["O'Brien, Siobhan"]),
    ("obrien", ["O'Brien, Siobhan"]),
    ("smith, ", ["Smith, Anna", "Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("zzz", []),
])
def test_name_prefixes_in_every_order(engine, people, text, expected):
    assert names(search_patients(engine, text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("A1001", ["Smith, Anna", "Smith, John"]),  # the same MRN in two practices
    ("a100", ["Smith, Anna", "Smith, Joan", "Smith, John", "Smithers, Jo"]),
    ("E2002", ["Müller, Jörg"]),
    ("X%_", ["Percent, Pat"]),  # wildcards are plain characters
    ("%", []),
    ("_", []),
])
def test_mrn_exact_or_prefix(engine, people, text, expected):
    assert names(search_patients(engine, text)) == expected


@pytest.mark.parametrize("text", ["1957-03-04", "3/4/1957", "03/04/1957", "03041957", "3/4/57", "3-4-1957"])
def test_birth_date_as_people_type_it(engine, people, text):
    assert names(search_patients(engine, text)) == ["Smith, Anna", "Smith, John"]


@pytest.mark.parametrize("text", ["2/30/1957", "13/01/1957", "1957-02-30", "00000000"])
def test_impossible_dates_find_nothing_and_do_not_fail(engine, people, text):
    assert search_patients(engine, text) == []


@pytest.mark.parametrize("text, expected", [
    ("0147", ["Smith, Anna", "Smith, John"]),  # last 4 digits, two patients
    ("555-0147", ["Smith, Anna", "Smith, John"]),  # a longer run at the end
    ("5550147", ["Smith, Anna", "Smith, John"]),
    ("6175550147", ["Smith, John"]),  # the full number
    ("(617) 555-0147", ["Smith, John"]),
    ("+1 617 555 0147", ["Smith, John"]),  # country code dropped
    ("5085551234", ["Smithers, Jo"]),  # stored with a leading 1
    ("617", []),  # fewer than 4 digits is not a phone search
    ("6175", ["Smith, Joan", "Smith, John"]),  # area code and the exchange's first digit
    ("9000", ["De la Cruz, María"]),
    ("5550199", ["Müller, Jörg"]),
    ("1111", []),
])
def test_phone_digits_start_or_end(engine, people, text, expected):
    assert names(search_patients(engine, text)) == expected


def test_practice_filter(engine, people):
    oak, elm = people["practices"]["OAK"], people["practices"]["ELM"]
    assert names(search_patients(engine, "smi", [elm])) == ["Smith, Anna"]
    assert names(search_patients(engine, "smi", [oak])) == ["Smith, Joan", "Smith, John", "Smithers, Jo"]
    assert len(search_patients(engine, "smi", [oak, elm])) == 4
    assert search_patients(engine, "smi", []) == []  # no practice chosen: nothing, not everything
    assert names(search_patients(engine, "A1001", [elm])) == ["Smith, Anna"]
    rows = search_patients(engine, "smith, anna")
    assert rows[0].practice_code == "ELM" and rows[0].practice_name == "Elm Clinic"


@pytest.mark.parametrize("text", ["", "   ", None, ",", "  ,  "])
def test_nothing_typed_finds_nothing(engine, people, text):
    assert search_patients(engine, text) == []


def test_entered_in_error_patients_are_not_found(engine, people):
    with UnitOfWork(engine, "test") as uow:
        john = uow.patients.get(people["ids"][("Smith", "John")])
        uow.patients.mark_entered_in_error(john, reason="duplicate registration")
        uow.commit()
    assert "Smith, John" not in names(search_patients(engine, "smith"))
    assert patients_by_ids(engine, [people["ids"][("Smith", "John")]]) == []


def test_pages_follow_on_without_repeats(engine, people):
    everyone = search_patients(engine, "s")  # Smith x3, Smithers
    pages = [search_patients(engine, "s", limit=3, offset=o) for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 1, 0]
    assert [r.id for p in pages for r in p] == [r.id for r in everyone]


def test_rows_carry_what_the_list_shows(engine, people):
    row = search_patients(engine, "smith, john")[0]
    assert (row.display_name, row.mrn, row.birth_date, row.phone) == (
        "Smith, John", "A1001", dt.date(1957, 3, 4), "(617) 555-0147")
    assert row.age(on=dt.date(2026, 3, 3)) == 68 and row.age(on=dt.date(2026, 3, 4)) == 69
    assert row.pcp == "" and row.risk_tier is None  # never tiered: no tier (issue 23.6), not "low"
    assert patient_row(engine, row.id) == row
    assert patient_row(engine, 999_999) is None


def test_recent_ids_keep_their_order_and_skip_unknown(engine, people):
    ids = [people["ids"][("Müller", "Jörg")], 424242, people["ids"][("Smith", "John")]]
    assert names(patients_by_ids(engine, ids)) == ["Müller, Jörg", "Smith, John"]
    assert patients_by_ids(engine, []) == []


def test_practice_choices_by_name(engine, people):
    assert [p.code for p in practice_choices(engine)] == ["ELM", "OAK"]


@pytest.mark.parametrize("text", [
    "s", "smith jo", "smith, jo", "jo smith", "maria de la cruz", "A1001", "1957-03-04", "3/4/57",
    "0147", "(617) 555-0147", "03041957",
])
@pytest.mark.parametrize("practice_ids", [None, [1], [1, 2]])
def test_every_query_form_uses_an_index(engine, people, text, practice_ids):
    statement = search_statement(text, practice_ids)
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    scans = [step for step in plan if step.startswith("SCAN patient")]
    assert scans == [], plan
    assert any("USING" in step and "INDEX" in step for step in plan), plan


def test_last_four_digits_use_the_expression_index(engine, people):
    sql = str(search_statement("0147", None).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_patient_phone_last4" in plan


# -- the chart read model -----------------------------------------------------------------

def test_chart_of_unknown_patient_is_none(engine, people):
    assert load_chart(engine, 999_999) is None


def test_chart_leaves_out_facts_entered_in_error(engine, people):
    pid = people["ids"][("Smith", "John")]
    with UnitOfWork(engine, "test") as uow:
        kept = uow.facts.add(ClinicalFact(patient_id=pid, kind="condition", code_system="http://snomed.info/sct",
                                          code="38341003", display="Hypertension"))
        wrong = uow.facts.add(ClinicalFact(patient_id=pid, kind="condition", code_system="http://snomed.info/sct",
                                           code="73211009", display="Diabetes"))
        uow.facts.mark_entered_in_error(wrong, reason="wrong patient")
        uow.commit()
        kept_id = kept.id
    chart = load_chart(engine, pid)
    assert [f.id for f in chart.facts] == [kept_id]
    assert [f.display for f in chart.active_conditions] == ["Hypertension"]
    assert [o.value for o in chart.key_observations] == ["", "", "", "", ""]


def test_viewing_a_chart_is_audited(engine, people):
    pid = people["ids"][("Smith", "John")]
    record_chart_view(engine, "Dana Reyes", pid)
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.action == "view")).mappings().one()
    assert (row["actor"], row["record_type"], row["record_id"], row["patient_id"]) == (
        "Dana Reyes", "Patient", pid, pid)
    assert load_chart(engine, pid).audit[0].action == "view"


def test_the_days_first_chart_finds_its_statements_compiled(app_pod, people):
    """The window runs every statement of a chart once for no one as it opens (prepare), so the
    first chart compiles only the loads of child records, which run only when there are records;
    and nothing of any patient is read or recorded by it."""
    from sqlalchemy.engine.interfaces import CacheStats

    from application.chart import open_chart, prepare

    pid = people["ids"][("Smith", "John")]
    with UnitOfWork(app_pod.engine, "test") as uow:
        uow.facts.add(ClinicalFact(patient_id=pid, kind="condition", code_system="http://snomed.info/sct",
                                   code="38341003", display="Hypertension"))
        uow.commit()
    def audit_events():
        with app_pod.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(t.audit_event)).scalar()

    before = audit_events()
    prepare(app_pod)
    assert audit_events() == before
    compiled = []
    listener = lambda conn, cursor, statement, params, context, many: (  # noqa: E731
        compiled.append(statement) if context.cache_hit == CacheStats.CACHE_MISS else None)
    sa.event.listen(app_pod.engine, "after_cursor_execute", listener)
    try:
        chart = read_chart(app_pod, pid)
    finally:
        sa.event.remove(app_pod.engine, "after_cursor_execute", listener)
    assert [f.display for f in chart.facts] == ["Hypertension"]
    # left to compile: the child records of the facts read, and the closed days of a practice
    # that exists (no one has none)
    later = {"fact_coding", "fact_component", "practice_closed_day"}
    assert {s.split("\nFROM ")[-1].split()[0] for s in compiled} == later  # (the outer FROM is the last)
    assert open_chart(app_pod, pid).audit[0].action == "view"


def test_the_chart_of_no_one_is_empty(engine, people):
    chart = nobodys_chart(engine)
    assert (chart.patient.id, chart.facts, chart.referrals, chart.tasks, chart.audit) == (NOBODY, [], [], [], [])


def test_a_patient_with_no_ones_id_is_not_read_unasked(engine, people):
    """Ids start at 1, but another tool could write a patient with id 0: the warm-up then reads nothing."""
    with engine.begin() as conn:
        row = dict(conn.execute(sa.select(t.patient).where(t.patient.c.id == people["ids"][("Smith", "John")]))
                   .mappings().one())
        conn.execute(t.patient.insert().values({**row, "id": NOBODY, "mrn": "ZERO"}))
    assert nobodys_chart(engine) is None


# -- opening a database file -----------------------------------------------------------------

def test_a_text_file_is_not_a_carepod_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello")
    with pytest.raises(NotACarepodDatabase, match="notes.db is not a Carepod database"):
        open_carepod_database(path)


def test_another_apps_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)")
    with pytest.raises(NotACarepodDatabase, match="not a Carepod one"):
        open_carepod_database(path)
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["songs"]  # nothing was migrated into it


def test_missing_file_and_folder_are_named(tmp_path):
    with pytest.raises(NotACarepodDatabase, match="does not exist"):
        check_database_file(tmp_path / "missing.db")
    with pytest.raises(NotACarepodDatabase, match="is a folder"):
        check_database_file(tmp_path)


def test_an_empty_file_and_an_existing_database_open(tmp_path, db_path, engine):
    empty = tmp_path / "new.db"
    empty.touch()
    open_carepod_database(empty).dispose()
    check_database_file(db_path)
    open_carepod_database(db_path).dispose()
