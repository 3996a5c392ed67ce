"""The data behind the math benchmarks: bundled golds, the labelled development sets, confirmed label errors.

Labelled sets (completions with a gold and a correct/incorrect label), in the order they are reported:

- the two sets of the shared data folder (``DEV_SETS``: ToRA on GSM8K, Qwen2.5-Math samples on MATH);
- the bundled development corpus ``math_dev_corpus.jsonl.gz`` (GPT-3 step-by-step GSM8K solutions,
  PRM800K-format MATH solutions, Math-Verify's own test cases), built from public sources by
  ``scripts/build_math_dev_corpus.py``;
- the bundled hand-written probes ``math_probes.jsonl``: today's output styles, hacks and near misses.

Provenance, licences and how each was labelled: ``rlvr/eval/data/PROVENANCE.md``.

Example:
    >>> len(math500_golds(limit=3))
    3
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_PACKAGE_DIR = Path(__file__).resolve().parent / "data"
LABEL_ERRORS_FILE = "math_label_errors.jsonl"
POLICY_CASES_FILE = "math_policy_cases.jsonl"
DEV_CORPUS_FILE = "math_dev_corpus.jsonl.gz"
PROBES_FILE = "math_probes.jsonl"
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
    """The records of a JSONL file, gzip-compressed when its name ends ``.gz`` (the first ``limit``)."""
    rows: list[dict[str, Any]] = []
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
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


#: How the shared development sets' completions are written (the output style of each).
_SHARED_STYLES = {
    "outputs_gsm8k_tora.jsonl": "ToRA tool-integrated (code, output block, boxed)",
    "outputs_math_qwen25_rm_maj_example.jsonl": "Qwen2.5-Math CoT, boxed",
}


@dataclass(frozen=True)
class LabelledItem:
    """One completion with its gold and whether it is correct.

    Attributes:
        kind: ``"output"`` for a model output, or a probe's kind (``"correct"``, ``"hack"``, ``"near_miss"``).
        fallback: the extraction fallback the set is graded with.
    """

    id: str
    set: str
    style: str
    kind: str
    fallback: str
    gold: str
    completion: str
    label: bool


def load_labelled_sets(
    data_dir: Path | None = None, limit: int | None = None
) -> tuple[dict[str, list[LabelledItem]], list[str]]:
    """The labelled sets by name (see the module docstring), and the shared files that were not found.

    Example:
        >>> sets, missing = load_labelled_sets(limit=2)
        >>> [len(items) for name, items in sets.items() if name == "math_probes"]
        [2]
    """
    data_dir = data_dir or default_data_dir()
    sets: dict[str, list[LabelledItem]] = {}
    missing: list[str] = []
    for name, fallback in DEV_SETS:
        path = data_dir / name
        if not path.exists():
            missing.append(str(path))
            continue
        sets[name] = [
            LabelledItem(
                str(r["id"]),
                name,
                _SHARED_STYLES[name],
                "output",
                fallback,
                str(r["gold_answer"]),
                r["model_output"],
                bool(r["label"]),
            )
            for r in read_jsonl(path, limit)
        ]
    for file_name in (DEV_CORPUS_FILE, PROBES_FILE):
        for r in read_jsonl(DATA_PACKAGE_DIR / file_name):
            items = sets.setdefault(r["set"], [])
            if limit is not None and len(items) >= limit:
                continue
            items.append(
                LabelledItem(
                    r["id"],
                    r["set"],
                    r["style"],
                    r.get("kind", "output"),
                    r["fallback"],
                    str(r["gold"]),
                    r["completion"],
                    bool(r["label"]),
                )
            )
    return sets, missing


def load_policy_cases(path: str | Path | None = None) -> dict[tuple[str, str], str]:
    """Items whose label follows a grading policy other than rlvr's documented one, by (set, id): why.

    Example:
        >>> cases = load_policy_cases()
        >>> all(reason for reason in cases.values())
        True
    """
    return {
        (r["set"], r["id"]): r["policy"] for r in read_jsonl(path or DATA_PACKAGE_DIR / POLICY_CASES_FILE)
    }
