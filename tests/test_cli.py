"""`rlvr score` and `rlvr bench` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.cli import main
from rlvr.rewards import REWARDS


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rlvr.cli", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_score_help_lists_every_reward() -> None:
    result = run_cli("score", "--help")
    assert result.returncode == 0
    for name in REWARDS:
        assert name in result.stdout


@pytest.mark.parametrize("name", ["think_format", "think_answer_format", "tag_count"])
def test_score_bundled_example(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out.jsonl"
    result = run_cli("score", name, "--example", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 14
    for row in rows:  # every example line states what each format reward must give it
        assert row["reward"] == row["expected"][name], row
        assert (row["reward_info"] is None) == (row["reward"] == 1.0)
    mean = sum(r["reward"] for r in rows) / len(rows)
    assert "14 items" in result.stderr and f"mean reward {mean:.4f}" in result.stderr


def test_score_streams_to_stdout_with_options(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"completion": "2+2=4\n</think>\n4", "extra": 1}, {"completion": "<think>a</think>b"}],
    )
    result = run_cli("score", "think_format", "-i", str(src), "--set", "think_opened_by_prompt=true")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["reward"] for r in rows] == [1.0, 0.0]
    assert rows[0]["extra"] == 1  # input fields are kept


def test_score_reads_stdin() -> None:
    result = run_cli("score", "tag_count", "-i", "-", stdin='{"completion": "<think>a</think>"}\n')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reward"] == 0.75


def test_malformed_line_is_an_error_with_its_number(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "<think>a</think>b"}\n\n{not json\n', encoding="utf-8")
    result = run_cli("score", "think_format", "-i", str(src))
    assert result.returncode == 1
    assert "line 3" in result.stderr and "not valid JSON" in result.stderr


def test_skip_invalid_nulls_bad_lines_and_goes_on(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '[1, 2]\n{"prompt": "no completion"}\n{"completion": "<think>a</think>b"}\n', encoding="utf-8"
    )
    result = run_cli("score", "think_format", "-i", str(src), "--skip-invalid")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["reward"] for r in rows] == [None, None, 1.0]
    assert rows[0]["line"] == 1 and "JSON object" in rows[0]["reward_info"]
    assert "completion" in rows[1]["reward_info"]
    assert "2 null" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "no_such_reward", "--example"], "unknown reward"),
        (["score", "think_format", "--example", "--set", "colour=red"], "unknown option 'colour'"),
        (["score", "think_format", "--example", "--set", "template=xml"], "template must be one of"),
        (["score", "think_format", "--example", "--set", "novalue"], "not KEY=VALUE"),
        (["score", "think_format"], "exactly one of --input FILE or --example"),
    ],
)
def test_usage_errors_are_clear(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_missing_input_file_is_an_error(tmp_path: Path) -> None:
    result = run_cli("score", "think_format", "-i", str(tmp_path / "absent.jsonl"))
    assert result.returncode == 1 and "absent.jsonl" in result.stderr


def test_main_returns_status_in_process(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    assert main(["score", "think_answer_format", "--example", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows if r["reward"] == 1.0] == ["pass-r1-zero-template"]


def test_bench_executor_runs_small(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    result = run_cli(
        "bench", "executor", "--items", "40", "--repeats", "1", "--workers", "1", "--json", str(report)
    )
    assert result.returncode == 0, result.stderr
    assert "ratio rlvr / peer" in result.stdout
    figures = json.loads(report.read_text())
    assert figures["items"] == 40 and figures["pool_items_per_s"] > 0 and figures["timeout_return_s"] >= 0.5
