"""The bundled benchmarks (contents, order, provenance, size) and the Hugging Face loader's field mapping
(mocked: the tests never touch the network)."""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import types
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from rlvr.eval.datasets import (
    BENCHMARKS,
    get_benchmark_spec,
    load_benchmark,
    parse_level,
    problem_from_record,
)
from rlvr.verifiers.math.judge import gold_answer

DATA = resources.files("rlvr.eval") / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SHA256 = {
    "gsm8k_test.jsonl.gz": "0fce5917715e6484bd9d21a4acd6656007b12a15b2b3cf4babb727af0b0417cd",
    "math_test.jsonl.gz": "1ef26fb1813ce38ec16973cafad92e796820adcbf1bfee11b3cd5151b818aecb",
    "math500_test.jsonl.gz": "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
    "aime2024.jsonl.gz": "518f1db42761f6b6c7deeadd12095a76626e2062182650d66e51b4efd9723ba6",
    "aime2025.jsonl.gz": "8d6a4753fd2ee421107dfe34dd8ad0c5b57cda903726299f2c7c8d59c10ef07a",
    "amc2023.jsonl.gz": "8a766b279b8928b7b9a7e82fe2de822e0ebe6830d43841eace89aca619601b81",
}


def test_every_benchmark_is_bundled_with_its_published_size() -> None:
    assert set(BENCHMARKS) == {"gsm8k", "math", "math500", "aime24", "aime25", "amc23"}
    for name, spec in BENCHMARKS.items():
        bench = load_benchmark(name)
        assert len(bench) == spec.size, name
        assert [p.index for p in bench] == list(range(spec.size))
        assert len({p.id for p in bench}) == spec.size, f"{name}: ids are not unique"
        assert all(p.question.strip() and p.answer.strip() for p in bench), name


def test_bundled_files_are_the_shared_files_byte_for_byte() -> None:
    assert {spec.file for spec in BENCHMARKS.values()} == set(SHA256)
    for file, digest in SHA256.items():
        with (DATA / file).open("rb") as raw:
            assert hashlib.sha256(gzip.decompress(raw.read())).hexdigest() == digest, file


def test_provenance_names_every_file_with_source_commit_and_licence() -> None:
    text = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for file, digest in SHA256.items():
        assert f"`{file}`" in text and digest in text, file
    for commit in (
        "3101c7d5072418e28b9008a6636bde82a006892c",
        "db77bc6bb2a17c90ed2d63e88ebd8c40a82858c5",
        "a45202bd16f1ec06f433442dc1152d0074773465",
        "81f103e38b1df076afa65ee0a3ffbe148d42e6d2",
    ):
        assert commit in text
    assert text.count("Licence:") == len(SHA256)


def test_bundle_stays_small() -> None:
    sizes = {file: len((DATA / file).read_bytes()) for file in SHA256}
    assert sum(sizes.values()) < 2_000_000, sizes


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared data folder is not next to the repository")
def test_bundled_order_is_the_shared_order() -> None:
    files = {"gsm8k": "gsm8k_test", "math": "math_test", "math500": "math500_test"}
    files |= {"aime24": "aime2024", "aime25": "aime2025", "amc23": "amc2023"}
    for name, stem in files.items():
        rows = [
            json.loads(line) for line in (SHARED / f"{stem}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        bench = load_benchmark(name)
        assert [r.get("id", r.get("unique_id")) for r in rows] == [p.id for p in bench], name
        golds = [gold_answer(r.get("gold_answer", r.get("answer"))) for r in rows]  # stripped of spaces and $
        assert golds == [p.answer for p in bench], name


def test_fields_are_mapped() -> None:
    gsm8k = load_benchmark("gsm8k")
    assert (gsm8k[0].id, gsm8k[0].answer) == ("gsm8k-test-0", "18")
    assert gsm8k[0].solution is not None and gsm8k[0].solution.endswith("#### 18")
    math = load_benchmark("math")
    assert (math[0].id, math[0].answer, math[0].subject, math[0].level) == ("math-test-0", "2", "Algebra", 3)
    assert {p.level for p in math} == {1, 2, 3, 4, 5}
    assert len({p.subject for p in math}) == 7
    math500 = load_benchmark("math500")
    assert math500[0].id == "test/precalculus/807.json"
    assert math500[0].answer == "\\left( 3, \\frac{\\pi}{2} \\right)"
    aime24 = load_benchmark("aime24")
    assert aime24.index_of("aime-2024-I-1") == 0 and aime24[0].answer == "204"
    assert sum(p.answer.startswith("0") for p in aime24) == 7  # zero-padded as published
    assert load_benchmark("amc23")[0].answer == "27"
    assert load_benchmark("aime25")[29].id == "aime-2025-II-15"


def test_names_aliases_and_errors() -> None:
    assert get_benchmark_spec("MATH-500").name == "math500"
    assert get_benchmark_spec("aime2025").name == "aime25"
    with pytest.raises(KeyError, match="known: gsm8k, math, math500"):
        get_benchmark_spec("mmlu")
    with pytest.raises(ValueError, match="source"):
        load_benchmark("gsm8k", source="s3")  # type: ignore[arg-type]
    assert parse_level("Level ?") is None and parse_level(4) == 4
    with pytest.raises(ValueError, match="no gold answer"):
        problem_from_record(BENCHMARKS["math500"], {"problem": "x", "answer": ""}, 0)
    assert len(load_benchmark("math").subset(10)) == 10


# -- the Hugging Face loader, with datasets.load_dataset mocked ---------------------------------------

HUB_ROWS: dict[tuple[str, str | None], list[dict[str, Any]]] = {
    ("openai/gsm8k", "main"): [
        {"question": "Q0", "answer": "2 + 2 = <<2+2=4>>4\n#### 4"},
        {"question": "Q1", "answer": "big\n#### 1,600"},
    ],
    **{
        ("EleutherAI/hendrycks_math", subject): [
            {
                "problem": f"{subject} problem",
                "level": "Level 2",
                "type": subject.title(),
                "solution": "$\\boxed{5}$",
            }
        ]
        for subject in (
            "algebra",
            "counting_and_probability",
            "geometry",
            "intermediate_algebra",
            "number_theory",
            "prealgebra",
            "precalculus",
        )
    },
    ("HuggingFaceH4/MATH-500", None): [
        {
            "problem": "P",
            "solution": "S \\boxed{\\frac{14}{3}}",
            "answer": "\\frac{14}{3}",
            "subject": "Algebra",
            "level": 3,
            "unique_id": "test/algebra/2584.json",
        }
    ],
    ("HuggingFaceH4/aime_2024", None): [
        {
            "id": 60,
            "problem": "Aya walks",
            "solution": "...",
            "answer": "204",
            "url": "https://artofproblemsolving.com/wiki/index.php/2024_AIME_I_Problems/Problem_1",
            "year": "2024",
        },
        {
            "id": 61,
            "problem": "Other",
            "solution": "...",
            "answer": "025",
            "url": "https://artofproblemsolving.com/wiki/index.php/2024_AIME_II_Problems/Problem_12",
            "year": "2024",
        },
    ],
    ("opencompass/AIME2025", "AIME2025-I"): [{"question": "Bases", "answer": "70"}],
    ("opencompass/AIME2025", "AIME2025-II"): [
        {"question": "Six points", "answer": "468"},
        {"question": "x", "answer": "5"},
    ],
    ("math-ai/amc23", None): [{"id": 0, "question": "Cities A and B", "answer": 27.0, "url": "u"}],
}


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None, str, str | None]]:
    calls: list[tuple[str, str | None, str, str | None]] = []

    def load_dataset(path: str, name: str | None = None, *, split: str, revision: str | None = None) -> Any:
        calls.append((path, name, split, revision))
        return list(HUB_ROWS[path, name])

    module = types.ModuleType("datasets")
    module.load_dataset = load_dataset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "datasets", module)
    return calls


def test_hub_loader_maps_the_fields_of_each_dataset(fake_hub: list[Any]) -> None:
    gsm8k = load_benchmark("gsm8k", source="hf")
    assert [(p.id, p.question, p.answer) for p in gsm8k] == [
        ("gsm8k-test-0", "Q0", "4"),
        ("gsm8k-test-1", "Q1", "1600"),
    ]
    assert gsm8k[0].solution == "2 + 2 = <<2+2=4>>4\n#### 4" and gsm8k.source == "hf"

    math = load_benchmark("math", source="hf", revision="abc123")
    assert len(math) == 7 and [p.id for p in math][:2] == ["math-test-0", "math-test-1"]
    assert {(p.answer, p.level) for p in math} == {("5", 2)}
    assert math[0].subject == "Algebra" and math[6].subject == "Precalculus"

    math500 = load_benchmark("math500", source="hf")
    assert (math500[0].id, math500[0].answer, math500[0].subject, math500[0].level) == (
        "test/algebra/2584.json",
        "\\frac{14}{3}",
        "Algebra",
        3,
    )

    aime24 = load_benchmark("aime24", source="hf")
    assert [(p.id, p.answer) for p in aime24] == [("aime-2024-I-1", "204"), ("aime-2024-II-12", "025")]

    aime25 = load_benchmark("aime25", source="hf")
    assert [p.id for p in aime25] == ["aime-2025-I-1", "aime-2025-II-1", "aime-2025-II-2"]
    assert [p.index for p in aime25] == [0, 1, 2]

    amc23 = load_benchmark("amc23", source="hf")
    assert [(p.id, p.question, p.answer) for p in amc23] == [("amc23-0", "Cities A and B", "27")]

    assert fake_hub[0] == ("openai/gsm8k", "main", "test", None)
    assert ("EleutherAI/hendrycks_math", "algebra", "test", "abc123") in fake_hub
    assert ("HuggingFaceH4/aime_2024", None, "train", None) in fake_hub
    assert ("opencompass/AIME2025", "AIME2025-II", "test", None) in fake_hub


def test_hub_rows_score_through_evaluate(fake_hub: list[Any]) -> None:
    from rlvr.eval import evaluate

    report = evaluate(load_benchmark("gsm8k", source="hf"), [{"idx": 1, "completion": "so 1600 in all"}])
    assert report.pass_at_k == {1: 0.5} and report.missing_problems == ["gsm8k-test-0"]
