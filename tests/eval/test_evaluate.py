"""``evaluate`` and ``rlvr eval``: gold self-checks, the ToRA reproduction, reporting of missing and unknown
predictions, the report formats and the command line."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rlvr.cli.eval import add_eval_parser
from rlvr.eval import EvalConfig, PredictionError, evaluate, load_benchmark
from rlvr.eval.datasets import BENCHMARKS
from rlvr.rewards.base import Item
from rlvr.rewards.math_reward import Judged, MathAccuracyReward
from rlvr.verifiers.verdict import Verdict

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
TORA = SHARED / "outputs_gsm8k_tora.jsonl"


def _gold_predictions(name: str) -> list[dict[str, Any]]:
    """Two samples per problem, the gold boxed; problems named by id and by idx in turn."""
    rows = []
    for problem in load_benchmark(name):
        key = {"id": problem.id} if problem.index % 2 else {"idx": problem.index}
        rows.append({**key, "completion": f"The answer is $\\boxed{{{problem.answer}}}$."})
        rows.append(
            {**key, "completion": f"<think>it is {problem.answer}</think> $\\boxed{{{problem.answer}}}$"}
        )
    return rows


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_gold_answers_submitted_as_predictions_score_100_percent(name: str) -> None:
    report = evaluate(name, _gold_predictions(name), EvalConfig(workers=2))
    size = BENCHMARKS[name].size
    assert (report.n_problems, report.n_samples) == (size, 2 * size)
    assert report.accuracy == 1.0
    assert report.pass_at_k == {1: 1.0, 2: 1.0}
    assert report.maj_at_k == {1: 1.0, 2: 1.0}
    assert report.no_answer == report.unjudged == 0
    assert report.missing_problems == [] and report.unknown_predictions == [] and report.most_missed == []


def test_gsm8k_reference_solutions_score_100_percent() -> None:
    bench = load_benchmark("gsm8k")
    report = evaluate(bench, [{"idx": p.index, "completion": p.solution} for p in bench])
    assert report.accuracy == 1.0 and report.fallback == "last_number"


def _tora(generator: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in TORA.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["id"].endswith(f"-{generator}")]


@pytest.mark.skipif(not TORA.exists(), reason="the ToRA development file is not in ../shared/data")
@pytest.mark.parametrize(
    ("generator", "published", "correct", "lenient_only"),
    [
        ("ToRA-70B-v1.0", 84.3, 1112, []),
        # ToRA's grader also accepts pred*100 and pred/100: 0.05 for 5 and 0.7 for 70 (a pass rate)
        ("ToRA-Code-34B-v1.0", 80.7, 1062, ["gsm8k-test-191", "gsm8k-test-806"]),
    ],
)
def test_tora_outputs_reproduce_the_published_gsm8k_accuracy(
    generator: str, published: float, correct: int, lenient_only: list[str]
) -> None:
    """rlvr agrees with the strict label on every one of the 1,319 trajectories; the published figure
    uses ToRA's percentage leniency, which rlvr does not have, and differs by exactly those items."""
    rows = _tora(generator)
    assert len(rows) == 1319
    predictions = [{"idx": int(r["id"].split("-")[2]), "completion": r["model_output"]} for r in rows]
    report = evaluate("gsm8k", predictions)
    passed = {p["id"]: p["correct"] == 1 for p in report.problems}
    strict = {r["id"].removesuffix(f"-{generator}"): r["label"] for r in rows}
    lenient = {r["id"].removesuffix(f"-{generator}"): r["meta"]["label_tora_grader"] for r in rows}
    assert passed == strict
    assert sorted(k for k in lenient if lenient[k] != passed[k]) == lenient_only
    assert sum(passed.values()) == correct
    assert round(100 * (correct + len(lenient_only)) / 1319, 1) == published
    assert report.accuracy == pytest.approx(correct / 1319)


def test_missing_problems_and_unknown_predictions_are_reported_not_dropped() -> None:
    bench = load_benchmark("amc23").subset(4)
    predictions = [
        {"idx": 0, "completion": "\\boxed{27}"},
        {"id": "amc23-1", "completion": "\\boxed{36}"},
        {"id": "amc23-1", "completion": "\\boxed{35}"},
        {"id": "nope", "completion": "\\boxed{1}"},
        {"idx": 40, "completion": "\\boxed{1}"},
        {"id": "amc23-0", "idx": 2, "completion": "\\boxed{27}"},
        {"id": "not-ours", "idx": 3, "completion": "\\boxed{0}"},  # an unknown id falls back to idx
    ]
    report = evaluate(bench, predictions)
    assert report.n_samples == 4 and report.n_problems_evaluated == 3
    assert report.missing_problems == ["amc23-2"]
    assert [(u["line"], u["reason"]) for u in report.unknown_predictions] == [
        (4, "unknown id 'nope'"),
        (5, "idx 40 out of range 0..3"),
        (6, "id 'amc23-0' is problem 0, but idx says 2"),
    ]
    # ks follow the fewest samples of a problem with predictions (1); the missing problem scores 0
    assert report.samples_per_problem == {"min": 1, "max": 2}
    assert report.coverage.by_samples == {0: 1, 1: 2, 2: 1}
    assert report.pass_at_k == {1: pytest.approx((1 + 0.5 + 0 + 0) / 4)}
    assert report.accuracy == report.pass_at_k[1]  # the mean over problems, not over samples
    markdown = report.markdown()
    assert "Problems without predictions (1)" in markdown and "`amc23-2`" in markdown
    assert "Predictions naming no problem (3)" in markdown and "unknown id 'nope'" in markdown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"idx": 0, "completion": "x"}\nnot json\n', "line 2: not valid JSON"),
        ('{"idx": 0, "completion": "x"}\n\n[1, 2]\n', "line 3: expected a JSON object"),
        ('{"idx": 0}\n', 'line 1: no "completion" field'),
        ('{"completion": "x"}\n', 'line 1: no "id" or "idx"'),
        ('{"idx": "3", "completion": "x"}\n', "line 1: idx must be an integer"),
    ],
)
def test_malformed_prediction_lines_fail_with_their_line_number(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PredictionError, match=message):
        evaluate(load_benchmark("amc23"), path)


def test_breakdowns_most_missed_and_answerless_samples() -> None:
    bench = load_benchmark("math500").subset(6)
    predictions = []
    for problem in bench:
        right = f"\\boxed{{{problem.answer}}}"
        samples = [right, right] if problem.index % 2 == 0 else [right, "\\boxed{999}"]
        if problem.index == 5:
            samples = ["\\boxed{999}", "I am not sure."]
        predictions += [{"idx": problem.index, "completion": text} for text in samples]
    report = evaluate(bench, predictions, EvalConfig(most_missed=2))
    assert report.no_answer == 1
    assert report.reasons["no final answer found"] == 1
    assert sum(g["n_problems"] for g in report.by_level.values()) == 6
    assert sum(g["n_samples"] for g in report.by_subject.values()) == 12
    assert {level for level in report.by_level} <= {"1", "2", "3", "4", "5"}
    first, second = report.most_missed
    assert (first["id"], first["correct"], first["wrong_answers"], first["no_answer"]) == (
        bench[5].id,
        0,
        [["999", 1]],
        1,
    )
    assert second["index"] == 1 and second["accuracy"] == 0.5
    assert report.problems[5]["majority_answer"] == "999"


def test_chat_completions_and_unjudged_samples_count_as_wrong() -> None:
    class SecondUnjudged(MathAccuracyReward):
        def judge_items(self, items: Sequence[Item]) -> list[Judged]:
            judged = super().judge_items(items)
            return [
                Judged(Verdict.unjudged("timeout"), j.answer) if i == 1 else j for i, j in enumerate(judged)
            ]

    bench = load_benchmark("amc23").subset(2)
    predictions = [
        {
            "idx": 0,
            "completion": [{"role": "user", "content": "?"}, {"role": "assistant", "content": "\\boxed{27}"}],
        },
        {"idx": 1, "completion": "\\boxed{36}"},
    ]
    reward = SecondUnjudged()
    try:
        report = evaluate(bench, predictions, reward=reward)
    finally:
        reward.close()
    assert report.accuracy == 0.5 and report.unjudged == 1 and report.reasons == {"timeout": 1}


def test_json_report_keys_round_trip_and_png(tmp_path: Path) -> None:
    bench = load_benchmark("math500").subset(8)
    predictions = [
        {"idx": p.index, "completion": f"\\boxed{{{p.answer if s % 2 == 0 else '0'}}}"}
        for p in bench
        for s in range(4)
    ]
    report = evaluate(bench, predictions)
    data = json.loads(report.to_json())
    for key in ("benchmark", "n_problems", "n_samples", "accuracy", "pass_at_k", "maj_at_k"):
        assert key in data
    assert data["benchmark"] == "math500" and data["n_problems"] == 8 and data["n_samples"] == 32
    assert list(data["pass_at_k"]) == list(data["maj_at_k"]) == ["1", "2", "4"]
    assert data["pass_at_k"]["4"] == 1.0 and data["accuracy"] == pytest.approx(0.5)
    assert data["maj_at_k"]["2"] == 1.0  # [right, wrong]: a tie, the right answer voted first
    markdown = report.markdown()
    for heading in (
        "## rlvr eval: MATH-500",
        "| pass@k (%) |",
        "### By level",
        "### By subject",
        "Most-missed",
    ):
        assert heading in markdown
    pytest.importorskip("matplotlib")
    png = tmp_path / "report.png"
    report.plot(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _cli() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rlvr")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_writes_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    predictions = tmp_path / "p.jsonl"
    lines = [
        json.dumps({"idx": i, "completion": f"\\boxed{{{p.answer}}}"})
        for i, p in enumerate(load_benchmark("aime25"))
    ]
    predictions.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    args = _cli().parse_args(
        [
            "eval",
            "aime25",
            "-p",
            str(predictions),
            "-o",
            str(tmp_path / "r.json"),
            "--markdown",
            str(tmp_path / "r.md"),
        ]
    )
    assert args.handler(args) == 0
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["n_samples"] == 29 and data["missing_problems"] == ["aime-2025-II-15"]
    assert data["pass_at_k"]["1"] == data["accuracy"] == round(29 / 30, 4)
    assert "## rlvr eval: AIME 2025" in (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "predictions for 29 of 30 problems (1 missing, counted unsolved)" in capsys.readouterr().err


def test_cli_reads_stdin_and_prints_markdown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"idx": 0, "completion": "so 27"}\n'))
    args = _cli().parse_args(["eval", "amc23", "--predictions", "-", "--fallback", "last_number"])
    assert args.handler(args) == 0
    out = capsys.readouterr()
    assert "## rlvr eval: AMC 2023" in out.out and "fallback `last_number`" in out.out


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"idx": 0}\n', encoding="utf-8")
    args = _cli().parse_args(["eval", "gsm8k", "-p", str(bad)])
    assert args.handler(args) == 1
    assert 'line 1: no "completion" field' in capsys.readouterr().err
    args = _cli().parse_args(["eval", "gsm8k", "-p", str(tmp_path / "missing.jsonl")])
    assert args.handler(args) == 1
    with pytest.raises(SystemExit):  # argparse names --timeout: see test_eval_cli_mistakes.py
        _cli().parse_args(["eval", "gsm8k", "-p", str(bad), "--timeout", "0"])
    with pytest.raises(SystemExit):
        _cli().parse_args(["eval", "mmlu", "-p", str(bad)])
