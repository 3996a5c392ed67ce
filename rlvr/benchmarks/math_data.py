"""The data behind the math benchmarks: bundled golds, the labelled development sets, confirmed label errors.

Example:
    >>> len(math500_golds(limit=3))
    3
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_PACKAGE_DIR = Path(__file__).resolve().parent / "data"
LABEL_ERRORS_FILE = "math_label_errors.jsonl"
MATH500_GOLDS_FILE = "math500_answers.jsonl"
GSM8K_GOLDS_FILE = "gsm8k_test_answers.jsonl"
#: The labelled development sets and the extraction fallback each is graded with.
DEV_SETS: tuple[tuple[str, str], ...] = (
    ("outputs_gsm8k_tora.jsonl", "last_number"),
    ("outputs_math_qwen25_rm_maj_example.jsonl", "none"),
)

# -- data ------------------------------------------------------------------------------------------------


def default_data_dir() -> Path:
    """Where the labelled development sets are: ``$RLVR_DATA_DIR``, else ``../shared/data`` beside the repo.

    Example:
        >>> default_data_dir().name
        'data'
    """
    env = os.environ.get("RLVR_DATA_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def read_jsonl(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The records of a JSONL file (the first ``limit`` when given)."""
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(rows) >= limit:
                break
            if line.strip():
                rows.append(json.loads(line))
    return rows


@dataclass(frozen=True)
class Gold:
    """One reference answer of a benchmark."""

    id: str
    answer: str


def math500_golds(limit: int | None = None) -> list[Gold]:
    """The 500 MATH-500 gold answers (PRM800K strings, bundled).

    Example:
        >>> golds = math500_golds()
        >>> len(golds), golds[2].answer
        (500, '\\\\frac{14}{3}')
    """
    return [Gold(r["id"], r["answer"]) for r in read_jsonl(DATA_PACKAGE_DIR / MATH500_GOLDS_FILE, limit)]


def gsm8k_golds(limit: int | None = None) -> list[Gold]:
    """The 1,319 GSM8K test gold answers (integers as strings, bundled).

    Example:
        >>> golds = gsm8k_golds()
        >>> len(golds), golds[0].answer
        (1319, '18')
    """
    return [Gold(r["id"], r["answer"]) for r in read_jsonl(DATA_PACKAGE_DIR / GSM8K_GOLDS_FILE, limit)]


@dataclass(frozen=True)
class LabelError:
    """A confirmed error in a development set's labels."""

    dataset: str
    id: str
    label: bool
    correct: bool
    reason: str


def load_label_errors(path: str | Path | None = None) -> dict[tuple[str, str], LabelError]:
    """The confirmed label errors, by (dataset file name, item id).

    Example:
        >>> errors = load_label_errors()
        >>> errors["outputs_math_qwen25_rm_maj_example.jsonl", "qwen-rm-maj-72-7"].correct
        True
    """
    errors = {}
    for row in read_jsonl(path or DATA_PACKAGE_DIR / LABEL_ERRORS_FILE):
        error = LabelError(
            row["dataset"], str(row["id"]), bool(row["label"]), bool(row["correct"]), row["reason"]
        )
        if error.label == error.correct:
            raise ValueError(f"label error {error.id!r} does not change the label")
        errors[error.dataset, error.id] = error
    return errors
