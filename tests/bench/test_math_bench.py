"""``rlvr bench math``: item sets and a smoke run on tiny sizes (speed is never asserted)."""

from __future__ import annotations

import json

import pytest

from rlvr.bench.math_bench import (
    DEV_COMPLETIONS_FILE,
    MathBenchConfig,
    e2e_completions,
    gsm8k_pairs,
    math500_pairs,
    math_verify_end_to_end,
    run_math_bench,
)
from rlvr.bench.math_data import default_data_dir
from rlvr.verifiers.math import check_answer

HAVE_DATA = (default_data_dir() / DEV_COMPLETIONS_FILE).exists()


@pytest.mark.parametrize(
    "options",
    [{"items": 0}, {"repeats": 0}, {"workers": 0}, {"completions": -1}, {"items": 1.5}, {"score_lines": -1}],
)
def test_config_rejects_bad_values(options):
    with pytest.raises(ValueError):
        MathBenchConfig(**options)


@pytest.mark.parametrize("make", [gsm8k_pairs, math500_pairs])
def test_pairs_are_distinct_deterministic_and_mixed(make):
    triples = make(10**6)
    assert len(triples) == len(set(triples)) > 1000
    assert make(300, seed=1) == make(300, seed=1) != make(300, seed=2)
    share = sum(e for _, _, e in triples) / len(triples)
    assert 0.2 < share < 0.9


def test_pair_labels_agree_with_rlvr_on_a_sample():
    for gold, answer, equivalent in gsm8k_pairs(200) + math500_pairs(100):
        assert (check_answer(gold, answer).score == 1.0) == equivalent, (gold, answer)


def test_math_verify_end_to_end():
    assert math_verify_end_to_end("so $\\boxed{\\dfrac{1}{2}}$", "\\frac{1}{2}") is True
    assert math_verify_end_to_end("so $\\boxed{3}$", "4") is False


@pytest.mark.skipif(not HAVE_DATA, reason=f"labelled dev sets not in {default_data_dir()}")
def test_end_to_end_items_are_distinct():
    items = e2e_completions(1024, default_data_dir())
    assert len(items) == 1024 == len(set(items))


def test_smoke_run():
    config = MathBenchConfig(
        items=8, repeats=1, workers=1, completions=16 if HAVE_DATA else 0, score_lines=20
    )
    report = run_math_bench(config)
    whole = report.whole_process
    assert whole is not None and whole.lines == 20 and whole.rlvr_s > 0 and whole.peer_s > 0
    assert whole.rlvr_mean == whole.peer_mean  # the same 20 verdicts: golds and their first rewrites
    assert [s.items for s in report.sets] == [8, 8]
    for s in report.sets:
        assert s.rlvr_per_s > 0 and s.peer_per_s > 0 and s.rlvr_pool_per_s > 0 and s.peer_pool_per_s > 0
        assert s.rlvr_p50_us <= s.rlvr_p99_us and s.peer_p50_us <= s.peer_p99_us
    if HAVE_DATA:
        e = report.end_to_end
        assert e is not None and e.completions == 16
        assert e.rlvr_cold_s > 0 and e.peer_pool_warm_s > 0 and e.rlvr_first_symbolic_s > 0
    data = json.loads(report.to_json())
    assert data["sets"][0]["ratio"] > 0
    text = report.markdown()
    assert "verifications/s" in text and "p99 latency" in text and "whole process, 20-line file" in text


def test_score_file_is_decided_in_process():
    """The whole-process file needs no worker: every line is decided by the fast path."""
    from rlvr.bench.math_bench import score_file_lines
    from rlvr.verifiers.math.judge import prepare_completion, read_gold

    lines = score_file_lines(1000)
    assert len(lines) == 1000
    assert all(prepare_completion(r["completion"], read_gold(r["answer"])).job is None for r in lines)
