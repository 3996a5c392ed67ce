"""The HTTP application of ``rlvr serve`` (aiohttp): endpoints, auth, limits, JSON errors.

- ``GET /health`` → ``{"status": "ok" | "draining", "reward", "inflight_requests", "queued_items"}``;
- ``POST /score`` with ``{"items": [{"completion": ..., "prompt"?: ..., <columns>}]}`` →
  ``{"rewards": [float | null], "reasons": [str | null]}`` (a reason is null for an unremarkable pass; an
  item's ``completion_ids`` reach the length-shaping rewards);
- ``POST /get_reward`` in OpenRLHF's format ``{"query": [...], "prompts": [...], "labels": [...]}`` →
  ``{"rewards", "scores", "extra_logs"}`` (see :mod:`rlvr.integrations.openrlhf`);
- ``GET /metrics`` → Prometheus text (:mod:`rlvr.serve.metrics`).

Every request shares one reward — one executor, one code sandbox. A request is admitted only while the
items admitted (waiting or being judged) stay within ``max_queued_items``, else it gets 503 at once; at
most ``concurrency`` batches are judged at the same time, in threads, so the event loop keeps answering.
Every error is JSON ``{"error": "..."}`` with a 4xx/5xx status, and the server keeps serving: 400 for
malformed JSON or fields, 401 for a missing or wrong token, 404/405, 413 for a body or batch over the
limits, 422 for a batch the reward cannot take (a missing column), 503 when full or draining, 504 past
``request_timeout``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import json
import logging
import time
from base64 import b64decode
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import web

from rlvr.integrations.openrlhf_reward import judge_queries, label_column_of, openrlhf_result
from rlvr.processes import describe_exception
from rlvr.rewards.base import Reward
from rlvr.rewards.inputs import MissingColumnError
from rlvr.rewards.registry import build_reward
from rlvr.serve.config import ServeConfig
from rlvr.serve.metrics import Metrics
from rlvr.verifiers.verdict import Verdict

logger = logging.getLogger("rlvr.serve")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STATE_KEY: web.AppKey[ServerState] = web.AppKey("rlvr_state")


class RequestError(Exception):
    """A request the server refuses: its status and the one-line message sent back as JSON."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON error: ``{"error": message}`` with ``status``.

    Example:
        >>> error_response(404, "no such endpoint").text
        '{"error": "no such endpoint"}'
    """
    return web.json_response({"error": message}, status=status, headers=headers)


class ServerState:
    """What the handlers share: the reward, the judging threads, admission counts and the metrics."""

    def __init__(self, config: ServeConfig, reward: Reward | None = None) -> None:
        self.config = config
        if reward is None:
            reward = build_reward(
                config.reward,
                config.options,
                workers=config.workers,
                timeout=config.timeout,
                ray_address=config.ray_address,
            )
        self.reward = reward
        self.label_column = config.label_column or label_column_of(self.reward)
        self.metrics = Metrics()
        self.threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=config.concurrency, thread_name_prefix="rlvr-serve"
        )
        self.queued_items = 0
        self.inflight = 0
        self.draining = False
        self.started = time.monotonic()

    def admit(self, items: int) -> None:
        """Count ``items`` in, or refuse the request (503) when the server is full or draining."""
        if self.draining:
            raise RequestError(503, "the server is shutting down", {"Retry-After": "5"})
        if self.queued_items + items > self.config.max_queued_items:
            raise RequestError(
                503,
                f"queue full: {self.queued_items} items admitted, at most {self.config.max_queued_items}",
                {"Retry-After": "1"},
            )
        self.queued_items += items

    def release(self, items: int) -> None:
        self.queued_items -= items

    async def judge(self, fn: Callable[[], list[Verdict]]) -> list[Verdict]:
        """Run a judging function in the server's threads, bounded by ``request_timeout``."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.threads, fn)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=self.config.request_timeout)
        except asyncio.TimeoutError:
            raise RequestError(504, f"not judged within {self.config.request_timeout:g} s") from None

    def close(self) -> None:
        """Stop the judging threads and every worker process of the reward."""
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.reward.close()


async def _body(request: web.Request) -> Any:
    if (
        request.content_length is not None
        and request.content_length > request.app[STATE_KEY].config.max_request_bytes
    ):
        raise RequestError(413, f"request body over {request.app[STATE_KEY].config.max_request_bytes} bytes")
    raw = await request.read()  # aiohttp stops at client_max_size with 413
    try:
        return json.loads(raw.decode("utf-8"))  # JSON over HTTP is UTF-8 (no guessing at UTF-16 or 32)
    except UnicodeDecodeError:
        raise RequestError(400, "request body is not UTF-8") from None
    except RecursionError:
        raise RequestError(400, "request body is nested too deeply") from None
    except ValueError as exc:
        raise RequestError(400, f"request body is not valid JSON: {exc}") from None


def _list_field(body: Mapping[str, Any], name: str, *, required: bool) -> list[Any] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise RequestError(400, f'"{name}" is required (a list)')
        return None
    if not isinstance(value, list):
        raise RequestError(400, f'"{name}" must be a list, got {type(value).__name__}')
    return value


def _check_size(state: ServerState, count: int) -> None:
    if count > state.config.max_items:
        raise RequestError(413, f"{count} items in one request, at most {state.config.max_items}")


async def _health(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    return web.json_response(
        {
            "status": "draining" if state.draining else "ok",
            "reward": state.reward.__name__,
            "inflight_requests": state.inflight - 1,  # not counting this one
            "queued_items": state.queued_items,
            "uptime_s": round(time.monotonic() - state.started, 3),
        }
    )


async def _metrics(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    text = state.metrics.render(inflight=state.inflight, queued=state.queued_items)
    return web.Response(text=text, content_type="text/plain", charset="utf-8", headers={"X-Format": "0.0.4"})


def _score_columns(
    items: Sequence[Mapping[str, Any]],
) -> tuple[list[Any] | None, list[Any], dict[str, list[Any]]]:
    prompts = [item.get("prompt") for item in items]
    completions = [item["completion"] for item in items]
    keys = {key for item in items for key in item if key not in ("completion", "prompt")}
    columns = {key: [item.get(key) for item in items] for key in keys}
    return (prompts if any(p is not None for p in prompts) else None), completions, columns


async def _score(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _body(request)
    if not isinstance(body, dict):
        raise RequestError(400, f"request body must be a JSON object, got {type(body).__name__}")
    items = _list_field(body, "items", required=True)
    assert items is not None
    _check_size(state, len(items))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RequestError(400, f"items[{index}] must be an object, got {type(item).__name__}")
        if "completion" not in item:
            raise RequestError(400, f'items[{index}] has no "completion"')
    if not items:
        return web.json_response({"rewards": [], "reasons": []})
    prompts, completions, columns = _score_columns(items)
    state.admit(len(items))
    try:
        verdicts = await state.judge(lambda: state.reward.judge(prompts, completions, **columns))
    finally:
        state.release(len(items))
    request["rlvr_items"] = (len(verdicts), sum(v.score is None for v in verdicts))
    return web.json_response(
        {"rewards": [v.score for v in verdicts], "reasons": [v.reason or None for v in verdicts]}
    )


async def _get_reward(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _body(request)
    if not isinstance(body, dict):
        raise RequestError(400, f"request body must be a JSON object, got {type(body).__name__}")
    queries = _list_field(body, "query", required=True)
    assert queries is not None
    prompts = _list_field(body, "prompts", required=False)
    labels = _list_field(body, "labels", required=False)
    _check_size(state, len(queries))
    for name, values in (("prompts", prompts), ("labels", labels)):
        if values is not None and len(values) != len(queries):
            raise RequestError(400, f'"{name}" has {len(values)} entries for {len(queries)} queries')
    if not queries:
        return web.json_response(openrlhf_result([], state.reward.__name__, as_tensors=False))
    state.admit(len(queries))
    try:
        verdicts = await state.judge(
            lambda: judge_queries(state.reward, queries, prompts, labels, label_column=state.label_column)
        )
    finally:
        state.release(len(queries))
    request["rlvr_items"] = (len(verdicts), sum(v.score is None for v in verdicts))
    result = openrlhf_result(verdicts, state.reward.__name__, state.config.unjudged_reward, as_tensors=False)
    return web.json_response(result)


def _authorised(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    given = ""
    if scheme.lower() == "bearer":
        given = value.strip()
    elif scheme.lower() == "basic":  # http://user:TOKEN@host/... (OpenRLHF's client sends no headers)
        try:
            given = b64decode(value.strip(), validate=True).decode("utf-8").partition(":")[2]
        except (ValueError, UnicodeDecodeError):
            return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), token.encode("utf-8"))


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth, JSON errors, in-flight counting and metrics, for every request."""
    state = request.app[STATE_KEY]
    started = time.monotonic()
    endpoint = request.path if request.path in ("/health", "/score", "/get_reward", "/metrics") else "other"
    state.inflight += 1
    status = 500
    try:
        token = state.config.token
        if token is not None and not _authorised(request, token):  # every path, /health included
            raise RequestError(401, "missing or wrong token", {"WWW-Authenticate": 'Bearer realm="rlvr"'})
        response = await handler(request)
        status = response.status
        return response
    except RequestError as exc:
        status = exc.status
        return error_response(exc.status, exc.message, exc.headers)
    except web.HTTPException as exc:  # aiohttp's own: 404, 405, 413 (body over client_max_size)
        status = exc.status
        message = {413: f"request body over {state.config.max_request_bytes} bytes"}.get(
            exc.status, exc.reason
        )
        return error_response(exc.status, message)
    except MissingColumnError as exc:
        status = 422
        return error_response(422, str(exc))
    except (ValueError, TypeError) as exc:  # the reward refused the batch (column lengths, option types)
        status = 422
        return error_response(422, describe_exception(exc))
    except Exception as exc:
        logger.exception("rlvr serve: %s %s failed", request.method, request.path)
        return error_response(500, f"internal error: {describe_exception(exc, 200)}")
    finally:
        state.inflight -= 1
        counts = request.get("rlvr_items")
        state.metrics.observe(endpoint, status, time.monotonic() - started, counts=counts)


def build_app(state: ServerState) -> web.Application:
    """The aiohttp application over a server state.

    Example:
        >>> app = build_app(ServerState(ServeConfig(reward="think_format")))
        >>> sorted(r.resource.canonical for r in app.router.routes() if r.method != "HEAD")
        ['/get_reward', '/health', '/metrics', '/score']
    """
    app = web.Application(middlewares=[_guard], client_max_size=state.config.max_request_bytes)
    app[STATE_KEY] = state
    app.router.add_get("/health", _health)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/score", _score)
    app.router.add_post("/get_reward", _get_reward)
    return app
