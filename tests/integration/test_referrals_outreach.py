"""Referral and outreach use cases on a small pod: moves with who, when and note; bad input
changes nothing; the board overdue first; loop closure per practice; the letter; logging
outreach and its schedule ending in "unable to reach"."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from application import referrals as app
from application.outreach import log_outreach, outreach_targets
from application.quality import set_minimum_denominator
from domain.errors import DomainError
from domain.referral import EXPECTED_DAYS
from storage import schema as t
from storage.queries.referrals import referral_window
from tests.conftest import app_pod_for
from tests.today_pod import DANA, NOW, build_today_pod


@pytest.fixture
def tp(engine):
    return build_today_pod(engine)


@pytest.fixture
def pod(engine):
    return app_pod_for(engine).with_actor(DANA)


def snapshot(engine, referral_id):
    with engine.connect() as conn:
        referral = conn.execute(sa.select(t.referral).where(t.referral.c.id == referral_id)).one()
        events = conn.scalar(sa.select(sa.func.count()).select_from(t.referral_event)
                             .where(t.referral_event.c.referral_id == referral_id))
        audits = conn.scalar(sa.select(sa.func.count()).select_from(t.audit_event))
    return referral, events, audits


def test_a_move_keeps_date_who_and_note_and_its_due_time(pod, engine, tp):
    when = NOW.replace(tzinfo=None) - dt.timedelta(hours=3)
    app.advance_referral(pod, tp.overdue_referral, "scheduled", at=when, note="Appt 11/20 10:30")
    referral, _events, _audits = snapshot(engine, tp.overdue_referral)
    assert (referral.state, referral.state_since) == ("scheduled", when)
    assert referral.due_at == when + dt.timedelta(days=EXPECTED_DAYS["routine"]["scheduled"])
    with engine.connect() as conn:
        event = conn.execute(sa.select(t.referral_event).where(t.referral_event.c.referral_id == tp.overdue_referral)
                             .order_by(t.referral_event.c.id.desc())).first()
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.record_type == "Referral")
                             .order_by(t.audit_event.c.id.desc())).first()
    assert (event.from_state, event.to_state, event.by, event.note, event.at) == (
        "sent", "scheduled", DANA, "Appt 11/20 10:30", when)
    assert (audit.actor, audit.detail) == (DANA, "state sent -> scheduled")


@pytest.mark.parametrize("state,at,message", [
    ("ordered", None, "A referral that is Sent cannot become Ordered"),
    ("sent", None, "cannot become Sent"),
    ("closed", None, "cannot become Closed"),
    ("scheduled", dt.datetime(2020, 1, 1), "before the previous one"),
    ("scheduled", dt.datetime(2999, 1, 1), "in the future"),
])
def test_bad_moves_are_refused_and_change_nothing(pod, engine, tp, state, at, message):
    before = snapshot(engine, tp.overdue_referral)
    with pytest.raises(DomainError, match=message):
        app.advance_referral(pod, tp.overdue_referral, state, at=at)
    assert snapshot(engine, tp.overdue_referral) == before


def test_a_new_referral_is_ordered_by_the_staff_member(pod, engine, tp):
    ordered = app.order_referral(pod, patient_id=tp.referral_patient, specialty="Nephrology", reason="CKD 3b",
                                 urgency="urgent")
    referral, events, _audits = snapshot(engine, ordered.referral_id)
    assert (referral.state, referral.urgency, referral.practice_id, events) == ("ordered", "urgent", tp.oak, 1)
    assert referral.due_at == referral.state_since + dt.timedelta(days=1)
    assert ordered.changes.touches_patient(tp.referral_patient, "referrals")
    for fields, message in (({"specialty": " ", "reason": "x"}, "specialty"), ({"specialty": "", "reason": ""}, "specialty"),
                            ({"specialty": "ENT", "reason": ""},
                                                                               "reason"),
                            ({"specialty": "ENT", "reason": "x", "urgency": "asap"}, "Urgency")):
        with pytest.raises(DomainError, match=message):
            app.order_referral(pod, patient_id=tp.referral_patient, **fields)


def test_expected_days_out_of_range_change_nothing_and_a_change_is_kept_with_who(pod, engine, tp):
    bad = {u: dict(s) for u, s in EXPECTED_DAYS.items()}
    bad["stat"]["ordered"] = 0
    before = snapshot(engine, tp.overdue_referral)
    with pytest.raises(DomainError, match="stat referral that is Ordered"):
        app.set_expected_days(pod, bad)
    assert snapshot(engine, tp.overdue_referral) == before
    good = {u: dict(s) for u, s in EXPECTED_DAYS.items()}
    good["routine"]["sent"] = 21
    assert app.set_expected_days(pod, good).touches("referrals")
    assert app.expected_days(pod)["routine"]["sent"] == 21
    referral, _events, _audits = snapshot(engine, tp.overdue_referral)
    assert referral.due_at == referral.state_since + dt.timedelta(days=21)
    with engine.connect() as conn:
        revision = conn.execute(sa.select(t.record_revision)
                                .where(t.record_revision.c.record_type == "ReferralExpectedDays")).one()
        audit = conn.execute(sa.select(t.audit_event)
                             .where(t.audit_event.c.record_type == "ReferralExpectedDays")).one()
    assert revision.old_values == {"routine.sent": 14} and revision.new_values == {"routine.sent": 21}
    assert (audit.actor, audit.detail) == (DANA, "routine Sent: 14 -> 21 days")
    assert not app.set_expected_days(pod, good)  # the same again changes nothing


def test_the_board_has_a_column_per_state_overdue_first(pod, tp):
    columns = app.board(pod, app.ReferralFilter(), NOW)
    assert [c.state for c in columns] == ["ordered", "sent", "scheduled", "seen", "report_received", "no_show",
                                          "unable_to_reach"]
    sent = next(c for c in columns if c.state == "sent")
    assert (sent.total, sent.overdue) == (2, 1)
    assert [card.id for card in sent.cards] == [tp.overdue_referral, tp.fresh_referral]
    assert sent.cards[0].is_overdue(NOW) and not sent.cards[1].is_overdue(NOW)
    assert sent.cards[0].patient_name == "Ito, Ida" and sent.cards[0].practice_code == "OAK"
    every = app.board(pod, app.ReferralFilter(show_closed=True), NOW)
    assert [c.state for c in every] == ["ordered", "sent", "scheduled", "seen", "report_received", "closed",
                                        "cancelled", "declined", "no_show", "unable_to_reach"]


@pytest.mark.parametrize("flt,expected", [
    (app.ReferralFilter(practice_id=-1), 0), (app.ReferralFilter(specialty="Podiatry"), 1),
    (app.ReferralFilter(urgency="stat"), 0), (app.ReferralFilter(state="sent"), 2),
    (app.ReferralFilter(age="0-30"), 2), (app.ReferralFilter(age="31-90"), 0),
])
def test_board_filters(pod, tp, flt, expected):
    assert sum(c.total for c in app.board(pod, flt, NOW)) == expected


def test_the_table_pages_overdue_first_then_the_final_ones(pod, engine, tp):
    app.advance_referral(pod, tp.fresh_referral, "cancelled", at=NOW - dt.timedelta(hours=1))
    first, after = app.table_page(pod, app.ReferralFilter(show_closed=True), NOW, limit=1)
    assert [c.id for c in first] == [tp.overdue_referral] and after is not None
    second, after = app.table_page(pod, app.ReferralFilter(show_closed=True), NOW, after, limit=1)
    assert [c.id for c in second] == [tp.fresh_referral]
    third, after = app.table_page(pod, app.ReferralFilter(show_closed=True), NOW, after, limit=1)
    assert third == [] and after is None


def test_loop_closure_counts_each_patients_first_referral_of_the_period(pod, engine, tp):
    period = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert referral_window(*period) == (dt.date(2026, 1, 1), dt.date(2026, 10, 31))
    rates = {r.practice_code: r for r in app.loop_closure_rates(pod, period[1])}
    # Ida's first referral (cardiology, 10/11) has no report yet; her second one does not count
    assert (rates["OAK"].numerator, rates["OAK"].denominator, rates["OAK"].rate) == (0, 1, 0.0)
    for state in ("scheduled", "seen", "report_received"):
        app.advance_referral(pod, tp.overdue_referral, state, at=NOW - dt.timedelta(hours=3))
    app.advance_referral(pod, tp.fresh_referral, "cancelled", at=NOW - dt.timedelta(hours=2))
    rates = {r.practice_code: r for r in app.loop_closure_rates(pod, period[1])}
    # one patient is below the pod's minimum denominator (20): the rate is shown, not ranked
    assert (rates["OAK"].numerator, rates["OAK"].denominator, rates["OAK"].rate, rates["OAK"].rank) == (1, 1, 1.0, None)
    assert rates["OAK"].too_few and rates["OAK"].rank_label == "not ranked (under 20)"
    assert rates["OAK"].best_practices == ()
    set_minimum_denominator(pod, 1)  # a pod that ranks on any number of patients
    rates = {r.practice_code: r for r in app.loop_closure_rates(pod, period[1])}
    assert (rates["OAK"].numerator, rates["OAK"].denominator, rates["OAK"].rate, rates["OAK"].rank) == (1, 1, 1.0, 1)
    assert rates["ELM"].rate is None and rates["ELM"].rank is None
    score = app.loop_closure_score(tp.oak, list(rates.values()))
    assert score.measure_id == app.LOOP_CLOSURE_ID and score.mine.rank_label == "1 of 1"
    assert score.title.startswith("Referral loop closure")


def test_the_referral_letter_names_patient_specialist_reason_and_is_audited(pod, engine, tp, tmp_path):
    from pypdf import PdfReader

    printed = app.print_referral_letter(pod, tp.overdue_referral, tmp_path / "letter.pdf", now=NOW)
    text = " ".join(page.extract_text() for page in PdfReader(printed.path).pages)
    for expected in ("Referral to Cardiology", "Dr. Okafor, Heart Center", "Ida Ito", "MRN T009",
                     "Reason for referral: Palpitations", "Ravi Patel, MD (NPI 1234567893)",
                     "Oak Family Medicine (OAK)", "quoting referral number R-", "Page 1 of 1", "Dana Reyes"):
        assert expected in text, expected
    with engine.connect() as conn:
        audit = conn.execute(sa.select(t.audit_event).where(t.audit_event.c.action == "print")).one()
    assert (audit.record_type, audit.record_id, audit.patient_id) == ("Referral", tp.overdue_referral,
                                                                    tp.referral_patient)


# --- outreach ----------------------------------------------------------------------------------------

def plan_of(engine, target):
    with engine.connect() as conn:
        return conn.execute(sa.select(t.outreach_plan).where(t.outreach_plan.c.target == target)).one()


def test_outreach_targets_are_the_open_referrals(pod, tp):
    labels = [x.label for x in outreach_targets(pod, tp.referral_patient)]
    assert labels == ["Referral to Podiatry (Sent, ordered 10/27/2026)",
                      "Referral to Cardiology (Sent, ordered 10/11/2026)"]


def test_three_tries_the_same_day_do_not_make_unable_to_reach(pod, engine, tp):
    day = NOW - dt.timedelta(hours=5)
    for minutes in (0, 30, 60):
        logged = log_outreach(pod, patient_id=tp.referral_patient, channel="phone", outcome="no_answer",
                              referral_id=tp.overdue_referral, at=day + dt.timedelta(minutes=minutes))
    assert (logged.progress.status, logged.progress.days_tried) == ("in_progress", 1)
    assert snapshot(engine, tp.overdue_referral)[0].state == "sent"


def test_three_different_days_record_unable_to_reach_and_move_the_referral(pod, engine, tp):
    for days_back in (4, 2, 0):
        logged = log_outreach(pod, patient_id=tp.referral_patient, channel="phone", outcome="left_message",
                              referral_id=tp.overdue_referral, note="voicemail",
                              at=NOW - dt.timedelta(days=days_back, hours=1))
    assert logged.progress.status == "unable_to_reach" and logged.referral_unable_to_reach
    assert logged.describe().endswith("the referral is now Unable to reach")
    plan = plan_of(engine, f"referral:{tp.overdue_referral}")
    assert (plan.status, plan.days_tried, plan.next_try_on) == ("unable_to_reach", 3, None)
    referral, _events, _audits = snapshot(engine, tp.overdue_referral)
    assert referral.state == "unable_to_reach"
    with engine.connect() as conn:
        details = list(conn.scalars(sa.select(t.audit_event.c.detail).where(t.audit_event.c.patient_id ==
                                                                            tp.referral_patient)))
        attempts = conn.scalar(sa.select(sa.func.count()).select_from(t.outreach_attempt)
                               .where(t.outreach_attempt.c.referral_id == tp.overdue_referral))
    assert attempts == 3
    assert any("unable to reach after 3 tries on different days" in d for d in details)
    assert "state sent -> unable_to_reach" in details


@pytest.mark.parametrize("fields,message", [
    ({"channel": "pigeon"}, "Channel must be one of"),
    ({"outcome": "voicemail"}, "Outcome must be one of"),
    ({"at": dt.datetime(2999, 1, 1)}, "in the future"),
    ({"gap_id": 999}, "Gap 999 is not a gap of this patient"),
])
def test_bad_outreach_is_refused_and_nothing_kept(pod, engine, tp, fields, message):
    kwargs = dict(patient_id=tp.outreach_patient, channel="phone", outcome="reached")
    kwargs.update(fields)
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(t.outreach_attempt))
    with pytest.raises(DomainError, match=message):
        log_outreach(pod, **kwargs)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(t.outreach_attempt)) == before


def test_another_patients_referral_is_refused(pod, tp):
    with pytest.raises(DomainError, match="is not a referral of this patient"):
        log_outreach(pod, patient_id=tp.outreach_patient, channel="phone", outcome="reached",
                     referral_id=tp.overdue_referral)


def test_imported_referrals_get_their_practice_and_due_time(engine, tp):
    from storage import referral_due

    raw = engine.raw_connection()
    try:
        db = raw.dbapi_connection
        db.execute("UPDATE referral SET practice_id = NULL, due_at = NULL")
        referral_due.fill_missing(db)
        rows = db.execute("SELECT id, practice_id, due_at FROM referral ORDER BY id").fetchall()
        db.commit()
    finally:
        raw.close()
    assert rows[0][1] == tp.oak and rows[0][2] == (dt.datetime(2026, 10, 13, 14) + dt.timedelta(days=14)).isoformat(
        " ", "microseconds")
