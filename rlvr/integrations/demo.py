"""``rlvr demo``: GRPO on a CPU in a few minutes, end to end, with no downloads.

A tiny Qwen2 (built from a config, random weights) with a character-level tokenizer learns a small
arithmetic task with rlvr's :class:`~rlvr.integrations.trl.GRPOTrainer` (DeepSeekMath objective:
``loss_type="grpo"``, ``beta=0.04``, k3 KL) and two rlvr rewards:

- ``think_format``: the completion closes the ``<think>`` block the prompt opened and then answers;
- ``math_accuracy`` (``fallback="last_number"``): the last number of the answer equals ``a+b``.

Prompts are ``"a+b=<think>"`` for single digits with ``a + b <= 9`` (55 questions); a fifth of them are
held back. The mean reward (format + accuracy, 0 to 2) on the held-back prompts is measured before and
after training with greedy decoding (and, in the table, with sampling). Completions are at most
``max_completion_length`` tokens (3 by default: one thinking token, ``</think>``, the answer digit).

What a tiny model learns here in minutes: the format, fully and within ~200 steps; then, more slowly and
depending on the seed, the sums of the training questions (train accuracy 0.4 to 0.9 after 2000 steps).
It does not learn addition well enough to answer the held-back questions much above chance: the
held-back rise is mostly the format.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rlvr.integrations.tiny import CPU_RUN_SETTINGS, TinyModelConfig

#: The demo's alphabet: the prompts and answers need nothing else.
ALPHABET = "0123456789+="


@dataclass(frozen=True)
class DemoConfig:
    """Settings of the demo (defaults: 1.5 minutes on 2 idle cores, about 5 on 2 busy ones).

    Example:
        >>> DemoConfig(steps=10).steps
        10
        >>> DemoConfig(num_generations=1)
        Traceback (most recent call last):
        ...
        ValueError: num_generations must be >= 2, got 1
    """

    steps: int = 2000
    prompts_per_step: int = 8
    num_generations: int = 8
    max_completion_length: int = 3
    learning_rate: float = 1e-3
    beta: float = 0.04
    loss_type: str = "grpo"
    held_out_fraction: float = 0.2
    eval_samples: int = 8
    seed: int = 0  # seeds everything: the split, the model's initial weights, sampling
    output_dir: str = "rlvr-demo"
    model: TinyModelConfig = field(
        default_factory=lambda: TinyModelConfig(hidden_size=64, intermediate_size=128)
    )
    progress: bool = True

    def __post_init__(self) -> None:
        for name, low in (
            ("steps", 1),
            ("prompts_per_step", 1),
            ("num_generations", 2),
            ("max_completion_length", 3),
            ("eval_samples", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be >= {low}, got {value!r}")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}")
        if not isinstance(self.beta, (int, float)) or self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta!r}")
        if self.loss_type not in ("grpo", "dapo", "dr_grpo"):
            raise ValueError(f"loss_type must be grpo, dapo or dr_grpo, got {self.loss_type!r}")
        if not 0 < self.held_out_fraction < 1:
            raise ValueError(f"held_out_fraction must be in (0, 1), got {self.held_out_fraction!r}")
        if not isinstance(self.output_dir, str) or not self.output_dir:
            raise ValueError(f"output_dir must be a path, got {self.output_dir!r}")
        if not isinstance(self.model, TinyModelConfig):
            raise TypeError("model must be a TinyModelConfig")


@dataclass(frozen=True)
class Scores:
    """Mean rewards on the held-back prompts."""

    format: float
    accuracy: float

    @property
    def total(self) -> float:
        return self.format + self.accuracy


@dataclass(frozen=True)
class Evaluation:
    """Greedy and sampled scores on the held-back prompts, and a few greedy completions."""

    greedy: Scores
    sampled: Scores
    examples: tuple[tuple[str, str], ...]


@dataclass
class DemoResult:
    """What :func:`run_demo` measured. ``before`` / ``after`` use greedy decoding (see :attr:`line`)."""

    before: Evaluation
    after: Evaluation
    history: list[dict[str, float]]
    seconds: float
    curve: Path | None

    @property
    def line(self) -> str:
        """The demo's last line: greedy mean reward on the held-back prompts, before and after training."""
        return f"reward before: {self.before.greedy.total:.3f} after: {self.after.greedy.total:.3f}"

    @property
    def rise(self) -> float:
        return self.after.greedy.total - self.before.greedy.total


def arithmetic_split(config: DemoConfig) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The training and held-back questions ``(a, b)``: single digits with ``a + b <= 9``, shuffled by seed.

    Example:
        >>> train, held = arithmetic_split(DemoConfig())
        >>> len(train), len(held), set(train) & set(held)
        (44, 11, set())
    """
    pairs = [(a, b) for a in range(10) for b in range(10) if a + b <= 9]
    random.Random(config.seed).shuffle(pairs)
    held = max(1, round(len(pairs) * config.held_out_fraction))
    return pairs[held:], pairs[:held]


def prompt_of(pair: tuple[int, int]) -> str:
    """The prompt text: the question, then the think block the completion must close.

    Example:
        >>> prompt_of((3, 4))
        '3+4=<think>'
    """
    return f"{pair[0]}+{pair[1]}=<think>"


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' info logs and weight-saving progress bars, restoring them afterwards."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def evaluate(
    model: Any, tokenizer: Any, pairs: Sequence[tuple[int, int]], rewards: Sequence[Any], config: DemoConfig
) -> Evaluation:
    """Greedy and sampled mean rewards on ``pairs`` (``rewards`` = [format, accuracy]).

    Example:
        >>> from rlvr.integrations.tiny import build_tiny
        >>> from rlvr.rewards import MathAccuracyReward, think_format
        >>> config = DemoConfig(eval_samples=2, model=TinyModelConfig(hidden_size=16, intermediate_size=32,
        ...                     num_layers=1, num_heads=2, num_kv_heads=1))
        >>> model, tokenizer = build_tiny(config.model, alphabet=ALPHABET)
        >>> accuracy = MathAccuracyReward(fallback="last_number")
        >>> result = evaluate(model, tokenizer, [(1, 2)], [think_format, accuracy], config)
        >>> 0.0 <= result.greedy.total <= 2.0
        True
    """
    import torch

    prompts = [prompt_of(p) for p in pairs]
    answers = [str(a + b) for a, b in pairs]
    was_training = model.training
    model.eval()
    encoded = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left").to(model.device)
    common = {
        "max_new_tokens": config.max_completion_length,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    width = encoded["input_ids"].shape[1]

    def score(texts: list[str], repeat: int) -> Scores:
        fmt = rewards[0](prompts=prompts * repeat, completions=texts)
        acc = rewards[1](prompts=prompts * repeat, completions=texts, answer=answers * repeat)
        return Scores(sum(x or 0.0 for x in fmt) / len(fmt), sum(x or 0.0 for x in acc) / len(acc))

    with torch.no_grad():
        greedy_ids = model.generate(**encoded, do_sample=False, **common)
        torch.manual_seed(config.seed + 1)
        sampled_ids = model.generate(
            **encoded,
            do_sample=True,
            temperature=1.0,
            top_k=0,
            num_return_sequences=config.eval_samples,
            **common,
        )
    model.train(was_training)
    greedy = tokenizer.batch_decode(greedy_ids[:, width:], skip_special_tokens=True)
    sampled = tokenizer.batch_decode(sampled_ids[:, width:], skip_special_tokens=True)
    # generate repeats each prompt eval_samples times in a row; score in prompt-major order
    sampled_by_prompt = [
        sampled[i * config.eval_samples + k] for k in range(config.eval_samples) for i in range(len(prompts))
    ]
    examples = tuple(zip(prompts[:4], greedy[:4], strict=False))
    return Evaluation(score(greedy, 1), score(sampled_by_prompt, config.eval_samples), examples)


def _progress_callback(total: int, history: list[dict[str, float]], enabled: bool, stream: IO[str]) -> Any:
    from tqdm import tqdm
    from transformers import TrainerCallback

    class Progress(TrainerCallback):  # type: ignore[misc]
        """A tqdm bar with the running reward; keeps each step's reward metrics for the curve."""

        def __init__(self) -> None:
            self.bar = tqdm(total=total, desc="GRPO", unit="step", file=stream, disable=not enabled)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "reward" in logs:
                keys = ("reward", "rewards/think_format/mean", "rewards/accuracy/mean", "kl", "entropy")
                history.append(
                    {"step": float(state.global_step)} | {k: float(logs.get(k) or 0.0) for k in keys}
                )
                self.bar.set_postfix(reward=f"{logs['reward']:.2f}", kl=f"{logs.get('kl') or 0.0:.3f}")

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            self.bar.update(state.global_step - self.bar.n)

        def on_train_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            self.bar.close()

    return Progress()


def plot_curve(
    history: Sequence[dict[str, float]], result_before: Scores, result_after: Scores, path: Path
) -> Path:
    """Save the training reward curve (with its components) and the held-back scores as a PNG.

    Example:
        >>> import tempfile
        >>> history = [{"step": 1.0, "reward": 0.1, "rewards/think_format/mean": 0.1,
        ...             "rewards/accuracy/mean": 0.0}]
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     png = plot_curve(history, Scores(0.0, 0.0), Scores(1.0, 0.2), Path(folder) / "c.png")
        ...     png.stat().st_size > 1000
        True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    steps = [h["step"] for h in history]
    window = max(1, len(history) // 40)
    for key, label in (
        ("reward", "reward (format + accuracy)"),
        ("rewards/think_format/mean", "think_format"),
        ("rewards/accuracy/mean", "math_accuracy"),
    ):
        values = [h.get(key, 0.0) for h in history]
        (line,) = axes.plot(steps, values, linewidth=0.6, alpha=0.3)
        starts = [max(0, i - window + 1) for i in range(len(values))]
        smooth = [sum(values[a : i + 1]) / (i + 1 - a) for i, a in enumerate(starts)]
        axes.plot(
            steps, smooth, color=line.get_color(), linewidth=1.6, label=f"{label} (mean of {window} steps)"
        )
    last = steps[-1] if steps else 1.0
    held = [result_before.total, result_after.total]
    axes.scatter([0.0, last], held, color="black", zorder=3, label="held-back prompts (greedy)")
    axes.set_xlabel("step")
    axes.set_ylabel("mean reward")
    axes.set_title("rlvr demo: GRPO on a tiny model (CPU)")
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def reward_table(result: DemoResult) -> str:
    """A Markdown table of the held-back scores before and after training, and training-reward snapshots.

    Example:
        >>> e = Evaluation(Scores(0.0, 0.0), Scores(0.05, 0.01), ())
        >>> print(reward_table(DemoResult(e, e, [], 1.0, None)).splitlines()[0])
        | held-back prompts | before | after |
    """
    b, a = result.before, result.after
    rows = [
        "| held-back prompts | before | after |",
        "|---|---:|---:|",
        f"| think_format (greedy) | {b.greedy.format:.3f} | {a.greedy.format:.3f} |",
        f"| math_accuracy (greedy) | {b.greedy.accuracy:.3f} | {a.greedy.accuracy:.3f} |",
        f"| **reward (greedy)** | **{b.greedy.total:.3f}** | **{a.greedy.total:.3f}** |",
        f"| reward (sampled, T=1) | {b.sampled.total:.3f} | {a.sampled.total:.3f} |",
    ]
    if result.history:
        rows += [
            "",
            "| training steps | reward | think_format | math_accuracy | kl |",
            "|---|---:|---:|---:|---:|",
        ]
        parts = min(5, len(result.history))
        for part in range(parts):
            chunk = result.history[
                part * len(result.history) // parts : (part + 1) * len(result.history) // parts
            ]
            mean = {k: sum(h[k] for h in chunk) / len(chunk) for k in chunk[0]}
            rows.append(
                f"| {int(chunk[0]['step'])}-{int(chunk[-1]['step'])} | {mean['reward']:.3f} | "
                f"{mean['rewards/think_format/mean']:.3f} | {mean['rewards/accuracy/mean']:.3f} | "
                f"{mean['kl']:.3f} |"
            )
    rows += ["", "greedy completions after training:"]
    rows += [f"  {prompt}{completion}" for prompt, completion in a.examples]
    return "\n".join(rows)


def run_demo(
    config: DemoConfig | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> DemoResult:
    """Train the tiny model and report (progress bar on ``err``, table and final line on ``out``).

    The initial model (TRL reloads the reference from it), TRL's run files and the reward curve
    (``reward_curve.png``) go to ``config.output_dir``. The last line printed is :attr:`DemoResult.line`.
    """
    from datasets import Dataset
    from transformers import PrinterCallback, set_seed

    from rlvr.integrations.tiny import build_tiny
    from rlvr.integrations.trl import GRPOConfig, GRPOTrainer
    from rlvr.rewards import MathAccuracyReward, think_format

    config = config or DemoConfig()
    out = out or sys.stdout
    err = err or sys.stderr
    started = time.perf_counter()
    root = Path(config.output_dir)
    accuracy = MathAccuracyReward(fallback="last_number", name="accuracy")
    rewards = [think_format, accuracy]
    history: list[dict[str, float]] = []
    try:
        with _quiet_transformers():
            set_seed(config.seed)
            model_config = dataclasses.replace(config.model, seed=config.seed)
            model, tokenizer = build_tiny(model_config, alphabet=ALPHABET, save_dir=root / "initial-model")
            train_pairs, held_pairs = arithmetic_split(config)
            dataset = Dataset.from_dict(
                {
                    "prompt": [prompt_of(p) for p in train_pairs],
                    "answer": [str(a + b) for a, b in train_pairs],
                }
            )
            before = evaluate(model, tokenizer, held_pairs, rewards, config)
            args = GRPOConfig(
                output_dir=str(root / "run"),
                per_device_train_batch_size=config.prompts_per_step * config.num_generations,
                num_generations=config.num_generations,
                max_completion_length=config.max_completion_length,
                max_steps=config.steps,
                learning_rate=config.learning_rate,
                lr_scheduler_type="constant",
                beta=config.beta,
                loss_type=config.loss_type,
                logging_steps=1,
                seed=config.seed,
                **CPU_RUN_SETTINGS,
            )
            trainer = GRPOTrainer(
                model=model,
                reward_funcs=rewards,
                args=args,
                train_dataset=dataset,
                processing_class=tokenizer,
                callbacks=[_progress_callback(config.steps, history, config.progress, err)],
            )
            trainer.remove_callback(PrinterCallback)
            trainer.train()
            after = evaluate(trainer.model, tokenizer, held_pairs, rewards, config)
            curve = plot_curve(history, before.greedy, after.greedy, root / "reward_curve.png")
    finally:
        accuracy.close()
    result = DemoResult(before, after, history, time.perf_counter() - started, curve)
    print(reward_table(result), file=out)
    print(f"reward curve: {curve}   ({result.seconds:.0f} s)", file=out)
    print(result.line, file=out)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``rlvr demo`` options.

    Example:
        >>> parser = argparse.ArgumentParser()
        >>> add_arguments(parser)
        >>> config_from_args(parser.parse_args(["--steps", "5"])).steps
        5
    """
    defaults = DemoConfig()
    parser.add_argument(
        "--steps", type=int, default=defaults.steps, help=f"GRPO steps (default {defaults.steps})"
    )
    parser.add_argument(
        "--output-dir",
        default=defaults.output_dir,
        help="where reward_curve.png and the run files go (default rlvr-demo)",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default 0)")
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=defaults.learning_rate,
        help=f"default {defaults.learning_rate}",
    )
    parser.add_argument(
        "--beta", type=float, default=defaults.beta, help=f"KL coefficient (default {defaults.beta})"
    )
    parser.add_argument(
        "--loss-type",
        choices=["grpo", "dapo", "dr_grpo"],
        default=defaults.loss_type,
        help="loss aggregation",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> DemoConfig:
    """The :class:`DemoConfig` of parsed ``rlvr demo`` options."""
    return DemoConfig(
        steps=args.steps,
        output_dir=args.output_dir,
        seed=args.seed,
        learning_rate=args.learning_rate,
        beta=args.beta,
        loss_type=args.loss_type,
        progress=not args.no_progress,
    )


def main(args: argparse.Namespace) -> int:
    """``rlvr demo``: run it; exit status 0 when the reward rose by at least 0.3, else 1.

    Deprecation notices of the libraries (transformers' FutureWarnings) are silenced for the run only.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = run_demo(config_from_args(args))
    return 0 if result.rise >= 0.3 else 1
