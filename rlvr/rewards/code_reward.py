"""``code_execution``: the fraction of test cases a completion's Python program passes, run in a sandbox.

Column ``verification_info`` (a dict or its JSON text; another column with ``info_column``)::

    {"language": "python", "entry_point": "f", "cases": [...], "time_limit": 2.0, "memory_limit_mb": 512}

With ``entry_point`` the cases are function calls ``{"args": [...], "kwargs": {...}, "expected": ...}``,
compared type-strictly outside the sandbox; without it they are ``{"stdin": ..., "stdout": ...}`` runs,
compared line by line. The program is the completion's last ```python block, or the whole completion.

Scores: passed cases / cases (``all_or_nothing=True``: 1.0 or 0.0), under the verdict rule of
:mod:`rlvr.verifiers.code.judge` (every case runs under its own time limit while the program's budget
lasts; the same score for any worker count, order or batch). ``None`` (with the reason) when the item
cannot be judged: malformed ``verification_info``, a sandbox failure, a judge error — never a pass. Every
program runs in :class:`~rlvr.sandbox.Sandbox` (namespaces, read-only root, seccomp, rlimits, cgroups; see
there), started on first use and owned by the reward; :meth:`CodeExecutionReward.close` stops it. The
reward's sandbox has its own settings (``workers``, ``program_time_limit``, ...); the executor's are not
used. Identical (program, task) pairs in a batch run once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Literal

from rlvr.executor.cache import LRUCache
from rlvr.executor.config import resolve_backend
from rlvr.processes import describe_exception
from rlvr.rewards.base import Item, Reward
from rlvr.verifiers.verdict import Verdict

logger = logging.getLogger("rlvr.rewards")


@dataclass(frozen=True)
class CodeExecutionConfig:
    """Options of ``code_execution``.

    Attributes:
        info_column: the dataset column holding ``verification_info``.
        all_or_nothing: 1.0 only when every case passes, else 0.0 (default: the fraction passed).
        default_time_limit: seconds per case when ``verification_info`` has no ``time_limit``.
        max_time_limit: the largest per-case limit a dataset may ask for (larger ones are cut to it).
        default_memory_limit_mb: memory per program when ``verification_info`` has none.
        max_memory_limit_mb: the largest memory a dataset may ask for.
        program_time_limit: wall-clock seconds all of one program's cases may take together; with
            ``workers`` it bounds a batch: about ``ceil(programs / workers) * program_time_limit``
            (``rlvr score code --timeout S`` sets it).
        workers: programs run at once (the CPU budget); default one per usable CPU
            (``rlvr score code --workers N`` sets it).
        max_processes: processes and threads per program (pids cgroup, else ``RLIMIT_NPROC``).
        unsafe: run WITHOUT isolation — for trusted code only; logs a warning on every batch.
        python: absolute path of the interpreter that runs the programs (default: this one's real path).
        ro_paths: extra read-only paths for the programs, separated by ``:`` (e.g. a site-packages).
        network_per_sample: a new network namespace for every program, not one per sandbox cell (see
            :class:`rlvr.sandbox.SandboxConfig`).
        seccomp: the seccomp filter in every program's process (see :mod:`rlvr.sandbox.seccomp`).
        compile_time_limit: seconds to compile one C++ program (inside the sandbox); past it, CE.
        compile_memory_mb: memory to compile one C++ program; past it, CE.
        cache_size: verdicts remembered across calls (an identical program on an identical task is judged
            once: an infinite loop costs its full time only the first time); 0 disables. Compiled C++
            programs are remembered likewise.
        backend: ``"local"`` (this machine's sandbox) or ``"ray"`` (the sandboxes of a Ray cluster's
            nodes, one program at a time per actor; ``workers`` then caps the actors). ``None``: ``"ray"``
            when ``ray_address`` is given or ``RLVR_RAY_ADDRESS`` is set (read at each batch), else local.
        ray_address: on Ray, the cluster's ``HOST:PORT``, ``"auto"``, or ``"local"`` / ``None`` to start
            a local one (``rlvr score code --ray ADDRESS`` sets it); see :mod:`rlvr.rewards.code_remote`.

    Example:
        >>> CodeExecutionConfig(all_or_nothing=True).all_or_nothing
        True
        >>> CodeExecutionConfig(default_time_limit=0)
        Traceback (most recent call last):
        ...
        ValueError: default_time_limit must be a number > 0, got 0
    """

    info_column: str = "verification_info"
    all_or_nothing: bool = False
    default_time_limit: float = 2.0
    max_time_limit: float = 10.0
    default_memory_limit_mb: int = 512
    max_memory_limit_mb: int = 4096
    program_time_limit: float = 10.0
    workers: int | None = None
    max_processes: int = 32
    unsafe: bool = False
    python: str = ""
    ro_paths: str = ""
    network_per_sample: bool = False
    seccomp: bool = True
    compile_time_limit: float = 30.0
    compile_memory_mb: int = 2048
    cache_size: int = 4096
    backend: Literal["local", "ray"] | None = None
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.info_column, str) or not self.info_column:
            raise ValueError(f"info_column must be a column name, got {self.info_column!r}")
        for name in ("default_time_limit", "max_time_limit", "program_time_limit", "compile_time_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
                raise ValueError(f"{name} must be a number > 0, got {value!r}")
        if isinstance(self.cache_size, bool) or not isinstance(self.cache_size, int) or self.cache_size < 0:
            raise ValueError(f"cache_size must be an int >= 0, got {self.cache_size!r}")
        for name in ("default_memory_limit_mb", "max_memory_limit_mb", "max_processes", "compile_memory_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if self.workers is not None and (
            isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1
        ):
            raise ValueError(f"workers must be an int >= 1, got {self.workers!r}")
        if self.python and not self.python.startswith("/"):
            raise ValueError(f"python must be an absolute path, got {self.python!r}")
        resolve_backend(self.backend, self.ray_address, "CodeExecutionConfig", environ={})  # checks them


class CodeExecutionReward(Reward[CodeExecutionConfig]):
    """Fraction of test cases passed by the completion's program, run in an isolated sandbox.

    Example:
        >>> reward = CodeExecutionReward()
        >>> cases = [{"args": [1, 2], "expected": 3}, {"args": [0, 0], "expected": 0}]
        >>> info = {"entry_point": "add", "cases": cases}
        >>> good, half = "```python\\ndef add(a, b):\\n    return a + b\\n```", "def add(a, b): return 3"
        >>> reward(completions=[good, half], verification_info=[info, info])
        [1.0, 0.5]
        >>> reward.close()
    """

    default_name: ClassVar[str] = "code_execution"
    config_class: ClassVar[type[Any]] = CodeExecutionConfig
    command_line_options: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"workers": "workers", "timeout": "program_time_limit", "ray": "ray_address"}
    )

    def __init__(self, config: CodeExecutionConfig | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._sandbox: Any = None
        self._verdicts: LRUCache[Verdict] = LRUCache(self.config.cache_size)
        self._builds: Any = None  # compiled C++ programs (rlvr.sandbox.programs.Builds), made on first use
        self._remote: Any = None  # rlvr.rewards.code_remote.RemotePrograms, on the Ray backend

    @property
    def required_columns(self) -> tuple[str, ...]:  # type: ignore[override]
        return (self.config.info_column,)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_sandbox"] = None  # a copy starts its own fork server on first use
        state["_executor"] = None
        state["_builds"] = None
        state["_remote"] = None
        return state

    @property
    def sandbox(self) -> Any:
        """The reward's :class:`~rlvr.sandbox.Sandbox` (its fork server starts when used)."""
        if self._sandbox is None:
            with self._start_lock:
                if self._sandbox is None:
                    self._sandbox = self._new_sandbox()
        return self._sandbox

    def sandbox_config(self) -> Any:
        """The :class:`~rlvr.sandbox.SandboxConfig` this reward's sandbox runs with (from its own options).

        Example:
            >>> CodeExecutionReward(workers=3).sandbox_config().workers
            3
        """
        from rlvr.sandbox import SandboxConfig

        config = self.config
        return SandboxConfig(
            workers=config.workers,
            max_processes=config.max_processes,
            unsafe=config.unsafe,
            python=config.python or None,
            ro_paths=tuple(p for p in config.ro_paths.split(":") if p),
            network_per_sample=config.network_per_sample,
            seccomp=config.seccomp,
        )

    def _new_sandbox(self) -> Any:
        from rlvr.sandbox import Sandbox

        return Sandbox(self.sandbox_config())

    def close(self) -> None:
        """Stop the sandbox's fork server (it starts again on next use); on Ray, let go of the actors."""
        if self._sandbox is not None:
            self._sandbox.close()
        if self._remote is not None:
            self._remote.close()
        super().close()

    def remote(self) -> Any:
        """On the Ray backend, the reward's :class:`~rlvr.rewards.code_remote.RemotePrograms`; else None.

        Example:
            >>> CodeExecutionReward().remote() is None
            True
            >>> reward = CodeExecutionReward(ray_address="127.0.0.1:6379")
            >>> reward.remote().address, reward.ray_stats().items  # no connection made yet
            ('127.0.0.1:6379', 0)
        """
        backend, address = resolve_backend(
            self.config.backend, self.config.ray_address, "CodeExecutionConfig"
        )
        if backend != "ray":
            return None
        with self._start_lock:
            if self._remote is None:
                from rlvr.rewards.code_remote import RemotePrograms

                start_timeout = self.sandbox_config().start_timeout
                self._remote = RemotePrograms(address, self.config.workers, start_timeout)
            return self._remote

    def ray_stats(self) -> Any:
        """What went to a Ray cluster so far (programs on the Ray backend), or None (see :meth:`remote`)."""
        stats = super().ray_stats()
        if self._remote is not None:
            stats = self._remote.stats if stats is None else stats + self._remote.stats
        return stats

    def _judge_programs(self, work: list[tuple[str, Any]], limits: Any) -> list[Verdict]:
        from rlvr.sandbox.programs import Builds, judge_programs

        config = self.config
        remote = self.remote()
        if remote is not None:
            from rlvr.sandbox.remote import ProgramChunk

            template = ProgramChunk(
                dataclasses.replace(self.sandbox_config(), workers=1),
                (),
                all_or_nothing=config.all_or_nothing,
                program_time_limit=config.program_time_limit,
                limits=limits,
                builds_size=max(1, min(config.cache_size, 256)),
            )
            return remote.judge(template, work)
        if self._builds is None:
            self._builds = Builds(size=max(1, min(config.cache_size, 256)))
        return [
            r.verdict
            for r in judge_programs(
                self.sandbox,
                work,
                all_or_nothing=config.all_or_nothing,
                program_time_limit=config.program_time_limit,
                limits=limits,
                builds=self._builds,
            )
        ]

    def _task(self, raw: Any) -> Any:
        from rlvr.verifiers.code.cases import CodeTask, parse_task

        config = self.config
        task: CodeTask = parse_task(
            raw,
            default_time_limit=config.default_time_limit,
            default_memory_limit_mb=config.default_memory_limit_mb,
        )
        return dataclasses.replace(
            task,
            time_limit=min(task.time_limit, config.max_time_limit),
            memory_limit_mb=min(task.memory_limit_mb, config.max_memory_limit_mb),
        )

    def _verdict_key(self, program: str, info: str) -> str:
        """What identifies a judgement: the program, the task and every option that changes the verdict."""
        options = (self.config.all_or_nothing, self.config.program_time_limit, self.config.max_time_limit)
        text = f"{options!r}\0{program}\0{info}"
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        from rlvr.sandbox.client import SandboxUnavailableError
        from rlvr.sandbox.programs import BuildLimits
        from rlvr.verifiers.code.cases import InvalidTaskError
        from rlvr.verifiers.code.program import extract_program

        verdicts: list[Verdict | None] = [None] * len(items)
        unique: dict[str, int] = {}
        work: list[tuple[str, Any]] = []
        keys: list[str] = []
        where: list[int] = []  # per item: its index in `work`, or -1
        tasks: dict[str, Any] = {}  # a task read once per distinct verification_info in the batch
        for index, item in enumerate(items):
            raw = item.row.get(self.config.info_column)
            info = raw if isinstance(raw, str) else json.dumps(raw, sort_keys=True, default=repr)
            try:
                if info not in tasks:
                    tasks[info] = self._task(raw)
                task = tasks[info]
            except InvalidTaskError as exc:
                verdicts[index] = Verdict.unjudged(f"invalid verification_info: {exc}")
                where.append(-1)
                continue
            program = extract_program(item.completion.text, task.language)
            key = self._verdict_key(program, info)
            cached = self._verdicts.get(key)
            if cached is not None:
                verdicts[index] = cached
                where.append(-1)
                continue
            if key not in unique:
                unique[key] = len(work)
                work.append((program, task))
                keys.append(key)
            where.append(unique[key])
        if work:
            config = self.config
            limits = BuildLimits(
                compile_time_limit=config.compile_time_limit, compile_memory_mb=config.compile_memory_mb
            )
            try:
                results = self._judge_programs(work, limits)
            except SandboxUnavailableError as exc:
                logger.error(
                    "%s: the code sandbox is unavailable, every item is unjudged: %s", self.__name__, exc
                )
                results = [Verdict.unjudged(f"sandbox unavailable: {exc}")] * len(work)
            except Exception as exc:  # a fault of the sandbox itself: unjudged, never a crash of the trainer
                logger.exception("%s: the code sandbox failed; the batch is unjudged", self.__name__)
                results = [Verdict.unjudged(f"sandbox error: {describe_exception(exc, 300)}")] * len(work)
            for key, verdict in zip(keys, results, strict=True):
                if verdict.score is not None:  # a failure of the sandbox is tried again next time
                    self._verdicts.put(key, verdict)
            for index, slot in enumerate(where):
                if slot >= 0:
                    verdicts[index] = results[slot]
        return verdicts  # type: ignore[return-value]


code_execution = CodeExecutionReward()
