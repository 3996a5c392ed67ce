"""The demo's figures: what :func:`rlvr.integrations.demo.run_demo` measured, and how it shows them (a
Markdown table, a PNG of the training curve, ``results.json``'s data).

Greedy figures cover the held-back questions and a sample of training questions, for three models: the
untrained one, the one after the cold start ("before") and the one after GRPO ("after"). The training
curve is TRL's metrics of each GRPO step's training batch (sampled completions).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The training-batch metrics kept per GRPO step (TRL's names).
HISTORY_KEYS = ("reward", "rewards/think_format/mean", "rewards/math_accuracy/mean", "kl", "entropy")


@dataclass(frozen=True)
class Scores:
    """Greedy scores on a set of questions: mean ``math_accuracy`` and mean ``think_format``."""

    accuracy: float
    format: float

    @property
    def reward(self) -> float:
        """The demo's reward: format + accuracy (0 to 2)."""
        return self.format + self.accuracy


@dataclass(frozen=True)
class Stage:
    """One model's greedy scores on every held-back question and on the training sample, and the greedy
    completions of five held-back questions."""

    held_back: Scores
    train: Scores
    examples: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`~rlvr.integrations.demo.run_demo` measured; ``before`` is after the cold start, just
    before GRPO.

    ``history`` holds TRL's metrics of each GRPO step's training batch (sampled completions);
    ``held_back_curve`` the greedy accuracy on the held-back sample, ``(step, accuracy)``, from step 0.
    """

    untrained: Stage
    before: Stage
    after: Stage
    history: tuple[dict[str, float], ...]
    held_back_curve: tuple[tuple[int, float], ...]
    train_questions: int
    held_back_questions: int
    seconds: float
    output_dir: Path

    @property
    def rise(self) -> float:
        """GRPO's own rise of the held-back accuracy."""
        return self.after.held_back.accuracy - self.before.held_back.accuracy

    @property
    def lines(self) -> tuple[str, str, str]:
        """The demo's last lines: the untrained model's held-back accuracy, then the held-back reward and
        accuracy before GRPO (after the cold start) and after it (greedy decoding)."""
        b, a = self.before.held_back, self.after.held_back
        return (
            f"untrained accuracy: {self.untrained.held_back.accuracy:.3f}",
            f"reward before: {b.reward:.3f} after: {a.reward:.3f}",
            f"accuracy before: {b.accuracy:.3f} after: {a.accuracy:.3f}",
        )

    def to_json(self) -> dict[str, Any]:
        """The figures as plain data (what ``results.json`` holds)."""
        stages = {"untrained": self.untrained, "after_cold_start": self.before, "after_grpo": self.after}
        return {
            "train_questions": self.train_questions,
            "held_back_questions": self.held_back_questions,
            "seconds": round(self.seconds, 1),
            "greedy": {
                name: {
                    "held_back": dataclasses.asdict(stage.held_back),
                    "train": dataclasses.asdict(stage.train),
                }
                for name, stage in stages.items()
            },
            "held_back_sample_accuracy_by_step": [list(point) for point in self.held_back_curve],
            "training_batches": list(self.history),
        }


def _smooth(values: Sequence[float], window: int) -> list[float]:
    starts = [max(0, i - window + 1) for i in range(len(values))]
    return [sum(values[a : i + 1]) / (i + 1 - a) for i, a in enumerate(starts)]


def plot_curve(
    history: Sequence[dict[str, float]],
    held_back_curve: Sequence[tuple[int, float]],
    completions: int,
    held_back_sample: int,
    path: Path,
) -> Path:
    """Save the training batches' accuracy and reward per GRPO step (``completions`` sampled completions
    each), and the greedy accuracy on a sample of ``held_back_sample`` held-back questions measured along
    the way (step 0: after the cold start), as a PNG.

    Example:
        >>> import tempfile
        >>> history = [{"step": float(s), "reward": 1.5, "rewards/think_format/mean": 1.0,
        ...             "rewards/math_accuracy/mean": 0.5} for s in (1, 2)]
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     png = plot_curve(history, [(0, 0.4), (2, 0.9)], 128, 200, Path(folder) / "c.png")
        ...     png.stat().st_size > 1000
        True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 6), dpi=110)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    steps = [h["step"] for h in history]
    window = max(1, len(history) // 40)
    for axes, key, label, colour in (
        (top, "rewards/math_accuracy/mean", "accuracy", "tab:blue"),
        (bottom, "reward", "reward (think_format + math_accuracy)", "tab:orange"),
    ):
        values = [h.get(key, 0.0) for h in history]
        axes.plot(steps, values, color=colour, linewidth=0.6, alpha=0.3)
        axes.plot(
            steps,
            _smooth(values, window),
            color=colour,
            linewidth=1.6,
            label=f"{label}, training batch (sampled, {completions} completions; mean of {window} steps)",
        )
        axes.grid(alpha=0.3)
    top.plot(
        [step for step, _ in held_back_curve],
        [value for _, value in held_back_curve],
        color="black",
        marker="o",
        markersize=3,
        linewidth=1.0,
        zorder=3,
        label=f"accuracy, {held_back_sample} held-back questions (greedy; step 0: after the cold start)",
    )
    top.set_ylabel("accuracy")
    top.set_ylim(-0.02, 1.02)
    bottom.set_ylabel("reward")
    bottom.set_ylim(-0.04, 2.04)
    bottom.set_xlabel("GRPO step")
    top.set_title("rlvr demo: cold start, then GRPO (tiny Qwen2, CPU)")
    for axes in (top, bottom):
        axes.legend(loc="lower right", fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def summary_table(result: DemoResult, eval_questions: int) -> str:
    """Markdown tables: greedy scores of the three models, then the training batches in five parts.

    Example:
        >>> stage = Stage(Scores(0.5, 1.0), Scores(0.5, 1.0), ())
        >>> result = DemoResult(stage, stage, stage, (), (), 10, 5, 1.0, Path("."))
        >>> print(summary_table(result, 4).splitlines()[0])
        | greedy decoding | untrained | after cold start | after GRPO |
    """
    stages = (result.untrained, result.before, result.after)
    rows = [
        "| greedy decoding | untrained | after cold start | after GRPO |",
        "|---|---:|---:|---:|",
    ]
    for label, pick in (
        (f"accuracy, held-back (all {result.held_back_questions:,})", "held_back.accuracy"),
        (f"accuracy, training ({eval_questions} of {result.train_questions:,})", "train.accuracy"),
        ("think_format, held-back", "held_back.format"),
        ("reward, held-back", "held_back.reward"),
    ):
        group, name = pick.split(".")
        cells = " | ".join(f"{getattr(getattr(s, group), name):.3f}" for s in stages)
        rows.append(f"| {label} | {cells} |")
    if result.history:
        rows += [
            "",
            "| GRPO steps (training batches, sampled) | accuracy | reward | kl |",
            "|---|---:|---:|---:|",
        ]
        parts = min(5, len(result.history))
        for part in range(parts):
            chunk = result.history[
                part * len(result.history) // parts : (part + 1) * len(result.history) // parts
            ]
            mean = {k: sum(h[k] for h in chunk) / len(chunk) for k in chunk[0]}
            rows.append(
                f"| {int(chunk[0]['step'])}-{int(chunk[-1]['step'])} | "
                f"{mean['rewards/math_accuracy/mean']:.3f} | {mean['reward']:.3f} | {mean['kl']:.3f} |"
            )
    rows += ["", "greedy completions of held-back questions, after the cold start → after GRPO:"]
    rows += [
        f"  {prompt}{before} → {after}"
        for (prompt, before), (_, after) in zip(result.before.examples, result.after.examples, strict=True)
    ]
    return "\n".join(rows)
