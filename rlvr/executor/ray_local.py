"""A real multi-node Ray cluster on this machine, for tests and ``rlvr bench ray``: one raylet per node.

Each node is its own ``ray start`` (the head with ``--head``, the others joining it), so killing a node's
raylet by its pid takes that node down as a machine failure would. Everything stays on this machine: the
nodes are given ``--node-ip-address=127.0.0.1`` (Ray itself replaces a loopback address by this
machine's own interface address, never another machine's), and free ports are picked for every
listener. The cluster is private: token authentication with a fresh token in its own folder, usage
statistics off. :meth:`LocalCluster.stop` kills every process it started — by the process group of each
``ray start`` and by a tag in their environment — never by name, so other Ray clusters on the machine
are left alone.

Example:
    >>> with LocalCluster(nodes=2) as cluster:  # doctest: +SKIP
    ...     cluster.address
    '127.0.0.1:46379'
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

_TAG = "RLVR_RAY_LOCAL_CLUSTER"


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 now.

    Example:
        >>> len(set(free_ports(3)))
        3
    """
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def write_token(path: str) -> str:
    """Write a fresh authentication token to ``path`` (readable by its owner only); returns ``path``.

    Example:
        >>> import tempfile
        >>> path = write_token(tempfile.mktemp())
        >>> len(open(path).read()), oct(os.stat(path).st_mode & 0o777)
        (64, '0o600')
    """
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as stream:
        stream.write(secrets.token_hex(32))
    return path


def _ray_command() -> str:
    return os.path.join(os.path.dirname(sys.executable), "ray")


@dataclass
class _Node:
    group: int  # the process group of its `ray start` (every process it started is in it)
    session: str  # its session folder


@dataclass
class LocalCluster:
    """Raylets on this machine (see the module docstring).

    Args:
        nodes: nodes started by :meth:`start` (the first is the head).
        cpus: CPUs each node offers.
        token: the file of the cluster's authentication token; by default a fresh one in its folder.
            A process that joins several clusters in turn needs one token for all of them (Ray reads
            it once per process).
    """

    nodes: int = 2
    cpus: int = 1
    token: str = ""
    folder: str = field(default="", init=False)
    address: str = field(default="", init=False)
    env: dict[str, str] = field(default_factory=dict, init=False)
    _nodes: list[_Node] = field(default_factory=list, init=False)

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def client_env(self) -> dict[str, str]:
        """What a driver process needs in its environment to join this cluster."""
        keys = ("RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")
        return {key: self.env[key] for key in keys}

    def start(self) -> LocalCluster:
        """Start the head and the other nodes; raises ``RuntimeError`` (after cleaning up) on failure."""
        self.folder = tempfile.mkdtemp(prefix="rlvr-ray-", dir="/tmp")  # short: Ray's socket paths
        token = self.token or write_token(os.path.join(self.folder, "token"))
        self.env = {
            **os.environ,
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": token,
            _TAG: self.folder,
        }
        self.env.pop("RAY_ADDRESS", None)
        try:
            port, dashboard = free_ports(2)
            self.address = f"127.0.0.1:{port}"
            self._start_node(
                ["--head", f"--port={port}", "--include-dashboard=false", f"--dashboard-port={dashboard}"]
            )
            for _ in range(self.nodes - 1):
                self.add_node()
        except BaseException:
            self.stop()
            raise
        return self

    def add_node(self) -> int:
        """Start one more node that joins the head; returns its index."""
        self._start_node([f"--address={self.address}"])
        return len(self._nodes) - 1

    def _start_node(self, arguments: list[str]) -> None:
        (agent,) = free_ports(1)
        before = self._sessions()
        command = [
            _ray_command(),
            "start",
            *arguments,
            "--node-ip-address=127.0.0.1",
            f"--num-cpus={self.cpus}",
            f"--dashboard-agent-listen-port={agent}",
            "--disable-usage-stats",
            f"--temp-dir={self.folder}",
        ]
        proc = subprocess.Popen(
            command,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, which every process it starts inherits
            text=True,
        )
        self._nodes.append(_Node(proc.pid, ""))
        try:
            output, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            output = "(no answer within 120 s)"
        if proc.returncode != 0:
            raise RuntimeError(f"`ray start` failed (exit {proc.returncode}): {output[-2000:]}")
        sessions = self._sessions() - before
        self._nodes[-1].session = sorted(sessions)[0] if sessions else ""

    def _sessions(self) -> set[str]:
        with contextlib.suppress(OSError):
            return {name for name in os.listdir(self.folder) if name.startswith("session_")}
        return set()

    def processes(self) -> list[tuple[int, int, str]]:
        """``(pid, process group, command line)`` of every live process of this cluster."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                with open(f"/proc/{pid}/environ", "rb") as stream:
                    if f"{_TAG}={self.folder}".encode() not in stream.read().split(b"\0"):
                        continue
                with open(f"/proc/{pid}/cmdline", "rb") as stream:
                    command = stream.read().replace(b"\0", b" ").decode("utf-8", "replace")
                group = os.getpgid(pid)
            except (OSError, ProcessLookupError):
                continue
            found.append((pid, group, command))
        return found

    def raylet_pid(self, node: int) -> int:
        """The pid of node ``node``'s raylet."""
        group = self._nodes[node].group
        for pid, process_group, command in self.processes():
            if process_group == group and "/raylet/raylet " in command:
                return pid
        raise LookupError(f"no raylet found for node {node}")

    def kill_raylet(self, node: int) -> int:
        """SIGKILL node ``node``'s raylet (its node fails as a machine would); returns the pid."""
        pid = self.raylet_pid(node)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        """Kill every process of this cluster and remove its folder."""
        for _ in range(3):
            processes = self.processes()
            if not processes:
                break
            for group in {g for _, g, _ in processes} | {node.group for node in self._nodes}:
                with contextlib.suppress(OSError):
                    os.killpg(group, signal.SIGKILL)
            for pid, _, _ in processes:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        for pid, _, _ in self.processes():  # children of ours are reaped here; others by their parent
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        self._nodes.clear()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
