"""The benchmark-evaluation callback inside a real TRL GRPOTrainer run: a tiny Qwen2 built from a config
with a character-level tokenizer, no downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra (pip install '.[trl]' in rlvr's checkout)")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")

from rlvr.integrations.eval_callback import (  # noqa: E402
    BenchmarkEvalCallback,
    EvalCallbackConfig,
    generate_completions,
    render_prompts,
)
from rlvr.integrations.tiny import CPU_RUN_SETTINGS, TinyModelConfig, build_tiny  # noqa: E402
from rlvr.rewards import MathAccuracyReward  # noqa: E402

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 +-*/=?.,:$\\{}\n"

TINY = TinyModelConfig(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1)


def test_config_is_validated() -> None:
    with pytest.raises(KeyError, match="unknown benchmark"):
        EvalCallbackConfig(benchmark="mmlu")
    with pytest.raises(ValueError, match="question"):
        EvalCallbackConfig(prompt_template="no placeholder")
    with pytest.raises(ValueError, match="problems"):
        EvalCallbackConfig(problems=0)
    with pytest.raises(TypeError):
        BenchmarkEvalCallback(EvalCallbackConfig(), problems=3)


def test_generation_is_greedy_restores_state_and_feeds_the_grader() -> None:
    model, tokenizer = build_tiny(TINY, alphabet=ALPHABET)
    tokenizer.padding_side = "right"
    prompts = render_prompts(tokenizer, ["what is 1+1?", "2+2?"], "q: {question}\na:", None)
    first = generate_completions(model, tokenizer, prompts, max_new_tokens=6, batch_size=1)
    again = generate_completions(model, tokenizer, prompts, max_new_tokens=6, batch_size=2)
    assert first == again and len(first) == 2  # greedy: the same with other batching and padding
    assert model.training and tokenizer.padding_side == "right"
    callback = BenchmarkEvalCallback(benchmark="gsm8k", problems=3, max_new_tokens=4, every_n_steps=1)
    try:
        report = callback.evaluate_model(model, tokenizer)
    finally:
        callback.on_train_end(None, None, None)
    assert report.n_problems == 3 and report.n_samples == 3 and report.missing_problems == []
    metrics = callback.metrics(report)
    assert set(metrics) == {
        "rlvr_eval/gsm8k/accuracy",
        "rlvr_eval/gsm8k/no_answer_frac",
        "rlvr_eval/gsm8k/seconds",
    }


def test_logged_accuracy_is_the_reports_accuracy_missing_problems_unsolved() -> None:
    """The logged accuracy is the report's (issue 18: int k keys; a missing problem counts 0)."""
    from rlvr.eval import evaluate, load_benchmark

    bench = load_benchmark("amc23").subset(4)
    predictions = [{"idx": 0, "completion": f"\\boxed{{{bench[0].answer}}}"}, {"idx": 1, "completion": "no"}]
    report = evaluate(bench, predictions)
    metrics = BenchmarkEvalCallback(benchmark="amc23", problems=4).metrics(report)
    assert metrics["rlvr_eval/amc23/accuracy"] == report.accuracy == report.pass_at_k[1] == 0.25
    assert metrics["rlvr_eval/amc23/no_answer_frac"] == 0.5  # of the 2 completions, not of the 4 problems


@pytest.mark.timeout(240)
def test_callback_logs_benchmark_accuracy_during_grpo_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasets import Dataset
    from transformers import TrainerCallback

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")
    model, tokenizer = build_tiny(TINY, alphabet=ALPHABET)
    dataset = Dataset.from_dict({"prompt": ["what is 1+1?", "what is 2+2?"] * 2, "answer": ["2", "4"] * 2})
    accuracy = MathAccuracyReward(fallback="last_number", name="accuracy")
    args = trl.GRPOConfig(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=2,
        learning_rate=1e-3,
        logging_steps=1,
        beta=0.0,
        log_completions=False,
        **CPU_RUN_SETTINGS,
    )
    trainer = trl.GRPOTrainer(
        model=model, reward_funcs=[accuracy], args=args, train_dataset=dataset, processing_class=tokenizer
    )
    callback = BenchmarkEvalCallback(
        benchmark="amc23", every_n_steps=1, problems=2, max_new_tokens=6, eval_on_start=True, trainer=trainer
    )
    trainer.add_callback(callback)
    seen: list[dict[str, float]] = []

    class Watcher(TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if logs and "rlvr_eval/amc23/accuracy" in logs:
                seen.append(dict(logs))

    trainer.add_callback(Watcher())
    try:
        trainer.train()
    finally:
        accuracy.close()
    entries = [e for e in trainer.state.log_history if "rlvr_eval/amc23/accuracy" in e]
    assert [e["step"] for e in entries] == [0, 1, 2]  # before training, then every step
    assert all(0.0 <= e["rlvr_eval/amc23/accuracy"] <= 1.0 for e in entries)
    assert len(seen) == 3  # the reporting callbacks received them too
    assert len(callback.reports) == 3 and all(r.n_samples == 2 for r in callback.reports)
    assert any("rewards/accuracy/mean" in e for e in trainer.state.log_history)  # GRPO's own logging intact
    assert trainer.model.training
