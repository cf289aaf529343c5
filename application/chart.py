"""A patient's chart: opening it (an audited view) and what its tabs show."""
from __future__ import annotations

import dataclasses

from domain import services
from domain.care_management import Consent
from domain.errors import NotFound
from storage.importers.duplicates import linked_records
from domain.text import us_date
from storage.queries import care_management as care_queries
from storage.queries import calls as call_queries
from storage.queries import gaps as gap_queries
from storage.queries import referrals as referral_queries
from storage.queries.chart import Chart, load_chart, nobodys_chart, value_display

__all__ = ["Chart", "open_chart", "prepare", "read_chart", "value_display"]


def prepare(pod=None) -> None:
    """Ready the chart read for its first use: the records' mappings are set up once per
    process (a tenth of a second) and, given the pod, every statement of a chart is run once for
    no one (storage.queries.chart.nobodys_chart), so SQLAlchemy has compiled them. The window
    calls it on the task runner as it opens, so the first chart of the day opens as fast as the
    next. Nothing of any patient is read."""
    from storage.mapping import start_mappers

    start_mappers()
    nobody = nobodys_chart(pod.engine) if pod is not None else None
    if nobody is not None:
        _add_details(pod, nobody, None)


def open_chart(pod, patient_id: int) -> Chart:
    """The patient's whole chart; the view is recorded first, so a chart is never shown
    without its audit event. Raises :class:`NotFound` for an unknown patient."""
    with pod.unit_of_work() as uow:
        services.open_chart(uow, patient_id)
    return read_chart(pod, patient_id)


def read_chart(pod, patient_id: int, *, gap_period_end=None) -> Chart:
    """The chart read again for an open tab after a change (the view was recorded on opening);
    the Gaps tab shows the period ending ``gap_period_end`` (None: the current one)."""
    chart = load_chart(pod.engine, patient_id)
    if chart is None:
        raise NotFound(f"There is no patient with id {patient_id}.")
    return _add_details(pod, chart, gap_period_end)


def _add_details(pod, chart: Chart, gap_period_end) -> Chart:
    """The chart with what its tabs show beside the records: gaps, risk, months, calls..."""
    from application import care_management, risk

    p = chart.patient
    patient_id = p.id
    calendar = care_queries.practice_calendar(pod.engine, p.practice_id)
    zone = calendar.time_zone if calendar else "America/New_York"
    consent = Consent(p.consent_date, p.consent_withdrawn_on)
    view = gap_queries.patient_gap_view(pod.engine, patient_id, gap_period_end,
                                        patient_name=f"{p.given} {p.family}".strip())
    return dataclasses.replace(
        chart, gaps=view.gaps, gap_view=view,
        gap_history=gap_queries.patient_gap_history(pod.engine, patient_id),
        linked_records=linked_records(pod.engine, patient_id),
        referral_due=referral_queries.due_times(pod.engine, patient_id),
        risk=risk.risk_detail(pod.engine, p, zone, us_date),
        care_months=care_management.patient_months(chart.time_entries, consent, date_format=us_date,
                                                   practice_names=care_queries.practice_names(pod.engine)),
        transitions=care_management.patient_transitions(pod, patient_id, p.practice_id, date_format=us_date),
        timers=care_queries.running_timers(pod.engine, patient_id=patient_id),
        colleagues=care_queries.staff_covering(pod.engine, p.practice_id),
        staff=care_queries.active_staff(pod.engine), time_zone=zone,
        call_rows=call_queries.patient_calls(pod.engine, patient_id))
