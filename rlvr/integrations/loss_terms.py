"""The pieces :func:`rlvr.integrations.loss.grpo_loss` is built from, each one published formula, vectorised.

- :func:`sampler_weights`: the importance weight that corrects for the engine that sampled the batch (vLLM)
  not being the trainer's policy: ``rho = pi_old / mu`` per token (or its product over the sequence),
  truncated to ``[clip_min, clip_max]`` (TIS) or set to 0 outside it (MIS).
- :func:`off_policy_keep`: DeepSeek-V3.2's off-policy sequence mask (eq. 9): a token is dropped when its
  advantage is negative and its sequence's mean ``log(mu / pi_theta)`` exceeds ``delta``.
- :func:`entropy_threshold`: the ``(1 - rho)``-quantile of the completion-token entropies ("Beyond the 80/20
  rule": only tokens at or above it stay in the policy term).
- :func:`vespo_weights`: VESPO's reshaping kernel ``phi(W) = W^k exp(lambda (1 - W))`` of the sequence-level
  importance weight ``W = prod_t pi_theta / mu`` (no length normalisation).
- :func:`applied_entropy_coef` and :func:`next_entropy_coef`: Skywork-OR1's adaptive entropy control.

torch is imported inside the functions, so importing this module stays light.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from torch import Tensor

SamplerCorrection = Literal["token_truncate", "token_mask", "sequence_truncate", "sequence_mask"]
SAMPLER_CORRECTIONS: tuple[str, ...] = ("token_truncate", "token_mask", "sequence_truncate", "sequence_mask")

#: VESPO works in log space; these bounds keep ``exp`` finite (the kernel is ~0 beyond them anyway).
VESPO_LOG_RATIO_BOUND = 20.0
VESPO_LOG_W_MIN = math.log(1e-8)


def sampler_weights(
    old_logps: Tensor,
    sampling_logps: Tensor,
    valid: Tensor,
    mode: SamplerCorrection,
    clip_min: float | None,
    clip_max: float | None,
) -> Tensor:
    """The sampler-mismatch importance weights: (B, T) for ``token_*`` modes, (B, 1) for ``sequence_*``.

    ``rho_t = exp(old_t - sampling_t)`` on completion tokens; a token the sampler could not score (NaN) and
    padding count as ``rho = 1``. Sequence modes use ``prod_t rho_t``. ``*_truncate`` clamps to
    ``[clip_min, clip_max]``, ``*_mask`` sets weights outside it to 0 (a missing bound is no bound).

    Example:
        >>> import torch
        >>> old = torch.log(torch.tensor([[0.5, 0.2]]))
        >>> mu = torch.log(torch.tensor([[0.25, 0.2]]))
        >>> valid = torch.ones(1, 2, dtype=torch.bool)
        >>> sampler_weights(old, mu, valid, "token_truncate", None, 1.5)
        tensor([[1.5000, 1.0000]])
        >>> sampler_weights(old, mu, valid, "sequence_mask", None, 1.5)
        tensor([[0.]])
    """
    import torch

    diff = torch.where(valid, old_logps.detach() - sampling_logps.detach(), 0.0)
    diff = torch.nan_to_num(diff, nan=0.0)
    if mode.startswith("sequence"):
        diff = diff.sum(-1, keepdim=True)
    weights = torch.exp(diff)
    if mode.endswith("truncate"):
        return torch.clamp(weights, min=clip_min, max=clip_max)
    outside = torch.zeros_like(weights, dtype=torch.bool)
    if clip_min is not None:
        outside |= weights < clip_min
    if clip_max is not None:
        outside |= weights > clip_max
    return weights.masked_fill(outside, 0.0)


def off_policy_keep(
    logps: Tensor, behaviour_logps: Tensor, advantages: Tensor, valid: Tensor, threshold: float
) -> Tensor:
    """DeepSeek-V3.2's off-policy sequence mask, (B, T) booleans: False where ``A < 0`` and the sequence's
    mean ``log(mu / pi_theta)`` over its completion tokens is above ``threshold``. ``behaviour_logps`` are the
    sampler's (vLLM) log-probs, or the old policy's; NaN entries count as 0 (no evidence).

    Example:
        >>> import torch
        >>> logps = torch.log(torch.tensor([[0.1, 0.1], [0.1, 0.1]]))
        >>> mu = torch.log(torch.tensor([[0.5, 0.5], [0.5, 0.5]]))  # mean log(mu/pi) = log 5
        >>> off_policy_keep(logps, mu, torch.tensor([[1.0], [-1.0]]), torch.ones(2, 2, dtype=torch.bool), 1.0)
        tensor([[ True,  True],
                [False, False]])
    """
    import torch

    gap = torch.where(valid, behaviour_logps.detach() - logps.detach(), 0.0)
    gap = torch.nan_to_num(gap, nan=0.0)
    mean_gap = gap.sum(-1, keepdim=True) / valid.sum(-1, keepdim=True).clamp(min=1)
    return ((advantages >= 0) | (mean_gap <= threshold)).expand_as(logps)


def entropy_threshold(entropies: Tensor, quantile: float) -> Tensor:
    """The ``quantile`` of the given (1-D) entropies with linear interpolation (as ``torch.quantile``, without
    its size limit); ``+inf`` when there are none, so that no token passes.

    Example:
        >>> import torch
        >>> entropy_threshold(torch.tensor([3.0, 1.0, 2.0, 4.0]), 0.8).item()
        3.4000000953674316
        >>> entropy_threshold(torch.tensor([]), 0.8).item()
        inf
    """
    import torch

    values = entropies.detach().flatten()
    if values.numel() == 0:
        return torch.full((), math.inf, dtype=values.dtype, device=values.device)
    ordered = torch.sort(values).values
    position = quantile * (values.numel() - 1)
    below = math.floor(position)
    above = min(below + 1, values.numel() - 1)
    weight = torch.tensor(position - below, dtype=values.dtype, device=values.device)
    return torch.lerp(ordered[below], ordered[above], weight)


def vespo_weights(
    log_ratio: Tensor,
    valid: Tensor,
    advantages: Tensor,
    *,
    k_pos: float,
    lambda_pos: float,
    k_neg: float,
    lambda_neg: float,
    sampler_weight: Tensor | None = None,
) -> Tensor:
    """VESPO's kernel ``phi(W) = W^k exp(lambda (1 - W))`` (detached; ``phi(1) = 1``), with ``W`` the product
    of the token ratios over the completion (times the token sampler weights, when given) and ``(k, lambda)``
    the ``pos`` pair where ``A >= 0``, else the ``neg`` pair. Computed in log space with token log-ratios
    in ``[-20, 20]`` and ``log W`` in ``[log 1e-8, 20]``; a non-finite result is 0.

    Example:
        >>> import torch
        >>> valid = torch.ones(2, 2, dtype=torch.bool)
        >>> log_ratio = torch.tensor([[0.0, 0.0], [0.5, 0.0]])
        >>> phi = vespo_weights(log_ratio, valid, torch.tensor([[1.0], [1.0]]), k_pos=2.0, lambda_pos=3.0,
        ...                     k_neg=3.0, lambda_neg=2.0)
        >>> [round(v, 4) for v in phi.flatten().tolist()]
        [1.0, 0.3882]
    """
    import torch

    with torch.no_grad():
        bounded = torch.clamp(log_ratio.detach(), -VESPO_LOG_RATIO_BOUND, VESPO_LOG_RATIO_BOUND)
        log_w = torch.where(valid, bounded, 0.0).sum(-1, keepdim=True)
        if sampler_weight is not None:
            log_rho = torch.clamp(torch.log(sampler_weight), VESPO_LOG_W_MIN, VESPO_LOG_RATIO_BOUND)
            log_w = log_w + torch.where(valid, log_rho, 0.0).sum(-1, keepdim=True)
        log_w = torch.clamp(log_w, VESPO_LOG_W_MIN, VESPO_LOG_RATIO_BOUND)
        non_negative = advantages >= 0
        k = torch.where(non_negative, log_w.new_tensor(k_pos), log_w.new_tensor(k_neg))
        lam = torch.where(non_negative, log_w.new_tensor(lambda_pos), log_w.new_tensor(lambda_neg))
        phi = torch.exp(lam + k * log_w - lam * torch.exp(log_w))
        return torch.nan_to_num(phi, nan=0.0, posinf=0.0, neginf=0.0)


def applied_entropy_coef(coef: float, last_entropy: float, target: float) -> float:
    """Skywork-OR1's gate: the coefficient applies only while the entropy measured at the last optimizer step
    is at or below the target (none measured yet: ``last_entropy = inf``, no bonus).

    Example:
        >>> applied_entropy_coef(0.01, 0.15, 0.2), applied_entropy_coef(0.01, 0.3, 0.2)
        (0.01, 0.0)
    """
    return coef if last_entropy <= target else 0.0


def next_entropy_coef(
    coef: float, entropy: float, target: float, step: float, low: float, high: float
) -> float:
    """Skywork-OR1's update after an optimizer step: ``coef + step`` when the step's entropy is at or below
    the target, ``coef - step`` otherwise, kept within ``[low, high]``.

    Example:
        >>> next_entropy_coef(0.0, 0.1, 0.2, 0.005, 0.0, 1.0)
        0.005
        >>> next_entropy_coef(0.0, 0.3, 0.2, 0.005, 0.0, 1.0)
        0.0
    """
    if entropy <= target:
        return min(coef + step, high)
    return max(coef - step, low)
