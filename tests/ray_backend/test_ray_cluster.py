"""Rewards through Ray on a real two-node cluster on this machine: the same verdicts as locally.

One cluster for the module (two raylets, one CPU each; see conftest.py). Math with symbolic items (sympy in
the nodes' workers) and code with hostile programs (the nodes' sandboxes) judged on the cluster and here
must agree; the executor's per-item semantics (errors, deadlines, worker deaths, order, the driver's cache)
hold through Ray; the command line names the nodes; metrics reach the trainer's logger; rewards work from
threads, from a spawned process, and from TRL's trainer in two ranks under ``accelerate``.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rlvr.cli import main
from rlvr.executor import Executor, ExecutorConfig
from rlvr.executor.probes import add, exit_process, identity, spin
from rlvr.executor.ray_local import LocalCluster
from rlvr.rewards import CodeExecutionReward, MathAccuracyReward
from rlvr.verifiers.verdict import Verdict

from .support import MATH_ITEMS, code_rows, require_ray

require_ray()
pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]


def on_ray(cluster: LocalCluster, **settings: Any) -> ExecutorConfig:
    return ExecutorConfig(backend="ray", ray_address=cluster.address, **settings)


def judge_math(reward: MathAccuracyReward) -> list[Verdict]:
    return reward.judge(None, [c for c, _ in MATH_ITEMS], answer=[g for _, g in MATH_ITEMS])


def judge_code(reward: CodeExecutionReward) -> list[Verdict]:
    rows = code_rows()
    return reward.judge(
        None, [r["completion"] for r in rows], verification_info=[r["verification_info"] for r in rows]
    )


@pytest.fixture(scope="module")
def local_math() -> list[Verdict]:
    reward = MathAccuracyReward(timeout=2.0)
    try:
        return judge_math(reward)
    finally:
        reward.close()


@pytest.fixture(scope="module")
def local_code() -> list[Verdict]:
    reward = CodeExecutionReward(program_time_limit=3.0)
    try:
        return judge_code(reward)
    finally:
        reward.close()


def test_math_verdicts_on_two_nodes_equal_local_ones(
    cluster: LocalCluster, local_math: list[Verdict]
) -> None:
    reward = MathAccuracyReward(timeout=2.0, executor=on_ray(cluster, timeout=2.0))
    try:
        verdicts = judge_math(reward)
        stats = reward.ray_stats()
    finally:
        reward.close()
    assert verdicts == local_math  # scores and reasons, item by item
    assert sum(v.score == 1.0 for v in verdicts) >= 6 and sum(v.score == 0.0 for v in verdicts) >= 6
    assert any(v.score is None for v in verdicts)  # the gold that does not parse
    assert stats is not None and stats.items >= 14  # the symbolic items went to the nodes' workers
    assert len(stats.per_node) == 2 and len(stats.nodes) == 2  # both nodes judged some
    assert stats.null_items == stats.redispatched_items == 0


def test_code_verdicts_on_two_nodes_equal_local_ones(
    cluster: LocalCluster, local_code: list[Verdict]
) -> None:
    reward = CodeExecutionReward(program_time_limit=3.0, ray_address=cluster.address)
    try:
        verdicts = judge_code(reward)
        stats = reward.ray_stats()
    finally:
        reward.close()
    rows = code_rows()
    scores = {row["id"]: verdict.score for row, verdict in zip(rows, verdicts, strict=True)}
    assert scores == {row["id"]: v.score for row, v in zip(rows, local_code, strict=True)}
    assert scores["honest-function"] == scores["honest-stdio"] == scores["honest-cpp"] == 1.0
    hacks = [name for name in scores if name.startswith("hack-")]
    assert len(hacks) >= 12 and all(scores[name] in (0.0, None) for name in hacks)
    # every distinct program of a valid task went to the nodes (two rows share one program)
    assert stats is not None and len(stats.per_node) == 2 and stats.items == len(rows) - 2


def test_executor_semantics_hold_through_ray(cluster: LocalCluster) -> None:
    with Executor(on_ray(cluster, timeout=1.0)) as ex:
        out = ex.map(add, [(1, 2), (3, 4), ("a", 1)])
        assert [o.value for o in out[:2]] == [3, 7] and out[2].reason.startswith("TypeError")
        assert ex.map(spin, [(10**9,)])[0].reason == "timeout"  # killed on its node at its deadline
        died = ex.map(exit_process, [(3,)])[0]
        assert died.value is None and died.reason.startswith("worker died (exit code 3)")
        refused = ex.map(identity, [(threading.Lock(),), (5,)])
        assert refused[0].reason.startswith("arguments cannot be pickled") and refused[1].value == 5
        items = [(i, i) for i in range(600)]
        assert [o.value for o in ex.map(add, items)] == [2 * i for i in range(600)]  # in order
        judged, hits = ex.ray_stats.items, ex.stats.cache_hits
        assert [o.value for o in ex.map(add, items)] == [2 * i for i in range(600)]
        assert ex.ray_stats.items == judged and ex.stats.cache_hits == hits + 600  # the driver's cache
        assert ex.map(identity, []) == []
        assert ex.stats.timeouts == 1


def test_metrics_reach_the_trainers_logger(cluster: LocalCluster) -> None:
    logged: dict[str, float] = {}
    reward = MathAccuracyReward(executor=on_ray(cluster), name="acc")
    symbolic = [(c, g) for c, g in MATH_ITEMS if "cot" in g]
    try:
        completions, golds = [c for c, _ in symbolic], [g for _, g in symbolic]
        scores = reward(completions=completions, answer=golds, log_metric=logged.__setitem__)
        assert len(scores) == len(symbolic)
        first = dict(logged)
        logged.clear()
        reward(completions=completions, answer=golds, log_metric=logged.__setitem__)
    finally:
        reward.close()
    assert first["rewards/acc/ray/items"] == len(symbolic) and first["rewards/acc/ray/nodes"] == 2.0
    assert first["rewards/acc/ray/redispatched"] == first["rewards/acc/ray/nulls"] == 0.0
    per_node = [key for key in first if key.startswith("rewards/acc/ray/items/")]
    assert len(per_node) == 2 and sum(first[key] for key in per_node) == len(symbolic)
    assert "rewards/acc/ray/items" not in logged  # the second call came from the driver's cache


def test_command_line_names_the_nodes_and_matches_local(cluster: LocalCluster, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("code", "math"):
        local_out, ray_out = tmp_path / f"{name}-local.jsonl", tmp_path / f"{name}-ray.jsonl"
        assert main(["score", name, "--example", "--output", str(local_out)]) == 0
        result = subprocess.run(
            [sys.executable, "-m", "rlvr.cli", "score", name, "--example", "--ray", cluster.address],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        summary = result.stderr.strip().splitlines()[-1]
        assert " on 2 Ray nodes (" in summary, summary
        ray_out.write_text(result.stdout, encoding="utf-8")  # stdout holds the JSONL and nothing else
        got = [json.loads(line) for line in result.stdout.splitlines()]
        want = [json.loads(line) for line in local_out.read_text(encoding="utf-8").splitlines()]
        assert [r["reward"] for r in got] == [r["reward"] for r in want]


def test_the_environment_variable_selects_the_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({"completion": c, "answer": g}) + "\n" for c, g in MATH_ITEMS if "cot" in g),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "RLVR_RAY_ADDRESS": cluster.address}
    result = subprocess.run(
        [sys.executable, "-m", "rlvr.cli", "score", "math", "--input", str(source), "--output", os.devnull],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    symbolic = sum("cot" in g for _, g in MATH_ITEMS)
    assert f" on 2 Ray nodes ({symbolic} items judged there:" in result.stderr.strip().splitlines()[-1]


def test_rewards_share_the_actors_across_threads(
    cluster: LocalCluster, local_math: list[Verdict], local_code: list[Verdict]
) -> None:
    math = MathAccuracyReward(timeout=2.0, executor=on_ray(cluster, timeout=2.0))
    code = CodeExecutionReward(program_time_limit=3.0, ray_address=cluster.address)
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(judge_math, math), pool.submit(judge_code, code)] * 2
            results = [f.result(timeout=300) for f in futures]
    finally:
        math.close()
        code.close()
    for index, verdicts in enumerate(results):
        if index % 2 == 0:
            assert verdicts == local_math
        else:
            assert [v.score for v in verdicts] == [v.score for v in local_code]


def _score_in_child(blob: bytes, queue: Any) -> None:
    reward = pickle.loads(blob)
    try:
        queue.put(reward(completions=[c for c, _ in MATH_ITEMS], answer=[g for _, g in MATH_ITEMS]))
    finally:
        reward.close()


def test_a_pickled_reward_scores_in_a_spawned_process(
    cluster: LocalCluster, local_math: list[Verdict]
) -> None:
    reward = MathAccuracyReward(timeout=2.0, executor=on_ray(cluster, timeout=2.0))
    blob = pickle.dumps(reward)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_score_in_child, args=(blob, queue))
    child.start()
    try:
        scores = queue.get(timeout=240)
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
    assert scores == [v.score for v in local_math]


LAUNCHED = textwrap.dedent(
    """
    import json, os, sys
    import torch
    import trl
    from datasets import Dataset
    from accelerate import PartialState
    from rlvr.integrations.tiny import TinyModelConfig, build_tiny
    from rlvr.rewards import CodeExecutionReward

    out, address = sys.argv[1], sys.argv[2]
    rank = os.environ.get("RANK", "0")
    config = TinyModelConfig(hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1)
    model, tokenizer = build_tiny(config, alphabet="0123456789+=", save_dir=f"{out}/model-{rank}")
    state = PartialState()
    info = {"entry_point": "f", "cases": [{"args": [1], "expected": 2}], "time_limit": 1.0}
    data = Dataset.from_dict({"prompt": ["1+1=", "2+2=", "3+3=", "4+4="], "verification_info": [info] * 4})
    code = CodeExecutionReward(ray_address=address, program_time_limit=3.0)
    args = trl.GRPOConfig(
        output_dir=f"{out}/run", per_device_train_batch_size=4, num_generations=4, max_completion_length=8,
        max_steps=1, logging_steps=1, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
        disable_tqdm=True, seed=0,
    )
    trainer = trl.GRPOTrainer(
        model=model, reward_funcs=[code], args=args, train_dataset=data, processing_class=tokenizer
    )
    trainer.train()
    # and a batch of this rank's own, on the cluster and here
    programs = [f"def f(x):\\n    return x + {k}" for k in range(4)]
    shard = programs[int(rank) :: state.num_processes]
    on_ray = code(completions=shard, verification_info=[info] * len(shard))
    here = CodeExecutionReward(program_time_limit=3.0)
    local = here(completions=shard, verification_info=[info] * len(shard))
    here.close()
    stats = code.ray_stats()
    code.close()
    with open(f"{out}/rank-{rank}.json", "w") as stream:
        json.dump({"history": trainer.state.log_history, "on_ray": on_ray, "local": local,
                   "ray_items": stats.items, "processes": state.num_processes}, stream)
    state.wait_for_everyone()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    """
)


def test_trl_trainer_in_two_ranks_under_accelerate(cluster: LocalCluster, tmp_path: Path) -> None:
    pytest.importorskip("trl", reason="needs the [trl] extra")
    script = tmp_path / "train.py"
    script.write_text(LAUNCHED, encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "OMP_NUM_THREADS": "1"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no", "--multi_gpu",
        str(script), str(tmp_path), cluster.address,
    ]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank, expected in (("0", [0.0, 0.0]), ("1", [1.0, 0.0])):  # x + 0, x + 2; x + 1, x + 3
        report = json.loads((tmp_path / f"rank-{rank}.json").read_text(encoding="utf-8"))
        assert report["processes"] == 2
        assert report["on_ray"] == report["local"] == expected
        assert report["ray_items"] >= 4 + len(report["on_ray"])  # the trainer's batch and its own
        logged = {key for entry in report["history"] for key in entry}
        assert "rewards/code_execution/mean" in logged and "rewards/code_execution/ray/items" in logged


def test_a_sandbox_that_cannot_start_on_the_nodes_gives_reasons_not_waits(cluster: LocalCluster) -> None:
    reward = CodeExecutionReward(python="/nonexistent/python3", ray_address=cluster.address)
    rows = code_rows()[:6]
    try:
        started = time.monotonic()
        verdicts = reward.judge(
            None, [r["completion"] for r in rows], verification_info=[r["verification_info"] for r in rows]
        )
        seconds = time.monotonic() - started
        stats = reward.ray_stats()
    finally:
        reward.close()
    unjudged = [v for r, v in zip(rows, verdicts, strict=True) if r["id"] != "invalid-info"]
    assert unjudged and all(v.score is None and "SandboxUnavailableError" in v.reason for v in unjudged)
    assert "then" in unjudged[0].reason  # tried twice, on two actors
    assert stats is not None and stats.actors_lost == 0 and seconds < 30  # the actors are kept
