"""The report's figures (issue 18): a problem without predictions is unsolved in every figure, the
coverage is stated, pass@k and maj@k are keyed by int k, and figures are rounded where they are printed
or serialised."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest

from rlvr.cli.eval import add_eval_parser
from rlvr.eval import Benchmark, evaluate, load_benchmark
from rlvr.eval.evaluation import Coverage

WRONG = "I am not sure."  # no final answer: wrong, and judged without a worker process


def _predict(bench: Benchmark, plan: dict[int, str]) -> list[dict[str, Any]]:
    """Predictions from a plan: problem index -> one letter per sample, r (the gold) or w (no answer)."""
    return [
        {"idx": index, "completion": f"\\boxed{{{bench[index].answer}}}" if mark == "r" else WRONG}
        for index, marks in plan.items()
        for mark in marks
    ]


def test_one_correct_prediction_of_500_problems_is_0_2_percent_in_every_figure() -> None:
    bench = load_benchmark("math500")
    report = evaluate(bench, _predict(bench, {7: "r"}))
    assert report.accuracy == 0.002
    assert report.pass_at_k == {1: 0.002} and report.maj_at_k == {1: 0.002}
    level, subject = str(bench[7].level), bench[7].subject
    in_level = sum(1 for p in bench if str(p.level) == level)
    in_subject = sum(1 for p in bench if p.subject == subject)
    group = report.by_level[level]
    assert (group["n_problems"], group["n_problems_evaluated"], group["n_samples"]) == (in_level, 1, 1)
    assert group["accuracy"] == group["pass_at_k"][1] == group["maj_at_k"][1] == pytest.approx(1 / in_level)
    assert report.by_subject[subject]["accuracy"] == pytest.approx(1 / in_subject)
    assert all(g["accuracy"] == 0.0 for key, g in report.by_level.items() if key != level)
    # the per-group figures add up to the overall one, each group weighted by its problems
    weighted = sum(g["accuracy"] * g["n_problems"] for g in report.by_subject.values()) / len(bench)
    assert weighted == pytest.approx(report.accuracy)


def test_accuracy_is_the_mean_over_all_problems_of_each_problems_share_of_correct_samples() -> None:
    bench = load_benchmark("amc23").subset(5)
    report = evaluate(bench, _predict(bench, {0: "rrww", 1: "rr", 2: "wwr", 4: "ww"}))  # 3: missing
    assert report.n_samples == 11
    assert report.accuracy == pytest.approx((1 / 2 + 1 + 1 / 3 + 0 + 0) / 5)
    # k up to the fewest samples of a problem with predictions (2); the missing problem scores 0 at each k
    assert list(report.pass_at_k) == list(report.maj_at_k) == [1, 2]
    assert report.pass_at_k[1] == report.maj_at_k[1] == pytest.approx(report.accuracy)
    assert report.pass_at_k[2] == pytest.approx((5 / 6 + 1 + 2 / 3 + 0 + 0) / 5)
    # blocks of 2: problem 0 [r r] [w w] -> 1/2; problem 1 -> 1; problem 2 [w w] (r left over) -> 0
    assert report.maj_at_k[2] == pytest.approx((1 / 2 + 1) / 5)


def test_pass_at_1_equals_accuracy_with_the_same_samples_per_problem() -> None:
    bench = load_benchmark("amc23").subset(4)
    report = evaluate(bench, _predict(bench, {0: "rwww", 1: "rrrw", 2: "wwww", 3: "rrrr"}))
    assert report.accuracy == pytest.approx(8 / 16)
    assert report.pass_at_k[1] == pytest.approx(report.accuracy) == report.maj_at_k[1]
    assert list(report.pass_at_k) == [1, 2, 4]


def test_no_predictions_at_all_scores_zero_at_k_1() -> None:
    report = evaluate(load_benchmark("amc23").subset(3), [])
    assert report.accuracy == 0.0 and report.pass_at_k == {1: 0.0} and report.maj_at_k == {1: 0.0}
    assert report.coverage == Coverage(problems=3, with_predictions=0, by_samples={0: 3})
    assert report.coverage.describe() == "no predictions for any of the 3 problems (all counted unsolved)"


def test_coverage_is_stated_in_the_report_json_markdown_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_benchmark("math500")
    plan = {index: "w" for index in range(300)}
    plan.update({index: "ww" for index in range(10)})
    predictions = [*_predict(bench, plan), {"id": "nope", "completion": WRONG}]
    report = evaluate(bench, predictions)
    coverage = report.coverage
    assert (coverage.problems, coverage.with_predictions, coverage.missing) == (500, 300, 200)
    assert coverage.by_samples == {0: 200, 1: 290, 2: 10}
    sentence = "predictions for 300 of 500 problems (200 missing, counted unsolved)"
    assert coverage.describe() == f"{sentence}, 1 to 2 samples per problem (290 problems with 1, 10 with 2)"
    assert sentence in report.markdown()
    data = json.loads(report.to_json())
    assert data["coverage"] == {
        "problems": 500,
        "with_predictions": 300,
        "missing": 200,
        "by_samples": {"0": 200, "1": 290, "2": 10},
        "summary": coverage.describe(),
    }
    assert len(data["unknown_predictions"]) == 1  # still listed

    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in predictions), encoding="utf-8")
    parser = argparse.ArgumentParser(prog="rlvr")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", "math500", "-p", str(path), "-m", str(tmp_path / "r.md")])
    assert args.handler(args) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert sentence in summary and "1 prediction naming no problem" in summary


def test_uniform_and_complete_coverage_reads_simply() -> None:
    assert Coverage(5, 5, {4: 5}).describe() == "predictions for all 5 problems, 4 samples per problem"
    assert Coverage(5, 4, {0: 1, 1: 4}).describe() == (
        "predictions for 4 of 5 problems (1 missing, counted unsolved), 1 sample per problem"
    )


def test_pass_and_maj_at_k_are_keyed_by_int_k_and_json_by_its_string() -> None:
    bench = load_benchmark("math500").subset(4)
    report = evaluate(bench, _predict(bench, {0: "rw", 1: "rr", 2: "ww", 3: "ww"}))
    assert report.pass_at_k[1] == pytest.approx(0.375) and report.maj_at_k[2] == pytest.approx(0.5)
    group = next(iter(report.by_level.values()))
    assert set(group["pass_at_k"]) == set(group["maj_at_k"]) == {1, 2}
    data = json.loads(report.to_json())
    assert data["pass_at_k"] == {"1": 0.375, "2": 0.5} and data["maj_at_k"] == {"1": 0.375, "2": 0.5}
    assert report.to_dict() == data  # to_dict() is the JSON document itself


def test_figures_are_rounded_where_printed_or_serialised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_benchmark("aime24")
    predictions = _predict(bench, {index: "r" if index < 10 else "w" for index in range(30)})
    report = evaluate(bench, predictions)
    assert report.accuracy == 1 / 3  # the Python object keeps the exact value
    text = report.to_json()
    assert not re.search(r"\d\.\d{5,}", text), text  # 4 decimals at most
    data = json.loads(text)
    assert data["accuracy"] == data["pass_at_k"]["1"] == 0.3333
    assert data["by_level"] == {} and data["most_missed"][0]["accuracy"] == 0.0
    markdown = report.markdown()
    assert "33.3 %" in markdown and "33.33333" not in markdown

    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in predictions), encoding="utf-8")
    parser = argparse.ArgumentParser(prog="rlvr")
    add_eval_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["eval", "aime24", "-p", str(path), "-o", str(tmp_path / "r.json")])
    assert args.handler(args) == 0
    streams = capsys.readouterr()
    assert "accuracy 33.3%" in streams.err and "33.33333" not in streams.err + streams.out
    assert not re.search(r"\d\.\d{5,}", (tmp_path / "r.json").read_text(encoding="utf-8"))
