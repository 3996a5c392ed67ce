"""rlvr's ``GRPOTrainer``: TRL's GRPO trainer with the policy update computed by :func:`grpo_loss`.

Everything but the loss is TRL's (generation, rewards, advantages, vLLM, logging, checkpoints, distributed
training). The loss goes through TRL's override point ``_compute_loss(model, inputs)`` and takes its
log-probs and entropies from TRL's fused, tiled LM head (``_get_per_token_logps_and_entropies``): the full
logits are never materialised. Those hooks are private, so the supported TRL is pinned
(``trl>=1.16,<1.17``), checked when a trainer is built (:func:`check_trl_contract`), and covered by a
contract test.

Options: :class:`GRPOConfig` is TRL's config plus the loss options TRL lacks; every TRL 1.16 loss option
keeps its meaning and its result (see :mod:`rlvr.integrations.trl_options`): all eight ``loss_type``s
(grpo, bnpo, dr_grpo, dapo, cispo, sapo, luspo, vespo), ``importance_sampling_level="sequence"`` (GSPO),
``delta``, ``top_entropy_quantile``, ``off_policy_mask_threshold``, ``entropy_coef`` and
``use_adaptive_entropy``, ``use_bias_correction_kl`` (False by default here: DeepSeekMath's objective), and
with ``use_vllm`` the vLLM importance-sampling correction in all four ``vllm_importance_sampling_mode``s.
New: ``aggregation``, ``kl_estimator`` ("k1", "k2", "k3") and ``dual_clip``, combined with the above where
the maths allows (a ``ValueError`` names the options otherwise).

As in TRL: the entropy mask's quantile is taken over the completion tokens of all processes; the adaptive
entropy coefficient and its gate come from the end of the previous optimizer step, and its state is what
TRL checkpoints (``entropy_coef``, ``_last_world_entropy``); the vLLM settings are read from the trainer's
attributes at every step.

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
``beta > 0``), ``entropy``, ``ratio/mean``, ``ratio/min``, ``ratio/max``; for the clipped loss types
``clip_ratio/low_mean``, ``clip_ratio/high_mean``, ``clip_ratio/dual_mean``, ``clip_ratio/region_mean`` (and
``clip_ratio/delta_mean`` with ``delta``); ``cispo_clip_ratio``; ``vespo/phi_seq_mean``;
``off_policy/masked_mean``; ``entropy_mask/kept_mean``; ``entropy_coef`` (with an entropy bonus).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import trl

from rlvr.integrations.loss import (
    LOSS_TYPES,
    MEAN_METRICS,
    SEQUENCE_METRICS,
    LossOptions,
    grpo_loss_from_options,
)
from rlvr.integrations.loss_terms import applied_entropy_coef, entropy_threshold, next_entropy_coef
from rlvr.integrations.trl_contract import (
    CONFIG_FIELDS,
    FORWARD_KEYS,
    INPUT_KEYS,
    LOGPS_HOOK_PARAMETERS,
    OPTIONAL_INPUT_KEYS,
    SUPPORTED_TRL,
    TRAINER_ATTRIBUTES,
    TRLContractError,
    check_trl_contract,
)
from rlvr.integrations.trl_options import (
    LOSS_TYPE_AGGREGATION,
    MICRO_BATCH_TOKEN_MEAN,
    GRPOConfig,
    loss_options_from_args,
)

__all__ = [
    "CONFIG_FIELDS",
    "FORWARD_KEYS",
    "INPUT_KEYS",
    "LOGPS_HOOK_PARAMETERS",
    "LOSS_TYPES",
    "LOSS_TYPE_AGGREGATION",
    "OPTIONAL_INPUT_KEYS",
    "SUPPORTED_TRL",
    "TRAINER_ATTRIBUTES",
    "GRPOConfig",
    "GRPOTrainer",
    "StepRewards",
    "TRLContractError",
    "check_trl_contract",
    "dense_process_advantages",
    "loss_options_from_args",
    "normalize_step_rewards",
]

StepRewards = Sequence[tuple[int, float]] | None
#: Padding value for gathering entropies across processes (entropies are never negative).
_ENTROPY_PAD = -1e9


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
        self._micro_batch_token_mean = args.loss_type in MICRO_BATCH_TOKEN_MEAN
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

    def _step_loss_options(self) -> LossOptions:
        """The loss options of this step: the vLLM importance-sampling settings as the trainer's attributes
        hold them now (TRL reads them at every step) and the adaptive entropy coefficient."""
        options = self.loss_options
        changes: dict[str, Any] = {}
        correction = self.use_vllm and self.vllm_importance_sampling_correction
        sampler = (
            (
                self.vllm_importance_sampling_mode,
                self.vllm_importance_sampling_clip_min,
                self.vllm_importance_sampling_clip_max,
            )
            if correction
            else (None, options.sampler_clip_min, options.sampler_clip_max)
        )
        if sampler != (options.sampler_correction, options.sampler_clip_min, options.sampler_clip_max):
            names = ("sampler_correction", "sampler_clip_min", "sampler_clip_max")
            changes |= dict(zip(names, sampler, strict=True))
        coef = self.entropy_coef
        if self.use_adaptive_entropy:
            coef = applied_entropy_coef(coef, self._last_world_entropy, self.args.entropy_target)
        if coef != options.entropy_coef:
            changes["entropy_coef"] = coef
        return dataclasses.replace(options, **changes) if changes else options

    def _entropy_cutoff(self, entropies: torch.Tensor, mask: torch.Tensor, quantile: float) -> torch.Tensor:
        """The entropy cutoff of the top-``quantile`` tokens, over the completion tokens of all processes."""
        local = entropies.detach()[mask.bool()].float()
        padded = self.accelerator.pad_across_processes(local, dim=0, pad_index=_ENTROPY_PAD)
        gathered = self.accelerator.gather(padded)
        return entropy_threshold(gathered[gathered != _ENTROPY_PAD], 1.0 - quantile)

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
        mode = "train" if self.model.training else "eval"
        accumulation = self.current_gradient_accumulation_steps if mode == "train" else 1
        options = self._step_loss_options()
        cutoff = None
        if options.top_entropy_quantile < 1:
            cutoff = self._entropy_cutoff(entropies, mask, options.top_entropy_quantile)
        normalizer = None
        if options.aggregation == "token-mean" and not self._micro_batch_token_mean:
            # DAPO: the mean over the completion tokens of the whole accumulated batch on all processes (TRL's
            # normaliser): N / processes tokens per generation batch, steps_per_generation micro-batches.
            normalizer = inputs["num_items_in_batch"].clamp(min=1.0) / self.accelerator.num_processes
            if mode == "train":
                normalizer = normalizer / self.args.steps_per_generation
        loss, metrics = grpo_loss_from_options(
            logps,
            old_logps,
            inputs["advantages"],
            mask,
            ref_logps=ref_logps,
            entropies=entropies,
            sampling_logps=inputs.get("sampling_per_token_logps"),
            token_normalizer=normalizer,
            entropy_cutoff=cutoff,
            options=options,
        )
        loss = loss / accumulation
        if self.aux_loss_enabled:
            loss = loss + self.router_aux_loss_coef * aux_loss / accumulation
            self._metrics[mode]["aux_loss"].append(
                self.accelerator.gather_for_metrics(aux_loss).mean().item()
            )
        if self._entropy_bonus_enabled:
            self._entropy_control(mode, entropies, mask, cutoff)
        self._log_loss_metrics(mode, metrics, mask, entropies, per_sequence=inputs["advantages"].dim() == 1)
        return loss

    def _entropy_control(
        self, mode: str, entropies: torch.Tensor, mask: torch.Tensor, cutoff: torch.Tensor | None
    ) -> None:
        """Skywork-OR1's adaptive entropy control, as TRL runs it: the entropy of the tokens the bonus acts
        on, summed over the micro-batches of an optimizer step and all processes, moves the coefficient for
        the next step. Logs ``entropy_coef`` at every optimizer step."""
        if mode != "train":
            return
        if self.use_adaptive_entropy:
            with torch.no_grad():
                effective = mask.bool()
                if cutoff is not None:
                    effective = effective & (entropies.detach() >= cutoff)
                kept = effective.to(torch.float32)
                stats = torch.stack([(entropies.detach().float() * kept).sum(), kept.sum()])
            window = self._entropy_window_stats
            self._entropy_window_stats = stats if window is None else window + stats
            if self.accelerator.sync_gradients:
                totals = self.accelerator.reduce(self._entropy_window_stats, reduction="sum")
                entropy = (totals[0] / totals[1].clamp(min=1.0)).item()
                self.entropy_coef = next_entropy_coef(
                    self.entropy_coef,
                    entropy,
                    self.args.entropy_target,
                    self.args.entropy_coef_delta,
                    self.args.entropy_coef_min,
                    self.args.entropy_coef_max,
                )
                self._last_world_entropy = entropy
                self._entropy_window_stats = None
        if self.accelerator.sync_gradients:
            self._metrics[mode]["entropy_coef"].append(self.entropy_coef)

    def _log_loss_metrics(
        self,
        mode: str,
        metrics: dict[str, torch.Tensor],
        mask: torch.Tensor,
        entropies: torch.Tensor,
        *,
        per_sequence: bool = True,
    ) -> None:
        valid = mask.bool()
        count = valid.sum().to(torch.float32)
        rows = torch.tensor(float(mask.size(0)), device=count.device)
        token_names = [name for name in MEAN_METRICS if name in metrics]
        sequence_names = [name for name in SEQUENCE_METRICS if name in metrics]
        # a per-sequence metric of (B, T) advantages is a token mean: weigh it by tokens
        sequence_weight = rows if per_sequence else count
        with torch.no_grad():
            entropy_sum = torch.where(valid, entropies.detach().float(), 0.0).sum()
            local = torch.stack(
                [
                    *(metrics[n].float() * count for n in token_names),
                    *(metrics[n].float() * sequence_weight for n in sequence_names),
                    entropy_sum,
                    metrics["policy_loss"].float(),
                    count,
                    sequence_weight,
                ]
            )
            totals = self.accelerator.reduce(local, reduction="sum")
            tokens, weight = totals[-2].clamp(min=1.0), totals[-1].clamp(min=1.0)
            for index, name in enumerate([*token_names, *sequence_names, "entropy"]):
                divisor = weight if name in sequence_names else tokens
                self._metrics[mode][name].append((totals[index] / divisor).item())
            self._metrics[mode]["policy_loss"].append((totals[-3] / self.accelerator.num_processes).item())
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
