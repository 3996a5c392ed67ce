"""The GRPO policy loss and its published variants, in one vectorised function.

Notation: for completion ``i`` and token ``t``, ``logps`` is log pi_theta(o_it), ``old_logps`` the same under
the policy that sampled the batch, ``ref_logps`` under the frozen reference, ``A`` the advantage and ``m`` the
completion mask.

- ratio ``r_it = exp(logps - old_logps)`` (``importance_level="token"``, PPO/GRPO); with
  ``importance_level="sequence"`` (GSPO, Zheng et al. 2025) ``r_i = exp(sum_t m_it (logps - old_logps)
  / sum_t m_it)``, broadcast over the tokens.
- clipped surrogate ``min(r A, clip(r, 1 - epsilon_low, 1 + epsilon_high) A)``; the loss is its negative.
  ``epsilon_high > epsilon_low`` is DAPO's clip-higher.
- ``dual_clip=c`` (Ye et al. 2020): for ``A < 0`` the per-token loss is at most ``-c A``.
- KL penalty ``beta * k`` per token, with ``k1 = logps - ref``, ``k2 = (logps - ref)^2 / 2`` or
  ``k3 = exp(ref - logps) - (ref - logps) - 1`` (DeepSeekMath, Shao et al. 2024).
- aggregation: ``"seq-mean-token-mean"`` (DeepSeekMath: ``1/B sum_i 1/|o_i| sum_t``), ``"token-mean"``
  (DAPO: ``1/sum(m) sum_it``), ``"seq-mean-token-sum-norm"`` (Dr. GRPO: ``1/(B L) sum_it`` with ``L =
  max_length``, ``T`` when not given).

``old_logps`` and ``ref_logps`` are constants (detached). Masked positions never contribute, even when
they hold NaN or inf. Inputs may be bf16/fp16; everything is computed in float32 (float64 stays float64).

TRL equivalents: ``loss_type="grpo"`` = seq-mean-token-mean, ``"dapo"`` = token-mean (normalised by the
tokens of the whole accumulated batch in TRL, see :class:`rlvr.integrations.trl.GRPOTrainer`),
``"dr_grpo"`` = seq-mean-token-sum-norm with ``max_length = max_completion_length``; TRL's KL is k3
(times the ratio unless ``use_bias_correction_kl=False``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from torch import Tensor

KLEstimator = Literal["k1", "k2", "k3"]
Aggregation = Literal["seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm"]
ImportanceLevel = Literal["token", "sequence"]

KL_ESTIMATORS: tuple[str, ...] = ("k1", "k2", "k3")
AGGREGATIONS: tuple[str, ...] = ("seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm")
IMPORTANCE_LEVELS: tuple[str, ...] = ("token", "sequence")

#: Metrics that are token-weighted means (the trainer reduces them across processes by token count).
MEAN_METRICS: tuple[str, ...] = (
    "kl",
    "clip_ratio/low_mean",
    "clip_ratio/high_mean",
    "clip_ratio/dual_mean",
    "clip_ratio/region_mean",
    "ratio/mean",
)


def _finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class LossOptions:
    """The options of :func:`grpo_loss`, validated (see the module docstring for their meaning).

    Example:
        >>> LossOptions(aggregation="token-mean", epsilon_high=0.28).epsilon_high
        0.28
        >>> LossOptions(dual_clip=1.0)
        Traceback (most recent call last):
        ...
        ValueError: dual_clip must be a number > 1 or None, got 1.0
    """

    beta: float = 0.04
    epsilon_low: float = 0.2
    epsilon_high: float = 0.2
    dual_clip: float | None = None
    kl_estimator: KLEstimator = "k3"
    aggregation: Aggregation = "seq-mean-token-mean"
    importance_level: ImportanceLevel = "token"
    max_length: int | None = None

    def __post_init__(self) -> None:
        if not _finite_number(self.beta) or self.beta < 0:
            raise ValueError(f"beta must be a number >= 0, got {self.beta!r}")
        if not _finite_number(self.epsilon_low) or not 0 <= self.epsilon_low < 1:
            raise ValueError(f"epsilon_low must be in [0, 1), got {self.epsilon_low!r}")
        if not _finite_number(self.epsilon_high) or self.epsilon_high < 0:
            raise ValueError(f"epsilon_high must be a number >= 0, got {self.epsilon_high!r}")
        if self.dual_clip is not None and (not _finite_number(self.dual_clip) or self.dual_clip <= 1):
            raise ValueError(f"dual_clip must be a number > 1 or None, got {self.dual_clip!r}")
        if self.kl_estimator not in KL_ESTIMATORS:
            raise ValueError(f"kl_estimator must be one of {KL_ESTIMATORS}, got {self.kl_estimator!r}")
        if self.aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {self.aggregation!r}")
        if self.importance_level not in IMPORTANCE_LEVELS:
            raise ValueError(
                f"importance_level must be one of {IMPORTANCE_LEVELS}, got {self.importance_level!r}"
            )
        if self.max_length is not None:
            if (
                isinstance(self.max_length, bool)
                or not isinstance(self.max_length, int)
                or self.max_length < 1
            ):
                raise ValueError(f"max_length must be an int >= 1 or None, got {self.max_length!r}")
            if self.aggregation != "seq-mean-token-sum-norm":
                raise ValueError("max_length only applies to aggregation='seq-mean-token-sum-norm'")


def grpo_loss(
    logps: Tensor,
    old_logps: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    ref_logps: Tensor | None = None,
    beta: float = 0.04,
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    dual_clip: float | None = None,
    kl_estimator: KLEstimator = "k3",
    aggregation: Aggregation = "seq-mean-token-mean",
    importance_level: ImportanceLevel = "token",
    max_length: int | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """The clipped GRPO loss (a scalar to minimise) and its metrics; see the module docstring.

    Args:
        logps: (B, T) log-probs of the sampled tokens under the policy being trained (carries the gradient).
        old_logps: (B, T) the same under the sampling policy.
        advantages: (B,) one per completion (outcome rewards) or (B, T) one per token (process rewards).
        mask: (B, T) 1 for completion tokens, 0 for padding (bool, int or float).
        ref_logps: (B, T) under the reference policy; ``None`` (or ``beta=0``) skips the KL term.

    Returns:
        ``(loss, metrics)``. The metrics are detached scalars: ``policy_loss`` (the loss without the KL
        term), ``kl`` (masked token mean of the estimator; only with a KL term), the clip fractions
        ``clip_ratio/low_mean`` (r < 1 - epsilon_low with A < 0), ``clip_ratio/high_mean``
        (r > 1 + epsilon_high with A > 0), ``clip_ratio/dual_mean`` (dual clip active),
        ``clip_ratio/region_mean`` (low or high), and ``ratio/mean``, ``ratio/min``, ``ratio/max``, all
        over completion tokens (NaN min/max when there are none).

    Example:
        >>> import torch
        >>> logps = torch.tensor([[-1.0, -2.0], [-0.5, -0.7]], requires_grad=True)
        >>> loss, metrics = grpo_loss(logps, logps.detach(), torch.tensor([1.0, -1.0]), torch.ones(2, 2))
        >>> round(loss.item(), 6), metrics["ratio/mean"].item()
        (0.0, 1.0)
        >>> loss.backward()
        >>> logps.grad
        tensor([[-0.2500, -0.2500],
                [ 0.2500,  0.2500]])
    """
    options = LossOptions(
        beta=beta,
        epsilon_low=epsilon_low,
        epsilon_high=epsilon_high,
        dual_clip=dual_clip,
        kl_estimator=kl_estimator,
        aggregation=aggregation,
        importance_level=importance_level,
        max_length=max_length,
    )
    return grpo_loss_from_options(logps, old_logps, advantages, mask, ref_logps=ref_logps, options=options)


def _check_shapes(
    logps: Tensor, old_logps: Tensor, advantages: Tensor, mask: Tensor, ref: Tensor | None
) -> None:
    if logps.dim() != 2:
        raise ValueError(f"logps must be (B, T), got shape {tuple(logps.shape)}")
    named = {"old_logps": old_logps, "mask": mask} | ({} if ref is None else {"ref_logps": ref})
    for name, tensor in named.items():
        if tensor.shape != logps.shape:
            raise ValueError(
                f"{name} must have the shape of logps {tuple(logps.shape)}, got {tuple(tensor.shape)}"
            )
    if advantages.shape not in (logps.shape[:1], logps.shape):
        raise ValueError(
            f"advantages must be (B,) or (B, T) = {tuple(logps.shape)}, got {tuple(advantages.shape)}"
        )


def grpo_loss_from_options(
    logps: Tensor,
    old_logps: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    ref_logps: Tensor | None = None,
    options: LossOptions,
) -> tuple[Tensor, dict[str, Tensor]]:
    """:func:`grpo_loss` with its options as a :class:`LossOptions` (what the trainer calls).

    Example:
        >>> import torch
        >>> x = torch.zeros(1, 3)
        >>> grpo_loss_from_options(x, x, torch.ones(1), torch.ones(1, 3), options=LossOptions())[0].item()
        -1.0
    """
    import torch

    _check_shapes(logps, old_logps, advantages, mask, ref_logps)
    dtype = torch.promote_types(logps.dtype, torch.float32)
    valid = mask.bool()
    m = valid.to(dtype)
    zero = logps.new_zeros((), dtype=dtype)
    lp = logps.to(dtype)
    log_ratio = torch.where(valid, lp - old_logps.detach().to(dtype), zero)
    adv = advantages.detach().to(dtype)
    adv = adv.unsqueeze(1) if adv.dim() == 1 else torch.where(valid, adv, zero)
    tokens_per_seq = m.sum(-1)
    if options.importance_level == "sequence":
        log_ratio = ((log_ratio * m).sum(-1) / tokens_per_seq.clamp(min=1.0)).unsqueeze(1)
    ratio = torch.exp(log_ratio).expand_as(lp)
    adv = adv.expand_as(lp)
    clipped = torch.clamp(ratio, 1.0 - options.epsilon_low, 1.0 + options.epsilon_high)
    per_token = -torch.minimum(ratio * adv, clipped * adv)
    negative = adv < 0
    if options.dual_clip is not None:
        bound = -options.dual_clip * adv
        dual_active = negative & (per_token > bound)
        per_token = torch.where(negative, torch.minimum(per_token, bound), per_token)
    else:
        dual_active = torch.zeros_like(valid)
    per_token = torch.where(valid, per_token, zero)

    kl = None
    if options.beta != 0 and ref_logps is not None:
        delta = torch.where(valid, ref_logps.detach().to(dtype) - lp, zero)  # log(pi_ref / pi_theta)
        if options.kl_estimator == "k1":
            kl = -delta
        elif options.kl_estimator == "k2":
            kl = delta.square() / 2
        else:
            kl = torch.exp(delta) - delta - 1
        kl = torch.where(valid, kl, zero)

    def aggregate(values: Tensor) -> Tensor:
        if options.aggregation == "seq-mean-token-mean":
            return (values.sum(-1) / tokens_per_seq.clamp(min=1.0)).mean()
        if options.aggregation == "token-mean":
            return values.sum() / m.sum().clamp(min=1.0)
        length = options.max_length or values.shape[1]
        return values.sum() / (values.shape[0] * length)

    policy_loss = aggregate(per_token)
    loss = policy_loss if kl is None else policy_loss + options.beta * aggregate(kl)
    with torch.no_grad():
        count = m.sum()

        def token_mean(flags: Tensor) -> Tensor:
            return (flags.to(dtype) * m).sum() / count.clamp(min=1.0)

        low = valid & negative & (ratio < 1.0 - options.epsilon_low)
        high = valid & (adv > 0) & (ratio > 1.0 + options.epsilon_high)
        nan = torch.full((), float("nan"), dtype=dtype, device=lp.device)
        metrics = {
            "policy_loss": policy_loss.detach(),
            "clip_ratio/low_mean": token_mean(low),
            "clip_ratio/high_mean": token_mean(high),
            "clip_ratio/dual_mean": token_mean(valid & dual_active),
            "clip_ratio/region_mean": token_mean(low | high),
            "ratio/mean": token_mean(ratio.detach()),
            "ratio/min": torch.where(count > 0, torch.where(valid, ratio, math.inf).amin(), nan),
            "ratio/max": torch.where(count > 0, torch.where(valid, ratio, -math.inf).amax(), nan),
        }
        if kl is not None:
            metrics["kl"] = token_mean(kl.detach())
    return loss, metrics


def options_dict(options: LossOptions) -> dict[str, object]:
    """The options as keyword arguments of :func:`grpo_loss`.

    Example:
        >>> options_dict(LossOptions())["aggregation"]
        'seq-mean-token-mean'
    """
    return asdict(options)
