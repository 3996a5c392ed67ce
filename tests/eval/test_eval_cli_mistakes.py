"""``rlvr eval`` under a user's mistakes (issue 18): each gets one line on stderr and an exit status —
2 for a wrong argument, 1 for an unreadable predictions file, 130 for Ctrl-C — never a traceback, and
never an overwritten predictions file or a half-written report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

GOOD = [{"idx": 0, "completion": "so \\boxed{27}"}, {"idx": 1, "completion": "\\boxed{35}"}]


def run_eval(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "rlvr.cli", "eval", *args], input=stdin, capture_output=True, timeout=180
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--workers", "0"),
        ("--workers", "two"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--timeout", "-1"),
        ("--batch-size", "0"),
        ("--most-missed", "-1"),
    ],
)
def test_a_bad_number_is_an_argparse_error_naming_the_flag(tmp_path: Path, flag: str, value: str) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", GOOD)
    result = run_eval("amc23", "-p", str(predictions), flag, value)
    assert result.returncode == 2
    assert f"rlvr eval: error: argument {flag}: " in result.stderr and "Traceback" not in result.stderr
    assert "EvalConfig" not in result.stderr


@pytest.mark.parametrize("flag", ["--output", "--markdown", "--plot"])
@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_a_report_onto_the_predictions_file_is_refused(tmp_path: Path, flag: str, how: str) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", GOOD)
    before = predictions.read_bytes()
    target = predictions
    if how == "symlink":
        target = tmp_path / "link.jsonl"
        target.symlink_to(predictions)
    elif how == "hard link":
        target = tmp_path / "hard.jsonl"
        os.link(predictions, target)
    result = run_eval("amc23", "-p", str(predictions), flag, str(target))
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert flag in line and "is the predictions file" in line
    assert predictions.read_bytes() == before and result.stdout == ""


def test_two_reports_onto_one_file_and_a_missing_folder_are_refused_before_grading(tmp_path: Path) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", GOOD)
    report = tmp_path / "r.txt"
    result = run_eval("amc23", "-p", str(predictions), "-o", str(report), "-m", str(report))
    assert result.returncode == 2 and "--markdown" in one_line(result.stderr) and not report.exists()
    result = run_eval("amc23", "-p", str(predictions), "-o", str(tmp_path / "no" / "r.json"))
    assert result.returncode == 2 and "--output" in one_line(result.stderr) and result.stdout == ""


def test_invalid_utf8_names_its_line(tmp_path: Path) -> None:
    predictions = tmp_path / "p.jsonl"
    predictions.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + b'{"idx": 1, "completion": "\xff"}\n')
    result = run_eval("amc23", "-p", str(predictions))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "line 2" in line and "UTF-8" in line and str(predictions) in line
    piped = run_eval("amc23", "-p", "-", stdin=predictions.read_bytes())
    assert piped.returncode == 1 and "line 2" in one_line(piped.stderr)


def test_bad_json_names_its_line_and_leaves_an_old_report_alone(tmp_path: Path) -> None:
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps(GOOD[0]) + "\n\n{broken\n", encoding="utf-8")
    report = tmp_path / "r.json"
    report.write_text("old report\n", encoding="utf-8")
    result = run_eval("amc23", "-p", str(predictions), "-o", str(report))
    assert result.returncode == 1 and "line 3: not valid JSON" in one_line(result.stderr)
    assert report.read_text(encoding="utf-8") == "old report\n"


def test_a_missing_predictions_file_is_one_line(tmp_path: Path) -> None:
    result = run_eval("amc23", "-p", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        f"rlvr eval: cannot read --predictions {tmp_path / 'nope.jsonl'}: No such file or directory"
    )


def test_reports_are_written_whole_with_the_usual_permissions(tmp_path: Path) -> None:
    predictions = write_jsonl(tmp_path / "p.jsonl", GOOD)
    report, markdown = tmp_path / "r.json", tmp_path / "r.md"
    result = run_eval("amc23", "-p", str(predictions), "-o", str(report), "-m", str(markdown))
    assert result.returncode == 0, result.stderr
    assert json.loads(report.read_text(encoding="utf-8"))["n_samples"] == 2
    assert markdown.read_text(encoding="utf-8").startswith("## rlvr eval: AMC 2023")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl", "r.json", "r.md"]  # no leftovers
    assert report.stat().st_mode & 0o777 == predictions.stat().st_mode & 0o777  # not mkstemp's 0600


def _reading_stdin(pid: int) -> bool:
    """Whether the process is blocked reading its stdin pipe (Linux /proc)."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        pytest.skip("needs /proc/PID/wchan")
    return "pipe" in wchan


def _interruptible() -> None:
    """In the child: Ctrl-C as a terminal delivers it, even when this test runs where SIGINT is ignored (a
    background job of a non-interactive shell), which the child would otherwise inherit and honour."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_is_one_line_and_exit_130(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    report.write_text("old report\n", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "rlvr.cli", "eval", "amc23", "-p", "-", "-o", str(report)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(GOOD[0]) + "\n")
    process.stdin.flush()
    deadline = time.monotonic() + 120
    while not _reading_stdin(process.pid):  # started up, and waiting for more predictions
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert one_line(err) == "rlvr eval: interrupted: no report written" and out == ""
    assert report.read_text(encoding="utf-8") == "old report\n"
