"""The engine behind :mod:`rlvr.integrations.verl`: verl rows judged by rlvr's rewards, under hard deadlines.

:class:`VerlScorer` owns one ``math_accuracy`` (and its executor) and one ``code_execution`` (and its
sandbox), routes each row by its ``data_source`` (:mod:`rlvr.integrations.verl_routes`) and answers in
verl's format, one dict per row with the same keys every time (verl's reward loop reads the first row's
keys for the whole batch)::

    {"score": float, "acc": float | None, "unjudged": 0.0 | 1.0, "reason": str}

verl cannot leave an item out of a step, so a row rlvr cannot judge (no tests, a gold that does not parse,
a judgement past its deadline) gets ``score = unjudged_score`` (0.0 by default), ``acc = None`` (verl's
validation metrics skip it), ``unjudged = 1.0`` (its mean is the share not judged) and the reason.

Deadlines: every slow judgement runs in rlvr's executor (math, ``verl``) or sandbox (code) under its own
deadline; on top of that each call — one row, or one batch — has a wall-clock budget: ``deadline`` seconds
plus what its rows' own deadlines allow (each program's ``program_time_limit`` over the sandbox's
workers, each math judgement's ``timeout`` over the executor's workers; :meth:`VerlScorer.budget`). Past it
the call returns its rows as unjudged ("deadline") while the judgement finishes or is killed behind it: no
call blocks the trainer longer than its budget, whatever happens below.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import logging
import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rlvr.executor import Executor, ExecutorConfig, usable_cpus
from rlvr.integrations.code_formats import find_tests
from rlvr.integrations.verl_routes import ROUTES, check_routes, route_of
from rlvr.processes import PerProcess, describe_exception
from rlvr.rewards.code_reward import CodeExecutionReward
from rlvr.rewards.math_reward import MathAccuracyReward
from rlvr.verifiers.math.extract import FALLBACKS, Fallback
from rlvr.verifiers.verdict import Verdict

logger = logging.getLogger("rlvr.integrations.verl")

FallbackRoute = Literal["auto", "math", "code", "verl", "none"]
FALLBACK_ROUTES: tuple[str, ...] = ("auto", *ROUTES)
#: What the ``verl`` route's workers import when they start (verl's own scorers).
VERL_PRELOAD = ("verl.utils.reward_score",)
#: Keys of every result dict, in order.
RESULT_KEYS = ("score", "acc", "unjudged", "reason")
VerlResult = dict[str, float | str | None]


def _finite(value: object, name: str, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


@dataclass(frozen=True)
class VerlConfig:
    """Options of the verl integration (in verl: ``custom_reward_function.reward_kwargs``).

    Attributes:
        fallback: the route of a ``data_source`` the table does not know: ``auto`` (code when the row
            carries tests, else math), ``math``, ``code``, ``verl`` (verl's own ``default_compute_score``
            under rlvr's deadline) or ``none`` (not judged).
        routes: ``{data_source: route}`` read before the table (exact names, any case).
        unjudged_score: the score verl gets for a row rlvr cannot judge.
        math_fallback: ``math_accuracy``'s ``fallback`` (``"last_number"`` reads an unmarked last number).
        timeout: seconds one math (or ``verl``) judgement may take in a worker process.
        workers: the executor's worker processes (default: one per usable CPU).
        code_workers: programs run at once by the code sandbox (default: one per usable CPU).
        program_time_limit: seconds all of one program's test cases may take together.
        deadline: seconds of slack one call (a row, or a whole batch) has beyond what its rows' own
            deadlines allow, before its rows come back unjudged (see the module docstring).
        batch_window: the async form gathers the calls that arrive within this many seconds into one
            batch (0 judges each call alone).
        max_batch: the most rows the async form judges together.

    Example:
        >>> VerlConfig(fallback="math", routes={"geo3k": "verl"}).routes
        {'geo3k': 'verl'}
        >>> VerlConfig(fallback="vision")
        Traceback (most recent call last):
        ...
        ValueError: fallback must be one of auto, math, code, verl, none; got 'vision'
    """

    fallback: FallbackRoute = "auto"
    routes: Mapping[str, str] = field(default_factory=dict)
    unjudged_score: float = 0.0
    math_fallback: Fallback = "none"
    timeout: float = 5.0
    workers: int | None = None
    code_workers: int | None = None
    program_time_limit: float = 10.0
    deadline: float = 60.0
    batch_window: float = 0.002
    max_batch: int = 256

    def __post_init__(self) -> None:
        if self.fallback not in FALLBACK_ROUTES:
            raise ValueError(f"fallback must be one of {', '.join(FALLBACK_ROUTES)}; got {self.fallback!r}")
        if not isinstance(self.routes, Mapping):
            raise ValueError(f"routes must map data_source names to routes, got {type(self.routes).__name__}")
        object.__setattr__(self, "routes", {str(k): str(v) for k, v in dict(self.routes).items()})
        check_routes(self.routes)
        _finite(self.unjudged_score, "unjudged_score")
        if self.math_fallback not in FALLBACKS:
            raise ValueError(f"math_fallback must be one of {FALLBACKS}; got {self.math_fallback!r}")
        for name in ("timeout", "program_time_limit", "deadline"):
            _finite(getattr(self, name), name, positive=True)
        _finite(self.batch_window, "batch_window")
        if not 0 <= self.batch_window <= 1:
            raise ValueError(f"batch_window must be between 0 and 1 second, got {self.batch_window!r}")
        for name in ("workers", "code_workers"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be an int >= 1 or None, got {value!r}")
        if isinstance(self.max_batch, bool) or not isinstance(self.max_batch, int) or self.max_batch < 1:
            raise ValueError(f"max_batch must be an int >= 1, got {self.max_batch!r}")


def verl_default_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: Any) -> float:
    """verl's own ``default_compute_score`` for one row, as a float (the ``verl`` route, in a worker).

    Example:
        >>> verl_default_score("openai/gsm8k", "#### 72", "72", None)  # doctest: +SKIP
        1.0
    """
    from verl.utils.reward_score import default_compute_score

    result = default_compute_score(data_source, solution_str, ground_truth, extra_info)
    if isinstance(result, Mapping):
        result = result["score"]
    return float(result)


def result_of(verdict: Verdict, unjudged_score: float) -> VerlResult:
    """A verdict in verl's format (see the module docstring).

    Example:
        >>> result_of(Verdict(1.0), 0.0)
        {'score': 1.0, 'acc': 1.0, 'unjudged': 0.0, 'reason': ''}
        >>> result_of(Verdict.unjudged("timeout"), -1.0)
        {'score': -1.0, 'acc': None, 'unjudged': 1.0, 'reason': 'timeout'}
    """
    if verdict.score is None:
        return {"score": float(unjudged_score), "acc": None, "unjudged": 1.0, "reason": verdict.reason}
    return {"score": verdict.score, "acc": verdict.score, "unjudged": 0.0, "reason": verdict.reason}


def plain_gold(value: object) -> object:
    """A gold answer as verl's parquet rows may hold it, made plain: a numpy scalar becomes its Python value,
    an array a list, and a list of one answer that answer.

    Example:
        >>> import numpy as np
        >>> plain_gold(np.int64(72)), plain_gold(np.array(["4"], dtype=object)), plain_gold(["1", "2"])
        (72, '4', ['1', '2'])
    """
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return value


def _new_pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="rlvr-verl")


def _stop_pool(pool: concurrent.futures.ThreadPoolExecutor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)


class _Batcher:
    """Gathers the async calls of one event loop into batches judged in the scorer's threads."""

    def __init__(self, scorer: VerlScorer, loop: asyncio.AbstractEventLoop) -> None:
        self._scorer = scorer
        self._loop = loop
        self._rows: list[tuple[Any, Any, Any, Any]] = []
        self._futures: list[asyncio.Future[VerlResult]] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, row: tuple[Any, Any, Any, Any]) -> asyncio.Future[VerlResult]:
        future: asyncio.Future[VerlResult] = self._loop.create_future()
        self._rows.append(row)
        self._futures.append(future)
        config = self._scorer.config
        if len(self._rows) >= config.max_batch or config.batch_window == 0:
            self.flush()
        elif self._timer is None:
            self._timer = self._loop.call_later(config.batch_window, self.flush)
        return future

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, futures = self._rows, self._futures
        self._rows, self._futures = [], []
        if not rows:
            return
        columns = [list(column) for column in zip(*rows, strict=True)]
        budget = self._scorer.budget(columns[0], columns[2], columns[3])
        work = self._loop.run_in_executor(self._scorer.pool, self._scorer.judge_rows, *columns)

        def expire() -> None:  # the batch passed its budget: its rows are answered now, unjudged
            late = [future for future in futures if not future.done()]
            if late:
                logger.error("rlvr verl: %d rows passed their %g s budget", len(late), budget)
            for future in late:
                future.set_result(self._scorer.unjudged(1, f"deadline of {budget:g} s exceeded")[0])

        expiry = self._loop.call_later(budget, expire)

        def deliver(done: asyncio.Future[list[VerlResult]]) -> None:
            expiry.cancel()
            if done.cancelled():
                results = self._scorer.unjudged(len(futures), "cancelled")
            elif done.exception() is not None:
                results = self._scorer.unjudged(
                    len(futures), f"rlvr error: {describe_exception(done.exception())}"
                )
            else:
                results = done.result()
            for future, result in zip(futures, results, strict=True):
                if not future.done():
                    future.set_result(result)

        work.add_done_callback(deliver)


class VerlScorer:
    """verl rows judged by rlvr (see the module docstring); thread-safe, one per process is enough.

    Example:
        >>> scorer = VerlScorer(workers=1)
        >>> scorer.score("openai/gsm8k", "... so she has #### 72", "72")
        {'score': 1.0, 'acc': 1.0, 'unjudged': 0.0, 'reason': ''}
        >>> scorer.close()
        >>> VerlScorer(fallback="none").score("geo3k", "a cat", "cat", {})["reason"]
        "no rlvr route for data_source 'geo3k'"
    """

    def __init__(self, config: VerlConfig | None = None, /, **options: Any) -> None:
        if config is None:
            config = VerlConfig(**options)
        elif options:
            raise TypeError("VerlScorer: pass either a VerlConfig or keyword options, not both")
        self.config = config
        self.math = MathAccuracyReward(
            fallback=config.math_fallback,
            name="math_accuracy",
            executor=ExecutorConfig(max_workers=config.workers, timeout=config.timeout),
        )
        self.code = CodeExecutionReward(
            workers=config.code_workers, program_time_limit=config.program_time_limit, name="code_execution"
        )
        self._threads = PerProcess(self, make=_new_pool, release=_stop_pool)
        self._verl_executor: Executor | None = None  # the verl route's own workers, with verl imported
        self._batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"VerlScorer({self.config!r})"

    @property
    def pool(self) -> concurrent.futures.ThreadPoolExecutor:
        """The threads calls are judged in (this process's own)."""
        return self._threads.get()

    def close(self) -> None:
        """Stop the executor's workers and the code sandbox (they start again on next use)."""
        self.math.close()
        self.code.close()
        if self._verl_executor is not None:
            self._verl_executor.close()

    @property
    def verl_executor(self) -> Executor:
        """Workers for the ``verl`` route: verl's scorers imported when they start, not under a deadline."""
        with self._lock:
            if self._verl_executor is None:
                config = self.config
                self._verl_executor = Executor(
                    ExecutorConfig(max_workers=config.workers, timeout=config.timeout, preload=VERL_PRELOAD)
                )
            return self._verl_executor

    def unjudged(self, count: int, reason: str) -> list[VerlResult]:
        """``count`` results for rows that were not judged, all with ``reason``."""
        return [result_of(Verdict.unjudged(reason), self.config.unjudged_score) for _ in range(count)]

    # -- the three forms verl calls --------------------------------------------------------------------

    def score(
        self, data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None
    ) -> VerlResult:
        """One row (verl's ``compute_score``), within ``deadline`` seconds."""
        return self.score_batch([data_source], [solution_str], [ground_truth], [extra_info])[0]

    def score_batch(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[Any],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any] | None = None,
    ) -> list[VerlResult]:
        """A batch (verl's batch reward manager), within ``deadline`` seconds for the whole batch.

        Raises:
            ValueError: the lists differ in length.
        """
        size = len(solution_strs)
        extra_infos = [None] * size if extra_infos is None else extra_infos
        lengths = {len(data_sources), size, len(ground_truths), len(extra_infos)}
        if len(lengths) != 1:
            raise ValueError(
                f"compute_score_batch: data_sources, solution_strs, ground_truths and extra_infos differ in "
                f"length ({len(data_sources)}, {size}, {len(ground_truths)}, {len(extra_infos)})"
            )
        if not size:
            return []
        budget = self.budget(data_sources, ground_truths, extra_infos)
        work = self.pool.submit(
            self.judge_rows, list(data_sources), list(solution_strs), list(ground_truths), list(extra_infos)
        )
        try:
            return work.result(timeout=budget)
        except concurrent.futures.TimeoutError:
            logger.error("rlvr verl: a batch of %d rows passed its %g s budget", size, budget)
            return self.unjudged(size, f"deadline of {budget:g} s exceeded")

    async def score_async(
        self, data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None
    ) -> VerlResult:
        """One row from a running event loop (verl's reward loop); concurrent calls are judged together."""
        loop = asyncio.get_running_loop()
        with self._lock:
            batcher = self._batchers.get(loop)
            if batcher is None:
                batcher = self._batchers[loop] = _Batcher(self, loop)
        # answered by its batch's results, or as unjudged when the batch passes its budget (see _Batcher)
        return await asyncio.shield(batcher.add((data_source, solution_str, ground_truth, extra_info)))

    # -- judging ---------------------------------------------------------------------------------------

    def budget(
        self, data_sources: Sequence[Any], ground_truths: Sequence[Any], extra_infos: Sequence[Any]
    ) -> float:
        """The wall-clock seconds a call with these rows may take: ``deadline`` plus the worst its rows'
        own deadlines allow (programs over the sandbox's workers, math judgements over the executor's).

        Example:
            >>> scorer = VerlScorer(workers=2, code_workers=2, timeout=5, program_time_limit=10, deadline=60)
            >>> scorer.budget(["gsm8k"] * 4 + ["taco"] * 3, ["1"] * 4 + ["{}"] * 3, [None] * 7)
            90.0
        """
        config = self.config
        routes = [
            self.route(s, t, e) for s, t, e in zip(data_sources, ground_truths, extra_infos, strict=True)
        ]
        code = sum(route == "code" for route in routes)
        judged = sum(route in ("math", "verl") for route in routes)
        code_workers = config.code_workers or usable_cpus()
        workers = config.workers or usable_cpus()
        return float(
            config.deadline
            + math.ceil(code / code_workers) * config.program_time_limit
            + math.ceil(judged / workers) * config.timeout
        )

    def route(self, data_source: Any, ground_truth: Any, extra_info: Any) -> str:
        """The route of one row: the table, else the fallback (``auto``: code when it carries tests).

        Example:
            >>> VerlScorer().route("apps", "{}", None), VerlScorer().route("x", "7", {"tests": "..."})
            ('code', 'code')
        """
        found = route_of(data_source, self.config.routes)
        if found is not None:
            return found
        if self.config.fallback != "auto":
            return self.config.fallback
        info = extra_info if isinstance(extra_info, Mapping) else None
        return "code" if find_tests(ground_truth, info) is not None else "math"

    def judge_rows(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[Any],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any],
    ) -> list[VerlResult]:
        """Judge rows in this thread: every route's rows together, routes side by side. Never raises."""
        size = len(solution_strs)
        try:
            verdicts = self._judge(data_sources, solution_strs, ground_truths, extra_infos)
        except Exception as exc:  # an rlvr fault (workers that cannot start...): unjudged, never a crash
            logger.exception("rlvr verl: judging a batch of %d rows failed", size)
            return self.unjudged(size, f"rlvr error: {describe_exception(exc)}")
        return [result_of(v, self.config.unjudged_score) for v in verdicts]

    def _judge(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[Any],
        ground_truths: Sequence[Any],
        extra_infos: Sequence[Any],
    ) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(solution_strs)
        groups: dict[str, list[int]] = {}
        for index, (source, truth, extra) in enumerate(
            zip(data_sources, ground_truths, extra_infos, strict=True)
        ):
            route = self.route(source, truth, extra)
            if route == "none":
                verdicts[index] = Verdict.unjudged(f"no rlvr route for data_source {source!r}")
            else:
                groups.setdefault(route, []).append(index)
        jobs = {
            "math": self._judge_math,
            "code": self._judge_code,
            "verl": self._judge_verl,
        }
        runs = [(jobs[route], indices) for route, indices in groups.items()]
        args = (solution_strs, ground_truths, extra_infos, data_sources)
        if len(runs) == 1:
            outputs = [runs[0][0](runs[0][1], *args)]
        else:  # routes side by side: math's workers and code's sandbox overlap
            futures = [self.pool.submit(job, indices, *args) for job, indices in runs]
            outputs = [future.result() for future in futures]
        for (_, indices), judged in zip(runs, outputs, strict=True):
            for index, verdict in zip(indices, judged, strict=True):
                verdicts[index] = verdict
        return verdicts  # type: ignore[return-value]

    def _judge_math(
        self,
        indices: list[int],
        solutions: Sequence[Any],
        truths: Sequence[Any],
        extras: Sequence[Any],
        sources: Sequence[Any],
    ) -> list[Verdict]:
        golds = [plain_gold(truths[i]) for i in indices]
        return self.math.judge(None, [solutions[i] for i in indices], answer=golds)

    def _judge_code(
        self,
        indices: list[int],
        solutions: Sequence[Any],
        truths: Sequence[Any],
        extras: Sequence[Any],
        sources: Sequence[Any],
    ) -> list[Verdict]:
        verdicts: list[Verdict | None] = [None] * len(indices)
        runnable: list[int] = []
        infos: list[object] = []  # in the dataset's own shape: the code reward reads any it knows
        for slot, index in enumerate(indices):
            extra = extras[index] if isinstance(extras[index], Mapping) else None
            raw = find_tests(truths[index], extra)
            if raw is None:
                verdicts[slot] = Verdict.unjudged("no tests in extra_info or ground_truth")
                continue
            infos.append(raw)
            runnable.append(slot)
        if runnable:
            judged = self.code.judge(
                None, [solutions[indices[slot]] for slot in runnable], verification_info=infos
            )
            for slot, verdict in zip(runnable, judged, strict=True):
                verdicts[slot] = verdict
        return verdicts  # type: ignore[return-value]

    def _judge_verl(
        self,
        indices: list[int],
        solutions: Sequence[Any],
        truths: Sequence[Any],
        extras: Sequence[Any],
        sources: Sequence[Any],
    ) -> list[Verdict]:
        if importlib.util.find_spec("verl") is None:
            return [Verdict.unjudged("the verl route needs verl installed") for _ in indices]
        items = [(sources[i], solutions[i], truths[i], extras[i]) for i in indices]
        outcomes = self.verl_executor.map(verl_default_score, items, timeout=self.config.timeout)
        return [
            Verdict(outcome.value) if outcome.ok else Verdict.unjudged(f"verl's scorer: {outcome.reason}")
            for outcome in outcomes
        ]
