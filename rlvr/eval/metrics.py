"""pass@k, maj@k and the grouping of sampled answers into equivalence classes. Pure functions.

**pass@k** is the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models Trained
on Code": with ``n`` samples of which ``c`` are correct, ``1 - C(n-c, k) / C(n, k)``, the probability
that at least one of ``k`` samples drawn without replacement from the ``n`` is correct. It is computed
with exact integers and one rounding, so pass@1 is exactly ``c / n``, the problem's accuracy.

**maj@k** (majority voting, "self-consistency") is defined here over disjoint blocks: a problem's ``n``
samples, in the order given, are cut into ``n // k`` consecutive blocks of ``k`` (the ``n mod k`` samples
left over are not used for that ``k``); in each block the answers vote, the largest equivalence class
wins (a tie goes to the class whose first vote in the block came first), and the block scores 1 when
the winning class is correct. maj@k of a problem is the mean over its blocks; maj@1 is then the plain
accuracy and maj@n the single vote over all samples. Samples without an answer do not vote; a block
where nobody votes scores 0.

Answers vote by class, not by string: :func:`assign_classes` puts each distinct answer (in order of
first appearance) into the first class whose representative (its first member) it is equivalent to,
else into a new class. The equivalence test is supplied by the caller (rlvr's verifier in
:mod:`rlvr.eval.evaluation`, with the representative as the gold).

Example:
    >>> round(pass_at_k(n=4, c=1, k=2), 4)
    0.5
    >>> maj_at_k([0, 1, 1, 0, 2, 2, 2, 0], {0: False, 1: True, 2: True}, k=4)
    0.5
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem: ``1 - C(n-c, k) / C(n, k)`` (Chen et al., 2021).

    Args:
        n: samples drawn.
        c: samples correct (``0 <= c <= n``).
        k: the budget (``1 <= k <= n``).

    Example:
        >>> pass_at_k(5, 0, 3), pass_at_k(5, 5, 3), pass_at_k(5, 3, 3)
        (0.0, 1.0, 1.0)
        >>> pass_at_k(5, 2, 3)  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        0.9
        >>> pass_at_k(3, 1, 1) == 1 / 3  # exactly the share of correct samples
        True
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= c <= n:
        raise ValueError(f"c must be in [0, n], got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, n], got k={k}, n={n}")
    if n - c < k:
        return 1.0
    total = comb(n, k)
    return (total - comb(n - c, k)) / total  # one correctly rounded division of exact integers


def ks_for(n: int) -> list[int]:
    """The budgets reported for ``n`` samples per problem: 1, 2, 4, 8, ... up to ``n``, and ``n`` itself.

    Example:
        >>> ks_for(1), ks_for(8), ks_for(12)
        ([1], [1, 2, 4, 8], [1, 2, 4, 8, 12])
        >>> ks_for(0)
        []
    """
    ks = []
    k = 1
    while k <= n:
        ks.append(k)
        k *= 2
    if n >= 1 and ks[-1] != n:
        ks.append(n)
    return ks


def majority_class(labels: Sequence[int | None]) -> int | None:
    """The winning class of one vote: the most frequent label; a tie goes to the label seen first.

    ``None`` labels (samples without an answer) do not vote; ``None`` when nobody voted.

    Example:
        >>> majority_class([3, 1, 1, 3, None, None])
        3
        >>> majority_class([None, None]) is None
        True
    """
    counts: dict[int, int] = {}
    for label in labels:
        if label is not None:
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return next(label for label, count in counts.items() if count == best)


def maj_at_k(labels: Sequence[int | None], correct: Mapping[int, bool], k: int) -> float:
    """maj@k of one problem: the mean over its ``len(labels) // k`` consecutive blocks of ``k`` samples.

    Args:
        labels: the class of each sample's answer, in sample order (``None``: no answer).
        correct: whether each class is correct (a class missing here counts as wrong).
        k: the block size (``1 <= k <= len(labels)``).

    Example:
        >>> maj_at_k([0, 0, 1], {0: False, 1: True}, k=3)
        0.0
        >>> maj_at_k([1, 0, 0, 1], {0: False, 1: True}, k=2)  # blocks [1, 0] -> 1, [0, 1] -> 0
        0.5
    """
    n = len(labels)
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, {n}], got {k}")
    blocks = n // k
    wins = 0
    for block in range(blocks):
        winner = majority_class(labels[block * k : (block + 1) * k])
        wins += winner is not None and bool(correct.get(winner, False))
    return wins / blocks


def assign_classes(
    distinct: Sequence[Sequence[str]], equivalent: Callable[[Sequence[tuple[str, str]]], Sequence[bool]]
) -> list[list[int]]:
    """Group each problem's distinct answers into classes, greedily and in order: an answer joins the
    first class whose representative it is equivalent to, else it starts a new class.

    ``distinct`` holds, per problem, its distinct answers in order of first appearance. ``equivalent``
    judges a batch of (representative, answer) pairs; it is called once per round, round ``r`` holding
    the ``r``-th answer of every problem against that problem's representatives so far, so the whole
    benchmark needs as many calls as the largest number of distinct answers of one problem.

    Example:
        >>> same_number = lambda pairs: [float(a) == float(b) for a, b in pairs]
        >>> assign_classes([["1", "2", "1.0", "3", "2.00"], ["7"]], same_number)
        [[0, 1, 0, 2, 1], [0]]
    """
    classes: list[list[int]] = [[] for _ in distinct]
    representatives: list[list[str]] = [[] for _ in distinct]
    rounds = max((len(answers) for answers in distinct), default=0)
    for step in range(rounds):
        pairs: list[tuple[str, str]] = []
        owners: list[int] = []
        for problem, answers in enumerate(distinct):
            if step < len(answers):
                for rep in representatives[problem]:
                    pairs.append((rep, answers[step]))
                    owners.append(problem)
        verdicts = list(equivalent(pairs)) if pairs else []
        if len(verdicts) != len(pairs):
            raise ValueError(f"equivalent returned {len(verdicts)} verdicts for {len(pairs)} pairs")
        matches: dict[int, int] = {}
        seen: dict[int, int] = {}
        for problem, same in zip(owners, verdicts, strict=True):
            position = seen.get(problem, 0)
            seen[problem] = position + 1
            if same and problem not in matches:
                matches[problem] = position
        for problem, answers in enumerate(distinct):
            if step >= len(answers):
                continue
            match = matches.get(problem)
            if match is None:
                representatives[problem].append(answers[step])
                match = len(representatives[problem]) - 1
            classes[problem].append(match)
    return classes


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0.0 for no values.

    Example:
        >>> mean([1.0, 0.0, 0.5]), mean([])
        (0.5, 0.0)
    """
    return sum(values) / len(values) if values else 0.0


__all__ = ["assign_classes", "ks_for", "maj_at_k", "majority_class", "mean", "pass_at_k"]
