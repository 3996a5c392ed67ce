"""Shaping rewards: DAPO soft overlong punishment, cosine length scaling, n-gram repetition penalty.

Each is checked against TRL's own implementation on the same inputs (same numbers), and against the
contract: batched, picklable, reasons, ``None`` with a reason for an unreadable length, a clear error for a
batch without lengths, options from the command line.
"""

from __future__ import annotations

import io
import json
import math
import pickle

import pytest

from rlvr.rewards import (
    REWARDS,
    CosineScaledReward,
    MathAccuracyReward,
    MissingColumnError,
    RepetitionPenaltyReward,
    SoftOverlongReward,
    combine,
)
from rlvr.rewards.lengths import token_count
from rlvr.rewards.scoring import score_stream

trl_rewards = pytest.importorskip("trl.rewards", reason="TRL is the reference for these numbers")

LENGTHS = [0, 1, 50, 79, 80, 81, 90, 99, 100, 101, 250]


def ids_of(lengths: list[int]) -> list[list[int]]:
    return [[7] * n for n in lengths]


# --- soft overlong ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("max_len", "cache"), [(100, 20), (100, 0), (100, 100), (4096, 1024), (7, 3)])
def test_soft_overlong_equals_trl(max_len: int, cache: int) -> None:
    completion_ids = ids_of(LENGTHS)
    expected = trl_rewards.get_soft_overlong_punishment(max_len, cache)(completion_ids)
    ours = SoftOverlongReward(max_completion_len=max_len, overlong_buffer_len=cache)
    got = ours(completions=["x"] * len(LENGTHS), completion_ids=completion_ids)
    assert got == expected


def test_soft_overlong_factor_reasons_and_lengths_column() -> None:
    reward = SoftOverlongReward(max_completion_len=100, overlong_buffer_len=20, penalty_factor=0.5)
    verdicts = reward.judge(None, ["a", "b", "c"], completion_length=[80, 90, 130])
    assert [v.score for v in verdicts] == [0.0, -0.25, -0.5]
    assert verdicts[0].reason == ""
    assert verdicts[1].reason == "90 tokens, 10 into the 20-token buffer"
    assert "over max_completion_len 100" in verdicts[2].reason


def test_soft_overlong_needs_its_limit_and_lengths() -> None:
    with pytest.raises(ValueError, match="needs max_completion_len"):
        REWARDS["soft_overlong"].create()(completions=["a"], completion_ids=[[1]])
    reward = SoftOverlongReward(max_completion_len=10, overlong_buffer_len=2)
    with pytest.raises(
        MissingColumnError, match=r"needs the dataset column 'completion_ids' .* or 'completion_length'"
    ):
        reward(completions=["a"])
    with pytest.raises(ValueError, match="completion_ids must hold one value per completion"):
        reward(completions=["a", "b"], completion_ids=[[1]])
    with pytest.raises(ValueError, match="overlong_buffer_len must be an int >= 0"):
        SoftOverlongReward(max_completion_len=10, overlong_buffer_len=-1)
    with pytest.raises(ValueError, match="penalty_factor must be a finite number >= 0"):
        SoftOverlongReward(max_completion_len=10, penalty_factor=math.nan)
    with pytest.raises(
        ValueError, match=r"overlong_buffer_len \(20\) must not exceed max_completion_len \(10\)"
    ):
        SoftOverlongReward(max_completion_len=10, overlong_buffer_len=20)
    assert SoftOverlongReward(max_completion_len=100)(completions=["a"], completion_ids=[[1] * 90]) == [-0.5]


def test_hostile_lengths_are_none_with_a_reason_not_a_crash() -> None:
    reward = SoftOverlongReward(max_completion_len=10, overlong_buffer_len=2)
    verdicts = reward.judge(None, ["a"] * 4, completion_ids=["12345", None, 17, [1, 2]])
    assert [v.score for v in verdicts] == [None, None, None, 0.0]
    assert "must be a list of token ids, got str" in verdicts[0].reason
    assert "no completion_ids" in verdicts[1].reason
    assert token_count({"completion_length": 3}) == 3
    rep = RepetitionPenaltyReward()
    verdicts = rep.judge(None, ["a", "b"], completion_ids=[[1, "x", 2], [1.5, 2.0, 3.0]])
    assert [v.score for v in verdicts] == [None, None]
    assert all("must hold integers" in v.reason for v in verdicts)


# --- repetition ------------------------------------------------------------------------------------------

REPETITIVE = [
    [],
    [1],
    [1, 2],
    [1, 2, 3],
    [1, 2, 3, 4],
    [5, 5, 5, 5, 5],
    [1, 2, 1, 2, 1, 2, 1, 2],
    [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9],
    list(range(100)) * 3,
]


@pytest.mark.parametrize(
    ("ngram_size", "max_penalty"), [(1, -1.0), (2, -1.0), (3, -1.0), (3, -0.5), (4, 0.0)]
)
def test_repetition_penalty_equals_trl(ngram_size: int, max_penalty: float) -> None:
    expected = trl_rewards.get_repetition_penalty_reward(ngram_size, max_penalty)(REPETITIVE)
    ours = RepetitionPenaltyReward(ngram_size=ngram_size, max_penalty=max_penalty)
    assert ours(completions=["x"] * len(REPETITIVE), completion_ids=REPETITIVE) == expected


def test_repetition_penalty_on_words_needs_no_ids() -> None:
    reward = RepetitionPenaltyReward(unit="words", ngram_size=2)
    got = reward(
        completions=["The cat THE cat the cat", "a b c d", "", [{"role": "assistant", "content": "x"}]]
    )
    assert got == [pytest.approx(-0.6), 0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="unit must be one of"):
        RepetitionPenaltyReward(unit="chars")


# --- cosine ----------------------------------------------------------------------------------------------

ANSWERS = [r"\boxed{\frac{1}{3}}", r"\boxed{\frac{1}{2}}", r"The answer is $\boxed{42}$.", r"\boxed{41}"]
GOLDS = [r"\frac{1}{3}", r"\frac{1}{3}", "42", "42"]


@pytest.mark.parametrize(
    "values",
    [
        {},
        {
            "min_value_wrong": -2.0,
            "max_value_wrong": 0.0,
            "min_value_correct": 0.25,
            "max_value_correct": 3.0,
        },
    ],
)
def test_cosine_scaled_equals_trl(values: dict[str, float]) -> None:
    lengths = [0, 10, 50, 99, 100, 300]
    completions, golds, completion_ids = [], [], []
    for length in lengths:
        for answer, gold in zip(ANSWERS, GOLDS, strict=True):
            completions.append(answer)
            golds.append(gold)
            completion_ids.append([1] * length)
    trl_completions = [[{"role": "assistant", "content": c}] for c in completions]
    expected = trl_rewards.get_cosine_scaled_reward(100, **values)(trl_completions, golds, completion_ids)
    ours = CosineScaledReward(max_len=100, **values)
    try:
        got = ours(completions=trl_completions, solution=golds, completion_ids=completion_ids)
    finally:
        ours.close()
    assert got == pytest.approx(expected, abs=1e-12)


def test_cosine_scaled_differs_from_trl_where_documented() -> None:
    reward = CosineScaledReward(max_len=100, exceed_value=-10.0)
    try:
        verdicts = reward.judge(
            None,
            [r"\boxed{3}", r"\boxed{3}", r"\boxed{3}", r"\boxed{3}"],
            answer=["3", "3", r"\frac{1}{0", "3"],
            completion_ids=[[1] * 100, [1] * 20, [1] * 20, "bad"],
        )
    finally:
        reward.close()
    assert verdicts[0].score == -10.0  # the paper's r_e for a completion cut at the limit
    assert verdicts[1].score == pytest.approx(0.5 + 0.25 * (1 + math.cos(0.2 * math.pi)))
    assert verdicts[1].reason == "correct, 20 tokens"
    assert verdicts[2].score is None and verdicts[2].reason.startswith("accuracy not judged: ")
    assert verdicts[3].score is None and "completion_ids must be a list" in verdicts[3].reason


def test_cosine_scaled_with_another_accuracy_reward_and_checks_its_columns() -> None:
    gsm8k = MathAccuracyReward(fallback="last_number")
    reward = CosineScaledReward(max_len=10, accuracy_reward=gsm8k)
    assert reward(completions=["so 72"], answer=["#### 72"], completion_ids=[[1] * 10]) == [0.5]
    with pytest.raises(MissingColumnError, match="needs the dataset column 'answer'"):
        reward(completions=["so 72"], completion_ids=[[1]])
    with pytest.raises(ValueError, match="needs max_len"):
        CosineScaledReward()(completions=["so 72"], answer=["72"], completion_ids=[[1]])
    with pytest.raises(TypeError, match="accuracy_reward must be an rlvr Reward"):
        CosineScaledReward(max_len=3, accuracy_reward=len)  # type: ignore[arg-type]
    gsm8k.close()


# --- contract --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["soft_overlong", "cosine_scaled", "repetition_penalty"])
def test_registered_pickled_and_configured_from_strings(name: str) -> None:
    options = {
        "soft_overlong": {"max_completion_len": "100", "overlong_buffer_len": "20"},
        "cosine_scaled": {"max_len": "100"},
    }.get(name, {"ngram_size": "2"})
    reward = REWARDS[name].create(options)
    copy = pickle.loads(pickle.dumps(reward))
    assert copy.config == reward.config and copy.__name__ == name
    batch = {
        "completions": [r"\boxed{1}", r"\boxed{1}"],
        "answer": ["1", "2"],
        "completion_ids": [[1, 1, 1] * 30, [2]],
    }
    assert copy(**batch) == reward(**batch)
    reward.close()
    copy.close()


def test_trl_log_hooks_and_composition_with_accuracy() -> None:
    logged: dict[str, object] = {}
    overlong = SoftOverlongReward(max_completion_len=10, overlong_buffer_len=4)
    total = combine({"accuracy": MathAccuracyReward(), "overlong": overlong}, name="dapo_reward")
    got = total(
        completions=[r"\boxed{4}", r"\boxed{4}", r"\boxed{5}"],
        answer=["4", "4", "4"],
        completion_ids=[[1] * 3, [1] * 8, [1] * 12],
        log_metric=lambda k, v: logged.__setitem__(k, v),
        log_extra=lambda k, v: logged.__setitem__(k, v),
    )
    assert got == [1.0, 0.5, -1.0]
    assert logged["rewards/dapo_reward/overlong"] == pytest.approx(-0.5)


def test_rlvr_score_reads_completion_ids_from_jsonl() -> None:
    lines = [{"completion": "a", "completion_ids": [1] * n} for n in (5, 9, 11)]
    source = io.StringIO("".join(json.dumps(line) + "\n" for line in lines))
    out = io.StringIO()
    reward = REWARDS["soft_overlong"].create({"max_completion_len": "10", "overlong_buffer_len": "2"})
    summary = score_stream(reward, source, out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["reward"] for r in rows] == [0.0, -0.5, -1.0] and summary.count == 3
