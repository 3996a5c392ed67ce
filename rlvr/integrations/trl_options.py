"""TRL's ``GRPOConfig`` as :class:`rlvr.integrations.loss.LossOptions`, plus the options rlvr adds.

Every TRL 1.16 ``loss_type`` is an objective and an aggregation of :func:`rlvr.integrations.loss.grpo_loss`
(:data:`LOSS_TYPES`); TRL's other loss fields map one to one (``epsilon`` -> ``epsilon_low``, ``epsilon_high``
(also CISPO's ``eps_max``), ``delta``, ``importance_sampling_level``, ``sapo_*``, ``vespo_*``,
``use_bias_correction_kl``, ``top_entropy_quantile``, ``entropy_coef``, ``off_policy_mask_threshold``, and
with ``use_vllm`` and ``vllm_importance_sampling_correction`` the ``vllm_importance_sampling_*`` settings).
rlvr adds ``aggregation``, ``kl_estimator`` and ``dual_clip``. Combinations without a meaning raise a
``ValueError`` naming the config options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import trl

from rlvr.integrations.loss import AGGREGATIONS, KL_ESTIMATORS, LOSS_TYPES, LossOptions

#: The aggregation each TRL ``loss_type`` stands for.
LOSS_TYPE_AGGREGATION: dict[str, str] = {name: pair[1] for name, pair in LOSS_TYPES.items()}
#: ``loss_type``s whose token mean is over the micro-batch (TRL's bnpo); every other ``"token-mean"`` divides
#: by the completion tokens of the whole accumulated batch on all processes (DAPO).
MICRO_BATCH_TOKEN_MEAN: tuple[str, ...] = ("bnpo",)
#: ``loss_type``s of the clipped surrogate (where ``delta`` and ``dual_clip`` apply).
CLIPPED_LOSS_TYPES: tuple[str, ...] = tuple(name for name, pair in LOSS_TYPES.items() if pair[0] == "clip")
#: Loss option names as the config spells them (error messages name the user's option).
CONFIG_NAMES: dict[str, str] = {
    "epsilon_low": "epsilon",
    "importance_level": "importance_sampling_level",
    "cispo_max": "epsilon_high",
    "bias_corrected_kl": "use_bias_correction_kl",
    "off_policy_threshold": "off_policy_mask_threshold",
    "sampler_correction": "vllm_importance_sampling_mode",
    "sampler_clip_min": "vllm_importance_sampling_clip_min",
    "sampler_clip_max": "vllm_importance_sampling_clip_max",
}


def _loss_help(text: str) -> dict[str, Any]:
    return {"help": text}


def bf16_supported(*, use_cpu: bool = False) -> bool:
    """Whether training in bf16 works here: a CUDA device that supports it (and ``use_cpu`` not set).

    rlvr's :class:`GRPOConfig` takes this as ``bf16``'s default where TRL's is ``True``, which fails on a
    machine without a GPU; an explicit ``bf16=...`` is always kept.

    Example:
        >>> import torch
        >>> bf16_supported() == (torch.cuda.is_available() and torch.cuda.is_bf16_supported())
        True
    """
    import torch

    return not use_cpu and torch.cuda.is_available() and torch.cuda.is_bf16_supported()


@dataclass
class GRPOConfig(trl.GRPOConfig):
    """TRL's ``GRPOConfig`` plus rlvr's loss options (see the module docstring).

    Example:
        >>> args = GRPOConfig(output_dir="/tmp/rlvr-doc", loss_type="grpo", beta=0.04, dual_clip=3.0,
        ...                   report_to="none")  # bf16 only where the machine supports it
        >>> options = args.loss_options()
        >>> options.aggregation, options.kl_estimator, options.dual_clip
        ('seq-mean-token-mean', 'k3', 3.0)
    """

    aggregation: str | None = field(
        default=None,
        metadata=_loss_help(
            f"Loss aggregation, one of {AGGREGATIONS}; None follows loss_type (grpo, sapo: "
            "seq-mean-token-mean; dapo, cispo, vespo: token-mean over the accumulated batch; bnpo: "
            "token-mean over the micro-batch; dr_grpo: seq-mean-token-sum-norm; luspo: seq-mean-token-sum)."
        ),
    )
    kl_estimator: str = field(
        default="k3", metadata=_loss_help(f"KL estimator, one of {KL_ESTIMATORS} (k3: DeepSeekMath).")
    )
    dual_clip: float | None = field(
        default=None,
        metadata=_loss_help(
            "Dual-clip constant c > 1: loss of tokens with A < 0 at most -c*A (clipped loss types only)."
        ),
    )
    use_bias_correction_kl: bool = field(
        default=False,
        metadata=_loss_help(
            "Multiply the KL estimator by the importance ratio (DeepSeek-V3.2's unbiased KL). False here "
            "(DeepSeekMath's objective), True in trl.GRPOConfig."
        ),
    )

    def __post_init__(self) -> None:
        if self.bf16 is None and not self.fp16:  # TRL turns bf16 on by default, which fails on a CPU
            self.bf16 = bf16_supported(use_cpu=bool(self.use_cpu))
        super().__post_init__()
        loss_options_from_args(self)

    def loss_options(self) -> LossOptions:
        """The :class:`LossOptions` these arguments stand for."""
        return loss_options_from_args(self)


def _config_error(error: ValueError) -> ValueError:
    message = str(error)
    for loss_name, config_name in CONFIG_NAMES.items():
        message = re.sub(rf"\b{loss_name}\b", config_name, message)
    return ValueError(message)


def loss_options_from_args(args: trl.GRPOConfig) -> LossOptions:
    """The loss options of a TRL or rlvr ``GRPOConfig``; a ``ValueError`` naming the config's options for a
    combination that has no meaning.

    Example:
        >>> import trl
        >>> args = trl.GRPOConfig(output_dir="/tmp/rlvr-doc", loss_type="dr_grpo", max_completion_length=64,
        ...                       use_cpu=True, bf16=False, report_to="none")
        >>> loss_options_from_args(args).max_length
        64
        >>> args.loss_type, args.delta = "sapo", 2.0
        >>> loss_options_from_args(args)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: delta shapes the clipped loss (loss_type in ('grpo', ...)), got loss_type='sapo'
    """
    if args.loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type must be one of {tuple(LOSS_TYPES)}, got loss_type={args.loss_type!r}")
    objective, default_aggregation = LOSS_TYPES[args.loss_type]
    dual_clip = getattr(args, "dual_clip", None)
    for name, value in (("dual_clip", dual_clip), ("delta", args.delta)):
        if value is not None and objective != "clip":
            raise ValueError(
                f"{name} shapes the clipped loss (loss_type in {CLIPPED_LOSS_TYPES}), "
                f"got loss_type={args.loss_type!r}"
            )
    aggregation = getattr(args, "aggregation", None) or default_aggregation
    epsilon_high = args.epsilon if args.epsilon_high is None else args.epsilon_high
    correction = args.use_vllm and args.vllm_importance_sampling_correction
    if correction and objective == "vespo" and args.vllm_importance_sampling_mode.startswith("sequence"):
        raise ValueError(
            "loss_type='vespo' folds the vLLM importance-sampling weights into its sequence weight token by "
            "token: set vllm_importance_sampling_mode='token_truncate' or 'token_mask', got "
            f"{args.vllm_importance_sampling_mode!r}"
        )
    try:
        return LossOptions(
            beta=args.beta,
            epsilon_low=args.epsilon,
            epsilon_high=epsilon_high,
            dual_clip=dual_clip,
            kl_estimator=getattr(args, "kl_estimator", "k3"),  # type: ignore[arg-type]
            aggregation=aggregation,  # type: ignore[arg-type]
            importance_level=args.importance_sampling_level,  # type: ignore[arg-type]
            max_length=args.max_completion_length if aggregation == "seq-mean-token-sum-norm" else None,
            objective=objective,  # type: ignore[arg-type]
            delta=args.delta,
            cispo_max=epsilon_high,
            sapo_temperature_pos=args.sapo_temperature_pos,
            sapo_temperature_neg=args.sapo_temperature_neg,
            vespo_k_pos=args.vespo_k_pos,
            vespo_lambda_pos=args.vespo_lambda_pos,
            vespo_k_neg=args.vespo_k_neg,
            vespo_lambda_neg=args.vespo_lambda_neg,
            bias_corrected_kl=bool(args.use_bias_correction_kl),
            top_entropy_quantile=args.top_entropy_quantile,
            entropy_coef=args.entropy_coef,
            off_policy_threshold=args.off_policy_mask_threshold,
            sampler_correction=args.vllm_importance_sampling_mode if correction else None,  # type: ignore[arg-type]
            sampler_clip_min=args.vllm_importance_sampling_clip_min,
            sampler_clip_max=args.vllm_importance_sampling_clip_max,
        )
    except ValueError as error:
        raise _config_error(error) from None
