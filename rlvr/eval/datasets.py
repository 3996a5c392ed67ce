"""The math benchmarks ``rlvr eval`` knows: a registry, the bundled reference sets, a Hugging Face loader.

Six benchmarks, each bundled (gzip-compressed JSONL in ``rlvr/eval/data``, provenance and licences
in ``data/PROVENANCE.md``) and each also loadable from the Hugging Face Hub with ``datasets`` installed:

========  =======  ==================================================  ===========================
name      items    Hugging Face dataset (config, split)                 gold answer read from
========  =======  ==================================================  ===========================
gsm8k     1,319    ``openai/gsm8k`` (``main``, ``test``)               ``answer`` (after ``####``)
math      5,000    ``EleutherAI/hendrycks_math`` (7 subject configs,   ``solution`` (last
                   ``test``, concatenated in alphabetical order)        ``\\boxed{}``)
math500   500      ``HuggingFaceH4/MATH-500`` (``test``)                ``answer``
aime24    30       ``HuggingFaceH4/aime_2024`` (``train``)              ``answer``
aime25    30       ``opencompass/AIME2025`` (``AIME2025-I`` then        ``answer``
                   ``AIME2025-II``, ``test``)
amc23     40       ``math-ai/amc23`` (``test``)                         ``answer`` (a float: ``27.0``)
========  =======  ==================================================  ===========================

Field mapping (first column present wins): question ``problem`` | ``question``; subject ``subject`` |
``type``; level ``level`` (an int, or ``"Level 3"``); id ``unique_id`` (MATH-500), else ``id`` when it
is a string, else an id built like the bundled one (``gsm8k-test-{i}``, ``math-test-{i}``,
``aime-2024-I-1`` from the AoPS ``url``, ``aime-2025-II-{n}`` from the config, ``amc23-{i}``).

The bundled files and the Hub copies hold the same problems, but not always in the same order: the
bundled MATH follows math-evaluation-harness while the Hub's goes subject by subject, and the bundled AIME
2024 and AMC 2023 follow Qwen2.5-Math's files. Ids taken from the data (MATH-500's ``unique_id``, AIME
2024's url, AIME 2025's contest and number) name the same problem in both sources; positional ids and
``idx`` (``math-test-{i}``, ``amc23-{i}``) do only where the orders agree, so score predictions against
the source they were generated from. The Hub copies are whatever the Hub serves: pass ``revision`` to
pin one.

Example:
    >>> bench = load_benchmark("aime25")
    >>> len(bench), bench[0].id, bench[0].answer
    (30, 'aime-2025-I-1', '70')
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from rlvr.verifiers.math.extract import Fallback
from rlvr.verifiers.math.judge import gold_answer

Source = Literal["bundled", "hf"]
SOURCES: tuple[str, ...] = ("bundled", "hf")


@dataclass(frozen=True, slots=True)
class Problem:
    """One benchmark problem.

    Attributes:
        id: its id (stable across runs; predictions may name it).
        index: its 0-based position in the benchmark (predictions may give it as ``idx``).
        question: the problem statement.
        answer: the gold answer (a bare answer string: ``72``, ``\\frac{1}{2}``).
        solution: the reference solution, when the source has one.
        subject: MATH subject (``Algebra``, ...), when the source has one.
        level: MATH difficulty 1-5, when the source has one.

    Example:
        >>> Problem("p0", 0, "1+1?", "2").answer
        '2'
    """

    id: str
    index: int
    question: str
    answer: str
    solution: str | None = None
    subject: str | None = None
    level: int | None = None


@dataclass(frozen=True)
class HubSource:
    """Where a benchmark lives on the Hugging Face Hub and which column holds the gold answer.

    Attributes:
        path: the dataset repository.
        configs: the configs to load and concatenate, in order (``(None,)`` for the default one).
        split: the split.
        answer_column: the column the gold answer is read from (with :func:`gold_answer`: a ``#### N``
            solution or a ``\\boxed{}`` solution work too).

    Example:
        >>> HubSource("openai/gsm8k", ("main",), "test").path
        'openai/gsm8k'
    """

    path: str
    configs: tuple[str | None, ...] = (None,)
    split: str = "test"
    answer_column: str = "answer"

    def __post_init__(self) -> None:
        if not self.path or "/" not in self.path:
            raise ValueError(f"a Hub dataset path is owner/name, got {self.path!r}")
        if not self.configs:
            raise ValueError("configs must name at least one config (None for the default)")


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark.

    Attributes:
        name: the name ``rlvr eval`` takes.
        title: its name for people.
        file: the bundled gzip-compressed JSONL file in ``rlvr/eval/data``.
        size: the number of problems.
        hub: its Hugging Face source.
        id_prefix: prefix of positional ids built for Hub rows without an id.
        fallback: the extraction fallback it is graded with (``last_number`` for GSM8K, whose
            reference answers are plain numbers and whose models often end with a bare number).

    Example:
        >>> BENCHMARKS["gsm8k"].fallback
        'last_number'
    """

    name: str
    title: str
    file: str
    size: int
    hub: HubSource
    id_prefix: str
    fallback: Fallback = "none"

    def __post_init__(self) -> None:
        if not self.file.endswith(".jsonl.gz"):
            raise ValueError(f"bundled files are .jsonl.gz, got {self.file!r}")
        if self.size < 1:
            raise ValueError(f"size must be >= 1, got {self.size}")


_MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)

BENCHMARKS: Mapping[str, BenchmarkSpec] = MappingProxyType(
    {
        "gsm8k": BenchmarkSpec(
            "gsm8k",
            "GSM8K (test)",
            "gsm8k_test.jsonl.gz",
            1319,
            HubSource("openai/gsm8k", ("main",), "test"),
            "gsm8k-test-",
            fallback="last_number",
        ),
        "math": BenchmarkSpec(
            "math",
            "MATH (test, 5,000)",
            "math_test.jsonl.gz",
            5000,
            HubSource("EleutherAI/hendrycks_math", _MATH_SUBJECTS, "test", answer_column="solution"),
            "math-test-",
        ),
        "math500": BenchmarkSpec(
            "math500",
            "MATH-500",
            "math500_test.jsonl.gz",
            500,
            HubSource("HuggingFaceH4/MATH-500", (None,), "test"),
            "math500-",
        ),
        "aime24": BenchmarkSpec(
            "aime24",
            "AIME 2024",
            "aime2024.jsonl.gz",
            30,
            HubSource("HuggingFaceH4/aime_2024", (None,), "train"),
            "aime-2024-",
        ),
        "aime25": BenchmarkSpec(
            "aime25",
            "AIME 2025",
            "aime2025.jsonl.gz",
            30,
            HubSource("opencompass/AIME2025", ("AIME2025-I", "AIME2025-II"), "test"),
            "aime-2025-",
        ),
        "amc23": BenchmarkSpec(
            "amc23",
            "AMC 2023",
            "amc2023.jsonl.gz",
            40,
            HubSource("math-ai/amc23", (None,), "test"),
            "amc23-",
        ),
    }
)

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "math-500": "math500",
        "math_500": "math500",
        "aime2024": "aime24",
        "aime_2024": "aime24",
        "aime2025": "aime25",
        "aime_2025": "aime25",
        "amc2023": "amc23",
        "amc_2023": "amc23",
        "gsm8k_test": "gsm8k",
        "math_test": "math",
    }
)


def get_benchmark_spec(name: str) -> BenchmarkSpec:
    """The spec of a benchmark by name (case-insensitive; ``aime2024`` and the like work too).

    Raises:
        KeyError: an unknown name; the message lists the known ones.

    Example:
        >>> get_benchmark_spec("AIME2024").name
        'aime24'
    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BENCHMARKS:
        raise KeyError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    return BENCHMARKS[key]


@dataclass(frozen=True)
class Benchmark:
    """A loaded benchmark: its spec, where it came from, and its problems in order.

    Example:
        >>> bench = load_benchmark("amc23")
        >>> bench.spec.title, bench.source, bench.index_of("amc23-1")
        ('AMC 2023', 'bundled', 1)
    """

    spec: BenchmarkSpec
    problems: tuple[Problem, ...]
    source: str = "bundled"
    _by_id: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, int] = {}
        for position, problem in enumerate(self.problems):
            if problem.index != position:
                raise ValueError(f"problem {problem.id!r} has index {problem.index}, expected {position}")
            if problem.id in by_id:
                raise ValueError(f"duplicate problem id {problem.id!r} in {self.spec.name}")
            by_id[problem.id] = position
        object.__setattr__(self, "_by_id", MappingProxyType(by_id))

    @property
    def name(self) -> str:
        return self.spec.name

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def __getitem__(self, index: int) -> Problem:
        return self.problems[index]

    def index_of(self, problem_id: str) -> int | None:
        """The position of the problem with this id, or ``None`` when there is none."""
        return self._by_id.get(problem_id)

    def subset(self, count: int) -> Benchmark:
        """The first ``count`` problems, as a benchmark of its own (for quick checks).

        Example:
            >>> len(load_benchmark("gsm8k").subset(3))
            3
        """
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        return Benchmark(self.spec, self.problems[:count], self.source)


# -- turning records into problems -----------------------------------------------------------------


def _first(record: Mapping[str, Any], *columns: str) -> Any:
    for column in columns:
        value = record.get(column)
        if value is not None and value != "":
            return value
    return None


_LEVEL = re.compile(r"\d+")
_GROUPED_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_AIME_URL = re.compile(r"(\d{4})_AIME_(I{1,2})_Problems/Problem_(\d+)")


def parse_level(value: object) -> int | None:
    """A MATH level as an int: ``3`` and ``"Level 3"`` give 3; ``"Level ?"`` and ``None`` give ``None``.

    Example:
        >>> parse_level("Level 5"), parse_level(2), parse_level("Level ?")
        (5, 2, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    match = _LEVEL.search(str(value))
    return int(match.group()) if match else None


def _problem_id(
    spec: BenchmarkSpec, record: Mapping[str, Any], index: int, config: str | None, position: int
) -> str:
    unique = record.get("unique_id")
    if isinstance(unique, str) and unique:
        return unique
    given = record.get("id")
    if isinstance(given, str) and given:
        return given
    url = record.get("url")
    if isinstance(url, str):
        match = _AIME_URL.search(url)
        if match:
            year, part, number = match.groups()
            return f"aime-{year}-{part}-{int(number)}"
    if config is not None and spec.name == "aime25":  # AIME2025-I / AIME2025-II: numbered per contest
        part = config.rsplit("-", 1)[-1]
        return f"{spec.id_prefix}{part}-{position + 1}"
    return f"{spec.id_prefix}{index}"


def problem_from_record(
    spec: BenchmarkSpec,
    record: Mapping[str, Any],
    index: int,
    *,
    answer_column: str = "answer",
    position_in_config: int | None = None,
    config: str | None = None,
) -> Problem:
    """Map one record (bundled or from the Hub) to a :class:`Problem` (see the module docstring).

    Raises:
        ValueError: the record has no question or no gold answer.

    Example:
        >>> spec = BENCHMARKS["gsm8k"]
        >>> problem_from_record(spec, {"question": "2+2?", "answer": "2+2=4\\n#### 4"}, 7)
        Problem(id='gsm8k-test-7', index=7, question='2+2?', answer='4', solution='2+2=4\\n#### 4', \
subject=None, level=None)
    """
    question = _first(record, "problem", "question", "Problem", "Question")
    if not isinstance(question, str):
        raise ValueError(f"{spec.name} record {index}: no problem statement")
    raw_answer = record.get(answer_column)
    answer = gold_answer(raw_answer)
    if answer is None:
        raise ValueError(f"{spec.name} record {index}: no gold answer in {answer_column!r} ({raw_answer!r})")
    if isinstance(raw_answer, str) and "####" in raw_answer and _GROUPED_NUMBER.fullmatch(answer):
        answer = answer.replace(",", "")  # GSM8K: "#### 1,600" states 1600
    solution = _first(record, "solution", "Solution")
    gsm8k_solution = record.get("answer")
    if solution is None and isinstance(gsm8k_solution, str) and "####" in gsm8k_solution:
        solution = gsm8k_solution  # GSM8K: the answer column is the reference solution
    subject = _first(record, "subject", "type")
    position = index if position_in_config is None else position_in_config
    return Problem(
        id=_problem_id(spec, record, index, config, position),
        index=index,
        question=question,
        answer=answer,
        solution=solution if isinstance(solution, str) else None,
        subject=subject if isinstance(subject, str) else None,
        level=parse_level(record.get("level")),
    )


def _bundled_answer_column(spec: BenchmarkSpec) -> str:
    # the bundled GSM8K keeps the reference solution in "answer" and the bare number in "gold_answer"
    return "gold_answer" if spec.name == "gsm8k" else "answer"


def _read_bundled(spec: BenchmarkSpec) -> Iterator[dict[str, Any]]:
    resource = resources.files("rlvr.eval") / "data" / spec.file
    with resource.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def _bundled(spec: BenchmarkSpec) -> tuple[Problem, ...]:
    column = _bundled_answer_column(spec)
    return tuple(
        problem_from_record(spec, record, index, answer_column=column)
        for index, record in enumerate(_read_bundled(spec))
    )


def problems_from_hub_rows(
    spec: BenchmarkSpec, rows_by_config: Sequence[tuple[str | None, Iterable[Mapping[str, Any]]]]
) -> tuple[Problem, ...]:
    """Map the rows of a Hub dataset (per config, in order) to problems, as :func:`load_benchmark` does.

    Example:
        >>> rows = [("AIME2025-I", [{"question": "Find x.", "answer": "70"}]),
        ...         ("AIME2025-II", [{"question": "Find y.", "answer": "5"}])]
        >>> [(p.id, p.answer) for p in problems_from_hub_rows(BENCHMARKS["aime25"], rows)]
        [('aime-2025-I-1', '70'), ('aime-2025-II-1', '5')]
    """
    problems: list[Problem] = []
    for config, rows in rows_by_config:
        for position, row in enumerate(rows):
            problems.append(
                problem_from_record(
                    spec,
                    row,
                    len(problems),
                    answer_column=spec.hub.answer_column,
                    position_in_config=position,
                    config=config,
                )
            )
    return tuple(problems)


def _from_hub(spec: BenchmarkSpec, revision: str | None) -> tuple[Problem, ...]:
    try:
        from datasets import load_dataset
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "source='hf' needs the Hugging Face datasets library: pip install datasets"
        ) from exc
    rows_by_config = []
    for config in spec.hub.configs:
        dataset = load_dataset(spec.hub.path, config, split=spec.hub.split, revision=revision)
        rows_by_config.append((config, list(dataset)))
    return problems_from_hub_rows(spec, rows_by_config)


def load_benchmark(name: str, source: Source = "bundled", *, revision: str | None = None) -> Benchmark:
    """Load a benchmark: the bundled copy (offline, the default) or the Hugging Face Hub's.

    Args:
        name: ``gsm8k``, ``math``, ``math500``, ``aime24``, ``aime25`` or ``amc23``.
        source: ``"bundled"`` or ``"hf"`` (needs ``datasets`` and network access or a local HF cache;
            see the module docstring for the datasets and the field mapping).
        revision: a Hub revision (commit) to pin, for ``source="hf"``.

    Example:
        >>> bench = load_benchmark("math500")
        >>> len(bench), bench[0].subject, bench[0].level
        (500, 'Precalculus', 2)
    """
    spec = get_benchmark_spec(name)
    if source == "bundled":
        problems = _bundled(spec)
    elif source == "hf":
        problems = _from_hub(spec, revision)
    else:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    return Benchmark(spec, problems, source)


__all__ = [
    "BENCHMARKS",
    "SOURCES",
    "Benchmark",
    "BenchmarkSpec",
    "HubSource",
    "Problem",
    "get_benchmark_spec",
    "load_benchmark",
    "parse_level",
    "problem_from_record",
    "problems_from_hub_rows",
]
