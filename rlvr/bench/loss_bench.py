"""``rlvr bench loss``: the cost of rlvr's GRPO loss path against TRL's built-in one, in the same run.

One timed step is what the trainer does per micro-batch: ``_compute_loss`` (the policy forward through
TRL's fused, tiled LM head, the loss, the metrics) and ``backward``. Both paths run on the same trainer,
model and synthetic batch (one group of ``num_generations`` completions, full length, a prompt of
``prompt_length`` tokens, old and reference log-probs given, ``beta=0.04``), alternating, after warm-up:

- rlvr: :meth:`rlvr.integrations.trl.GRPOTrainer._compute_loss` (``grpo_loss``);
- TRL: ``trl.GRPOTrainer._compute_loss`` with the same ``loss_type``.

Every ``loss_type`` TRL has is measured (default all eight; cispo with ``epsilon_high=5``, luspo at the
sequence level, as their papers run them), each on a fresh trainer with the same random weights.

Reported per loss type and completion length: median step time, completion tokens per second, peak memory
during the step, measured in a separate step (CUDA: ``torch.cuda.max_memory_allocated``, weights included;
CPU: the rise of the process's resident set above its level before the step, sampled every millisecond
after ``malloc_trim``) and, on CUDA, MFU; then rlvr / TRL step-time ratios.

Shapes: ``"toy"`` (a Qwen2 scaled down: hidden 256, 4 layers, 4/2 heads, intermediate 768, vocab 4096;
float32; runs on a CPU in seconds) and ``"1.5b"`` (Qwen2.5-1.5B: hidden 1536, 28 layers, 12/2 heads,
intermediate 8960, vocab 151936; bf16 on CUDA, activation checkpointing on, completion lengths 1024 and
4096, G = 8). torch is imported inside the functions: ``import rlvr.bench.loss_bench`` stays light.
"""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any, Literal

from rlvr.bench.base import (
    BenchReport,
    alternate,
    check_choice,
    check_count_list,
    check_counts,
    headline,
    machine_description,
    today,
)
from rlvr.integrations.loss import LOSS_TYPES as TRL_LOSS_TYPES

Shape = Literal["toy", "1.5b"]
SHAPES: dict[str, dict[str, int]] = {
    "toy": {
        "hidden_size": 256,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "intermediate_size": 768,
        "vocab_size": 4096,
    },
    "1.5b": {
        "hidden_size": 1536,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "intermediate_size": 8960,
        "vocab_size": 151936,
    },
}
DEFAULT_LENGTHS: dict[str, tuple[int, ...]] = {"toy": (64, 256), "1.5b": (1024, 4096)}
#: TRL 1.16's loss types.
LOSS_TYPES: tuple[str, ...] = tuple(TRL_LOSS_TYPES)
#: Settings a loss type is run with, as its paper does.
LOSS_TYPE_SETTINGS: dict[str, dict[str, Any]] = {
    "cispo": {"epsilon_high": 5.0},
    "luspo": {"importance_sampling_level": "sequence"},
}
#: Dense bf16 peak TFLOP/s by device-name fragment (for MFU).
PEAK_TFLOPS: dict[str, float] = {"H200": 989.4, "H100": 989.4, "A100": 312.0, "L40S": 362.0, "A10G": 125.0}


@dataclass(frozen=True)
class LossBenchConfig:
    """Sizes of the loss benchmark.

    ``loss_types`` (default: all of :data:`LOSS_TYPES`) are measured one after the other; ``loss_type``, when
    given, measures that one only.

    Example:
        >>> LossBenchConfig().completion_lengths
        (64, 256)
        >>> LossBenchConfig(shape="1.5b", device="cuda").completion_lengths
        (1024, 4096)
        >>> LossBenchConfig(loss_types=("cispo", "vespo")).measured_loss_types
        ('cispo', 'vespo')
        >>> LossBenchConfig(device="tpu")
        Traceback (most recent call last):
        ...
        ValueError: --device must be one of 'cpu', 'cuda', got 'tpu'
    """

    device: str = "cpu"
    shape: Shape = "toy"
    lengths: tuple[int, ...] | None = None
    num_generations: int = 8
    prompt_length: int = 64
    repeats: int = 5
    warmup: int = 1
    loss_type: str | None = None
    loss_types: tuple[str, ...] | None = None
    activation_checkpointing: bool | None = None
    peak_tflops: float | None = None

    def __post_init__(self) -> None:
        unflagged = {name: name for name in ("prompt_length", "warmup", "loss_type")}
        check_choice(self, "device", ("cpu", "cuda"))
        check_choice(self, "shape", tuple(SHAPES))
        check_count_list(self, "lengths", 1, optional=True)
        minimums = {"num_generations": 1, "prompt_length": 1, "repeats": 1, "warmup": 0}
        check_counts(self, minimums, flags=unflagged)
        check_choice(self, "loss_type", LOSS_TYPES, optional=True, flags=unflagged)
        if self.loss_types is not None:
            unknown = [name for name in self.loss_types if name not in LOSS_TYPES]
            if not self.loss_types or unknown:
                raise ValueError(
                    f"loss_types must be a non-empty selection of {LOSS_TYPES}, got {self.loss_types!r}"
                )

    @property
    def completion_lengths(self) -> tuple[int, ...]:
        return self.lengths or DEFAULT_LENGTHS[self.shape]

    @property
    def measured_loss_types(self) -> tuple[str, ...]:
        if self.loss_type is not None:
            return (self.loss_type,)
        return self.loss_types or LOSS_TYPES

    @property
    def checkpointing(self) -> bool:
        if self.activation_checkpointing is not None:
            return self.activation_checkpointing
        return self.shape == "1.5b"


@dataclass
class PathFigures:
    """One loss path at one completion length."""

    path: str
    completion_length: int
    step_ms: float
    tokens_per_s: float
    peak_memory_mb: float
    mfu: float | None
    loss: float
    step_ms_all: list[float] = field(default_factory=list)
    loss_type: str = "grpo"


@dataclass
class LossBenchReport(BenchReport):
    """All figures of one run."""

    config: dict[str, Any]
    device_name: str
    machine: str
    date: str
    parameters: int
    figures: list[PathFigures] = field(default_factory=list)

    def markdown(self) -> str:
        """The figures as a Markdown table (rlvr and TRL side by side, per loss type), then the ratios."""
        c = self.config
        lengths = ",".join(str(n) for n in c["completion_lengths"])
        command = (
            f"rlvr bench loss --device {c['device']} --shape {c['shape']} --lengths {lengths} "
            f"--num-generations {c['num_generations']} --repeats {c['repeats']}"
        )
        details = (
            f"loss path, {c['shape']} shape ({self.parameters / 1e6:.1f} M parameters), "
            f"G = {c['num_generations']}, prompt {c['prompt_length']} tokens, {self.device_name}; "
            f"median of {c['repeats']} steps (forward + backward)"
        )
        lines = [
            headline(command, self.machine, self.date, details),
            "",
            "| loss type | completion length | path | step (ms) | completion tokens/s | peak memory (MB) "
            "| MFU | loss |",
            "|---|---:|---|---:|---:|---:|---:|---:|",
        ]
        for f in self.figures:
            mfu = "n/a" if f.mfu is None else f"{100 * f.mfu:.1f}%"
            lines.append(
                f"| {f.loss_type} | {f.completion_length} | {f.path} | {f.step_ms:.1f} | "
                f"{f.tokens_per_s:,.0f} | {f.peak_memory_mb:,.1f} | {mfu} | {f.loss:.6f} |"
            )
        lines.append("")
        for loss_type, length, ratio, memory in self.ratios():
            lines.append(
                f"{loss_type}, T={length}: rlvr / TRL step time {ratio:.3f}, peak memory {memory:+.1f} MB"
            )
        return "\n".join(lines)

    def ratios(self) -> list[tuple[str, int, float, float]]:
        """``(loss type, completion length, rlvr / TRL step time, rlvr - TRL peak memory in MB)``.

        Example:
            >>> figures = [PathFigures("rlvr", 64, 90.0, 1.0, 10.0, None, 0.1, loss_type="sapo"),
            ...            PathFigures("trl", 64, 100.0, 1.0, 12.0, None, 0.1, loss_type="sapo")]
            >>> config = {"measured_loss_types": ["sapo"], "completion_lengths": [64]}
            >>> LossBenchReport(config, "CPU", "host", "2026-12-07", 1, figures).ratios()
            [('sapo', 64, 0.9, -2.0)]
        """
        rows = []
        for loss_type in self.config["measured_loss_types"]:
            for length in self.config["completion_lengths"]:
                pair = {
                    f.path: f
                    for f in self.figures
                    if f.completion_length == length and f.loss_type == loss_type
                }
                if {"rlvr", "trl"} <= set(pair):
                    rlvr, trl = pair["rlvr"], pair["trl"]
                    rows.append(
                        (
                            loss_type,
                            length,
                            rlvr.step_ms / trl.step_ms,
                            rlvr.peak_memory_mb - trl.peak_memory_mb,
                        )
                    )
        return rows


@contextmanager
def _rss_peak() -> Iterator[Callable[[], float]]:
    """Sample this process's resident set every millisecond; yields a function giving the peak rise (MB)."""
    page = os.sysconf("SC_PAGE_SIZE")

    def rss() -> int:
        with open("/proc/self/statm", encoding="ascii") as stream:
            return int(stream.read().split()[1]) * page

    base = rss()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss())
            stop.wait(0.001)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: (peak[0] - base) / 2**20
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], rss())


def _build_trainer(config: LossBenchConfig, workdir: str, loss_type: str) -> Any:
    import torch
    from datasets import Dataset
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from rlvr.integrations.tiny import build_tokenizer
    from rlvr.integrations.trl import GRPOConfig, GRPOTrainer

    cuda = config.device == "cuda"
    dtype = torch.bfloat16 if cuda else torch.float32
    qwen = Qwen2Config(
        **SHAPES[config.shape],
        max_position_embeddings=max(config.completion_lengths) + config.prompt_length,
        tie_word_embeddings=True,
        rope_theta=1_000_000.0,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=1,
    )
    torch.manual_seed(0)
    with torch.device(config.device):
        model = Qwen2ForCausalLM._from_config(qwen, dtype=dtype)
    model.config._name_or_path = "rlvr-bench-random"

    def zero(completions: list[Any], **_: Any) -> list[float]:
        return [0.0] * len(completions)

    args = GRPOConfig(
        output_dir=workdir,
        per_device_train_batch_size=config.num_generations,
        num_generations=config.num_generations,
        max_completion_length=max(config.completion_lengths),
        loss_type=loss_type,
        **LOSS_TYPE_SETTINGS.get(loss_type, {}),
        beta=0.0,  # no reference model is loaded; the KL term is switched on below with given ref log-probs
        use_cpu=not cuda,
        bf16=cuda,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[zero],
        args=args,
        train_dataset=Dataset.from_dict({"prompt": ["1+1="] * config.num_generations}),
        processing_class=build_tokenizer(),
    )
    if config.checkpointing:  # Trainer would switch it on in train(), which the benchmark never calls
        kwargs = {"use_reentrant": False}
        if hasattr(trainer.model, "activation_checkpointing_enable"):
            trainer.model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:  # transformers < 5
            trainer.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
        trainer.model.config.use_cache = False
    trainer.beta = 0.04
    trainer.loss_options = trl_loss_options(trainer)
    trainer.current_gradient_accumulation_steps = 1
    trainer.model.train()
    return trainer


def trl_loss_options(trainer: Any) -> Any:
    """The trainer's loss options with ``beta`` = ``trainer.beta`` (set after construction)."""
    import dataclasses

    return dataclasses.replace(trainer.loss_options, beta=trainer.beta)


def _batch(config: LossBenchConfig, length: int, trainer: Any) -> dict[str, Any]:
    """A full-length group of random completions; old and reference log-probs near the policy's own (computed
    once, without gradients), as in a real step."""
    import torch

    gen = torch.Generator().manual_seed(length)
    g, p, vocab = config.num_generations, config.prompt_length, SHAPES[config.shape]["vocab_size"]
    device = trainer.model.device
    batch = {
        "prompt_ids": torch.randint(2, vocab, (g, p), generator=gen),
        "prompt_mask": torch.ones(g, p, dtype=torch.long),
        "completion_ids": torch.randint(2, vocab, (g, length), generator=gen),
        "completion_mask": torch.ones(g, length, dtype=torch.long),
        "advantages": torch.randn(g, generator=gen),
    }
    batch = {k: v.to(device) for k, v in batch.items()}
    batch["num_items_in_batch"] = batch["completion_mask"].sum()
    with torch.no_grad():
        input_ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], dim=1)
        attention_mask = torch.cat([batch["prompt_mask"], batch["completion_mask"]], dim=1)
        logps, _, _ = trainer._get_per_token_logps_and_entropies(
            trainer.model, input_ids, attention_mask, length
        )
    noise = torch.randn(g, length, generator=gen).to(device)
    batch["old_per_token_logps"] = (logps.float() + 0.05 * noise).to(logps.dtype)
    batch["ref_per_token_logps"] = (logps.float() - 0.05 * noise).to(logps.dtype)
    return batch


def _flops_per_step(config: LossBenchConfig, length: int, parameters: int) -> float:
    """Model FLOPs of forward + backward (no recomputation): 6 x matmul parameters per token (the LM head
    only on completion tokens) plus causal attention, 6 x layers x hidden x sequence per token."""
    shape = SHAPES[config.shape]
    head = shape["vocab_size"] * shape["hidden_size"]
    body = parameters - head  # tied embeddings: the embedding table is the LM head
    sequence = config.prompt_length + length
    tokens = config.num_generations * sequence
    attention = 6 * shape["num_hidden_layers"] * shape["hidden_size"] * sequence
    return tokens * (6 * body + attention) + config.num_generations * length * 6 * head


def _peak_tflops(config: LossBenchConfig, name: str) -> float | None:
    if config.peak_tflops is not None:
        return config.peak_tflops
    return next((value for key, value in PEAK_TFLOPS.items() if key in name), None)


def run_loss_bench(config: LossBenchConfig | None = None) -> LossBenchReport:
    """Measure rlvr's and TRL's loss paths (see the module docstring).

    Example:
        >>> LossBenchConfig(repeats=1, lengths=(8,)).repeats  # the run itself takes seconds: see the tests
        1
    """
    import tempfile

    import torch
    import trl

    from rlvr.integrations.trl import GRPOTrainer

    config = config or LossBenchConfig()
    if config.device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: no CUDA device is available")
    cuda = config.device == "cuda"
    device_name = (
        torch.cuda.get_device_name() if cuda else f"CPU ({platform.processor() or platform.machine()})"
    )
    report = LossBenchReport(
        config=asdict(config)
        | {
            "completion_lengths": list(config.completion_lengths),
            "measured_loss_types": list(config.measured_loss_types),
        },
        device_name=device_name,
        machine=machine_description(),
        date=today(),
        parameters=0,
    )
    paths: dict[str, Callable[..., Any]] = {
        "rlvr": GRPOTrainer._compute_loss,
        "trl": trl.GRPOTrainer._compute_loss,
    }
    for loss_type in config.measured_loss_types:
        with tempfile.TemporaryDirectory(prefix="rlvr-loss-bench-") as workdir:
            trainer = _build_trainer(config, workdir, loss_type)
            report.parameters = sum(p.numel() for p in trainer.model.parameters())
            for length in config.completion_lengths:
                report.figures.extend(_measure(config, trainer, paths, length, loss_type, device_name))
            del trainer
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
    return report


def _measure(
    config: LossBenchConfig,
    trainer: Any,
    paths: dict[str, Callable[..., Any]],
    length: int,
    loss_type: str,
    device_name: str,
) -> list[PathFigures]:
    """Both paths at one completion length: timed steps (alternating, after warm-up), then peak memory."""
    cuda = config.device == "cuda"
    parameters = sum(p.numel() for p in trainer.model.parameters())
    peak = _peak_tflops(config, device_name) if cuda else None
    batch = _batch(config, length, trainer)
    steps = alternate(  # alternating, so drifts in machine load hit both
        {name: partial(_timed_step, trainer, compute, batch, cuda) for name, compute in paths.items()},
        config.repeats,
        warmup=config.warmup,
    )
    times = {name: [elapsed for elapsed, _ in runs] for name, runs in steps.items()}
    losses = {name: runs[-1][1] for name, runs in steps.items()}
    # twice, alternating, keeping the lower: one-time allocations hit the first
    peaks = alternate(
        {name: partial(_memory_step, trainer, compute, batch, cuda) for name, compute in paths.items()}, 2
    )
    memory = {name: min(runs) for name, runs in peaks.items()}
    trainer.model.zero_grad(set_to_none=True)
    tokens = config.num_generations * length
    figures = []
    for name in paths:
        step = statistics.median(times[name])
        mfu = None
        if peak is not None:
            mfu = _flops_per_step(config, length, parameters) / step / (peak * 1e12)
        figures.append(
            PathFigures(
                name,
                length,
                1000 * step,
                tokens / step,
                memory[name],
                mfu,
                losses[name],
                [1000 * t for t in times[name]],
                loss_type,
            )
        )
    return figures


def _malloc_trim() -> None:
    """Hand freed heap memory back to the OS (glibc), so that the next step's peak shows in the RSS."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


def _timed_step(
    trainer: Any, compute: Callable[..., Any], batch: dict[str, Any], cuda: bool
) -> tuple[float, float]:
    """One forward + backward; (seconds, loss). CUDA: timed with events."""
    import torch

    trainer.model.zero_grad(set_to_none=True)
    if cuda:
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        loss = compute(trainer, trainer.model, batch)
        loss.backward()
        end.record()
        torch.cuda.synchronize()
        return start.elapsed_time(end) / 1000, loss.item()
    began = time.perf_counter()
    loss = compute(trainer, trainer.model, batch)
    loss.backward()
    return time.perf_counter() - began, loss.item()


def _memory_step(trainer: Any, compute: Callable[..., Any], batch: dict[str, Any], cuda: bool) -> float:
    """Peak memory (MB) of one forward + backward: CUDA ``max_memory_allocated``; CPU the rise of the sampled
    resident set above its level before the step (gradients freed, heap trimmed)."""
    import torch

    trainer.model.zero_grad(set_to_none=True)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        compute(trainer, trainer.model, batch).backward()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() / 2**20
    gc.collect()
    _malloc_trim()
    with _rss_peak() as peak:
        compute(trainer, trainer.model, batch).backward()
    return peak()


def parse_lengths(text: str) -> tuple[int, ...]:
    """``"1024,4096"`` -> ``(1024, 4096)``.

    Example:
        >>> parse_lengths("64, 256")
        (64, 256)
    """
    return tuple(int(part) for part in text.split(",") if part.strip())
