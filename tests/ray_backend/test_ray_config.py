"""The Ray backend's settings, command line and bookkeeping — everything that needs no cluster."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import subprocess
import sys

import pytest

from rlvr.cli import main
from rlvr.executor import Executor, ExecutorConfig, ExecutorError
from rlvr.executor.config import resolve_backend
from rlvr.executor.ray_backend import chunk_bound, node_config
from rlvr.executor.ray_cluster import is_this_machine, probe, split_address
from rlvr.executor.ray_fleet import ChunkResult, RunInfo, plan_chunk_size, run_stats
from rlvr.executor.ray_host import parse_actor_name
from rlvr.executor.ray_stats import RayStats
from rlvr.rewards import CodeExecutionReward, MathAccuracyReward
from rlvr.rewards.code_reward import CodeExecutionConfig


@pytest.fixture(autouse=True)
def no_ray_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RLVR_RAY_ADDRESS", raising=False)


# -- settings --------------------------------------------------------------------------------------------


def test_backend_defaults_to_local_and_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ExecutorConfig().backend == "local" and ExecutorConfig().ray_address is None
    monkeypatch.setenv("RLVR_RAY_ADDRESS", "10.1.2.3:6379")
    config = ExecutorConfig()
    assert (config.backend, config.ray_address) == ("ray", "10.1.2.3:6379")
    assert ExecutorConfig(backend="local").backend == "local"  # an explicit choice wins
    assert ExecutorConfig(backend="ray").ray_address == "10.1.2.3:6379"
    assert ExecutorConfig(ray_address="auto").ray_address == "auto"  # the argument wins


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"backend": "spark"}, "ExecutorConfig.backend must be 'local' or 'ray'"),
        ({"backend": "local", "ray_address": "1.2.3.4:6379"}, "ray_address is set .* but backend is 'local'"),
        ({"ray_address": "no-port"}, "ray_address must be HOST:PORT"),
        ({"ray_address": "host:99999"}, "port 99999, out of range"),
        ({"ray_address": "http://host:6379"}, "ray_address must be HOST:PORT"),
        ({"ray_address": 6379}, "ray_address must be a string"),
        ({"ray_chunk_size": 0}, "ray_chunk_size must be an int >= 1"),
        ({"ray_chunk_size": True}, "ray_chunk_size must be an int >= 1"),
    ],
)
def test_invalid_ray_settings_name_the_option(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExecutorConfig(**settings)  # type: ignore[arg-type]


def test_a_bad_environment_address_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLVR_RAY_ADDRESS", "not an address")
    with pytest.raises(ValueError, match=r"\$RLVR_RAY_ADDRESS must be HOST:PORT"):
        ExecutorConfig()


def test_local_means_a_cluster_started_here(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_backend("ray", "local", "X", environ={}) == ("ray", "local")
    assert resolve_backend(None, "local", "X", environ={}) == ("ray", "local")
    assert resolve_backend("ray", None, "X", environ={}) == ("ray", "local")
    config = ExecutorConfig(backend="ray")
    monkeypatch.setenv("RLVR_RAY_ADDRESS", "10.1.2.3:6379")  # resolving again keeps the local cluster
    assert dataclasses.replace(config, timeout=2.0).ray_address == "local"
    assert resolve_backend(None, "ray://head:10001", "X", environ={}) == ("ray", "ray://head:10001")
    assert resolve_backend(None, "[::1]:6379", "X", environ={}) == ("ray", "[::1]:6379")


def test_code_reward_backend_options() -> None:
    assert CodeExecutionReward(ray_address="127.0.0.1:6379").config.backend is None  # resolved per batch
    with pytest.raises(ValueError, match=r"CodeExecutionConfig\.backend must be 'local' or 'ray'"):
        CodeExecutionConfig(backend="spark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"CodeExecutionConfig\.ray_address is set"):
        CodeExecutionConfig(backend="local", ray_address="1.2.3.4:6379")
    reward = CodeExecutionReward.from_options({"backend": "ray", "ray_address": "local"})
    assert (reward.config.backend, reward.config.ray_address) == ("ray", "local")
    assert CodeExecutionReward().remote() is None  # local: nothing to connect to


def test_node_executor_is_local_with_one_worker_and_no_cache() -> None:
    config = ExecutorConfig(backend="ray", ray_address="10.0.0.1:6379", timeout=2.5, preload=("json",))
    node = node_config(config)
    assert (node.backend, node.ray_address, node.max_workers, node.cache_size) == ("local", None, 1, 0)
    assert (node.timeout, node.preload) == (2.5, ("json",))
    assert chunk_bound(4, 2.5, 60.0) == 60.0 + 4 * 7.0 + 10.0


def test_ray_configured_executor_pickles_without_connecting() -> None:
    executor = Executor(ExecutorConfig(backend="ray", ray_address="10.0.0.1:6379"))
    copy = pickle.loads(pickle.dumps(executor))
    assert copy.config == executor.config and copy.ray_stats == RayStats()
    reward = MathAccuracyReward(executor=ExecutorConfig(backend="ray", ray_address="10.0.0.1:6379"))
    assert pickle.loads(pickle.dumps(reward)).executor.config.backend == "ray"
    assert Executor(ExecutorConfig()).ray_stats is None


def test_core_imports_stay_free_of_ray() -> None:
    code = (
        "import sys, rlvr, rlvr.rewards, rlvr.verifiers, rlvr.executor, rlvr.rewards.scoring, rlvr.cli\n"
        "from rlvr.executor import Executor, ExecutorConfig\n"
        "Executor(ExecutorConfig(backend='ray', ray_address='10.0.0.1:6379'))\n"
        "import rlvr.executor.ray_fleet, rlvr.rewards.code_remote, rlvr.sandbox.remote\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- reaching a cluster ----------------------------------------------------------------------------------


def test_addresses() -> None:
    assert split_address("10.0.0.5:6379") == ("10.0.0.5", 6379)
    assert split_address("[fd00::2]:6379") == ("fd00::2", 6379)
    assert is_this_machine("127.0.0.1") and is_this_machine("localhost")
    assert not is_this_machine("203.0.113.9")  # a documentation address: never this machine


def test_nothing_listening_fails_at_once() -> None:
    with pytest.raises(ExecutorError, match=r"cannot reach a Ray cluster at 127\.0\.0\.1:1 .*ray start"):
        probe("127.0.0.1:1")


def test_score_with_an_unreachable_cluster_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "math", "--example", "--ray", "127.0.0.1:1", "--output", os.devnull]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rlvr score: cannot reach a Ray cluster at 127.0.0.1:1") and "\n" not in err
    assert main(["score", "math", "--example", "--ray", "nonsense", "--output", os.devnull]) == 2
    assert "argument --ray: must be HOST:PORT" in capsys.readouterr().err


def test_eval_takes_a_ray_address(capsys: pytest.CaptureFixture[str], tmp_path: os.PathLike[str]) -> None:
    predictions = os.path.join(tmp_path, "p.jsonl")
    with open(predictions, "w", encoding="utf-8") as stream:
        stream.write('{"idx": 0, "completion": "\\\\boxed{1}"}\n')
    assert main(["eval", "amc23", "-p", predictions, "--ray", "127.0.0.1:1"]) == 2
    assert "cannot reach a Ray cluster at 127.0.0.1:1" in capsys.readouterr().err


def test_without_ray_installed_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    executor = Executor(ExecutorConfig(backend="ray", ray_address="auto"))
    from rlvr.executor.probes import add

    with pytest.raises(ExecutorError, match=r"pip install 'ray>=2.40,<3'"):
        executor.map(add, [(1, 2)])


# -- bookkeeping -----------------------------------------------------------------------------------------


def test_chunks_spread_small_batches_and_bound_large_ones() -> None:
    assert plan_chunk_size(10, actors=2, preferred=None) == 3  # four chunks: both actors busy
    assert plan_chunk_size(1, actors=8, preferred=None) == 1
    assert plan_chunk_size(100_000, actors=2, preferred=None) == 128
    assert plan_chunk_size(100_000, actors=2, preferred=500) == 500
    assert plan_chunk_size(30, actors=2, preferred=None, largest=4) == 4


def test_run_stats_and_deltas() -> None:
    a, b = "10.0.0.5/aaaaaaaa", "10.0.0.6/bbbbbbbb"
    results = [
        (64, ChunkResult(value=[], node=a)),
        (64, ChunkResult(value=[], node=b, attempts=2)),  # its first actor was lost
        (10, ChunkResult(error="Ray: lost; then lost", attempts=2)),
    ]
    first = run_stats(results, RunInfo(frozenset({a, b}), actors_lost=2))
    assert (first.items, first.redispatched_items, first.null_items, first.actors_lost) == (128, 74, 10, 2)
    assert dict(first.per_node) == {a: 64, b: 64} and first.nodes == {a, b}
    second = first + run_stats([(5, ChunkResult(value=[], node=a))], RunInfo(frozenset({a}), 0))
    delta = second - first
    assert (delta.items, dict(delta.per_node), delta.nodes, delta.null_items) == (5, {a: 5}, {a}, 0)
    assert delta.metrics()["nodes"] == 1.0 and delta.metrics()[f"items/{a}"] == 5.0
    assert first.describe().startswith("on 2 Ray nodes (128 items judged there:")
    assert "74 re-dispatched, 10 null" in first.describe()
    assert not RayStats().used and dataclasses.replace(RayStats(), null_items=1).used


def test_actor_names_round_trip() -> None:
    assert parse_actor_name("rlvr-host-0123abcd-7") == ("0123abcd", 7)
    assert parse_actor_name("rlvr-host-0123abcd-x") is None
    assert parse_actor_name("someone-else") is None


@pytest.mark.ray
@pytest.mark.timeout(300)
def test_no_address_starts_a_local_cluster_and_stops_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    from .support import require_ray

    ray = require_ray()
    from rlvr.executor import ray_fleet

    for key in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # a home without ~/.ray/auth_token
    saved = dict(os.environ)
    from rlvr.executor.probes import add

    executor = Executor(ExecutorConfig(backend="ray"))
    try:
        assert [o.value for o in executor.map(add, [(i, 1) for i in range(20)])] == list(range(1, 21))
        stats = executor.ray_stats
        assert stats.items == 20 and len(stats.nodes) == 1
        assert os.environ.get("RAY_AUTH_MODE") == "token"  # protected by a private token...
        assert os.path.isfile(os.environ["RAY_AUTH_TOKEN_PATH"])
        assert not os.path.exists(os.path.join(tmp_path, ".ray"))  # ...none left in the home folder
    finally:
        executor.close()
        ray_fleet.close_all()
        os.environ.clear()
        os.environ.update(saved)
    assert not ray.is_initialized()  # the cluster rlvr started ended with its last user


@pytest.mark.ray
@pytest.mark.timeout(600)
def test_the_ray_bench_runs_at_a_small_size() -> None:
    from .support import require_ray

    require_ray()
    from rlvr.bench.ray_bench import RayBenchConfig, run_ray_bench

    report = run_ray_bench(RayBenchConfig(items=200, symbolic=4, programs=2, repeats=1, chunk_sizes=(64,)))
    for workload in ("trivial", "symbolic math", "code"):
        assert {"local", "ray-1", "ray-2"} <= set(report.throughput[workload])
        assert all(value > 0 for value in report.throughput[workload].values())
    assert set(report.overhead_us) == {64} and report.model["Ray round trip of an empty chunk, ms"] > 0
    text = report.markdown()
    assert "| Ray, 2 nodes (2 actors) |" in text and "| 64 |" in text
    assert json.loads(report.to_json())["throughput"]["trivial"]["ray-2"] > 0
