"""Settings of ``rlvr serve``, validated when built; errors name the command-line flag."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from rlvr.rewards.registry import get_reward_spec


def _int(value: object, flag: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{flag} must be an integer >= {minimum}, got {value!r}")


def _seconds(value: object, flag: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ValueError(f"{flag} must be a number of seconds > 0, got {value!r}")


@dataclass(frozen=True)
class ServeConfig:
    """How ``rlvr serve`` runs.

    Attributes:
        reward: the registered reward every endpoint scores with (``--reward``).
        options: its options (``--set KEY=VALUE``).
        host: the address to listen on (``--host``); 127.0.0.1 unless told otherwise.
        port: the TCP port (``--port``); 0 picks a free one (printed at start).
        token: when set, every request must carry it (``Authorization: Bearer T``, or HTTP basic auth
            with it as the password); ``--token``, or the ``RLVR_SERVE_TOKEN`` environment variable.
        workers: the reward's worker processes (``--workers``).
        timeout: seconds one judgement may take (``--timeout``; for code: the program's time limit).
        ray_address: judge on this Ray cluster (``--ray``: its head's ``HOST:PORT``, ``auto``, or
            ``local``); ``None`` judges on this machine (or on ``$RLVR_RAY_ADDRESS`` when set).
        max_request_bytes: the largest request body (``--max-request-mb``); larger ones get 413.
        max_items: the most items in one request (``--max-items``); more get 413.
        max_queued_items: the most items admitted at once, waiting or being judged (``--max-queue``);
            a request that would pass it gets 503 at once.
        concurrency: batches judged at the same time (``--concurrency``); they share the reward's one
            executor and sandbox.
        request_timeout: seconds a request may take to be judged before it gets 504 (``--request-timeout``).
        drain_timeout: seconds SIGTERM waits for requests in flight (``--drain-timeout``).
        label_column: the column ``/get_reward``'s ``labels`` fill (default: the reward's own).
        unjudged_reward: ``/get_reward``'s reward for an item that cannot be judged (OpenRLHF needs a number).

    Example:
        >>> ServeConfig(reward="math").host
        '127.0.0.1'
        >>> ServeConfig(reward="math", port=70000)
        Traceback (most recent call last):
        ...
        ValueError: --port must be between 0 and 65535, got 70000
    """

    reward: str = "math"
    options: Mapping[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    workers: int | None = None
    timeout: float | None = None
    ray_address: str | None = None
    max_request_bytes: int = 16 << 20
    max_items: int = 4096
    max_queued_items: int = 16384
    concurrency: int = 4
    request_timeout: float = 600.0
    drain_timeout: float = 60.0
    label_column: str | None = None
    unjudged_reward: float = 0.0

    def __post_init__(self) -> None:
        get_reward_spec(self.reward)  # an unknown reward fails here, listing the known ones
        if not isinstance(self.host, str) or not self.host:
            raise ValueError(f"--host must be an address, got {self.host!r}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ValueError(f"--port must be between 0 and 65535, got {self.port!r}")
        if self.token is not None and (not isinstance(self.token, str) or len(self.token) < 8):
            raise ValueError("--token must be at least 8 characters")
        if self.workers is not None:
            _int(self.workers, "--workers", 1)
        if self.timeout is not None:
            _seconds(self.timeout, "--timeout")
        if self.ray_address is not None and (not isinstance(self.ray_address, str) or not self.ray_address):
            raise ValueError(f"--ray must be HOST:PORT, 'auto' or 'local', got {self.ray_address!r}")
        _int(self.max_request_bytes, "--max-request-mb", 1024)
        _int(self.max_items, "--max-items", 1)
        _int(self.max_queued_items, "--max-queue", 1)
        if self.max_queued_items < self.max_items:
            raise ValueError(
                f"--max-queue ({self.max_queued_items}) must be at least --max-items ({self.max_items})"
            )
        _int(self.concurrency, "--concurrency", 1)
        _seconds(self.request_timeout, "--request-timeout")
        _seconds(self.drain_timeout, "--drain-timeout")
        value = self.unjudged_reward
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"unjudged_reward must be a finite number, got {value!r}")
        object.__setattr__(self, "options", {str(k): str(v) for k, v in dict(self.options).items()})
