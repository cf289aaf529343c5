"""A patient's chart: opening it (an audited view) and what its tabs show."""
from __future__ import annotations

import dataclasses

from domain import services
from domain.errors import NotFound
from storage.queries import calls as call_queries
from storage.queries import gaps as gap_queries
from storage.queries.chart import Chart, load_chart, value_display

__all__ = ["Chart", "open_chart", "read_chart", "value_display"]


def open_chart(pod, patient_id: int) -> Chart:
    """The patient's whole chart; the view is recorded first, so a chart is never shown
    without its audit event. Raises :class:`NotFound` for an unknown patient."""
    with pod.unit_of_work() as uow:
        services.open_chart(uow, patient_id)
    return read_chart(pod, patient_id)


def read_chart(pod, patient_id: int) -> Chart:
    """The chart read again for an open tab after a change (the view was recorded on opening)."""
    chart = load_chart(pod.engine, patient_id)
    if chart is None:
        raise NotFound(f"There is no patient with id {patient_id}.")
    return dataclasses.replace(chart, gaps=gap_queries.patient_gaps(pod.engine, patient_id),
                               gap_history=gap_queries.patient_gap_history(pod.engine, patient_id),
                               call_rows=call_queries.patient_calls(pod.engine, patient_id))
