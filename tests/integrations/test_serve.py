"""``rlvr serve`` as a real process on 127.0.0.1: every endpoint, 32 concurrent clients, malformed and
oversized requests, a full queue, auth, and SIGTERM with requests in flight (every worker stopped)."""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("aiohttp", reason="rlvr serve needs the [serve] extra")

from serve_harness import TOKEN, Server, alive, wait_gone

TOWERS = [rf"\boxed{{\dfrac{{{b}^{{{b}^{{{b}^{{{b}^{{{b}}}}}}}}}-5}}{{16}}}}" for b in (5, 6, 7)]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server(
        "--reward", "math", "--workers", "1", "--timeout", "1", "--max-items", "64", "--max-queue", "128",
        "--max-request-mb", "0.05",
    )  # fmt: skip
    yield running
    running.stop()


def test_health(server: Server) -> None:
    status, body, _ = server.request("GET", "/health")
    assert status == 200
    assert body["status"] == "ok" and body["reward"] == "math_accuracy"
    assert body["inflight_requests"] == 0 and body["queued_items"] == 0


def test_score(server: Server) -> None:
    items = [
        {"completion": r"<think>2+2</think> so $\boxed{4}$", "answer": "4"},
        {"completion": r"\boxed{5}", "answer": "4"},
        {
            "completion": [{"role": "assistant", "content": r"\boxed{\frac{1}{2}}"}],
            "answer": "0.5",
            "prompt": "Q",
        },
        {"completion": r"\boxed{1}", "answer": r"\frac{1}{0"},
        {"completion": 17, "answer": "4"},
    ]
    status, body, _ = server.request("POST", "/score", {"items": items})
    assert status == 200
    assert body["rewards"][:3] == [1.0, 0.0, 1.0] and body["rewards"][3:] == [None, None]
    assert body["reasons"][0] is None and body["reasons"][1].startswith("different")
    assert body["reasons"][4].startswith("malformed input")
    status, body, _ = server.request("POST", "/score", {"items": []})
    assert (status, body) == (200, {"rewards": [], "reasons": []})


def test_get_reward_in_openrlhfs_format(server: Server) -> None:
    prompt = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"
    payload = {
        "query": [prompt + r"It is \boxed{42}.<|im_end|>", prompt + r"\boxed{41}<|im_end|>", "unrelated"],
        "prompts": [prompt, prompt, prompt],
        "labels": ["42", "42", "42"],
    }
    status, body, _ = server.request("POST", "/get_reward", payload)
    assert status == 200
    assert body["rewards"] == [1.0, 0.0, 0.0] and body["scores"] == [1.0, 0.0, 0.0]
    assert body["extra_logs"] == {"math_accuracy": [1.0, 0.0, 0.0], "rlvr_unjudged": [0.0, 0.0, 1.0]}


def test_metrics_count_requests_items_nulls_and_latency(server: Server) -> None:
    def counter(text: str, name: str) -> float:
        found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    _, before, _ = server.request("GET", "/metrics")
    server.request(
        "POST",
        "/score",
        {"items": [{"completion": r"\boxed{1}", "answer": "1"}, {"completion": 3, "answer": "1"}]},
    )
    status, text, headers = server.request("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    score_ok = 'rlvr_requests_total{endpoint="/score",code="200"}'
    assert counter(text, score_ok) == counter(before, score_ok) + 1
    assert (
        counter(text, 'rlvr_items_total{endpoint="/score"}')
        == counter(before, 'rlvr_items_total{endpoint="/score"}') + 2
    )
    nulls = 'rlvr_items_unjudged_total{endpoint="/score"}'
    assert counter(text, nulls) == counter(before, nulls) + 1
    assert counter(text, 'rlvr_request_duration_seconds_count{endpoint="/score"}') >= 1
    assert 'rlvr_request_duration_seconds_bucket{endpoint="/score",le="+Inf"}' in text
    assert "# TYPE rlvr_request_duration_seconds histogram" in text and "rlvr_queued_items 0" in text


def test_32_concurrent_clients_get_their_own_answers(server: Server) -> None:
    import aiohttp

    async def client(session: aiohttp.ClientSession, number: int) -> list[tuple[list[Any], list[float]]]:
        results = []
        for round_ in range(4):
            items, expected = [], []
            for k in range(4):  # 32 x 4 = 128 items at most in flight: the queue limit
                value = number * 100 + round_ * 10 + k
                right = (number + k) % 2 == 0
                items.append(
                    {"completion": rf"\boxed{{{value if right else value + 1}}}", "answer": str(value)}
                )
                expected.append(1.0 if right else 0.0)
            async with session.post(
                f"http://127.0.0.1:{server.port}/score", json={"items": items}
            ) as response:
                assert response.status == 200
                results.append(((await response.json())["rewards"], expected))
        return results

    async def main() -> list[list[tuple[list[Any], list[float]]]]:
        headers = server.headers()
        async with aiohttp.ClientSession(headers=headers) as session:
            return await asyncio.gather(*(client(session, n) for n in range(32)))

    outcomes = asyncio.run(main())
    assert len(outcomes) == 32
    for results in outcomes:
        for got, expected in results:
            assert got == expected


MALFORMED: list[tuple[str, str, bytes, int, str]] = [
    ("POST", "/score", b"{not json", 400, "not valid JSON"),
    ("POST", "/score", b"[1, 2]", 400, "must be a JSON object"),
    ("POST", "/score", b'{"items": {"completion": "x"}}', 400, '"items" must be a list'),
    ("POST", "/score", b"{}", 400, '"items" is required'),
    ("POST", "/score", b'{"items": [3]}', 400, "items[0] must be an object"),
    ("POST", "/score", b'{"items": [{"answer": "3"}]}', 400, 'items[0] has no "completion"'),
    ("POST", "/score", b'{"items": [{"completion": "x"}]}', 422, "needs the dataset column 'answer'"),
    ("POST", "/score", b"\xff\xfe{}", 400, "not UTF-8"),
    ("POST", "/score", b"[" * 5000 + b"]" * 5000, 400, "nested too deeply"),
    ("POST", "/get_reward", b'{"prompts": []}', 400, '"query" is required'),
    (
        "POST",
        "/get_reward",
        b'{"query": ["a", "b"], "labels": ["1"]}',
        400,
        '"labels" has 1 entries for 2 queries',
    ),
    ("GET", "/score", b"", 405, "Method Not Allowed"),
    ("GET", "/nothing-here", b"", 404, "Not Found"),
]


@pytest.mark.parametrize(("method", "path", "raw", "status", "message"), MALFORMED)
def test_malformed_requests_get_a_json_error_and_the_server_keeps_serving(
    server: Server, method: str, path: str, raw: bytes, status: int, message: str
) -> None:
    got, body, _ = server.request(method, path, raw=raw if method == "POST" else None)
    assert got == status
    assert isinstance(body, dict) and message in body["error"], body
    assert server.request("GET", "/health")[0] == 200


def test_oversized_requests_get_413(server: Server) -> None:
    too_many = {"items": [{"completion": "x", "answer": "1"}] * 65}
    status, body, _ = server.request("POST", "/score", too_many)
    assert status == 413 and "65 items in one request, at most 64" in body["error"]
    big = {"items": [{"completion": "x" * 60_000, "answer": "1"}]}
    status, body, _ = server.request("POST", "/score", big)
    assert status == 413 and "request body over" in body["error"]
    # the same without a Content-Length: a chunked body is cut off at the limit too
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/score",
            body=iter([json.dumps(big).encode()]),
            headers={**server.headers(), "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        assert response.status == 413 and "request body over" in json.loads(response.read())["error"]
    finally:
        connection.close()
    assert server.request("GET", "/health")[0] == 200


def test_a_full_queue_answers_503_at_once(server: Server) -> None:
    import concurrent.futures

    slow = {
        "items": [{"completion": tower, "answer": r"\cot x"} for tower in TOWERS]
        + [{"completion": "1", "answer": "1"}] * 61
    }
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        running = [pool.submit(server.request, "POST", "/score", slow) for _ in range(2)]
        deadline = time.monotonic() + 10
        while server.request("GET", "/health")[1]["queued_items"] < 128 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        status, body, headers = server.request(
            "POST", "/score", {"items": [{"completion": "1", "answer": "1"}]}
        )
        assert status == 503 and "queue full" in body["error"] and headers["Retry-After"] == "1"
        assert time.monotonic() - started < 1.0
        for future in running:
            status, body, _ = future.result()
            assert (
                status == 200
                and body["rewards"][:3] == [None, None, None]
                and body["reasons"][0] == "timeout"
            )
    assert server.request("POST", "/score", {"items": [{"completion": r"\boxed{1}", "answer": "1"}]})[1][
        "rewards"
    ] == [1.0]


def test_auth(server: Server) -> None:
    for path, method in (
        ("/health", "GET"),
        ("/metrics", "GET"),
        ("/score", "POST"),
        ("/get_reward", "POST"),
    ):
        status, body, headers = server.request(method, path, {"items": []}, headers={})
        assert status == 401 and body == {"error": "missing or wrong token"}
        assert headers["WWW-Authenticate"].startswith("Bearer")
    assert server.request("GET", "/health", headers={"Authorization": "Bearer wrong-token-123"})[0] == 401
    assert server.request("GET", "/health", headers={"Authorization": "Bearer"})[0] == 401
    assert server.request("GET", "/health", headers={"Authorization": "Basic !!!"})[0] == 401
    basic = base64.b64encode(f"openrlhf:{TOKEN}".encode()).decode()
    assert server.request("GET", "/health", headers={"Authorization": f"Basic {basic}"})[0] == 200
    assert server.request("GET", "/health", headers={"Authorization": f"Bearer {TOKEN}"})[0] == 200


def test_refuses_bad_settings_with_the_flag_named() -> None:
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rlvr.cli", "serve", *args], capture_output=True, text=True, timeout=60
        )

    result = run("--reward", "nope")
    assert (
        result.returncode == 2
        and "unknown reward 'nope'" in result.stderr
        and "Traceback" not in result.stderr
    )
    result = run("--reward", "math", "--max-items", "0")
    assert result.returncode == 2 and "argument --max-items: must be an integer >= 1" in result.stderr
    result = run("--reward", "math", "--token", "short")
    assert result.returncode == 2 and "--token must be at least 8 characters" in result.stderr


def test_sigterm_finishes_requests_in_flight_and_stops_every_worker() -> None:
    import concurrent.futures

    server = Server("--reward", "math", "--workers", "2", "--timeout", "1.5", token=None)
    try:
        assert (
            server.request("POST", "/score", {"items": [{"completion": TOWERS[0], "answer": r"\cot x"}]})[0]
            == 200
        )
        workers = server.descendants()
        assert workers, "the executor's workers should be running"
        slow = {
            "items": [{"completion": t, "answer": r"\cot x"} for t in TOWERS[1:]]
            + [{"completion": r"\boxed{2}", "answer": "2"}]
        }
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            in_flight = [pool.submit(server.request, "POST", "/score", slow) for _ in range(2)]
            deadline = time.monotonic() + 10
            while server.request("GET", "/health")[1]["queued_items"] < 6 and time.monotonic() < deadline:
                time.sleep(0.02)
            started = time.monotonic()
            code = server.terminate()
            for future in in_flight:
                status, body, _ = future.result()
                assert status == 200 and body["rewards"] == [None, None, 1.0]  # answered, not dropped
        assert code == 0 and time.monotonic() - started < 30
        assert not alive(server.pid)
        assert wait_gone(workers) == set(), "every worker process is gone"
        assert any("stopped" in line for line in server.stderr_lines)
        with pytest.raises(OSError):
            server.request("GET", "/health", timeout=2)
    finally:
        server.stop()


def test_length_rewards_read_completion_ids_over_http() -> None:
    server = Server(
        "--reward", "soft_overlong", "--set", "max_completion_len=10", "--set", "overlong_buffer_len=4"
    )
    try:
        items = [
            {"completion": "a", "completion_ids": [1] * 5},
            {"completion": "b", "completion_ids": [1] * 8},
            {"completion": "c", "completion_length": 30},
            {"completion": "d", "completion_ids": "not ids"},
        ]
        status, body, _ = server.request("POST", "/score", {"items": items})
        assert status == 200 and body["rewards"] == [0.0, -0.5, -1.0, None]
        assert "completion_ids must be a list of token ids" in body["reasons"][3]
        status, body, _ = server.request("POST", "/score", {"items": [{"completion": "a"}]})
        assert status == 422 and "needs the dataset column 'completion_ids'" in body["error"]
    finally:
        server.stop()


def test_a_taken_port_is_a_clear_error() -> None:
    import subprocess
    import sys

    first = Server("--reward", "think_format", token=None)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "rlvr.cli",
                "serve",
                "--reward",
                "think_format",
                "--port",
                str(first.port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert (
            f"cannot listen on 127.0.0.1:{first.port}" in result.stderr and "Traceback" not in result.stderr
        )
    finally:
        first.stop()


def test_sigterm_stops_the_code_sandbox_too() -> None:
    """With the code reward, the sandbox's fork server and its spawners are among the workers stopped."""
    import concurrent.futures

    server = Server("--reward", "code", "--workers", "1", token=None)
    slow = "```python\nimport time\ntime.sleep(1.0)\nprint(3)\n```"
    info = {"cases": [{"stdin": "", "stdout": "3"}], "time_limit": 5}
    try:
        status, body, _ = server.request(
            "POST", "/score", {"items": [{"completion": "print(3)", "verification_info": info}]}
        )
        assert status == 200 and body["rewards"] == [1.0]
        workers = server.descendants()
        assert workers, "the sandbox should be running"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(
                server.request, "POST", "/score", {"items": [{"completion": slow, "verification_info": info}]}
            )
            deadline = time.monotonic() + 10
            while server.request("GET", "/health")[1]["queued_items"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server.terminate() == 0
            status, body, _ = in_flight.result()
            assert status == 200 and body["rewards"] == [1.0]
        assert wait_gone(workers) == set(), "every sandbox process is gone"
    finally:
        server.stop()
