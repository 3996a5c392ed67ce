"""The reward contract: TRL's signature, input forms, None handling, logging, options, pickling, threads."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from rlvr.rewards import (
    REWARDS,
    Item,
    MissingColumnError,
    Reward,
    TagCountReward,
    ThinkFormatConfig,
    ThinkFormatReward,
    get_reward_spec,
    tag_count,
    think_answer_format,
    think_format,
)
from rlvr.verifiers.verdict import Verdict

GOOD = "<think>2+2=4</think>4"
GOOD_TA = "<think>2+2=4</think><answer>4</answer>"
R1_DISTILL_PROMPT = "<｜User｜>2+2?<｜Assistant｜><think>\n"


class Logs:
    """Collects what a reward sends to TRL's ``log_metric`` and ``log_extra``."""

    def __init__(self) -> None:
        self.metrics: list[tuple[str, float]] = []
        self.extras: list[tuple[str, list[Any]]] = []

    def log_metric(self, name: str, value: float) -> None:
        self.metrics.append((name, value))

    def log_extra(self, column: str, values: list[Any]) -> None:
        self.extras.append((column, values))

    def kwargs(self) -> dict[str, Any]:
        """The logging keywords to pass to a reward."""
        return {"log_metric": self.log_metric, "log_extra": self.log_extra}

    def extra(self, column: str) -> list[Any]:
        """The values logged (exactly once) under ``column``."""
        found = [values for name, values in self.extras if name == column]
        assert len(found) == 1, (column, self.extras)
        return found[0]


def assistant(content: Any, **fields: Any) -> list[dict[str, Any]]:
    """A chat completion: one assistant message."""
    return [{"role": "assistant", "content": content, **fields}]


# --- test rewards (module level so they pickle) ---------------------------------------------------------


@dataclass(frozen=True)
class NoOptions:
    """A config with no fields."""


class AnswerEquals(Reward):
    """1.0 when the completion equals the ``answer`` column."""

    default_name: ClassVar[str] = "answer_equals"
    config_class: ClassVar[type] = NoOptions
    required_columns: ClassVar[tuple[str, ...]] = ("answer",)

    def judge_one(self, item: Item) -> Verdict:
        return Verdict(float(item.completion.text.strip() == item.row["answer"]))


class Flaky(Reward):
    """Raises on the completion ``"bad"``."""

    default_name: ClassVar[str] = "flaky"
    config_class: ClassVar[type] = NoOptions

    def judge_one(self, item: Item) -> Verdict:
        if item.completion.text == "bad":
            raise ValueError("boom")
        return Verdict(1.0)


class WrongCount(Reward):
    """A broken batch judge that drops an item."""

    default_name: ClassVar[str] = "wrong_count"
    config_class: ClassVar[type] = NoOptions

    def judge_batch(self, items: Sequence[Item]) -> list[Verdict]:
        return [Verdict(1.0)] * (len(items) - 1)


class NeedsPrompts(Reward):
    """Reads prompts."""

    default_name: ClassVar[str] = "needs_prompts"
    config_class: ClassVar[type] = NoOptions
    reads_prompts: ClassVar[bool] = True

    def judge_one(self, item: Item) -> Verdict:
        return Verdict(1.0)


# --- input forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        pytest.param(GOOD, 1.0, id="string"),
        pytest.param("4", 0.0, id="string-no-think"),
        pytest.param(assistant(GOOD), 1.0, id="chat"),
        pytest.param({"role": "assistant", "content": GOOD}, 1.0, id="single-message-mapping"),
        pytest.param(
            assistant(
                [
                    {"type": "text", "text": "<think>a"},
                    {"type": "image"},
                    {"type": "text", "text": "</think>b"},
                ]
            ),
            1.0,
            id="multimodal-parts",
        ),
        pytest.param(assistant(["<think>a", "</think>b"]), 1.0, id="string-parts"),
        pytest.param(assistant("4", reasoning_content="2+2=4"), 1.0, id="reasoning-content"),
        pytest.param(assistant("4", reasoning_content=""), 0.0, id="empty-reasoning-content"),
        pytest.param(assistant(GOOD, reasoning_content="2+2=4"), 0.0, id="reasoning-content-and-tags"),
        pytest.param(assistant(GOOD, reasoning_content=None), 1.0, id="reasoning-content-none"),
        pytest.param(
            assistant("4", reasoning_content=[{"type": "text", "text": "2+2"}]),
            1.0,
            id="reasoning-content-parts",
        ),
        pytest.param(assistant(None, reasoning_content="r"), 0.0, id="content-none"),
        pytest.param(
            [
                {"role": "assistant", "content": "junk"},
                {"role": "tool", "content": "42"},
                {"role": "assistant", "content": GOOD},
            ],
            1.0,
            id="last-assistant-counts",
        ),
        pytest.param(
            [
                {"role": "assistant", "content": GOOD},
                {"role": "tool", "content": "42"},
                {"role": "assistant", "content": "junk"},
            ],
            0.0,
            id="last-assistant-counts-fails",
        ),
        pytest.param(
            [{"role": "assistant", "content": GOOD}, {"role": "tool", "content": "x"}],
            1.0,
            id="assistant-then-tool",
        ),
    ],
)
def test_completion_forms(completion: Any, expected: float) -> None:
    logs = Logs()
    assert think_format(prompts=["Q?"], completions=[completion], **logs.kwargs()) == [expected]
    reason = logs.extra("think_format/reason")[0]
    assert (reason == "") if expected == 1.0 else bool(reason)


@pytest.mark.parametrize(
    "completion",
    [
        pytest.param([{"role": "user", "content": GOOD}], id="no-assistant-message"),
        pytest.param([], id="empty-message-list"),
        pytest.param(42, id="int"),
        pytest.param(None, id="none"),
        pytest.param(b"<think>a</think>b", id="bytes"),
        pytest.param(["not a message"], id="non-mapping-message"),
        pytest.param(assistant({"text": GOOD}), id="mapping-content"),
        pytest.param(assistant(42), id="int-content"),
    ],
)
def test_malformed_completion_is_unjudged(completion: Any) -> None:
    logs = Logs()
    scores = think_format(completions=[GOOD, completion, GOOD], **logs.kwargs())
    assert scores == [1.0, None, 1.0]
    reasons = logs.extra("think_format/reason")
    assert reasons[0] == reasons[2] == ""
    assert reasons[1].startswith("malformed input")
    assert ("rewards/think_format/unjudged_frac", pytest.approx(1 / 3)) in logs.metrics


def test_no_assistant_message_reason() -> None:
    verdicts = think_format.judge(None, [[{"role": "user", "content": "hi"}]])
    assert verdicts == [Verdict(None, "malformed input: chat completion has no assistant message")]


@pytest.mark.parametrize("reward", [think_format, think_answer_format, tag_count], ids=lambda r: r.__name__)
@pytest.mark.parametrize("size", [0, 1, 2, 17])
def test_length_in_equals_length_out(reward: Reward, size: int) -> None:
    pool = [GOOD, GOOD_TA, "4", "", assistant(GOOD), [], "<think>a", assistant("4", reasoning_content="r")]
    completions = [pool[i % len(pool)] for i in range(size)]
    logs = Logs()
    scores = reward(prompts=["Q?"] * size, completions=completions, **logs.kwargs())
    assert len(scores) == size
    assert all(s is None or isinstance(s, float) for s in scores)
    assert len(logs.extra(f"{reward.__name__}/reason")) == size
    metrics = [name for name, _ in logs.metrics]
    assert metrics == ([f"rewards/{reward.__name__}/unjudged_frac"] if size else [])


def test_logging_names_and_values() -> None:
    reward = ThinkFormatReward(name="fmt")
    logs = Logs()
    scores = reward(completions=[GOOD, "4", [], "<think></think>x"], **logs.kwargs())
    assert scores == [1.0, 0.0, None, 0.0]
    assert logs.metrics == [("rewards/fmt/unjudged_frac", 0.25)]
    reasons = logs.extra("fmt/reason")
    assert reasons[0] == ""
    assert reasons[1] == "no <think> block"
    assert reasons[2].startswith("malformed input")
    assert reasons[3] == "empty think block"


def test_logging_is_optional() -> None:
    assert think_format(completions=[GOOD, []]) == [1.0, None]


def test_variants() -> None:
    completions = [GOOD, GOOD_TA, "<think>a</think>", "<think>a"]
    assert think_format(completions=completions) == [1.0, 1.0, 0.0, 0.0]
    assert think_answer_format(completions=completions) == [0.0, 1.0, 0.0, 0.0]
    assert tag_count(completions=completions) == [1.0, 1.0, 0.75, 0.25]
    assert TagCountReward(template="think_answer")(completions=completions) == [0.5, 1.0, 0.5, 0.25]
    assert (think_format.__name__, think_answer_format.__name__, tag_count.__name__) == (
        "think_format",
        "think_answer_format",
        "tag_count",
    )


# --- a chat template that opened <think> -----------------------------------------------------------------


def test_prompt_opened_think_detected_from_string_prompt() -> None:
    prompts = [R1_DISTILL_PROMPT, R1_DISTILL_PROMPT, "Q?", "Q?"]
    completions = ["2+2=4\n</think>\n4", GOOD, "2+2=4\n</think>\n4", GOOD]
    logs = Logs()
    assert think_format(prompts=prompts, completions=completions, **logs.kwargs()) == [1.0, 0.0, 0.0, 1.0]
    assert "repeated" in logs.extra("think_format/reason")[1]
    assert tag_count(prompts=prompts, completions=completions) == [1.0, 0.5, 0.5, 1.0]
    ta = ["r</think><answer>4</answer>", GOOD_TA, "r</think><answer>4</answer>", GOOD_TA]
    assert think_answer_format(prompts=prompts, completions=ta) == [1.0, 0.0, 0.0, 1.0]


def test_prompt_opened_think_detected_from_chat_prefill() -> None:
    prefill = [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "<think>\n"}]
    user_last = [{"role": "user", "content": "Start with <think>\n"}]
    closed_prefill = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "<think></think>"},
    ]
    prompts = [prefill, prefill, user_last, closed_prefill]
    completions = [assistant("r</think>4"), assistant(GOOD), assistant("r</think>4"), assistant("r</think>4")]
    assert think_format(prompts=prompts, completions=completions) == [1.0, 0.0, 0.0, 0.0]


def test_prompt_opened_think_config_flag() -> None:
    completions = ["r</think>4", GOOD]
    opened = ThinkFormatReward(think_opened_by_prompt=True)
    never = ThinkFormatReward(think_opened_by_prompt=False)
    assert opened(completions=completions) == [1.0, 0.0]
    assert opened(prompts=["Q?", "Q?"], completions=completions) == [1.0, 0.0]
    assert never(prompts=[R1_DISTILL_PROMPT] * 2, completions=completions) == [0.0, 1.0]
    # Without prompts nothing can be detected: the default assumes the completion opens the block.
    assert think_format(completions=completions) == [0.0, 1.0]
    assert ThinkFormatReward.from_options({"think_opened_by_prompt": "true"})(completions=completions) == [
        1.0,
        0.0,
    ]


# --- options, construction, registry ------------------------------------------------------------------------


def test_construction_errors() -> None:
    with pytest.raises(TypeError, match="either a config or keyword options"):
        ThinkFormatReward(ThinkFormatConfig(), template="think")
    with pytest.raises(TypeError, match="takes a ThinkFormatConfig"):
        ThinkFormatReward(NoOptions())
    with pytest.raises(ValueError, match="identifier"):
        ThinkFormatReward(name="not an identifier")
    with pytest.raises(ValueError, match="template must be one of"):
        ThinkFormatReward(template="xml")
    with pytest.raises(ValueError, match="think_opened_by_prompt"):
        ThinkFormatConfig(think_opened_by_prompt="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ThinkFormatReward(unknown_option=1)


def test_config_object_and_repr() -> None:
    reward = ThinkFormatReward(ThinkFormatConfig(template="think_answer"), name="r1_zero")
    assert reward.config.template == "think_answer"
    assert reward.__name__ == "r1_zero"
    assert "r1_zero" in repr(reward) and "think_answer" in repr(reward)


@pytest.mark.parametrize(
    ("options", "template", "opened"),
    [
        ({}, "think", None),
        ({"template": "think_answer"}, "think_answer", None),
        ({"think_opened_by_prompt": "yes"}, "think", True),
        ({"think_opened_by_prompt": "off"}, "think", False),
        ({"think_opened_by_prompt": "none"}, "think", None),
    ],
)
def test_from_options(options: dict[str, str], template: str, opened: bool | None) -> None:
    reward = ThinkFormatReward.from_options(options, name="custom")
    assert (reward.config.template, reward.config.think_opened_by_prompt) == (template, opened)
    assert reward.__name__ == "custom"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        (
            {"templat": "think"},
            r"unknown option 'templat' for ThinkFormatConfig \(known: template, think_opened",
        ),
        ({"template": "xml"}, "template must be one of think, think_answer; got 'xml'"),
        ({"template": "THINK"}, "template must be one of"),
        ({"think_opened_by_prompt": "maybe"}, "think_opened_by_prompt must be true or false; got 'maybe'"),
    ],
)
def test_from_options_errors(options: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ThinkFormatReward.from_options(options)


def test_every_registry_entry_creates() -> None:
    """Every registered reward builds with its defaults and rejects an unknown option by name."""
    for name, spec in REWARDS.items():
        assert get_reward_spec(name) is spec
        assert get_reward_spec(spec.name) is spec  # the reward's own name works too ("math_accuracy")
        assert spec.summary and spec.columns
        reward = spec.create()
        assert isinstance(reward, spec.reward_class)
        assert reward.__name__ == spec.name
        with pytest.raises(ValueError, match=r"unknown option 'nope' for \w+ \(known: "):
            spec.create({"nope": "1"})


def test_think_registry_entries() -> None:
    assert {"think_format", "think_answer_format", "tag_count"} <= set(REWARDS)
    batch = [GOOD, GOOD_TA, "<think>a</think>", "4", []]
    expected = {
        "think_format": think_format(completions=batch),
        "think_answer_format": think_answer_format(completions=batch),
        "tag_count": tag_count(completions=batch),
    }
    for name, scores in expected.items():
        spec = REWARDS[name]
        assert spec.create()(completions=batch) == scores
        opened = spec.create({"think_opened_by_prompt": "true"})
        assert opened.config.think_opened_by_prompt is True
        assert opened.__name__ == name
        with pytest.raises(ValueError, match="think_opened_by_prompt must be true or false"):
            spec.create({"think_opened_by_prompt": "2"})


def test_registry_options_override_preset() -> None:
    assert REWARDS["think_answer_format"].create().config.template == "think_answer"
    assert REWARDS["think_answer_format"].create({"template": "think"}).config.template == "think"
    assert REWARDS["think_answer_format"].preset == {"template": "think_answer"}


def test_unknown_registry_name() -> None:
    with pytest.raises(KeyError, match=r"unknown reward 'thinkformat'; known: .*think_answer_format"):
        get_reward_spec("thinkformat")


# --- pickling ---------------------------------------------------------------------------------------------

PICKLE_BATCH = [GOOD, GOOD_TA, "r</think>4", "<think>a", assistant("4", reasoning_content="r"), [], "4"]
PICKLE_PROMPTS = [R1_DISTILL_PROMPT, "Q?", R1_DISTILL_PROMPT, "Q?", "Q?", "Q?", "Q?"]


def _all_rewards() -> list[Reward]:
    """Every packaged reward, the registry's and a few configured ones."""
    return [
        think_format,
        think_answer_format,
        tag_count,
        *(REWARDS[name].create() for name in ("think_format", "think_answer_format", "tag_count")),
        ThinkFormatReward(template="think_answer", think_opened_by_prompt=True, name="r1_zero"),
        TagCountReward(template="think_answer", name="tags_ta"),
        Flaky(),
    ]


@pytest.mark.parametrize("reward", _all_rewards(), ids=lambda r: r.__name__)
def test_pickle_round_trip(reward: Reward) -> None:
    clone = pickle.loads(pickle.dumps(reward))
    assert type(clone) is type(reward)
    assert clone.__name__ == reward.__name__
    assert clone.config == reward.config
    assert clone(prompts=PICKLE_PROMPTS, completions=PICKLE_BATCH) == reward(
        prompts=PICKLE_PROMPTS, completions=PICKLE_BATCH
    )


def test_pickle_custom_column_reward() -> None:
    clone = pickle.loads(pickle.dumps(AnswerEquals(name="eq")))
    assert clone.__name__ == "eq"
    assert clone(completions=["4", "5"], answer=["4", "4"]) == [1.0, 0.0]


# --- columns and TRL keywords -----------------------------------------------------------------------------


def test_missing_column_is_a_clear_error() -> None:
    reward = AnswerEquals()
    with pytest.raises(MissingColumnError) as info:
        reward(prompts=["Q?"], completions=["4"], solution=["4"], trainer_state=object())
    message = str(info.value)
    assert "'answer'" in message and "'answer_equals'" in message
    assert "solution" in message
    assert isinstance(info.value, KeyError)
    with pytest.raises(MissingColumnError, match=r"'answer'.*columns: none"):
        reward(completions=["4"], environments=[None])


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(["4"], id="too-short"),
        pytest.param(["4", "4", "4"], id="too-long"),
        pytest.param("44", id="str"),
    ],
)
def test_wrong_length_column(column: Any) -> None:
    with pytest.raises(
        ValueError,
        match=r"'answer_equals': column 'answer' must hold one value per completion \(2\)",
    ):
        AnswerEquals()(completions=["4", "4"], answer=column)


def test_other_length_errors() -> None:
    with pytest.raises(ValueError, match="1 prompts for 2 completions"):
        think_format(prompts=["Q?"], completions=[GOOD, GOOD])
    with pytest.raises(TypeError, match="needs completions"):
        think_format(prompts=["Q?"])
    with pytest.raises(ValueError, match="needs prompts"):
        NeedsPrompts()(completions=[GOOD])
    assert NeedsPrompts()(prompts=["Q?"], completions=[GOOD]) == [1.0]
    with pytest.raises(RuntimeError, match="returned 1 verdicts for 2 items"):
        WrongCount()(completions=["a", "b"])


def test_rows_line_up_with_completions_around_malformed_items() -> None:
    scores = AnswerEquals()(completions=["4", 42, assistant("6"), "7"], answer=["4", "x", "6", "8"])
    assert scores == [1.0, None, 1.0, 0.0]


def test_extra_trl_keywords_are_accepted() -> None:
    class State:
        global_step = 3

    logs = Logs()
    scores = think_format(
        prompts=["Q?", "Q?"],
        completions=[GOOD, "4"],
        completion_ids=[[1, 2, 3], [4]],
        trainer_state=State(),
        environments=[object(), object()],
        solution=["4", "5"],
        scalar_column=7,
        **logs.kwargs(),
    )
    assert scores == [1.0, 0.0]
    assert AnswerEquals()(["Q?"], ["4"], [[1]], trainer_state=None, answer=["4"], environments=None) == [1.0]


def test_exception_in_judge_one_unjudges_that_item_only() -> None:
    logs = Logs()
    assert Flaky()(completions=["ok", "bad", "ok"], **logs.kwargs()) == [1.0, None, 1.0]
    assert logs.extra("flaky/reason") == ["", "ValueError: boom", ""]
    assert logs.metrics == [("rewards/flaky/unjudged_frac", pytest.approx(1 / 3))]


# --- threads ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reward", [think_format, think_answer_format, tag_count], ids=lambda r: r.__name__)
def test_thread_safety(reward: Reward) -> None:
    pool = [
        GOOD,
        GOOD_TA,
        "r</think>4",
        "<think>a",
        assistant("4", reasoning_content="r"),
        [],
        "4",
        "\n" + GOOD,
    ]
    prompt_pool = [R1_DISTILL_PROMPT, "Q?", "Q?"]
    completions = [pool[i % len(pool)] for i in range(400)]
    prompts = [prompt_pool[i % len(prompt_pool)] for i in range(400)]
    expected = reward(prompts=prompts, completions=completions)
    barrier = threading.Barrier(8, timeout=10)

    def run(_: int) -> tuple[list[float | None], list[Any]]:
        logs = Logs()
        barrier.wait()
        scores = reward(prompts=prompts, completions=completions, **logs.kwargs())
        return scores, logs.extra(f"{reward.__name__}/reason")

    with ThreadPoolExecutor(max_workers=8) as executor:
        results = list(executor.map(run, range(8)))
    for scores, reasons in results:
        assert scores == expected
        assert len(reasons) == len(completions)


@pytest.mark.parametrize("name", sorted(REWARDS))
def test_every_registered_reward_pickles_with_its_name(name: str) -> None:
    """TRL and accelerate may pickle rewards: every registered one survives it, name and options kept."""
    reward = REWARDS[name].create()
    copy = pickle.loads(pickle.dumps(reward))
    assert type(copy) is type(reward)
    assert copy.__name__ == reward.__name__
    assert copy.config == reward.config


def test_racing_threads_start_one_executor_and_one_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from rlvr.rewards import CodeExecutionReward, MathAccuracyReward

    math_reward, code_reward = MathAccuracyReward(), CodeExecutionReward(workers=1)
    real_config, real_sandbox = MathAccuracyReward.executor_config, CodeExecutionReward._new_sandbox

    def slow_config(self, given):  # type: ignore[no-untyped-def]
        time.sleep(0.05)  # every thread is inside the first start at once
        return real_config(self, given)

    def slow_sandbox(self):  # type: ignore[no-untyped-def]
        time.sleep(0.05)
        return real_sandbox(self)

    monkeypatch.setattr(MathAccuracyReward, "executor_config", slow_config)
    monkeypatch.setattr(CodeExecutionReward, "_new_sandbox", slow_sandbox)
    executors: list[object] = []
    sandboxes: list[object] = []
    threads = [threading.Thread(target=lambda: executors.append(math_reward.executor)) for _ in range(4)]
    threads += [threading.Thread(target=lambda: sandboxes.append(code_reward.sandbox)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(executors) == 4 and all(e is math_reward.executor for e in executors)
    assert len(sandboxes) == 4 and all(s is code_reward.sandbox for s in sandboxes)
    copy = pickle.loads(pickle.dumps(math_reward))  # the lock stays behind; the copy makes its own
    assert copy.executor is copy.executor
    for reward in (math_reward, code_reward, copy):
        reward.close()
