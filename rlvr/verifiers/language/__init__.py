"""Language consistency of a chain of thought: the share of its words in the target language.

DeepSeek-R1 adds this share to the accuracy reward so that the reasoning stays in the language of the
question. It is computed over words, not by classifying the whole text:

1. the chain of thought (:func:`split_reasoning`) loses what is not natural language: code, LaTeX,
   numbers, URLs, identifiers (:func:`strip_non_words`);
2. the rest is cut into sentences and runs of words of one script (:func:`split_runs`); scripts
   written without spaces (Han, kana, Thai …) count one word per character;
3. a word's script settles its language where only one supported language writes it (Hangul, kana,
   Cyrillic, Arabic, Devanagari); Han characters go by the kana or Hangul around them; Latin-script runs
   are decided per sentence by their function words or by ``py3langid`` restricted to en, fr, de, es,
   pt, it, and runs of one or two words by their context (:func:`count_words`).

Supported targets: en, zh, ja, ko, ru, fr, de, es, pt, it, ar, hi. Nothing is downloaded.

Example:
    >>> from rlvr.verifiers.language import language_consistency
    >>> language_consistency("先把两数相加：$2+2=4$。Then we double the sum again.", "zh").score
    0.5
"""

from rlvr.verifiers.language.consistency import (
    MIN_WORDS,
    WordCounts,
    count_words,
    detect_language,
    language_consistency,
    normalize_language,
)
from rlvr.verifiers.language.detect import LanguageDetectorMissingError, LatinDetector, latin_detector
from rlvr.verifiers.language.reasoning import split_reasoning
from rlvr.verifiers.language.scripts import LATIN_LANGUAGES, SUPPORTED_LANGUAGES
from rlvr.verifiers.language.words import Run, split_runs, strip_non_words

__all__ = [
    "LATIN_LANGUAGES",
    "MIN_WORDS",
    "SUPPORTED_LANGUAGES",
    "LanguageDetectorMissingError",
    "LatinDetector",
    "Run",
    "WordCounts",
    "count_words",
    "detect_language",
    "language_consistency",
    "latin_detector",
    "normalize_language",
    "split_reasoning",
    "split_runs",
    "strip_non_words",
]
