"""Every TRL 1.16 loss configuration through rlvr's GRPOTrainer and TRL's, on the same tiny model, data and
seed: two real steps (``num_iterations=2``, so the second step is off-policy), the same batch through both
loss paths (values and gradients), the same logged losses and metrics, parameters within 1e-6.

The fourteen of the issue: the eight loss types, GSPO, the entropy mask, the off-policy mask, ``delta``, the
entropy bonus and the bias-corrected KL; then gradient accumulation (where the normalisers differ), adaptive
entropy control and combinations of TRL's options. Each case also checks that its option did something.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")

from trl_harness import compare_with_trl, logged, make_trainer, same_batch  # noqa: E402

from rlvr.integrations.trl import GRPOTrainer  # noqa: E402


def _positive(key: str) -> Any:
    def check(trainer: Any) -> None:
        values = logged(trainer, key)
        assert values and max(values) > 0, (key, values)

    return check


def _kept_share(share: float) -> Any:
    def check(trainer: Any) -> None:
        values = logged(trainer, "entropy_mask/kept_mean")
        assert values and all(abs(v - share) < 0.1 for v in values), values

    return check


def _coef_moves(trainer: Any) -> None:
    coefs = logged(trainer, "entropy_coef")
    assert len(coefs) == 2 and coefs[0] < coefs[1], coefs


def _kl_changes_gradient(trainer: Any) -> None:
    """On the run's off-policy batch, the ratio-weighted KL gives a different gradient from the plain one."""
    inputs = trainer._buffered_inputs[0]
    grads = []
    for corrected in (True, False):
        trainer.loss_options = dataclasses.replace(trainer.loss_options, bias_corrected_kl=corrected)
        trainer.model.zero_grad()
        trainer._compute_loss(trainer.model, inputs).backward()
        grads.append(torch.cat([p.grad.flatten() for p in trainer.model.parameters()]))
    trainer.loss_options = dataclasses.replace(trainer.loss_options, bias_corrected_kl=True)
    assert (grads[0] - grads[1]).abs().max() > 1e-7


CASES = [
    pytest.param({"loss_type": "grpo"}, _positive("clip_ratio/region_mean"), id="grpo"),
    pytest.param({"loss_type": "dr_grpo"}, _positive("clip_ratio/region_mean"), id="dr_grpo"),
    pytest.param({"loss_type": "dapo", "epsilon_high": 0.08}, _positive("clip_ratio/region_mean"), id="dapo"),
    pytest.param({"loss_type": "bnpo"}, _positive("clip_ratio/region_mean"), id="bnpo"),
    pytest.param({"loss_type": "cispo", "epsilon_high": 1.02}, _positive("cispo_clip_ratio"), id="cispo"),
    pytest.param({"loss_type": "sapo"}, None, id="sapo"),
    pytest.param(
        {"loss_type": "luspo", "importance_sampling_level": "sequence"},
        _positive("clip_ratio/region_mean"),
        id="luspo",
    ),
    pytest.param({"loss_type": "vespo"}, None, id="vespo"),
    pytest.param(
        {"loss_type": "grpo", "importance_sampling_level": "sequence"},
        _positive("clip_ratio/region_mean"),
        id="gspo",
    ),
    pytest.param({"loss_type": "dapo", "top_entropy_quantile": 0.2}, _kept_share(0.2), id="entropy-mask"),
    pytest.param(
        {"loss_type": "dapo", "off_policy_mask_threshold": 0.001},
        _positive("off_policy/masked_mean"),
        id="off-policy-mask",
    ),
    pytest.param({"loss_type": "grpo", "delta": 1.02}, _positive("clip_ratio/delta_mean"), id="delta"),
    pytest.param({"loss_type": "dapo", "entropy_coef": 0.05}, None, id="entropy-bonus"),
    pytest.param(
        {"loss_type": "dapo", "use_bias_correction_kl": True}, _kl_changes_gradient, id="bias-corrected-kl"
    ),
    # beyond the fourteen: where the normalisers depend on accumulation, the adaptive controller, combinations
    pytest.param(
        {
            "loss_type": "dapo",
            "gradient_accumulation_steps": 2,
            "per_device_train_batch_size": 4,
            "epsilon_high": 0.08,
        },
        None,
        id="dapo-accumulation",
    ),
    pytest.param(
        {"loss_type": "bnpo", "gradient_accumulation_steps": 2, "per_device_train_batch_size": 4},
        None,
        id="bnpo-accumulation",
    ),
    pytest.param(
        {
            "loss_type": "vespo",
            "gradient_accumulation_steps": 2,
            "per_device_train_batch_size": 4,
            "top_entropy_quantile": 0.5,
            "entropy_coef": 0.0,
            "use_adaptive_entropy": True,
            "entropy_target": 10.0,
            "entropy_coef_delta": 0.05,
        },
        _coef_moves,
        id="adaptive-entropy-accumulation",
    ),
    pytest.param(
        {
            "loss_type": "cispo",
            "epsilon_high": 1.02,
            "off_policy_mask_threshold": 0.001,
            "top_entropy_quantile": 0.6,
            "entropy_coef": 0.02,
            "use_bias_correction_kl": True,
        },
        _positive("off_policy/masked_mean"),
        id="cispo-everything",
    ),
    pytest.param(
        {
            "loss_type": "sapo",
            "importance_sampling_level": "sequence",
            "top_entropy_quantile": 0.5,
            "use_bias_correction_kl": True,
            "sapo_temperature_neg": 2.0,
        },
        _kept_share(0.5),
        id="sapo-sequence-entropy-mask",
    ),
    pytest.param(
        {"loss_type": "luspo", "importance_sampling_level": "sequence", "delta": 1.02, "entropy_coef": 0.05},
        None,
        id="luspo-delta-bonus",
    ),
]


@pytest.mark.parametrize(("overrides", "engaged"), CASES)
def test_equals_trl(tmp_path: Path, overrides: dict[str, Any], engaged: Any) -> None:
    ours = make_trainer(tmp_path / "ours", GRPOTrainer, **overrides)
    ours.train()
    theirs = make_trainer(tmp_path / "theirs", trl.GRPOTrainer, **overrides)
    theirs.train()
    same_batch(ours, ours._buffered_inputs[0])
    compare_with_trl(ours, theirs)
    if engaged is not None:
        engaged(ours)


def test_rlvr_extras_combine_with_trl_options(tmp_path: Path) -> None:
    """rlvr's own options on top of TRL's (no TRL to compare with): dual clip with delta and an entropy mask,
    k2 KL with the bias correction, LUSPO's aggregation for a CISPO objective; finite, logged, training."""
    from rlvr.integrations.trl import GRPOConfig

    for overrides in (
        {"loss_type": "grpo", "dual_clip": 1.5, "delta": 1.02, "top_entropy_quantile": 0.5},
        {"loss_type": "sapo", "kl_estimator": "k2", "use_bias_correction_kl": True, "entropy_coef": 0.01},
        {"loss_type": "cispo", "aggregation": "seq-mean-token-sum", "off_policy_mask_threshold": 0.001},
    ):
        trainer = make_trainer(tmp_path / overrides["loss_type"], GRPOTrainer, **overrides)
        assert isinstance(trainer.args, GRPOConfig)
        trainer.train()
        losses = logged(trainer, "loss")
        assert len(losses) == 2 and all(abs(x) < 1e3 for x in losses), overrides
        assert logged(trainer, "policy_loss") and logged(trainer, "ratio/max"), overrides


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"loss_type": "dapo", "top_entropy_quantile": 0.5, "entropy_coef": 0.05}, id="dapo"),
        pytest.param({"loss_type": "vespo", "off_policy_mask_threshold": 0.001}, id="vespo"),
        pytest.param({"loss_type": "bnpo", "use_bias_correction_kl": True}, id="bnpo"),
    ],
)
def test_eval_loss_equals_trl(tmp_path: Path, overrides: dict[str, Any]) -> None:
    """Evaluation (no accumulation, whole-batch normalisers, TRL's prediction_step) after two steps."""
    results = []
    for name, trainer_class in (("ours", GRPOTrainer), ("theirs", trl.GRPOTrainer)):
        trainer = make_trainer(tmp_path / name, trainer_class, with_eval=True, **overrides)
        trainer.train()
        results.append(trainer.evaluate())
    ours, theirs = results
    assert ours["eval_loss"] == pytest.approx(theirs["eval_loss"], rel=1e-5, abs=1e-7)
    for key in ("eval_kl", "eval_entropy", "eval_vespo/phi_seq_mean"):
        if key in theirs:
            assert ours[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6), key


def test_config_defaults_to_bf16_only_where_the_machine_has_it(tmp_path: Path) -> None:
    """TRL's GRPOConfig turns bf16 on by default and fails on a CPU; rlvr's builds anywhere."""
    from rlvr.integrations.trl import GRPOConfig

    args = GRPOConfig(output_dir=str(tmp_path), report_to="none")
    assert args.bf16 == (torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    assert GRPOConfig(output_dir=str(tmp_path), bf16=False, report_to="none").bf16 is False
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="bf16"):
            trl.GRPOConfig(output_dir=str(tmp_path), report_to="none")  # what a README snippet hit
