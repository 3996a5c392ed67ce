"""What ``rlvr serve`` counts, and its Prometheus text exposition (``GET /metrics``).

Counters per endpoint: requests by status code, items scored, items not judged (null rewards); a histogram
of request latency; gauges of requests in flight and items admitted (waiting or being judged). Written by
hand in the text format (version 0.0.4): no client library needed.

Example:
    >>> metrics = Metrics()
    >>> metrics.observe("/score", 200, 0.02, counts=(3, 1))
    >>> text = metrics.render(inflight=0, queued=0)
    >>> 'rlvr_requests_total{endpoint="/score",code="200"} 1' in text
    True
    >>> 'rlvr_items_unjudged_total{endpoint="/score"} 1' in text
    True
"""

from __future__ import annotations

import threading
from collections import defaultdict

#: Upper bounds (seconds) of the latency histogram's buckets.
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe counters of one server (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = defaultdict(int)
        self._items: dict[str, int] = defaultdict(int)
        self._unjudged: dict[str, int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sum: dict[str, float] = defaultdict(float)
        self._count: dict[str, int] = defaultdict(int)

    def observe(
        self, endpoint: str, code: int, seconds: float, *, counts: tuple[int, int] | None = None
    ) -> None:
        """Count one finished request; ``counts`` = (items scored, items not judged) for a scoring one."""
        with self._lock:
            self._requests[(endpoint, code)] += 1
            if counts is not None:
                self._items[endpoint] += counts[0]
                self._unjudged[endpoint] += counts[1]
            buckets = self._buckets[endpoint]
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[index] += 1
            self._sum[endpoint] += seconds
            self._count[endpoint] += 1

    def requests(self, endpoint: str, code: int) -> int:
        """Requests to ``endpoint`` answered with ``code`` so far.

        Example:
            >>> Metrics().requests("/score", 200)
            0
        """
        with self._lock:
            return self._requests.get((endpoint, code), 0)

    def render(self, *, inflight: int, queued: int) -> str:
        """The Prometheus text exposition of every counter and the two gauges."""
        lines = [
            "# HELP rlvr_requests_total Requests answered, by endpoint and status code.",
            "# TYPE rlvr_requests_total counter",
        ]
        with self._lock:
            for (endpoint, code), count in sorted(self._requests.items()):
                lines.append(f'rlvr_requests_total{{endpoint="{_escape(endpoint)}",code="{code}"}} {count}')
            lines += ["# HELP rlvr_items_total Items scored.", "# TYPE rlvr_items_total counter"]
            for endpoint, count in sorted(self._items.items()):
                lines.append(f'rlvr_items_total{{endpoint="{_escape(endpoint)}"}} {count}')
            lines += [
                "# HELP rlvr_items_unjudged_total Items that could not be judged (a null reward).",
                "# TYPE rlvr_items_unjudged_total counter",
            ]
            for endpoint, count in sorted(self._unjudged.items()):
                lines.append(f'rlvr_items_unjudged_total{{endpoint="{_escape(endpoint)}"}} {count}')
            lines += [
                "# HELP rlvr_request_duration_seconds Time from a request's arrival to its answer.",
                "# TYPE rlvr_request_duration_seconds histogram",
            ]
            for endpoint in sorted(self._count):
                label = f'endpoint="{_escape(endpoint)}"'
                for bound, count in zip(BUCKETS, self._buckets[endpoint], strict=True):
                    lines.append(f'rlvr_request_duration_seconds_bucket{{{label},le="{bound:g}"}} {count}')
                lines.append(
                    f'rlvr_request_duration_seconds_bucket{{{label},le="+Inf"}} {self._count[endpoint]}'
                )
                lines.append(f"rlvr_request_duration_seconds_sum{{{label}}} {self._sum[endpoint]:.6f}")
                lines.append(f"rlvr_request_duration_seconds_count{{{label}}} {self._count[endpoint]}")
        lines += [
            "# HELP rlvr_inflight_requests Requests being handled now.",
            "# TYPE rlvr_inflight_requests gauge",
            f"rlvr_inflight_requests {inflight}",
            "# HELP rlvr_queued_items Items admitted and not yet answered (waiting or being judged).",
            "# TYPE rlvr_queued_items gauge",
            f"rlvr_queued_items {queued}",
        ]
        return "\n".join(lines) + "\n"
