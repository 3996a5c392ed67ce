"""`rlvr bench language`: a small smoke run (no speed assertions)."""

from __future__ import annotations

import json

import pytest

from rlvr.bench.language_bench import (
    LanguageBenchConfig,
    LanguageBenchReport,
    build_texts,
    bundled_sentences,
    run_language_bench,
)
from rlvr.bench.language_candidates import compare_candidates
from rlvr.cli import main
from rlvr.verifiers.language import SUPPORTED_LANGUAGES


def test_bundled_sentences_cover_every_language() -> None:
    rows = bundled_sentences()
    for lang in SUPPORTED_LANGUAGES:
        assert sum(1 for r_lang, kind, _ in rows if r_lang == lang and kind == "sentence") >= 10


def test_texts_are_deterministic_and_mix_in_markup() -> None:
    config = LanguageBenchConfig(texts_per_language=2, sentences_per_text=8)
    texts = build_texts(config)
    assert texts == build_texts(config)
    assert len(texts) == 2 * len(SUPPORTED_LANGUAGES)
    assert any("$" in text for _, text in texts)


def test_small_run_reports_speed_and_accuracy() -> None:
    report = run_language_bench(LanguageBenchConfig(texts_per_language=1, sentences_per_text=8, repeats=1))
    assert isinstance(report, LanguageBenchReport)
    assert report.words > 0 and report.ours_words_per_s > 0 and report.peer_words_per_s > 0
    assert set(report.ours_mean_score) == set(SUPPORTED_LANGUAGES)
    assert all(score >= 0.9 for score in report.ours_mean_score.values())
    assert all(abs(mix["ours"] - mix["expected"]) <= 0.1 for mix in report.mixes)
    markdown = report.markdown()
    assert "words/s, one core" in markdown and "| zh/en |" in markdown
    data = json.loads(report.to_json())
    assert data["words"] == report.words and "ratio_to_peer" in data


def test_candidates_table_lists_the_installed_libraries() -> None:
    rows = compare_candidates({"en": ["we count the apples"]}, {"en": ["the apples"]}, repeats=1)
    names = [row["name"] for row in rows]
    assert "py3langid (chosen)" in names
    assert all(0.0 <= row["sentences"] <= 1.0 for row in rows)


def test_cli_bench_language(tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench.json"  # type: ignore[operator]
    assert main(["bench", "language", "--items", "12", "--repeats", "1", "--json", str(out)]) == 0
    assert "words/s" in capsys.readouterr().out
    assert json.loads(out.read_text())["texts"] == 12


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="texts_per_language"):
        LanguageBenchConfig(texts_per_language=0)
