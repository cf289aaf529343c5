"""Pod-peer ranks: equal rates share a rank (1 + practices strictly better), lower is better
for an inverse measure, and every practice sharing the best rate is named best."""
from __future__ import annotations

import sqlalchemy as sa

from storage import schema as t
from storage.measures.peer_rates import practice_rates
from tests.ui.test_gaps_data import PERIOD, build_pod


def _by_code(engine, pod, measure):
    codes = {pid: code for code, pid in pod.practices.items()}
    return {codes[r.practice_id]: r for r in practice_rates(engine, measure, *PERIOD)}


def test_inverse_measure_ties_share_the_rank_below_the_best(engine):
    pod = build_pod(engine)
    # CMS122 (inverse, lower is better): ALD 1/2, BIR 0/2, CED 2/2 → make CED 1/2 like ALD
    with engine.begin() as conn:
        conn.execute(sa.update(t.gap).where(t.gap.c.id == pod.gaps[("C300", "CMS122")]).values(numerator=0))
    rates = _by_code(engine, pod, "CMS122")
    assert [rates[c].rank for c in ("BIR", "ALD", "CED")] == [1, 2, 2]
    assert rates["ALD"].best_practice_ids == (pod.practices["BIR"],) and rates["ALD"].pod_best == 0.0


def test_several_best_practices_share_rank_one(engine):
    pod = build_pod(engine)
    rates = _by_code(engine, pod, "CMS125")  # ALD 2/3, BIR 2/3, CED 1/3
    assert [rates[c].rank for c in ("ALD", "BIR", "CED")] == [1, 1, 3]
    assert set(rates["CED"].best_practice_ids) == {pod.practices["ALD"], pod.practices["BIR"]}
    assert rates["CED"].best_practice_id == min(pod.practices["ALD"], pod.practices["BIR"])
    assert rates["CED"].practices_ranked == 3
