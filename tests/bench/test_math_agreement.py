"""``rlvr bench math-agreement``: rewrites, label errors, golds against themselves, pinned dev-set agreement.

The dev-set tests need the labelled outputs (``$RLVR_DATA_DIR`` or ``../shared/data``) and are skipped
without them; the MATH-500 and GSM8K golds are bundled and always checked.
"""

from __future__ import annotations

import json

import pytest

from rlvr.bench.math_agreement import MathAgreementConfig, math_verify_judge, run_math_agreement
from rlvr.bench.math_data import (
    DATA_PACKAGE_DIR,
    DEV_SETS,
    LABEL_ERRORS_FILE,
    POLICY_CASES_FILE,
    default_data_dir,
    gsm8k_golds,
    load_label_errors,
    load_labelled_sets,
    load_policy_cases,
    math500_golds,
)
from rlvr.bench.math_rewrites import integer_rewrites, math_rewrites
from rlvr.verifiers.math import check_answer
from rlvr.verifiers.math.compare import MathPolicy
from rlvr.verifiers.math.judge import fast_judgement, make_answer
from rlvr.verifiers.verdict import Verdict

HAVE_DEV_SETS = all((default_data_dir() / name).exists() for name, _ in DEV_SETS)
needs_dev_sets = pytest.mark.skipif(
    not HAVE_DEV_SETS, reason=f"labelled dev sets not in {default_data_dir()}"
)


def _kinds(gold: str) -> dict[str, tuple[str, bool]]:
    return {r.kind: (r.text, r.equivalent) for r in math_rewrites(gold)}


# -- config ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", [{"limit": 0}, {"workers": 0}, {"timeout": 0}, {"peer_timeout": -1.0}, {"limit": 2.5}]
)
def test_config_rejects_bad_values(options):
    with pytest.raises(ValueError):
        MathAgreementConfig(**options)


# -- rewrites --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "kind", "text", "equivalent"),
    [
        ("\\frac{3}{4}", "dfrac", "\\dfrac{3}{4}", True),
        ("\\frac{3}{4}", "slash", "3/4", True),
        ("\\frac{3}{4}", "decimal", "0.75", True),
        ("\\frac{3}{4}", "other_fraction", "\\frac{3}{5}", False),
        ("\\frac43", "slash", "4/3", True),
        ("10,\\!080", "plain_integer", "10080", True),
        ("2220", "thousands_separator", "2,220", True),
        ("9", "assignment", "x = 9", True),
        ("9", "text_units", "9\\text{ units}", True),
        ("9", "plus_one", "10", False),
        ("1,-2", "reordered", "-2, 1", True),
        ("\\{1\\pm\\sqrt{5},-2\\}", "reordered", "\\{-2, 1\\pm\\sqrt{5}\\}", True),
        ("(6,31,-1)", "swapped_tuple", "(31,6,-1)", False),
        ("(6,31,-1)", "tuple_as_set", "\\{6, 31, -1\\}", False),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "left_right_spacing", "(3,\\frac{\\pi}{2})", True),
        ("(3,4]", "flipped_bracket", "[3,4]", False),
        ("(-\\infty, 0]", "flipped_bracket", "(-\\infty, 0)", False),
        ("(2,\\infty)", "inequality", "x > 2", True),
        ("(2,\\infty)", "inequality_reversed", "x < 2", False),
        ("p - q", "commuted_sum", "-q+p", True),
        ("p - q", "sign_flipped", "p+q", False),
        ("3 \\sqrt{5}", "sqrt_absorbed", "\\sqrt{45}", True),
        ("\\frac{\\sqrt{3}}{3}", "unrationalised", "\\frac{1}{\\sqrt{3}}", True),
        ("90^\\circ", "degrees_dropped", "90", True),
        ("\\text{(C)}", "bare_letter", "C", True),
        ("\\text{(C)}", "other_letter", "\\text{(D)}", False),
        ("1 \\pm \\sqrt{19}", "pm_expanded", "1 + \\sqrt{19}, 1 - \\sqrt{19}", True),
        ("1 \\pm \\sqrt{19}", "pm_one_root", "1 + \\sqrt{19}", False),
        ("204_5", "other_digit", "200_5", False),
        (".0000672", "last_digit_changed", ".0000673", False),
    ],
)
def test_math_rewrites(gold, kind, text, equivalent):
    assert _kinds(gold)[kind] == (text, equivalent)


def test_rewrites_are_deterministic_distinct_and_never_the_gold():
    for gold in math500_golds():
        first, second = math_rewrites(gold.answer), math_rewrites(gold.answer)
        assert first == second
        texts = [r.text for r in first]
        assert len(texts) == len(set(texts)) and gold.answer not in texts


def test_integer_rewrites():
    kinds = {r.kind: (r.text, r.equivalent) for r in integer_rewrites("1234")}
    assert kinds["thousands_separator"] == ("1,234", True)
    assert kinds["dollar_sign"] == ("\\$1234", True)
    assert kinds["plus_one"] == ("1235", False)
    assert kinds["times_ten"] == ("12340", False)
    with pytest.raises(ValueError):
        integer_rewrites("1/2")


# -- label errors ----------------------------------------------------------------------------------------


def test_label_errors_and_policy_cases_are_well_formed():
    sets, _ = load_labelled_sets()
    ids = {(name, item.id) for name, items in sets.items() for item in items}
    lines = (DATA_PACKAGE_DIR / LABEL_ERRORS_FILE).read_text(encoding="utf-8").splitlines()
    for line in lines:
        row = json.loads(line)
        assert set(row) == {"dataset", "id", "label", "correct", "reason"}
        assert row["label"] != row["correct"] and row["reason"] and "\n" not in row["reason"]
        assert (row["dataset"], row["id"]) in ids or row["dataset"] in {n for n, _ in DEV_SETS}, row
    errors = load_label_errors()
    assert len(errors) == len(lines)
    math_set = "outputs_math_qwen25_rm_maj_example.jsonl"
    assert errors[math_set, "qwen-rm-maj-72-7"].correct is True
    assert errors[math_set, "qwen-rm-maj-48-3"].correct is False
    policy = load_policy_cases(DATA_PACKAGE_DIR / POLICY_CASES_FILE)
    assert policy and all(key in ids for key in policy)


def test_bundled_labelled_sets():
    sets, _ = load_labelled_sets()
    sizes = {name: len(items) for name, items in sets.items()}
    assert sizes["gsm8k_openai_solutions"] == 1200 and sizes["math_prm800k"] == 91
    assert sizes["math_verify_tests"] == 240 and sizes["math_probes"] >= 220
    probes = sets["math_probes"]
    assert {item.kind for item in probes} == {"correct", "hack", "near_miss"}
    assert all(item.label == (item.kind == "correct") for item in probes)
    for items in sets.values():
        assert len({item.id for item in items}) == len(items)


# -- golds against themselves ----------------------------------------------------------------------------


@pytest.mark.parametrize(("golds", "count"), [(math500_golds, 500), (gsm8k_golds, 1319)])
def test_golds_against_themselves_in_the_fast_path(golds, count):
    items = golds()
    assert len(items) == count
    for gold in items:
        fast = fast_judgement(make_answer(gold.answer), (make_answer(gold.answer),), MathPolicy())
        assert isinstance(fast, Verdict) and fast.score == 1.0, gold
        assert check_answer(gold.answer, gold.answer).score == 1.0, gold


# -- the graders -----------------------------------------------------------------------------------------


def test_math_verify_judge_boxes_the_gold():
    assert math_verify_judge("2\\sqrt{3}", "\\sqrt{12}", True) is True
    assert math_verify_judge("1,-2", "-2, 1", True) is True  # parse("1,-2") alone reads [1]
    assert math_verify_judge("3", "The answer is $\\boxed{4}$.", False) is False


def test_small_run_with_math_verify():
    report = run_math_agreement(MathAgreementConfig(limit=4, workers=1))
    assert [g.golds for g in report.gold_sets] == [4, 4]
    assert all(g.self_rlvr == 4 and g.self_math_verify == 4 for g in report.gold_sets)
    data = json.loads(report.to_json())
    assert {"labelled_sets", "styles", "gold_sets", "label_errors", "disagreements"} <= set(data)
    text = report.markdown()
    assert "| gold set | golds |" in text and "rlvr bench math-agreement --limit 4" in text
    assert "By output style" in text
    bundled = [r for r in report.labelled_sets if not r.name.endswith(".jsonl")]
    assert [r.items for r in bundled] == [4, 4, 4, 4]
    assert all(r.math_verify is not None for r in report.labelled_sets)


# -- the pinned full run (rlvr only: a few seconds) ------------------------------------------------------


@pytest.fixture(scope="module")
def full_rlvr_report():
    return run_math_agreement(MathAgreementConfig(math_verify=False))


def test_all_rewrites_judged_as_expected(full_rlvr_report):
    by_name = {g.name: g for g in full_rlvr_report.gold_sets}
    assert by_name["MATH-500"].self_rlvr == 500
    assert by_name["GSM8K test"].self_rlvr == 1319
    for gold_set in by_name.values():
        equivalent, accepted, _ = gold_set.totals(True)
        near_misses, rejected, _ = gold_set.totals(False)
        assert accepted == equivalent, [d for d in full_rlvr_report.disagreements if "expected" in d]
        assert rejected == near_misses, [d for d in full_rlvr_report.disagreements if "expected" in d]


@needs_dev_sets
def test_dev_set_agreement_is_pinned(full_rlvr_report):
    by_name = {d.name: d for d in full_rlvr_report.labelled_sets}
    tora = by_name["outputs_gsm8k_tora.jsonl"]
    qwen = by_name["outputs_math_qwen25_rm_maj_example.jsonl"]
    assert (tora.items, qwen.items) == (2638, 800)
    # every disagreement with a raw label is a confirmed label error
    assert (qwen.rlvr.agree, qwen.rlvr.false_positive, qwen.rlvr.false_negative) == (798, 1, 1)
    assert sorted(qwen.label_errors) == ["qwen-rm-maj-48-3", "qwen-rm-maj-72-7"]
    for dev in (tora, qwen):
        fixed = dev.rlvr_corrected
        assert (fixed.false_positive, fixed.false_negative, fixed.unjudged) == (0, 0, 0), dev.name
        assert fixed.agree == dev.items


def test_bundled_set_agreement_is_pinned(full_rlvr_report):
    by_name = {d.name: d for d in full_rlvr_report.labelled_sets}
    for name in ("gsm8k_openai_solutions", "math_prm800k", "math_probes"):
        fixed = by_name[name].rlvr_corrected
        assert (fixed.false_positive, fixed.false_negative) == (0, 0), name
    tests = by_name["math_verify_tests"]
    assert tests.policy_cases == 3 and tests.rlvr_corrected.false_positive == 0
    assert tests.rlvr_corrected.agree >= 231  # measured 2026-12-07: 233 of 237
    for kind, (ours, _) in by_name["math_probes"].by_kind.items():
        assert ours.false_positive == 0, kind
