"""Evaluate a measure for the CLI: over a database, or over patient Bundles each imported in
isolation (its own practice) into a temporary database that is deleted afterwards."""
from __future__ import annotations

import tempfile
from pathlib import Path

from domain.measures.period import MeasurementPeriod


class EvaluationError(Exception):
    """A user error (missing file, unknown subject) with a message to show."""


def _subjects(con, patient_ids=None) -> dict[int, str]:
    """patient id -> "Patient/<id as in the source>" (imported) or "Patient/<carepod id>"."""
    rows = con.execute("SELECT p.id, (SELECT sr.resource_id FROM source_record sr WHERE sr.record_table = 'patient' "
                       "AND sr.record_id = p.id AND sr.resource_type = 'Patient' ORDER BY sr.id LIMIT 1) "
                       "FROM patient p WHERE p.entered_in_error = 0 ORDER BY p.id").fetchall()
    out = {pid: f"Patient/{rid or pid}" for pid, rid in rows}
    if patient_ids is not None:
        out = {pid: ref for pid, ref in out.items() if pid in patient_ids}
    return out


def evaluate_report(measure_id: str, period: MeasurementPeriod, *, report_type: str = "individual",
                    subject: str | None = None, db: str | None = None, additional_data=None,
                    actor: str | None = None) -> dict:
    """The MeasureReport of the pod's data (``db``), audited as an export by ``actor`` (the staff
    member who asked; required with ``db``): an individual report names each patient it shows
    (one event each, as a view would), a summary none. ``additional_data`` is no pod: nothing
    is audited and ``actor`` is not used."""
    from storage.db import open_database
    from storage.measures.valuesets import ensure_valuesets

    if additional_data:
        paths = [Path(p) for p in additional_data]
        for p in paths:
            if not p.exists():
                raise EvaluationError(f"{p}: no such file or folder")
        with tempfile.TemporaryDirectory(prefix="carepod-eval-") as tmp:
            engine = open_database(Path(tmp) / "eval.db")
            try:
                ensure_valuesets(engine)
                _import_isolated(engine, paths)
                return _evaluate(engine, measure_id, period, report_type, subject)[0]
            finally:
                engine.dispose()
    from storage.queries.database import NotACarepodDatabase, open_carepod_database

    if not actor:  # a caller's mistake: the audit trail would name nobody on the staff list
        raise ValueError("evaluate_report over a pod needs the staff member who asked (actor)")
    try:
        engine = open_carepod_database(db, create=False)
    except NotACarepodDatabase as exc:
        raise EvaluationError(str(exc)) from None
    try:
        from storage.health import refuse_if_damaged

        refuse_if_damaged(engine)  # its output could not be audited: the database is only read now
        ensure_valuesets(engine)
        report, shown = _evaluate(engine, measure_id, period, report_type, subject)
        _audit_output(engine, actor, measure_id, period, report_type, shown)
        return report
    finally:
        engine.dispose()


def _audit_output(engine, actor: str, measure_id: str, period: MeasurementPeriod, report_type: str,
                  shown: list[int]) -> None:
    """Before the report is printed: patient-level output is audited like a view of each patient."""
    from domain.clock import utcnow
    from storage.audit_chain import append_many
    from storage.db import write_transaction

    now, detail = utcnow(), f"{measure_id} {period.start}..{period.end} {report_type} MeasureReport"
    events = [dict(at=now, actor=actor, action="export", record_type="MeasureReport", record_id=None,
                   patient_id=pid, detail=detail) for pid in shown] if report_type == "individual" else \
        [dict(at=now, actor=actor, action="export", record_type="MeasureReport", record_id=None, patient_id=None,
              detail=detail)]
    with write_transaction(engine) as conn:
        append_many(conn, events)


def _import_isolated(engine, paths: list[Path]) -> None:
    import sqlalchemy as sa
    from storage.importers.reader import list_files
    from storage.importers.run import import_paths

    files, missing = list_files(paths)
    if missing:
        raise EvaluationError("; ".join(f"{name}: {reason}" for name, reason in missing))
    for number, path in enumerate(files):
        code = f"EV{number:05d}"  # one practice per bundle: each is a separate patient record
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO practice (code, name) VALUES (:c, :n)"), {"c": code, "n": str(path)[:200]})
        # a test Bundle evaluated alone: a resource naming a patient not in it is its one patient's
        report = import_paths(engine, [path], practice_code=code, sole_patient_bundles=True)
        if report.errors:
            raise EvaluationError("; ".join(p.as_text() for p in report.errors[:5]))


def _evaluate(engine, measure_id, period, report_type, subject) -> tuple[dict, list[int]]:
    """The report, and the patients an individual report shows."""
    from storage.measures import measure_report
    from storage.measures.engine import evaluate, raw_connection

    fairy, con = raw_connection(engine)
    try:
        subjects = _subjects(con)
        if subject:
            wanted = subject if subject.startswith("Patient/") else f"Patient/{subject}"
            subjects = {pid: ref for pid, ref in subjects.items() if ref == wanted}
            if not subjects:
                raise EvaluationError(f"No patient {wanted} in the data")
        result = evaluate(con, [measure_id], period, patient_ids=set(subjects) if subject else None)[0]
        if report_type == "summary":
            return measure_report.summary(result, set(subjects)), []
        report = measure_report.individual_bundle(result, subjects)
        return report, sorted(subjects)
    finally:
        fairy.close()
