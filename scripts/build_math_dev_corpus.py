"""Build rlvr's labelled math development corpus from public sources (see rlvr/eval/data/PROVENANCE.md).

Run from the repository root with the source snapshots checked out beside it::

    python scripts/build_math_dev_corpus.py --sources /path/to/snapshots --out rlvr/bench/data

``--sources`` holds one git repository per source, named ``owner+name/repo`` (the layout the snapshots
come in). Each set is read from a fixed commit, so the output is reproducible. Labels start from the
source's own grading, are recomputed by the rules below, and every disagreement between the two (and
with rlvr and Math-Verify, see ``rlvr bench math-agreement``) was read by hand; the decisions are in
``HAND_LABELS`` below and in ``math_label_errors.jsonl``.

The hand-written probes (``math_probes.jsonl``) are not built here: they are written by hand.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import re
import subprocess
from fractions import Fraction
from pathlib import Path

GSM8K_SOLUTIONS = ("openai+grade-school-math", "3101c7d5072418e28b9008a6636bde82a006892c")
PRM800K_PARQUET = ("xhghhh+Enhancing-PRM800K", "29dc428dba6a807cebf30dec727acfdf8aadbf75")
PRM800K_EXAMPLES = ("tongyx361+reward-by-prm800k", "c8452fb67a5b4f8fc12a1761719256d16a5ba502")
MATH_VERIFY = ("huggingface+Math-Verify", "5d148cfaaf99214c2e4ffb4bc497ab042c592a7a")
GSM8K_QUESTIONS = 300  # the first questions of the GSM8K test set, with all four generators' solutions

# Decisions made by reading the item (id -> (label, note)): where the recomputed label and the source's
# disagree, or the source gives none. Every PRM800K item was read by hand: its stated answer against the
# MATH gold (all equal except the ones listed; equal ones include 1/(2\sqrt{2}+3), 2\sqrt{2}+3 for
# 3 \pm 2\sqrt{2}, 5\frac{\pi^2}{4} for \frac{5\pi^2}{4}, 4210 for 4210_{5}, 90 for 90^\circ, 998.5 for
# \frac{1997}{2}).
HAND_LABELS: dict[str, tuple[bool, str]] = {
    "prm800k-phase1-test-46": (False, "585000 is ten times the gold 58,500"),
    "prm800k-phase2-example-90": (False, "7200, the gold is 28800"),
}
PRM800K_READ_BY_HAND = True  # an item not in HAND_LABELS was read and its answer equals the gold


def _git_show(sources: Path, repo: tuple[str, str], path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(sources / repo[0] / "repo"), "show", f"{repo[1]}:{path}"],
        check=True,
        capture_output=True,
    ).stdout


def _number(text: str) -> Fraction | None:
    cleaned = text.strip().replace(",", "").replace("$", "").rstrip(".")
    try:
        return Fraction(cleaned)
    except (ValueError, ZeroDivisionError):
        return None


def gsm8k_solutions(sources: Path, golds: dict[str, str]) -> list[dict[str, object]]:
    """GPT-3 (6B/175B, finetuned / verifier-selected) step-by-step GSM8K solutions ending ``A: N``."""
    raw = _git_show(sources, GSM8K_SOLUTIONS, "grade_school_math/data/example_model_solutions.jsonl")
    rows = []
    for index, line in enumerate(raw.decode("utf-8").splitlines()[:GSM8K_QUESTIONS]):
        record = json.loads(line)
        gold = golds[record["question"].strip()]
        for generator in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"):
            solution = record[generator]["solution"]
            stated = re.findall(r"^A: (.*)$", solution, re.MULTILINE)
            value = _number(stated[-1]) if stated else None
            label = value is not None and value == _number(gold)
            item_id = f"gsm8k-openai-{index}-{generator}"
            source_label = bool(record[generator]["is_correct"])
            note = "" if label == source_label else f"source label {source_label}"
            label, note = HAND_LABELS.get(item_id, (label, note))
            rows.append(
                {
                    "id": item_id,
                    "set": "gsm8k_openai_solutions",
                    "style": "GSM8K step by step, 'A: N' line"
                    if stated
                    else "GSM8K step by step, no final line",
                    "fallback": "last_number",
                    "gold": gold,
                    "completion": solution,
                    "label": label,
                    "source_label": source_label,
                    "note": note,
                    "source": f"openai/grade-school-math@{GSM8K_SOLUTIONS[1][:7]}:"
                    "grade_school_math/data/example_model_solutions.jsonl",
                }
            )
    return rows


def prm800k(sources: Path, math_golds: dict[str, str]) -> list[dict[str, object]]:
    """PRM800K phase-1 test solutions (GPT-4 generator) in PRM800K's format: steps, then ``# Answer``."""
    import pandas as pd

    frame = pd.read_parquet(
        io.BytesIO(_git_show(sources, PRM800K_PARQUET, "phase1_test.stepwise-critic.parquet"))
    )
    rows = []
    for index, record in enumerate(frame[frame.is_solution].to_dict("records")):
        problem = record["instruction"].strip()
        steps = [*record["responses"], record["next_response"]]
        completion = "\n\n".join(steps) + "\n\n# Answer\n\n" + str(record["answer"])
        item_id = f"prm800k-phase1-test-{index}"
        label, note = HAND_LABELS.get(item_id, (PRM800K_READ_BY_HAND, "read by hand"))
        rows.append(
            {
                "id": item_id,
                "set": "math_prm800k",
                "style": "PRM800K steps, '# Answer' heading",
                "fallback": "none",
                "gold": math_golds[problem],
                "completion": completion,
                "label": label,
                "source_label": None,
                "model_answer": str(record["answer"]),
                "note": note,
                "source": f"xhghhh/Enhancing-PRM800K@{PRM800K_PARQUET[1][:7]}:"
                "phase1_test.stepwise-critic.parquet (openai/prm800k phase1_test)",
            }
        )
    for name in ("prm800k-phase1-test-example.json", "prm800k-phase2-test-example.json"):
        text = _git_show(sources, PRM800K_EXAMPLES, f"datasets/examples/{name}").decode("utf-8")
        decoder = json.JSONDecoder()
        position = 0
        while True:
            while position < len(text) and text[position].isspace():
                position += 1
            if position >= len(text):
                break
            record, position = decoder.raw_decode(text, position)
            question = record["question"]
            steps = question.get("pre_generated_steps")
            if not steps:
                continue
            item_id = f"prm800k-{name.split('-')[1]}-example-{len(rows)}"
            label, note = HAND_LABELS.get(item_id, (PRM800K_READ_BY_HAND, "read by hand"))
            rows.append(
                {
                    "id": item_id,
                    "set": "math_prm800k",
                    "style": "PRM800K steps, '# Answer' heading",
                    "fallback": "none",
                    "gold": question["ground_truth_answer"],
                    "completion": "\n\n".join(steps),
                    "label": label,
                    "source_label": None,
                    "model_answer": question.get("pre_generated_answer"),
                    "note": note,
                    "source": f"tongyx361/reward-by-prm800k@{PRM800K_EXAMPLES[1][:7]}:"
                    f"datasets/examples/{name}",
                }
            )
    return rows


_OPTION_ONLY = ("precision=", "strict=False", "allow_set_relation_comp", 'match_types=["expr"]')


def math_verify_tests(sources: Path) -> list[dict[str, object]]:
    """Math-Verify's own parametrized test cases (gold, prediction, expected), without the ones that need a
    Math-Verify-only option (a precision, non-strict variables, set/relation comparison, expression-only
    extraction)."""
    rows = []
    for module in (
        "test_all",
        "test_boxed",
        "test_numina_cases",
        "test_open_thoughts",
        "test_yujianll",
        "test_strict",
    ):
        source = _git_show(sources, MATH_VERIFY, f"tests/{module}.py").decode("utf-8")
        for node in ast.parse(source).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            body = ast.get_source_segment(source, node) or ""
            for decorator in node.decorator_list:
                if not (
                    isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "parametrize"
                ):
                    continue
                names = [n.strip() for n in ast.literal_eval(decorator.args[0]).split(",")]
                try:
                    cases = ast.literal_eval(decorator.args[1])
                except ValueError:
                    continue  # built with f-strings: not plain data
                for index, case in enumerate(cases):
                    values = dict(zip(names, case, strict=True))
                    options = [o for o in _OPTION_ONLY if o in body.splitlines()[-1]]
                    if values.get("strict") is False or values.get("allow_set_relation_comp"):
                        options.append("case option")
                    if values.get("precision") not in (None, 6):
                        options.append("precision")
                    if options:
                        continue
                    expected = values.get("expected", values.get("result"))
                    rows.append(
                        {
                            "id": f"math-verify-{module}-{node.name}-{index}",
                            "set": "math_verify_tests",
                            "style": f"Math-Verify {node.name}",
                            "fallback": "none",
                            "gold": values["gold"],
                            "completion": values["pred"],
                            "label": bool(expected),
                            "source_label": bool(expected),
                            "note": "",
                            "source": f"huggingface/Math-Verify@{MATH_VERIFY[1][:7]}:"
                            f"tests/{module}.py::{node.name}",
                        }
                    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, required=True)
    parser.add_argument(
        "--shared-data", type=Path, required=True, help="folder with gsm8k_test.jsonl, math_test.jsonl"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    gsm8k = {}
    for line in (args.shared_data / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        gsm8k[record["question"].strip()] = record["gold_answer"]
    math = {}
    for line in (args.shared_data / "math_test.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        math[record["problem"].strip()] = record["answer"]
    rows = (
        gsm8k_solutions(args.sources, gsm8k) + prm800k(args.sources, math) + math_verify_tests(args.sources)
    )
    target = args.out / "math_dev_corpus.jsonl.gz"
    with gzip.open(target, "wt", encoding="utf-8") as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} items -> {target}")


if __name__ == "__main__":
    main()
