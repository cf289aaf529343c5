"""The Gaps worklist's counts kept with the gaps (gap_count): equal to a direct count of the gap
rows for every filter, after a recompute, a documented exclusion, an import and its incremental
recompute, a patient's change of practice and a patient marked entered-in-error; and counted
from the rows when something else wrote a measure's gaps."""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.measures.catalogue import catalogue
from domain.measures.period import MeasurementPeriod
from storage import schema as t
from storage.queries import gaps as q
from tests.conftest import SHARED, app_pod_for

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
OLDER = MeasurementPeriod.parse("2024-01-01", "2024-12-31")


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    from storage.demo.generate import create_demo_pod

    path = tmp_path_factory.mktemp("gap-counts") / "demo.db"
    create_demo_pod(path, practices=3, patients=300, seed=5)
    return path


@pytest.fixture
def pod_engine(demo_file, tmp_path):
    """A copy of the demo pod with 2024 and 2025 computed (every measure, payer variants too)."""
    import shutil

    from storage.db import open_database
    from storage.measures.recompute import recompute

    copy = tmp_path / "pod.db"
    shutil.copy(demo_file, copy)
    engine = open_database(copy)
    for period in (OLDER, PERIOD):
        recompute(engine, period, workers=1)
    yield engine
    engine.dispose()


def direct_counts(engine, flt: q.GapFilter) -> dict[str, int]:
    """Gaps per state by a plain count of the gap rows under the filter (not its state)."""
    g, p = t.gap, t.patient
    conds = [p.c.entered_in_error.is_(False)]
    if flt.measure_id:
        conds.append(g.c.measure_id == flt.measure_id)
    else:
        conds.append(g.c.measure_id.not_in(catalogue().variant_ids))
    if flt.period_end:
        conds.append(g.c.period_end == flt.period_end)
    if flt.group_index is not None:
        conds.append(g.c.group_index == flt.group_index)
    if flt.practice_id is not None:
        conds.append(p.c.practice_id == flt.practice_id)
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(g.c.state, sa.func.count()).select_from(g.join(p, p.c.id == g.c.patient_id))
                                 .where(*conds).group_by(g.c.state)).all())


def every_filter(engine):
    with engine.connect() as conn:
        practices = list(conn.scalars(sa.select(t.practice.c.id)))
        measures = list(conn.scalars(sa.select(t.measure.c.id)))
    groups = [(mid, None) for mid in [None, *measures]] + [("CMS138", 0), ("CMS138", 1), ("CMS138", 2)]
    for (mid, group), practice, end in itertools.product(groups, [None, *practices], [None, PERIOD.end, OLDER.end]):
        yield q.GapFilter(measure_id=mid, group_index=group, practice_id=practice, period_end=end, state="open")


def kept_answers(engine, flt) -> bool:
    with engine.connect() as conn:
        return q._kept_counts(conn, flt) is not None


def assert_counts_agree(engine, *, kept: bool = True) -> int:
    checked = 0
    for flt in every_filter(engine):
        assert q.count_gaps(engine, flt).by_state == direct_counts(engine, flt), flt
        if kept:
            assert kept_answers(engine, flt), flt
        checked += 1
    return checked


def test_counts_after_a_recompute_equal_a_direct_count_for_every_filter(pod_engine):
    assert assert_counts_agree(pod_engine) > 100
    flt = q.GapFilter(period_end=PERIOD.end)
    assert q.count_gaps(pod_engine, flt).of("open") > 0  # the pod has work to count
    # the worklist lists what the counts say
    for state in ("open", "excluded"):
        rows = list(q.iter_gaps(pod_engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end, state=state)))
        assert len(rows) == q.count_gaps(pod_engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end)).of(state)


def test_counts_follow_a_documented_exclusion_and_its_error(pod_engine):
    from application.gaps import document_override, mark_override_entered_in_error

    pod = app_pod_for(pod_engine).with_actor("Dana Reyes")
    with pod_engine.connect() as conn:
        gap = conn.execute(sa.select(t.gap.c.patient_id, t.patient.c.practice_id)
                           .join(t.patient, t.patient.c.id == t.gap.c.patient_id)
                           .where(t.gap.c.measure_id == "CMS125", t.gap.c.state == "open",
                                  t.gap.c.period_end == PERIOD.end).limit(1)).one()
    flt = q.GapFilter(measure_id="CMS125", practice_id=gap.practice_id, period_end=PERIOD.end)
    before = q.count_gaps(pod_engine, flt)
    document_override(pod, patient_id=gap.patient_id, measure_id="CMS125", period_start=PERIOD.start,
                      period_end=PERIOD.end, kind="declined", reason_code="declined-after-discussion",
                      reason="Does not want a mammogram", applies_from=dt.date(2025, 3, 1), source="chart",
                      confirm_past_period=True)
    after = q.count_gaps(pod_engine, flt)
    assert after.of("open") == before.of("open") - 1 and after.of("excluded") == before.of("excluded") + 1
    assert_counts_agree(pod_engine)
    with pod_engine.connect() as conn:
        override_id = conn.scalar(sa.select(t.gap_override.c.id))
    mark_override_entered_in_error(pod, override_id=override_id, patient_id=gap.patient_id, measure_id="CMS125",
                                   period_start=PERIOD.start, period_end=PERIOD.end, reason="wrong patient")
    assert q.count_gaps(pod_engine, flt) == before
    assert_counts_agree(pod_engine)


def test_counts_after_an_import_and_its_incremental_recompute(pod_engine):
    from storage.importers.run import import_paths
    from storage.measures.recompute import recompute_for_patients

    with pod_engine.connect() as conn:
        code = conn.scalar(sa.select(t.practice.c.code).where(t.practice.c.holding.is_(False)).limit(1))
    files = sorted((SHARED / "ecqm" / "CMS125" / "cases").glob("*.json"))[:6]
    report = import_paths(pod_engine, files, practice_code=code, sole_patient_bundles=True)
    assert not report.errors
    imported = report.changed_patient_ids
    assert imported
    before = q.count_gaps(pod_engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end)).total
    recompute_for_patients(pod_engine, imported, PERIOD)
    assert q.count_gaps(pod_engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end)).total > before
    assert_counts_agree(pod_engine)


def test_counts_follow_a_patient_to_another_practice_and_leave_a_patient_in_error(pod_engine):
    from storage.uow import UnitOfWork

    with pod_engine.connect() as conn:
        practices = list(conn.scalars(sa.select(t.practice.c.id).where(t.practice.c.holding.is_(False))))
        moved, in_error = conn.scalars(sa.select(t.gap.c.patient_id).where(t.gap.c.state == "open")
                                       .group_by(t.gap.c.patient_id).limit(2)).all()
    with UnitOfWork(pod_engine, "Dana Reyes") as uow:
        patient = uow.patients.get(moved)
        uow.patients.correct(patient, {"practice_id": next(p for p in practices if p != patient.practice_id)},
                             reason="moved to the other practice")
        uow.patients.mark_entered_in_error(uow.patients.get(in_error), reason="a test record")
        uow.commit()
    assert_counts_agree(pod_engine)
    with pod_engine.connect() as conn:  # a typed name is counted from its patients: as the list shows
        names = [conn.scalar(sa.select(t.patient.c.family).where(t.patient.c.id == pid)) for pid in (moved, in_error)]
    for name in names:
        flt = q.GapFilter(text=name, period_end=PERIOD.end)
        counts = q.count_gaps(pod_engine, flt)
        for state in ("open", "closed", "excluded", "not_applicable"):
            listed = list(q.iter_gaps(pod_engine, q.GapFilter(text=name, period_end=PERIOD.end, state=state)))
            assert counts.of(state) == len(listed), (name, state)
            assert in_error not in {row.patient_id for row in listed}


def test_a_measure_written_by_something_else_is_counted_from_its_rows_until_its_next_write(pod_engine):
    from storage.measures.recompute import recompute

    with pod_engine.begin() as conn:  # another writer's gaps: its version moves on, its counts do not
        gap = conn.execute(sa.select(t.gap.c.id, t.gap.c.state).where(
            t.gap.c.measure_id == "CMS122", t.gap.c.period_end == PERIOD.end, t.gap.c.state == "open").limit(1)).one()
        conn.execute(sa.update(t.gap).where(t.gap.c.id == gap.id).values(state="closed"))
        conn.execute(sa.update(t.gap_write).where(t.gap_write.c.measure_id == "CMS122",
                                                  t.gap_write.c.period_end == PERIOD.end)
                     .values(version=t.gap_write.c.version + 1))
    flt = q.GapFilter(measure_id="CMS122", period_end=PERIOD.end)
    assert not kept_answers(pod_engine, flt)
    assert kept_answers(pod_engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end))
    assert assert_counts_agree(pod_engine, kept=False)
    recompute(pod_engine, PERIOD, ["CMS122"], workers=1)  # writes the gap back and builds the counts again
    assert kept_answers(pod_engine, flt)
    assert_counts_agree(pod_engine)


def test_the_migration_builds_the_counts_of_an_older_pod(tmp_path):
    from alembic import command

    from storage.db import create_engine, open_database
    from storage.measures.recompute import recompute
    from storage.measures.valuesets import load_valuesets
    from storage.migrate import alembic_config
    from tests.measures.conftest import import_isolated

    path = tmp_path / "older.db"
    engine = open_database(path)

    load_valuesets(engine)
    import_isolated(engine, sorted((SHARED / "ecqm" / "CMS125" / "cases").glob("*.json"))[:8])
    recompute(engine, PERIOD, ["CMS125"], workers=1)
    engine.dispose()
    older = create_engine(path)
    command.downgrade(alembic_config(older), "0016")  # the counts are dropped, the gaps stay
    with older.begin() as conn:
        assert not sa.inspect(conn).has_table("gap_count")
    older.dispose()
    engine = open_database(path)
    assert kept_answers(engine, q.GapFilter(measure_id="CMS125", period_end=PERIOD.end))
    flt = q.GapFilter(measure_id="CMS125", period_end=PERIOD.end)
    assert q.count_gaps(engine, flt).by_state == direct_counts(engine, flt) != {}
    engine.dispose()
