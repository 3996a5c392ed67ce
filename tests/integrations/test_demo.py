"""The demo: its task and split, the cold start, the machinery on a few steps (fast), and the full demo
(minutes long, marked slow)."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from rlvr.integrations.demo_task import (
    ANSWERS,
    PairTask,
    answer_of,
    balanced_sample,
    completion_of,
    multiset_of,
    prompt_of,
    split_questions,
)

REWARD_LINE = re.compile(r"^reward before: \d\.\d{3} after: \d\.\d{3}$")
ACCURACY_LINE = re.compile(r"^accuracy before: \d\.\d{3} after: \d\.\d{3}$")
UNTRAINED_LINE = re.compile(r"^untrained accuracy: \d\.\d{3}$")


# --- the task and its split (no torch) ---------------------------------------------------------------


@pytest.mark.parametrize("digits", [3, 4, 5])
def test_split_holds_back_whole_digit_multisets(digits: int) -> None:
    split = split_questions(PairTask(digits=digits, seed=7))
    every = {
        "".join(q)
        for q in itertools.product(ANSWERS, repeat=digits)
        if sorted(Counter(q).values()) == [1] * (digits - 2) + [2]
    }
    train, held = set(split.train), set(split.held_back)
    assert len(train) == len(split.train) and len(held) == len(split.held_back)  # no duplicates
    assert train | held == every and not train & held
    # no reordering of a held-back question is a training question
    assert not {multiset_of(q) for q in held} & {multiset_of(q) for q in train}
    assert {multiset_of(q) for q in held} == split.held_back_multisets
    assert {multiset_of(q) for q in train} == split.train_multisets
    # every answer digit is held back, in the same proportion
    held_answers = Counter(answer_of(m) for m in split.held_back_multisets)
    assert set(held_answers) == set(ANSWERS) and len(set(held_answers.values())) == 1
    task = PairTask(digits=digits)
    assert set(Counter(answer_of(q) for q in held).values()) == {task.held_back_per_answer}
    assert set(Counter(answer_of(q) for q in train).values()) == {task.train_per_answer}
    assert 0.1 < len(held) / len(every) < 0.3


def test_split_depends_on_seed_only() -> None:
    assert split_questions(PairTask(seed=3)) == split_questions(PairTask(seed=3))
    assert split_questions(PairTask(seed=3)).held_back != split_questions(PairTask(seed=4)).held_back


def test_format_of_a_question() -> None:
    assert answer_of("40630") == "0" and answer_of("12345".replace("5", "1")) == "1"
    assert prompt_of("40630") + completion_of("40630") == "40630<think>.</think>0"


def test_balanced_sample() -> None:
    split = split_questions(PairTask(digits=4))
    excluded = split.train[::3]
    sample = balanced_sample(split.train, 35, seed=1, exclude=excluded)
    assert len(set(sample)) == 35 and set(sample) <= set(split.train) and not set(sample) & set(excluded)
    counts = Counter(answer_of(q) for q in sample)
    assert max(counts.values()) - min(counts.values()) <= 1 and set(counts) == set(ANSWERS)
    assert balanced_sample(split.train, 35, seed=1, exclude=excluded) == sample
    assert balanced_sample(split.train, 35, seed=2, exclude=excluded) != sample
    with pytest.raises(ValueError, match="not enough questions"):
        balanced_sample(split.held_back, len(split.held_back) + 10, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"digits": 7}, "digits"),
        ({"digits": "5"}, "digits"),
        ({"held_out_fraction": 1.0}, "held_out_fraction"),
        ({"seed": 1.5}, "seed"),
        ({"digits": 3, "held_out_fraction": 0.95}, "held_out_fraction=0.95 leaves no training questions"),
    ],
)
def test_task_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PairTask(**kwargs)  # type: ignore[arg-type]


# --- the demo's engine (needs the [trl] extra) -------------------------------------------------------

pytest.importorskip("trl", reason="needs the [trl] extra")
pytest.importorskip("matplotlib", reason="the demo draws its training curve with matplotlib")

from rlvr.integrations.cold_start import ColdStartConfig, cold_start  # noqa: E402
from rlvr.integrations.demo import (  # noqa: E402
    DemoConfig,
    demo_questions,
    greedy_scores,
    run_demo,
)
from rlvr.integrations.demo_task import ALPHABET  # noqa: E402
from rlvr.integrations.tiny import TinyModelConfig  # noqa: E402

TINY = TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1, num_heads=2, num_kv_heads=1)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


def test_demo_questions_keep_the_held_back_side_unseen() -> None:
    questions = demo_questions(DemoConfig(cold_start_examples=25, eval_questions=60, seed=2))
    held, train = set(questions.split.held_back), set(questions.split.train)
    assert set(questions.held_back_eval) <= held
    assert set(questions.cold_start) <= train and set(questions.train_eval) <= train
    assert not set(questions.cold_start) & set(questions.train_eval)
    assert Counter(answer_of(q) for q in questions.held_back_eval) == Counter({d: 6 for d in ANSWERS})
    assert len(questions.cold_start) == 25 and len(set(questions.cold_start)) == 25


def test_cold_start_teaches_the_format(tmp_path: Path) -> None:
    from rlvr.integrations.tiny import build_tiny, cpu_threads
    from rlvr.rewards import MathAccuracyReward, think_format

    model, tokenizer = build_tiny(DemoConfig().model, alphabet=ALPHABET)  # the demo's model
    questions = demo_questions(DemoConfig(digits=4, eval_questions=20))
    examples = [(prompt_of(q), completion_of(q)) for q in questions.cold_start]
    accuracy = MathAccuracyReward(fallback="last_number")
    rewards = [think_format, accuracy]
    try:
        with cpu_threads(1):
            untrained, _ = greedy_scores(model, tokenizer, questions.held_back_eval, rewards, 4)
            losses = cold_start(model, tokenizer, examples, ColdStartConfig(), tmp_path)
            trained, _ = greedy_scores(model, tokenizer, questions.held_back_eval, rewards, 4)
            _, texts = greedy_scores(model, tokenizer, questions.cold_start, rewards, 4)
    finally:
        accuracy.close()
    assert untrained.format == 0.0 and trained.format == 1.0
    assert len(losses) == ColdStartConfig().steps and losses[-1] < losses[0] / 20
    assert texts == [completion_of(q) for q in questions.cold_start]  # the examples themselves


def _smoke_config(tmp_path: Path, **changes: object) -> DemoConfig:
    settings: dict[str, object] = {
        "steps": 3,
        "prompts_per_step": 2,
        "num_generations": 2,
        "digits": 4,
        "cold_start_steps": 5,
        "eval_questions": 10,
        "eval_every": 2,
        "model": TINY,
        "output_dir": str(tmp_path),
    }
    return DemoConfig(**(settings | changes))  # type: ignore[arg-type]


def test_smoke_run(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    out, err = io.StringIO(), io.StringIO()
    result = run_demo(_smoke_config(tmp_path / "a"), out=out, err=err)
    lines = out.getvalue().rstrip("\n").splitlines()
    assert tuple(lines[-3:]) == result.lines
    assert UNTRAINED_LINE.match(lines[-3]) and REWARD_LINE.match(lines[-2]) and ACCURACY_LINE.match(lines[-1])
    assert sum(bool(ACCURACY_LINE.match(line)) for line in lines) == 1
    assert "| greedy decoding | untrained | after cold start | after GRPO |" in lines
    assert "GRPO" in err.getvalue()  # the progress bar
    b, a = result.before.held_back, result.after.held_back
    assert lines[-1] == f"accuracy before: {b.accuracy:.3f} after: {a.accuracy:.3f}"
    assert lines[-2] == f"reward before: {b.format + b.accuracy:.3f} after: {a.format + a.accuracy:.3f}"
    assert result.rise == pytest.approx(a.accuracy - b.accuracy)
    assert [h["step"] for h in result.history] == [1.0, 2.0, 3.0]
    assert all(
        0.0 <= h["reward"] <= 2.0 and 0.0 <= h["rewards/math_accuracy/mean"] <= 1.0 for h in result.history
    )
    assert [step for step, _ in result.held_back_curve] == [0, 2, 3]
    assert all(0.0 <= accuracy <= 1.0 for _, accuracy in result.held_back_curve)
    assert result.untrained.held_back.format == 0.0  # a random model does not write the format
    root = tmp_path / "a"
    assert (root / "training_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in root.iterdir()) == [
        "cold-start",
        "model",
        "results.json",
        "training_curve.png",
    ]
    figures = json.loads((root / "results.json").read_text())
    assert figures["greedy"]["after_grpo"]["held_back"]["accuracy"] == a.accuracy
    assert figures["greedy"]["after_cold_start"]["train"]["accuracy"] == result.before.train.accuracy
    assert figures["config"]["steps"] == 3 and len(figures["training_batches"]) == 3
    # the saved model is the trained one, and the figures cover every held-back question
    from transformers import AutoTokenizer

    from rlvr.rewards import MathAccuracyReward, think_format

    saved = AutoModelForCausalLM.from_pretrained(root / "model")
    tokenizer = AutoTokenizer.from_pretrained(root / "model")
    accuracy = MathAccuracyReward(fallback="last_number")
    try:
        held_back = demo_questions(_smoke_config(tmp_path)).split.held_back
        scores, _ = greedy_scores(saved, tokenizer, held_back, [think_format, accuracy], 4)
    finally:
        accuracy.close()
    assert scores == a
    # the same seed, the same run
    again = run_demo(_smoke_config(tmp_path / "b", progress=False), out=io.StringIO(), err=io.StringIO())
    assert again.history == result.history and again.lines == result.lines


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
        ({"digits": 2}, "digits"),
        ({"cold_start_examples": 0}, "cold_start_examples"),
        ({"cold_start_steps": 0}, "cold_start_steps"),
        ({"cold_start_learning_rate": 1.5}, "cold_start_learning_rate"),
        ({"eval_questions": 5}, "eval_questions"),
        ({"eval_every": 0}, "eval_every"),
        ({"threads": 0}, "threads"),
        ({"digits": 3}, "eval_questions must be at most 60 with digits=3"),
        ({"digits": 3, "eval_questions": 10, "cold_start_examples": 300}, "cold_start_examples"),
        ({"output_dir": ""}, "output_dir"),
    ],
)
def test_config_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DemoConfig(**kwargs)  # type: ignore[arg-type]


def test_cli_options() -> None:
    from rlvr.cli import demo as demo_cli

    parser = argparse.ArgumentParser(prog="rlvr")
    demo_cli.add_demo_parser(parser.add_subparsers(dest="command"))
    config = demo_cli.config_from_args(
        parser.parse_args(
            [
                "demo",
                "--steps",
                "7",
                "--beta",
                "0",
                "--no-progress",
                "--seed",
                "3",
                "--cold-start-examples",
                "20",
            ]
        )
    )
    assert (config.steps, config.beta, config.progress, config.seed, config.cold_start_examples) == (
        7,
        0.0,
        False,
        3,
        20,
    )
    assert demo_cli.config_from_args(parser.parse_args(["demo"])) == DemoConfig()  # the same defaults


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_full_demo_teaches_the_rule(tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(DemoConfig(output_dir=str(tmp_path), progress=False), out=out, err=io.StringIO())
    assert ACCURACY_LINE.match(out.getvalue().rstrip("\n").splitlines()[-1])
    assert result.before.held_back.format == 1.0  # the cold start taught the format ...
    assert result.before.held_back.accuracy < 0.6  # ... not the rule
    assert result.rise >= 0.3  # GRPO did, on questions it never trained on
    assert result.after.train.accuracy - result.after.held_back.accuracy < 0.1  # no memorisation gap
