# ruff: noqa: E501  (multilingual fixtures: CJK characters count twice towards the line length)
"""Language consistency: words, scripts, the Latin detector, the share, the chain of thought."""

from __future__ import annotations

import sys

import pytest

from rlvr.verifiers.language import (
    SUPPORTED_LANGUAGES,
    LanguageDetectorMissingError,
    count_words,
    detect_language,
    language_consistency,
    latin_detector,
    normalize_language,
    split_reasoning,
    split_runs,
    strip_non_words,
)
from rlvr.verifiers.language import detect as detect_module
from rlvr.verifiers.language.scripts import arabic_language, cyrillic_language

# Chains of thought written for these tests (none of their sentences is in rlvr/data).
COTS = {
    "en": r"""Okay, so we want the number of lattice points inside the circle $x^2 + y^2 < 25$.
For each integer $x$ from $-4$ to $4$ I count the admissible values of $y$, which satisfy
$|y| < \sqrt{25 - x^2}$. Let me just write a tiny script to double-check the total:
```python
count = sum(1 for x in range(-5, 6) for y in range(-5, 6) if x * x + y * y < 25)
print(count)  # 69
```
It prints 69, and the hand count gives $9 + 2(9 + 9 + 7 + 7) + \dots$ as well. Hmm, wait: the row
$x = 0$ has 9 points, the rows $x = \pm 1$ and $x = \pm 2$ have 9 each, the rows $x = \pm 3$ have 7 each
and $x = \pm 4$ give 5 each, so the sum is $9 + 36 + 14 + 10 = 69$. See https://oeis.org/A000328 and
\cite{gauss} for the general circle problem; np.pi, x_1 and GCD(4, 6) = 2 do not matter here.
Therefore the answer is $\boxed{69}$.""",
    "zh": r"""好的，我们要求圆 $x^2+y^2<25$ 内部的整点个数。对每个整数 x 从 -4 到 4，我先数出满足条件的 y 的个数。
当 x = 0 时有 9 个点，x = ±1 和 x = ±2 时各有 9 个点，x = ±3 时各有 7 个点，x = ±4 时各有 5 个点。
所以总数是 $9+36+14+10=69$。我再检查一遍，结果没有问题，因此答案是 $\boxed{69}$。""",
    "ja": r"""まず、円 $x^2+y^2<25$ の内部にある格子点の個数を数えます。各整数 x について、条件を満たす y の個数を調べます。
x = 0 のときは 9 個、x = ±1 と x = ±2 のときはそれぞれ 9 個、x = ±3 のときは 7 個、x = ±4 のときは 5 個です。
したがって合計は $9+36+14+10=69$ となります。念のためもう一度確認しましたが、答えは 69 で間違いありません。""",
    "ko": r"""먼저 원 $x^2+y^2<25$ 안에 있는 격자점의 개수를 세어 봅시다. 각 정수 x에 대해 조건을 만족하는 y의 개수를 구합니다.
x = 0일 때 9개, x = ±1과 x = ±2일 때 각각 9개, x = ±3일 때 7개, x = ±4일 때 5개입니다.
따라서 전체 개수는 $9+36+14+10=69$입니다. 다시 한 번 확인해 보니 답은 69가 맞습니다.""",
    "ru": r"""Хорошо, нужно найти число целых точек внутри круга $x^2+y^2<25$. Для каждого целого x от -4 до 4
посчитаем подходящие значения y. При x = 0 получается 9 точек, при x = ±1 и x = ±2 тоже по 9, при x = ±3
по 7, а при x = ±4 по 5 точек. Значит, всего $9+36+14+10=69$ точек. Я ещё раз всё проверил, ответ 69.""",
    "fr": r"""Bon, on cherche le nombre de points entiers à l'intérieur du cercle $x^2+y^2<25$. Pour chaque entier
x de -4 à 4, je compte les valeurs de y qui conviennent. Pour x = 0 il y a 9 points, pour x = ±1 et x = ±2
aussi 9 chacun, pour x = ±3 il y en a 7 et pour x = ±4 seulement 5. Donc le total vaut $9+36+14+10=69$.
J'ai vérifié une deuxième fois, la réponse est bien 69.""",
    "de": r"""Gut, gesucht ist die Anzahl der Gitterpunkte im Inneren des Kreises $x^2+y^2<25$. Für jede ganze Zahl x
von -4 bis 4 zähle ich die passenden Werte von y. Für x = 0 gibt es 9 Punkte, für x = ±1 und x = ±2
ebenfalls je 9, für x = ±3 je 7 und für x = ±4 nur je 5. Also ist die Summe $9+36+14+10=69$. Ich habe
alles noch einmal nachgerechnet, die Antwort lautet 69.""",
    "es": r"""Bien, buscamos el número de puntos enteros dentro del círculo $x^2+y^2<25$. Para cada entero x entre
-4 y 4 cuento los valores de y que cumplen la condición. Con x = 0 hay 9 puntos, con x = ±1 y x = ±2
también hay 9 en cada caso, con x = ±3 hay 7 y con x = ±4 solo 5. Por eso el total es $9+36+14+10=69$.
Lo he comprobado otra vez y la respuesta es 69.""",
    "pt": r"""Certo, queremos o número de pontos inteiros dentro do círculo $x^2+y^2<25$. Para cada inteiro x de
-4 a 4, conto os valores de y que satisfazem a condição. Quando x = 0 há 9 pontos, quando x = ±1 e
x = ±2 também há 9 em cada caso, quando x = ±3 há 7 e quando x = ±4 há apenas 5. Logo o total é
$9+36+14+10=69$. Conferi tudo mais uma vez e a resposta é 69.""",
    "it": r"""Bene, cerchiamo il numero di punti interi all'interno del cerchio $x^2+y^2<25$. Per ogni intero x da
-4 a 4 conto i valori di y che soddisfano la condizione. Per x = 0 ci sono 9 punti, per x = ±1 e x = ±2
ce ne sono 9 ciascuno, per x = ±3 ce ne sono 7 e per x = ±4 soltanto 5. Quindi il totale è
$9+36+14+10=69$. Ho ricontrollato tutto e la risposta è 69.""",
    "ar": r"""حسناً، نريد عدد النقاط الصحيحة داخل الدائرة $x^2+y^2<25$. لكل عدد صحيح x من -4 إلى 4 نعد قيم y المناسبة.
عندما x = 0 توجد 9 نقاط، وعندما x = ±1 و x = ±2 توجد 9 نقاط في كل حالة، وعندما x = ±3 توجد 7 نقاط،
وعندما x = ±4 توجد 5 نقاط فقط. إذن المجموع هو $9+36+14+10=69$. راجعت الحساب مرة أخرى والإجابة هي 69.""",
    "hi": r"""ठीक है, हमें वृत्त $x^2+y^2<25$ के अंदर पूर्णांक बिंदुओं की संख्या चाहिए। -4 से 4 तक हर पूर्णांक x के लिए
मैं y के उपयुक्त मान गिनता हूँ। x = 0 पर 9 बिंदु हैं, x = ±1 और x = ±2 पर भी 9-9 बिंदु हैं, x = ±3 पर 7 और
x = ±4 पर केवल 5 बिंदु हैं। इसलिए कुल संख्या $9+36+14+10=69$ है। मैंने दोबारा जाँच की और उत्तर 69 है।""",
}


def test_every_supported_language_has_a_test_text() -> None:
    assert set(COTS) == set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_single_language_chain_of_thought_scores_high(language: str) -> None:
    verdict = language_consistency(COTS[language], language)
    assert verdict.score is not None and verdict.score >= 0.9, verdict


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_wrong_target_scores_low(language: str) -> None:
    for target in SUPPORTED_LANGUAGES:
        if target != language:
            verdict = language_consistency(COTS[language], target)
            assert verdict.score is not None and verdict.score <= 0.1, (language, target, verdict)


def test_english_full_of_latex_numbers_and_code_is_all_english() -> None:
    counts = count_words(COTS["en"])
    assert counts.share("en") == 1.0, counts
    assert counts.total >= 60


# Mixes: the hand count is written next to each part (a word per space-delimited token of two or more
# letters, a character per Han or kana character; numbers, math and single-letter variables left out).
EN_12 = "Let me count the multiples of seven up to one hundred now."  # 12 words
ZH_14 = "我们需要找出能被七整除的数字。"  # 14 characters (the full stop is not one)
FR_17 = "Il faut trouver combien d'entiers entre un et cent sont divisibles par sept, puis vérifier. Donc voilà."  # 17
EN_4 = "Wait, check this count."  # 4 words
DE_10 = "Zuerst zählen wir alle Vielfachen von sieben bis hundert ab."  # 10 words
RU_9 = "Сначала посчитаем все числа, кратные семи, до ста включительно."  # 9 words
JA_22 = "まず、百までの七の倍数をすべて数えてみましょう。"  # 22 kana and kanji characters (、。 are not)
ES_8 = "Primero contamos los múltiplos de siete hasta cien."  # 8 words


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        (f"{ZH_14} {EN_12}", "zh", 14 / 26),  # about 50/50 zh/en
        (f"{EN_12} {ZH_14}", "en", 12 / 26),
        (f"{FR_17} {EN_4}", "fr", 17 / 21),  # about 80/20 fr/en
        (f"{DE_10} {EN_12}", "de", 10 / 22),
        (f"{RU_9} {EN_12}", "ru", 9 / 21),
        (f"{JA_22} {EN_12}", "ja", 22 / 34),
        (f"{ES_8} {FR_17}", "es", 8 / 25),  # two Latin-script languages
        (f"{EN_12} The sum $1+2$ is three. {DE_10}", "en", 16 / 26),
    ],
)
def test_mixes_land_near_the_hand_count(text: str, target: str, expected: float) -> None:
    verdict = language_consistency(text, target)
    assert verdict.score is not None and abs(verdict.score - expected) <= 0.1, (verdict, expected)


def test_hand_counts_of_the_mix_parts() -> None:
    assert count_words(EN_12).counts == {"en": 12}
    assert count_words(ZH_14).counts == {"zh": 14}
    assert count_words(FR_17).counts == {"fr": 17}
    assert count_words(EN_4).counts == {"en": 4}
    assert count_words(DE_10).counts == {"de": 10}
    assert count_words(RU_9).counts == {"ru": 9}
    assert count_words(JA_22).counts == {"ja": 22}
    assert count_words(ES_8).counts == {"es": 8}


@pytest.mark.parametrize(
    "text", ["", "$x^2 = 4$", "x = 2, so 4.", "```\nprint('hello world and more')\n```", "很好。"]
)
def test_too_short_is_not_judged(text: str) -> None:
    verdict = language_consistency(text, "en")
    assert verdict.score is None and "countable" in verdict.reason


def test_min_words_is_the_threshold() -> None:
    text = "one two three four five six seven eight nine ten"
    assert count_words(text).total == 10
    assert language_consistency(text, "en", min_words=10).score == 1.0
    assert language_consistency(text, "en", min_words=11).score is None


def test_reason_names_the_other_languages() -> None:
    verdict = language_consistency(f"{ZH_14} {EN_12}", "zh")
    assert verdict.reason == "0.54 of 26 words in zh; others: latin 12"
    assert language_consistency(f"{EN_12} {ZH_14}", "en").reason.endswith("others: zh 14")


# --- words ---------------------------------------------------------------------------------------------------


def test_markup_code_and_identifiers_are_dropped() -> None:
    text = (
        "See `np.sum(a)` and $\\frac{1}{2}$ and \\(x\\) and \\[y\\] and $$z$$ at https://a.io/b?c=d or "
        "www.x.org, <think> tags, \\textbf{bold} x_1 x2 3x 3.14 1,000 foo_bar getValue f(x) np.array ABC GCD "
        "cos sin(x) 5 cm and \\begin{align} a &= b \\end{align} done"
    )
    words = [run.text for run in split_runs(strip_non_words(text))]
    assert " ".join(words).split() == [
        "See",
        "and",
        "and",
        "and",
        "and",
        "at",
        "or",
        "tags",
        "bold",
        "and",
        "done",
    ]


def test_a_sentence_that_never_ends_is_judged_in_pieces() -> None:
    english = " ".join(["we keep adding the next term to the running total and check it"] * 4)  # 52 words
    french = " ".join(["nous ajoutons encore le terme suivant au total puis nous vérifions"] * 4)  # 44 words
    runs = split_runs(strip_non_words(f"{english} {french}"))
    assert [run.words for run in runs] == [20, 20, 20, 20, 16]
    verdict = language_consistency(f"{english} {french}", "en")
    assert verdict.score is not None and abs(verdict.score - 52 / 96) <= 0.1, verdict


def test_spanish_sin_is_a_word_but_the_sine_is_not() -> None:
    assert count_words("sin embargo", target="es").total == 2
    assert count_words("sin x and sin(x) and sin^2", target="en").total == 2


def test_cjk_counts_characters_and_sentences_split_runs() -> None:
    runs = split_runs(strip_non_words("我们用 binary search。次に、二分探索を使います。"))
    assert [(run.script, run.words, run.sentence) for run in runs] == [
        ("han", 3, 0),
        ("latin", 2, 0),
        ("han", 1, 1),
        ("kana", 1, 1),
        ("han", 4, 1),
        ("kana", 1, 1),
        ("han", 1, 1),
        ("kana", 3, 1),
    ]


def test_fullwidth_text_is_normalised() -> None:
    assert count_words("ＴＨＥ　ａｎｓｗｅｒ　ｉｓ　ｆｏｕｒ", target="en").counts == {
        "en": 3
    }  # ＴＨＥ is all capitals


@pytest.mark.parametrize(
    "text",
    [
        "\\(" * 50_000,
        "\\begin{align}" * 20_000,
        "a" * 200_000 + "_",
        "$x" * 50_000,
        "```" + "a " * 100_000,
        ("word_" * 40_000) + "(",
        "x." * 100_000,
    ],
    ids=[
        "open-parens",
        "open-envs",
        "long-identifier",
        "open-dollars",
        "open-fence",
        "long-underscored",
        "dots",
    ],
)
def test_hostile_inputs_finish(text: str) -> None:
    """Linear-time scans: each of these would take minutes if any step were quadratic."""
    assert count_words(text, target="zh").total >= 0


# --- scripts and the Latin detector -------------------------------------------------------------------------


def test_script_rules() -> None:
    assert cyrillic_language("Привіт, як справи") == "uk"
    assert cyrillic_language("Добрый день") == "ru"
    assert cyrillic_language("Добры дзень, ўсё") == "be"
    assert arabic_language("این یک مثال است") == "fa"
    assert arabic_language("یہ ایک مثال ہے") == "ur"
    assert arabic_language("هذا مثال") == "ar"
    # Han characters are Japanese in a sentence with kana, else Chinese unless the text is mostly Japanese
    assert count_words("这是一个很长的中文句子，用来说明规则。これは日本語。").counts == {"zh": 17, "ja": 6}
    assert count_words("これは日本語の文章です。漢字見出。").counts == {"ja": 15}
    assert count_words("한국어 문장입니다. 漢字").counts == {"ko": 2, "zh": 2}
    assert count_words("한국어 漢字 문장입니다.").counts == {"ko": 4}


def test_short_latin_runs_take_their_context() -> None:
    text = "Nous devons vérifier le résultat encore une fois avec soin. Parfait. Ensuite nous concluons."
    assert count_words(text).counts == {"fr": 14}
    # a short run alone still gets a language from the detector
    assert count_words("Moment mal").majority() in ("de", "fr", "en", "es", "pt", "it")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wie viele Äpfel sind im Korb?", "de"),
        ("¿Cuántas manzanas hay en la cesta?", "es"),
        ("Quantas maçãs há no cesto?", "pt"),
        ("Quante mele ci sono nel cestino?", "it"),
        ("Combien de pommes y a-t-il dans le panier ?", "fr"),
        ("How many apples are in the basket?", "en"),
        ("篮子里有多少个苹果？", "zh"),
        ("かごの中にりんごはいくつありますか？", "ja"),
        ("$1 + 1$", None),
    ],
)
def test_detect_language_of_prompts(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_detector_is_shared_and_cached() -> None:
    detector = latin_detector()
    assert detector is latin_detector()
    assert detector.detect("la risposta giusta") == detector.detect("la risposta giusta")
    with pytest.raises(ValueError, match="subset"):
        detect_module.LatinDetector(("en", "nl"))


def test_missing_detector_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    detect_module.latin_detector.cache_clear()
    monkeypatch.setitem(sys.modules, "py3langid.langid", None)  # makes the import fail
    try:
        with pytest.raises(LanguageDetectorMissingError, match="py3langid"):
            language_consistency(COTS["fr"], "fr")
        assert isinstance(LanguageDetectorMissingError("x"), ImportError)
        # a non-Latin target needs no detector
        assert language_consistency(COTS["zh"], "zh").score == 1.0
    finally:
        detect_module.latin_detector.cache_clear()


# --- targets and the chain of thought -------------------------------------------------------------------------


def test_normalize_language() -> None:
    assert normalize_language("EN") == "en"
    assert normalize_language("zh_CN") == "zh"
    assert normalize_language("Japanese") == "ja"
    with pytest.raises(ValueError, match="unsupported language 'nl'"):
        normalize_language("nl")
    with pytest.raises(ValueError, match="unsupported language"):
        language_consistency("some text", "xx")


@pytest.mark.parametrize(
    ("text", "reasoning", "expected"),
    [
        ("<think>a b</think>c", None, ("a b", "c")),
        ("\n<think>a</think>\nc", None, ("a", "\n\nc")),
        ("a b\n</think>\nc", None, ("a b\n", "\nc")),
        ("<think>a b", None, ("a b", "")),
        ("pre <think>a</think> c", None, ("a", "pre  c")),
        ("plain text", None, ("plain text", "")),
        ("answer", "thoughts", ("thoughts", "answer")),
        ("<think>a</think>b<think>c</think>d", None, ("a</think>b<think>c", "d")),
    ],
)
def test_split_reasoning(text: str, reasoning: str | None, expected: tuple[str, str]) -> None:
    assert split_reasoning(text, reasoning) == expected
