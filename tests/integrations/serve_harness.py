"""A real ``rlvr serve`` process on 127.0.0.1 for the tests, and a small HTTP client over http.client."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

TOKEN = "test-token-0123456789"


class Server:
    """``python -m rlvr.cli serve ARGS --port 0``; ``url``, ``port`` and ``pid`` once it listens."""

    def __init__(self, *args: str, token: str | None = TOKEN) -> None:
        command = [sys.executable, "-m", "rlvr.cli", "serve", "--port", "0", *args]
        env = dict(os.environ)
        env.pop("RLVR_SERVE_TOKEN", None)
        if token is not None:
            command += ["--token", token]
        self.token = token
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"rlvr serve did not start: {line!r} {self.proc.stderr.read()[-2000:]}")
        self.port = int(found.group(1))
        self.pid = self.proc.pid
        self.stderr_lines: list[str] = [line]
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def headers(self, token: str | None = "default") -> dict[str, str]:
        token = self.token if token == "default" else token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> tuple[int, Any, dict[str, str]]:
        """One request; returns (status, parsed JSON or text, response headers)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            sent = {"Content-Type": "application/json", **(self.headers() if headers is None else headers)}
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            kind = response.getheader("Content-Type", "")
            parsed = json.loads(text) if kind.startswith("application/json") else text
            return response.status, parsed, dict(response.getheaders())
        finally:
            connection.close()

    def descendants(self) -> set[int]:
        """Every process below the server (executor workers, sandbox), by parent pid."""
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stream:
                        fields = stream.read().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    continue
        found: set[int] = set()
        frontier = {self.pid}
        while frontier:
            children = {pid for pid, parent in parents.items() if parent in frontier and pid not in found}
            found |= children
            frontier = children
        return found

    def terminate(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: set[int], limit: float = 15.0) -> set[int]:
    """The pids still alive after waiting up to ``limit`` seconds."""
    deadline = time.monotonic() + limit
    left = {pid for pid in pids if alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = {pid for pid in left if alive(pid)}
    return left
