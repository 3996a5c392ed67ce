"""What rlvr's GRPOTrainer needs from TRL's private internals, and a check that fails loudly when it changes.

rlvr's trainer overrides ``trl.GRPOTrainer._compute_loss`` and reads, inside it, what TRL's own loss reads:
the log-prob/entropy hook, the keys of the batch TRL's generation step builds (old, reference and sampler
log-probs), the trainer attributes TRL sets from its config and reads at every step (vLLM's
importance-sampling settings, the adaptive entropy controller's state, which TRL also checkpoints), and the
config fields the loss is built from. All of these are private or undocumented, so the supported TRL is
pinned (``trl>=1.16,<1.17``) and :func:`check_trl_contract` runs when a trainer is built.
"""

from __future__ import annotations

import dataclasses
import inspect

import trl
from packaging.version import Version

#: The TRL versions whose private hooks this trainer was written against.
SUPPORTED_TRL = (Version("1.16"), Version("1.17"))
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
#: Read when present: the old policy's log-probs (off-policy steps, and always with vLLM), the reference's
#: (``beta > 0``), the sampler's (vLLM, or a ``rollout_func`` returning log-probs; padded with 0, NaN where
#: the sampler gave none) and the tool mask.
OPTIONAL_INPUT_KEYS: tuple[str, ...] = (
    "old_per_token_logps",
    "ref_per_token_logps",
    "sampling_per_token_logps",
    "tool_mask",
)
#: Attributes TRL's ``__init__`` sets and its loss reads at every step; rlvr's loss reads the same ones.
TRAINER_ATTRIBUTES: tuple[str, ...] = (
    "beta",
    "use_vllm",
    "vllm_importance_sampling_correction",
    "vllm_importance_sampling_mode",
    "vllm_importance_sampling_clip_min",
    "vllm_importance_sampling_clip_max",
    "entropy_coef",
    "use_adaptive_entropy",
    "_entropy_bonus_enabled",
    "_last_world_entropy",
    "_entropy_window_stats",
    "aux_loss_enabled",
    "router_aux_loss_coef",
)
#: The adaptive entropy state TRL saves with a checkpoint and restores on resume (rlvr keeps it there).
CHECKPOINTED_ATTRIBUTES: tuple[str, ...] = ("entropy_coef", "_last_world_entropy")
#: ``trl.GRPOConfig`` fields the loss options are built from.
CONFIG_FIELDS: tuple[str, ...] = (
    "loss_type",
    "beta",
    "epsilon",
    "epsilon_high",
    "delta",
    "importance_sampling_level",
    "max_completion_length",
    "sapo_temperature_pos",
    "sapo_temperature_neg",
    "vespo_k_pos",
    "vespo_lambda_pos",
    "vespo_k_neg",
    "vespo_lambda_neg",
    "use_bias_correction_kl",
    "top_entropy_quantile",
    "entropy_coef",
    "use_adaptive_entropy",
    "entropy_coef_min",
    "entropy_coef_max",
    "entropy_coef_delta",
    "entropy_target",
    "off_policy_mask_threshold",
    "use_vllm",
    "vllm_importance_sampling_correction",
    "vllm_importance_sampling_mode",
    "vllm_importance_sampling_clip_min",
    "vllm_importance_sampling_clip_max",
    "steps_per_generation",
)


class TRLContractError(RuntimeError):
    """The installed TRL does not have the private hooks this trainer overrides or calls."""


def _source(function: object) -> str:
    try:
        return inspect.getsource(function)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return ""


def check_trl_contract(trainer_class: type | None = None, config_class: type | None = None) -> None:
    """Fail loudly when the installed TRL is outside the pin or its private hooks changed.

    Checks the version pin; the signatures of ``_get_per_token_logps_and_entropies`` (with
    ``compute_entropy``) and ``_compute_loss``; that ``_generate_and_score_completions`` still puts the old,
    reference and sampler log-probs in the batch under the keys read here; that ``__init__`` still sets the
    attributes the loss reads (:data:`TRAINER_ATTRIBUTES`) and checkpoints the adaptive entropy state; and
    that the config has the fields the loss options come from (:data:`CONFIG_FIELDS`).

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
    generation = _source(getattr(base, "_generate_and_score_completions", None))
    gone = [key for key in (*INPUT_KEYS, *OPTIONAL_INPUT_KEYS) if f'"{key}"' not in generation]
    if gone:
        raise TRLContractError(
            f"trl.GRPOTrainer._generate_and_score_completions no longer builds the batch keys {gone}"
        )
    init = _source(base.__init__)
    unset = [name for name in TRAINER_ATTRIBUTES if f"self.{name} =" not in init]
    if unset:
        raise TRLContractError(f"trl.GRPOTrainer.__init__ no longer sets {unset}")
    saving = _source(getattr(base, "_save_checkpoint", None)) + _source(
        getattr(base, "_load_optimizer_and_scheduler", None)
    )
    unsaved = [name for name in CHECKPOINTED_ATTRIBUTES if f"self.{name}" not in saving]
    if unsaved:
        raise TRLContractError(f"trl.GRPOTrainer no longer checkpoints {unsaved}")
    fields = {f.name for f in dataclasses.fields(config_class or trl.GRPOConfig)}
    absent = [name for name in CONFIG_FIELDS if name not in fields]
    if absent:
        raise TRLContractError(f"trl.GRPOConfig lost the fields {absent}")
