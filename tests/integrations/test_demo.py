"""The demo's machinery on a few steps (the full demo, minutes long, is marked slow)."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="needs the [trl] extra")
pytest.importorskip("matplotlib", reason="the demo draws its reward curve with matplotlib")

from rlvr.integrations.demo import (
    DemoConfig,
    add_arguments,
    arithmetic_split,
    config_from_args,
    run_demo,
)
from rlvr.integrations.tiny import TinyModelConfig

LAST_LINE = re.compile(r"^reward before: \d+\.\d{3} after: \d+\.\d{3}$")
TINY = TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1, num_heads=2, num_kv_heads=1)


def test_smoke_run(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    config = DemoConfig(
        steps=3,
        prompts_per_step=2,
        num_generations=2,
        eval_samples=1,
        model=TINY,
        output_dir=str(tmp_path),
        progress=True,
    )
    result = run_demo(config, out=out, err=err)
    lines = out.getvalue().rstrip("\n").splitlines()
    assert LAST_LINE.match(lines[-1]) and lines[-1] == result.line
    assert sum(bool(LAST_LINE.match(line)) for line in lines) == 1
    assert "| held-back prompts | before | after |" in lines
    assert "GRPO" in err.getvalue()  # the progress bar
    assert result.curve is not None and result.curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [h["step"] for h in result.history] == [1.0, 2.0, 3.0]
    assert all(0.0 <= h["reward"] <= 2.0 for h in result.history)
    for evaluation in (result.before, result.after):
        assert 0.0 <= evaluation.greedy.total <= 2.0 and 0.0 <= evaluation.sampled.total <= 2.0
    assert (
        tmp_path / "initial-model" / "config.json"
    ).is_file()  # the reference model TRL reloads (beta > 0)


def test_split_holds_back_unseen_questions() -> None:
    train, held = arithmetic_split(DemoConfig())
    assert len(train) + len(held) == 55 and not set(train) & set(held)
    assert all(a + b <= 9 for a, b in train + held)
    assert arithmetic_split(DemoConfig(seed=1))[1] != held


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps"),
        ({"num_generations": 1}, "num_generations"),
        ({"max_completion_length": 2}, "max_completion_length"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"beta": -0.1}, "beta"),
        ({"loss_type": "cispo"}, "loss_type"),
        ({"held_out_fraction": 1.0}, "held_out_fraction"),
        ({"output_dir": ""}, "output_dir"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DemoConfig(**kwargs)  # type: ignore[arg-type]


def test_cli_options() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(
        parser.parse_args(["--steps", "7", "--beta", "0", "--no-progress", "--seed", "3"])
    )
    assert (config.steps, config.beta, config.progress, config.seed) == (7, 0.0, False, 3)
    assert config_from_args(parser.parse_args([])) == DemoConfig()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_full_demo_learns(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(DemoConfig(output_dir=str(tmp_path), progress=False), out=out, err=io.StringIO())
    assert LAST_LINE.match(out.getvalue().rstrip("\n").splitlines()[-1])
    assert result.rise >= 0.3
    assert result.after.greedy.format == 1.0
