"""``rlvr score``'s engine: hostile lines never lose a run (lone surrogates, undecodable bytes)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from rlvr.rewards import MathAccuracyReward
from rlvr.rewards.scoring import dump_line, score_stream


def test_lone_surrogate_line_is_written_and_the_run_goes_on() -> None:
    lines = [
        json.dumps({"completion": "\\boxed{4}", "answer": "4"}),
        '{"completion": "\\ud800 \\\\boxed{4}", "answer": "4"}',  # a lone surrogate escape
        json.dumps({"completion": "\\boxed{5}", "answer": "5"}),
    ]
    out = io.BytesIO()
    sink = io.TextIOWrapper(out, encoding="utf-8")  # strict: what a file on disk is
    reward = MathAccuracyReward()
    summary = score_stream(reward, io.StringIO("\n".join(lines) + "\n"), sink)
    sink.flush()
    written = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert summary.count == 3 and [r["reward"] for r in written] == [1.0, 1.0, 1.0]
    assert written[1]["completion"].startswith("\ud800")  # the value itself comes back


def test_dump_line_escapes_only_when_needed() -> None:
    assert dump_line({"a": "π"}) == '{"a": "π"}'
    assert json.loads(dump_line({"a": "\udfff"})) == {"a": "\udfff"}


def test_cli_survives_surrogates_and_undecodable_bytes(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"completion": "\\\\boxed{1}", "answer": "1"}\n'
        b'{"completion": "\\ud800", "answer": "1"}\n'
        b'{"completion": "\xff\xfe \\\\boxed{2}", "answer": "2"}\n'
        b'{"completion": "\\\\boxed{3}", "answer": "3"}\n'
    )
    target = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "rlvr.cli",
        "score",
        "math",
        "--input",
        str(source),
        "--output",
        str(target),
    ]
    stopped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert stopped.returncode == 1 and "line 3: not valid UTF-8 (byte 0xff at column 17)" in stopped.stderr
    assert not target.exists()  # nothing half-written
    done = subprocess.run([*command, "--skip-invalid"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [row["reward"] for row in rows] == [1.0, 0.0, None, 1.0]  # a lone surrogate is text; 0xff is not
    assert rows[2] == {
        "line": 3,
        "reward": None,
        "reward_info": "line 3: not valid UTF-8 (byte 0xff at column 17)",
    }
