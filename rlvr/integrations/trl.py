"""rlvr's ``GRPOTrainer``: TRL's GRPO trainer with the policy update computed by :func:`grpo_loss`.

Everything but the loss is TRL's (generation, rewards, advantages, logging, distributed training). The
loss goes through TRL's override point ``_compute_loss(model, inputs)`` and takes its log-probs from
TRL's fused, tiled LM head (``_get_per_token_logps_and_entropies``): the full logits are never
materialised. Those hooks are private, so the supported TRL is pinned (``trl>=1.16,<1.17``), checked when
a trainer is built, and covered by a contract test.

Options: :class:`GRPOConfig` is TRL's config plus the loss options TRL lacks. TRL's own fields keep their
meaning: ``beta``, ``epsilon`` / ``epsilon_high``, ``importance_sampling_level`` ("sequence" = GSPO),
``max_completion_length`` (Dr. GRPO's constant), and ``loss_type`` chooses the aggregation unless
``aggregation`` is set: ``"grpo"`` -> seq-mean-token-mean, ``"dapo"`` -> token-mean over the whole
accumulated batch (as TRL), ``"dr_grpo"`` -> seq-mean-token-sum-norm. New: ``aggregation``,
``kl_estimator`` ("k1", "k2", "k3") and ``dual_clip``. The DeepSeekMath objective is ``loss_type="grpo",
beta=0.04`` (``use_bias_correction_kl`` defaults to False here; True is not supported).

Rewards: any TRL reward (a callable or a reward model) and any rlvr reward. Per-token (process)
advantages: a reward function that also has a method ``token_rewards(prompts=, completions=,
completion_ids=, trainer_state=, **columns)`` returning, per completion, a list of ``(token_index,
reward)`` steps (the index of the completion token that ends the step) or ``None``, adds DeepSeekMath's
process-supervision advantage: the step rewards are normalised within each group, ``(r - mean) / (std +
1e-4)``, and token ``t`` receives the sum of the normalised rewards of the steps ending at or after
``t``, times the reward's weight. This is added to TRL's outcome advantage (from the reward's ordinary
return value; a reward that should only act per token returns ``None`` there), and the loss gets (B, T)
advantages.

Logged (``self._metrics``, averaged over processes by token count): ``policy_loss``, ``kl`` (when
``beta > 0``), ``entropy``, ``clip_ratio/low_mean``, ``clip_ratio/high_mean``, ``clip_ratio/dual_mean``,
``clip_ratio/region_mean``, ``ratio/mean``, ``ratio/min``, ``ratio/max``.

Not supported (a clear error when set): TRL's other loss types (cispo, sapo, luspo, vespo, bnpo),
``delta``, ``top_entropy_quantile < 1``, ``off_policy_mask_threshold``, the entropy bonus,
``use_bias_correction_kl=True`` with ``beta > 0``, and vLLM importance-sampling correction.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import trl
from packaging.version import Version

from rlvr.integrations.loss import (
    AGGREGATIONS,
    KL_ESTIMATORS,
    MEAN_METRICS,
    LossOptions,
    grpo_loss_from_options,
)

#: The TRL versions whose private hooks this trainer was written against.
SUPPORTED_TRL = (Version("1.16"), Version("1.17"))
#: The aggregation each TRL ``loss_type`` stands for.
LOSS_TYPE_AGGREGATION: dict[str, str] = {
    "grpo": "seq-mean-token-mean",
    "dapo": "token-mean",
    "dr_grpo": "seq-mean-token-sum-norm",
}
#: The keyword arguments passed to ``_get_per_token_logps_and_entropies`` (besides the model inputs).
LOGPS_HOOK_PARAMETERS: tuple[str, ...] = (
    "model",
    "input_ids",
    "attention_mask",
    "logits_to_keep",
    "compute_entropy",
    "compute_aux_loss",
)
#: Multimodal inputs forwarded to the log-prob hook when the batch has them.
FORWARD_KEYS: tuple[str, ...] = (
    "pixel_values",
    "image_grid_thw",
    "num_images",
    "pixel_attention_mask",
    "spatial_shapes",
    "num_tiles",
    "image_sizes",
    "token_type_ids",
    "mm_token_type_ids",
    "image_position_ids",
)
#: The keys of TRL's batch that the loss reads.
INPUT_KEYS: tuple[str, ...] = (
    "prompt_ids",
    "prompt_mask",
    "completion_ids",
    "completion_mask",
    "advantages",
    "num_items_in_batch",
)
#: Read when present.
OPTIONAL_INPUT_KEYS: tuple[str, ...] = ("old_per_token_logps", "ref_per_token_logps", "tool_mask")

StepRewards = Sequence[tuple[int, float]] | None


class TRLContractError(RuntimeError):
    """The installed TRL does not have the private hooks this trainer overrides or calls."""


def check_trl_contract(trainer_class: type | None = None) -> None:
    """Fail loudly when the installed TRL is outside the pin or its private hooks changed.

    Example:
        >>> check_trl_contract()  # passes with trl 1.16.x
    """
    version = Version(trl.__version__)
    if not SUPPORTED_TRL[0] <= version < SUPPORTED_TRL[1]:
        raise TRLContractError(
            f"rlvr's GRPOTrainer supports trl>={SUPPORTED_TRL[0]},<{SUPPORTED_TRL[1]}; "
            f"trl {version} is installed "
            "(its private loss hooks change between releases): pip install 'trl>=1.16,<1.17'"
        )
    base = trainer_class or trl.GRPOTrainer
    hook = getattr(base, "_get_per_token_logps_and_entropies", None)
    if hook is None:
        raise TRLContractError("trl.GRPOTrainer has no _get_per_token_logps_and_entropies")
    parameters = inspect.signature(hook).parameters
    missing = [p for p in (*LOGPS_HOOK_PARAMETERS, *FORWARD_KEYS) if p not in parameters]
    if missing:
        raise TRLContractError(
            f"trl.GRPOTrainer._get_per_token_logps_and_entropies lost parameters {missing}"
        )
    compute = getattr(base, "_compute_loss", None)
    if compute is None or list(inspect.signature(compute).parameters) != ["self", "model", "inputs"]:
        raise TRLContractError("trl.GRPOTrainer._compute_loss(self, model, inputs) is gone or changed")


def _loss_help(text: str) -> dict[str, Any]:
    return {"help": text}


@dataclass
class GRPOConfig(trl.GRPOConfig):
    """TRL's ``GRPOConfig`` plus rlvr's loss options (see the module docstring).

    Example:
        >>> args = GRPOConfig(output_dir="/tmp/rlvr-doc", loss_type="grpo", beta=0.04, dual_clip=3.0,
        ...                   use_cpu=True, bf16=False, report_to="none")
        >>> options = args.loss_options()
        >>> options.aggregation, options.kl_estimator, options.dual_clip
        ('seq-mean-token-mean', 'k3', 3.0)
    """

    aggregation: str | None = field(
        default=None,
        metadata=_loss_help(
            f"Loss aggregation, one of {AGGREGATIONS}; None follows loss_type "
            "(grpo: seq-mean-token-mean, dapo: token-mean, dr_grpo: seq-mean-token-sum-norm)."
        ),
    )
    kl_estimator: str = field(
        default="k3", metadata=_loss_help(f"KL estimator, one of {KL_ESTIMATORS} (k3: DeepSeekMath).")
    )
    dual_clip: float | None = field(
        default=None, metadata=_loss_help("Dual-clip constant c > 1: loss of tokens with A < 0 at most -c*A.")
    )
    use_bias_correction_kl: bool = field(
        default=False,
        metadata=_loss_help(
            "Not supported by rlvr's loss (the KL is not multiplied by the ratio); keep False."
        ),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        loss_options_from_args(self)

    def loss_options(self) -> LossOptions:
        """The :class:`LossOptions` these arguments stand for."""
        return loss_options_from_args(self)


def loss_options_from_args(args: trl.GRPOConfig) -> LossOptions:
    """The loss options of a TRL or rlvr ``GRPOConfig``; a ``ValueError`` for what rlvr's loss cannot do.

    Example:
        >>> import trl
        >>> args = trl.GRPOConfig(output_dir="/tmp/rlvr-doc", loss_type="dr_grpo", max_completion_length=64,
        ...                       use_cpu=True, bf16=False, report_to="none")
        >>> loss_options_from_args(args).max_length
        64
    """
    if args.loss_type not in LOSS_TYPE_AGGREGATION:
        raise ValueError(
            f"rlvr's GRPOTrainer implements loss_type in {tuple(LOSS_TYPE_AGGREGATION)}, "
            f"got loss_type={args.loss_type!r}; use trl.GRPOTrainer for it"
        )
    aggregation = getattr(args, "aggregation", None) or LOSS_TYPE_AGGREGATION[args.loss_type]
    unsupported = {
        "delta (two-sided clipping)": args.delta is not None,
        "top_entropy_quantile < 1": args.top_entropy_quantile < 1.0,
        "off_policy_mask_threshold": args.off_policy_mask_threshold is not None,
        "entropy_coef / use_adaptive_entropy": args.entropy_coef != 0.0 or args.use_adaptive_entropy,
        "use_bias_correction_kl=True with beta > 0": args.use_bias_correction_kl and args.beta != 0.0,
        "vLLM importance-sampling correction (set vllm_importance_sampling_correction=False)": (
            args.use_vllm and args.vllm_importance_sampling_correction
        ),
    }
    for what, is_set in unsupported.items():
        if is_set:
            raise ValueError(f"rlvr's GRPOTrainer does not support {what}; use trl.GRPOTrainer for it")
    max_length = None
    if aggregation == "seq-mean-token-sum-norm":
        max_length = args.max_completion_length
    return LossOptions(
        beta=args.beta,
        epsilon_low=args.epsilon,
        epsilon_high=args.epsilon if args.epsilon_high is None else args.epsilon_high,
        dual_clip=getattr(args, "dual_clip", None),
        kl_estimator=getattr(args, "kl_estimator", "k3"),
        aggregation=aggregation,  # type: ignore[arg-type]
        importance_level=args.importance_sampling_level,  # type: ignore[arg-type]
        max_length=max_length,
    )


def normalize_step_rewards(steps: Sequence[StepRewards], group_size: int) -> list[list[tuple[int, float]]]:
    """DeepSeekMath's process-reward normalisation: each step reward minus the mean of all step rewards of
    its group, over their standard deviation (+1e-4). ``None`` rows have no steps.

    Example:
        >>> rows = normalize_step_rewards([[(0, 1.0), (3, 0.0)], None], group_size=2)
        >>> [[(i, round(r, 3)) for i, r in row] for row in rows]
        [[(0, 0.707), (3, -0.707)], []]
    """
    if group_size < 1 or len(steps) % group_size:
        raise ValueError(f"{len(steps)} rows do not form groups of {group_size}")
    normalised: list[list[tuple[int, float]]] = []
    for start in range(0, len(steps), group_size):
        group = [list(row or ()) for row in steps[start : start + group_size]]
        values = [float(reward) for row in group for _, reward in row]
        mean = sum(values) / len(values) if values else 0.0
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
        normalised.extend([(int(i), (float(r) - mean) / (std + 1e-4)) for i, r in row] for row in group)
    return normalised


def dense_process_advantages(steps: Sequence[Sequence[tuple[int, float]]], length: int) -> torch.Tensor:
    """(B, length) advantages: token ``t`` gets the sum of the (normalised) rewards of steps ending at or
    after ``t``. Step indices beyond the last token count at the last token.

    Example:
        >>> dense_process_advantages([[(1, 1.0), (3, -0.5)], []], length=4)
        tensor([[ 0.5000,  0.5000, -0.5000, -0.5000],
                [ 0.0000,  0.0000,  0.0000,  0.0000]])
    """
    rewards = torch.zeros(len(steps), length, dtype=torch.float32)
    for row, row_steps in enumerate(steps):
        for index, reward in row_steps:
            rewards[row, min(max(int(index), 0), length - 1)] += reward
    return rewards.flip(-1).cumsum(-1).flip(-1)


class GRPOTrainer(trl.GRPOTrainer):
    """``trl.GRPOTrainer`` whose policy update is :func:`rlvr.integrations.loss.grpo_loss`.

    Takes the same arguments as TRL's trainer; ``args`` may be rlvr's :class:`GRPOConfig` (for
    ``aggregation``, ``kl_estimator``, ``dual_clip``) or TRL's. See the module docstring.

    Example:
        >>> issubclass(GRPOTrainer, trl.GRPOTrainer)
        True
    """

    _tag_names: ClassVar[list[str]] = ["trl", "grpo", "rlvr"]

    def __init__(
        self, model: Any, reward_funcs: Any = None, args: trl.GRPOConfig | None = None, **kwargs: Any
    ):
        check_trl_contract()
        if args is None:
            name = model if isinstance(model, str) else trl.trainer.utils.get_config_model_id(model.config)
            args = GRPOConfig(f"{name.split('/')[-1]}-GRPO")
        self.loss_options = loss_options_from_args(args)
        super().__init__(model, reward_funcs, args=args, **kwargs)
        self._process_rewards = [
            (index, func)
            for index, func in enumerate(self.reward_funcs)
            if callable(getattr(func, "token_rewards", None))
        ]

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> torch.Tensor:
        if return_outputs:
            raise ValueError("The GRPOTrainer does not support returning outputs")
        return self._compute_loss(model, inputs)

    def _compute_loss(self, model: Any, inputs: dict[str, Any]) -> torch.Tensor:
        completion_ids, completion_mask = inputs["completion_ids"], inputs["completion_mask"]
        input_ids = torch.cat([inputs["prompt_ids"], completion_ids], dim=1)
        attention_mask = torch.cat([inputs["prompt_mask"], completion_mask], dim=1)
        mask = completion_mask if "tool_mask" not in inputs else completion_mask * inputs["tool_mask"]
        logps, entropies, aux_loss = self._get_per_token_logps_and_entropies(
            model,
            input_ids,
            attention_mask,
            completion_ids.size(1),
            compute_entropy=True,
            compute_aux_loss=self.aux_loss_enabled,
            **{key: inputs.get(key) for key in FORWARD_KEYS},
        )
        old_logps = inputs.get("old_per_token_logps")
        old_logps = logps.detach() if old_logps is None else old_logps
        ref_logps = inputs.get("ref_per_token_logps") if self.beta != 0.0 else None
        loss, metrics = grpo_loss_from_options(
            logps, old_logps, inputs["advantages"], mask, ref_logps=ref_logps, options=self.loss_options
        )
        mode = "train" if self.model.training else "eval"
        accumulation = self.current_gradient_accumulation_steps if mode == "train" else 1
        if self.loss_options.aggregation == "token-mean":
            # DAPO: the mean over the completion tokens of the whole accumulated batch on all processes (TRL's
            # "dapo" normaliser), not just this micro-batch's.
            normalizer = inputs["num_items_in_batch"].clamp(min=1.0) / self.accelerator.num_processes
            if mode == "train":
                normalizer = normalizer * accumulation / self.args.steps_per_generation
            loss = loss * mask.bool().sum().clamp(min=1) / normalizer
        else:
            loss = loss / accumulation
        if self.aux_loss_enabled:
            loss = loss + self.router_aux_loss_coef * aux_loss / accumulation
            self._metrics[mode]["aux_loss"].append(
                self.accelerator.gather_for_metrics(aux_loss).mean().item()
            )
        self._log_loss_metrics(mode, metrics, mask, entropies)
        return loss

    def _log_loss_metrics(
        self, mode: str, metrics: dict[str, torch.Tensor], mask: torch.Tensor, entropies: torch.Tensor
    ) -> None:
        valid = mask.bool()
        count = valid.sum().to(torch.float32)
        names = [name for name in MEAN_METRICS if name in metrics]
        with torch.no_grad():
            entropy_sum = (entropies.detach().float() * valid).sum()
            local = torch.stack(
                [
                    *(metrics[n].float() * count for n in names),
                    entropy_sum,
                    metrics["policy_loss"].float(),
                    count,
                ]
            )
            totals = self.accelerator.reduce(local, reduction="sum")
            tokens = totals[-1].clamp(min=1.0)
            for name, total in zip([*names, "entropy"], totals[: len(names) + 1], strict=True):
                self._metrics[mode][name].append((total / tokens).item())
            self._metrics[mode]["policy_loss"].append((totals[-2] / self.accelerator.num_processes).item())
            extremes = self.accelerator.gather(
                torch.stack([metrics["ratio/min"], metrics["ratio/max"]]).float()
            )
            extremes = extremes.view(-1, 2)
            low, high = extremes[:, 0], extremes[:, 1]
            low, high = low[~torch.isnan(low)], high[~torch.isnan(high)]
            self._metrics[mode]["ratio/min"].append(low.min().item() if low.numel() else math.nan)
            self._metrics[mode]["ratio/max"].append(high.max().item() if high.numel() else math.nan)

    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        output = super()._generate_and_score_completions(inputs)
        if self._process_rewards:
            output["advantages"] = self._with_process_advantages(inputs, output)
        return output

    def _with_process_advantages(self, inputs: list[dict[str, Any]], output: dict[str, Any]) -> torch.Tensor:
        from accelerate.utils import gather_object
        from trl.data_utils import is_conversational

        completion_ids, completion_mask = output["completion_ids"], output["completion_mask"].bool()
        ids = [row[keep].tolist() for row, keep in zip(completion_ids, completion_mask, strict=True)]
        texts = self._tokenizer.batch_decode(ids, skip_special_tokens=True)
        prompts = [example["prompt"] for example in inputs]
        completions: list[Any] = texts
        if is_conversational(inputs[0]):
            completions = [[{"role": "assistant", "content": text}] for text in texts]
        columns = {
            key: [example[key] for example in inputs]
            for key in inputs[0]
            if key not in ("prompt", "completion", "completion_ids")
        }
        mode = "train" if self.model.training else "eval"
        group_size = self.num_generations if mode == "train" else self.num_generations_eval
        length = completion_ids.size(1)
        start = self.accelerator.process_index * len(prompts)
        advantages = output["advantages"].to(torch.float32)
        advantages = advantages.unsqueeze(1).expand(-1, length) if advantages.dim() == 1 else advantages
        advantages = advantages.clone()
        for index, func in self._process_rewards:
            steps = func.token_rewards(
                prompts=prompts,
                completions=completions,
                completion_ids=ids,
                trainer_state=self.state,
                **columns,
            )
            if len(steps) != len(prompts):
                raise ValueError(
                    f"{func.__name__}.token_rewards returned {len(steps)} rows for {len(prompts)}"
                )
            normalised = normalize_step_rewards(gather_object(list(steps)), group_size)
            local = dense_process_advantages(normalised[start : start + len(prompts)], length)
            advantages += float(self.reward_weights[index]) * local.to(advantages.device)
        return advantages
