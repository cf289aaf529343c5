"""Values a clinician can trust and records that point at each other (issues 23.5, 23.8, 23.4):
results shown with clinical precision (stored exactly), ages of children under two in months,
phone numbers in one format, a long MRN that keeps PCP and risk tier in view, the same person's
record at another practice in both charts, and a patient assigned a practice from the chart."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from domain.clock import today
from domain.facts import ClinicalFact, Coding, Component
from domain.measures.explain import EvidenceItem, describe_evidence
from domain.patient import Patient
from storage import schema as t
from storage.uow import UnitOfWork
from tests.ui.conftest import ACTOR, LOINC, make_context, open_chart
from ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, engine, sample_pod):
    window = MainWindow(make_context(engine, ACTOR))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


def _add_facts(engine, patient_id):
    at = dt.datetime(2026, 3, 1, 9, 0)
    with UnitOfWork(engine, ACTOR) as uow:
        for code, display, value, unit in (("4548-4", "Hemoglobin A1c", 5.80221, "%"),
                                           ("39156-5", "BMI", 28.3257, "kg/m2")):
            uow.facts.add(ClinicalFact(patient_id=patient_id, kind="observation", code_system=LOINC, code=code,
                                       display=display, status="final", start_at=at, start_raw="2026-03-01",
                                       value_num=value, value_unit=unit, codings=[Coding(LOINC, code, display)]))
        uow.facts.add(ClinicalFact(
            patient_id=patient_id, kind="observation", code_system=LOINC, code="85354-9", display="Blood pressure",
            status="final", start_at=at, start_raw="2026-03-01", codings=[Coding(LOINC, "85354-9", "BP")],
            components=[Component(LOINC, "8462-4", "Diastolic", value_num=108.115, value_unit="mm[Hg]"),
                        Component(LOINC, "8480-6", "Systolic", value_num=185.822, value_unit="mm[Hg]")]))
        uow.commit()


def test_results_are_shown_with_clinical_precision_and_stored_exactly(window, engine, sample_pod):
    _add_facts(engine, sample_pod.john)
    chart = open_chart(window.section("Patients"), sample_pod.john)
    rows = chart.show_tab("Summary").findChild(QWidget, "latest_observations").rows()
    assert rows[:3] == [("HbA1c", "5.8 %", "03/01/2026"), ("Blood pressure", "186/108 mmHg", "03/01/2026"),
                        ("BMI", "28.3 kg/m²", "03/01/2026")]
    with engine.connect() as conn:
        stored = set(conn.scalars(sa.select(t.clinical_fact.c.value_num).where(
            t.clinical_fact.c.patient_id == sample_pod.john, t.clinical_fact.c.value_num.is_not(None))))
    assert {5.80221, 28.3257} <= stored


def test_the_why_of_a_gap_rounds_as_a_clinician_reads():
    item = EvidenceItem("numerator", "HbA1c above 9 %", "http://loinc.org", "4548-4", dt.date(2026, 3, 1),
                        display="Hemoglobin A1c", value=9.84999, unit="%")
    assert describe_evidence(item).startswith("Hemoglobin A1c 9.8 % (LOINC 4548-4) on 2026-03-01")
    item = EvidenceItem("numerator", "", "", "", None, display="Glucose", value=7.0, unit="%")
    assert describe_evidence(item) == "Glucose 7.0 %"


def test_children_under_two_are_aged_in_months_and_phones_read_one_way(window, qtbot, engine, sample_pod):
    born = today() - dt.timedelta(days=430)  # 14 months
    with UnitOfWork(engine, ACTOR) as uow:
        baby = uow.patients.add(Patient(practice_id=sample_pod.oak, mrn="B001", family="Okafor", given="Ada",
                                        birth_date=born, phone="+1 617.555.0199"))
        uow.commit()
        baby_id = baby.id
    search = window.section("Patients").search
    search.search_box.setText("okafor")
    search.run_search()
    window.context.tasks.wait_idle()
    model = search.model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Okafor, Ada")
    assert model.index(row, 2).data() == "14 mo"
    assert model.index(row, 6).data() == "(617) 555-0199"
    search.search_box.setText("smith")
    search.run_search()
    window.context.tasks.wait_idle()
    phones = {model.index(r, 0).data(): model.index(r, 6).data() for r in range(model.rowCount())}
    assert phones == {"Smith, Joan": "(508) 555-7788", "Smith, John": "(617) 555-2290",
                      "Smithers, Jo": "(617) 555-1234"}
    chart = open_chart(window.section("Patients"), baby_id)
    assert chart.header.values["Age"].text() == "14 mo"
    texts = [label.text() for label in chart.show_tab("Summary").findChildren(QLabel)]
    assert "(617) 555-0199" in texts


def test_a_long_mrn_keeps_pcp_and_risk_tier_in_view(window, engine, sample_pod):
    uuid = "eed1d00b-7665-4da3-88b7-c37cfb2ed245"
    with engine.begin() as conn:
        conn.execute(sa.update(t.patient).where(t.patient.c.id == sample_pod.grace).values(mrn=uuid))
    search = window.section("Patients").search
    search.search_box.setText("okafor")
    search.run_search()
    window.context.tasks.wait_idle()
    table, header = search.table, search.table.horizontalHeader()
    assert header.sectionSize(4) <= 130 and table.model().index(0, 4).data(Qt.ItemDataRole.ToolTipRole) == f"MRN {uuid}"
    right_edge = header.sectionViewportPosition(8) + 60  # the risk tier's first letters at least
    assert right_edge <= table.viewport().width()


def test_the_same_person_is_shown_in_both_charts_and_opens_the_other(window, engine, sample_pod):
    from storage.importers.duplicates import decide, find_candidates

    with UnitOfWork(engine, ACTOR) as uow:
        elm_john = uow.patients.add(Patient(practice_id=sample_pod.elm, mrn="E777", family="Smith", given="John",
                                            birth_date=dt.date(1957, 3, 4), phone="(617) 555-2290"))
        uow.commit()
        elm_id = elm_john.id
    assert find_candidates(engine, [elm_id]) == 1
    with engine.connect() as conn:
        link = conn.execute(sa.select(t.patient_link)).one()
    # the matching phone counts in the score and the reason
    assert (link.score, link.reason) == (1.0, "same name, birth date and phone")
    decide(engine, link.id, "confirmed", actor=ACTOR)
    section = window.section("Patients")
    oak_chart = open_chart(section, sample_pod.john)
    elm_chart = open_chart(section, elm_id)
    texts = lambda chart: [label.text() for label in chart.header.findChildren(QLabel, "chartLinkedRecord")]
    assert texts(oak_chart) == ["Elm Street Clinic (ELM) · MRN E777 · Smith, John"]
    assert texts(elm_chart) == ["Oak Family Medicine (OAK) · MRN M002 · Smith, John"]
    section.tabs.setCurrentWidget(elm_chart)
    elm_chart.header.linked[0].click()
    window.context.tasks.wait_idle()
    assert section.current_chart().patient_id == sample_pod.john


def test_same_name_without_the_phone_scores_lower():
    from storage.importers import duplicates

    assert duplicates.SAME_NAME_SCORE < duplicates.SAME_NAME_SCORE + duplicates.SAME_PHONE_BONUS == 1.0


def test_a_waiting_patient_is_assigned_a_practice_from_the_chart(window, engine, sample_pod):
    with engine.begin() as conn:
        holding = conn.execute(sa.insert(t.practice).values(code="UNASSIGNED", name="Practice not known yet",
                                                            holding=True)).inserted_primary_key[0]
        waiting = conn.execute(sa.insert(t.patient).values(practice_id=holding, mrn="X9", family="Vale",
                                                           given="Vi", birth_date=dt.date(1970, 1, 1),
                                                           sex="female")
                               ).inserted_primary_key[0]
    chart = open_chart(window.section("Patients"), waiting)
    assert chart.header.values["Practice"].text() == "Not known yet: assign one"

    class Choose:
        def __init__(self, name, practices, parent):
            self.practices = practices

        def exec(self):
            return 1

        def chosen(self):
            return next(pid for pid, code, _name in self.practices if code == "ELM")

    chart.make_assign_dialog = Choose
    window.context.tasks.wait_for(chart.assign_practice())
    window.context.tasks.wait_idle()  # the change set has the chart read anew
    chart = window.section("Patients").current_chart()
    assert chart.header.values["Practice"].text() == "Elm Street Clinic (ELM)"
    assert chart.header.findChild(QWidget, "chartAssignPractice") is None


def test_the_patients_waiting_for_a_practice_can_be_found_apart_from_the_practices(qtbot, engine, sample_pod):
    from ui.patient_search import PatientSearch

    with engine.begin() as conn:
        holding = conn.execute(sa.insert(t.practice).values(code="UNASSIGNED", name="Practice not known yet",
                                                            holding=True)).inserted_primary_key[0]
        conn.execute(sa.insert(t.patient).values(practice_id=holding, mrn="X9", family="Vale", given="Vi",
                                                 birth_date=dt.date(1970, 1, 1), sex="female", family_key="VALE"))
    search = PatientSearch(make_context(engine, ACTOR))
    qtbot.addWidget(search)
    combo = search.practice_combo
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts == ["All practices", "Elm Street Clinic (ELM)", "Oak Family Medicine (OAK)", "",
                     "Waiting for a practice (1)"]
    combo.setCurrentIndex(4)
    search.search_box.setText("v")
    search.run_search()
    search.context.tasks.wait_idle()
    assert search.model.patient_at(0).display_name == "Vale, Vi"
