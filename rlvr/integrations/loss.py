"""The GRPO policy loss and its published variants, in one vectorised function.

Notation: for completion ``i`` and token ``t``, ``logps`` is log pi_theta(o_it), ``old_logps`` the same under
the policy that sampled the batch, ``ref_logps`` under the frozen reference, ``A`` the advantage and ``m`` the
completion mask. ``sampling_logps`` (optional) are the log-probs of the engine that actually sampled (vLLM),
``entropies`` (optional) the policy's per-token entropies.

Importance ratio: ``r_it = exp(logps - old_logps)`` (``importance_level="token"``); with
``importance_level="sequence"`` (GSPO, Zheng et al. 2025) ``r_i = exp(sum_t m_it (logps - old_logps) /
sum_t m_it)``, broadcast over the tokens.

Policy term per token (``objective``), negated to give a loss:

- ``"clip"`` (PPO/GRPO): ``min(r A, clip(r, 1 - epsilon_low, 1 + epsilon_high) A)``; ``epsilon_high >
  epsilon_low`` is DAPO's clip-higher. ``delta`` (INTELLECT-2's two-sided clipping) caps the unclipped ratio:
  ``min(min(r, delta) A, clip(r) A)``. ``dual_clip=c`` (Ye et al. 2020): for ``A < 0`` the per-token loss
  is at most ``-c A``.
- ``"cispo"`` (MiniMax-M1; ScaleRL's form): ``sg(min(r, cispo_max)) A log pi_theta``: the importance weight
  is clipped and detached, every token keeps a gradient.
- ``"sapo"`` (Gao et al. 2025): ``(4 / tau) sigmoid(tau (r - 1)) A`` with ``tau = sapo_temperature_pos`` for
  ``A > 0``, else ``sapo_temperature_neg``: a soft gate in place of the hard clip.
- ``"vespo"`` (Shen et al. 2026): ``sg(phi(W)) A log pi_theta`` with ``W = prod_t r_it`` (token ratios, no
  length normalisation) and ``phi(W) = W^k exp(lambda (1 - W))``, ``(k, lambda)`` = ``vespo_k_pos,
  vespo_lambda_pos`` for ``A >= 0``, else the ``neg`` pair.

Then, per token: times DeepSeek-V3.2's off-policy mask (``off_policy_threshold``: drop ``A < 0`` tokens of
sequences whose mean ``log(mu / pi_theta)`` exceeds it, ``mu`` = the sampler's log-probs, else the old
policy's); times the high-entropy mask (``top_entropy_quantile = rho < 1``, "Beyond the 80/20 rule": keep
tokens whose entropy is at or above the ``(1 - rho)``-quantile of the batch's); times the sampler-mismatch
weight (``sampler_correction``, vLLM's truncated or masked importance sampling, token or sequence level;
for ``"vespo"`` it enters ``W`` instead); plus ``beta`` times the KL estimator ``k1 = logps - ref``, ``k2 =
(logps - ref)^2 / 2`` or ``k3 = exp(ref - logps) - (ref - logps) - 1`` (DeepSeekMath), multiplied by ``r``
when ``bias_corrected_kl`` (DeepSeek-V3.2's unbiased KL).

Aggregation: ``"seq-mean-token-mean"`` (DeepSeekMath: ``1/B sum_i 1/|o_i| sum_t``), ``"token-mean"`` (DAPO:
``1/N sum_it`` with ``N`` the completion tokens, or ``token_normalizer``), ``"seq-mean-token-sum-norm"`` (Dr.
GRPO: ``1/(B L) sum_it`` with ``L = max_length``, ``T`` when not given), ``"seq-mean-token-sum"`` (LUSPO:
``1/B sum_i sum_t``: each sequence's loss times its length). Finally ``- entropy_coef`` times the mean entropy
of the tokens the policy term keeps (Skywork-OR1's entropy bonus).

``old_logps``, ``ref_logps`` and ``sampling_logps`` are constants (detached); ``entropies`` carry their
gradient into the bonus. Masked positions never contribute, even when they hold NaN or inf. Inputs may be
bf16/fp16; everything is computed in float32 (float64 stays float64).

TRL equivalents (see :mod:`rlvr.integrations.trl`): ``loss_type`` grpo = clip + seq-mean-token-mean, bnpo =
clip + token-mean of the micro-batch, dr_grpo = clip + seq-mean-token-sum-norm, dapo = clip + token-mean of
the accumulated batch, cispo = cispo + token-mean (accumulated; ``cispo_max`` = TRL's ``epsilon_high``),
sapo = sapo + seq-mean-token-mean, luspo = clip + seq-mean-token-sum, vespo = vespo + token-mean
(accumulated).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from rlvr.integrations.loss_terms import (
    SAMPLER_CORRECTIONS,
    SamplerCorrection,
    entropy_threshold,
    off_policy_keep,
    sampler_weights,
    vespo_weights,
)

if TYPE_CHECKING:
    from torch import Tensor

KLEstimator = Literal["k1", "k2", "k3"]
Aggregation = Literal["seq-mean-token-mean", "token-mean", "seq-mean-token-sum-norm", "seq-mean-token-sum"]
ImportanceLevel = Literal["token", "sequence"]
Objective = Literal["clip", "cispo", "sapo", "vespo"]

KL_ESTIMATORS: tuple[str, ...] = ("k1", "k2", "k3")
AGGREGATIONS: tuple[str, ...] = (
    "seq-mean-token-mean",
    "token-mean",
    "seq-mean-token-sum-norm",
    "seq-mean-token-sum",
)
IMPORTANCE_LEVELS: tuple[str, ...] = ("token", "sequence")
OBJECTIVES: tuple[str, ...] = ("clip", "cispo", "sapo", "vespo")

#: TRL's ``loss_type``s as ``(objective, aggregation)`` (bnpo's token mean is over the micro-batch, dapo's,
#: cispo's and vespo's over the accumulated batch: a trainer matter, see ``token_normalizer``).
LOSS_TYPES: dict[str, tuple[Objective, Aggregation]] = {
    "grpo": ("clip", "seq-mean-token-mean"),
    "bnpo": ("clip", "token-mean"),
    "dr_grpo": ("clip", "seq-mean-token-sum-norm"),
    "dapo": ("clip", "token-mean"),
    "cispo": ("cispo", "token-mean"),
    "sapo": ("sapo", "seq-mean-token-mean"),
    "luspo": ("clip", "seq-mean-token-sum"),
    "vespo": ("vespo", "token-mean"),
}

#: Metrics that are token-weighted means (the trainer reduces them across processes by token count).
MEAN_METRICS: tuple[str, ...] = (
    "kl",
    "clip_ratio/low_mean",
    "clip_ratio/high_mean",
    "clip_ratio/dual_mean",
    "clip_ratio/delta_mean",
    "clip_ratio/region_mean",
    "cispo_clip_ratio",
    "off_policy/masked_mean",
    "entropy_mask/kept_mean",
    "ratio/mean",
)
#: Metrics that are means over completions (reduced across processes by completion count).
SEQUENCE_METRICS: tuple[str, ...] = ("vespo/phi_seq_mean",)


def _finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class LossOptions:
    """The options of :func:`grpo_loss`, validated (see the module docstring for their meaning).

    Combinations that have no meaning raise here: ``dual_clip`` and ``delta`` shape the clipped surrogate
    (``objective="clip"`` only); VESPO folds token-level sampler weights into its sequence weight, so a
    ``sequence_*`` sampler correction has no place in it.

    Example:
        >>> LossOptions(aggregation="token-mean", epsilon_high=0.28).epsilon_high
        0.28
        >>> LossOptions(dual_clip=1.0)
        Traceback (most recent call last):
        ...
        ValueError: dual_clip must be a number > 1 or None, got 1.0
        >>> LossOptions(objective="cispo", dual_clip=3.0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: dual_clip applies to objective='clip' only (...), got objective='cispo'
    """

    beta: float = 0.04
    epsilon_low: float = 0.2
    epsilon_high: float = 0.2
    dual_clip: float | None = None
    kl_estimator: KLEstimator = "k3"
    aggregation: Aggregation = "seq-mean-token-mean"
    importance_level: ImportanceLevel = "token"
    max_length: int | None = None
    objective: Objective = "clip"
    delta: float | None = None
    cispo_max: float = 5.0
    sapo_temperature_pos: float = 1.0
    sapo_temperature_neg: float = 1.05
    vespo_k_pos: float = 2.0
    vespo_lambda_pos: float = 3.0
    vespo_k_neg: float = 3.0
    vespo_lambda_neg: float = 2.0
    bias_corrected_kl: bool = False
    top_entropy_quantile: float = 1.0
    entropy_coef: float = 0.0
    off_policy_threshold: float | None = None
    sampler_correction: SamplerCorrection | None = None
    sampler_clip_min: float | None = None
    sampler_clip_max: float | None = 3.0

    def __post_init__(self) -> None:
        self._check_core()
        self._check_objective()
        self._check_masks_and_bonus()
        self._check_sampler()

    def _check_core(self) -> None:
        _check(_finite_number(self.beta) and self.beta >= 0, f"beta must be a number >= 0, got {self.beta!r}")
        _check(
            _finite_number(self.epsilon_low) and 0 <= self.epsilon_low < 1,
            f"epsilon_low must be in [0, 1), got {self.epsilon_low!r}",
        )
        _check(
            _finite_number(self.epsilon_high) and self.epsilon_high >= 0,
            f"epsilon_high must be a number >= 0, got {self.epsilon_high!r}",
        )
        _check(
            self.dual_clip is None or (_finite_number(self.dual_clip) and self.dual_clip > 1),
            f"dual_clip must be a number > 1 or None, got {self.dual_clip!r}",
        )
        _check(
            self.kl_estimator in KL_ESTIMATORS,
            f"kl_estimator must be one of {KL_ESTIMATORS}, got {self.kl_estimator!r}",
        )
        _check(
            self.aggregation in AGGREGATIONS,
            f"aggregation must be one of {AGGREGATIONS}, got {self.aggregation!r}",
        )
        _check(
            self.importance_level in IMPORTANCE_LEVELS,
            f"importance_level must be one of {IMPORTANCE_LEVELS}, got {self.importance_level!r}",
        )
        _check(
            isinstance(self.bias_corrected_kl, bool),
            f"bias_corrected_kl must be True or False, got {self.bias_corrected_kl!r}",
        )
        if self.max_length is not None:
            _check(
                not isinstance(self.max_length, bool)
                and isinstance(self.max_length, int)
                and self.max_length >= 1,
                f"max_length must be an int >= 1 or None, got {self.max_length!r}",
            )
            _check(
                self.aggregation == "seq-mean-token-sum-norm",
                "max_length only applies to aggregation='seq-mean-token-sum-norm'",
            )

    def _check_objective(self) -> None:
        _check(self.objective in OBJECTIVES, f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        _check(
            self.delta is None or (_finite_number(self.delta) and self.delta > 1),
            f"delta must be a number > 1 or None, got {self.delta!r}",
        )
        for name in ("dual_clip", "delta"):
            _check(
                getattr(self, name) is None or self.objective == "clip",
                f"{name} applies to objective='clip' only (it bounds the clipped surrogate), "
                f"got objective={self.objective!r}",
            )
        _check(
            _finite_number(self.cispo_max) and self.cispo_max > 0,
            f"cispo_max must be a number > 0, got {self.cispo_max!r}",
        )
        for name in ("sapo_temperature_pos", "sapo_temperature_neg", "vespo_lambda_pos", "vespo_lambda_neg"):
            value = getattr(self, name)
            _check(_finite_number(value) and value > 0, f"{name} must be a number > 0, got {value!r}")
        for name in ("vespo_k_pos", "vespo_k_neg"):
            value = getattr(self, name)
            _check(_finite_number(value) and value >= 0, f"{name} must be a number >= 0, got {value!r}")

    def _check_masks_and_bonus(self) -> None:
        _check(
            _finite_number(self.top_entropy_quantile) and 0 <= self.top_entropy_quantile <= 1,
            f"top_entropy_quantile must be in [0, 1], got {self.top_entropy_quantile!r}",
        )
        _check(
            _finite_number(self.entropy_coef),
            f"entropy_coef must be a finite number, got {self.entropy_coef!r}",
        )
        _check(
            self.off_policy_threshold is None
            or (_finite_number(self.off_policy_threshold) and self.off_policy_threshold >= 0),
            f"off_policy_threshold must be a number >= 0 or None, got {self.off_policy_threshold!r}",
        )

    def _check_sampler(self) -> None:
        for name in ("sampler_clip_min", "sampler_clip_max"):
            value = getattr(self, name)
            _check(
                value is None or (_finite_number(value) and value >= 0),
                f"{name} must be a number >= 0 or None, got {value!r}",
            )
        if self.sampler_correction is None:
            return
        _check(
            self.sampler_correction in SAMPLER_CORRECTIONS,
            f"sampler_correction must be one of {SAMPLER_CORRECTIONS} or None, "
            f"got {self.sampler_correction!r}",
        )
        low, high = self.sampler_clip_min, self.sampler_clip_max
        _check(
            low is None or high is None or low < high,
            f"sampler_clip_min ({low}) must be less than sampler_clip_max ({high})",
        )
        _check(
            self.sampler_correction.endswith("mask") or low is not None or high is not None,
            f"sampler_correction={self.sampler_correction!r} needs sampler_clip_min or sampler_clip_max",
        )
        _check(
            self.objective != "vespo" or self.sampler_correction.startswith("token"),
            "objective='vespo' takes the sampler correction into its sequence weight token by token: "
            f"use sampler_correction='token_truncate' or 'token_mask', got {self.sampler_correction!r}",
        )

    @classmethod
    def for_loss_type(cls, loss_type: str, **options: object) -> LossOptions:
        """The options of one of TRL's ``loss_type``s (its objective and aggregation), plus ``options``.

        Example:
            >>> opts = LossOptions.for_loss_type("luspo", importance_level="sequence")
            >>> opts.objective, opts.aggregation, opts.importance_level
            ('clip', 'seq-mean-token-sum', 'sequence')
        """
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"loss_type must be one of {tuple(LOSS_TYPES)}, got {loss_type!r}")
        objective, aggregation = LOSS_TYPES[loss_type]
        return cls(**({"objective": objective, "aggregation": aggregation} | options))  # type: ignore[arg-type]

    @property
    def uses_entropies(self) -> bool:
        """Whether the loss needs the per-token entropies (entropy mask or entropy bonus).

        Example:
            >>> LossOptions().uses_entropies, LossOptions(top_entropy_quantile=0.2).uses_entropies
            (False, True)
        """
        return self.top_entropy_quantile < 1 or self.entropy_coef != 0


def grpo_loss(
    logps: Tensor,
    old_logps: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    ref_logps: Tensor | None = None,
    entropies: Tensor | None = None,
    sampling_logps: Tensor | None = None,
    token_normalizer: float | Tensor | None = None,
    entropy_cutoff: float | Tensor | None = None,
    beta: float = 0.04,
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    dual_clip: float | None = None,
    kl_estimator: KLEstimator = "k3",
    aggregation: Aggregation = "seq-mean-token-mean",
    importance_level: ImportanceLevel = "token",
    max_length: int | None = None,
    objective: Objective = "clip",
    delta: float | None = None,
    cispo_max: float = 5.0,
    sapo_temperature_pos: float = 1.0,
    sapo_temperature_neg: float = 1.05,
    vespo_k_pos: float = 2.0,
    vespo_lambda_pos: float = 3.0,
    vespo_k_neg: float = 3.0,
    vespo_lambda_neg: float = 2.0,
    bias_corrected_kl: bool = False,
    top_entropy_quantile: float = 1.0,
    entropy_coef: float = 0.0,
    off_policy_threshold: float | None = None,
    sampler_correction: SamplerCorrection | None = None,
    sampler_clip_min: float | None = None,
    sampler_clip_max: float | None = 3.0,
) -> tuple[Tensor, dict[str, Tensor]]:
    """The GRPO loss (a scalar to minimise) and its metrics; see the module docstring for every option.

    Args:
        logps: (B, T) log-probs of the sampled tokens under the policy being trained (carries the gradient).
        old_logps: (B, T) the same under the sampling policy.
        advantages: (B,) one per completion (outcome rewards) or (B, T) one per token (process rewards).
        mask: (B, T) 1 for completion tokens, 0 for padding (bool, int or float).
        ref_logps: (B, T) under the reference policy; ``None`` (or ``beta=0``) skips the KL term.
        entropies: (B, T) the policy's token entropies; needed for ``top_entropy_quantile < 1`` and
            ``entropy_coef != 0``.
        sampling_logps: (B, T) log-probs of the engine that sampled (vLLM; NaN where it gave none); needed for
            ``sampler_correction``; the off-policy mask uses them when given, else ``old_logps``.
        token_normalizer: the ``N`` of ``"token-mean"`` (default: this batch's completion tokens), e.g. the
            mean tokens per micro-batch of a whole accumulated batch.
        entropy_cutoff: the entropy threshold of the high-entropy mask (default: the quantile over this
            batch), e.g. the quantile over all processes.

    Returns:
        ``(loss, metrics)``. The metrics are detached scalars: ``policy_loss`` (the aggregated policy term,
        without KL and entropy bonus), ``kl`` (masked token mean of the (corrected) estimator; only with a KL
        term), ``ratio/mean``, ``ratio/min``, ``ratio/max`` (over completion tokens, NaN min/max when there
        are none); for ``"clip"`` the clip fractions ``clip_ratio/low_mean`` (r < 1 - epsilon_low with A < 0),
        ``clip_ratio/high_mean`` (r > 1 + epsilon_high with A > 0; r capped at ``delta``),
        ``clip_ratio/dual_mean`` (dual clip active), ``clip_ratio/delta_mean`` (the ``delta`` cap changed the
        surrogate: r > delta, and A > 0 with delta < 1 + epsilon_high or A < 0 with r > 1 + epsilon_high),
        ``clip_ratio/region_mean`` (low or high); ``cispo_clip_ratio`` (r > cispo_max with A > 0) for
        ``"cispo"``; ``vespo/phi_seq_mean`` for ``"vespo"``; ``off_policy/masked_mean`` and
        ``entropy_mask/kept_mean`` when those masks are on.

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
        >>> cispo, _ = grpo_loss(logps, logps.detach(), torch.tensor([1.0, -1.0]), torch.ones(2, 2),
        ...                      objective="cispo", aggregation="token-mean", beta=0.0)
        >>> round(cispo.item(), 4)  # -(1 * (-1 - 2) - 1 * (-0.5 - 0.7)) / 4
        0.45
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
        objective=objective,
        delta=delta,
        cispo_max=cispo_max,
        sapo_temperature_pos=sapo_temperature_pos,
        sapo_temperature_neg=sapo_temperature_neg,
        vespo_k_pos=vespo_k_pos,
        vespo_lambda_pos=vespo_lambda_pos,
        vespo_k_neg=vespo_k_neg,
        vespo_lambda_neg=vespo_lambda_neg,
        bias_corrected_kl=bias_corrected_kl,
        top_entropy_quantile=top_entropy_quantile,
        entropy_coef=entropy_coef,
        off_policy_threshold=off_policy_threshold,
        sampler_correction=sampler_correction,
        sampler_clip_min=sampler_clip_min,
        sampler_clip_max=sampler_clip_max,
    )
    return grpo_loss_from_options(
        logps,
        old_logps,
        advantages,
        mask,
        ref_logps=ref_logps,
        entropies=entropies,
        sampling_logps=sampling_logps,
        token_normalizer=token_normalizer,
        entropy_cutoff=entropy_cutoff,
        options=options,
    )


def _check_inputs(
    logps: Tensor,
    advantages: Tensor,
    options: LossOptions,
    named: dict[str, Tensor | None],
) -> None:
    if logps.dim() != 2:
        raise ValueError(f"logps must be (B, T), got shape {tuple(logps.shape)}")
    for name, tensor in named.items():
        if tensor is not None and tensor.shape != logps.shape:
            raise ValueError(
                f"{name} must have the shape of logps {tuple(logps.shape)}, got {tuple(tensor.shape)}"
            )
    if advantages.shape not in (logps.shape[:1], logps.shape):
        raise ValueError(
            f"advantages must be (B,) or (B, T) = {tuple(logps.shape)}, got {tuple(advantages.shape)}"
        )
    if options.uses_entropies and named["entropies"] is None:
        raise ValueError("entropies are needed for top_entropy_quantile < 1 or entropy_coef != 0")
    if options.sampler_correction is not None and named["sampling_logps"] is None:
        raise ValueError(f"sampling_logps are needed for sampler_correction={options.sampler_correction!r}")


def grpo_loss_from_options(
    logps: Tensor,
    old_logps: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    ref_logps: Tensor | None = None,
    entropies: Tensor | None = None,
    sampling_logps: Tensor | None = None,
    token_normalizer: float | Tensor | None = None,
    entropy_cutoff: float | Tensor | None = None,
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

    _check_inputs(
        logps,
        advantages,
        options,
        {
            "old_logps": old_logps,
            "mask": mask,
            "ref_logps": ref_logps,
            "entropies": entropies,
            "sampling_logps": sampling_logps,
        },
    )
    dtype = torch.promote_types(logps.dtype, torch.float32)
    valid = mask.bool()
    m = valid.to(dtype)
    zero = logps.new_zeros((), dtype=dtype)
    lp = torch.where(valid, logps.to(dtype), zero)
    old = old_logps.detach().to(dtype)
    token_log_ratio = torch.where(valid, lp - old, zero)
    adv = advantages.detach().to(dtype)
    adv = adv.unsqueeze(1) if adv.dim() == 1 else torch.where(valid, adv, zero)
    tokens_per_seq = m.sum(-1)
    log_ratio = token_log_ratio
    if options.importance_level == "sequence":
        log_ratio = ((token_log_ratio * m).sum(-1) / tokens_per_seq.clamp(min=1.0)).unsqueeze(1)
    ratio = torch.exp(log_ratio).expand_as(lp)
    adv_tokens = adv.expand_as(lp)
    sampler = None
    if options.sampler_correction is not None and sampling_logps is not None:
        sampler = sampler_weights(
            old,
            sampling_logps.to(dtype),
            valid,
            options.sampler_correction,
            options.sampler_clip_min,
            options.sampler_clip_max,
        )

    flags: dict[str, Tensor] = {}
    extra: dict[str, Tensor] = {}
    per_token = _policy_term(
        lp, ratio, token_log_ratio, adv, adv_tokens, valid, sampler, options, flags, extra
    )

    if options.off_policy_threshold is not None:
        behaviour = old if sampling_logps is None else sampling_logps.to(dtype)
        keep = off_policy_keep(lp, behaviour, adv, valid, options.off_policy_threshold)
        per_token = per_token * keep
        flags["off_policy/masked_mean"] = ~keep
    effective = valid
    if options.top_entropy_quantile < 1 and entropies is not None:
        detached = entropies.detach().to(dtype)
        cutoff = entropy_cutoff
        if cutoff is None:
            cutoff = entropy_threshold(detached[valid], 1.0 - options.top_entropy_quantile)
        high = valid & (detached >= cutoff)
        per_token = per_token * high
        effective = high
        flags["entropy_mask/kept_mean"] = high
    if sampler is not None and options.objective != "vespo":
        per_token = per_token * sampler
    per_token = torch.where(valid, per_token, zero)

    kl = None
    if options.beta != 0 and ref_logps is not None:
        kl = _kl(lp, ref_logps.detach().to(dtype), valid, zero, options.kl_estimator)
        if options.bias_corrected_kl:
            kl = kl * ratio
        kl = torch.where(valid, kl, zero)

    def aggregate(values: Tensor) -> Tensor:
        if options.aggregation == "seq-mean-token-mean":
            return (values.sum(-1) / tokens_per_seq.clamp(min=1.0)).mean()
        if options.aggregation == "token-mean":
            if token_normalizer is None:
                return values.sum() / m.sum().clamp(min=1.0)
            return values.sum() / token_normalizer
        if options.aggregation == "seq-mean-token-sum":
            return values.sum(-1).mean()
        length = options.max_length or values.shape[1]
        return values.sum() / (values.shape[0] * length)

    policy_loss = aggregate(per_token)
    loss = policy_loss if kl is None else policy_loss + options.beta * aggregate(kl)
    if options.entropy_coef != 0 and entropies is not None:
        kept = effective.to(dtype)
        bonus = torch.where(effective, entropies.to(dtype), zero).sum() / kept.sum().clamp(min=1.0)
        loss = loss - options.entropy_coef * bonus
    metrics = _metrics(policy_loss, ratio, valid, m, kl, flags, extra)
    return loss, metrics


def _policy_term(
    lp: Tensor,
    ratio: Tensor,
    token_log_ratio: Tensor,
    adv: Tensor,
    adv_tokens: Tensor,
    valid: Tensor,
    sampler: Tensor | None,
    options: LossOptions,
    flags: dict[str, Tensor],
    extra: dict[str, Tensor],
) -> Tensor:
    """The per-token policy loss of ``options.objective`` (before masks and weights)."""
    import torch

    if options.objective == "cispo":
        flags["cispo_clip_ratio"] = (ratio > options.cispo_max) & (adv_tokens > 0)
        weight = torch.clamp(ratio, max=options.cispo_max).detach()
        return -weight * adv_tokens * lp
    if options.objective == "sapo":
        tau = torch.where(
            adv_tokens > 0,
            adv_tokens.new_tensor(options.sapo_temperature_pos),
            adv_tokens.new_tensor(options.sapo_temperature_neg),
        )
        return -(4.0 / tau) * torch.sigmoid(tau * (ratio - 1.0)) * adv_tokens
    if options.objective == "vespo":
        phi = vespo_weights(
            token_log_ratio,
            valid,
            adv,
            k_pos=options.vespo_k_pos,
            lambda_pos=options.vespo_lambda_pos,
            k_neg=options.vespo_k_neg,
            lambda_neg=options.vespo_lambda_neg,
            sampler_weight=sampler,
        )
        extra["vespo/phi"] = phi
        return -phi * adv_tokens * lp
    capped = ratio if options.delta is None else torch.clamp(ratio, max=options.delta)
    clipped = torch.clamp(ratio, 1.0 - options.epsilon_low, 1.0 + options.epsilon_high)
    per_token = -torch.minimum(capped * adv_tokens, clipped * adv_tokens)
    negative = adv_tokens < 0
    if options.dual_clip is not None:
        bound = -options.dual_clip * adv_tokens
        flags["clip_ratio/dual_mean"] = negative & (per_token > bound)
        per_token = torch.where(negative, torch.minimum(per_token, bound), per_token)
    else:
        flags["clip_ratio/dual_mean"] = torch.zeros_like(valid)
    if options.delta is not None:  # where the cap changed the surrogate
        beyond = ratio > options.delta
        high_cap = (adv_tokens > 0) & (options.delta < 1.0 + options.epsilon_high)
        low_cap = negative & (ratio > 1.0 + options.epsilon_high)
        flags["clip_ratio/delta_mean"] = beyond & (high_cap | low_cap)
    low = negative & (capped < 1.0 - options.epsilon_low)
    high = (adv_tokens > 0) & (capped > 1.0 + options.epsilon_high)
    flags["clip_ratio/low_mean"] = low
    flags["clip_ratio/high_mean"] = high
    flags["clip_ratio/region_mean"] = low | high
    return per_token


def _kl(lp: Tensor, ref: Tensor, valid: Tensor, zero: Tensor, estimator: str) -> Tensor:
    import torch

    delta = torch.where(valid, ref - lp, zero)  # log(pi_ref / pi_theta)
    if estimator == "k1":
        return -delta
    if estimator == "k2":
        return delta.square() / 2
    return torch.exp(delta) - delta - 1


def _metrics(
    policy_loss: Tensor,
    ratio: Tensor,
    valid: Tensor,
    m: Tensor,
    kl: Tensor | None,
    flags: dict[str, Tensor],
    extra: dict[str, Tensor],
) -> dict[str, Tensor]:
    import torch

    with torch.no_grad():
        count = m.sum()

        def token_mean(values: Tensor) -> Tensor:
            return (values.to(m.dtype) * m).sum() / count.clamp(min=1.0)

        nan = torch.full((), float("nan"), dtype=m.dtype, device=m.device)
        metrics = {
            "policy_loss": policy_loss.detach(),
            "ratio/mean": token_mean(ratio.detach()),
            "ratio/min": torch.where(count > 0, torch.where(valid, ratio, math.inf).amin(), nan),
            "ratio/max": torch.where(count > 0, torch.where(valid, ratio, -math.inf).amax(), nan),
        }
        metrics |= {name: token_mean(valid & flag) for name, flag in flags.items()}
        if kl is not None:
            metrics["kl"] = token_mean(kl.detach())
        if "vespo/phi" in extra:
            phi = extra["vespo/phi"]
            if phi.shape[1] == 1:
                metrics["vespo/phi_seq_mean"] = phi.mean()
            else:
                metrics["vespo/phi_seq_mean"] = token_mean(phi)
    return metrics


def options_dict(options: LossOptions) -> dict[str, object]:
    """The options as keyword arguments of :func:`grpo_loss`.

    Example:
        >>> options_dict(LossOptions())["aggregation"]
        'seq-mean-token-mean'
    """
    return asdict(options)
