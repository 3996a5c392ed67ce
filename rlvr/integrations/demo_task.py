"""The demo's task: which digit appears twice? Questions, answers, the R1 format and the held-back split.

A question is a string of ``digits`` digits in which exactly one digit appears twice and the others once
(``"40630"``: the answer is ``0``). The prompt opens the think block (``"40630<think>"``); a completion in
the format thinks, closes the block and answers (``".</think>0"``). The rule has structure a tiny model can
learn and apply to strings it never saw: compare every digit with every other, report the one with a match.
Every digit is the answer to the same number of questions, so always giving one answer scores 0.1, and
answering with a random digit of the question about ``1 / (digits - 1)``.

The split is by *digit multiset*: the questions are grouped by their digits in sorted order (``"40630"``,
``"03640"`` and ``"60034"`` share ``"00346"``), and a fraction of the groups is held back, the same fraction
for each answer digit. No held-back question, nor any reordering of its digits, is a training question: a
model can answer them only by applying the rule, not by recalling a trained answer.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: The digits; every one is the answer to the same number of questions.
ANSWERS = "0123456789"
#: What the cold-start examples think: the rule needs no written reasoning, only the format does.
THOUGHT = "."
#: Every character of the prompts and completions (the think tags are tokens of their own).
ALPHABET = ANSWERS + THOUGHT
MIN_DIGITS, MAX_DIGITS = 3, 6


@dataclass(frozen=True)
class PairTask:
    """The question length and how the questions are split.

    Example:
        >>> PairTask(digits=4).digits
        4
        >>> PairTask(digits=9)
        Traceback (most recent call last):
        ...
        ValueError: digits must be an int from 3 to 6, got 9
    """

    digits: int = 5
    held_out_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.digits, bool) or not isinstance(self.digits, int):
            raise ValueError(f"digits must be an int from {MIN_DIGITS} to {MAX_DIGITS}, got {self.digits!r}")
        if not MIN_DIGITS <= self.digits <= MAX_DIGITS:
            raise ValueError(f"digits must be an int from {MIN_DIGITS} to {MAX_DIGITS}, got {self.digits!r}")
        if not isinstance(self.held_out_fraction, (int, float)) or not 0 < self.held_out_fraction < 1:
            raise ValueError(f"held_out_fraction must be in (0, 1), got {self.held_out_fraction!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        if self.held_back_per_answer == 0 or self.train_per_answer == 0:
            raise ValueError(
                f"held_out_fraction={self.held_out_fraction} leaves no training questions with "
                f"digits={self.digits}"
            )

    @property
    def held_back_per_answer(self) -> int:
        """How many held-back questions have each answer digit (the same number for every digit).

        Example:
            >>> PairTask(digits=4).held_back_per_answer
            84
        """
        multisets = math.comb(len(ANSWERS) - 1, self.digits - 2)
        held = max(1, round(multisets * self.held_out_fraction))
        return min(held, multisets) * math.factorial(self.digits) // 2

    @property
    def train_per_answer(self) -> int:
        """How many training questions have each answer digit.

        Example:
            >>> PairTask(digits=4).train_per_answer
            348
        """
        multisets = math.comb(len(ANSWERS) - 1, self.digits - 2)
        return multisets * math.factorial(self.digits) // 2 - self.held_back_per_answer


@dataclass(frozen=True)
class Split:
    """Training and held-back questions, and the digit multisets each side was built from."""

    train: tuple[str, ...]
    held_back: tuple[str, ...]
    train_multisets: frozenset[str]
    held_back_multisets: frozenset[str]


def answer_of(question: str) -> str:
    """The digit that appears twice.

    Example:
        >>> answer_of("40630")
        '0'
    """
    (digit,) = [d for d, count in Counter(question).items() if count == 2]
    return digit


def multiset_of(question: str) -> str:
    """The question's digits in sorted order: the unit of the held-back split.

    Example:
        >>> multiset_of("40630") == multiset_of("60034")
        True
    """
    return "".join(sorted(question))


def prompt_of(question: str) -> str:
    """The prompt: the question, then the think block the completion must close.

    Example:
        >>> prompt_of("40630")
        '40630<think>'
    """
    return f"{question}<think>"


def completion_of(question: str) -> str:
    """The completion of a cold-start example: a thought, the closing tag, the answer.

    Example:
        >>> completion_of("40630")
        '.</think>0'
    """
    return f"{THOUGHT}</think>{answer_of(question)}"


def pair_multisets(digits: int) -> list[str]:
    """Every digit multiset of a question: one digit twice, ``digits - 2`` others once, sorted.

    Example:
        >>> len(pair_multisets(3)), pair_multisets(3)[:3]
        (90, ['001', '002', '003'])
    """
    found = []
    for twice in ANSWERS:
        for others in itertools.combinations(ANSWERS.replace(twice, ""), digits - 2):
            found.append("".join(sorted(twice * 2 + "".join(others))))
    return sorted(found)


def questions_of(multiset: str) -> list[str]:
    """Every ordering of a multiset's digits, sorted.

    Example:
        >>> questions_of("001")
        ['001', '010', '100']
    """
    return sorted({"".join(p) for p in itertools.permutations(multiset)})


def split_questions(task: PairTask) -> Split:
    """The questions, split by digit multiset: for each answer digit, ``held_out_fraction`` of its
    multisets (shuffled by ``seed``) are held back with all their orderings.

    Example:
        >>> split = split_questions(PairTask(digits=4))
        >>> len(split.train), len(split.held_back)
        (3480, 840)
        >>> {multiset_of(q) for q in split.held_back} & split.train_multisets
        set()
    """
    rng = random.Random(task.seed)
    by_answer: dict[str, list[str]] = {}
    for multiset in pair_multisets(task.digits):
        by_answer.setdefault(answer_of(multiset), []).append(multiset)
    held: list[str] = []
    train: list[str] = []
    for digit in ANSWERS:
        group = by_answer[digit]
        rng.shuffle(group)
        cut = max(1, round(len(group) * task.held_out_fraction))
        held += group[:cut]
        train += group[cut:]
    return Split(
        train=tuple(q for m in sorted(train) for q in questions_of(m)),
        held_back=tuple(q for m in sorted(held) for q in questions_of(m)),
        train_multisets=frozenset(train),
        held_back_multisets=frozenset(held),
    )


def balanced_sample(
    questions: Sequence[str], count: int, seed: int, exclude: Sequence[str] = ()
) -> list[str]:
    """``count`` questions drawn without replacement, the answer digits taking turns (0, 1, ..., 9, 0, ...),
    so each digit is the answer of ``count // 10`` or one more; ``exclude`` is never drawn.

    Example:
        >>> split = split_questions(PairTask(digits=4))
        >>> sample = balanced_sample(split.held_back, 12, seed=0)
        >>> [answer_of(q) for q in sample]
        ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '1']
    """
    rng = random.Random(seed)
    skip = set(exclude)
    pools: dict[str, list[str]] = {digit: [] for digit in ANSWERS}
    for question in questions:
        if question not in skip:
            pools[answer_of(question)].append(question)
    for pool in pools.values():
        rng.shuffle(pool)
    drawn: list[str] = []
    for index in range(count):
        pool = pools[ANSWERS[index % len(ANSWERS)]]
        if not pool:
            raise ValueError(f"not enough questions with answer {ANSWERS[index % len(ANSWERS)]} for {count}")
        drawn.append(pool.pop())
    return drawn
