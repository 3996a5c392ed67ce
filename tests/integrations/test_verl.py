"""rlvr as verl's compute_score, without verl: routing, formats, the three forms, deadlines, loading by path.

verl's own reward managers calling these functions are exercised in ``test_verl_managers.py`` (it needs
verl installed; ``.ci/run`` gives it its own environment).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import pickle
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import rlvr.integrations.verl as verl_module
from rlvr.integrations.code_formats import find_tests
from rlvr.integrations.verl import compute_score, compute_score_async, compute_score_batch, scorer
from rlvr.integrations.verl_routes import route_of
from rlvr.integrations.verl_scorer import RESULT_KEYS, VerlConfig, VerlScorer
from rlvr.rewards.math_reward import MathAccuracyReward

TOWER = r"\boxed{\dfrac{5^{5^{5^{5^{5}}}}-5}{16}}"  # sympy never finishes with it against a symbolic gold
ADD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
ADD_FN = "```python\ndef add(a, b):\n    return a + b\n```"
TACO_STDIN = json.dumps({"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]})
TACO_CALL = json.dumps({"fn_name": "add", "inputs": [[1, 2], [2, 2]], "outputs": [[3], [4]]})


@pytest.fixture(scope="module")
def quick() -> VerlScorer:
    scorer = VerlScorer(workers=2, code_workers=2, timeout=1.0, deadline=30.0)
    yield scorer
    scorer.close()


@pytest.mark.parametrize(
    ("data_source", "route"),
    [
        ("openai/gsm8k", "math"),
        ("gsm8k", "math"),
        ("lighteval/MATH", "math"),
        ("DigitalLearningGmbH/MATH-lighteval", "math"),
        ("HuggingFaceH4/MATH-500", "math"),
        ("math_dapo", "math"),
        ("math_dapo_reasoning", "math"),
        ("BytedTsinghua-SIA/DAPO-Math-17k", "math"),
        ("aime24", "math"),
        ("AIME2025", "math"),
        ("amc23", "math"),
        ("numina_olympiads", "math"),
        ("numina_cn_k12", "math"),
        ("agentica-org/DeepScaleR-Preview-Dataset", "math"),
        ("codecontests", "code"),
        ("deepmind/code_contests", "code"),
        ("apps", "code"),
        ("codeparrot/apps", "code"),
        ("taco", "code"),
        ("BAAI/TACO", "code"),
        ("codeforces", "code"),
        ("open-r1/codeforces", "code"),
        ("livecodebench/code_generation_lite", "code"),
        ("KodCode/KodCode-V1", "code"),
        ("PrimeIntellect/verifiable-coding-problems", "code"),
        ("openai_humaneval", "code"),
        ("hiyouga/geometry3k", None),
        ("searchR1_nq", None),
        ("", None),
    ],
)
def test_routing_table(data_source: str, route: str | None) -> None:
    assert route_of(data_source) == route


def test_user_routes_and_fallbacks_decide_the_rest() -> None:
    assert route_of("hiyouga/geometry3k", {"HIYOUGA/geometry3k": "none"}) == "none"
    assert route_of("openai/gsm8k", {"openai/gsm8k": "verl"}) == "verl"
    auto = VerlScorer()
    assert auto.route("my_set", "42", {}) == "math"
    assert auto.route("my_set", "42", {"verification_info": {"cases": []}}) == "code"
    assert auto.route("my_set", TACO_STDIN, None) == "code"
    assert VerlScorer(fallback="code").route("my_set", "42", None) == "code"
    with pytest.raises(ValueError, match=r"routes\['x'\] must be one of math, code, verl, none"):
        VerlConfig(routes={"x": "vision"})
    with pytest.raises(ValueError, match="deadline must be > 0"):
        VerlConfig(deadline=0)


def test_tests_are_found_where_verl_rows_keep_them_and_read_in_their_dataset_shape(quick: VerlScorer) -> None:
    HUMANEVAL_CHECK = "def check(candidate):\n    assert candidate(1, 2) == 3\n"
    lcb = json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}])
    rows = [
        ("taco", ADD, TACO_STDIN, {}),  # prime_code / TACO: the JSON in ground_truth
        ("apps", ADD_FN, TACO_CALL, {}),  # ... with fn_name: function calls
        ("codecontests", ADD, "3", {"input_output": TACO_STDIN}),  # a TACO row's column in extra_info
        ("livecodebench", ADD, "", {"public_test_cases": lcb, "private_test_cases": ""}),
        ("open-r1/verifiable-coding-problems-python", ADD, "", {"verification_info": {"language": "python",
            "test_cases": [{"input": "1 2\n", "output": "3\n", "type": "stdin_stdout"}]}}),
        ("openai_humaneval", ADD_FN, "", {"tests": {"test": HUMANEVAL_CHECK, "entry_point": "add"}}),
        ("codeforces", ADD, '{"problem": "no tests in here"}', {}),
        ("codeforces", ADD, "[1, 2", {}),
    ]  # fmt: skip
    results = quick.score_batch(*map(list, zip(*rows, strict=True)))
    assert [r["acc"] for r in results] == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, None, None]
    assert (
        results[6]["reason"].startswith("invalid verification_info")
        and "no known shape" in results[6]["reason"]
    )
    assert results[7]["reason"].startswith("invalid verification_info")
    assert find_tests("7", None) is None and find_tests(7, {"tests": ""}) is None


def test_compute_score_math_code_and_unjudged_rows_share_keys(quick: VerlScorer) -> None:
    rows = [
        ("openai/gsm8k", "Natalia sold 72 clips. #### 72", "72", {}),
        ("HuggingFaceH4/MATH-500", r"so $\boxed{\frac{3}{4}}$", "0.75", {}),
        ("aime2024", r"\boxed{203}", "204", None),
        ("codecontests", ADD, TACO_STDIN, {}),
        ("apps", ADD_FN, TACO_CALL, {}),
        (
            "my_code_set",
            "print(3)",
            "ignored",
            {"test_cases": [{"input": "", "output": "3", "type": "stdin_stdout"}]},
        ),
        ("taco", ADD, "not tests", {}),
        ("hiyouga/geometry3k", "x", "y", {}),
        ("math", r"\boxed{1}", r"\frac{1}{0", {}),
    ]
    routed = VerlScorer(
        quick.config.__class__(**{**quick.config.__dict__, "routes": {"hiyouga/geometry3k": "none"}})
    )
    try:
        results = routed.score_batch(*map(list, zip(*rows, strict=True)))
    finally:
        routed.close()
    assert all(tuple(r) == RESULT_KEYS for r in results)
    scores = [r["score"] for r in results]
    assert scores == [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    accs = [r["acc"] for r in results]
    assert accs[:6] == [1.0, 1.0, 0.0, 1.0, 1.0, 1.0] and accs[6:] == [None, None, None]
    assert [r["unjudged"] for r in results] == [0.0] * 6 + [1.0] * 3
    assert results[6]["reason"] == "no tests in extra_info or ground_truth"
    assert results[7]["reason"] == "no rlvr route for data_source 'hiyouga/geometry3k'"
    assert results[8]["reason"]
    one = [quick.score(*row) for row in rows[:6]]
    assert [r["score"] for r in one] == scores[:6]


def test_a_hang_is_unjudged_within_the_deadline(quick: VerlScorer) -> None:
    started = time.monotonic()
    results = quick.score_batch(
        ["math", "math", "math"],
        [TOWER, r"\boxed{\cot x}", r"\boxed{2}"],
        [r"\cot x", r"\cot x", "2"],
        [{}, {}, {}],
    )
    elapsed = time.monotonic() - started
    assert [r["acc"] for r in results] == [None, 1.0, 1.0]
    assert results[0]["reason"] == "timeout" and results[0]["score"] == 0.0
    assert elapsed < 10, elapsed  # a 1 s judgement deadline; generous for a loaded machine


class _Stuck(MathAccuracyReward):
    """A math reward whose judgement blocks in the calling thread until released."""

    release = threading.Event()

    def judge(self, prompts: Any, completions: Any, **columns: Any) -> Any:
        self.release.wait(60)
        return super().judge(prompts, completions, **columns)


def test_the_call_deadline_bounds_an_in_process_hang_sync_and_async() -> None:
    stuck = VerlScorer(deadline=0.5, workers=1, timeout=0.5)  # budget: 0.5 + 0.5 s per row on 1 worker
    stuck.math = _Stuck(executor=stuck.math.executor)
    try:
        started = time.monotonic()
        result = stuck.score("math", r"\boxed{2}", "2", {})
        assert time.monotonic() - started < 5
        assert result == {"score": 0.0, "acc": None, "unjudged": 1.0, "reason": "deadline of 1 s exceeded"}

        async def main() -> list[dict[str, Any]]:
            return await asyncio.gather(*(stuck.score_async("math", r"\boxed{2}", "2", {}) for _ in range(3)))

        started = time.monotonic()
        results = asyncio.run(main())
        assert time.monotonic() - started < 5
        assert all(r["reason"] == "deadline of 2 s exceeded" for r in results)  # 3 rows gathered
    finally:
        _Stuck.release.set()
        stuck.close()


def test_async_form_batches_concurrent_calls(quick: VerlScorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = VerlScorer.judge_rows

    def spy(self: VerlScorer, *columns: Any) -> Any:
        calls.append(len(columns[0]))
        return real(self, *columns)

    monkeypatch.setattr(VerlScorer, "judge_rows", spy)

    async def main() -> list[dict[str, Any]]:
        rows = [("math", rf"\boxed{{{i}}}", str(i if i % 2 else i + 1), {}) for i in range(40)]
        return await asyncio.gather(*(quick.score_async(*row) for row in rows))

    results = asyncio.run(main())
    assert [r["score"] for r in results] == [float(i % 2) for i in range(40)]
    assert sum(calls) == 40 and len(calls) < 40  # gathered, not one thread hop per row


def test_module_functions_take_options_from_reward_kwargs() -> None:
    kwargs = {"workers": 1, "fallback": "none", "reward_router_address": None, "sandbox_fusion_url": None}
    assert (
        compute_score("my_set", r"\boxed{1}", "1", {}, **kwargs)["reason"]
        == "no rlvr route for data_source 'my_set'"
    )
    assert scorer(**kwargs) is scorer(workers=1, fallback="none")
    batch = compute_score_batch(["gsm8k", "gsm8k"], ["#### 3", "#### 4"], ["3", "3"], [{}, {}], workers=1)
    assert [r["score"] for r in batch] == [1.0, 0.0]
    assert asyncio.run(compute_score_async("gsm8k", "#### 3", "3", None, workers=1))["acc"] == 1.0
    routes = {"my_set": "math"}
    assert compute_score("my_set", r"\boxed{1}", "1", {}, workers=1, routes=routes)["score"] == 1.0
    with pytest.raises(TypeError, match=r"unknown option\(s\) colour"):
        compute_score("gsm8k", "#### 3", "3", {}, colour="red")
    with pytest.raises(ValueError, match=r"compute_score_batch: .* differ in length"):
        compute_score_batch(["gsm8k"], ["#### 3", "#### 4"], ["3", "3"], [{}, {}], workers=1)


def test_hostile_rows_are_unjudged_never_a_crash(quick: VerlScorer) -> None:
    rows = [
        ("math", None, "2", {}),
        ("math", 12, "2", {}),
        ("math", "x" * 200_000 + r"\boxed{2}", "2", {}),
        (None, r"\boxed{2}", "2", "not a dict"),
        ("codeforces", ADD, {"inputs": "oops", "outputs": []}, {}),
        ("codeforces", "import os\nos._exit(0)", TACO_STDIN, {}),
    ]
    results = quick.score_batch(*map(list, zip(*rows, strict=True)))
    assert [r["score"] for r in results] == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    assert results[0]["acc"] is None and results[1]["acc"] is None
    assert results[4]["reason"].startswith("invalid verification_info")
    assert results[5]["acc"] == 0.0  # an exit-code trick is a wrong answer, not a pass


def test_loaded_by_file_path_as_verl_loads_it() -> None:
    path = Path(verl_module.__file__)
    spec = importlib.util.spec_from_file_location(f"custom_module_{hash(str(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.compute_score("gsm8k", "#### 5", "5", {}, workers=1)["score"] == 1.0
    assert asyncio.iscoroutinefunction(module.compute_score_async)


def test_scorer_pickles_to_its_config() -> None:
    scorer_ = VerlScorer(fallback="math", routes={"a": "code"})
    copy = pickle.loads(pickle.dumps(scorer_))
    assert copy.config == scorer_.config and copy is not scorer_


def test_golds_as_parquet_rows_hold_them(quick: VerlScorer) -> None:
    import numpy as np

    rows = [
        ("openai/gsm8k", "#### 72", np.int64(72), {}),
        ("math", r"\boxed{2}", np.array(["2"], dtype=object), {}),
        ("math", r"\boxed{2}", ["2"], {}),
        ("math", r"\boxed{x}", np.str_("x"), {}),
    ]
    results = quick.score_batch(*map(list, zip(*rows, strict=True)))
    assert [r["acc"] for r in results] == [1.0, 1.0, 1.0, 1.0]
