"""The worker process: judges one item at a time, sent by the executor over a pipe.

Started as ``python -c "...; rlvr.executor.worker.main()"`` with the protocol on stdin/stdout. The
worker moves the protocol to private descriptors and points fd 0/1 at /dev/null, so a judgement that
prints cannot corrupt the stream. Before each item it lowers its own ``RLIMIT_CPU`` soft limit to
"CPU used so far + the item's budget": should the executor die without killing it, a runaway
judgement still ends by itself.
"""

from __future__ import annotations

import importlib
import os
import pickle
import resource
import sys
from typing import Any

from rlvr.executor.protocol import encode, read_message, write_all
from rlvr.processes import describe_exception


def _cpu_seconds_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit_cpu(budget: float) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(_cpu_seconds_used() + budget) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _apply_init(init: dict[str, Any]) -> None:
    sys.path[:] = list(init["sys_path"])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker killed by SIGXCPU leaves no core file
    limit_mb = init.get("memory_limit_mb")
    if limit_mb:
        limit = int(limit_mb) * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    for module in init.get("preload", ()):
        importlib.import_module(module)


def _judge(payload: bytes) -> bytes:
    try:
        fn, args = pickle.loads(payload)
        value = fn(*args)
        return encode(("ok", value))
    except BaseException as exc:  # a judgement may raise anything, SystemExit included
        return encode(("error", describe_exception(exc)))


def main() -> None:
    """Serve judgements until the executor closes the pipe."""
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    message = read_message(proto_in)
    if message is None:
        return
    try:
        _, init = message
        _apply_init(init)
    except BaseException as exc:
        write_all(proto_out, encode(("fatal", describe_exception(exc))))
        return
    write_all(proto_out, encode(("ready", os.getpid())))

    while True:
        message = read_message(proto_in)
        if message is None:
            return
        _, payload, cpu_budget = message
        _limit_cpu(cpu_budget)
        try:
            write_all(proto_out, _judge(payload))
        except BrokenPipeError:
            return
