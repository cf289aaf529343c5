"""A documented exclusion or "patient declined" makes an open gap excluded (the populations,
and so the measure's rates, stay as the measure computes them); entered-in-error reopens it."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from domain import services
from domain.measures.period import MeasurementPeriod
from storage.queries.gaps import patient_gaps
from storage.uow import UnitOfWork
from tests.conftest import SHARED
from tests.measures.conftest import EVIDENCE_ROWS, import_isolated

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")


def _gap(engine, pid):
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT id, state, denominator, denominator_exclusion, numerator FROM gap "
            "WHERE patient_id = :p AND measure_id = 'CMS130'"), {"p": pid}).one()


def _open_patients(engine):
    from storage.measures.recompute import recompute

    files = sorted((SHARED / "ecqm" / "CMS130" / "cases").glob("*.json"))[:12]
    import_isolated(engine, files)
    recompute(engine, PERIOD, ["CMS130"])
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT patient_id FROM gap WHERE measure_id = 'CMS130' AND state = 'open' "
                                    "ORDER BY patient_id")).scalars().all()


DOCUMENTED = dict(applies_from=dt.date(2025, 6, 1), source="chart", confirm_past_period=True)


def _document(engine, pid, kind, reason="Does not want a colonoscopy"):
    code = "declined-after-discussion" if kind == "declined" else "other"
    with UnitOfWork(engine, "nurse.kim") as uow:
        return services.document_gap_override(uow, patient_id=pid, measure_id="CMS130", period_start=PERIOD.start,
                                              period_end=PERIOD.end, kind=kind, reason_code=code, reason=reason,
                                              **DOCUMENTED)


def test_declined_excludes_the_open_gap_with_wording_and_history(measure_engine):
    from storage.measures.recompute import recompute, recompute_for_patients

    opened = _open_patients(measure_engine)
    assert len(opened) >= 2
    pid, other = opened[0], opened[1]
    before = _gap(measure_engine, pid)
    _document(measure_engine, pid, "declined")
    summary = recompute_for_patients(measure_engine, [pid], PERIOD, measure_ids=["CMS130"])
    assert summary["CMS130"] == {"excluded": 1}
    after = _gap(measure_engine, pid)
    assert after.state == "excluded"
    # the measure's populations are untouched: an override is not a measure result
    assert after[2:] == before[2:]
    assert _gap(measure_engine, other).state == "open"
    with measure_engine.connect() as conn:
        evidence = conn.execute(sa.text(f"SELECT population, rule, fact_id, detail FROM ({EVIDENCE_ROWS}) "
                                        "WHERE gap_id = :g ORDER BY seq"), {"g": after.id}).all()
        history = conn.execute(sa.text("SELECT from_state, to_state FROM gap_history WHERE gap_id = :g "
                                       "ORDER BY id"), {"g": after.id}).all()
    # the documentation comes first; the facts that put the patient in the measure stay
    assert [tuple(e[:3]) for e in evidence if e.rule == "patient declined"] == [
        ("denominator-exclusion", "patient declined", None)]
    assert evidence[0].rule == "patient declined" and len(evidence) > 1
    assert evidence[0].detail.startswith("Does not want a colonoscopy — documented by nurse.kim on ")
    assert history[-1] == ("open", "excluded")
    why = next(g.why for g in patient_gaps(measure_engine, pid) if g.measure_id == "CMS130")
    assert why.startswith("Excluded: Patient declined on ") and " by nurse.kim: Declined colorectal cancer " \
        "screening after discussing its benefits — from 2025-06-01, source: the practice's chart (EHR): Does not " \
        "want a colonoscopy." in why
    assert why.count("Does not want") == 1
    # a complete recompute keeps it excluded and writes nothing new for it
    recompute(measure_engine, PERIOD, ["CMS130"])
    assert _gap(measure_engine, pid).state == "excluded"
    with measure_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM gap_history WHERE gap_id = :g"),
                            {"g": after.id}).scalar() == len(history)


def test_entered_in_error_reopens_the_gap(measure_engine):
    from storage.measures.recompute import recompute_for_patients

    pid = _open_patients(measure_engine)[0]
    override = _document(measure_engine, pid, "exclusion", "Under the care of oncology")
    recompute_for_patients(measure_engine, [pid], PERIOD, measure_ids=["CMS130"])
    gap = _gap(measure_engine, pid)
    assert gap.state == "excluded"
    why = next(g.why for g in patient_gaps(measure_engine, pid) if g.measure_id == "CMS130")
    assert why.startswith("Excluded: Documented exclusion on ") and why.endswith(
        "by nurse.kim: from 2025-06-01, source: the practice's chart (EHR): Under the care of oncology.")
    with UnitOfWork(measure_engine, "nurse.kim") as uow:
        services.mark_entered_in_error(uow, "gap_overrides", override, reason="wrong patient")
    recompute_for_patients(measure_engine, [pid], PERIOD, measure_ids=["CMS130"])
    assert _gap(measure_engine, pid).state == "open"
    with measure_engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM ({EVIDENCE_ROWS}) WHERE gap_id = :g AND rule IN "
                                    "('documented exclusion', 'patient declined')"), {"g": gap.id}).scalar() == 0
        assert conn.execute(sa.text("SELECT to_state FROM gap_history WHERE gap_id = :g ORDER BY id DESC"),
                            {"g": gap.id}).scalar() == "open"


def test_override_of_another_period_or_a_closed_gap_changes_nothing(measure_engine):
    from storage.measures.recompute import recompute

    _open_patients(measure_engine)
    with measure_engine.connect() as conn:
        closed = conn.execute(sa.text("SELECT patient_id FROM gap WHERE measure_id = 'CMS130' AND state = 'closed' "
                                      "ORDER BY patient_id")).scalars().first()
        opened = conn.execute(sa.text("SELECT patient_id FROM gap WHERE measure_id = 'CMS130' AND state = 'open' "
                                      "ORDER BY patient_id")).scalars().first()
    _document(measure_engine, closed, "declined")  # care already done: closed is the truer state
    with UnitOfWork(measure_engine, "nurse.kim") as uow:
        services.document_gap_override(uow, patient_id=opened, measure_id="CMS130",
                                       period_start=PERIOD.start.replace(year=2024),
                                       period_end=PERIOD.end.replace(year=2024), kind="declined", reason="last year",
                                       reason_code="declined-cost", applies_from=dt.date(2024, 3, 1), source="chart",
                                       confirm_past_period=True)
    recompute(measure_engine, PERIOD, ["CMS130"])
    assert _gap(measure_engine, closed).state == "closed"
    assert _gap(measure_engine, opened).state == "open"
