"""The language-consistency reward: targets, chain of thought, None, registry, CLI example, pickling."""

from __future__ import annotations

import io
import json
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest

from rlvr.rewards import (
    REWARDS,
    LanguageConsistencyConfig,
    LanguageConsistencyReward,
    get_reward_spec,
    language_consistency,
)
from rlvr.rewards.scoring import score_stream
from rlvr.verifiers.language import LanguageDetectorMissingError
from rlvr.verifiers.language import detect as detect_module

FR = "Il faut d'abord compter les multiples de sept, puis vérifier le résultat avec soin."  # 14 words
EN = "We first count the multiples of seven and then check the result carefully."  # 13 words
ZH = "我们先数出七的倍数，然后仔细检查结果。"  # 17 characters


def think(reasoning: str, answer: str = "14") -> str:
    return f"<think>\n{reasoning}\n</think>\n{answer}"


def test_target_from_the_language_column() -> None:
    scores = language_consistency(
        completions=[think(FR), think(FR), think(f"{FR} {EN}")], language=["fr", "en", "fr-FR"]
    )
    assert scores[0] == 1.0
    assert scores[1] == 0.0
    assert scores[2] == pytest.approx(14 / 27)


def test_target_from_the_option_then_the_prompt() -> None:
    fixed = LanguageConsistencyReward(language="zh")
    assert fixed(completions=[think(ZH)]) == [1.0]
    assert fixed(completions=[think(ZH)], language=["en"]) == [0.0]  # the column wins
    assert fixed(completions=[think(ZH)], language=[None]) == [1.0]  # a missing value falls back
    prompts = [
        "Combien de multiples de sept y a-t-il entre un et cent ?",
        [{"role": "user", "content": "七的倍数有多少个？"}],
    ]
    assert language_consistency(prompts=prompts, completions=[think(FR), think(ZH)]) == [1.0, 1.0]


def test_no_target_is_not_judged() -> None:
    logs: list[tuple[str, list[object]]] = []
    scores = language_consistency(
        completions=[think(FR)], log_extra=lambda name, values: logs.append((name, values))
    )
    assert scores == [None]
    assert "no target language" in logs[0][1][0]
    strict = LanguageConsistencyReward(detect_from_prompt=False)
    assert strict(prompts=["Combien ?"], completions=[think(FR)]) == [None]
    assert language_consistency(prompts=["$1+1$"], completions=[think(FR)]) == [None]


def test_bad_language_value_is_not_judged_with_a_reason() -> None:
    verdicts = language_consistency.judge(None, [think(FR), think(FR)], language=["nl", "fr"])
    assert verdicts[0].score is None and "unsupported language 'nl'" in verdicts[0].reason
    assert verdicts[1].score == 1.0
    with pytest.raises(ValueError, match="unsupported language"):
        LanguageConsistencyConfig(language="klingon")


def test_chain_of_thought_parts() -> None:
    answer_en = "The answer is fourteen, because there are fourteen multiples of seven below one hundred."
    assert language_consistency(completions=[think(FR, answer_en)], language=["fr"]) == [1.0]
    with_answer = LanguageConsistencyReward(include_answer=True)
    (score,) = with_answer(completions=[think(FR, answer_en)], language=["fr"])
    assert score == pytest.approx(14 / 28)
    no_tags = language_consistency(completions=[f"{FR} {EN}"], language=["fr"])  # the whole completion
    assert no_tags == [pytest.approx(14 / 27)]
    opened_by_template = language_consistency(completions=[f"{FR}\n</think>\n{EN}"], language=["fr"])
    assert opened_by_template == [1.0]
    chat = [{"role": "assistant", "content": EN, "reasoning_content": FR}]
    assert language_consistency(completions=[chat], language=["fr"]) == [1.0]


def test_too_short_is_none_and_min_words_is_an_option() -> None:
    assert language_consistency(completions=[think("Donc 14.")], language=["fr"]) == [None]
    lenient = LanguageConsistencyReward(min_words=1)
    assert lenient(completions=[think("Donc quatorze.")], language=["fr"]) == [1.0]
    with pytest.raises(ValueError, match="min_words"):
        LanguageConsistencyConfig(min_words=0)


def test_registry_names_and_options() -> None:
    for name in ("language", "language_consistency"):
        spec = get_reward_spec(name)
        assert spec is REWARDS[name] and spec.example == "language_example.jsonl"
        reward = spec.create({"language": "de", "include_answer": "true", "min_words": "5"})
        assert reward.__name__ == "language_consistency"  # logged and summarised under its own name
        assert reward.config == LanguageConsistencyConfig(language="de", include_answer=True, min_words=5)
        assert spec.create({"language": "none"}).config.language is None


def test_bundled_example_matches_its_expected_shares() -> None:
    path = resources.files("rlvr") / "data" / "language_example.jsonl"
    text = path.read_text(encoding="utf-8")
    assert 10 <= len(text.splitlines()) < 20
    out = io.StringIO()
    summary = score_stream(REWARDS["language"].create(), io.StringIO(text), out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert summary.count == len(rows)
    for row in rows:
        if row["expected"] is None:
            assert row["reward"] is None, row
        else:
            assert row["reward"] == pytest.approx(row["expected"], abs=0.02), row


def test_pickle_and_threads() -> None:
    reward = LanguageConsistencyReward(language="fr", name="lang_fr")
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.__name__ == "lang_fr" and clone.config == reward.config
    batch = [think(FR), think(EN), think(f"{FR} {EN}"), think(ZH)] * 8
    expected = reward(completions=batch)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: clone(completions=batch), range(8)))
    assert all(result == expected for result in results)


def test_missing_detector_library_raises_instead_of_scoring(monkeypatch: pytest.MonkeyPatch) -> None:
    detect_module.latin_detector.cache_clear()
    monkeypatch.setitem(sys.modules, "py3langid.langid", None)
    try:
        with pytest.raises(LanguageDetectorMissingError, match="py3langid"):
            language_consistency(completions=[think(FR)], language=["fr"])
        assert language_consistency(completions=[think(ZH)], language=["zh"]) == [1.0]  # no detector needed
    finally:
        detect_module.latin_detector.cache_clear()
