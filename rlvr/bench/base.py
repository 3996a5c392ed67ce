"""What every benchmark shares: config checks that name the flag, median timing, the report's text and JSON.

- **config checks** (:func:`check_counts`, :func:`check_at_most`, :func:`check_count_list`,
  :func:`check_seconds`, :func:`check_choice`): a bad value raises ``ValueError`` naming the
  command-line flag the user typed (``--items must be an integer >= 1, got 0``); a field with no flag of
  its own is given its name in ``flags``;
- **timing** (:func:`stopwatch`, :func:`timed`, :func:`wall_and_cpu`, :func:`median_seconds`,
  :func:`alternate`): one side
  ``repeats`` times, or several sides (rlvr and its peer) in turn in the same run, round after round, so
  that the machine's other load falls on all of them alike; medians are reported;
- **the report** (:class:`BenchReport`, :func:`headline`, :func:`machine_description`, :func:`today`):
  ``to_json()`` from the dataclass fields and the derived figures, and the first line every report prints
  — the command, the machine (architecture, CPU model, usable CPUs, Python), the date.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Sizes:
    ...     items: int = 10
    ...     def __post_init__(self) -> None:
    ...         check_counts(self, {"items": 1})
    >>> Sizes(items=0)
    Traceback (most recent call last):
    ...
    ValueError: --items must be an integer >= 1, got 0
    >>> sides = alternate({"rlvr": timed(lambda: sum(range(10))), "peer": timed(lambda: None)}, repeats=3)
    >>> [len(seconds) for seconds in sides.values()]
    [3, 3]
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from rlvr.processes import usable_cpus

T = TypeVar("T")
Clock = Callable[[], float]

# -- config checks ---------------------------------------------------------------------------------------


def flag_of(name: str, flags: Mapping[str, str] | None = None) -> str:
    """The command-line flag of a config field: ``flags[name]`` when given, else ``--`` and the name with
    dashes.

    Example:
        >>> flag_of("score_lines"), flag_of("problems", {"problems": "--items"})
        ('--score-lines', '--items')
    """
    if flags is not None and name in flags:
        return flags[name]
    return "--" + name.replace("_", "-")


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_counts(
    config: object,
    minimums: Mapping[str, int],
    *,
    optional: Collection[str] = (),
    flags: Mapping[str, str] | None = None,
) -> None:
    """Each named field of ``config`` must be an integer ``>=`` its minimum; a field named in ``optional``
    may also be ``None`` (``--workers``: one per usable CPU).

    Example:
        >>> from types import SimpleNamespace
        >>> sizes = SimpleNamespace(workers=None, repeats=3)
        >>> check_counts(sizes, {"workers": 1, "repeats": 1}, optional=["workers"])
        >>> check_counts(SimpleNamespace(repeats=1.5), {"repeats": 1})
        Traceback (most recent call last):
        ...
        ValueError: --repeats must be an integer >= 1, got 1.5
    """
    for name, minimum in minimums.items():
        value = getattr(config, name)
        if value is None and name in optional:
            continue
        if not _is_integer(value) or value < minimum:
            raise ValueError(f"{flag_of(name, flags)} must be an integer >= {minimum}, got {value!r}")


def check_at_most(
    config: object, maximums: Mapping[str, int], *, flags: Mapping[str, str] | None = None
) -> None:
    """Each named field of ``config`` (already checked to be an integer) must be ``<=`` its maximum.

    Example:
        >>> from types import SimpleNamespace
        >>> check_at_most(SimpleNamespace(samples=2000), {"samples": 1024})
        Traceback (most recent call last):
        ...
        ValueError: --samples must be an integer <= 1024, got 2000
    """
    for name, maximum in maximums.items():
        value = getattr(config, name)
        if value > maximum:
            raise ValueError(f"{flag_of(name, flags)} must be an integer <= {maximum}, got {value!r}")


def check_count_list(
    config: object,
    name: str,
    minimum: int,
    *,
    optional: bool = False,
    flags: Mapping[str, str] | None = None,
) -> None:
    """The field ``name`` must be a non-empty tuple of integers ``>= minimum`` (``None`` too if ``optional``).

    Example:
        >>> from types import SimpleNamespace
        >>> check_count_list(SimpleNamespace(chunk_sizes=(16, 0)), "chunk_sizes", 1)
        Traceback (most recent call last):
        ...
        ValueError: --chunk-sizes must be integers >= 1, got (16, 0)
    """
    value = getattr(config, name)
    if value is None and optional:
        return
    if not isinstance(value, tuple) or not value or not all(_is_integer(v) and v >= minimum for v in value):
        raise ValueError(f"{flag_of(name, flags)} must be integers >= {minimum}, got {value!r}")


def check_seconds(config: object, names: Sequence[str], *, flags: Mapping[str, str] | None = None) -> None:
    """Each named field of ``config`` must be a finite number of seconds ``> 0``.

    Example:
        >>> from types import SimpleNamespace
        >>> check_seconds(SimpleNamespace(peer_timeout=-1.0), ["peer_timeout"])
        Traceback (most recent call last):
        ...
        ValueError: --peer-timeout must be a number of seconds > 0, got -1.0
    """
    for name in names:
        value = getattr(config, name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{flag_of(name, flags)} must be a number of seconds > 0, got {value!r}")


def check_choice(
    config: object,
    name: str,
    choices: Collection[str],
    *,
    optional: bool = False,
    flags: Mapping[str, str] | None = None,
) -> None:
    """The field ``name`` must be one of ``choices`` (or ``None`` when ``optional``).

    Example:
        >>> from types import SimpleNamespace
        >>> check_choice(SimpleNamespace(device="tpu"), "device", ("cpu", "cuda"))
        Traceback (most recent call last):
        ...
        ValueError: --device must be one of 'cpu', 'cuda', got 'tpu'
    """
    value = getattr(config, name)
    if (value is None and optional) or value in choices:
        return
    listed = ", ".join(repr(choice) for choice in choices)
    raise ValueError(f"{flag_of(name, flags)} must be one of {listed}, got {value!r}")


def worker_count(workers: int | None) -> int:
    """The workers a run uses: ``workers``, or one per usable CPU when it is ``None``.

    Example:
        >>> worker_count(3), worker_count(None) >= 1
        (3, True)
    """
    return workers or usable_cpus()


# -- timing ----------------------------------------------------------------------------------------------


def stopwatch(run: Callable[[], T], clock: Clock = time.perf_counter) -> tuple[float, T]:
    """``(seconds, result)`` of one call of ``run``, by ``clock`` (wall time unless given another).

    Example:
        >>> seconds, result = stopwatch(lambda: 6 * 7)
        >>> seconds >= 0, result
        (True, 42)
    """
    start = clock()
    result = run()
    return clock() - start, result


def timed(run: Callable[[], object], clock: Clock = time.perf_counter) -> Callable[[], float]:
    """``run`` as a call that returns its own duration (for :func:`alternate`).

    Example:
        >>> timed(lambda: None)() >= 0
        True
    """
    return lambda: stopwatch(run, clock)[0]


def wall_and_cpu(run: Callable[[], object]) -> tuple[float, float]:
    """``(wall seconds, CPU seconds of this process)`` of one call of ``run`` (CPU time is steadier than wall
    time on a shared machine).

    Example:
        >>> wall, cpu = wall_and_cpu(lambda: sum(range(1000)))
        >>> wall >= 0 and cpu >= 0
        True
    """
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start_wall, time.process_time() - start_cpu


def median_seconds(
    run: Callable[[], object], repeats: int, clock: Clock = time.perf_counter
) -> tuple[float, list[float]]:
    """Call ``run`` ``repeats`` times: the median seconds and every run's seconds (by ``clock``).

    Example:
        >>> median, samples = median_seconds(lambda: sum(range(100)), 3)
        >>> len(samples), median in samples
        (3, True)
    """
    samples = [stopwatch(run, clock)[0] for _ in range(repeats)]
    return statistics.median(samples), samples


def alternate(
    sides: Mapping[str, Callable[[], T]],
    repeats: int,
    *,
    warmup: int = 0,
    before: Callable[[int, str], object] | None = None,
) -> dict[str, list[T]]:
    """Call every side in turn, ``warmup + repeats`` rounds, in the same run (drifts in the machine's load
    hit every side alike); per side, the results of the rounds after the warm-up, in order.

    ``before(round, side)``, when given, is called before each call (progress lines, emptying a cache).
    Sides that should be timed are wrapped in :func:`timed`, or time themselves and return what they
    measured.

    Example:
        >>> calls = []
        >>> sides = {"rlvr": lambda: calls.append("rlvr") or 1, "peer": lambda: calls.append("peer") or 2}
        >>> alternate(sides, repeats=2, warmup=1)
        {'rlvr': [1, 1], 'peer': [2, 2]}
        >>> calls
        ['rlvr', 'peer', 'rlvr', 'peer', 'rlvr', 'peer']
    """
    kept: dict[str, list[T]] = {name: [] for name in sides}
    for round_number in range(warmup + repeats):
        for name, run in sides.items():
            if before is not None:
                before(round_number, name)
            result = run()
            if round_number >= warmup:
                kept[name].append(result)
    return kept


def medians(samples: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """The median of every list of samples.

    Example:
        >>> medians({"rlvr": [1.0, 3.0, 2.0], "peer": [4.0]})
        {'rlvr': 2.0, 'peer': 4.0}
    """
    return {name: statistics.median(values) for name, values in samples.items()}


# -- the report ------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("" where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return " ".join(value.split())
    except OSError:
        pass
    return ""


def machine_description() -> str:
    """The machine a report was measured on: architecture (CPU model), usable CPUs, Python version.

    Example:
        >>> text = machine_description()
        >>> "usable CPUs, Python 3." in text
        True
    """
    model = _cpu_model()
    architecture = platform.machine() + (f" ({model})" if model else "")
    return f"{architecture}, {usable_cpus()} usable CPUs, Python {platform.python_version()}"


def today() -> str:
    """Today's date, ``YYYY-MM-DD`` (the date of a report).

    Example:
        >>> len(today()), today()[4]
        (10, '-')
    """
    return time.strftime("%Y-%m-%d")


def load_average() -> float:
    """The machine's one-minute load average (other work on the machine slows every side).

    Example:
        >>> load_average() >= 0
        True
    """
    return os.getloadavg()[0]


def headline(command: str, machine: str, date: str, details: str) -> str:
    """The first line of every report: the command, the machine, the date, then what was measured.

    Example:
        >>> headline("rlvr bench executor", "x86_64, 2 usable CPUs", "2026-01-01", "medians of 5 runs")
        '`rlvr bench executor` — x86_64, 2 usable CPUs, 2026-01-01; medians of 5 runs'
    """
    return f"`{command}` — {machine}, {date}; {details}"


class BenchReport:
    """The base of every report dataclass: ``to_json()`` writes the fields (``dataclasses.asdict``) and the
    derived figures (properties) named in ``derived``; subclasses write ``markdown()``.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass
        ... class Report(BenchReport):
        ...     rlvr_s: float
        ...     peer_s: float
        ...     derived = ("ratio",)
        ...     @property
        ...     def ratio(self) -> float:
        ...         return self.peer_s / self.rlvr_s
        >>> json.loads(Report(1.0, 4.0).to_json())
        {'rlvr_s': 1.0, 'peer_s': 4.0, 'ratio': 4.0}
    """

    derived: ClassVar[tuple[str, ...]] = ()

    def markdown(self) -> str:
        """The report as Markdown (what ``rlvr bench`` prints)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The fields and the derived figures, as plain data (what ``to_json()`` writes)."""
        if not dataclasses.is_dataclass(self):
            raise TypeError(f"{type(self).__name__} must be a dataclass")
        data = dataclasses.asdict(self)
        data.update({name: getattr(self, name) for name in self.derived})
        return data

    def to_json(self) -> str:
        """The raw figures as JSON (``rlvr bench TARGET --json FILE``)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
