"""vLLM's importance-sampling correction, every mode TRL offers, through rlvr's trainer and TRL's.

No vLLM can run here, so the test goes where TRL consumes the sampler's log-probs: a ``rollout_func`` (TRL's
public hook) returns completions with the sampler's log-probs (the policy's plus noise, some unscorable),
and the trainer's vLLM flags are switched on after construction. TRL's generation step then recomputes the
old log-probs and turns the sampler's into importance-sampling ratios per ``vllm_importance_sampling_mode``
exactly as with vLLM, and both loss paths get the same batch (``sampling_per_token_logps`` included): the
same batch through both (values, gradients), then two whole runs (logged losses and metrics, parameters).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")

from trl_harness import Sampler, as_vllm, compare_with_trl, logged, make_trainer, same_batch  # noqa: E402

from rlvr.integrations.trl import GRPOTrainer, loss_options_from_args  # noqa: E402

BOUNDS = {"vllm_importance_sampling_clip_min": 0.8, "vllm_importance_sampling_clip_max": 1.25}

MODES = [
    pytest.param("token_truncate", {"loss_type": "grpo"}, id="token_truncate-grpo"),
    pytest.param("token_mask", {"loss_type": "grpo"}, id="token_mask-grpo"),
    pytest.param("sequence_truncate", {"loss_type": "grpo"}, id="sequence_truncate-grpo"),
    pytest.param("sequence_mask", {"loss_type": "grpo"}, id="sequence_mask-grpo"),
    pytest.param("token_truncate", {"loss_type": "vespo"}, id="token_truncate-vespo"),
    pytest.param("token_mask", {"loss_type": "vespo"}, id="token_mask-vespo"),
    pytest.param(
        "sequence_mask", {"loss_type": "dapo", "off_policy_mask_threshold": 0.001}, id="sequence_mask-opsm"
    ),
    pytest.param("token_truncate", {"loss_type": "cispo", "epsilon_high": 1.02}, id="token_truncate-cispo"),
    pytest.param("sequence_truncate", {"loss_type": "sapo"}, id="sequence_truncate-sapo"),
    pytest.param(
        "token_mask",
        {"loss_type": "luspo", "importance_sampling_level": "sequence", "top_entropy_quantile": 0.5},
        id="token_mask-luspo",
    ),
    pytest.param(
        "sequence_truncate",
        {"loss_type": "bnpo", "gradient_accumulation_steps": 2, "per_device_train_batch_size": 4},
        id="sequence_truncate-bnpo-accumulation",
    ),
]


def _pair(tmp_path: Path, mode: str, overrides: dict[str, Any]) -> tuple[Any, Any]:
    settings = {
        "vllm_importance_sampling_correction": True,
        "vllm_importance_sampling_mode": mode,
        **BOUNDS,
        **overrides,
    }
    # build and train one after the other: each trainer seeds the global RNG, which shuffles the batch
    ours = as_vllm(make_trainer(tmp_path / "ours", GRPOTrainer, rollout_func=Sampler(), **settings))
    ours.train()
    theirs = as_vllm(make_trainer(tmp_path / "theirs", trl.GRPOTrainer, rollout_func=Sampler(), **settings))
    theirs.train()
    return ours, theirs


@pytest.mark.parametrize(("mode", "overrides"), MODES)
def test_vllm_correction_equals_trl(tmp_path: Path, mode: str, overrides: dict[str, Any]) -> None:
    ours, theirs = _pair(tmp_path, mode, overrides)
    unscorable = [
        torch.isnan(batch["sampling_per_token_logps"][batch["completion_mask"].bool()]).any()
        for batch in ours._buffered_inputs
    ]
    assert any(unscorable)  # NaN sampler log-probs reach the loss
    assert ours._step_loss_options().sampler_correction == mode
    same_batch(ours, ours._buffered_inputs[0])
    compare_with_trl(ours, theirs)
    # the correction did something: weights away from 1, clipped at a bound, or masked
    low = min(logged(ours, "sampling/importance_sampling_ratio/min"))
    high = max(logged(ours, "sampling/importance_sampling_ratio/max"))
    if mode.endswith("mask"):
        assert low == 0.0 < high
    else:
        assert low < 1.0 < high
        bounds = (BOUNDS["vllm_importance_sampling_clip_min"], BOUNDS["vllm_importance_sampling_clip_max"])
        assert low == pytest.approx(bounds[0]) or high == pytest.approx(bounds[1])


def test_correction_changes_the_loss(tmp_path: Path) -> None:
    """On the same batch, rlvr's loss with the correction differs from its loss without it (the weights are
    really applied), and turning the trainer's vLLM flag off (as TRL reads it at every step) removes it."""
    ours = as_vllm(
        make_trainer(
            tmp_path,
            GRPOTrainer,
            rollout_func=Sampler(spread=0.4),
            vllm_importance_sampling_correction=True,
            vllm_importance_sampling_mode="token_mask",
            **BOUNDS,
        )
    )
    ours.train()
    inputs = ours._buffered_inputs[0]
    corrected = ours._compute_loss(ours.model, inputs).item()
    ours.use_vllm = False
    assert ours._step_loss_options().sampler_correction is None
    plain = ours._compute_loss(ours.model, inputs).item()
    assert not math.isclose(corrected, plain, rel_tol=1e-4, abs_tol=1e-7)


def test_off_policy_mask_reads_the_sampler_log_probs(tmp_path: Path) -> None:
    """Without the correction, a rollout returning log-probs still feeds DeepSeek-V3.2's mask (as in TRL)."""
    overrides = {"loss_type": "dapo", "off_policy_mask_threshold": 0.0, "beta": 0.0}
    ours = make_trainer(tmp_path / "ours", GRPOTrainer, rollout_func=Sampler(spread=0.4), **overrides)
    ours.train()
    theirs = make_trainer(tmp_path / "theirs", trl.GRPOTrainer, rollout_func=Sampler(spread=0.4), **overrides)
    theirs.train()
    assert "sampling_per_token_logps" in ours._buffered_inputs[0]
    same_batch(ours, ours._buffered_inputs[0])
    compare_with_trl(ours, theirs)
    masked = logged(ours, "off_policy/masked_mean")
    assert masked[0] > 0  # on-policy first step: only the sampler's log-probs can trigger the mask


def test_vespo_needs_a_token_level_correction(tmp_path: Path) -> None:
    common = {"output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "report_to": "none"}
    args = trl.GRPOConfig(
        **common, loss_type="vespo", use_vllm=True, vllm_importance_sampling_mode="sequence_mask"
    )
    with pytest.raises(ValueError, match="vllm_importance_sampling_mode='token_truncate' or 'token_mask'"):
        loss_options_from_args(args)
    args.vllm_importance_sampling_correction = False
    assert loss_options_from_args(args).sampler_correction is None
    args.vllm_importance_sampling_correction, args.vllm_importance_sampling_mode = True, "token_mask"
    assert loss_options_from_args(args).sampler_correction == "token_mask"
