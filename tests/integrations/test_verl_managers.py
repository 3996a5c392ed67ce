"""verl's own reward-manager code calling rlvr's compute_score: the legacy naive and batch managers, the
reward loop's manager (loaded from config the way verl loads it) and the reward loop itself on Ray.

Needs verl (``pip install -e ".[dev,verl]"``); its pins differ from TRL's, so ``.ci/run`` runs this file in
an environment of its own with ``RLVR_REQUIRE_VERL=1``, where a missing verl is a failure, not a skip.
"""

from __future__ import annotations

import os
import string
import time
from pathlib import Path
from typing import Any

import pytest

if os.environ.get("RLVR_REQUIRE_VERL"):
    import verl  # noqa: F401
else:
    pytest.importorskip(
        "verl", reason="verl is not installed (.ci/run runs these tests in their own environment)"
    )

import numpy as np
import torch
from omegaconf import OmegaConf
from verl import DataProto

TOWER = r"\boxed{\dfrac{5^{5^{5^{5^{5}}}}-5}{16}}"
ADD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
TACO = '{"inputs": ["1 2\\n", "20 22\\n"], "outputs": ["3\\n", "42\\n"]}'

#: (data_source, prompt, response, ground_truth, extra_info, expected score, expected acc)
ROWS: list[tuple[str, str, str, str, dict[str, Any], float, float | None]] = [
    ("openai/gsm8k", "Q: 3+4?", "3+4=7 #### 7", "7", {"split": "test"}, 1.0, 1.0),
    ("openai/gsm8k", "Q: 3+5?", "#### 9", "8", {"split": "test"}, 0.0, 0.0),
    ("HuggingFaceH4/MATH-500", "Q: half?", r"so $\boxed{\frac{1}{2}}$", "0.5", {}, 1.0, 1.0),
    ("aime2024", "Q?", r"\boxed{203}", "204", {}, 0.0, 0.0),
    ("codecontests", "Add two numbers.", ADD, TACO, {}, 1.0, 1.0),
    ("taco", "Add.", ADD, "no tests here", {}, 0.0, None),
]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from rlvr.integrations.tiny import build_tokenizer

    return build_tokenizer(string.printable)


def make_batch(tokenizer: Any, rows: list[tuple[Any, ...]]) -> DataProto:
    """A DataProto as verl's rollout leaves it: left-padded prompts, right-padded responses."""
    prompts = [tokenizer(r[1], add_special_tokens=False)["input_ids"] for r in rows]
    responses = [tokenizer(r[2], add_special_tokens=False)["input_ids"] for r in rows]
    width_p, width_r = max(map(len, prompts)), max(map(len, responses)) + 3
    pad = tokenizer.pad_token_id
    prompt_ids = torch.tensor([[pad] * (width_p - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (width_r - len(r)) for r in responses])
    mask = torch.tensor(
        [
            [0] * (width_p - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (width_r - len(r))
            for p, r in zip(prompts, responses, strict=True)
        ]
    )
    return DataProto.from_dict(
        tensors={
            "prompts": prompt_ids,
            "responses": response_ids,
            "input_ids": torch.cat([prompt_ids, response_ids], dim=1),
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array([r[0] for r in rows], dtype=object),
            "reward_model": np.array([{"ground_truth": r[3], "style": "rule"} for r in rows], dtype=object),
            "extra_info": np.array([dict(r[4]) for r in rows], dtype=object),
        },
    )


def last_token_rewards(reward_tensor: torch.Tensor, data: DataProto) -> list[float]:
    width = data.batch["prompts"].shape[-1]
    lengths = data.batch["attention_mask"][:, width:].sum(-1)
    return [float(reward_tensor[i, int(n) - 1]) for i, n in enumerate(lengths)]


def check(rewards: list[float], extra: dict[str, list[Any]], rows: list[tuple[Any, ...]]) -> None:
    assert rewards == [r[5] for r in rows]
    assert list(extra["acc"]) == [r[6] for r in rows]
    assert set(extra) >= {"score", "acc", "unjudged", "reason"}
    assert list(extra["unjudged"]) == [0.0 if r[6] is not None else 1.0 for r in rows]


def test_legacy_naive_manager(tokenizer: Any) -> None:
    from verl.workers.reward_manager.naive import NaiveRewardManager

    from rlvr.integrations.verl import compute_score

    manager = NaiveRewardManager(tokenizer, num_examine=0, compute_score=compute_score)
    data = make_batch(tokenizer, ROWS)
    out = manager(data, return_dict=True)
    check(last_token_rewards(out["reward_tensor"], data), out["reward_extra_info"], ROWS)
    assert out["reward_extra_info"]["reason"][-1] == "no tests in extra_info or ground_truth"


def test_legacy_batch_manager_with_the_batch_form(tokenizer: Any) -> None:
    from verl.workers.reward_manager.batch import BatchRewardManager

    from rlvr.integrations.verl import compute_score_batch

    manager = BatchRewardManager(tokenizer, num_examine=0, compute_score=compute_score_batch)
    data = make_batch(tokenizer, ROWS)
    out = manager(data, return_dict=True)
    check(last_token_rewards(out["reward_tensor"], data), out["reward_extra_info"], ROWS)
    assert data.batch["acc"].tolist() == [r[5] for r in ROWS]


def loop_config(tokenizer_dir: Path, name: str, manager: str = "naive", **reward_kwargs: Any) -> Any:
    return OmegaConf.create(
        {
            "actor_rollout_ref": {
                "model": {"path": str(tokenizer_dir), "tokenizer_path": str(tokenizer_dir)}
            },
            "reward": {
                "num_workers": 1,
                "reward_manager": {"source": "register", "name": manager, "module": {"path": None}},
                "custom_reward_function": {
                    "path": "pkg://rlvr.integrations.verl",
                    "name": name,
                    "reward_kwargs": reward_kwargs,
                },
                "reward_model": {"enable": False, "enable_resource_pool": False},
                "reward_kwargs": {},
            },
        }
    )


@pytest.fixture(scope="module")
def tokenizer_dir(tokenizer: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(path)
    return path


@pytest.mark.parametrize("name", ["compute_score", "compute_score_async"])
def test_reward_loop_worker_loads_and_runs_rlvr(tokenizer: Any, tokenizer_dir: Path, name: str) -> None:
    """verl's RewardLoopWorker (the default path): config → load_reward_manager → run_single per row."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    worker = RewardLoopWorker(loop_config(tokenizer_dir, name, workers=2))
    data = make_batch(tokenizer, ROWS)
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    rewards = [o["reward_score"] for o in outputs]
    extra = {key: [o["reward_extra_info"][key] for o in outputs] for key in outputs[0]["reward_extra_info"]}
    check(rewards, extra, ROWS)
    # what RewardLoopManager does next with them
    scores = worker.reward_manager.assemble_rm_scores(data, rewards)
    assert last_token_rewards(scores, data) == rewards
    assert {k: np.array(v) for k, v in extra.items()}["reason"].shape == (len(ROWS),)


def test_dapo_manager_adds_its_overlong_penalty_to_rlvr_scores(tokenizer: Any, tokenizer_dir: Path) -> None:
    """verl's DAPO manager: rlvr's score plus verl's overlong penalty, which equals rlvr's soft_overlong."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from rlvr.rewards.overlong import soft_overlong_penalty

    config = loop_config(tokenizer_dir, "compute_score_async", manager="dapo", workers=2)
    config.reward.reward_kwargs = {
        "max_resp_len": 30,
        "overlong_buffer_cfg": {"enable": True, "len": 10, "penalty_factor": 1.0, "log": True},
    }
    worker = RewardLoopWorker(config)
    rows = [ROWS[0], ("openai/gsm8k", "Q", "so the answer is 7. #### 7", "7", {}, 0.5, 1.0)]
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(make_batch(tokenizer, rows)))
    assert [o["reward_extra_info"]["acc"] for o in outputs] == [1.0, 1.0]
    lengths = [len(rows[0][2]), len(rows[1][2])]  # one token per character
    expected = [1.0 + soft_overlong_penalty(n, 30, 10) for n in lengths]
    assert [float(o["reward_score"]) for o in outputs] == pytest.approx(expected)
    assert expected[0] == 1.0 and expected[1] < 1.0 and bool(outputs[1]["reward_extra_info"]["overlong"])


def test_a_hanging_judgement_still_returns_the_batch_on_time(tokenizer: Any, tokenizer_dir: Path) -> None:
    """One completion sends sympy into a tower of powers: its row is unjudged at the 1 s deadline, the rest
    are scored, and the batch comes back on time — in the reward loop and in the legacy manager."""
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker
    from verl.workers.reward_manager.naive import NaiveRewardManager

    from rlvr.integrations.verl import compute_score

    rows = [
        ("math", "Q", TOWER, r"\cot x", {}, 0.0, None),
        ("math", "Q", r"\boxed{\cot x}", r"\cot x", {}, 1.0, 1.0),
        *ROWS[:3],
    ]
    data = make_batch(tokenizer, rows)
    worker = RewardLoopWorker(loop_config(tokenizer_dir, "compute_score_async", workers=2, timeout=1.0))
    started = time.monotonic()
    outputs = worker.loop.run_until_complete(worker.compute_score_batch(data))
    elapsed = time.monotonic() - started
    assert [o["reward_extra_info"]["acc"] for o in outputs] == [r[6] for r in rows]
    assert outputs[0]["reward_extra_info"]["reason"] == "timeout"
    assert elapsed < 20, elapsed  # deadline 1 s; generous for a shared 2-core machine

    manager = NaiveRewardManager(
        tokenizer, num_examine=0, compute_score=lambda **kw: compute_score(**kw, timeout=1.0)
    )
    started = time.monotonic()
    out = manager(data, return_dict=True)
    assert time.monotonic() - started < 20
    check(last_token_rewards(out["reward_tensor"], data), out["reward_extra_info"], rows)


def test_reward_loop_manager_on_ray(tokenizer: Any, tokenizer_dir: Path) -> None:
    """The whole reward loop as the trainer runs it: RewardLoopManager starts RewardLoopWorker actors on a
    local Ray cluster (127.0.0.1), each loads rlvr from the config, and rm_scores come back assembled."""
    ray = pytest.importorskip("ray")
    from verl.experimental.reward_loop.reward_loop import RewardLoopManager

    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
    try:
        manager = RewardLoopManager(loop_config(tokenizer_dir, "compute_score_async", workers=1))
        data = make_batch(tokenizer, ROWS)
        out = manager.compute_rm_score(data)
        rewards = last_token_rewards(out.batch["rm_scores"], data)
        extra = {key: out.non_tensor_batch[key].tolist() for key in out.meta_info["reward_extra_keys"]}
        check(rewards, extra, ROWS)
    finally:
        ray.shutdown()


def test_the_verl_route_runs_verls_own_scorer_under_rlvrs_deadline(tokenizer: Any) -> None:
    """``fallback="verl"`` (or a ``routes`` entry) sends a row to verl's default_compute_score, in rlvr's
    executor: verl's scorers for sets rlvr has no route for, with a hard deadline they lack."""
    from rlvr.integrations.verl import compute_score_batch

    results = compute_score_batch(
        ["searchR1_nq", "searchR1_nq", "openai/gsm8k"],
        ["<answer>Paris</answer>", "<answer>Lyon</answer>", "#### 7"],
        [{"target": ["Paris"]}, {"target": ["Paris"]}, "7"],
        [{}, {}, {}],
        fallback="verl",
        routes={"openai/gsm8k": "verl"},
        workers=1,
    )
    assert [r["score"] for r in results] == [1.0, 0.0, 1.0], results
    assert all(r["unjudged"] == 0.0 for r in results)
