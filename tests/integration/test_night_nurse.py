"""The night nurse line through its use cases: saving calls, waiting and paging, the hand-off
per practice and its acknowledgement (audited), drafts, protocols, the printouts read back as
text, and the handoff command."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from application import call_printouts
from application import calls as app
from application.calls import CallEntry, PageEntry
from application.practices import (
    PracticeFields, add_closed_day, add_on_call_slots, practice_detail, remove_on_call_slot, set_opening_hours,
    update_practice,
)
from domain.errors import DomainError
from domain.office_hours import OpeningHours
from storage import schema as t
from tests.night_pod import MORNING, chi, night, ny  # noqa: F401 (night: a fixture)


def audit(app_pod, action=None, record_type=None):
    query = sa.select(t.audit_event).order_by(t.audit_event.c.id)
    if action:
        query = query.where(t.audit_event.c.action == action)
    if record_type:
        query = query.where(t.audit_event.c.record_type == record_type)
    with app_pod.engine.connect() as conn:
        return conn.execute(query).mappings().all()


def call_row(app_pod, call_id):
    return app.call_records(app_pod, [call_id])[0]


def pdf_text(path) -> list[str]:
    """Each page's text with its line breaks as spaces (table cells wrap their text)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(str(path)).pages]


# --- saving ---------------------------------------------------------------------------------------

def test_a_complete_call_keeps_everything_documented_and_is_audited(app_pod, night):
    entry = CallEntry(practice_id=night.oak, received_at=ny(2026, 11, 25, 1, 5), caller_name="Grace Okafor",
                      reason="Missed metformin", patient_id=night.grace, caller_phone="(617) 555-0147",
                      symptoms="Forgot evening dose", protocol="Medication Question Call - Adult",
                      medications_confirmed=True, allergies_confirmed=True, disposition="see_within_3d",
                      advice="Skip tonight's dose", advice_repeated_back=True, follow_up_needed=True,
                      follow_up_note="Review the evening routine")
    saved = app.save_call(app_pod, entry)
    assert saved.changes.touches_patient(night.grace, "calls")
    row = call_row(app_pod, saved.call_id)
    assert (row.called_back_at, row.disposition, row.taken_by) == (entry.received_at, "see_within_3d", "Dana Reyes")
    assert row.medications_confirmed and row.allergies_confirmed and row.advice_repeated_back and row.follow_up_needed
    assert row.follow_up_note == "Review the evening routine" and row.patient_display == "Okafor, Grace"
    created = [e for e in audit(app_pod, "create", "AfterHoursCall") if e["record_id"] == saved.call_id]
    assert created and created[0]["actor"] == "Dana Reyes" and created[0]["patient_id"] == night.grace


def test_a_call_back_before_the_call_is_refused_with_both_times_on_the_practice_clock(app_pod, night):
    entry = CallEntry(practice_id=night.oak, received_at=ny(2026, 11, 25, 1, 30), caller_name="Ann",
                      reason="Fever", patient_id=night.john, disposition="home_care",
                      called_back_at=ny(2026, 11, 25, 1, 10))
    with pytest.raises(DomainError) as error:
        app.save_call(app_pod, entry)
    assert str(error.value) == ("The call-back (11/25/2026 01:10 EST) cannot be before the call was received "
                                "(11/25/2026 01:30 EST); check both times.")
    assert len(app.overnight_log(app_pod, dt.date(2026, 11, 25), practice_id=night.oak).calls) == 1  # nothing added


def test_bad_entries_are_refused_naming_the_field(app_pod, night):
    base = dict(received_at=ny(2026, 11, 25, 1, 30), caller_name="Ann", reason="Fever", disposition="home_care")
    with pytest.raises(DomainError, match="Choose the practice"):
        app.save_call(app_pod, CallEntry(practice_id=None, **base))
    with pytest.raises(DomainError, match="patient of another practice"):
        app.save_call(app_pod, CallEntry(practice_id=night.pine, patient_id=night.grace, **base))
    with pytest.raises(DomainError, match="disposition"):
        app.save_call(app_pod, CallEntry(practice_id=night.oak, patient_id=night.grace,
                                         **{**base, "disposition": ""}))
    with pytest.raises(DomainError, match="future"):
        app.save_call(app_pod, CallEntry(practice_id=night.oak, patient_id=night.grace,
                                         **{**base, "received_at": dt.datetime.now() + dt.timedelta(days=2)}))
    with pytest.raises(DomainError, match="patient's name"):
        app.save_call(app_pod, CallEntry(practice_id=night.oak, caller_relation="parent", **base))
    with pytest.raises(DomainError, match="not a clinician of this practice"):
        app.save_call(app_pod, CallEntry(practice_id=night.pine, patient_id=night.mia, **{
            **base, "disposition": "on_call_paged"}, pages=(PageEntry(night.patel, ny(2026, 11, 25, 1, 40)),)))


def test_a_caller_not_yet_a_patient_is_linked_later(app_pod, night):
    saved = app.save_call(app_pod, CallEntry(
        practice_id=night.oak, received_at=ny(2026, 11, 25, 2, 0), caller_name="Sam Rivera", reason="Rash",
        caller_relation="parent", patient_name="Leo  Rivera", patient_birth_date=dt.date(2020, 1, 2),
        caller_phone="978-555-0111", disposition="home_care"))
    row = call_row(app_pod, saved.call_id)
    assert (row.patient_id, row.patient_display, row.patient_birth_date) == (None, "Leo Rivera", dt.date(2020, 1, 2))
    with pytest.raises(DomainError, match="another practice"):
        app.link_call_to_patient(app_pod, saved.call_id, night.mia)
    app.link_call_to_patient(app_pod, saved.call_id, night.john)
    assert call_row(app_pod, saved.call_id).patient_id == night.john
    with app_pod.engine.connect() as conn:
        revision = conn.execute(sa.select(t.record_revision).where(
            t.record_revision.c.record_id == saved.call_id)).mappings().one()
    assert revision["new_values"] == {"patient_id": night.john} and "Leo Rivera" in revision["reason"]


# --- waiting and paging ------------------------------------------------------------------------------

def test_a_waiting_call_shows_its_wait_and_is_completed_by_the_call_back(app_pod, night):
    received = ny(2026, 11, 25, 2, 0)
    saved = app.save_call(app_pod, CallEntry(practice_id=night.oak, received_at=received, caller_name="Mary Smith",
                                             reason="Vomiting", caller_phone="617-555-2290", patient_id=night.john,
                                             caller_relation="spouse"), complete=False)
    with pytest.raises(DomainError, match="phone"):
        app.save_call(app_pod, CallEntry(practice_id=night.oak, received_at=received, caller_name="X", reason="Y",
                                         patient_id=night.john), complete=False)
    waiting = app.waiting_calls(app_pod, now=received + dt.timedelta(minutes=30))
    assert [(w.call.id, w.waited, w.late) for w in waiting] == [(saved.call_id, dt.timedelta(minutes=30), False)]
    assert app.waiting_calls(app_pod, now=received + dt.timedelta(minutes=31))[0].late
    assert call_row(app_pod, saved.call_id).waiting
    with pytest.raises(DomainError, match="still waits"):
        app.acknowledge_calls(app_pod, [saved.call_id])

    app.record_page(app_pod, saved.call_id, PageEntry(night.kim, received + dt.timedelta(minutes=5), "no_answer"))
    app.save_call(app_pod, CallEntry(practice_id=night.oak, received_at=received, caller_name="Mary Smith",
                                     reason="Vomiting", caller_phone="617-555-2290", patient_id=night.john,
                                     caller_relation="spouse", called_back_at=received + dt.timedelta(minutes=22),
                                     disposition="see_within_4h", call_id=saved.call_id))
    assert app.waiting_calls(app_pod, now=received + dt.timedelta(hours=1)) == []
    row = call_row(app_pod, saved.call_id)
    assert row.called_back_at == received + dt.timedelta(minutes=22) and row.disposition == "see_within_4h"
    assert [(p.clinician_id, p.outcome) for p in row.pages] == [(night.kim, "no_answer")]
    with app_pod.engine.connect() as conn:
        reasons = conn.execute(sa.select(t.record_revision.c.reason).where(
            t.record_revision.c.record_type == "AfterHoursCall", t.record_revision.c.record_id == saved.call_id)).scalars().all()
    assert reasons == ["call-back documented"]


def test_the_on_call_clinician_from_the_rota_at_a_slot_first_and_last_minute(app_pod, night):
    first, last = ny(2026, 11, 23, 17, 0), ny(2026, 11, 24, 7, 59)
    assert app.on_call_now(app_pod, night.oak, first) == (night.patel, "Ravi Patel, MD")
    assert app.on_call_now(app_pod, night.oak, last)[0] == night.patel
    assert app.on_call_now(app_pod, night.oak, ny(2026, 11, 24, 8, 0)) is None
    assert app.on_call_now(app_pod, night.oak, ny(2026, 11, 24, 17, 0))[0] == night.kim
    assert app.on_call_now(app_pod, night.pine, first) is None


def test_paging_records_time_who_and_outcome_and_the_outcome_is_corrected_with_history(app_pod, night):
    call_id = night.calls["grace"]
    change = app.record_page(app_pod, call_id, PageEntry(night.patel, ny(2026, 11, 23, 22, 30), "awaiting"))
    assert change.touches_patient(night.grace, "calls")
    page = call_row(app_pod, call_id).pages[0]
    assert (page.clinician, page.by, page.outcome) == ("Ravi Patel, MD", "Dana Reyes", "awaiting")
    app.update_page(app_pod, page.id, outcome="reached", note="Hold the new dose")
    assert call_row(app_pod, call_id).pages[0].outcome == "reached"
    assert call_row(app_pod, call_id).escalated_to == "Ravi Patel, MD"
    with pytest.raises(DomainError, match="before the call was received"):
        app.record_page(app_pod, call_id, PageEntry(night.patel, ny(2026, 11, 23, 20, 0)))


# --- the night, the hand-off, acknowledgements --------------------------------------------------------------

def test_each_practice_hands_off_its_own_night_in_its_own_zone(app_pod, night):
    oak = app.handoff(app_pod, "oak", MORNING)
    assert [c.id for c in oak.calls] == [night.calls["grace"], night.calls["john"]]
    assert (oak.window.start, oak.window.end) == (ny(2026, 11, 23, 17, 0), ny(2026, 11, 24, 8, 0))
    assert oak.acknowledge_by == ny(2026, 11, 24, 10, 0)
    pine = app.handoff(app_pod, night.pine, MORNING)
    # 08:15 in Chicago is after Oak opened (09:15 in New York) but before Pine did (08:30)
    assert [c.id for c in pine.calls] == [night.calls["mia"], night.calls["mia_early"]]
    log = app.overnight_log(app_pod, MORNING)
    assert {c.id for c in log.calls} == {night.calls[k] for k in ("grace", "john", "mia", "mia_early")}
    assert [c.id for c in app.overnight_log(app_pod, MORNING, disposition="ed_now").calls] == [night.calls["john"]]
    with pytest.raises(DomainError, match="no practice with code 'ELM'"):
        app.handoff(app_pod, "ELM", MORNING)


def test_acknowledging_a_practice_calls_is_audited_and_leaves_the_other_practice_alone(app_pod, night):
    oak = app.handoff(app_pod, night.oak, MORNING)
    app.acknowledge_calls(app_pod, [c.id for c in oak.calls], at=ny(2026, 11, 24, 8, 40))
    oak = app.handoff(app_pod, night.oak, MORNING)
    assert all(c.acknowledged_by == "Dana Reyes" and c.acknowledged_at == ny(2026, 11, 24, 8, 40) for c in oak.calls)
    assert oak.unacknowledged == []
    assert len(app.handoff(app_pod, night.pine, MORNING).unacknowledged) == 2
    events = [e for e in audit(app_pod, "change", "AfterHoursCall") if e["detail"] == "acknowledged"]
    assert sorted(e["record_id"] for e in events) == sorted(c.id for c in oak.calls)
    assert {e["actor"] for e in events} == {"Dana Reyes"}
    with pytest.raises(DomainError, match="Already acknowledged by Dana Reyes"):
        app.acknowledge_calls(app_pod, [night.calls["grace"]])


def test_calls_not_acknowledged_by_mid_morning_stay_on_the_lead_list(app_pod, night):
    before = app.lead_list(app_pod, now=ny(2026, 11, 24, 9, 59))
    assert [e.call.id for e in before] == []
    after = app.lead_list(app_pod, now=ny(2026, 11, 24, 10, 0))
    assert [e.call.id for e in after] == [night.calls["grace"], night.calls["john"]]  # Pine's mid-morning is later
    pine_late = app.lead_list(app_pod, now=chi(2026, 11, 24, 10, 30))
    assert {e.call.id for e in pine_late} >= {night.calls["mia"], night.calls["mia_early"]}
    app.acknowledge_calls(app_pod, [night.calls["grace"]])
    assert night.calls["grace"] not in {e.call.id for e in app.lead_list(app_pod, now=chi(2026, 11, 24, 10, 30))}


def test_the_care_manager_takes_ed_911_and_follow_up_calls(app_pod, night):
    found = app.calls_for_care_manager(app_pod, None, ny(2026, 11, 23, 0, 0))
    assert {c.id for c in found} == {night.calls["john"], night.calls["mia"]}


# --- drafts and protocols ------------------------------------------------------------------------------------

def test_drafts_are_kept_per_staff_member_and_go_with_the_saved_call(app_pod, night):
    first = app.save_draft(app_pod, None, {"reason": "Fev"}).draft_id
    assert app.save_draft(app_pod, first, {"reason": "Fever"}).draft_id == first
    other = app_pod.with_actor("Lee Park")
    app.save_draft(other, None, {"reason": "Rash"})
    assert [(d.id, d.content) for d in app.call_drafts_of(app_pod)] == [(first, {"reason": "Fever"})]
    app.save_call(app_pod, CallEntry(practice_id=night.oak, received_at=ny(2026, 11, 25, 3, 0), caller_name="Ann",
                                     reason="Fever", patient_id=night.john, disposition="home_care", draft_id=first))
    assert app.call_drafts_of(app_pod) == []
    assert [d.content for d in app.call_drafts_of(other)] == [{"reason": "Rash"}]


def test_a_new_protocol_joins_the_pod_list_audited(app_pod, night):
    assert "Fever - Pediatric" in app.protocol_choices(app_pod)
    app.save_call(app_pod, CallEntry(practice_id=night.pine, received_at=chi(2026, 11, 25, 3, 0), caller_name="Rosa",
                                     reason="Bee sting", patient_id=night.mia, caller_relation="parent",
                                     protocol="  Insect   Bite - Pediatric ", disposition="home_care"))
    assert "Insect Bite - Pediatric" in app.protocol_choices(app_pod)
    assert [e["detail"] for e in audit(app_pod, "create", "TriageProtocol")] == ["Insect Bite - Pediatric"]
    app.save_call(app_pod, CallEntry(practice_id=night.pine, received_at=chi(2026, 11, 25, 4, 0), caller_name="Rosa",
                                     reason="Sting again", patient_id=night.mia, caller_relation="parent",
                                     protocol="insect bite - pediatric", disposition="home_care"))
    assert len(audit(app_pod, "create", "TriageProtocol")) == 1


# --- the practice's calendar and rota ---------------------------------------------------------------------------

def test_practice_changes_are_audited_with_what_was_there_before(app_pod, night):
    update_practice(app_pod, night.pine, PracticeFields("PINE", "Pine Pediatrics", phone="(312) 555-0299",
                                                        time_zone="America/Chicago"))
    set_opening_hours(app_pod, night.pine, [OpeningHours(d, dt.time(8), dt.time(18)) for d in range(5)])
    add_closed_day(app_pod, night.pine, dt.date(2026, 11, 27), "Day after Thanksgiving")
    with pytest.raises(DomainError, match="federal holiday"):
        add_closed_day(app_pod, night.pine, dt.date(2026, 11, 26), "Turkey")
    with pytest.raises(DomainError, match="already used by Oak"):
        update_practice(app_pod, night.pine, PracticeFields("OAK", "Pine Pediatrics", time_zone="America/Chicago"))
    with pytest.raises(DomainError, match="not a time zone"):
        update_practice(app_pod, night.pine, PracticeFields("PINE", "Pine Pediatrics", time_zone="Chicago"))
    details = [e["detail"] for e in audit(app_pod, "change", "Practice") if e["record_id"] == night.pine]
    assert "opening hours: Mon 08:30–17:30, Tue 08:30–17:30, Wed 08:30–17:30, Thu 08:30–17:30, Fri 08:30–17:30 -> " \
           "Mon 08:00–18:00, Tue 08:00–18:00, Wed 08:00–18:00, Thu 08:00–18:00, Fri 08:00–18:00" in details
    assert "closed day added: 2026-11-27 Day after Thanksgiving" in details
    assert "phone" in details
    detail = practice_detail(app_pod, night.pine)
    assert detail.phone == "(312) 555-0299" and detail.closed_days == ((dt.date(2026, 11, 27), "Day after Thanksgiving"),)
    assert detail.office.overnight(dt.date(2026, 11, 30)).start == chi(2026, 11, 25, 18, 0)


def test_a_weekly_rota_keeps_its_local_hours_across_the_daylight_saving_change(app_pod, night):
    add_on_call_slots(app_pod, night.oak, night.kim, dt.datetime(2026, 10, 30, 17), dt.datetime(2026, 11, 2, 8),
                      weeks=2)
    slots = [s for s in practice_detail(app_pod, night.oak, now=dt.datetime(2026, 11, 1)).rota
             if s.clinician_id == night.kim and s.starts_at < dt.datetime(2026, 11, 20)]
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (ny(2026, 10, 30, 17, 0), ny(2026, 11, 2, 8, 0)),   # Friday EDT to Monday EST
        (ny(2026, 11, 6, 17, 0), ny(2026, 11, 9, 8, 0))]
    assert slots[0].starts_at == dt.datetime(2026, 10, 30, 21) and slots[1].starts_at == dt.datetime(2026, 11, 6, 22)
    with pytest.raises(DomainError, match="has started"):
        remove_on_call_slot(app_pod, slots[0].id, now=dt.datetime(2026, 10, 31))
    remove_on_call_slot(app_pod, slots[1].id, now=dt.datetime(2026, 10, 31))
    assert len([s for s in practice_detail(app_pod, night.oak, now=dt.datetime(2026, 11, 1)).rota
                if s.clinician_id == night.kim and s.starts_at < dt.datetime(2026, 11, 20)]) == 1


# --- the printouts, read back as text ---------------------------------------------------------------------------

def test_the_hand_off_sheet_has_every_call_of_its_practice_and_night_and_nothing_else(app_pod, night, tmp_path):
    path = tmp_path / "oak.pdf"
    printed = call_printouts.print_handoff(app_pod, "OAK", MORNING, path)
    assert printed.calls == 2
    text = "\n".join(pdf_text(path))
    for expected in ("Morning hand-off — Oak Family Medicine (OAK)", "Okafor, Grace", "MRN M001", "Smith, John",
                     "Dizzy after new medication", "Chest pain", "Emergency department now", "Ravi Patel, MD",
                     "11/23/2026 17:00 EST to 11/24/2026 08:00 EST", "11/24/2026 10:00 EST", "Page 1 of 1",
                     "Offer an appointment within 24 hours."):
        assert expected in text, expected
    for absent in ("Lopez", "Mia", "Pine", "Fever in child", "Ear pain", "Follow-up question"):
        assert absent not in text, absent
    prints = [e for e in audit(app_pod, "print", "AfterHoursCall")]
    assert sorted(e["patient_id"] for e in prints) == sorted([night.grace, night.john])
    pine_text = "\n".join(pdf_text(call_printouts.print_handoff(app_pod, "PINE", MORNING, tmp_path / "p.pdf").path))
    assert "Lopez, Mia" in pine_text and "Okafor" not in pine_text and "Smith" not in pine_text


def test_an_empty_night_says_so(app_pod, night, tmp_path):
    path = tmp_path / "empty.pdf"
    call_printouts.print_handoff(app_pod, "OAK", dt.date(2026, 11, 20), path)
    assert "No after-hours calls for this practice that night." in "\n".join(pdf_text(path))


def test_call_records_are_one_call_per_page_with_everything_documented(app_pod, night, tmp_path):
    path = tmp_path / "records.pdf"
    call_printouts.print_call_records(app_pod, [night.calls["john"], night.calls["grace"]], path)
    pages = pdf_text(path)
    assert len(pages) == 2
    john, grace = pages
    for expected in ("After-hours call of 11/24/2026 07:30 EST", "Patient: Smith, John · born 03/04/1957 · MRN M002",
                     "Mary Smith (spouse or partner)", "Chest pain", "Emergency department now",
                     "Go to the emergency department now", "Ravi Patel, MD", "Clinician called back", "Agrees: ED now",
                     "Taken by", "Dana Reyes", "Oak Family Medicine (OAK)", "Page 1 of 2"):
        assert expected in john, expected
    assert "Okafor" not in john and "Smith, John" not in grace and "Page 2 of 2" in grace
    assert "Dizzy after new medication" in grace and "The on-call clinician was not paged." in grace


# --- the command line ------------------------------------------------------------------------------------------------

def test_handoff_command_writes_the_sheet_and_names_an_unknown_practice(app_pod, night, db_path, tmp_path, capsys):
    import main
    from tests.conftest import add_staff_member

    add_staff_member(app_pod.engine, "Dana Reyes", roles=("nurse",))  # --as names one of the pod's staff
    out = tmp_path / "sheet.pdf"
    assert main.main(["handoff", "--db", str(db_path), "--practice", "pine", "--date", "2026-11-24",
                      "--out", str(out), "--as", "dana reyes"]) == 0
    assert "2 calls, written to" in capsys.readouterr().out
    assert "Lopez, Mia" in "\n".join(pdf_text(out))
    with app_pod.engine.connect() as conn:  # the print is recorded as the pod spells the name
        printed = conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.record_type)
                               .where(t.audit_event.c.action == "print")).all()
    assert {tuple(r) for r in printed} == {("Dana Reyes", "Practice"), ("Dana Reyes", "AfterHoursCall")}
    assert main.main(["handoff", "--db", str(db_path), "--practice", "ELM", "--date", "2026-11-24",
                      "--out", str(tmp_path / "x.pdf"), "--as", "Dana Reyes"]) == 2
    assert "There is no practice with code 'ELM'" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()
    assert main.main(["handoff", "--db", str(db_path), "--practice", "OAK", "--date", "24/11/2026",
                      "--out", str(tmp_path / "x.pdf"), "--as", "Dana Reyes"]) == 2
    assert "is not a date" in capsys.readouterr().err


@pytest.mark.parametrize("typed, expected", [
    ("3/4/1957", dt.date(1957, 3, 4)), ("12/07/2026", dt.date(2026, 12, 7)), ("", None),
    ("3/4/57", dt.date(1957, 3, 4)), ("3/4/26", dt.date(2026, 3, 4)),  # a two-digit year is the latest past one
])
def test_a_callers_birth_date_as_typed(typed, expected):
    assert app.parse_birth_date(typed, today=dt.date(2026, 12, 7)) == expected


@pytest.mark.parametrize("typed, message", [("02/03/2030", "after today"), ("12/08/2026", "after today"),
                                            ("13/45/1990", "is not a date")])
def test_a_birth_date_after_today_or_not_a_date_is_refused(typed, message):
    with pytest.raises(DomainError, match=message):
        app.parse_birth_date(typed, today=dt.date(2026, 12, 7))


def test_a_call_taken_while_the_office_was_open_is_on_the_next_mornings_hand_off(app_pod, night):
    """The lead's list holds every call until the practice acknowledges it at its next hand-off:
    a call taken at 14:25 on Monday (the office open) is on Tuesday's sheet, not on no sheet."""
    from application.calls import save_call

    daytime = save_call(app_pod, CallEntry(practice_id=night.oak, received_at=ny(2026, 11, 23, 14, 25),
                                           patient_id=night.john, caller_name="Mary Smith", reason="Wound check",
                                           disposition="ed_now")).call_id
    tuesday = app.handoff(app_pod, "OAK", MORNING)
    assert [c.id for c in tuesday.calls] == [daytime, night.calls["grace"], night.calls["john"]]
    assert tuesday.night_label.endswith(", and 1 call taken while the office was open before it")
    assert daytime not in {c.id for c in app.handoff(app_pod, "OAK", MORNING - dt.timedelta(days=1)).calls}
    assert daytime not in {c.id for c in app.handoff(app_pod, "OAK", MORNING + dt.timedelta(days=1)).calls}
    assert daytime not in {c.id for c in app.overnight_log(app_pod, MORNING).calls}  # the night's log: the night
    due = {e.call.id: e.due for e in app.lead_list(app_pod, now=ny(2026, 11, 24, 10, 0))}
    assert due[daytime] == tuesday.acknowledge_by
    app.acknowledge_calls(app_pod, [daytime], at=ny(2026, 11, 24, 8, 40))
    assert daytime not in {e.call.id for e in app.lead_list(app_pod, now=ny(2026, 11, 24, 10, 0))}
