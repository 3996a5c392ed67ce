"""A cold start as in DeepSeek-R1: a short supervised fine-tuning on a few formatted examples before GRPO.

It runs TRL's ``SFTTrainer`` on prompt-completion pairs: the loss covers the completion tokens only (and
the end-of-sequence token TRL appends), the whole set is one batch, the learning rate is constant. Its job
is the format; whatever the few examples cannot teach is left to GRPO.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.integrations.tiny import CPU_RUN_SETTINGS


@dataclass(frozen=True)
class ColdStartConfig:
    """Settings of the cold start.

    Example:
        >>> ColdStartConfig(steps=50).steps
        50
        >>> ColdStartConfig(learning_rate=2.0)
        Traceback (most recent call last):
        ...
        ValueError: cold_start_learning_rate must be in (0, 1), got 2.0
    """

    steps: int = 100
    learning_rate: float = 3e-3
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"cold_start_steps must be an int >= 1, got {self.steps!r}")
        if not isinstance(self.learning_rate, (int, float)) or not 0 < self.learning_rate < 1:
            raise ValueError(f"cold_start_learning_rate must be in (0, 1), got {self.learning_rate!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int, got {self.seed!r}")


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    """Hide ``datasets``' progress bars (TRL maps the dataset several times), restoring them afterwards.

    Example:
        >>> import datasets
        >>> with quiet_datasets():
        ...     datasets.is_progress_bar_enabled()
        False
    """
    import datasets

    enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


def cold_start(
    model: Any,
    tokenizer: Any,
    examples: Sequence[tuple[str, str]],
    config: ColdStartConfig,
    output_dir: str | Path,
) -> list[float]:
    """Fine-tune ``model`` in place on ``(prompt, completion)`` examples; returns the loss of each step.

    ``output_dir`` is TRL's run directory (nothing is saved there but what the Trainer writes itself).

    Example:
        >>> import tempfile
        >>> from rlvr.integrations.tiny import TinyModelConfig, build_tiny
        >>> model, tokenizer = build_tiny(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1,
        ...                               num_heads=2, num_kv_heads=1), alphabet="0123456789")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     losses = cold_start(model, tokenizer, [("12<think>", "1</think>3")] * 2,
        ...                         ColdStartConfig(steps=30, learning_rate=0.01), folder)
        >>> len(losses), losses[-1] < losses[0] / 2
        (30, True)
    """
    from datasets import Dataset
    from transformers import PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    if not examples:
        raise ValueError("cold_start needs at least one example")
    losses: list[float] = []

    class Losses(TrainerCallback):  # type: ignore[misc]
        def on_log(
            self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any
        ) -> None:
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    dataset = Dataset.from_dict(
        {"prompt": [prompt for prompt, _ in examples], "completion": [text for _, text in examples]}
    )
    args = SFTConfig(
        output_dir=str(output_dir),
        max_steps=config.steps,
        per_device_train_batch_size=len(examples),
        learning_rate=config.learning_rate,
        lr_scheduler_type="constant",
        warmup_steps=0,
        logging_steps=1,
        seed=config.seed,
        completion_only_loss=True,
        **CPU_RUN_SETTINGS,
    )
    with quiet_datasets():
        trainer = SFTTrainer(
            model=model, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=[Losses()]
        )
        trainer.remove_callback(PrinterCallback)
        trainer.train()
    return losses
