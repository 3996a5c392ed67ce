"""``rlvr demo``: DeepSeek-R1's pipeline in miniature on a CPU, with no downloads.

A tiny Qwen2 (built from a config, random weights, a character-level tokenizer) learns which digit appears
twice in a string of digits (:mod:`rlvr.integrations.demo_task`):

1. **cold start**: TRL's ``SFTTrainer`` on a few formatted examples (10 by default, one per answer digit),
   ``"40630<think>"`` → ``".</think>0"``: enough for the format, not for the rule;
2. **GRPO**: rlvr's :class:`~rlvr.integrations.trl.GRPOTrainer` (DeepSeekMath objective: ``loss_type="grpo"``,
   ``beta=0.04``, k3 KL against the cold-start model) with two rlvr rewards, ``think_format`` (one think
   block, then an answer) and ``math_accuracy`` (the answer after ``</think>`` equals the digit), on the
   training questions.

The greedy accuracy on held-back questions (their digit multisets never appear in training, in any order)
is measured on the untrained model, after the cold start ("before") and after GRPO ("after"); so is the
accuracy on a sample of training questions. The demo writes the trained model, the cold-start model (GRPO's
reference), a plot of the training batches' accuracy and reward per step, and ``results.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rlvr.integrations.cold_start import ColdStartConfig, cold_start, quiet_datasets
from rlvr.integrations.demo_results import HISTORY_KEYS, DemoResult, Scores, Stage, plot_curve, summary_table
from rlvr.integrations.demo_task import (
    ALPHABET,
    ANSWERS,
    PairTask,
    Split,
    answer_of,
    balanced_sample,
    completion_of,
    prompt_of,
    split_questions,
)
from rlvr.integrations.tiny import CPU_RUN_SETTINGS, TinyModelConfig, cpu_threads

__all__ = [
    "DemoConfig",
    "DemoQuestions",
    "DemoResult",
    "Scores",
    "Stage",
    "demo_questions",
    "greedy_scores",
    "plot_curve",
    "run_demo",
    "summary_table",
]


@dataclass(frozen=True)
class DemoConfig:
    """Settings of the demo (defaults: 1 to 1.5 minutes on 2 cores that other jobs share).

    Attributes:
        steps, prompts_per_step, num_generations, max_completion_length, learning_rate, beta, loss_type:
            GRPO's (``max_completion_length`` 4: a thought, ``</think>``, the digit, end of sequence).
        digits, held_out_fraction: the questions' length and the share of digit multisets held back.
        cold_start_examples, cold_start_steps, cold_start_learning_rate: the cold start (SFT on that many
            formatted training questions, the answer digits taking turns).
        eval_questions: the size of the training sample, and of the held-back sample followed during GRPO
            (every ``eval_every`` steps); the before/after figures cover every held-back question.
        seed: seeds everything: the split, the samples, the initial weights, both trainings.
        threads: torch's CPU threads during the run (restored afterwards); one is fastest for a tiny model.
        output_dir: where the models, ``training_curve.png`` and ``results.json`` go.

    Example:
        >>> DemoConfig(steps=10).steps
        10
        >>> DemoConfig(num_generations=1)
        Traceback (most recent call last):
        ...
        ValueError: num_generations must be an int >= 2, got 1
    """

    steps: int = 800
    prompts_per_step: int = 16
    num_generations: int = 8
    max_completion_length: int = 4
    learning_rate: float = 1e-3
    beta: float = 0.04
    loss_type: str = "grpo"
    digits: int = 5
    held_out_fraction: float = 0.2
    cold_start_examples: int = 10
    cold_start_steps: int = 100
    cold_start_learning_rate: float = 3e-3
    eval_questions: int = 200
    eval_every: int = 50
    seed: int = 0
    threads: int = 1
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
            ("cold_start_examples", 1),
            ("eval_questions", 10),
            ("eval_every", 1),
            ("threads", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}")
        if not isinstance(self.beta, (int, float)) or self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta!r}")
        if self.loss_type not in ("grpo", "dapo", "dr_grpo"):
            raise ValueError(f"loss_type must be grpo, dapo or dr_grpo, got {self.loss_type!r}")
        if not isinstance(self.output_dir, str) or not self.output_dir:
            raise ValueError(f"output_dir must be a path, got {self.output_dir!r}")
        if not isinstance(self.model, TinyModelConfig):
            raise TypeError("model must be a TinyModelConfig")
        if not isinstance(self.progress, bool):
            raise ValueError(f"progress must be a bool, got {self.progress!r}")
        task = self.task  # validates digits, held_out_fraction and seed
        _ = self.cold_start  # validates the cold start's settings
        per_answer = -(-self.eval_questions // len(ANSWERS))
        if per_answer > task.held_back_per_answer:
            raise ValueError(
                f"eval_questions must be at most {task.held_back_per_answer * len(ANSWERS)} with "
                f"digits={self.digits} (the held-back questions), got {self.eval_questions}"
            )
        if per_answer + -(-self.cold_start_examples // len(ANSWERS)) > task.train_per_answer:
            most = task.train_per_answer * len(ANSWERS)
            raise ValueError(
                f"cold_start_examples + eval_questions must be at most {most} with digits={self.digits} "
                f"(the training questions), got {self.cold_start_examples + self.eval_questions}"
            )

    @property
    def task(self) -> PairTask:
        return PairTask(digits=self.digits, held_out_fraction=self.held_out_fraction, seed=self.seed)

    @property
    def cold_start(self) -> ColdStartConfig:
        return ColdStartConfig(
            steps=self.cold_start_steps, learning_rate=self.cold_start_learning_rate, seed=self.seed
        )


@dataclass(frozen=True)
class DemoQuestions:
    """The questions of a run: the split, the cold-start questions (from the training side), and two
    balanced samples: training questions (not the cold start's) to compare with the held-back side, and
    held-back questions to follow the accuracy during GRPO."""

    split: Split
    cold_start: tuple[str, ...]
    train_eval: tuple[str, ...]
    held_back_eval: tuple[str, ...]


def demo_questions(config: DemoConfig) -> DemoQuestions:
    """The questions :func:`run_demo` uses for ``config`` (all drawn from ``config.seed``).

    Example:
        >>> questions = demo_questions(DemoConfig(digits=4, eval_questions=20))
        >>> len(questions.cold_start), len(questions.held_back_eval)
        (10, 20)
        >>> set(questions.held_back_eval) <= set(questions.split.held_back)
        True
    """
    split = split_questions(config.task)
    cold = balanced_sample(split.train, config.cold_start_examples, seed=config.seed + 2)
    return DemoQuestions(
        split=split,
        cold_start=tuple(cold),
        train_eval=tuple(
            balanced_sample(split.train, config.eval_questions, seed=config.seed + 3, exclude=cold)
        ),
        held_back_eval=tuple(balanced_sample(split.held_back, config.eval_questions, seed=config.seed + 1)),
    )


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


def greedy_scores(
    model: Any,
    tokenizer: Any,
    questions: Sequence[str],
    rewards: Sequence[Any],
    max_new_tokens: int,
    batch_size: int = 2048,
) -> tuple[Scores, list[str]]:
    """Greedy completions of ``questions`` (``batch_size`` at a time) and their mean scores (``rewards`` =
    [format, accuracy]).

    Example:
        >>> from rlvr.integrations.tiny import build_tiny
        >>> from rlvr.rewards import MathAccuracyReward, think_format
        >>> model, tokenizer = build_tiny(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1,
        ...                               num_heads=2, num_kv_heads=1), alphabet=ALPHABET)
        >>> accuracy = MathAccuracyReward(fallback="last_number")
        >>> scores, texts = greedy_scores(model, tokenizer, ["40630", "11234"], [think_format, accuracy], 4)
        >>> accuracy.close()
        >>> len(texts), 0.0 <= scores.reward <= 2.0
        (2, True)
    """
    import torch

    prompts = [prompt_of(q) for q in questions]
    answers = [answer_of(q) for q in questions]
    texts: list[str] = []
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(prompts), batch_size):
            encoded = tokenizer(
                prompts[start : start + batch_size], return_tensors="pt", padding=True, padding_side="left"
            ).to(model.device)
            with torch.no_grad():
                ids = model.generate(
                    **encoded,
                    do_sample=False,
                    max_new_tokens=max_new_tokens,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=tokenizer.eos_token_id,
                )
            width = encoded["input_ids"].shape[1]
            texts += tokenizer.batch_decode(ids[:, width:], skip_special_tokens=True)
    finally:
        model.train(was_training)
    fmt = rewards[0](prompts=prompts, completions=texts)
    acc = rewards[1](prompts=prompts, completions=texts, answer=answers)
    mean = lambda values: sum(v or 0.0 for v in values) / len(values)  # noqa: E731
    return Scores(accuracy=mean(acc), format=mean(fmt)), texts


def _stage(
    model: Any, tokenizer: Any, questions: DemoQuestions, rewards: Sequence[Any], config: DemoConfig
) -> Stage:
    """Greedy scores on every held-back question and on the training sample, and five held-back examples."""
    length = config.max_completion_length
    held_scores, _ = greedy_scores(model, tokenizer, questions.split.held_back, rewards, length)
    train_scores, _ = greedy_scores(model, tokenizer, questions.train_eval, rewards, length)
    shown = questions.held_back_eval[:5]
    _, texts = greedy_scores(model, tokenizer, shown, rewards, length)
    examples = tuple((prompt_of(q), t) for q, t in zip(shown, texts, strict=True))
    return Stage(held_back=held_scores, train=train_scores, examples=examples)


def _accuracy_on(
    questions: Sequence[str], tokenizer: Any, rewards: Sequence[Any], max_new_tokens: int
) -> Callable[[Any], float]:
    """A function of a model: its greedy accuracy on ``questions``."""

    def measure(model: Any) -> float:
        scores, _ = greedy_scores(model, tokenizer, questions, rewards, max_new_tokens)
        return scores.accuracy

    return measure


def _progress_callback(
    config: DemoConfig,
    history: list[dict[str, float]],
    held_back_curve: list[tuple[int, float]],
    measure: Callable[[Any], float],
    stream: IO[str],
) -> Any:
    from tqdm import tqdm
    from transformers import TrainerCallback

    total = config.steps

    class Progress(TrainerCallback):  # type: ignore[misc]
        """A tqdm bar with the running training-batch accuracy; keeps each step's metrics for the plot and
        measures the held-back accuracy (greedy) every ``config.eval_every`` steps."""

        def __init__(self) -> None:
            self.bar = tqdm(total=total, desc="GRPO", unit="step", file=stream, disable=not config.progress)

        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "reward" in logs:
                row = {k: float(logs.get(k) or 0.0) for k in HISTORY_KEYS}
                history.append({"step": float(state.global_step)} | row)
                self.bar.set_postfix(
                    accuracy=f"{row['rewards/math_accuracy/mean']:.2f}", kl=f"{row['kl']:.3f}"
                )

        def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **_: Any) -> None:
            self.bar.update(state.global_step - self.bar.n)
            step = state.global_step
            if model is not None and (step % config.eval_every == 0 or step == total):
                held_back_curve.append((step, measure(model)))

        def on_train_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            self.bar.close()

    return Progress()


def _grpo(
    model: Any,
    tokenizer: Any,
    questions: Sequence[str],
    rewards: Sequence[Any],
    config: DemoConfig,
    callback: Any,
    run_dir: Path,
) -> Any:
    """Train ``model`` with rlvr's GRPOTrainer on ``questions``; returns the trained model."""
    from datasets import Dataset
    from transformers import PrinterCallback

    from rlvr.integrations.trl import GRPOConfig, GRPOTrainer

    dataset = Dataset.from_dict(
        {"prompt": [prompt_of(q) for q in questions], "answer": [answer_of(q) for q in questions]}
    )
    args = GRPOConfig(
        output_dir=str(run_dir),
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
        reward_funcs=list(rewards),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return trainer.model


def run_demo(
    config: DemoConfig | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> DemoResult:
    """Cold start, then GRPO; report as it goes (progress bar on ``err``, figures on ``out``).

    Written to ``config.output_dir``: ``model/`` (the trained model and tokenizer), ``cold-start/`` (the
    model after the cold start, GRPO's reference), ``training_curve.png`` and ``results.json`` (the
    figures). The last lines printed are :attr:`DemoResult.lines`.
    """
    from transformers import set_seed

    from rlvr.integrations.tiny import build_tiny, save_tiny
    from rlvr.rewards import MathAccuracyReward, think_format

    config = config or DemoConfig()
    out = out or sys.stdout
    err = err or sys.stderr
    started = time.perf_counter()
    root = Path(config.output_dir)
    questions = demo_questions(config)
    split, cold = questions.split, questions.cold_start
    say = lambda text: print(text, file=out, flush=True)  # noqa: E731
    say(
        f"task: which digit appears twice? {config.digits}-digit questions, e.g. "
        f"{prompt_of(cold[0])}{completion_of(cold[0])}\n"
        f"questions: {len(split.train):,} for training, {len(split.held_back):,} held back (no reordering "
        f"of a held-back question's digits is a training question)"
    )
    accuracy = MathAccuracyReward(fallback="last_number")
    rewards = [think_format, accuracy]
    history: list[dict[str, float]] = []
    held_back_curve: list[tuple[int, float]] = []
    try:
        with (
            _quiet_transformers(),
            quiet_datasets(),
            cpu_threads(config.threads),
            tempfile.TemporaryDirectory(prefix="rlvr-demo-") as scratch_dir,
        ):
            scratch = Path(scratch_dir)  # TRL's run directories: the Trainers write nothing worth keeping
            set_seed(config.seed)
            model_config = dataclasses.replace(config.model, seed=config.seed)
            model, tokenizer = build_tiny(model_config, alphabet=ALPHABET)
            untrained = _stage(model, tokenizer, questions, rewards, config)
            say(f"untrained model: held-back accuracy {untrained.held_back.accuracy:.3f}")
            losses = cold_start(
                model,
                tokenizer,
                [(prompt_of(q), completion_of(q)) for q in cold],
                config.cold_start,
                scratch,
            )
            save_tiny(model, tokenizer, root / "cold-start")
            before = _stage(model, tokenizer, questions, rewards, config)
            say(
                f"cold start (SFT): {len(cold)} examples, {config.cold_start_steps} steps, loss "
                f"{losses[0]:.3f} → {losses[-1]:.3f}; held-back accuracy {before.held_back.accuracy:.3f}, "
                f"think_format {before.held_back.format:.3f}"
            )
            say(
                f"GRPO: {config.steps} steps × {config.prompts_per_step} prompts × "
                f"{config.num_generations} completions"
            )
            measure = _accuracy_on(questions.held_back_eval, tokenizer, rewards, config.max_completion_length)
            held_back_curve.append((0, measure(model)))
            callback = _progress_callback(config, history, held_back_curve, measure, err)
            model = _grpo(model, tokenizer, split.train, rewards, config, callback, scratch)
            after = _stage(model, tokenizer, questions, rewards, config)
            save_tiny(model, tokenizer, root / "model")
            plot_curve(
                history,
                held_back_curve,
                config.prompts_per_step * config.num_generations,
                len(questions.held_back_eval),
                root / "training_curve.png",
            )
    finally:
        accuracy.close()
    result = DemoResult(
        untrained=untrained,
        before=before,
        after=after,
        history=tuple(history),
        held_back_curve=tuple(held_back_curve),
        train_questions=len(split.train),
        held_back_questions=len(split.held_back),
        seconds=time.perf_counter() - started,
        output_dir=root,
    )
    figures = {"config": _config_json(config)} | result.to_json()
    (root / "results.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    say(summary_table(result, config.eval_questions))
    say(
        f"written to {root}/: model/ (trained), cold-start/ (GRPO's reference), training_curve.png, "
        f"results.json   ({result.seconds:.0f} s)"
    )
    for line in result.lines:
        say(line)
    return result


def _config_json(config: DemoConfig) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(config).items() if k != "progress"}
