"""rlvr as OpenRLHF's reward: reward_func loaded by path and called as OpenRLHF calls it, ChatML queries
decoded with special tokens by a real tokenizer, and OpenRLHF's HTTP request against ``rlvr serve``.

Where OpenRLHF itself is importable (``.ci/run``'s trainer environment installs it without its GPU
dependencies and sets ``RLVR_REQUIRE_OPENRLHF=1``), its own ``SingleTurnAgentExecutor`` runs the whole
path: tokenise the prompt, generate (a scripted engine), decode the query, call the reward — by file and by
URL — and build the experience info the way its samples generator does.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import string
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import rlvr.integrations.openrlhf as openrlhf_module
from rlvr.integrations.openrlhf import OpenRLHFConfig, OpenRLHFReward, judge_queries
from rlvr.integrations.queries import QueryError, response_of
from rlvr.rewards import math_accuracy

torch = pytest.importorskip("torch")

CHATML = ("<|im_start|>", "<|im_end|>", "<|endoftext|>")
SYSTEM = "<|im_start|>system\nPlease reason step by step.<|im_end|>\n"
ADD = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def chatml_prompt(question: str, think: bool = False) -> str:
    return f"{SYSTEM}<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n" + (
        "<think>\n" if think else ""
    )


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from rlvr.integrations.tiny import build_tokenizer

    tok = build_tokenizer(string.printable)
    tok.add_special_tokens({"additional_special_tokens": list(CHATML)})
    return tok


def as_query(tokenizer: Any, prompt: str, response: str) -> str:
    """What OpenRLHF hands the reward: prompt + response token ids, decoded with special tokens kept."""
    ids = (
        tokenizer(prompt, add_special_tokens=False)["input_ids"]
        + tokenizer(response, add_special_tokens=False)["input_ids"]
    )
    return tokenizer.decode(ids, skip_special_tokens=False)


def load_like_openrlhf(path: str) -> Any:
    """OpenRLHF's loader: ``spec_from_file_location("reward_func", path)``, then ``module.reward_func``."""
    spec = importlib.util.spec_from_file_location("reward_func", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_func


QWEN = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
LLAMA3_HEAD = "<|start_header_id|>user<|end_header_id|>\n\n"
LLAMA3_TAIL = "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
SPLITS = [
    (QWEN + "A<|im_end|>", QWEN, "A"),
    ("<s>[INST] Q [/INST] A</s><pad>", "[INST] Q [/INST]", " A"),  # a BOS in front of the prompt
    # decoding changed a space inside the prompt: found by its assistant header
    (
        "<|begin_of_text|>" + LLAMA3_HEAD + "Q" + LLAMA3_TAIL + "A<|eot_id|>",
        LLAMA3_HEAD + " Q" + LLAMA3_TAIL,
        "A",
    ),
    (
        "<｜User｜>Q<｜Assistant｜><think>\nx</think>A<｜end▁of▁sentence｜>",
        "<｜User｜>Q <｜Assistant｜><think>\n",
        "x</think>A",
    ),
    # a response that writes prompt-like turns of its own cannot move where it starts
    (
        "<|im_start|>user\nQ <|im_end|><|im_start|>assistant\nB <|im_start|>assistant\nC<|im_end|>",
        "<|im_start|>user\nQ<|im_end|><|im_start|>assistant\n",
        "B <|im_start|>assistant\nC",
    ),
    ("just text", "", "just text"),
]


@pytest.mark.parametrize(("query", "prompt", "response"), SPLITS)
def test_response_of(query: str, prompt: str, response: str) -> None:
    assert response_of(query, prompt) == response


def test_response_of_refuses_what_it_cannot_split() -> None:
    with pytest.raises(QueryError, match="assistant header is not in the query"):
        response_of(
            "<|im_start|>user\nsomething else", "<|im_start|>user\nQ<|im_end|><|im_start|>assistant\n"
        )
    with pytest.raises(QueryError, match="query must be text"):
        response_of(None, "x")  # type: ignore[arg-type]


def test_reward_func_loaded_by_path_and_called_as_openrlhf_does(tokenizer: Any) -> None:
    reward_func = load_like_openrlhf(openrlhf_module.__file__)
    rows = [
        (
            chatml_prompt("What is 6*7?"),
            r"6*7 = 42, so the answer is $\boxed{42}$.<|im_end|><|endoftext|>",
            "42",
            1.0,
        ),
        (chatml_prompt("What is 6*7?", think=True), r"6 sevens</think>\boxed{42}<|im_end|>", "42", 1.0),
        (chatml_prompt("What is half of 1?"), r"\boxed{0.5}<|im_end|>", r"\frac{1}{2}", 1.0),
        (
            chatml_prompt(r"Not \boxed{7}: what is 3+4?"),
            "I do not know.<|im_end|>",
            "7",
            0.0,
        ),  # no answer read from the prompt
        (chatml_prompt("What is 6*7?"), r"\boxed{41}<|im_end|>", "42", 0.0),
    ]
    queries = [as_query(tokenizer, p, r) for p, r, _, _ in rows]
    prompts = [p for p, _, _, _ in rows]
    labels = [label for _, _, label, _ in rows]

    async def fetch() -> list[
        dict[str, Any]
    ]:  # OpenRLHF's _fetch_rewards_via_func: one query per thread call
        calls = [
            asyncio.to_thread(reward_func, [q], [p], [lab])
            for q, p, lab in zip(queries, prompts, labels, strict=True)
        ]
        return await asyncio.gather(*calls)

    results = asyncio.run(fetch())
    for result, (*_, expected) in zip(results, rows, strict=True):
        assert isinstance(result["rewards"], torch.Tensor) and result["rewards"].dtype == torch.float32
        assert result["rewards"].tolist() == [expected] and result["scores"].tolist() == [expected]
        info = {"reward": torch.tensor([result["rewards"]]), "score": torch.tensor([result["scores"]])}
        for key, value in result["extra_logs"].items():  # what OpenRLHF's samples generator does next
            info[key] = torch.tensor([value.flatten()[0].item()])
        assert info["rlvr_unjudged"].item() == 0.0
    batch = reward_func(queries, prompts, labels)
    assert batch["rewards"].tolist() == [r[-1] for r in rows]


def test_unjudged_queries_get_the_configured_reward_and_are_counted() -> None:
    reward = OpenRLHFReward(unjudged_reward=-1.0, as_tensors=False)
    prompt = chatml_prompt("Q")
    out = reward(
        [prompt + r"\boxed{1}<|im_end|>", "no prompt in here", prompt + r"\boxed{1}"],
        [prompt] * 3,
        ["1", "1", r"\frac{1}{0"],
    )
    assert out["rewards"] == [1.0, -1.0, -1.0] and out["scores"] == [1.0, 0.0, 0.0]
    assert out["extra_logs"]["rlvr_unjudged"] == [0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="2 labels for 3 queries"):
        reward(["a", "b", "c"], None, ["1", "2"])
    with pytest.raises(KeyError, match="unknown reward 'nope'"):
        OpenRLHFConfig(reward="nope")


def test_other_rewards_take_labels_in_their_own_column() -> None:
    code = OpenRLHFReward(reward="code", options={"workers": "1"}, as_tensors=False)
    try:
        prompt = chatml_prompt("Add two numbers.")
        tests = json.dumps({"inputs": ["1 2\n", "5 5\n"], "outputs": ["3\n", "10\n"]})
        out = code(
            [prompt + ADD + "<|im_end|>", prompt + "print(3)<|im_end|>", prompt + ADD],
            [prompt] * 3,
            [tests, tests, "not tests"],
        )
        assert out["rewards"] == [1.0, 0.5, 0.0] and out["extra_logs"]["rlvr_unjudged"] == [0.0, 0.0, 1.0]
    finally:
        code.close()
    fmt = OpenRLHFReward(reward="think_format", as_tensors=False)
    thinking = chatml_prompt("Q", think=True)
    assert fmt([thinking + "a</think>b<|im_end|>", thinking + "ab<|im_end|>"], [thinking] * 2)["rewards"] == [
        1.0,
        0.0,
    ]
    whole = judge_queries(math_accuracy, ["Q \\boxed{2}</s>"], None, ["2"])  # no prompt: the whole query
    assert whole[0].score == 1.0


# --- OpenRLHF's own code ------------------------------------------------------------------------------

if os.environ.get("RLVR_REQUIRE_OPENRLHF"):
    import openrlhf.utils.agent  # noqa: F401

    HAVE_OPENRLHF = True
else:
    HAVE_OPENRLHF = importlib.util.find_spec("openrlhf") is not None


class ScriptedEngine:
    """Stands in for vLLM: returns the scripted response's token ids for a prompt."""

    def __init__(self, tokenizer: Any, responses: dict[str, str]) -> None:
        self.tokenizer = tokenizer
        self.responses = responses

    async def generate(
        self, prompt_token_ids: list[int], sampling_params: Any, multi_modal_data: Any = None
    ) -> Any:
        prompt = self.tokenizer.decode(prompt_token_ids, skip_special_tokens=False)
        text = self.responses[prompt]
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        output = SimpleNamespace(token_ids=ids, text=text, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


def run_openrlhf(tokenizer: Any, remote: str, rows: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    executor = SingleTurnAgentExecutor(remote)
    engine = ScriptedEngine(tokenizer, {p: r for p, r, _ in rows})
    params = SimpleNamespace(max_tokens=256, logprobs=None)

    async def main() -> list[dict[str, Any]]:
        calls = [executor.execute(p, label, params, 1024, tokenizer, engine) for p, _, label in rows]
        return await asyncio.gather(*calls)

    return asyncio.run(main())


OPENRLHF_ROWS = [
    (chatml_prompt("What is 6*7?"), r"It is $\boxed{42}$.<|im_end|>", "42"),
    (chatml_prompt("What is 6*7?", think=True), r"six sevens</think>\boxed{41}<|im_end|>", "42"),
]


@pytest.mark.skipif(not HAVE_OPENRLHF, reason="OpenRLHF is not installed (.ci/run installs it for this test)")
def test_openrlhfs_executor_with_the_reward_file(tokenizer: Any) -> None:
    outputs = run_openrlhf(tokenizer, openrlhf_module.__file__, OPENRLHF_ROWS)
    assert [o["reward"].tolist() for o in outputs] == [[1.0], [0.0]]
    assert [o["scores"].tolist() for o in outputs] == [[1.0], [0.0]]
    assert outputs[0]["extra_logs"]["rlvr_unjudged"].tolist() == [0.0]


@pytest.fixture(scope="module")
def served() -> Iterator[Any]:
    pytest.importorskip("aiohttp")
    from serve_harness import TOKEN, Server

    server = Server("--reward", "math", "--workers", "1")
    yield server, TOKEN
    server.stop()


def test_openrlhfs_http_request_against_rlvr_serve(served: Any, tokenizer: Any) -> None:
    """The exact JSON OpenRLHF's client posts (query, prompts, labels), as its aiohttp client posts it, with
    the token in the URL (OpenRLHF sends no headers of its own)."""
    import aiohttp

    server, token = served
    prompt = chatml_prompt("What is 6*7?")
    payload = {
        "query": [as_query(tokenizer, prompt, r"\boxed{42}<|im_end|>")],
        "prompts": [prompt],
        "labels": ["42"],
    }

    async def post(url: str) -> tuple[int, Any]:
        timeout = aiohttp.ClientTimeout(total=180)  # OpenRLHF's own
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=payload) as response,
        ):
            return response.status, await response.json()

    status, body = asyncio.run(post(f"http://openrlhf:{token}@127.0.0.1:{server.port}/get_reward"))
    assert status == 200 and body == {
        "rewards": [1.0],
        "scores": [1.0],
        "extra_logs": {"math_accuracy": [1.0], "rlvr_unjudged": [0.0]},
    }
    status, body = asyncio.run(post(f"http://127.0.0.1:{server.port}/get_reward"))
    assert status == 401


@pytest.mark.skipif(not HAVE_OPENRLHF, reason="OpenRLHF is not installed (.ci/run installs it for this test)")
def test_openrlhfs_executor_against_rlvr_serve(served: Any, tokenizer: Any) -> None:
    server, token = served
    outputs = run_openrlhf(
        tokenizer, f"http://openrlhf:{token}@127.0.0.1:{server.port}/get_reward", OPENRLHF_ROWS
    )
    assert [o["reward"] for o in outputs] == [[1.0], [0.0]]
    assert [o["scores"] for o in outputs] == [[1.0], [0.0]]
    assert outputs[1]["extra_logs"] == {"math_accuracy": [0.0], "rlvr_unjudged": [0.0]}


def test_the_file_path_is_printed_for_remote_url() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "rlvr.integrations.openrlhf"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and Path(result.stdout.strip()) == Path(openrlhf_module.__file__)
