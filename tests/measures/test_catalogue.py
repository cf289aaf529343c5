"""The measure catalogue, read from the definition files: which measures are active, their cost,
their plain-words care and names; a payer variant is a measure of its own, never counted again
under "All measures" beside its base, and recomputed when active."""
from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
import sqlalchemy as sa

from domain.errors import DomainError
from domain.measures import catalogue as catalogue_module
from domain.measures import definition as definitions
from domain.measures.catalogue import catalogue, count_words, load_catalogue
from domain.measures.explain import explain_gap, numerator_care
from domain.measures.period import MeasurementPeriod
from tests.measures.conftest import import_isolated
from tests.measures.test_rule_edges import _bundle, _mammogram

PERIOD = MeasurementPeriod.parse("2025-01-01", "2025-12-31")
VARIANT = "CMS125-BCBS-50-74"


def test_the_shipped_catalogue():
    shipped = catalogue()
    assert shipped.active_ids == ("CMS125", "CMS130", "CMS124", "CMS122", "CMS165", "CMS138", "CMS2", "CMS117")
    assert shipped.variant_ids == (VARIANT,)
    variant = shipped[VARIANT]
    assert (variant.variant_of, variant.payer, variant.active) == ("CMS125", "BCBS", False)
    assert variant.cost == shipped["CMS125"].cost and variant.care == shipped["CMS125"].care  # inherited
    assert [m.id for m in shipped][:2] == ["CMS125", VARIANT]  # a variant right after its base
    assert shipped["CMS138"].group_titles[1] == "Tobacco users given cessation intervention"
    assert shipped["CMS138"].group_label(1) == "CMS138 · 2" and shipped["CMS2"].group_label(0) == "CMS2"
    assert shipped["CMS122"].display_name == "CMS122 — Diabetes: Glycemic Status Assessment Greater Than 9%"
    assert shipped.describe() == "the eight quality measures"
    assert shipped.describe(["CMS125", VARIANT]) == "CMS125 (Breast Cancer Screening) and the BCBS variant of CMS125"
    assert count_words(1, "quality measure") == "one quality measure" and count_words(14, "gap") == "14 gaps"
    with pytest.raises(DomainError, match="Unknown measure 'CMS999'"):
        shipped["CMS999"]


def test_the_explanations_read_their_words_from_the_catalogue():
    assert numerator_care("CMS138", 1) == "cessation intervention for this tobacco user"
    assert numerator_care("CMS138", 7) == "tobacco screening"  # an unknown group: the first's
    assert numerator_care(VARIANT) == "mammography"
    assert numerator_care("LOCAL1", measure_title="Falls Risk") == "falls risk"  # not in the catalogue
    assert explain_gap(state="open", measure_id="CMS2") == "Open: no depression screening with follow-up on record."


def _folder_with(tmp_path, name: str, content: dict, *, variant: bool = False):
    folder = tmp_path / "definitions"
    shutil.copytree(definitions.DEFINITIONS, folder)
    (folder / ("variants" if variant else "") / f"{name}.json").write_text(json.dumps(content))
    return folder


def test_adding_a_measure_or_a_variant_is_adding_its_file(tmp_path):
    base = json.loads((definitions.DEFINITIONS / "CMS125.json").read_text())
    folder = _folder_with(tmp_path, "LOCAL1", {**base, "id": "LOCAL1", "title": "Local screening",
                                                "catalogue": {"order": 3, "cost": 9, "care": "local screening"}})
    (folder / "variants" / "CMS130-AETNA.json").write_text(json.dumps(
        {"id": "CMS130-AETNA", "extends": "CMS130", "title": "Colorectal (Aetna)", "payer": "Aetna",
         "catalogue": {"active": True, "care": "colorectal screening as Aetna counts it"}}))
    found = load_catalogue(folder)
    assert found.active_ids == ("CMS125", "CMS130", "CMS130-AETNA", "CMS124", "LOCAL1", "CMS122", "CMS165",  # ties: by id
                                "CMS138", "CMS2", "CMS117")
    assert found["LOCAL1"].cost == 9 and found["CMS130-AETNA"].cost == found["CMS130"].cost
    assert found["CMS130-AETNA"].care == ("colorectal screening as Aetna counts it",)
    assert found.describe() == ("the nine quality measures and the Aetna variant of CMS130")
    unordered = json.loads((folder / "LOCAL1.json").read_text())
    del unordered["catalogue"]
    (folder / "LOCAL1.json").write_text(json.dumps(unordered))
    plain = load_catalogue(folder)["LOCAL1"]
    assert (plain.active, plain.cost, plain.care) == (True, 2.0, ("local screening",))  # defaults: the title
    assert load_catalogue(folder).active_ids[-1] == "LOCAL1"  # no order: last


@pytest.mark.parametrize("block, message", [
    ({"care": ["a", "b"]}, "LOCAL1: catalogue \"care\" names 2 groups; the measure has 1"),
    ({"care": ""}, "LOCAL1: catalogue \"care\" must be plain words, or a list of them per group"),
    ({"active": "yes"}, "LOCAL1: catalogue \"active\" must be true or false"),
    ({"cost": "a lot"}, "LOCAL1: catalogue \"cost\" and \"order\" must be numbers"),
    ({"cost": 0}, "LOCAL1: catalogue \"cost\" must be above 0"),
    ("everything", "LOCAL1: \"catalogue\" must be an object"),
])
def test_a_malformed_catalogue_block_names_the_measure_and_field(tmp_path, block, message):
    base = json.loads((definitions.DEFINITIONS / "CMS125.json").read_text())
    folder = _folder_with(tmp_path, "LOCAL1", {**base, "id": "LOCAL1", "catalogue": block})
    with pytest.raises(DomainError) as caught:
        load_catalogue(folder)
    assert str(caught.value) == message


@pytest.fixture
def variant_active(monkeypatch):
    shipped = catalogue()
    active = dataclasses.replace(shipped, measures=tuple(
        dataclasses.replace(m, active=True) if m.id == VARIANT else m for m in shipped.measures))
    monkeypatch.setattr(catalogue_module, "_shipped", active)
    return active


def _pod(engine, tmp_path):
    return import_isolated(engine, [
        _bundle(tmp_path, "age51", "1974-06-01", extra=[_mammogram("2024-06-01")]),  # the variant's only
        _bundle(tmp_path, "recent", "1960-05-05", extra=[_mammogram("2025-02-01")]),  # both
        _bundle(tmp_path, "due", "1960-05-05"),  # both, open
    ])


def test_an_active_variant_is_recomputed_and_shown_as_its_own_measure_never_in_all_measures(
        measure_engine, tmp_path, variant_active):
    from storage.measures.recompute import recompute
    from storage.queries.gaps import GapFilter, count_gaps, gap_page, measure_choices

    _pod(measure_engine, tmp_path)
    summary = recompute(measure_engine, PERIOD, measure_ids=None, workers=1)  # every active measure
    assert summary[VARIANT] == {"closed": 2, "open": 1} and summary["CMS125"] == {"closed": 1, "open": 1}
    assert (VARIANT, catalogue()[VARIANT].title) in measure_choices(measure_engine)
    everything = GapFilter(state=None, period_end=PERIOD.end)
    rows = gap_page(measure_engine, everything, limit=1000).rows
    assert VARIANT not in {r.measure_id for r in rows}  # its patients are CMS125's: not counted twice
    with measure_engine.connect() as conn:
        not_variant = conn.execute(sa.text("SELECT count(*) FROM gap WHERE measure_id <> :v"), {"v": VARIANT}).scalar()
    assert count_gaps(measure_engine, everything).total == len(rows) == not_variant
    variant_only = dataclasses.replace(everything, measure_id=VARIANT)
    assert count_gaps(measure_engine, variant_only).by_state == {"closed": 2, "open": 1}
    assert {r.measure_id for r in gap_page(measure_engine, variant_only).rows} == {VARIANT}
    practice = dataclasses.replace(everything, practice_id=1)  # the count read from the patients' side too
    assert VARIANT not in {r.measure_id for r in gap_page(measure_engine, practice).rows}
    assert count_gaps(measure_engine, practice).total == len(gap_page(measure_engine, practice).rows)


def test_an_inactive_variant_is_not_recomputed_by_default_nor_listed(measure_engine, tmp_path):
    from storage.measures.recompute import recompute
    from storage.queries.gaps import measure_choices
    from storage.queries.quality import peer_rates

    _pod(measure_engine, tmp_path)
    assert VARIANT not in recompute(measure_engine, PERIOD, workers=1)
    recompute(measure_engine, PERIOD, [VARIANT], workers=1)  # asked for by name: computed, still inactive
    assert VARIANT not in {mid for mid, _title in measure_choices(measure_engine)}
    assert VARIANT not in {mid for mid, _group in peer_rates(measure_engine, PERIOD.end)}
