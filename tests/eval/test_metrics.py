"""pass@k and maj@k against hand-computed examples and brute force."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from rlvr.eval import evaluate
from rlvr.eval.datasets import BENCHMARKS, Benchmark, Problem
from rlvr.eval.metrics import assign_classes, ks_for, maj_at_k, majority_class, mean, pass_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (4, 1, 2, Fraction(1, 2)),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (10, 3, 5, Fraction(11, 12)),  # 1 - C(7,5)/C(10,5) = 1 - 21/252
        (8, 2, 4, Fraction(11, 14)),  # 1 - C(6,4)/C(8,4) = 1 - 15/70
        (5, 2, 3, Fraction(9, 10)),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (8, 0, 8, Fraction(0)),
        (8, 8, 1, Fraction(1)),
        (5, 4, 2, Fraction(1)),  # only one wrong sample: any two contain a right one
        (16, 1, 1, Fraction(1, 16)),
    ],
)
def test_pass_at_k_hand_computed(n: int, c: int, k: int, expected: Fraction) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(float(expected), abs=1e-15)


def test_pass_at_k_equals_brute_force_over_all_subsets() -> None:
    for n in range(1, 9):
        for c in range(n + 1):
            samples = [True] * c + [False] * (n - c)
            for k in range(1, n + 1):
                subsets = list(itertools.combinations(samples, k))
                brute = Fraction(sum(any(s) for s in subsets), len(subsets))
                assert pass_at_k(n, c, k) == pytest.approx(float(brute), abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_sample_mean_and_large_n_is_exact() -> None:
    assert pass_at_k(7, 3, 1) == pytest.approx(3 / 7)
    # 1 - C(900, 100) / C(1000, 100): integers far beyond float range, computed exactly
    exact = 1 - Fraction(math.comb(900, 100), math.comb(1000, 100))
    assert pass_at_k(1000, 100, 100) == pytest.approx(float(exact), rel=1e-15)


def test_pass_at_k_is_the_exact_fraction_rounded_once_so_pass_at_1_is_the_accuracy() -> None:
    """pass@1 == c / n to the last bit (issue 18: pass@1 and accuracy are one figure)."""
    for n in range(1, 13):
        for c in range(n + 1):
            assert pass_at_k(n, c, 1) == c / n, (n, c)
            for k in range(1, n + 1):
                exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
                assert pass_at_k(n, c, k) == float(exact), (n, c, k)


@pytest.mark.parametrize(("n", "c", "k"), [(0, 0, 1), (4, 5, 1), (4, -1, 1), (4, 2, 0), (4, 2, 5)])
def test_pass_at_k_rejects_impossible_arguments(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_ks_are_powers_of_two_up_to_n_plus_n() -> None:
    assert ks_for(1) == [1]
    assert ks_for(2) == [1, 2]
    assert ks_for(8) == [1, 2, 4, 8]
    assert ks_for(5) == [1, 2, 4, 5]
    assert ks_for(64) == [1, 2, 4, 8, 16, 32, 64]


def test_majority_ties_go_to_the_class_seen_first_and_none_abstains() -> None:
    assert majority_class([2, 1, 1, 2]) == 2
    assert majority_class([1, 2, 2, 1]) == 1
    assert majority_class([None, None, 3]) == 3
    assert majority_class([None, 4, 5, 5]) == 5
    assert majority_class([]) is None
    assert majority_class([None]) is None


def test_maj_at_k_hand_computed_blocks() -> None:
    labels = [0, 1, 1, 0, 2, 2, 2, 0]
    correct = {0: False, 1: True, 2: True}
    # k=1: the sample accuracy, 5/8
    assert maj_at_k(labels, correct, 1) == pytest.approx(5 / 8)
    # k=2: [0,1] -> 0 (tie, first) wrong; [1,0] -> 1 right; [2,2] right; [2,0] -> 2 right
    assert maj_at_k(labels, correct, 2) == pytest.approx(3 / 4)
    # k=4: [0,1,1,0] -> tie 0/1, 0 seen first: wrong; [2,2,2,0] -> 2: right
    assert maj_at_k(labels, correct, 4) == pytest.approx(1 / 2)
    # k=8: 0 x3, 2 x3, 1 x2 -> tie between 0 and 2, 0 seen first: wrong
    assert maj_at_k(labels, correct, 8) == 0.0
    # k=3: two blocks [0,1,1] -> 1 right, [0,2,2] -> 2 right; the last two samples are left over
    assert maj_at_k(labels, correct, 3) == 1.0


def test_maj_at_k_no_votes_scores_zero_and_unknown_classes_are_wrong() -> None:
    assert maj_at_k([None, None], {}, 2) == 0.0
    assert maj_at_k([None, 7, None], {}, 3) == 0.0
    assert maj_at_k([None, 1, None], {1: True}, 3) == 1.0
    with pytest.raises(ValueError):
        maj_at_k([0, 0], {0: True}, 3)


def test_assign_classes_is_greedy_by_representative_and_batched_per_round() -> None:
    calls: list[int] = []

    def same_value(pairs):  # type: ignore[no-untyped-def]
        calls.append(len(pairs))
        return [Fraction(a) == Fraction(b) for a, b in pairs]

    classes = assign_classes([["1/2", "3", "0.5", "6/12", "3.0"], ["2"], []], same_value)
    assert classes == [[0, 1, 0, 0, 1], [0], []]
    # round 0 compares nothing; rounds 1-4 compare the round's answer with each representative so far
    assert calls == [1, 2, 2, 2]


def test_mean() -> None:
    assert mean([]) == 0.0
    assert mean([1.0, 0.0]) == 0.5


def _one_problem_benchmark(gold: str) -> Benchmark:
    return Benchmark(BENCHMARKS["math500"], (Problem("p0", 0, "question", gold),), "test")


def test_maj_at_k_groups_answers_by_rlvr_equivalence_not_by_string() -> None:
    """Three spellings of 1/2 outvote two identical strings "3": a string vote would pick 3."""
    completions = ["\\boxed{\\frac{1}{2}}", "\\boxed{3}", "\\boxed{3}", "\\boxed{0.5}", "\\boxed{1/2}"]
    bench = _one_problem_benchmark("\\frac{1}{2}")
    report = evaluate(bench, [{"idx": 0, "completion": c} for c in completions])
    assert report.accuracy == pytest.approx(3 / 5)
    # k=2: [1/2, 3] -> tie, 1/2 first: right; [3, 0.5] -> tie, 3 first: wrong
    # k=4: [1/2, 3, 3, 0.5] -> tie 2-2, the 1/2 class voted first: right; k=5: 1/2 three votes to two
    assert report.maj_at_k == {1: pytest.approx(3 / 5), 2: 0.5, 4: 1.0, 5: 1.0}
    # pass@k from n=5, c=3: 1 - C(2,k)/C(5,k)
    assert report.pass_at_k == {1: pytest.approx(0.6), 2: pytest.approx(0.9), 4: 1.0, 5: 1.0}
    assert report.problems[0]["majority_answer"] == "\\frac{1}{2}"
    assert report.problems[0]["majority_correct"] is True


def test_maj_at_k_wrong_majority_and_answerless_samples() -> None:
    completions = ["\\boxed{7}", "no idea", "\\boxed{7.0}", "\\boxed{5}", "I give up"]
    report = evaluate(_one_problem_benchmark("5"), [{"idx": 0, "completion": c} for c in completions])
    assert report.no_answer == 2
    # blocks of 2: [7, -] -> 7 wrong; [7.0, 5] -> tie, 7.0 first: wrong
    assert report.maj_at_k[2] == 0.0
    # all five: 7 (two votes, 7 and 7.0 are one class) beats 5
    assert report.maj_at_k[5] == 0.0
    assert report.pass_at_k[5] == 1.0
    assert report.problems[0]["majority_answer"] == "7"
