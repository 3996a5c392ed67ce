"""The ``code_execution`` reward: TRL signature, columns, scores, all-or-nothing, failing closed, CLI."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rlvr.rewards import (
    REWARDS,
    CodeExecutionConfig,
    CodeExecutionReward,
    MissingColumnError,
    get_reward_spec,
)

pytestmark = pytest.mark.timeout(240)

ADD = {
    "language": "python",
    "entry_point": "add",
    "cases": [{"args": [1, 2], "expected": 3}, {"args": [2, 2], "expected": 4}],
}
SQUARE = {"cases": [{"stdin": "3\n", "stdout": "9"}, {"stdin": "4\n", "stdout": "16"}], "time_limit": 1.0}
GOOD_ADD = "```python\ndef add(a, b):\n    return a + b\n```"
HALF_ADD = "```python\ndef add(a, b):\n    return 3\n```"


@pytest.fixture(scope="module")
def reward() -> Iterator[CodeExecutionReward]:
    reward = CodeExecutionReward(workers=2)
    yield reward
    reward.close()


def test_fraction_of_cases(reward: CodeExecutionReward) -> None:
    completions = [
        GOOD_ADD,
        HALF_ADD,
        "def add(a, b): return a - b",
        "```python\nprint(int(input()) ** 2)\n```",
    ]
    scores = reward(completions=completions, verification_info=[ADD, ADD, ADD, SQUARE])
    assert scores == [1.0, 0.5, 0.0, 1.0]


def test_chat_completions_and_json_string_info(reward: CodeExecutionReward) -> None:
    chat = [[{"role": "assistant", "content": GOOD_ADD}]]
    assert reward(
        prompts=[[{"role": "user", "content": "add"}]], completions=chat, verification_info=[json.dumps(ADD)]
    ) == [1.0]


def test_all_or_nothing() -> None:
    strict = CodeExecutionReward(all_or_nothing=True, workers=1)
    try:
        assert strict(completions=[GOOD_ADD, HALF_ADD], verification_info=[ADD, ADD]) == [1.0, 0.0]
    finally:
        strict.close()


def test_reasons_reach_log_extra(reward: CodeExecutionReward) -> None:
    logged: dict[str, list[Any]] = {}
    metrics: dict[str, float] = {}
    scores = reward(
        completions=[HALF_ADD, GOOD_ADD],
        verification_info=[ADD, {"cases": "nope"}],
        log_extra=lambda key, values: logged.__setitem__(key, values),
        log_metric=lambda key, value: metrics.__setitem__(key, value),
    )
    assert scores == [0.5, None]
    reasons = logged["code_execution/reason"]
    assert reasons[0] == "1/2 cases passed; case 2: WA (returned 3)"
    assert reasons[1].startswith("invalid verification_info")
    assert metrics["rewards/code_execution/unjudged_frac"] == 0.5


def test_missing_column_is_a_clear_error(reward: CodeExecutionReward) -> None:
    with pytest.raises(MissingColumnError, match="verification_info"):
        reward(completions=[GOOD_ADD], answer=["3"])


def test_other_info_column() -> None:
    other = CodeExecutionReward(info_column="tests", workers=1)
    try:
        assert other(completions=[GOOD_ADD], tests=[ADD]) == [1.0]
    finally:
        other.close()


def test_identical_items_run_once(reward: CodeExecutionReward) -> None:
    assert reward(completions=[GOOD_ADD] * 8, verification_info=[ADD] * 8) == [1.0] * 8


def test_sandbox_unavailable_gives_none_for_every_item() -> None:
    broken = CodeExecutionReward(python="/nonexistent/python3", workers=1)
    scores = broken(completions=[GOOD_ADD, HALF_ADD], verification_info=[ADD, ADD])
    assert scores == [None, None]
    assert broken.judge(None, [GOOD_ADD], verification_info=[ADD])[0].reason.startswith("sandbox unavailable")


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="workers"):
        CodeExecutionConfig(workers=0)
    with pytest.raises(ValueError, match="python must be an absolute path"):
        CodeExecutionConfig(python="python3")
    with pytest.raises(ValueError, match="unknown option"):
        REWARDS["code"].create({"colour": "red"})


def test_limits_from_the_dataset_are_capped() -> None:
    capped = CodeExecutionReward(max_time_limit=0.5, workers=1)
    try:
        info = {**SQUARE, "time_limit": 1000}
        assert capped._task(info).time_limit == 0.5
        assert capped(completions=["while True:\n    pass\n"], verification_info=[info]) == [0.0]
    finally:
        capped.close()


def test_pickle_and_registry(reward: CodeExecutionReward) -> None:
    copy = pickle.loads(pickle.dumps(reward))
    assert copy.config == reward.config and copy._sandbox is None
    try:
        assert copy(completions=[GOOD_ADD], verification_info=[ADD]) == [1.0]
    finally:
        copy.close()
    spec = get_reward_spec("code")
    assert spec is get_reward_spec("code_execution") and spec.reward_class is CodeExecutionReward


def test_cli_scores_the_bundled_example(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "rlvr.cli", "score", "code", "--example", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) >= 12
    for row in rows:
        assert row["reward"] == row["expected"]["code_execution"], row
    assert any(row["id"].startswith("hack-") for row in rows) and any(row["reward"] == 1.0 for row in rows)
