"""Score a JSONL stream with a reward: the engine behind ``rlvr score``.

Each input line is a JSON object with ``"completion"`` (a string or chat messages), an optional
``"prompt"``, and the reward's dataset columns. Each output line is the input object plus ``"reward"``
(a float or null) and ``"reward_info"`` (the reason, or null for an unremarkable pass). Lines are read
and written in batches, so a file of any size streams in constant memory. A line is checked whole before
its batch is judged — UTF-8, JSON, an object, a completion, the columns the reward needs (by the reward's
own rule, :meth:`~rlvr.rewards.base.Reward.missing_column`) — so a bad line stops the run before
anything of its batch is written, or, with ``skip_invalid``, gets a null and the reason.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from rlvr.executor.ray_stats import RayStats
from rlvr.rewards.base import Reward

DEFAULT_BATCH_SIZE = 256


class InvalidLineError(ValueError):
    """An input line that cannot be scored; the message names its line number."""


class Progress(Protocol):
    """What ``score_stream`` reports progress to (a tqdm bar fits)."""

    def update(self, n: int) -> object: ...


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
        """The one-line summary ``rlvr score`` prints; no ``nan`` for an empty or unjudged input.

        Example:
            >>> ScoreSummary().describe("math_accuracy")
            'math_accuracy: 0 items, none judged'
            >>> ScoreSummary(count=2, judged=2, total=1.0, seconds=0.5).describe("math_accuracy")
            'math_accuracy: 2 items, mean reward 0.5000 over 2 judged, 0 null (0 invalid lines), 4.0 items/s'
        """
        if self.count == 0:
            return f"{reward_name}: 0 items, none judged"
        mean = f"mean reward {self.mean:.4f} over {self.judged} judged" if self.judged else "none judged"
        speed = f", {self.items_per_second:.1f} items/s" if self.seconds > 0 else ""
        nulls = f"{self.nulls} null ({self.invalid} invalid lines)"
        text = f"{reward_name}: {self.count} items, {mean}, {nulls}{speed}"
        return text if self.ray is None else f"{text} {self.ray.describe()}"


@dataclass(frozen=True)
class _Line:
    number: int
    record: dict[str, Any] | None
    error: str | None = None


def _decode(number: int, raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
        raise InvalidLineError(
            f"line {number}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {column})"
        ) from None


def _parse_line(number: int, raw: str | bytes, reward: Reward) -> _Line:
    text = _decode(number, raw).rstrip("\r\n")  # a column past the line's end would point nowhere
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"at column {exc.colno}"
        if exc.pos >= len(text):
            where += ", the end of the line: is it cut short?"
        raise InvalidLineError(f"line {number}: not valid JSON ({exc.msg} {where})") from None
    if not isinstance(record, dict):
        raise InvalidLineError(f"line {number}: expected a JSON object, got {type(record).__name__}")
    if "completion" not in record:
        raise InvalidLineError(f'line {number}: no "completion" field')
    missing = reward.missing_column(record.keys())
    if missing is not None:
        raise InvalidLineError(
            f"line {number}: no {missing} field, a column reward {reward.__name__!r} needs"
        )
    return _Line(number, record)


def _read_lines(stream: Iterable[str | bytes], reward: Reward, skip_invalid: bool) -> Iterator[_Line]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield _parse_line(number, raw, reward)
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
    source: Iterable[str | bytes],
    sink: IO[str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    summary: ScoreSummary | None = None,
) -> ScoreSummary:
    """Score every line of ``source`` with ``reward`` and write the results to ``sink``.

    Args:
        reward: the reward to apply.
        source: JSONL lines: a text stream, or a binary one (each line is decoded as UTF-8 on its own,
            so an undecodable line is reported with its number).
        sink: where the output lines go; flushed after each batch.
        batch_size: lines judged together (the reward parallelises within a batch).
        skip_invalid: give a malformed line ``"reward": null`` and a reason instead of stopping.
        progress: optional object with ``update(n)`` (e.g. a tqdm bar).
        summary: the summary to fill in as lines are written (a caller interrupted mid-run still knows
            how many were written); a new one by default.

    Raises:
        InvalidLineError: a malformed line, when ``skip_invalid`` is false.
        ValueError: the reward's settings cannot score (:meth:`~rlvr.rewards.base.Reward.check_settings`).

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
    reward.check_settings()
    summary = summary if summary is not None else ScoreSummary()
    started = time.perf_counter()
    ray_before = reward.ray_stats()
    lines = _read_lines(source, reward, skip_invalid)
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
        sink.flush()
        if progress is not None:
            progress.update(len(batch))
    summary.seconds = time.perf_counter() - started
    ray_after = reward.ray_stats()
    if ray_after is not None:
        summary.ray = ray_after - (ray_before or RayStats())
    return summary
