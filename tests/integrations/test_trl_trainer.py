"""rlvr's GRPOTrainer inside real TRL runs on a tiny model (CPU, offline).

- the contract with TRL's private hooks (fails loudly when TRL changes them);
- the config: TRL's options mapped to the loss, rlvr's added, errors naming the options;
- end to end with rlvr rewards: finite loss, parameters change, metrics logged; per-token advantages, also
  with the entropy mask, the off-policy mask and every objective;
- two CPU processes under ``accelerate launch``, rlvr's trainer and TRL's with the options whose statistics
  cross processes (entropy quantile, adaptive entropy window): equal (8 s idle, about a minute loaded).

Equality with TRL's own loss, every configuration: test_trl_losses.py; vLLM's correction: test_trl_vllm.py.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

trl = pytest.importorskip("trl", reason="needs the [trl] extra")
torch = pytest.importorskip("torch", reason="needs the [trl] extra")
datasets = pytest.importorskip("datasets", reason="needs the [trl] extra")

from trl_harness import length_reward, logged, make_trainer  # noqa: E402

from rlvr.integrations.trl import (  # noqa: E402
    CONFIG_FIELDS,
    FORWARD_KEYS,
    INPUT_KEYS,
    LOGPS_HOOK_PARAMETERS,
    TRAINER_ATTRIBUTES,
    GRPOConfig,
    GRPOTrainer,
    TRLContractError,
    check_trl_contract,
    dense_process_advantages,
    loss_options_from_args,
    normalize_step_rewards,
)
from rlvr.rewards import MathAccuracyReward, combine, tag_count, think_format  # noqa: E402


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("WANDB_DISABLED", "true")


# -- the contract with TRL's private hooks ------------------------------------------------------------


def test_trl_version_is_pinned() -> None:
    from packaging.version import Version

    assert Version("1.16") <= Version(trl.__version__) < Version("1.17")
    check_trl_contract()


def test_private_hook_signatures() -> None:
    hook = inspect.signature(trl.GRPOTrainer._get_per_token_logps_and_entropies)
    assert list(hook.parameters)[:5] == ["self", *LOGPS_HOOK_PARAMETERS[:4]]
    for name in (*LOGPS_HOOK_PARAMETERS, *FORWARD_KEYS):
        assert name in hook.parameters, name
    assert list(inspect.signature(trl.GRPOTrainer._compute_loss).parameters) == ["self", "model", "inputs"]
    compute = inspect.signature(trl.GRPOTrainer.compute_loss).parameters
    assert list(compute) == ["self", "model", "inputs", "return_outputs", "num_items_in_batch"]
    generate = inspect.signature(trl.GRPOTrainer._generate_and_score_completions).parameters
    assert list(generate) == ["self", "inputs"]
    source = inspect.getsource(trl.GRPOTrainer)
    for attribute in (
        "self._metrics",
        "self.reward_weights",
        "self.aux_loss_enabled",
        "self.router_aux_loss_coef",
        "self.current_gradient_accumulation_steps",
        "self._tokenizer",
        "self.num_generations_eval",
        "self.reward_funcs",
    ):
        assert attribute in source, attribute


def test_contract_check_fails_loudly_on_a_changed_hook() -> None:
    class Changed(trl.GRPOTrainer):
        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask):  # type: ignore[override]
            raise NotImplementedError

    with pytest.raises(TRLContractError, match="lost parameters"):
        check_trl_contract(Changed)

    class NoLoss(trl.GRPOTrainer):
        def _compute_loss(self, model, inputs, extra):  # type: ignore[override]
            raise NotImplementedError

    with pytest.raises(TRLContractError, match="_compute_loss"):
        check_trl_contract(NoLoss)


def test_contract_check_covers_sampler_log_probs_entropy_state_and_config() -> None:
    """The pieces the new options read: the sampler's log-probs in TRL's batch, the attributes TRL's loss
    reads at every step (vLLM settings, adaptive entropy state) and checkpoints, the config fields."""

    class NoSamplerLogps(trl.GRPOTrainer):
        def _generate_and_score_completions(self, inputs):  # type: ignore[override]
            output = {"prompt_ids": 0, "prompt_mask": 0, "completion_ids": 0, "completion_mask": 0}
            output |= {"advantages": 0, "num_items_in_batch": 0, "old_per_token_logps": 0}
            output |= {"ref_per_token_logps": 0, "tool_mask": 0}
            return output

    with pytest.raises(TRLContractError, match="sampling_per_token_logps"):
        check_trl_contract(NoSamplerLogps)

    class NoAdaptiveEntropy(trl.GRPOTrainer):
        def __init__(self) -> None:  # sets everything but the adaptive entropy state
            self.beta = self.use_vllm = self.vllm_importance_sampling_correction = None
            self.vllm_importance_sampling_mode = self.vllm_importance_sampling_clip_min = None
            self.vllm_importance_sampling_clip_max = self.entropy_coef = self.use_adaptive_entropy = None
            self._entropy_bonus_enabled = self.aux_loss_enabled = self.router_aux_loss_coef = None

    with pytest.raises(TRLContractError, match="_last_world_entropy"):
        check_trl_contract(NoAdaptiveEntropy)

    @dataclasses.dataclass
    class OldConfig:
        loss_type: str = "grpo"

    with pytest.raises(TRLContractError, match="vllm_importance_sampling_mode"):
        check_trl_contract(config_class=OldConfig)
    init = inspect.getsource(trl.GRPOTrainer.__init__)
    assert all(f"self.{name} = " in init for name in TRAINER_ATTRIBUTES)
    assert set(CONFIG_FIELDS) <= {f.name for f in dataclasses.fields(trl.GRPOConfig)}


def test_batch_keys_and_fused_head(tmp_path: Path) -> None:
    """The keys the loss reads are in TRL's batch; log-probs and entropies come from the fused head, without
    logits."""
    trainer = make_trainer(tmp_path, max_steps=1)
    assert isinstance(trainer, GRPOTrainer)
    trainer.train()
    inputs = trainer._buffered_inputs[0]
    for key in (*INPUT_KEYS, "old_per_token_logps", "ref_per_token_logps"):
        assert key in inputs, key
    shape = inputs["completion_ids"].shape
    assert inputs["old_per_token_logps"].shape == shape == inputs["ref_per_token_logps"].shape
    assert inputs["advantages"].shape == shape[:1]
    calls: list[tuple[int, ...]] = []
    handle = trainer.model.lm_head.register_forward_hook(lambda m, a, out: calls.append(tuple(out.shape)))
    try:
        input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], dim=1)
        attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], dim=1)
        logps, entropies, aux = trainer._get_per_token_logps_and_entropies(
            trainer.model, input_ids, attention, shape[1], compute_entropy=True
        )
        trainer._compute_loss(trainer.model, inputs)
    finally:
        handle.remove()
    assert calls == []  # the (B, L, vocab) logits were never produced by the LM head module
    assert logps.shape == shape and entropies.shape == shape and aux is None
    assert entropies.requires_grad  # the entropy bonus trains through them
    valid = inputs["completion_mask"].bool()
    assert (entropies.detach()[valid] >= 0).all()


# -- options ------------------------------------------------------------------------------------------


def test_config_maps_trl_options(tmp_path: Path) -> None:
    common = {"output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "report_to": "none"}
    options = GRPOConfig(
        **common, loss_type="dr_grpo", max_completion_length=64, epsilon_high=0.28
    ).loss_options()
    assert (options.aggregation, options.max_length, options.epsilon_high) == (
        "seq-mean-token-sum-norm",
        64,
        0.28,
    )
    options = GRPOConfig(**common, aggregation="token-mean", kl_estimator="k2", dual_clip=3.0).loss_options()
    assert (options.aggregation, options.kl_estimator, options.dual_clip) == ("token-mean", "k2", 3.0)
    assert GRPOConfig(**common).use_bias_correction_kl is False
    expected = {
        "grpo": ("clip", "seq-mean-token-mean"),
        "bnpo": ("clip", "token-mean"),
        "dr_grpo": ("clip", "seq-mean-token-sum-norm"),
        "dapo": ("clip", "token-mean"),
        "cispo": ("cispo", "token-mean"),
        "sapo": ("sapo", "seq-mean-token-mean"),
        "luspo": ("clip", "seq-mean-token-sum"),
        "vespo": ("vespo", "token-mean"),
    }
    for loss_type, pair in expected.items():
        options = GRPOConfig(**common, loss_type=loss_type).loss_options()
        assert (options.objective, options.aggregation) == pair, loss_type
    trl_args = trl.GRPOConfig(
        **common,
        loss_type="cispo",
        epsilon_high=5.0,
        beta=0.04,
        top_entropy_quantile=0.2,
        entropy_coef=0.01,
        off_policy_mask_threshold=0.5,
        sapo_temperature_neg=2.0,
        vespo_k_pos=1.5,
    )
    options = loss_options_from_args(trl_args)
    assert options.cispo_max == 5.0 and options.bias_corrected_kl  # TRL's default: the unbiased KL
    assert (options.top_entropy_quantile, options.entropy_coef, options.off_policy_threshold) == (
        0.2,
        0.01,
        0.5,
    )
    assert (options.sapo_temperature_neg, options.vespo_k_pos) == (2.0, 1.5)
    assert options.sampler_correction is None  # no vLLM
    vllm = trl.GRPOConfig(**common, use_vllm=True, vllm_importance_sampling_mode="token_truncate")
    options = loss_options_from_args(vllm)
    assert (options.sampler_correction, options.sampler_clip_min, options.sampler_clip_max) == (
        "token_truncate",
        None,
        3.0,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kl_estimator": "k5"}, "kl_estimator"),
        ({"loss_type": "ppo"}, "loss_type must be one of"),
        ({"loss_type": "cispo", "dual_clip": 3.0}, r"dual_clip shapes the clipped loss .* loss_type='cispo'"),
        ({"loss_type": "sapo", "delta": 2.0}, r"delta shapes the clipped loss .* loss_type='sapo'"),
        ({"loss_type": "vespo", "dual_clip": 2.0}, "dual_clip shapes the clipped loss"),
        ({"delta": 1.0}, "delta must be a number > 1"),
        ({"loss_type": "cispo", "epsilon_high": 0.0}, "epsilon_high must be a number > 0"),
        ({"off_policy_mask_threshold": -1.0}, "off_policy_mask_threshold must be a number >= 0"),
        ({"top_entropy_quantile": 2.0}, "top_entropy_quantile"),
        ({"epsilon": 1.5}, r"^epsilon must be in \[0, 1\)"),
        ({"importance_sampling_level": "batch"}, "importance_sampling_level must be one of"),
        ({"aggregation": "sum"}, "aggregation must be one of"),
        (
            {"loss_type": "vespo", "use_vllm": True, "vllm_importance_sampling_mode": "sequence_truncate"},
            "vllm_importance_sampling_mode='token_truncate' or 'token_mask'",
        ),
    ],
)
def test_config_errors_name_the_option(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    common = {"output_dir": str(tmp_path), "use_cpu": True, "bf16": False, "report_to": "none"}
    with pytest.raises(ValueError, match=message):
        GRPOConfig(**common, **overrides)


# -- end to end with rlvr rewards -----------------------------------------------------------------------


def test_trains_with_rlvr_rewards(tmp_path: Path) -> None:
    accuracy = MathAccuracyReward(fallback="last_number", name="accuracy")
    r1 = combine({"format": think_format, "tags": tag_count}, weights={"tags": 0.5}, name="r1_format")
    trainer = make_trainer(
        tmp_path,
        reward_funcs=[think_format, r1, accuracy],
        max_steps=3,
        loss_type="grpo",
        dual_clip=3.0,
        kl_estimator="k1",
        optim="adamw_torch",
        learning_rate=1e-2,
    )
    before = [p.detach().clone() for p in trainer.model.parameters()]
    try:
        trainer.train()
    finally:
        accuracy.close()
    after = list(trainer.model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)
    logged = {key for entry in trainer.state.log_history for key in entry}
    for key in (
        "policy_loss",
        "kl",
        "entropy",
        "clip_ratio/low_mean",
        "clip_ratio/high_mean",
        "clip_ratio/dual_mean",
        "clip_ratio/region_mean",
        "ratio/mean",
        "ratio/min",
        "ratio/max",
        "rewards/think_format/mean",
        "rewards/r1_format/mean",
        "rewards/accuracy/mean",
    ):
        assert key in logged, key


class StepReward:
    """Outcome: nothing (None); process: a step reward at every third token, 1.0 when the token is a digit."""

    __name__ = "digit_steps"

    def __call__(self, completions: list[str], **_: Any) -> list[float | None]:
        return [None] * len(completions)

    def token_rewards(self, completions: list[str], completion_ids: list[list[int]], **_: Any) -> list[Any]:
        return [
            [(t, float(text[t : t + 1].isdigit())) for t in range(0, len(ids), 3)]
            for text, ids in zip(completions, completion_ids, strict=True)
        ]


def test_process_rewards_give_per_token_advantages(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, reward_funcs=[length_reward, StepReward()], max_steps=2, beta=0.0)
    trainer.train()
    advantages = trainer._buffered_inputs[0]["advantages"]
    assert advantages.shape == trainer._buffered_inputs[0]["completion_ids"].shape
    varies_within_a_row = (advantages.max(dim=1).values - advantages.min(dim=1).values) > 1e-6
    assert bool(varies_within_a_row.any())
    assert all(math.isfinite(e["loss"]) for e in trainer.state.log_history if "loss" in e)


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "cispo", "sapo", "luspo", "vespo"])
def test_per_token_advantages_with_every_objective_and_mask(tmp_path: Path, loss_type: str) -> None:
    """Process advantages train with every objective and with the entropy mask, the off-policy mask and the
    entropy bonus; and a (B, T) advantage that repeats each completion's outcome advantage gives exactly the
    loss of the (B,) one."""
    options = {"top_entropy_quantile": 0.5, "off_policy_mask_threshold": 0.001, "entropy_coef": 0.01}
    if loss_type == "luspo":
        options["importance_sampling_level"] = "sequence"
    trainer = make_trainer(
        tmp_path / "process", reward_funcs=[length_reward, StepReward()], loss_type=loss_type, **options
    )
    trainer.train()
    losses = logged(trainer, "loss")
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    assert trainer._buffered_inputs[0]["advantages"].dim() == 2

    outcome = make_trainer(tmp_path / "outcome", loss_type=loss_type, **options)
    outcome.train()
    inputs = dict(outcome._buffered_inputs[0])
    assert inputs["advantages"].dim() == 1
    per_sequence = outcome._compute_loss(outcome.model, inputs).item()
    inputs["advantages"] = inputs["advantages"][:, None].expand_as(inputs["completion_ids"]).clone()
    per_token = outcome._compute_loss(outcome.model, inputs).item()
    assert per_token == pytest.approx(per_sequence, rel=1e-6, abs=1e-8)


def test_process_advantage_helpers() -> None:
    rows = normalize_step_rewards([[(0, 1.0), (2, 0.0)], [(1, 1.0)], None, [(5, 0.0)]], group_size=2)
    values = [r for row in rows[:2] for _, r in row]
    assert sum(values) == pytest.approx(0.0, abs=1e-9)  # normalised within the group
    assert rows[2] == [] and rows[3] == [(5, 0.0)]  # a lone step in its group: mean 0 after centring
    dense = dense_process_advantages(rows[:2], length=4)
    assert dense[0].tolist() == pytest.approx([values[0] + values[1], values[1], values[1], 0.0])
    assert dense[1].tolist() == pytest.approx([values[2], values[2], 0.0, 0.0])
    with pytest.raises(ValueError, match="groups"):
        normalize_step_rewards([None] * 3, group_size=2)


# -- two processes --------------------------------------------------------------------------------------

LAUNCHED = textwrap.dedent(
    """
    import json, math, os, sys
    import torch
    import trl
    from datasets import Dataset
    from accelerate import PartialState
    from rlvr.integrations.tiny import TinyModelConfig, build_tiny
    from rlvr.integrations.trl import GRPOConfig, GRPOTrainer
    from rlvr.rewards import MathAccuracyReward, think_format

    out = sys.argv[1]
    config = TinyModelConfig(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1)
    ALPHABET = "0123456789+="
    # Save the models before the process group exists: once it does, save_pretrained writes on rank 0 only
    # (and each process loads its reference model from its own copy).
    rank = os.environ.get("RANK", "0")
    tiny = {
        name: build_tiny(config, alphabet=ALPHABET, save_dir=f"{out}/model-{name}-{rank}")
        for name in ("rlvr", "trl")
    }
    state = PartialState()
    pairs = [(1, 2), (3, 4), (2, 2), (5, 1)]
    data = Dataset.from_dict(
        {"prompt": [f"{a}+{b}=<think>" for a, b in pairs], "answer": [str(a + b) for a, b in pairs]}
    )
    accuracy = MathAccuracyReward(fallback="last_number", name="accuracy")
    settings = dict(
        per_device_train_batch_size=4, num_generations=4, max_completion_length=8,
        max_steps=2, learning_rate=1e-2, logging_steps=1, use_cpu=True, bf16=False, report_to="none",
        save_strategy="no", beta=0.04, loss_type="dapo", num_iterations=2, disable_tqdm=True, seed=0,
        use_bias_correction_kl=False,
        # the options whose statistics cross processes: the entropy quantile, the adaptive controller
        top_entropy_quantile=0.5, use_adaptive_entropy=True, entropy_target=10.0, entropy_coef_delta=0.05,
        off_policy_mask_threshold=0.001,
    )
    runs = {}
    for name, trainer_class, config_class in (
        ("rlvr", GRPOTrainer, GRPOConfig), ("trl", trl.GRPOTrainer, trl.GRPOConfig)
    ):
        model, tokenizer = tiny[name]
        trainer = trainer_class(
            model=model, reward_funcs=[think_format, accuracy],
            args=config_class(output_dir=f"{out}/run-{name}", **settings), train_dataset=data,
            processing_class=tokenizer,
        )
        before = [p.detach().clone() for p in trainer.model.parameters()]
        trainer.train()
        changed = any(not torch.equal(a, b) for a, b in zip(before, trainer.model.parameters()))
        runs[name] = (trainer, changed)
    accuracy.close()
    (ours, changed), (theirs, _) = runs["rlvr"], runs["trl"]
    gap = max(
        (a - b).abs().max().item() for a, b in zip(ours.model.parameters(), theirs.model.parameters())
    )
    if state.is_main_process:
        with open(f"{out}/result.json", "w") as stream:
            json.dump({"history": ours.state.log_history, "trl_history": theirs.state.log_history,
                       "changed": changed, "parameter_gap": gap, "processes": state.num_processes}, stream)
    # Tear the gloo group down before the interpreter exits: left to exit handlers, its threads can abort
    # the process ("terminate called without an active exception").
    state.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    """
)


@pytest.mark.timeout(600)
def test_accelerate_launch_two_processes(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(LAUNCHED, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "OMP_NUM_THREADS": "1"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # CPU processes (gloo) even on a GPU machine
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")])
    # `accelerate launch --cpu --num_processes 2` starts ONE process (accelerate 1.x: --cpu takes the simple
    # launcher, which fans out only under mpirun). `--multi_gpu` goes through torchrun; with no visible GPU
    # and use_cpu=True the two processes train on the CPU over gloo (checked below: num_processes == 2).
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no", "--multi_gpu", str(script), str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540)
    errors = [line for line in result.stderr.splitlines() if "Error" in line and "]:" in line]
    assert result.returncode == 0, "\n".join(errors[:20]) + "\n" + result.stderr[-3000:]
    report = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert report["processes"] == 2 and report["changed"]
    losses = [e["loss"] for e in report["history"] if "loss" in e]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    logged = {key for entry in report["history"] for key in entry}
    assert {"kl", "policy_loss", "clip_ratio/region_mean", "ratio/max", "rewards/accuracy/mean"} <= logged
    assert {"entropy_mask/kept_mean", "entropy_coef", "off_policy/masked_mean"} <= logged

    # and equal to TRL's trainer under two processes (gathered entropy quantile, reduced entropy window)
    def values(history: list[dict[str, Any]], key: str) -> list[float]:
        return [e[key] for e in history if key in e and "train_loss" not in e]

    for key in ("loss", "kl", "entropy", "entropy_coef"):
        assert values(report["history"], key) == pytest.approx(
            values(report["trl_history"], key), rel=1e-5, abs=1e-6
        ), key
    assert report["parameter_gap"] <= 1e-6


# -- rlvr bench loss ------------------------------------------------------------------------------------


def _bench_at_toy_size(loss_types: tuple[str, ...]) -> Any:
    from rlvr.bench.loss_bench import LossBenchConfig, run_loss_bench

    config = LossBenchConfig(
        lengths=(8,), repeats=1, warmup=0, num_generations=2, prompt_length=4, loss_types=loss_types
    )
    report = run_loss_bench(config)
    assert len(report.figures) == 2 * len(loss_types)
    for loss_type in loss_types:
        paths = {f.path: f for f in report.figures if f.loss_type == loss_type}
        assert set(paths) == {"rlvr", "trl"}, loss_type
        assert paths["rlvr"].loss == pytest.approx(paths["trl"].loss, rel=1e-5, abs=1e-6), loss_type
        assert f"| {loss_type} | 8 | rlvr |" in report.markdown()
        assert f"| {loss_type} | 8 | trl |" in report.markdown()
    assert all(f.step_ms > 0 and f.tokens_per_s > 0 and f.mfu is None for f in report.figures)
    assert [row[0] for row in report.ratios()] == list(loss_types)
    assert json.loads(report.to_json())["parameters"] == report.parameters
    return report


def test_loss_bench_runs_new_loss_types_beside_trl_at_toy_size() -> None:
    from rlvr.bench.loss_bench import LOSS_TYPES, LossBenchConfig
    from rlvr.integrations.trl import LOSS_TYPES as TRAINER_LOSS_TYPES

    assert set(LOSS_TYPES) == set(TRAINER_LOSS_TYPES)
    assert LossBenchConfig().measured_loss_types == LOSS_TYPES  # `rlvr bench loss` measures all eight
    assert LossBenchConfig(loss_type="sapo").measured_loss_types == ("sapo",)
    report = _bench_at_toy_size(("dapo", "vespo"))
    assert len({round(f.loss, 6) for f in report.figures}) == 2  # the two loss types really differ
    with pytest.raises(ValueError, match="loss_types"):
        LossBenchConfig(loss_types=("ppo",))


@pytest.mark.slow
def test_loss_bench_runs_every_loss_type_beside_trl_at_toy_size() -> None:
    from rlvr.bench.loss_bench import LOSS_TYPES

    _bench_at_toy_size(LOSS_TYPES)


def test_benchmarks_import_stays_torch_free() -> None:
    code = "import sys, rlvr.eval, rlvr.bench.loss_bench; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
