"""Shared pieces of the tests running rlvr's GRPOTrainer and TRL's side by side on a tiny model, offline.

- :func:`make_trainer`: a tiny Qwen2 from a config (seed 0, saved to disk for the reference model), the same
  data and settings for both trainers; two steps, ``num_iterations=2`` so that the second step is off-policy
  and clipping engages.
- :class:`Sampler`: plays the part of vLLM, which cannot run here, through TRL's public ``rollout_func``: it
  returns completions and the sampler's own log-probs (the policy's, perturbed as a different engine's would
  be, with an unscorable token now and then). :func:`as_vllm` then switches the trainer's vLLM flags on, so
  TRL's generation step computes its importance-sampling ratios from them exactly as with vLLM.
- :func:`compare_with_trl`: the same batch through both loss paths (values and gradients), then the logged
  losses, metrics and parameters of two whole runs.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")
datasets = pytest.importorskip("datasets", reason="needs the [trl] extra")

from rlvr.integrations.tiny import CPU_RUN_SETTINGS, TinyModelConfig, build_tiny  # noqa: E402
from rlvr.integrations.trl import GRPOConfig, GRPOTrainer  # noqa: E402

MODEL = TinyModelConfig(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1)
ALPHABET = "0123456789+="
PAIRS = [(1, 2), (3, 4), (2, 2), (5, 1)]
#: Logged metrics compared with TRL's whenever both trainers log them.
SHARED_METRICS = (
    "kl",
    "entropy",
    "clip_ratio/low_mean",
    "clip_ratio/high_mean",
    "clip_ratio/region_mean",
    "cispo_clip_ratio",
    "vespo/phi_seq_mean",
    "entropy_coef",
    "sampling/importance_sampling_ratio/mean",
    "sampling/importance_sampling_ratio/min",
    "sampling/importance_sampling_ratio/max",
    "sampling/sampling_logp_difference/mean",
)


def dataset() -> Any:
    return datasets.Dataset.from_dict(
        {"prompt": [f"{a}+{b}=<think>" for a, b in PAIRS], "answer": [str(a + b) for a, b in PAIRS]}
    )


def length_reward(completions: list[str], **_: Any) -> list[float]:
    """Deterministic and varied within a group: enough for non-zero advantages."""
    return [float(len(c) % 3) for c in completions]


def make_trainer(
    tmp_path: Path,
    trainer_class: type = GRPOTrainer,
    *,
    reward_funcs: list[Any] | None = None,
    rollout_func: Any = None,
    with_eval: bool = False,
    **overrides: Any,
) -> Any:
    """A tiny trainer; every model is the same random init (seed 0), saved to disk for the reference.
    ``with_eval`` gives it the training prompts as an evaluation set too."""
    model, tokenizer = build_tiny(MODEL, alphabet=ALPHABET, save_dir=tmp_path / "model")
    config_class = GRPOConfig if trainer_class is GRPOTrainer else trl.GRPOConfig
    settings: dict[str, Any] = {
        "output_dir": str(tmp_path / "out"),
        "per_device_train_batch_size": 8,
        "num_generations": 4,
        "max_completion_length": 8,
        "max_steps": 2,
        "learning_rate": 0.05,
        "optim": "sgd",  # Adam would amplify float rounding in near-zero gradients into visible updates
        "logging_steps": 1,
        **CPU_RUN_SETTINGS,
        "seed": 0,
        "beta": 0.04,
        "epsilon": 0.05,  # narrow, so the clipped regions are reached in two small steps
        "num_iterations": 2,  # the second step reuses the batch: ratios move away from 1 and clipping engages
        "use_bias_correction_kl": False,
    }
    settings.update(overrides)
    args = config_class(**settings)
    extra: dict[str, Any] = {} if rollout_func is None else {"rollout_func": rollout_func}
    if with_eval:
        extra["eval_dataset"] = dataset()
    return trainer_class(
        model=model,
        reward_funcs=reward_funcs or [length_reward],
        args=args,
        train_dataset=dataset(),
        processing_class=tokenizer,
        **extra,
    )


class Sampler:
    """A stand-in for vLLM behind TRL's ``rollout_func``: fixed pseudo-random completions per prompt (so both
    trainers see the same ones) and, as the sampler's log-probs, the policy's own log-probs of those tokens
    plus Gaussian noise of ``spread`` nats (a different engine's numerics), ``None`` for every ``gap``-th
    token (vLLM's unscorable token)."""

    def __init__(self, spread: float = 0.15, gap: int = 11) -> None:
        self.spread, self.gap = spread, gap

    def __call__(self, prompts: list[str], trainer: Any) -> dict[str, list[Any]]:
        tokenizer = trainer.processing_class
        digits = [tokenizer.convert_tokens_to_ids(c) for c in "0123456789"]
        prompt_ids: list[list[int]] = []
        completion_ids: list[list[int]] = []
        seen: dict[str, int] = {}
        for prompt in prompts:
            seen[prompt] = seen.get(prompt, 0) + 1
            gen = torch.Generator().manual_seed(zlib.crc32(prompt.encode()) * 31 + seen[prompt])
            length = int(torch.randint(2, trainer.max_completion_length + 1, (1,), generator=gen))
            tokens = [digits[int(i)] for i in torch.randint(0, 10, (length,), generator=gen)]
            if length < trainer.max_completion_length:
                tokens[-1] = tokenizer.eos_token_id
            prompt_ids.append(tokenizer(prompt)["input_ids"])
            completion_ids.append(tokens)
        logprobs = self._logprobs(trainer, prompt_ids, completion_ids)
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs}

    def _logprobs(self, trainer: Any, prompts: list[list[int]], completions: list[list[int]]) -> list[Any]:
        model = trainer.model
        rows: list[list[float | None]] = []
        with torch.no_grad():
            for index, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
                ids = torch.tensor([prompt + completion])
                logits = model(input_ids=ids).logits[0, len(prompt) - 1 : -1].float()
                logps = torch.log_softmax(logits, -1).gather(-1, torch.tensor(completion)[:, None])[:, 0]
                gen = torch.Generator().manual_seed(1000 + index + 97 * sum(completion))
                noisy = logps + self.spread * torch.randn(len(completion), generator=gen)
                rows.append([None if (index + t) % self.gap == 0 else float(v) for t, v in enumerate(noisy)])
        return rows


class _NoWeightSync:
    """vLLM's weight sync has nothing to do: the :class:`Sampler` reads the policy's weights directly."""

    def sync_weights(self) -> None:
        return None


def as_vllm(trainer: Any) -> Any:
    """Switch the trainer's vLLM flags on after construction (building with ``use_vllm=True`` would start a
    vLLM engine): TRL's generation step then always recomputes the old log-probs and turns the sampler's
    log-probs into importance-sampling ratios per ``vllm_importance_sampling_mode``, as with vLLM."""
    trainer.use_vllm = True
    trainer.args.use_vllm = True
    trainer.vllm_generation = _NoWeightSync()
    trainer._last_loaded_step = -1
    return trainer


def logged(trainer: Any, key: str) -> list[float]:
    return [entry[key] for entry in trainer.state.log_history if key in entry and "train_loss" not in entry]


def loss_and_grads(trainer: Any, compute: Any, inputs: dict[str, Any]) -> tuple[float, list[torch.Tensor]]:
    trainer.model.zero_grad()
    loss = compute(trainer, trainer.model, inputs)
    loss.backward()
    return loss.item(), [p.grad.detach().clone() for p in trainer.model.parameters()]


def same_batch(ours: Any, inputs: dict[str, Any]) -> None:
    """TRL's ``_compute_loss`` and rlvr's on the same (off-policy) batch: the same value and gradients. TRL's
    adaptive entropy state is restored afterwards (its loss moves it)."""
    state = (ours.entropy_coef, ours._last_world_entropy, ours._entropy_window_stats)
    ours.model.train()
    value, grads = loss_and_grads(ours, type(ours)._compute_loss, inputs)
    ours.entropy_coef, ours._last_world_entropy, ours._entropy_window_stats = state
    trl_value, trl_grads = loss_and_grads(ours, trl.GRPOTrainer._compute_loss, inputs)
    ours.entropy_coef, ours._last_world_entropy, ours._entropy_window_stats = state
    assert value == pytest.approx(trl_value, rel=1e-5, abs=1e-7)
    for mine, reference in zip(grads, trl_grads, strict=True):
        torch.testing.assert_close(mine, reference, rtol=1e-4, atol=1e-6)


def compare_with_trl(ours: Any, theirs: Any, *, steps: int = 2) -> None:
    """Two finished runs from the same seed: the same logged losses and metrics, the same parameters."""
    assert len(logged(ours, "loss")) == steps
    assert logged(ours, "loss") == pytest.approx(logged(theirs, "loss"), rel=1e-5, abs=1e-7)
    sequence_level = ours.args.importance_sampling_level == "sequence"
    for key in SHARED_METRICS:
        if sequence_level and key.startswith("clip_ratio"):
            continue  # TRL counts sequences there, rlvr counts tokens
        mine, reference = logged(ours, key), logged(theirs, key)
        assert len(mine) == len(reference), key
        assert mine == pytest.approx(reference, rel=1e-5, abs=1e-6), key
    worst = max(
        (mine - reference).abs().max().item()
        for mine, reference in zip(ours.model.parameters(), theirs.model.parameters(), strict=True)
    )
    assert worst <= 1e-6, worst
    moved = max(
        (mine - start).abs().max().item()
        for mine, start in zip(ours.model.parameters(), fresh_parameters(), strict=True)
    )
    assert moved > 1e-4  # the runs did train


def fresh_parameters() -> list[torch.Tensor]:
    model, _ = build_tiny(MODEL, alphabet=ALPHABET)
    return [p.detach() for p in model.parameters()]


def finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)
