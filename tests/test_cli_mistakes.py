"""The command line under a user's mistakes: each case one a new user hit, each a one-line answer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GOOD = [{"completion": "\\boxed{2}", "answer": "2"}, {"completion": "3", "answer": "2"}]


def run_cli(
    *args: str, stdin: str | bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:  # type: ignore[type-arg]
    text = not isinstance(stdin, bytes)
    return subprocess.run(
        [sys.executable, "-m", "rlvr.cli", *args],
        input=stdin,
        capture_output=True,
        text=text,
        timeout=180,
        cwd=cwd,
    )


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def one_line(stderr: str | bytes) -> str:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_output_onto_its_own_input_is_refused(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    before = source.read_bytes()
    result = run_cli("score", "math", "--input", str(source), "--output", str(source))
    assert result.returncode == 2 and "is the input" in one_line(result.stderr)
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    result = run_cli("score", "math", "--input", str(source), "--output", str(link))
    assert result.returncode == 2 and "is the input" in one_line(result.stderr)
    assert source.read_bytes() == before


def test_output_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(GOOD[0]) + "\n{broken\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("old results\n", encoding="utf-8")
    result = run_cli("score", "math", "--input", str(source), "--output", str(out))
    assert result.returncode == 1 and "line 2" in one_line(result.stderr)
    assert out.read_text(encoding="utf-8") == "old results\n"  # not truncated, not half-written
    assert not [p for p in tmp_path.iterdir() if p.name not in ("in.jsonl", "out.jsonl")]  # no leftovers


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + b'{"completion": "\xff\xfe", "answer": "2"}\n')
    result = run_cli("score", "math", "--input", str(source))
    assert result.returncode == 1 and "line 2" in one_line(result.stderr) and "UTF-8" in result.stderr
    skipped = run_cli("score", "math", "--input", str(source), "--skip-invalid")
    assert skipped.returncode == 0, skipped.stderr
    rows = [json.loads(line) for line in skipped.stdout.splitlines()]
    assert rows[0]["reward"] == 1.0 and rows[1]["reward"] is None and "UTF-8" in rows[1]["reward_info"]
    piped = run_cli("score", "math", "--input", "-", stdin=source.read_bytes())
    assert piped.returncode == 1 and "line 2" in one_line(piped.stderr)


def test_a_file_without_the_gold_column_stops_before_scoring(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"completion": "2"}] * 3)
    out = tmp_path / "out.jsonl"
    result = run_cli("score", "math", "--input", str(source), "--output", str(out))
    assert result.returncode == 1
    assert "'answer'" in one_line(result.stderr)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["score", "math", "--input", "-", "--batch-size", "0"], "--batch-size"),
        (["score", "math", "--input", "-", "--workers", "0"], "--workers"),
        (["score", "math", "--input", "-", "--timeout", "-1"], "--timeout"),
        (["demo", "--steps", "0"], "--steps"),
        (["bench", "executor", "--items", "0"], "--items"),
        (["bench", "executor", "--repeats", "0"], "--repeats"),
        (["score", "math", "--input", "-", "--ray", "nonsense"], "--ray"),
        (["score", "math", "--input", "-", "--ray", "head:70000"], "--ray"),
        (["eval", "amc23", "--predictions", "-", "--ray", "a b:1"], "--ray"),
        (["serve", "--reward", "math", "--ray", "nonsense"], "--ray"),
    ],
)
def test_argument_errors_name_the_flag(args: list[str], flag: str) -> None:
    result = run_cli(*args, stdin="")
    assert result.returncode == 2
    assert flag in result.stderr and "Traceback" not in result.stderr
    assert "ExecutorConfig" not in result.stderr


def test_a_set_option_beats_the_default_of_a_flag(tmp_path: Path) -> None:
    from rlvr.rewards.registry import build_reward

    reward = build_reward("math", {"timeout": "30"})
    assert reward.executor_config(None).timeout == 30.0  # type: ignore[attr-defined]
    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    result = run_cli("score", "math", "--input", str(source), "--set", "timeout=30")
    assert result.returncode == 0, result.stderr


def _interruptible() -> None:
    """In the child: Ctrl-C as a terminal delivers it, even when this test runs where SIGINT is ignored (a
    background job of a non-interactive shell), which the child would otherwise inherit and honour."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_says_where_it_stopped_and_leaves_valid_jsonl(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    out = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rlvr.cli",
            "score",
            "math",
            "--input",
            "-",
            "--output",
            str(out),
            "--batch-size",
            "1",
        ],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write(source.read_text())
    process.stdin.flush()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # both lines judged and written (to the output's temporary file)
        written = [p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.name != "in.jsonl"]
        if any(text.count("\n") == 2 for text in written):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # the process waits for a third line on stdin
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    line = one_line(stderr)
    assert "interrupted" in line and "2 lines" in line and str(out) in line
    rows = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert [r["reward"] for r in rows] == [1.0, 0.0]


def test_a_truncated_line_reports_a_column_inside_it(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"completion": "2", "answer"\n', encoding="utf-8")
    result = run_cli("score", "math", "--input", str(source))
    line = one_line(result.stderr)
    assert "line 1" in line and "column 29" in line and "end of the line" in line, line  # 28 characters


def test_version_and_summaries(tmp_path: Path) -> None:
    from rlvr import __version__

    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"rlvr {__version__}"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    summary = one_line(run_cli("score", "math", "--input", str(empty)).stderr)
    assert "nan" not in summary and summary.startswith("math_accuracy: 0 items")
    source = write_jsonl(tmp_path / "in.jsonl", [{"completion": "hello world", "prompt": "hi"}])
    language = one_line(run_cli("score", "language", "--input", str(source)).stderr)
    assert language.startswith("language_consistency: 1 items")  # the reward's own name, as for math


def test_an_output_that_is_a_device_or_a_fifo_is_written_as_it_is(tmp_path: Path) -> None:
    """A rename into place would replace /dev/null itself (as root): devices and FIFOs are written to."""
    import stat
    import threading

    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    result = run_cli("score", "math", "--input", str(source), "--output", os.devnull)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # still the device
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    result = run_cli("score", "math", "--input", str(source), "--output", str(fifo))
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert [json.loads(line)["reward"] for line in received[0].splitlines()] == [1.0, 0.0]


def test_a_full_disk_fails_the_run_in_one_line(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    result = run_cli("score", "math", "--input", str(source), "--output", "/dev/full")
    assert result.returncode == 1
    assert "cannot write --output /dev/full: No space left on device" in one_line(result.stderr)
