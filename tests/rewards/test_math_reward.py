"""``math_accuracy``: the reward contract, columns, the executor path, and hostile inputs."""

from __future__ import annotations

import pickle
import resource
import threading
import time
from collections.abc import Iterator

import pytest

from rlvr.rewards import MathAccuracyReward, MissingColumnError, math_accuracy

DEADLINE = 2.0


@pytest.fixture(scope="module")
def reward() -> Iterator[MathAccuracyReward]:
    """A reward with a short deadline and its workers already started."""
    instance = MathAccuracyReward(timeout=DEADLINE, name="math_test")
    instance(completions=["\\boxed{\\sin^2 x}"], answer=["1-\\cos^2 x"])  # start and warm the workers
    yield instance
    instance.close()


def test_scores_strings_and_chat_messages(reward: MathAccuracyReward) -> None:
    completions = [
        "<think>7*6</think> The answer is $\\boxed{42}$.",
        [{"role": "assistant", "content": "\\boxed{41}"}],
        [{"role": "assistant", "content": "**Answer:** 42", "reasoning_content": "\\boxed{41} hmm"}],
        "no marker 42",
    ]
    assert reward(completions=completions, answer=["42"] * 4) == [1.0, 0.0, 1.0, 0.0]


def test_solution_column_and_custom_gold_column() -> None:
    solution = "We compute ... so the total is $\\boxed{\\frac{1}{2}}$."
    assert math_accuracy(completions=["\\boxed{0.5}"], solution=[solution]) == [1.0]
    custom = MathAccuracyReward(gold_column="gold_answer")
    assert custom(completions=["\\boxed{7}"], gold_answer=["7"]) == [1.0]


def test_missing_gold_column_names_the_column_and_the_reward() -> None:
    with pytest.raises(MissingColumnError, match=r"math_accuracy.*'answer'.*'solution'"):
        math_accuracy(completions=["\\boxed{1}"], question=["q"])


def test_gold_problems_are_none_with_a_reason(reward: MathAccuracyReward) -> None:
    logged: dict[str, list[object]] = {}
    metrics: dict[str, float] = {}
    scores = reward(
        completions=["\\boxed{1}"] * 4,
        answer=["", None, "\\frac{", "1"],
        log_extra=lambda column, values: logged.setdefault(column, values),
        log_metric=lambda name, value: metrics.setdefault(name, value),
    )
    assert scores == [None, None, None, 1.0]
    reasons = logged["math_test/reason"]
    assert "no gold answer" in str(reasons[0]) and "no gold answer" in str(reasons[1])
    assert "gold answer does not parse" in str(reasons[2])
    assert metrics["rewards/math_test/unjudged_frac"] == 0.75


def test_last_number_fallback_is_an_option() -> None:
    two_lines = "She sold 48 clips in April.\nThen 72 in all."
    assert math_accuracy(completions=[two_lines], answer=["72"]) == [0.0]
    gsm8k = MathAccuracyReward.from_options({"fallback": "last_number"})
    assert gsm8k(completions=[two_lines], answer=["#### 72"]) == [1.0]
    # a concluding sentence is a marker of its own, with or without the fallback
    assert math_accuracy(completions=["So she has 72 clips."], answer=["72"]) == [1.0]


def test_group_of_identical_answers_is_judged_once(reward: MathAccuracyReward) -> None:
    before = reward.executor.stats
    reward(completions=["\\boxed{\\frac{\\cos x}{\\sin x}}"] * 8, answer=["\\cot x"] * 8)
    after = reward.executor.stats
    assert after.pool_judgements - before.pool_judgements == 1
    reward(completions=["\\boxed{\\frac{\\cos x}{\\sin x}}"] * 8, answer=["\\cot x"] * 8)
    assert reward.executor.stats.pool_judgements == after.pool_judgements  # the next epoch: cached


def test_a_batch_judges_each_distinct_answer_once(
    reward: MathAccuracyReward, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlvr.verifiers.math import judge

    completions = [
        "So $\\boxed{\\frac{1}{2}}$.",
        "Thus the answer is $\\boxed{\\frac{1}{2}}$.",
        "I get $\\boxed{0.5}$.",
        "So $\\boxed{\\frac{1}{3}}$.",
        "Hence \\boxed{\\frac{1}{2}}.",
    ]
    golds = ["\\frac{1}{2}"] * 4 + ["\\frac{1}{3}"]
    alone = [reward(completions=[c], answer=[g])[0] for c, g in zip(completions, golds, strict=True)]
    calls: list[object] = []
    prepared = judge._prepared
    monkeypatch.setattr(judge, "_prepared", lambda *args: calls.append(args) or prepared(*args))
    assert reward(completions=completions, answer=golds) == alone == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert len(calls) == 4  # 1/2 against 1/2 (three times), 0.5, 1/3 against 1/2, 1/2 against 1/3


def test_fast_path_keeps_plain_numbers_out_of_the_pool(reward: MathAccuracyReward) -> None:
    before = reward.executor.stats
    reward(completions=[f"\\boxed{{{n}}}" for n in range(50)], answer=[str(n) for n in range(50)])
    after = reward.executor.stats
    assert after.pool_judgements == before.pool_judgements
    assert after.items == before.items  # decided in the calling process: nothing reached the executor


def test_pickles_and_keeps_its_name() -> None:
    copy = pickle.loads(pickle.dumps(MathAccuracyReward(fallback="last_number", name="gsm8k")))
    assert copy.__name__ == "gsm8k" and copy.config.fallback == "last_number"
    assert copy(completions=["it is 5"], answer=["5"]) == [1.0]
    copy.close()


# Hostile inputs: each returns within the deadline + 0.5 s and nothing escapes.
TOWER = "5^{5^{5^{5^{5}}}}"
HOSTILE = {
    "tower-in-answer": ("\\boxed{\\dfrac{" + TOWER + "-5}{16}}", "3"),
    "tower-in-gold": ("\\boxed{3}", TOWER),
    "tower-symbolic": ("\\boxed{x^{" + TOWER + "}}", "x"),
    "sum-100k-chars": ("\\boxed{" + "+".join(["1"] * 50_000) + "}", "50000"),
    "fraction-2000-deep": ("\\boxed{" + "\\frac{1}{" * 2000 + "2" + "}" * 2000 + "}", "1"),
    "braces-50k": ("\\boxed{" + "{" * 50_000 + "1" + "}" * 50_000 + "}", "1"),
    "completion-1M-chars": ("x" * 1_000_000 + "\\boxed{4}", "4"),
    "nul-bytes": ("\\boxed{4\x00}\x00", "4"),
    "lone-surrogates": ("\\boxed{4\ud800}\udfff", "4"),
    "huge-exponent": ("\\boxed{3e999999999}", "3"),
    "factorial-tower": ("\\boxed{(10^{10})!}", "1"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_returns_within_the_deadline(reward: MathAccuracyReward, name: str) -> None:
    completion, gold = HOSTILE[name]
    start = time.monotonic()
    (score,) = reward(completions=[completion], answer=[gold])
    elapsed = time.monotonic() - start
    assert score in (0.0, 1.0, None)
    assert elapsed < DEADLINE + 0.5, f"{name} took {elapsed:.2f} s"


def test_hostile_batch_from_a_thread_leaves_the_main_thread_running() -> None:
    reward = MathAccuracyReward(timeout=DEADLINE)  # fresh: nothing cached from the tests above
    reward(completions=["\\boxed{\\sin^2 x}"], answer=["1-\\cos^2 x"])  # start the workers
    completions = [c for c, _ in HOSTILE.values()] + ["\\boxed{2\\sqrt{2}}"]
    golds = [g for _, g in HOSTILE.values()] + ["\\sqrt{8}"]
    result: list[list[float | None]] = []
    worker = threading.Thread(target=lambda: result.append(reward(completions=completions, answer=golds)))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    worker.start()
    ticks = 0
    while worker.is_alive():  # the main thread keeps running meanwhile
        ticks += 1
        time.sleep(0.01)
    elapsed = time.monotonic() - start
    assert result and len(result[0]) == len(completions)
    assert result[0][-1] == 1.0  # the honest item after the hostile ones
    assert ticks > 10
    # All items share the pool (2 workers per CPU at most): bounded by the hostile ones that time out.
    assert elapsed < len(completions) * (DEADLINE + 0.5)
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert rss_growth_mb < 200, f"the calling process grew by {rss_growth_mb:.0f} MB"
    assert reward.executor.stats.timeouts >= 1  # the towers were cut off, not computed
    reward.close()
