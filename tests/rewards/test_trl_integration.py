"""rlvr rewards inside a real TRL GRPOTrainer run: a tiny Qwen2 built from a config, no downloads.

This is the contract test for the reward signature: TRL calls our rewards with its keywords
(completion_ids, trainer_state, log_metric, log_extra), turns None into NaN, and logs our metrics.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra (pip install 'rlvr[trl]')")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")

from rlvr.rewards import MathAccuracyReward, Reward, combine, tag_count, think_format  # noqa: E402
from rlvr.rewards.base import Item  # noqa: E402
from rlvr.verifiers.verdict import Verdict  # noqa: E402

SPECIALS = ["<pad>", "<eos>", "<unk>", "<think>", "</think>"]
CHARS = list("abcdefghijklmnopqrstuvwxyz0123456789 +-*/=?.:\n")


def tiny_tokenizer():  # type: ignore[no-untyped-def]
    """A character-level tokenizer with the think tags as single tokens."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(SPECIALS + CHARS)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    wrapped.add_special_tokens({"additional_special_tokens": ["<think>", "</think>"]})
    return wrapped


def tiny_model(vocab_size: int):  # type: ignore[no-untyped-def]
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=128,
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=1,
    )
    return Qwen2ForCausalLM(config)


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
    tokenizer = tiny_tokenizer()
    model = tiny_model(len(tokenizer))
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
        use_cpu=True,
        bf16=False,
        report_to="none",
        beta=0.0,
        save_strategy="no",
        log_completions=False,
        dataloader_num_workers=0,
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
