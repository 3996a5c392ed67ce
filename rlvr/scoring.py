"""Score a JSONL stream with a reward: the engine behind ``rlvr score``.

Each input line is a JSON object with ``"completion"`` (a string or chat messages), an optional
``"prompt"``, and the reward's dataset columns. Each output line is the input object plus ``"reward"``
(a float or null) and ``"reward_info"`` (the reason, or null for an unremarkable pass). Lines are read
and written in batches, so a file of any size streams in constant memory.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from rlvr.executor.ray_stats import RayStats
from rlvr.rewards.base import Reward

DEFAULT_BATCH_SIZE = 256


class InvalidLineError(ValueError):
    """An input line that cannot be scored; the message names its line number."""


@dataclass
class ScoreSummary:
    """What a scoring run did.

    Example:
        >>> ScoreSummary(count=4, judged=3, total=2.0, seconds=0.5).mean
        0.6666666666666666
    """

    count: int = 0
    judged: int = 0
    total: float = 0.0
    invalid: int = 0
    seconds: float = 0.0
    #: on the Ray backend, what went to the cluster during the run
    ray: RayStats | None = None

    @property
    def nulls(self) -> int:
        return self.count - self.judged

    @property
    def mean(self) -> float:
        return self.total / self.judged if self.judged else math.nan

    @property
    def items_per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.nan

    def describe(self, reward_name: str) -> str:
        text = (
            f"{reward_name}: {self.count} items, mean reward {self.mean:.4f} over {self.judged} judged, "
            f"{self.nulls} null ({self.invalid} invalid lines), {self.items_per_second:.1f} items/s"
        )
        return text if self.ray is None else f"{text} {self.ray.describe()}"


@dataclass(frozen=True)
class _Line:
    number: int
    record: dict[str, Any] | None
    error: str | None = None


def _parse_line(number: int, text: str, required: tuple[str, ...], reward_name: str) -> _Line:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidLineError(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise InvalidLineError(f"line {number}: expected a JSON object, got {type(record).__name__}")
    if "completion" not in record:
        raise InvalidLineError(f'line {number}: no "completion" field')
    for column in required:
        if column not in record:
            raise InvalidLineError(
                f"line {number}: no {column!r} field, a column reward {reward_name!r} needs"
            )
    return _Line(number, record)


def _read_lines(
    stream: IO[str], required: tuple[str, ...], reward_name: str, skip_invalid: bool
) -> Iterator[_Line]:
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            yield _parse_line(number, text, required, reward_name)
        except InvalidLineError as exc:
            if not skip_invalid:
                raise
            yield _Line(number, None, str(exc))


def _batches(lines: Iterable[_Line], size: int) -> Iterator[list[_Line]]:
    batch: list[_Line] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _score_batch(reward: Reward, batch: list[_Line]) -> list[tuple[float | None, str | None]]:
    valid = [line.record for line in batch if line.record is not None]
    results: list[tuple[float | None, str | None]] = []
    verdicts = iter([])
    if valid:
        columns: dict[str, list[Any]] = {}
        for key in {k for record in valid for k in record if k not in ("completion", "prompt")}:
            columns[key] = [record.get(key) for record in valid]
        prompts = [record.get("prompt") for record in valid]
        has_prompts = any(p is not None for p in prompts)
        verdicts = iter(
            reward.judge(prompts if has_prompts else None, [r["completion"] for r in valid], **columns)
        )
    for line in batch:
        if line.record is None:
            results.append((None, line.error))
        else:
            verdict = next(verdicts)
            results.append((verdict.score, verdict.reason or None))
    return results


def dump_line(record: dict[str, Any]) -> str:
    """One output line: JSON with Unicode as is, or with ``\\u`` escapes when the record holds text that
    UTF-8 cannot encode (a lone surrogate such as ``"\\ud800"`` in the input): the line is written, never
    lost, and reads back as the same value.

    Example:
        >>> dump_line({"completion": "é"}), dump_line({"completion": "\\ud800"})
        ('{"completion": "é"}', '{"completion": "\\\\ud800"}')
    """
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(record, ensure_ascii=True)
    return text


def score_stream(
    reward: Reward,
    source: IO[str],
    sink: IO[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_invalid: bool = False,
    progress: Any = None,
) -> ScoreSummary:
    """Score every line of ``source`` with ``reward`` and write the results to ``sink``.

    Args:
        reward: the reward to apply.
        source: JSONL text stream.
        sink: where the output lines go.
        batch_size: lines judged together (the reward parallelises within a batch).
        skip_invalid: give a malformed line ``"reward": null`` and a reason instead of stopping.
        progress: optional object with ``update(n)`` (e.g. a tqdm bar).

    Raises:
        InvalidLineError: a malformed line, when ``skip_invalid`` is false.

    Example:
        >>> import io
        >>> from rlvr.rewards import think_format
        >>> out = io.StringIO()
        >>> summary = score_stream(think_format, io.StringIO('{"completion": "<think>a</think>b"}\\n'), out)
        >>> json.loads(out.getvalue())["reward"], summary.count
        (1.0, 1)
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    summary = ScoreSummary()
    started = time.perf_counter()
    ray_before = reward.ray_stats()
    lines = _read_lines(source, reward.required_columns, reward.__name__, skip_invalid)
    for batch in _batches(lines, batch_size):
        for line, (score, info) in zip(batch, _score_batch(reward, batch), strict=True):
            record = dict(line.record) if line.record is not None else {"line": line.number}
            record["reward"] = score
            record["reward_info"] = info
            sink.write(dump_line(record) + "\n")
            summary.count += 1
            summary.invalid += line.record is None
            if score is not None:
                summary.judged += 1
                summary.total += score
        if progress is not None:
            progress.update(len(batch))
    sink.flush()
    summary.seconds = time.perf_counter() - started
    ray_after = reward.ray_stats()
    if ray_after is not None:
        summary.ray = ray_after - (ray_before or RayStats())
    return summary
