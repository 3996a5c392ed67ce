"""rlvr rewards inside a real TRL GRPOTrainer run: a tiny Qwen2 built from a config, no downloads.

This is the contract test for the reward signature: TRL calls our rewards with its keywords
(completion_ids, trainer_state, log_metric, log_extra), turns None into NaN, and logs our metrics.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra (pip install '.[trl]' in rlvr's checkout)")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")

from rlvr.integrations.tiny import CPU_RUN_SETTINGS, TinyModelConfig, build_tiny  # noqa: E402
from rlvr.rewards import MathAccuracyReward, Reward, combine, tag_count, think_format  # noqa: E402
from rlvr.rewards.base import Item  # noqa: E402
from rlvr.verifiers.verdict import Verdict  # noqa: E402

TINY = TinyModelConfig(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1)


class EveryOtherNone(Reward):
    """Scores 1.0, but declares every other item unjudgeable: exercises TRL's None handling."""

    default_name = "every_other_none"
    config_class = type(think_format.config)
    required_columns = ("answer",)

    def judge_batch(self, items: list[Item]) -> list[Verdict]:  # type: ignore[override]
        return [Verdict(1.0) if i % 2 == 0 else Verdict.unjudged("odd item") for i in range(len(items))]


@pytest.mark.timeout(240)
def test_rlvr_rewards_train_inside_grpo_trainer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import Dataset

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    model, tokenizer = build_tiny(TINY)
    dataset = Dataset.from_dict(
        {
            "prompt": ["what is 1+1?", "what is 2+2?", "what is 3+3?", "what is 4+4?"] * 2,
            "answer": ["2", "4", "6", "8"] * 2,
        }
    )
    r1_format = combine(
        {"format": think_format, "tags": tag_count},
        weights={"tags": 0.5},
        gates={"tags": "format"},
        name="r1_format",
    )
    accuracy = MathAccuracyReward(fallback="last_number", name="accuracy")  # reads the "answer" column
    args = trl.GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=12,
        max_steps=2,
        learning_rate=1e-3,
        logging_steps=1,
        beta=0.0,
        log_completions=False,
        **CPU_RUN_SETTINGS,
    )
    trainer = trl.GRPOTrainer(
        model=model,
        reward_funcs=[think_format, tag_count, r1_format, EveryOtherNone(), accuracy],
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
    )
    trainer.train()
    logged = {key for entry in trainer.state.log_history for key in entry}
    accuracy.close()
    for name in ("think_format", "tag_count", "r1_format", "every_other_none", "accuracy"):
        assert f"rewards/{name}/mean" in logged
        assert f"rewards/{name}/unjudged_frac" in logged or name == "r1_format"
    assert "rewards/r1_format/format" in logged and "rewards/r1_format/tags/unjudged_frac" in logged
    fractions = [
        e["rewards/every_other_none/unjudged_frac"]
        for e in trainer.state.log_history
        if "rewards/every_other_none/unjudged_frac" in e
    ]
    assert fractions and all(f == pytest.approx(0.5) for f in fractions)
    means = [
        e["rewards/every_other_none/mean"]
        for e in trainer.state.log_history
        if "rewards/every_other_none/mean" in e
    ]
    assert means and all(m == pytest.approx(1.0) for m in means)  # the None items were left out, not zeroed
    reasons = list(trainer._logs["extra"]["every_other_none/reason"])  # what log_extra received
    assert reasons and set(reasons) == {"", "odd item"}
    assert len(trainer._logs["extra"]["think_format/reason"]) == len(reasons)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
