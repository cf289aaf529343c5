"""The practice quality report, read back from its PDF and checked against the database."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import statistics
from fractions import Fraction

import pytest
import sqlalchemy as sa
from reportlab.pdfbase.pdfmetrics import stringWidth

from application import reports
from application.pod import Pod
from domain.errors import DomainError
from domain.measures.period import MeasurementPeriod
from domain.patient import status_note
from domain.practice import Practice
from reports.base import FONT, FONT_BOLD, MARGIN, date_text, percent_text
from storage import schema as t
from storage.db import open_database
from storage.measures.recompute import recompute
from storage.queries.quality import take_snapshot
from storage.uow import UnitOfWork
from tests.pdf_text import pdf_pages, squeeze, text_runs

MARCH = dt.date(2026, 3, 1)
YEAR_2026 = MeasurementPeriod(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
ACTOR = "Dana Reyes"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """Three demo practices with every measure computed by the engine for 2026 (built once)."""
    from storage.demo.generate import create_demo_pod

    path = tmp_path_factory.mktemp("report") / "demo.db"
    create_demo_pod(path, practices=3, patients=400, seed=3)
    engine = open_database(path)
    recompute(engine, YEAR_2026, workers=1)
    engine.dispose()
    return path


@pytest.fixture
def demo(demo_file, tmp_path):
    """A copy of the demo pod for one test (the report's audit events are written into it)."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_file, path)
    engine = open_database(path)
    yield Pod(engine, str(path)).with_actor(ACTOR)
    engine.dispose()


def _codes(pod) -> list[str]:
    with pod.engine.connect() as conn:
        return list(conn.scalars(sa.select(t.practice.c.code).order_by(t.practice.c.code)))


def _expected_rates(pod, period_end: dt.date) -> dict[tuple[str, int], dict[str, tuple]]:
    """Straight from the gap rows: (measure, group) -> practice code -> (numerator, denominator,
    rate as an exact fraction or None), and whether the measure is inverse."""
    query = sa.text(
        "SELECT g.measure_id, g.group_index, pr.code, SUM(g.numerator), "
        "SUM(g.denominator) - SUM(g.denominator_exclusion) - SUM(g.denominator_exception), m.inverse "
        "FROM gap g JOIN patient p ON p.id = g.patient_id JOIN practice pr ON pr.id = p.practice_id "
        "JOIN measure m ON m.id = g.measure_id WHERE g.period_end = :end "
        "GROUP BY g.measure_id, g.group_index, pr.code")
    result: dict = {}
    with pod.engine.connect() as conn:
        for measure, group, code, num, den, inverse in conn.execute(query, {"end": period_end}):
            result.setdefault((measure, group), {})[code] = (num, den, Fraction(num, den) if den else None, inverse)
    return result


MINIMUM = 20  # the pod's minimum denominator (its default)


def _row_text(measure_rows: dict, code: str) -> str:
    """The scorecard row the report must print for the practice: every figure computed here."""
    inverse = next(iter(measure_rows.values()))[3]
    num, den, rate, _inverse = measure_rows.get(code, (0, 0, None, inverse))  # nobody of the practice in it
    # only rates on at least the pod's minimum denominator (20 by default) are ranked, median or best
    rated = {c: r for c, (_n, d, r, _i) in measure_rows.items() if r is not None and d >= MINIMUM}
    ordered = sorted(rated.values(), reverse=not inverse)
    rank = f"{1 + sum(1 for other in rated.values() if (other < rate if inverse else other > rate))} of {len(rated)}" \
        if rate is not None and den >= MINIMUM else "not ranked" if rate is not None else "—"
    median = statistics.median(float(r) for r in rated.values()) if rated else None
    best = float(ordered[0]) if ordered else None
    return squeeze(f"{count(num)}{count(den)}{percent_text(None if rate is None else float(rate))}{rank}"
                   f"{percent_text(median)}{percent_text(best)}")


def count(n: int) -> str:
    return f"{n:,}"


def test_every_rate_numerator_and_denominator_matches_the_database(demo):
    expected = _expected_rates(demo, YEAR_2026.end)
    multi = {m for m, g in expected if g > 0}
    for code in _codes(demo):
        data = reports.practice_quality_report(demo, code, MARCH)
        printed = reports.render(data)
        front = squeeze("".join(pdf_pages(printed.pdf)[:2]))
        assert len(data.measures) == len(expected)
        for (measure, group), by_practice in expected.items():
            label = f"{measure} · {group + 1}" if measure in multi else measure
            figures = _row_text(by_practice, code)
            # the row: its label, the measure's title (no other label), then the figures
            assert re.search(re.escape(squeeze(label)) + r"(?:(?!CMS).){0,400}?" + re.escape(figures), front), \
                (code, label, figures)
            line = next(m for m in data.measures if m.label == label)
            assert (line.numerator, line.denominator) == by_practice.get(code, (0, 0))[:2]
        # the figures at a glance: measures at or better than the pod median (lower for CMS122);
        # the median is of the rates on at least the pod's minimum denominator
        rated = at_median = 0
        for by_practice in expected.values():
            rate, inverse = by_practice.get(code, (0, 0, None, False))[2:]
            rates = [r for _n, d, r, _i in by_practice.values() if r is not None and d >= MINIMUM]
            if rate is not None:
                rated += 1
                if rates:
                    median = statistics.median(rates)
                    at_median += (rate <= median) if inverse else (rate >= median)
        assert squeeze(f"{at_median} of {rated} measures at or better than the pod median") in front


def test_every_page_has_page_x_of_y_the_practice_and_the_period(demo):
    code = _codes(demo)[0]
    pdf = reports.render(reports.practice_quality_report(demo, code, MARCH)).pdf
    pages = pdf_pages(pdf)
    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert f"({code})" in text and "Measurement year 2026" in text and "Practice quality report" in text
        assert "Generated " in text and "by Dana Reyes" in text


def test_every_open_gap_of_the_practice_is_listed_and_no_patient_of_another_practice(demo):
    query = sa.text(
        "SELECT pr.code, p.family || ', ' || p.given, p.birth_date, p.mrn, g.measure_id, p.status, p.deceased_date "
        "FROM gap g "
        "JOIN patient p ON p.id = g.patient_id JOIN practice pr ON pr.id = p.practice_id "
        "WHERE g.state = 'open' AND g.period_end = :end")
    with demo.engine.connect() as conn:
        rows = list(conn.execute(query, {"end": YEAR_2026.end}))
    for code in _codes(demo):
        text = squeeze("".join(pdf_pages(reports.render(reports.practice_quality_report(demo, code, MARCH)).pdf)))
        mine = [r for r in rows if r.code == code]
        theirs = {r[1:4] for r in rows if r.code != code} - {r[1:4] for r in mine}
        assert mine and theirs
        for _code, name, born, mrn, _measure, status, died in mine:
            # a patient no longer in care is named as such ("Doe, Jane (deceased 06/03/2026)")
            note = status_note(status, died and dt.date.fromisoformat(str(died)))
            name = f"{name} ({note.removeprefix('patient ')})" if note else name
            assert squeeze(f"{name}{date_text(dt.date.fromisoformat(str(born)))}{mrn}") in text
        for name, born, mrn in theirs:
            assert squeeze(f"{name}{date_text(dt.date.fromisoformat(str(born)))}{mrn}") not in text
        # as many rows as open gaps: each row ends in its MRN's cell once per gap
        data = reports.practice_quality_report(demo, code, MARCH)
        assert data.open_gap_count == len(mine)


def test_a_practice_with_no_patients_prints_its_empty_scorecard(demo):
    with UnitOfWork(demo.engine, ACTOR) as uow:
        uow.practices.add(Practice(code="NEW", name="Newfield Clinic"))
        uow.commit()
    printed = reports.render(reports.practice_quality_report(demo, "new", MARCH))
    text = "".join(pdf_pages(printed.pdf))
    assert "Newfield Clinic (NEW)" in text
    assert "No patient of the practice has an open gap in care in this period." in text
    assert "The practice has no patients in any measure's denominator." in text
    assert printed.data.open_gap_count == 0 and all(m.rate is None and m.rank is None for m in printed.data.measures)


def test_rates_come_from_the_months_snapshot_when_one_was_kept(demo):
    take_snapshot(demo.engine, MARCH)
    code = _codes(demo)[0]
    with demo.engine.begin() as conn:  # the kept figures differ from today's gaps: the report must print them
        conn.execute(sa.update(t.quality_snapshot).where(t.quality_snapshot.c.measure_id == "CMS125")
                     .values(numerator=7777, denominator=8888, rate=0.875, pod_median=0.5, pod_best=0.9))
    data = reports.practice_quality_report(demo, code, MARCH)
    assert data.snapshot_taken_at is not None
    text = squeeze("".join(pdf_pages(reports.render(data).pdf)[:2]))
    assert squeeze("7,777 8,888 87.5 %") in text and "snapshotofMarch2026" in text
    later = reports.practice_quality_report(demo, code, dt.date(2026, 4, 1))  # no snapshot in April: computed
    assert later.snapshot_taken_at is None
    assert next(m for m in later.measures if m.label == "CMS125").numerator != 7777


def test_unknown_practice_bad_month_and_uncomputed_year_are_sentences(demo):
    with pytest.raises(DomainError, match="The pod has no practice with code 'ZZZ'"):
        reports.practice_quality_report(demo, "ZZZ", MARCH)
    with pytest.raises(DomainError, match="No measurement period containing March 2031 has been computed"):
        reports.practice_quality_report(demo, _codes(demo)[0], dt.date(2031, 3, 1))
    for text in ("2026-13", "2026", "03/2026", "", "2026-3-1"):
        with pytest.raises(DomainError, match="write it as YYYY-MM"):
            reports.parse_month(text)
    assert reports.parse_month(" 2026-3 ") == MARCH


def _audit(pod) -> list[tuple]:
    with pod.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(t.audit_event.c.actor, t.audit_event.c.action,
                                                         t.audit_event.c.record_type, t.audit_event.c.detail)
                                               .where(t.audit_event.c.record_type == "Practice"))]


def test_saving_printing_and_previewing_are_audited(demo, tmp_path):
    code = _codes(demo)[0]
    printed = reports.render(reports.practice_quality_report(demo, code, MARCH))
    saved = reports.save_report(demo, printed, tmp_path / printed.file_name)
    assert saved.path.name == f"{code}-2026-03.pdf" and saved.path.read_bytes() == printed.pdf
    reports.record_print(demo, printed, "Front desk laser")
    reports.record_preview(demo, printed)
    events = _audit(demo)
    assert [(actor, action) for actor, action, _type, _detail in events] == [
        (ACTOR, "export"), (ACTOR, "print"), (ACTOR, "view")]
    assert all(f"quality report of {code} for 2026-03" in detail for *_rest, detail in events)
    assert "Front desk laser" in events[1][3] and str(saved.path) in events[0][3]
    with pytest.raises(reports.ReportWriteFailed, match="could not be written"):
        reports.save_report(demo, printed, tmp_path / "no such folder" / "x.pdf")


def test_the_batch_writes_every_practice_and_stops_when_cancelled(demo, tmp_path):
    codes = _codes(demo)
    seen = []
    result = reports.write_practice_reports(demo, codes, MARCH, tmp_path,
                                            progress=lambda done, total, text: seen.append((done, total)))
    assert not result.cancelled
    assert sorted(p.name for p in result.written) == sorted(f"{c}-2026-03.pdf" for c in codes)
    assert seen[-1] == (len(codes), len(codes))
    folder = tmp_path / "cancelled"
    folder.mkdir()
    # the user cancels once the first report is written
    stopped = reports.write_practice_reports(demo, codes, MARCH, folder, cancel=lambda: any(folder.iterdir()))
    assert stopped.cancelled and len(stopped.written) == 1 and len(list(folder.iterdir())) == 1
    with pytest.raises(DomainError, match="no practice with code 'NOPE'"):
        reports.write_practice_reports(demo, [codes[0], "NOPE"], MARCH, folder)


# --- the small pod of the Gaps and Quality screens: names chosen to collide ------------------------

@pytest.fixture
def small(engine):
    from tests.ui.test_gaps_data import build_pod

    return Pod(engine, "small").with_actor(ACTOR), build_pod(engine)


def test_a_name_like_another_practices_patient_is_not_confused(small):
    pod, _ids = small
    text = "".join(pdf_pages(reports.render(reports.practice_quality_report(pod, "CED", dt.date(2025, 6, 1))).pdf))
    assert "Smith, Jo" in text and "Smith, Joan" not in text  # Joan Smith is Birch Street's patient
    for other in ("Abbott", "Baker", "Evans", "Foster", "Garcia"):
        assert other not in text


def test_an_inverse_measure_says_lower_is_better(small):
    pod, _ids = small
    data = reports.practice_quality_report(pod, "ALD", dt.date(2025, 6, 1))
    text = "".join(pdf_pages(reports.render(data).pdf))
    assert "(lower is better)" in text  # in the scorecard
    assert "CMS122lowerisbetter" in squeeze(text)  # beside the measure in the chart
    cms122 = next(m for m in data.measures if m.label == "CMS122")
    # poor control: ALD 1 of 2, BIR 0 of 2, CED 2 of 2; the best is the lowest
    assert cms122.inverse and (cms122.rate, cms122.pod_best, cms122.rank) == (0.5, 0.0, 2)


# --- a large practice, very long names --------------------------------------------------------------

LONG_FAMILY = "Müller-Łukasik-Abernathy-Worthington-Featherstonehaugh-Wolfeschlegelsteinhausenbergerdorff"
LONG_GIVEN = "Zoë Anne-Marie Bartholomew Maximiliana Theodora"


@pytest.fixture
def big(engine):
    """A practice with 2,000 open CMS125 gaps (every tenth patient with a very long name and
    MRN) beside a small practice; gap rows written directly (no engine needed)."""
    with UnitOfWork(engine, ACTOR) as uow:
        big_id = uow.practices.add(Practice(code="BIG", name="The Big Regional Family Medicine and "
                                                             "Community Health Partnership of the Valley")).id
        small_id = uow.practices.add(Practice(code="SML", name="Small Clinic")).id
        uow.commit()
    people = [dict(practice_id=big_id, mrn=(f"LONG-{i:05}-" + "X" * 30) if i % 10 == 0 else f"B{i:05}",
                   family=LONG_FAMILY if i % 10 == 0 else f"Family{i:04}", given=LONG_GIVEN if i % 10 == 0 else "Ann",
                   family_key="K", given_key="K", birth_date=dt.date(1950 + i % 20, 1 + i % 12, 1 + i % 28),
                   sex="female") for i in range(2000)]
    people.append(dict(practice_id=small_id, mrn="S1", family="Outsider", given="Olga", family_key="OUTSIDER",
                       given_key="OLGA", birth_date=dt.date(1960, 1, 1), sex="female"))
    with engine.begin() as conn:
        conn.execute(sa.insert(t.patient), people)
        conn.execute(sa.insert(t.measure), [dict(id="CMS125", version="2026", title="Breast Cancer Screening",
                                                 inverse=False, definition={})])
        ids = list(conn.scalars(sa.select(t.patient.c.id).order_by(t.patient.c.id)))
        now = dt.datetime(2026, 3, 1, 8, 0)
        conn.execute(sa.insert(t.gap), [dict(
            patient_id=pid, measure_id="CMS125", period_start=YEAR_2026.start, period_end=YEAR_2026.end,
            state="open", due_date=YEAR_2026.end, computed_at=now, initial_population=1, denominator=1,
            denominator_exclusion=0, denominator_exception=0, numerator=0) for pid in ids])
    return Pod(engine, "big").with_actor(ACTOR)


def test_two_thousand_open_gaps_and_very_long_names_print_whole_within_the_margins(big):
    data = reports.practice_quality_report(big, "BIG", MARCH)
    assert data.open_gap_count == 2000
    pdf = reports.render(data).pdf
    pages = pdf_pages(pdf)
    text = squeeze("".join(pages))
    for gap in data.open_gaps[0].gaps:  # every cell of every row, whole
        for cell in (gap.patient_name, date_text(gap.birth_date), gap.mrn, date_text(gap.due_date), gap.why):
            assert squeeze(cell) in text
    assert text.count(squeeze(LONG_FAMILY)) == 200
    assert "Outsider" not in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    for page in pages[3:]:
        assert "CMS125 · Breast Cancer Screening (continued)" in page and "Birth date" in page
    for run in text_runs(pdf):  # nothing runs past the right margin
        font = FONT_BOLD if "Bold" in run.font else FONT
        assert run.x + stringWidth(run.text, font, run.size) <= run.page_width - MARGIN + 1.0, run


def test_the_reports_open_gaps_are_the_worklists_with_the_same_why(demo):
    """The report reads a practice's open gaps in one go (storage.queries.reports); the Gaps
    worklist pages through them: the same gaps, in the same name order, with the same reason."""
    from storage.queries.gaps import GapFilter, iter_gaps
    from storage.queries.reports import practice_open_gaps

    from domain.measures.explain import NOT_COUNTED
    from storage.measures import evidence_items

    with demo.engine.begin() as conn:
        practices = dict(conn.execute(sa.select(t.practice.c.code, t.practice.c.id)).all())
        # an open gap of a measure that is not inverse whose patient has a condition the measure
        # did not count (recorded inactive without an end date): the worklist says so, and so must
        # the report
        g, f = t.gap, t.clinical_fact
        gap_id, patient_id = conn.execute(
            sa.select(g.c.id, g.c.patient_id).join(t.measure, t.measure.c.id == g.c.measure_id)
            .where(g.c.state == "open", g.c.period_end == YEAR_2026.end, t.measure.c.inverse.is_(False))
            .order_by(g.c.id).limit(1)).one()
        fact_id = conn.execute(sa.select(f.c.id).where(f.c.patient_id == patient_id).limit(1)).scalar_one()
        items = evidence_items.decode(conn.execute(sa.select(t.gap_evidence.c["items"])
                                                   .where(t.gap_evidence.c.gap_id == gap_id)).scalar())
        items.append((NOT_COUNTED, "Hysterectomy with no residual cervix", fact_id, "http://snomed.info/sct",
                      "428078001", "2019-05-02", "inactive"))
        conn.execute(sa.delete(t.gap_evidence).where(t.gap_evidence.c.gap_id == gap_id))
        conn.execute(sa.insert(t.gap_evidence).values(gap_id=gap_id, items=evidence_items.encode(items)))
    said_not_counted = False
    for code, practice_id in practices.items():
        worklist = list(iter_gaps(demo.engine, GapFilter(practice_id=practice_id, state="open",
                                                         period_end=YEAR_2026.end), sort="patient"))
        report = practice_open_gaps(demo.engine, practice_id, YEAR_2026.end)
        assert worklist and len(report) == len(worklist)
        by_measure = sorted(worklist, key=lambda r: (r.measure_id, r.group_index))  # stable: name order kept
        assert [(r.gap_id, r.why, r.last_outreach_at) for r in report] == \
            [(r.gap_id, r.why, r.last_outreach_at) for r in by_measure]
        assert any(r.measure_id == "CMS122" for r in report)  # an inverse measure's why cites the result
        said_not_counted |= any(r.gap_id == gap_id and "the measure does not count it" in r.why for r in report)
    assert said_not_counted
