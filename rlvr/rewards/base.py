"""The reward contract every rlvr reward follows.

A reward is a picklable callable with a stable ``__name__`` and TRL's reward-function signature::

    reward(prompts, completions, **columns) -> list[float | None]

It also accepts the ``completion_ids``, ``trainer_state``, ``log_metric`` and ``log_extra`` keywords TRL
passes. Length in equals length out. ``None`` means "cannot be judged": TRL leaves it out of the
advantage. Each ``None`` has a reason, sent to ``log_extra`` (column ``<name>/reason``) when the trainer
provides it and to the debug log. Dataset columns arrive by name; a missing required column is an error
naming the column and the reward, raised on the first call.

Subclasses name their config type (``class MyReward(Reward[MyConfig])``), set ``default_name``,
``config_class`` (the validated dataclass itself), ``required_columns`` and implement
:meth:`Reward.judge_batch` (or the simpler :meth:`Reward.judge_one`). What columns a reward needs is
decided in one place, :meth:`Reward.missing_column`: the trainer's batches, ``rlvr score``'s lines and the
service's requests are all checked by it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

from rlvr.executor import Executor, ExecutorConfig
from rlvr.executor.ray_stats import RayStats
from rlvr.rewards import inputs
from rlvr.rewards.inputs import (
    TRAINER_KEYWORDS,
    Completion,
    MalformedInputError,
    MissingColumnError,
    Prompt,
    read_completion,
    read_prompt,
)
from rlvr.rewards.options import build_config
from rlvr.verifiers.verdict import Verdict

logger = logging.getLogger("rlvr.rewards")

LogMetric = Callable[[str, float], None]
LogExtra = Callable[[str, list[Any]], None]
#: The type of a reward's config dataclass (``Reward[MathAccuracyConfig]``).
ConfigT = TypeVar("ConfigT")


@dataclass(frozen=True, slots=True)
class Item:
    """One row of a batch, read and checked: what :meth:`Reward.judge_one` receives.

    ``row`` holds this row's value of every dataset column the trainer passed.
    """

    completion: Completion
    prompt: Prompt | None
    row: Mapping[str, Any]


class Reward(Generic[ConfigT]):
    """Base class of rlvr's rewards (see the module docstring for the contract).

    Args:
        config: the reward's config dataclass; or pass its fields as keyword options.
        name: the ``__name__`` TRL logs the reward under (default: the reward's own name).
        executor: an :class:`~rlvr.executor.Executor` or its config, for rewards that judge in worker
            processes; by default each such reward starts its own on first need.
    """

    default_name: ClassVar[str] = "reward"
    config_class: ClassVar[type[Any]]
    required_columns: ClassVar[tuple[str, ...]] = ()
    #: Columns read when present, documented per reward.
    optional_columns: ClassVar[tuple[str, ...]] = ()
    #: Whether ``prompts`` are read (a reward that needs them fails clearly without them).
    reads_prompts: ClassVar[bool] = False
    #: The options the command line's ``--workers`` and ``--timeout`` set for this reward when given (and
    #: not also set with ``--set``); rewards that judge through the executor take them from its config.
    command_line_options: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __init__(
        self,
        config: ConfigT | None = None,
        /,
        *,
        name: str | None = None,
        executor: Executor | ExecutorConfig | None = None,
        **options: Any,
    ) -> None:
        if config is None:
            config = self.config_class(**options)
        elif options:
            raise TypeError(f"{type(self).__name__}: pass either a config or keyword options, not both")
        elif not isinstance(config, self.config_class):
            raise TypeError(
                f"{type(self).__name__} takes a {self.config_class.__name__}, got {type(config).__name__}"
            )
        if name is not None and (not isinstance(name, str) or not name.isidentifier()):
            raise ValueError(f"reward name must be an identifier, got {name!r}")
        self.config: ConfigT = config
        self.__name__ = name or self.default_name
        self._executor: Executor | None = executor if isinstance(executor, Executor) else None
        self._executor_config: ExecutorConfig | None = (
            executor if isinstance(executor, ExecutorConfig) else None
        )
        self._start_lock = threading.Lock()  # one executor (or sandbox) even when threads race to start it

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_start_lock", None)  # a lock does not pickle; a copy gets its own
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start_lock = threading.Lock()

    @classmethod
    def from_options(cls, options: Mapping[str, str], **kwargs: Any) -> Reward:
        """Build the reward from string options, as the CLI's ``--set KEY=VALUE`` gives them.

        Example:
            >>> from rlvr.rewards import ThinkFormatReward
            >>> reward = ThinkFormatReward.from_options({"think_opened_by_prompt": "true"})
            >>> reward.config.think_opened_by_prompt
            True
        """
        return cls(build_config(cls.config_class, options), **kwargs)

    @property
    def executor(self) -> Executor:
        """The executor this reward judges with (its workers start on first use)."""
        if self._executor is None:
            with self._start_lock:
                if self._executor is None:
                    self._executor = Executor(self.executor_config(self._executor_config))
        return self._executor

    def close(self) -> None:
        """Stop this reward's worker processes, if it started any (they start again on next use)."""
        if self._executor is not None:
            self._executor.close()

    def executor_config(self, given: ExecutorConfig | None) -> ExecutorConfig:
        """The settings of this reward's own executor; ``given`` is what the user passed, if anything."""
        return given or ExecutorConfig()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r}, name={self.__name__!r})"

    # -- the TRL entry point ---------------------------------------------------------------------------

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] | None = None,
        completion_ids: Sequence[Any] | None = None,
        *,
        trainer_state: Any = None,
        log_metric: LogMetric | None = None,
        log_extra: LogExtra | None = None,
        **columns: Any,
    ) -> list[float | None]:
        """Score a batch; one float or ``None`` per completion (TRL's reward-function signature)."""
        ray_before = self.ray_stats()
        verdicts = self.judge(prompts, completions, **columns)
        self.report(verdicts, log_metric=log_metric, log_extra=log_extra)
        if log_metric is not None:
            self.report_ray(ray_before, log_metric)
        return [v.score for v in verdicts]

    def ray_stats(self) -> RayStats | None:
        """What this reward sent to a Ray cluster so far; ``None`` when it judges on this machine only.

        Example:
            >>> from rlvr.rewards import MathAccuracyReward
            >>> MathAccuracyReward().ray_stats() is None
            True
        """
        return self._executor.ray_stats if self._executor is not None else None

    def report_ray(self, before: RayStats | None, log_metric: LogMetric) -> None:
        """Log what went to Ray since ``before`` as ``rewards/<name>/ray/...`` (items, items per node,
        nodes, re-dispatched, nulls, actors lost), when anything did.

        Example:
            >>> from rlvr.rewards import MathAccuracyReward
            >>> logged = {}
            >>> MathAccuracyReward().report_ray(None, logged.__setitem__); logged  # judged here: nothing
            {}
        """
        after = self.ray_stats()
        if after is None:
            return
        delta = after - (before or RayStats())
        if delta.used:
            for key, value in delta.metrics().items():
                log_metric(f"rewards/{self.__name__}/ray/{key}", value)

    def report(
        self,
        verdicts: Sequence[Verdict],
        *,
        log_metric: LogMetric | None = None,
        log_extra: LogExtra | None = None,
    ) -> None:
        """Send reasons and the share of unjudged items to the trainer's loggers and the debug log."""
        unjudged = [v for v in verdicts if v.score is None]
        if log_extra is not None:
            log_extra(f"{self.__name__}/reason", [v.reason for v in verdicts])
        if log_metric is not None and verdicts:
            log_metric(f"rewards/{self.__name__}/unjudged_frac", len(unjudged) / len(verdicts))
        if unjudged and logger.isEnabledFor(logging.DEBUG):
            for index, verdict in enumerate(verdicts):
                if verdict.score is None:
                    logger.debug("%s: item %d not judged: %s", self.__name__, index, verdict.reason)

    def judge(
        self, prompts: Sequence[Any] | None, completions: Sequence[Any] | None, **columns: Any
    ) -> list[Verdict]:
        """Judge a batch; one :class:`Verdict` (score and reason) per completion.

        Raises:
            MissingColumnError: a required dataset column is absent.
            ValueError: lengths do not match.
        """
        if completions is None:
            raise TypeError(f"reward {self.__name__!r} needs completions")
        size = len(completions)
        self.check_columns(columns, size)
        if prompts is not None and len(prompts) != size:
            raise ValueError(f"reward {self.__name__!r}: {len(prompts)} prompts for {size} completions")
        if self.reads_prompts and prompts is None:
            raise ValueError(f"reward {self.__name__!r} needs prompts")
        row_columns = {
            name: values
            for name, values in columns.items()
            if isinstance(values, Sequence) and not isinstance(values, (str, bytes)) and len(values) == size
        }
        verdicts: list[Verdict | None] = [None] * size
        items: list[Item] = []
        positions: list[int] = []
        for index in range(size):
            try:
                completion = read_completion(completions[index])
                raw_prompt = prompts[index] if prompts is not None else None
                prompt = read_prompt(raw_prompt) if raw_prompt is not None else None
            except MalformedInputError as exc:
                verdicts[index] = Verdict.unjudged(f"malformed input: {exc}")
                continue
            row = {name: values[index] for name, values in row_columns.items()}
            items.append(Item(completion, prompt, row))
            positions.append(index)
        if items:
            judged = self.judge_batch(items)
            if len(judged) != len(items):
                raise RuntimeError(
                    f"reward {self.__name__!r} returned {len(judged)} verdicts for {len(items)} items"
                )
            for index, verdict in zip(positions, judged, strict=True):
                verdicts[index] = verdict
        return verdicts  # type: ignore[return-value]

    # -- what subclasses implement ---------------------------------------------------------------------

    def check_settings(self) -> None:
        """Raise ``ValueError`` when this reward's options cannot score anything (a length reward without
        its maximum length); ``rlvr score`` and the service call it before reading any input.

        Example:
            >>> from rlvr.rewards import SoftOverlongReward
            >>> SoftOverlongReward().check_settings()
            Traceback (most recent call last):
            ...
            ValueError: reward 'soft_overlong' needs max_completion_len: set it to the trainer's maximum \
completion length in tokens (--set max_completion_len=N)
        """

    def missing_column(self, present: Collection[str]) -> str | None:
        """The column (or choice of columns) this reward needs that ``present`` lacks, quoted as a message
        names it (``"'answer' (or 'solution')"``); ``None`` when nothing is missing. The one rule of
        what a reward reads: a batch, a line of ``rlvr score`` and a request are all checked by it.

        Example:
            >>> from rlvr.rewards import MathAccuracyReward
            >>> MathAccuracyReward().missing_column({"completion", "prompt"})
            "'answer' (or 'solution')"
            >>> MathAccuracyReward().missing_column({"completion", "solution"}) is None
            True
        """
        for name in self.required_columns:
            if name not in present:
                return repr(name)
        return None

    def check_columns(self, columns: Mapping[str, Any], size: int) -> None:
        """Raise a clear error when the batch cannot be judged: options that cannot score
        (:meth:`check_settings`), a column it needs is absent (:meth:`missing_column`), or a required
        column does not hold one value per completion.

        Raises:
            MissingColumnError: a column this reward needs is absent; the message names it.
            ValueError: the settings cannot score, or a column's length is not ``size``.
        """
        self.check_settings()
        missing = self.missing_column(columns.keys())
        if missing is not None:
            present = ", ".join(sorted(k for k in columns if k not in TRAINER_KEYWORDS)) or "none"
            raise MissingColumnError(
                f"reward {self.__name__!r} needs the dataset column {missing}, "
                f"which this batch does not have (columns: {present})"
            )
        inputs.check_column_lengths(self.__name__, self.required_columns, columns, size)

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        """Judge read items. The default calls :meth:`judge_one` per item, isolating exceptions."""
        verdicts = []
        for item in items:
            try:
                verdicts.append(self.judge_one(item))
            except NotImplementedError:
                raise  # a programming error, not a verdict
            except Exception as exc:
                verdicts.append(Verdict.unjudged(f"{type(exc).__name__}: {exc}"))
        return verdicts

    def judge_one(self, item: Item) -> Verdict:
        """Judge one item in-process. Only for checks that are provably cheap on any input."""
        raise NotImplementedError(f"{type(self).__name__} implements neither judge_batch nor judge_one")
