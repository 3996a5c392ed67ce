"""Evaluate a math benchmark subset during training: a ``transformers``/TRL ``TrainerCallback``.

Every ``every_n_steps`` optimizer steps (and optionally before the first), on the main process, the
callback takes the trainer's own model and ``processing_class``, generates one greedy completion
(``model.generate(do_sample=False)``) for each of the first ``problems`` problems of a bundled
benchmark, grades them with rlvr's ``math_accuracy`` reward (the verdicts of ``rlvr eval``) and logs::

    rlvr_eval/<benchmark>/accuracy        share of problems answered correctly (the report's accuracy)
    rlvr_eval/<benchmark>/no_answer_frac  share of completions without a final answer
    rlvr_eval/<benchmark>/seconds         time taken (generation and grading)

Prompts: ``prompt_template`` with ``{question}`` replaced, rendered with the tokenizer's chat template
(one user message, generation prompt added) when it has one, else as plain text. Completions are decoded
with ``skip_special_tokens=True``, as TRL decodes them.

Logging: with ``trainer=`` given, the metrics go to ``trainer.state.log_history`` and to every reporting
callback (W&B, TensorBoard, the console) through the trainer's callback handler. ``Trainer.log`` itself is
not called: ``GRPOTrainer.log`` would flush the GRPO metrics it is averaging over the logging window.
Without a trainer the metrics are appended to ``state.log_history`` only. Every evaluation's full
:class:`~rlvr.eval.evaluation.EvalReport` is also kept in ``callback.reports``.

Limits: generation runs on the main process with the unwrapped model, so it suits single-device and
DDP training (the other ranks wait at their next collective); under DeepSpeed ZeRO-3 or FSDP, where
parameters are sharded, it is not supported. Keep the subset small: greedy generation of
``max_new_tokens`` for each problem is paid every time.

Example:
    >>> EvalCallbackConfig(benchmark="math500", every_n_steps=50, problems=16).problems
    16
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from transformers import TrainerCallback

from rlvr.eval.datasets import SOURCES, Benchmark, get_benchmark_spec, load_benchmark
from rlvr.eval.evaluation import EvalConfig, EvalReport, evaluate
from rlvr.rewards.math_reward import MathAccuracyReward

logger = logging.getLogger("rlvr.integrations")

DEFAULT_TEMPLATE = "{question}\nPlease reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class EvalCallbackConfig:
    """What the callback evaluates and how often.

    Attributes:
        benchmark: ``gsm8k``, ``math``, ``math500``, ``aime24``, ``aime25`` or ``amc23``.
        every_n_steps: evaluate when the global step is a multiple of this.
        problems: the first N problems of the benchmark are the subset.
        max_new_tokens: generation budget per completion.
        batch_size: prompts generated together.
        prompt_template: the prompt, with ``{question}`` replaced by the problem statement.
        use_chat_template: render prompts with the tokenizer's chat template; ``None``: when it has one.
        eval_on_start: also evaluate before the first step.
        prefix: the logged metrics are ``{prefix}/{benchmark}/...``.
        workers: worker processes of the grading reward (symbolic judgements).
        timeout: hard deadline of one symbolic judgement, in seconds.
        source: ``"bundled"`` (offline) or ``"hf"``.

    Example:
        >>> EvalCallbackConfig(every_n_steps=0)
        Traceback (most recent call last):
        ...
        ValueError: every_n_steps must be >= 1, got 0
    """

    benchmark: str = "gsm8k"
    every_n_steps: int = 100
    problems: int = 32
    max_new_tokens: int = 512
    batch_size: int = 8
    prompt_template: str = DEFAULT_TEMPLATE
    use_chat_template: bool | None = None
    eval_on_start: bool = False
    prefix: str = "rlvr_eval"
    workers: int | None = 1
    timeout: float = 5.0
    source: str = "bundled"

    def __post_init__(self) -> None:
        get_benchmark_spec(self.benchmark)  # raises KeyError for an unknown name
        for name in ("every_n_steps", "problems", "max_new_tokens", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be >= 1, got {value!r}")
        if "{question}" not in self.prompt_template:
            raise ValueError("prompt_template must contain {question}")
        if not self.prefix:
            raise ValueError("prefix must not be empty")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        EvalConfig(workers=self.workers, timeout=self.timeout)  # validates both


def _tokenizer_of(processing_class: Any) -> Any:
    """The tokenizer inside a processor, or the tokenizer itself."""
    return getattr(processing_class, "tokenizer", None) or processing_class


def render_prompts(tokenizer: Any, questions: list[str], template: str, chat: bool | None) -> list[str]:
    """The prompt texts: ``template`` filled in, through the chat template when ``chat`` (or when
    ``chat`` is ``None`` and the tokenizer has one).

    Example:
        >>> class Plain:
        ...     chat_template = None
        >>> render_prompts(Plain(), ["1+1?"], "Q: {question}\\nA:", None)
        ['Q: 1+1?\\nA:']
    """
    texts = [template.replace("{question}", question) for question in questions]
    use_chat = bool(getattr(tokenizer, "chat_template", None)) if chat is None else chat
    if not use_chat:
        return texts
    return [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True
        )
        for text in texts
    ]


def generate_completions(
    model: Any,
    processing_class: Any,
    prompts: list[str],
    *,
    max_new_tokens: int,
    batch_size: int = 8,
    chat_rendered: bool = False,
) -> list[str]:
    """Greedy completions of ``prompts`` with ``model.generate`` (left padding, no gradients).

    The model's training mode and the tokenizer's padding side are restored afterwards.

    Example:
        >>> import torch
        >>> from transformers import GPT2Config, GPT2LMHeadModel
        >>> from rlvr.integrations.eval_callback import _doctest_tokenizer
        >>> tokenizer = _doctest_tokenizer()
        >>> _ = torch.manual_seed(0)
        >>> model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=8, n_layer=1, n_head=1))
        >>> texts = generate_completions(model, tokenizer, ["12", "3"], max_new_tokens=3)
        >>> len(texts), model.training
        (2, True)
    """
    import torch

    tokenizer = _tokenizer_of(processing_class)
    padding_side = tokenizer.padding_side
    was_training = model.training
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    completions: list[str] = []
    tokenizer.padding_side = "left"
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(prompts), batch_size):
                batch = prompts[start : start + batch_size]
                encoded = tokenizer(
                    batch, return_tensors="pt", padding=True, add_special_tokens=not chat_rendered
                ).to(model.device)
                output = model.generate(
                    **encoded, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad_id
                )
                new_tokens = output[:, encoded["input_ids"].shape[1] :]
                completions.extend(tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    finally:
        tokenizer.padding_side = padding_side
        model.train(was_training)
    return completions


def _doctest_tokenizer() -> Any:
    """A digits-only character tokenizer for the doctests (no downloads)."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: index for index, token in enumerate(["<pad>", "<eos>", "<unk>", *"0123456789+="])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    return PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )


class BenchmarkEvalCallback(TrainerCallback):
    """Evaluate a benchmark subset every N steps and log the accuracy (see the module docstring).

    Args:
        config: what to evaluate; or pass its fields as keyword options.
        trainer: the trainer, to send the metrics to its reporting callbacks (W&B, TensorBoard, ...).

    Example:
        >>> import torch
        >>> from transformers import GPT2Config, GPT2LMHeadModel
        >>> tokenizer = _doctest_tokenizer()
        >>> _ = torch.manual_seed(0)
        >>> model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_embd=8, n_layer=1, n_head=1))
        >>> callback = BenchmarkEvalCallback(benchmark="amc23", problems=2, max_new_tokens=4)
        >>> report = callback.evaluate_model(model, tokenizer)
        >>> report.n_samples, sorted(callback.metrics(report))[0]
        (2, 'rlvr_eval/amc23/accuracy')
    """

    def __init__(
        self, config: EvalCallbackConfig | None = None, *, trainer: Any = None, **options: Any
    ) -> None:
        if config is None:
            config = EvalCallbackConfig(**options)
        elif options:
            raise TypeError("pass either an EvalCallbackConfig or keyword options, not both")
        self.config = config
        self.trainer = trainer
        self.reports: list[EvalReport] = []
        self._subset: Benchmark | None = None
        self._reward: MathAccuracyReward | None = None

    @property
    def subset(self) -> Benchmark:
        """The evaluated problems (loaded on first use)."""
        if self._subset is None:
            bench = load_benchmark(self.config.benchmark, self.config.source)  # type: ignore[arg-type]
            self._subset = bench.subset(min(self.config.problems, len(bench)))
        return self._subset

    def _grader(self) -> MathAccuracyReward:
        if self._reward is None:
            from rlvr.executor import ExecutorConfig

            config = self.config
            executor = ExecutorConfig(max_workers=config.workers, timeout=config.timeout)
            fallback = self.subset.spec.fallback
            self._reward = MathAccuracyReward(fallback=fallback, timeout=config.timeout, executor=executor)
        return self._reward

    def evaluate_model(self, model: Any, processing_class: Any) -> EvalReport:
        """Generate greedy completions for the subset with ``model`` and grade them; returns the report."""
        config = self.config
        tokenizer = _tokenizer_of(processing_class)
        use_chat = (
            bool(getattr(tokenizer, "chat_template", None))
            if config.use_chat_template is None
            else config.use_chat_template
        )
        prompts = render_prompts(
            tokenizer, [p.question for p in self.subset], config.prompt_template, use_chat
        )
        texts = generate_completions(
            model,
            processing_class,
            prompts,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.batch_size,
            chat_rendered=use_chat,
        )
        predictions = [
            {"idx": p.index, "completion": text} for p, text in zip(self.subset, texts, strict=True)
        ]
        return evaluate(self.subset, predictions, reward=self._grader())

    def metrics(self, report: EvalReport) -> dict[str, float]:
        """The logged values of one report: its accuracy (over all the subset's problems; one greedy
        completion each, so also pass@1), the share of completions without a final answer, the seconds.

        Example:
            >>> from rlvr.eval import evaluate, load_benchmark
            >>> bench = load_benchmark("amc23").subset(2)
            >>> report = evaluate(bench, [{"idx": 0, "completion": "\\\\boxed{27}"}])
            >>> BenchmarkEvalCallback(benchmark="amc23").metrics(report)["rlvr_eval/amc23/accuracy"]
            0.5
        """
        key = f"{self.config.prefix}/{self.config.benchmark}"
        return {
            f"{key}/accuracy": report.accuracy,  # over all the subset's problems, a missing one unsolved
            f"{key}/no_answer_frac": report.no_answer / report.n_samples if report.n_samples else 0.0,
            f"{key}/seconds": report.seconds,
        }

    def _run(self, args: Any, state: Any, control: Any, model: Any, processing_class: Any) -> None:
        if not getattr(state, "is_world_process_zero", True):
            return
        if model is None or processing_class is None:
            logger.warning("BenchmarkEvalCallback: the trainer passed no model or processing_class; skipped")
            return
        started = time.perf_counter()
        report = self.evaluate_model(model, processing_class)
        report.seconds = time.perf_counter() - started
        self.reports.append(report)
        logs = self.metrics(report)
        state.log_history.append({**logs, "step": state.global_step})
        handler = getattr(self.trainer, "callback_handler", None)
        if handler is not None:
            handler.on_log(args, state, control, logs=logs)
        logger.info("step %d: %s", state.global_step, logs)

    # -- TrainerCallback events ------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.config.eval_on_start:
            self._run(args, state, control, kwargs.get("model"), kwargs.get("processing_class"))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step > 0 and state.global_step % self.config.every_n_steps == 0:
            self._run(args, state, control, kwargs.get("model"), kwargs.get("processing_class"))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._reward is not None:
            self._reward.close()


__all__ = [
    "BenchmarkEvalCallback",
    "EvalCallbackConfig",
    "generate_completions",
    "render_prompts",
]
