"""The driver's connection to a Ray cluster: connect (bounded in time), or start a local one; list its nodes.

Ray allows one cluster connection per process, made by ``ray.init``; this module is the one place rlvr
makes it. It never hangs: the head's port is probed first (a refused or silent address fails at once
with the address in the message), and ``ray.init`` runs under a deadline.

- ``address=None`` (or ``"local"``) starts a local single-node cluster with one CPU per usable CPU here.
  Ray protects a cluster it starts with a token; when this machine has none (``~/.ray/auth_token``,
  ``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH``), rlvr writes a private one (mode 0600) to a temporary
  folder instead of leaving a token in the home folder, whose mere presence changes how later
  ``ray start --head`` commands behave.
- ``"HOST:PORT"`` connects to the cluster whose head listens there. A cluster started on this machine
  with token authentication is joined with the token this machine holds (as Ray itself does for
  ``"auto"``); a remote one needs ``RAY_AUTH_MODE=token`` set by the user, never guessed.
- A process already connected (by rlvr or by its own code, e.g. inside a Ray actor) keeps its
  connection; asking it for a different cluster is an error.
- Usage statistics are always off (``RAY_USAGE_STATS_ENABLED=0``).

Example:
    >>> split_address("ray://10.0.0.5:10001")
    ('10.0.0.5', 10001)
    >>> is_this_machine("127.0.0.1")
    True
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from types import ModuleType

from rlvr.executor.pool import ExecutorError
from rlvr.processes import describe_exception, usable_cpus

logger = logging.getLogger("rlvr.executor.ray")

INSTALL_HINT = "the Ray backend needs Ray: pip install 'ray>=2.40,<3' (or '.[ray]' in rlvr's checkout)"
_PROBE_SECONDS = 5.0


@dataclass(frozen=True)
class NodeView:
    """One alive node of the cluster: its id, address, and CPUs (in all, and not reserved now)."""

    node_id: str
    address: str
    cpus: float
    available_cpus: float

    @property
    def label(self) -> str:
        """A short name for reports: the address and the first 8 characters of the id.

        Example:
            >>> NodeView("ab12cd34ef", "10.0.0.5", 4.0, 4.0).label
            '10.0.0.5/ab12cd34'
        """
        return f"{self.address}/{self.node_id[:8]}"


@dataclass(frozen=True)
class Connection:
    """What :func:`connect` made: the head's address, whether rlvr started the cluster, the owning pid;
    for a cluster started here, ``release`` lets the thread that started it end (after ``ray.shutdown``).
    """

    gcs_address: str
    started_here: bool
    pid: int
    release: threading.Event | None = None

    def shutdown(self) -> None:
        """Disconnect from Ray; a cluster started here stops with it.

        Example:
            >>> connection = connect("127.0.0.1:6379", timeout=60.0)  # doctest: +SKIP
            >>> connection.shutdown()  # doctest: +SKIP
        """
        import_ray().shutdown()
        if self.release is not None:
            self.release.set()


def import_ray() -> ModuleType:
    """The ``ray`` module, or :class:`ExecutorError` saying how to install it.

    Example:
        >>> import_ray().__name__  # doctest: +SKIP
        'ray'
    """
    try:
        import ray
    except ImportError as exc:
        raise ExecutorError(f"{INSTALL_HINT} ({exc})") from None
    return ray


def split_address(address: str) -> tuple[str, int]:
    """``(host, port)`` of ``"[ray://]HOST:PORT"`` (IPv6 hosts in brackets).

    Example:
        >>> split_address("[fd00::2]:6379")
        ('fd00::2', 6379)
    """
    bare = address.removeprefix("ray://")
    host, _, port = bare.rpartition(":")
    return host.strip("[]"), int(port)


def is_this_machine(host: str) -> bool:
    """Whether ``host`` names this machine (loopback, its host name, or an address of its own).

    Example:
        >>> is_this_machine("localhost"), is_this_machine("203.0.113.9")
        (True, False)
    """
    if host in ("localhost", socket.gethostname(), socket.getfqdn()):
        return True
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    own: set[str] = set()
    with contextlib.suppress(OSError):
        own |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    # the address this machine would send from (a UDP "connect" sends nothing)
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        own.add(probe.getsockname()[0])
    return host in own


def probe(address: str, timeout: float = _PROBE_SECONDS) -> None:
    """Check that something listens at a Ray head's ``address``; :class:`ExecutorError` if not.

    Example:
        >>> probe("127.0.0.1:1")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        rlvr.executor.pool.ExecutorError: cannot reach a Ray cluster at 127.0.0.1:1 (...); start one ...
    """
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach a Ray cluster at {address} ({describe_exception(exc, 200)}); start one with "
            f"`ray start --head --port={port}` or check the address"
        ) from None


class _DropMessage(logging.Filter):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


def _has_token() -> bool:
    return bool(
        os.environ.get("RAY_AUTH_TOKEN")
        or (os.environ.get("RAY_AUTH_TOKEN_PATH") and os.path.isfile(os.environ["RAY_AUTH_TOKEN_PATH"]))
        or os.path.isfile(os.path.join(os.path.expanduser("~"), ".ray", "auth_token"))
    )


def _private_token() -> None:
    """For a cluster rlvr starts: token authentication with a private token, unless the user chose."""
    if "RAY_AUTH_MODE" in os.environ or _has_token():
        return
    folder = tempfile.mkdtemp(prefix="rlvr-ray-")
    path = os.path.join(folder, "auth_token")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(secrets.token_hex(32))
    atexit.register(shutil.rmtree, folder, True)
    os.environ["RAY_AUTH_TOKEN_PATH"] = path
    os.environ["RAY_AUTH_MODE"] = "token"


def _reload_auth_settings() -> None:
    """Make Ray read ``RAY_AUTH_MODE`` and the token again: it read them when it was imported, and they
    may have been set since (as Ray itself does when it turns token authentication on)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except Exception:  # an internal API: without it, the settings of import time stay
        logger.debug("could not reload Ray's authentication settings", exc_info=True)


def _same_cluster(wanted: str, current: str) -> bool:
    if wanted == "auto":
        return True
    (host_a, port_a), (host_b, port_b) = split_address(wanted), split_address(current)
    return port_a == port_b and (host_a == host_b or (is_this_machine(host_a) and is_this_machine(host_b)))


def connect(address: str | None, timeout: float) -> Connection:
    """Connect this process to the Ray cluster at ``address`` (``None``: start a local one).

    Raises:
        ExecutorError: Ray is not installed, the cluster cannot be reached or joined within
            ``timeout`` seconds, or this process is already connected to another cluster.

    Example:
        >>> connect("127.0.0.1:6379", timeout=60.0).started_here  # doctest: +SKIP
        False
    """
    ray = import_ray()
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if ray.is_initialized():
        current = ray.get_runtime_context().gcs_address
        if address is not None and not _same_cluster(address, current):
            raise ExecutorError(
                f"this process is connected to the Ray cluster at {current}; it cannot also use {address} "
                "(Ray allows one cluster per process)"
            )
        return Connection(current, started_here=False, pid=os.getpid())
    if address is None:
        _private_token()
        options: dict[str, object] = {"num_cpus": usable_cpus(), "include_dashboard": False}
    else:
        if address != "auto":
            probe(address)
            host, _ = split_address(address)
            if "RAY_AUTH_MODE" not in os.environ and _has_token() and is_this_machine(host):
                os.environ["RAY_AUTH_MODE"] = "token"  # as Ray does for a cluster it finds here itself
        options = {"address": address}
    _reload_auth_settings()
    outcome: list[BaseException | None] = []
    release = threading.Event()

    def init() -> None:
        try:
            ray.init(**options, logging_level=logging.WARNING, log_to_driver=False)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
            return
        # Ray ties the processes of a cluster it starts to the *thread* that started them (they get
        # SIGKILL when it ends): this thread lives until the cluster is shut down.
        release.wait()

    # In a helper thread (the deadline), where Ray also leaves the process's SIGTERM handling alone;
    # it says so in a warning, which is dropped.
    quiet = _DropMessage("SIGTERM handler is not set")
    ray_logger = logging.getLogger("ray._private.worker")
    ray_logger.addFilter(quiet)
    thread = threading.Thread(target=init, name="rlvr-ray-connect", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not outcome and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    ray_logger.removeFilter(quiet)
    where = "a local Ray cluster" if address is None else f"the Ray cluster at {address}"
    if not outcome:
        raise ExecutorError(f"could not connect to {where} within {timeout:g} s")
    error = outcome[0]
    if error is not None:
        hint = ""
        if address is not None and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
            hint = (
                "; if the cluster uses token authentication (Ray does when ~/.ray/auth_token exists at "
                "`ray start --head`), set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH"
            )
        raise ExecutorError(f"could not connect to {where}: {describe_exception(error, 300)}{hint}")
    gcs = ray.get_runtime_context().gcs_address
    logger.info("connected to the Ray cluster at %s", gcs)
    if address is not None:
        release.set()
    return Connection(gcs, started_here=address is None, pid=os.getpid(), release=release)


def alive_nodes() -> list[NodeView]:
    """The alive nodes with CPUs, with the CPUs not reserved on each now (when Ray says).

    Example:
        >>> [node.cpus for node in alive_nodes()]  # doctest: +SKIP
        [1.0, 1.0]
    """
    ray = import_ray()
    available: dict[str, dict[str, float]] = {}
    try:
        from ray._private.state import available_resources_per_node

        available = available_resources_per_node()
    except Exception:  # a developer API: without it, every CPU counts as available
        logger.debug("per-node available resources unknown", exc_info=True)
    views = []
    for node in ray.nodes():
        cpus = float((node.get("Resources") or {}).get("CPU", 0.0))
        if not node.get("Alive") or cpus <= 0:
            continue
        node_id = str(node["NodeID"])
        free = float(available[node_id].get("CPU", 0.0)) if node_id in available else cpus
        views.append(NodeView(node_id, str(node.get("NodeManagerAddress", "?")), cpus, free))
    return views
