"""Find the final answer in a completion.

Only the part after ``</think>`` is searched when there is one (a completion that opens ``<think>`` and
never closes it has no answer), and only its last ``MAX_ANSWER_CHARS`` characters: a hostile 1M-character
completion costs the same as a short one. All scanning is linear: substring search, line-anchored
patterns without nested quantifiers, and brace matching.

Markers, by rank (the first rank present decides; see the README for the table):

1. ``\\boxed{…}`` / ``\\fbox{…}`` with nested braces (an unclosed box is no answer): every box in the
   answer part is a candidate; when the gold has several parts, boxes of one part each are joined into one
   list (``\\boxed{-2}`` and ``\\boxed{1}``);
2. ``<answer>…</answer>`` tags (the last block);
3. an answer marker, the last one in the text: "… answer is …", "… answer (…) is …", "Answer: …",
   "the solutions are …", a value followed by "… is our answer", or a heading line
   (``# Answer``, ``## Final Answer``, ``**Final Answer**``) followed by the answer on the next lines; a
   marker followed by no value at all ("the answer is correct") gives way to the one before it. A
   "final answer is …" statement after the last box outranks the boxes (they held intermediate
   results);
4. GSM8K's ``#### N`` (the last one);
5. markdown bold ``**…**`` on the last line that has one, when short;
6. a concluding last sentence ("Therefore, …", "Thus …", "We find that …"), courtesies such as "I hope it
   is correct" skipped;
7. a bare answer: the whole answer part is one math expression (``$\\frac{1}{2}$``, ``42``), a number
   followed only by unit words (``28 percent``), or, for a gold that is words, a few words; or one short
   sentence that holds exactly one value ("The identity matrix is $…$.");
8. optionally the last number (``fallback="last_number"``): in the last fenced ```` ```output ````
   block when there is one (tool-integrated reasoning prints its result there), else in the text.

What a marker is followed by is read by :func:`rlvr.verifiers.math.prose.reduce_tail`: math as written, or
a sentence reduced to its single value (no hedges, alternatives, negations or magnitude words). A marker
whose text is refused is no answer — lower ranks are not consulted, so "the answer is 3 or 4" cannot
pass through a later rule. Several candidates that are not all the same answer are not a pass (the
verifier checks every candidate): "\\boxed{3} or \\boxed{4}" gets no credit for either.

What follows the answer counts too. A box is no answer when the clause before it hedges or negates it
("It is probably \\boxed{5}", "not \\boxed{5}"), when the rest of its sentence disowns it ("is wrong"),
or when a later sentence or line takes it back, doubts it or offers another number in its place ("Wait,
actually it is 6.", "I am not sure", "(Alternatively 13.)", "could also be 13"); the same holds after an
answer phrase. A value offered beside a box in its sentence ("\\boxed{5} (or 6)", "; if not, 6", "or
equivalently $0.5$") is one more candidate. A check that ends on the answer's own value ("Wait, let me
verify: 2 + 3 = 5.") or another method with no other number takes nothing back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from rlvr.verifiers.math.normalize import named_in_order, normalize_answer
from rlvr.verifiers.math.prose import (
    MAX_TAIL_CHARS,
    GoldHint,
    Reduced,
    hedge_reason,
    is_prose,
    reduce_tail,
    strip_wrappers,
    unsure_reason,
)
from rlvr.verifiers.math.values import split_top_level

Fallback = Literal["none", "last_number"]
FALLBACKS: tuple[str, ...] = ("none", "last_number")

#: Only this many trailing characters of the answer part are searched.
MAX_ANSWER_CHARS = 8_000
#: A candidate longer than this is not an answer (a runaway box, a pasted paragraph).
MAX_CANDIDATE_CHARS = 1_000
#: More distinct boxed candidates than this is a spray of guesses, not an answer.
MAX_CANDIDATES = 8
#: Only the last markers this many are read (a completion that repeats "Answer:" a thousand times costs
#: the same as one that says it once).
MAX_MARKERS = 8
#: A whole answer part longer than this is not a bare answer.
MAX_BARE_CHARS = 300

_BOX_COMMANDS = ("\\boxed", "\\fbox")
# Linear-time patterns only: bounded repetitions, no nested quantifiers.
_ANSWER_PHRASE = re.compile(
    r"\banswer\b[ \t]{0,4}(?:\([^()\n]{0,40}\)[ \t]{0,4})?(?:\*\*)?[ \t]{0,4}"
    r"(?:(?:is|are|should be|would be|will be|must be|could be|might be|may be)\b[ \t]{0,4}:?|:|=)"
    r"|\bsolutions?[ \t]{1,4}(?:is|are)\b[ \t]{0,4}:?",
    re.IGNORECASE,
)
_FINAL_ANSWER_PHRASE = re.compile(
    r"\b(?:final|correct|real|actual|right|true) answer\b[^\n]{0,12}?(?:is\b|:)", re.IGNORECASE
)
# "... $x \le 2$ is our answer.": the value comes before the marker.
_ANSWER_AFTER = re.compile(
    r"\b(?:is|are|as)[ \t]{1,4}(?:our|the|my)[ \t]{1,4}(?:final[ \t]{1,4}|correct[ \t]{1,4})?"
    r"(?:answer|solution)s?\b",
    re.IGNORECASE,
)
_ANSWER_HEADING = re.compile(
    r"^[ \t]{0,4}(?:#{1,6}[ \t]{0,4}|\*\*[ \t]{0,4}|\\(?:textbf|textit|text|mathbf|emph)\{[ \t]{0,4})?"
    r"(?:the[ \t]{1,4})?(?:final[ \t]{1,4})?answer[ \t]{0,4}:?"
    r"[ \t]{0,4}(?:\*\*|\})?[ \t]{0,4}:?[ \t]{0,4}$",
    re.IGNORECASE | re.MULTILINE,
)
_ANSWER_BEFORE_MATH = re.compile(r"^[ \t]{0,4}answer[ \t]{1,4}(?=\$|\\\[|\\\()", re.IGNORECASE | re.MULTILINE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
# For an option-letter gold: "The correct option is C", "the best choice is (B)", "I choose B".
_CHOICE_PHRASE = re.compile(
    r"\b(?:option|choice)[ \t]{1,4}(?:is|would be|will be)\b[ \t]{0,4}:?"
    r"|\bi[ \t]{1,4}(?:choose|pick|select)\b",
    re.IGNORECASE,
)
# For an option-letter gold, a completion that opens with its choice: "A. Because B is not valid", "(C) …".
_OTHER_OPTION = re.compile(r"(?:^|\n|\s)\(?[A-E][).:](?=\s|$)")
_LEADING_CHOICE = re.compile(r"\s{0,8}(?:\*\*)?\(?([A-E])(?:\)|\.|:)(?:\*\*)?(?=\s|$)")
_NO_VALUE = ("no value in the answer", "empty final answer")
_MARKED = ("gsm8k", "bold")  # ranks that mark an answer; the weaker ones below give way when they find none


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer candidates found in a completion.

    Attributes:
        candidates: the answer strings, in order of appearance; empty when there is none.
        method: which marker found them ("boxed", "answer_tag", "answer_marker", "gsm8k", "bold",
            "conclusion", "bare", "sentence", "leading_choice", "last_number"), or "" when none did.
        reason: why there is no answer, when there is none.

    Example:
        >>> extract_answer("so \\\\boxed{\\\\frac{1}{2}}.").candidates
        ('\\\\frac{1}{2}',)
    """

    candidates: tuple[str, ...]
    method: str = ""
    reason: str = ""

    @property
    def found(self) -> bool:
        return bool(self.candidates)


def answer_part(text: str) -> str | None:
    """The text after the last ``</think>``; ``None`` if a ``<think>`` was opened and never closed.

    Example:
        >>> answer_part("<think>x</think> 42")
        ' 42'
        >>> answer_part("<think>still thinking") is None
        True
    """
    close = text.rfind("</think>")
    if close >= 0:
        return text[close + len("</think>") :]
    if "<think>" in text:
        return None
    return text


def _matching_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index``, or -1. ``\\{`` and ``\\}`` are literal."""
    depth = 0
    i = open_index
    n = len(text)
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def find_boxed_spans(text: str) -> tuple[list[tuple[int, int, str]], int]:
    """(start, end, content) of every ``\\boxed{…}``/``\\fbox{…}`` in order, and how many were left unclosed.

    Example:
        >>> find_boxed_spans("a \\\\boxed{2} b")
        ([(2, 11, '2')], 0)
    """
    found: list[tuple[int, int, str]] = []
    unclosed = 0
    for command in _BOX_COMMANDS:
        start = text.find(command)
        while start >= 0:
            after = start + len(command)
            j = after
            while j < len(text) and text[j] in " \t":
                j += 1
            if j < len(text) and text[j] == "{":
                end = _matching_brace(text, j)
                if end < 0:
                    unclosed += 1
                    break  # every later box of this command is inside the unclosed one
                found.append((start, end + 1, _in_math(text, start, text[j + 1 : end])))
                start = text.find(command, end)
                continue
            if j > after and j < len(text):  # "\boxed 5": one token
                token_end = j
                while (
                    token_end < len(text) and not text[token_end].isspace() and text[token_end] not in "$\\"
                ):
                    token_end += 1
                if token_end > j:
                    found.append((start, token_end, text[j:token_end]))
            start = text.find(command, after)
    found.sort()
    return found, unclosed


def _in_math(text: str, start: int, content: str) -> str:
    """A box's content as math: a box inside ``$…$`` whose content leaves math mode
    (``\\boxed{12 $ and $13}``) has its math parts delimited (``$12 $ and $13$``), so words read as words."""
    if "$" not in content:
        return content
    before = text.count("$", 0, start) - text.count("\\$", 0, start)
    return f"${content}$" if before % 2 else content


def find_boxed(text: str) -> tuple[list[str], int]:
    """Contents of every ``\\boxed{…}``/``\\fbox{…}`` in order, and how many boxes were left unclosed.

    Example:
        >>> find_boxed("\\\\boxed{a{b}c} and \\\\fbox{2} and \\\\boxed{3")
        (['a{b}c', '2'], 1)
    """
    spans, unclosed = find_boxed_spans(text)
    return [content for _, _, content in spans], unclosed


_PHANTOM = re.compile(r"\\(?:phantom|hphantom|vphantom)\{[^{}]*\}")


def _reduce(candidate: str, hint: GoldHint) -> Reduced:
    if "phantom" in candidate:  # an invisible box: a blank to fill in, quoted from the problem
        candidate = _PHANTOM.sub("", candidate)
    if len(candidate) > MAX_CANDIDATE_CHARS:
        return Reduced(None, "answer too long")
    return reduce_tail(candidate, hint)


def _line_after(text: str, start: int, stop: int | None = None) -> str:
    """The answer written after a marker: the rest of its line, or (when that is empty) the next non-empty
    line, extended to the end of a display-math block it opens; cut at the end of the first sentence, and
    at ``stop`` (where the next marker starts). At most ``MAX_TAIL_CHARS`` characters are read."""
    text = text[: min(len(text), start + MAX_TAIL_CHARS, stop if stop is not None else len(text))]
    n = len(text)
    i = start
    while i < n and text[i] in " \t:":
        i += 1
    if i < n and text[i] == "}":  # "\\textbf{Answer:} 5": the marker's group closes before the answer
        i += 1
        while i < n and text[i] in " \t:":
            i += 1
    block = i < n and text[i] in "\r\n"  # "Answer:" then the answer below it: read its paragraph
    while i < n and text[i] in " \t\r\n":
        i += 1
    end = text.find("\n\n" if block else "\n", i)
    end = n if end < 0 else end
    line = text[i:end].replace("\n", " ")
    stripped = line.strip()
    for opener, closer in (("\\[", "\\]"), ("$$", "$$")):
        if stripped.startswith(opener) and closer not in stripped[len(opener) :]:
            close = text.find(closer, i + line.find(opener) + len(opener))
            if close >= 0:
                line = text[i : close + len(closer)].replace("\n", " ")
            break
    sentence_end = _sentence_end(line)
    return line[:sentence_end] if sentence_end >= 0 else line


def _sentence_end(line: str) -> int:
    """Index of the ". " that ends the first sentence outside math delimiters, or -1."""
    depth_dollar = False
    i = 0
    while i < len(line) - 1:
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            i += 2
            continue
        if char == "$":
            depth_dollar = not depth_dollar
        elif char == "." and line[i + 1] in " \t" and not depth_dollar and not _abbreviation(line, i):
            return i
        i += 1
    return -1


_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "vs", "etc", "approx"})


def _abbreviation(line: str, period: int) -> bool:
    """True when the period at ``period`` ends an abbreviation ("Mr. Tan", "e.g. 5"), not a sentence."""
    start = period
    while start > 0 and (line[start - 1].isalpha() or line[start - 1] == "."):
        start -= 1
    word = line[start:period].lower()
    return word in _ABBREVIATIONS or (len(word) == 3 and word[1] == ".")  # "e.g", "i.e"


def _marker_spans(text: str, hint: GoldHint) -> list[tuple[int, int]]:
    """(start, end) of each answer phrase or heading, in order (for an option-letter gold also "the
    correct option is", "I choose")."""
    spans = {m.span() for m in _ANSWER_PHRASE.finditer(text)}
    spans.update(m.span() for m in _ANSWER_HEADING.finditer(text))
    spans.update(m.span() for m in _ANSWER_BEFORE_MATH.finditer(text))
    if hint.kind == "choice":
        spans.update(m.span() for m in _CHOICE_PHRASE.finditer(text))
    return sorted(spans)


def _sentence_before(text: str, end: int) -> str:
    """The sentence that ends at ``end``: back to the previous sentence end or line break."""
    start = max(text.rfind("\n", 0, end), text.rfind(". ", 0, end), text.rfind(": ", 0, end))
    return text[max(start + 1, end - MAX_TAIL_CHARS) : end]


def _marker_start(text: str, end: int) -> int:
    """Where the sentence that holds the marker ending at ``end`` starts."""
    start = text.rfind("\n", 0, end) + 1
    for stop in (". ", "? ", "! "):
        found = text.rfind(stop, start, end)
        if found >= 0:
            start = found + 2
    return start


def _from_markers(text: str, hint: GoldHint) -> Extraction | None:
    """Rank 3: the last answer phrase or heading that states a value (see the module docstring).

    The sentence that holds the marker must be sure of it ("Perhaps the answer is 5" is no answer), and
    an earlier marker that states another value makes two answers — unless the later one is a revision
    ("… the answer is 5. Wait, no: the answer is 6").
    """
    spans = _marker_spans(text, hint)[-MAX_MARKERS:]
    # each marker's text stops where the next marker starts: "the answer is 5 and the answer is 6"
    tails = [
        (end, _line_after(text, end, spans[i + 1][0] if i + 1 < len(spans) else None), True)
        for i, (_, end) in enumerate(spans)
    ]
    after = list(_ANSWER_AFTER.finditer(text))[-MAX_MARKERS:]
    tails += [(m.start(), _sentence_before(text, m.start()), False) for m in after]
    if not tails:
        return None
    stated: list[tuple[int, str]] = []
    for position, tail, before_value in sorted(tails, key=lambda t: -t[0]):
        if before_value:
            # the sentence up to the marker's end: "Perhaps the answer is", "The answer could be"
            unsure = unsure_reason(text[_marker_start(text, position) : position], lists=hint.parts > 1)
            if unsure is not None:
                return Extraction((), "answer_marker", f"final answer: hedged ({unsure!r})")
        reduced = _reduce(tail, hint)
        if reduced.answer is None:
            if reduced.reason in _NO_VALUE:
                continue
            if stated:
                break  # an earlier, refused statement: the later one stands if nothing contradicts it
            return Extraction((), "answer_marker", f"final answer: {reduced.reason}")
        stated.append((position, reduced.answer))
    if not stated:
        return None  # markers that state no value at all ("the answer is correct"): lower ranks decide
    position, answer = stated[0]
    for earlier_position, earlier in stated[1:]:
        if "\n" in text[earlier_position:position]:
            break  # an earlier line or paragraph was reasoning: the last statement stands
        different = normalize_answer(earlier) != normalize_answer(answer)
        if different and not _REVISION.search(text, earlier_position, position):
            return Extraction((), "answer_marker", "several different final answers stated")
    revised = _revision(text, position + 1, answer, hint)
    if revised:
        return Extraction((), "answer_marker", f"final answer revised after it is stated ({revised!r})")
    doubt = _doubt_after(text, position + 1) or _offered_later(text, position + 1, answer)
    if doubt:
        return Extraction((), "answer_marker", f"final answer doubted after it is stated ({doubt!r})")
    return Extraction((answer,), "answer_marker")


def _canonical(answer: str) -> str:
    return "".join(answer.split()).rstrip(".")


_REVISION = re.compile(
    r"\b(?:actually|wait|correction|oops|mistake|sorry|rather|instead|however|kidding|nope|hmm+"
    r"|on second thought|scratch that|hold on|hang on)\b|\bno[,.!]",
    re.IGNORECASE,
)


_DISOWNED = re.compile(r"\b(?:wrong|incorrect|mistaken|not (?:right|correct))\b", re.IGNORECASE)


def _sentence_stop(text: str, start: int) -> int:
    """Where the sentence or line going on at ``start`` ends (its next ``". "`` or line break), or -1."""
    stops = [i for i in (text.find(". ", start), text.find("\n", start)) if i >= 0]
    return min(stops) if stops else -1


def _revision(text: str, end: int, answer: str, hint: GoldHint) -> str | None:
    """A later sentence that takes the stated answer back ("The answer is 5. Actually, it is 6."): the
    value it states instead, if it states a different one."""
    stop = _sentence_stop(text, end)
    start = stop + 1 if stop >= 0 else len(text)  # the next sentence, or the next line
    rest = text[start : start + MAX_BARE_CHARS * 2]
    match = _REVISION.search(rest)
    if match is None:
        return None
    sentence = rest[match.start() :]
    stop = _sentence_end(sentence)
    if 0 <= stop < 16 and not _NUMBER.search(sentence, 0, stop):
        following = _sentence_end(sentence[stop + 1 :])  # "No. It is 6.": the mark, then the value
        stop = stop + 1 + following if following >= 0 else -1
    reduced = reduce_tail(sentence[: stop if stop >= 0 else len(sentence)], hint)
    if reduced.answer is not None and reduced.answer.replace(" ", "") != answer.replace(" ", ""):
        return reduced.answer
    if reduced.answer is None and reduced.reason not in _NO_VALUE:
        # refused, yet it names a value the answer does not hold: "Wait, that is wrong: it is 3."
        said = set(_NUMBER.findall(sentence[: stop if stop >= 0 else len(sentence)]))
        if said - set(_NUMBER.findall(answer)):
            return sentence[: stop if stop >= 0 else 60].strip()
    disowned = _DISOWNED.search(sentence[: stop if stop >= 0 else len(sentence)])
    return disowned.group(0) if disowned is not None else None  # "Wait, that is wrong."


def _final_after_boxes(text: str, last_box_end: int, hint: GoldHint) -> Extraction | None:
    """A "final answer is …" statement after the last box outranks the boxes (which then held
    intermediate results): "… = \\boxed{200} … Final Answer: The final answer is $10,455$"."""
    last = None
    for match in _FINAL_ANSWER_PHRASE.finditer(text, last_box_end):
        last = match
    if last is None:
        return None
    reduced = _reduce(_line_after(text, last.end()), hint)
    if reduced.answer is None:
        return None if reduced.reason in _NO_VALUE else Extraction((), "answer_marker", reduced.reason)
    boxes = find_boxed_spans(text)[0]
    boxed = {_canonical(_reduce(content, hint).answer or content) for _, _, content in boxes}
    if _canonical(reduced.answer) in boxed:
        return None  # the final line repeats a box: the boxes decide
    between = text[last_box_end : last.start()]
    if _canonical(reduced.answer).lstrip("$") not in "".join(between.split()):
        # stated at the end but never reached after the boxes: a box and a final line that disagree
        return Extraction((), "answer_marker", "the final answer line and the boxed answer differ")
    return Extraction((reduced.answer,), "answer_marker")


def _last_gsm8k(text: str) -> str | None:
    index = text.rfind("####")
    if index < 0:
        return None
    return _line_after(text, index + 4)


def _answer_tags(text: str) -> list[str]:
    """The contents of the last ``<answer>…</answer>`` blocks (at most ``MAX_MARKERS``), in order."""
    blocks: list[str] = []
    close = text.rfind("</answer>")
    while close >= 0 and len(blocks) < MAX_MARKERS:
        open_ = text.rfind("<answer>", 0, close)
        if open_ < 0:
            break
        blocks.insert(0, text[open_ + len("<answer>") : close])
        close = text.rfind("</answer>", 0, open_)
    return blocks


def _tagged(blocks: list[str], hint: GoldHint) -> Extraction:
    """Rank 2: the answer blocks must state one value between them (a later block that differs is a
    second answer, not a revision: "<answer>6</answer><answer>5</answer>" is no answer)."""
    reduced = [_reduce(block, hint) for block in blocks]
    stated = [r for r in reduced if r.reason not in _NO_VALUE] or reduced[-1:]
    refused = [r for r in stated if r.answer is None]
    if refused:
        return Extraction((), "answer_tag", f"<answer>: {refused[-1].reason}")
    distinct = dict.fromkeys(_canonical(normalize_answer(r.answer or "")) for r in stated)
    if len(distinct) > 1:
        return Extraction((), "answer_tag", "<answer> blocks state different answers")
    return Extraction((stated[-1].answer or "",), "answer_tag")


def _last_bold(text: str) -> str | None:
    """The last ``**…**`` span when it lies in the last two lines of the text and is not a label."""
    close = text.rfind("**")
    if close < 0:
        return None
    open_ = text.rfind("**", 0, close)
    if open_ < 0:
        return None
    content = text[open_ + 2 : close].strip()
    if not content or "\n" in content or len(content) > 60 or content.endswith(":"):
        return None
    if text.count("\n", close) > 1 and text[close:].strip("*. \n\t"):
        return None  # not in the final lines
    return content


_VALUE_THEN_WORDS = re.compile(r"^\$?-?\d[\d,.]*(?:\\?%)?\$?(?:[ \t]+[A-Za-z][A-Za-z./]*){1,4}$")


_CONCLUSION = re.compile(
    r"^(?:therefore|thus|hence|so|finally|in conclusion|in total|altogether|overall|in all"
    r"|we (?:find|get|have|obtain|conclude))\b",
    re.IGNORECASE,
)
# ... or the clause after "so" / "therefore" / "thus" / "hence" that ends the last sentence.
_CONCLUDING_CLAUSE = re.compile(
    r"[,;][ \t]+(?:and[ \t]+)?(?:so|therefore|thus|hence)\b[ \t,]*", re.IGNORECASE
)
# A sentence ends at ". " (or "!", "?"), a line break, or a math segment followed by a capital letter.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|(?<=\$)\s+(?=[A-Z])")
_BOILERPLATE = ("i hope it is correct", "i hope this helps", "let me know", "thank you")


def _conclusion(text: str) -> str | None:
    """The last sentence, when it draws the conclusion ("Therefore, …", "Thus …", "We find that …"), or its
    last clause after ", so" / ", therefore": the answer of a completion that marks nothing else.
    Courtesies after it ("I hope it is correct") and trailing chat-template tokens are skipped."""
    sentences = _sentences(text)
    if not sentences:
        return None
    last = sentences[-1]
    if _CONCLUSION.match(last):
        return last
    clauses = _CONCLUDING_CLAUSE.split(last)  # "He is 32 now, so he will be 36 in 4 years."
    return clauses[-1] if len(clauses) > 1 else None


def _sentences(text: str) -> list[str]:
    """The sentences of the end of ``text``, without trailing courtesies."""
    text = text.rstrip()
    sentences = [s.strip() for s in _SENTENCE_BREAK.split(text[-MAX_BARE_CHARS * 3 :]) if s.strip()]
    while sentences and any(phrase in sentences[-1].lower() for phrase in _BOILERPLATE):
        sentences.pop()
    return sentences


def _single_sentence(text: str) -> str | None:
    """The whole answer part when it is one short sentence ("The identity matrix is $…$.",
    "Special matrix: $…$"): read like a marker's text, so it must hold exactly one value."""
    if len(text.strip()) > MAX_BARE_CHARS * 3:
        return None  # _sentences reads only the end: a long text is not one short sentence
    sentences = _sentences(text)
    if len(sentences) != 1 or len(sentences[0]) > MAX_BARE_CHARS:
        return None
    return sentences[0]


def _bare(text: str, hint: GoldHint) -> str | None:
    """The whole answer part when it is one short answer: math with no words, a number followed only by
    unit words (``28 percent``, ``200 GB``), or — for a gold that is words — a few words."""
    stripped = strip_wrappers(text)
    if not stripped or len(stripped) > MAX_BARE_CHARS or "\n\n" in stripped.strip():
        return None
    if hint.kind == "text":
        return text if len(stripped) <= 60 and "\n" not in stripped else None
    if not is_prose(stripped) or _VALUE_THEN_WORDS.match(stripped):
        return text
    return None


def _last_output_block(text: str) -> str | None:
    """The body of the last fenced program-output block (tool-integrated reasoning, e.g. ToRA)."""
    start = text.rfind("```output")
    if start < 0:
        return None
    body_start = start + len("```output")
    end = text.find("```", body_start)
    return text[body_start:end] if end >= 0 else None


# The last number is the last item of a list: "Candidates: 3, 4, 5", "either 4 or 5", "4 and 5".
_LIST_END = re.compile(r"\d\$?[ \t]{0,3}(?:,|;|,?[ \t]{1,3}(?:and|or))[ \t]{0,3}\$?$", re.IGNORECASE)


def _last_number(text: str) -> Extraction | None:
    """The last number (in the last program-output block when there is one), unless the sentence that
    holds it hedges it ("it could be 2", "2 or 3", "about 40")."""
    block = _last_output_block(text)
    if block is not None and _NUMBER.search(block):
        text = block
    last = None
    for match in _NUMBER.finditer(text):
        last = match
    if last is None:
        return None
    start = _marker_start(text, last.start())
    stop = _sentence_stop(text, last.end())
    stop = stop if stop >= 0 else len(text)
    hedge = hedge_reason(text[start:stop])
    if hedge is not None:
        return Extraction((), "last_number", f"the last number is hedged ({hedge!r})")
    if _LIST_END.search(" ".join(text[start : last.start()].split())[-24:]):
        return Extraction((), "last_number", "the last number ends a list of numbers")
    return Extraction((last.group(0).rstrip(","),), "last_number")


# Where the clause that leads to a box starts: "We need $a$ or $b$, so the answer is \\boxed{5}" is sure.
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:so|thus|hence|therefore|then)\b", re.IGNORECASE)
# Doubt about the boxed value itself. Words that may restate the question ("could", "if", "or", "one of",
# "guess") are not here: "Polly could stand $\\boxed{200}$ feet", "Jen will earn $\\boxed{34}$ if she …".
_BOX_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly|i think|i guess|i believe|not sure|unsure"
    r"|(?:it|this|that|answer|result)\s+(?:might|could|may)\s+be)\b",
    re.IGNORECASE,
)
_GUESS_LABEL = re.compile(r"\b(?:guess|guessing|estimate)[ \t]*[:=-][ \t]*\Z", re.IGNORECASE)
# A next sentence that offers another value: "\\boxed{5}. Or maybe 6."
_NEXT_HEDGE = re.compile(r"[.$\\)\s]*\b(or|maybe|perhaps|possibly)\b[^.\n]*?(?:\d|\$)", re.IGNORECASE)
# In the sentences after an answer, words that offer another number in its place (the number captured):
# "(Alternatively 13.)", "Note: the answer could also be 13.", "13 is also correct", "P.S. if you meant
# inclusive counting, 13." Tight on purpose: "Alternatively, we can use the fact that every multiple of 6
# ..." (another method) and "Otherwise, 3 + 3 = 6 ..." (a computation) offer nothing.
_NUMBER_TEXT = r"(-?\d[\d,]*(?:\.\d+)?)"
_LATER_ALTERNATIVE = re.compile(
    r"\b(?:alternatively|otherwise|or (?:maybe|perhaps|possibly)|(?:could|might|may|can|would) also be)"
    r"[,:]?[ \t]{1,4}(?:(?:it|this|the answer)[ \t]{1,4}(?:is|could be|might be|may be|would be)[ \t]{1,4})?"
    r"[$\\( \t]{0,4}" + _NUMBER_TEXT + r"(?![\d.]*[ \t]*(?:[-+/=^\\]|\*[ \t]*\d))"
    r"|" + _NUMBER_TEXT + r"[ \t$\\)]{0,4}(?:is|would be)[ \t]{1,4}also[ \t]{1,4}"
    r"(?:possible|correct|valid|acceptable|right|an? (?:answer|solution))\b"
    r"|\bif (?:you|we|they|one|the (?:question|problem)) mean[st]?\b[^.\n]{0,80}?[ \t$]"
    + _NUMBER_TEXT
    + r"[ \t.)$]*\Z",
    re.IGNORECASE,
)


def _number_value(number: str) -> Fraction | str:
    """The exact value of a number as written (``12.0`` and ``12`` alike), or the text when it has none."""
    try:
        return Fraction(number.replace(",", ""))
    except (ValueError, ZeroDivisionError):
        return number


def _offered_later(text: str, end: int, answer: str) -> str | None:
    """Words in the two sentences or lines after an answer that offer another number in its place ("Note:
    it could also be 13."), or ``None``; the answer's own number again is no other ("it could also be
    12.0")."""
    window = text[end : end + 2 * MAX_TAIL_CHARS]
    first = _sentence_stop(window, 0)
    if first < 0:
        return None
    start = first + 1
    for _ in range(2):
        while start < len(window) and window[start] in " \n":
            start += 1
        stop = _sentence_stop(window, start)
        stop = stop if stop >= 0 else len(window)
        sentence = window[start:stop]
        for cue in _LATER_ALTERNATIVE.finditer(sentence):
            offered = next(group for group in cue.groups() if group is not None)
            if _number_value(offered) not in map(_number_value, _NUMBER.findall(answer)):
                return " ".join(cue.group(0).split()).lower()
        start = stop + 1
        if start >= len(window):
            break
    return None


def _box_context(
    text: str, start: int, end: int, rest: str | None, answer: str, hint: GoldHint
) -> str | None:
    """What makes the sentence around the last box unsure of it, or ``None``: a hedge in the clause
    before it ("It is probably \\boxed{5}", "I think the answer is \\boxed{5}") or a negation right
    before it ("The answer is not \\boxed{5}"); a question mark after it; the rest of its sentence
    disowning it ("\\boxed{10} is wrong") or offering another value ("\\boxed{5} (or 6)", "\\boxed{5}; if
    not, 6"); a next sentence that offers another value ("\\boxed{5}. Or maybe 6."), takes it back
    ("\\boxed{5}\\n\\nWait, actually it is 6.") or doubts it. ``rest`` is :func:`_box_rest`'s."""
    sentence = text[_marker_start(text, start) : start]
    folded = sentence.casefold()  # what IGNORECASE matches, for the cheap checks below
    if any(word in folded for word in _BOX_HEDGE_WORDS):  # the regexes only when one may match
        breaks = list(_CLAUSE_BREAK.finditer(sentence))
        hedge = _BOX_HEDGE.search(sentence[breaks[-1].end() :] if breaks else sentence)
        hedge = hedge or _GUESS_LABEL.search(sentence.rstrip(" \t$\\(["))  # "My guess: \\boxed{5}"
        if hedge is not None:
            return f"hedged ({hedge.group(0).strip(' :=-').lower()!r})"
    if any(word in folded[-40:] for word in _NEGATION_WORDS):
        negation = _NEGATED_BOX.search(sentence[-40:])
        if negation is not None:
            return f"negated ({negation.group(1).lower()!r})"
    if rest is None:
        return None  # nothing follows the box but closing marks
    if text[end : end + 4].lstrip(" $\\)]").startswith("?"):
        return "hedged ('?')"
    stop = _sentence_stop(text, end)
    stop = stop if stop >= 0 else len(text)
    after = _after_box(rest)
    if after is not None:
        return after
    following = _NEXT_HEDGE.match(text[stop : stop + MAX_TAIL_CHARS])
    if following is not None:
        return f"hedged ({following.group(1).lower()!r})"
    revised = _revision(text, end, answer, hint)
    if revised:
        return f"taken back after it ({revised!r})"
    doubt = _doubt_after(text, end) or _offered_later(text, end, answer)
    return f"doubted after it ({doubt!r})" if doubt else None


# What may close a box's sentence without saying anything: "\\boxed{5}$.", "\\(\\boxed{5}\\)."
_AFTER_NOTHING = " \t\r\n$.\\)]}"
# Every match of _BOX_HEDGE / _NEGATED_BOX holds one of these (case-folded).
_BOX_HEDGE_WORDS = (
    "maybe",
    "perhaps",
    "probabl",
    "possibl",
    "think",
    "guess",
    "believe",
    "sure",
    "might",
    "could",
    "may",
)
_NEGATION_WORDS = ("not", "never", "n't", "nt")
# Right before a box, a negation disowns it: "The answer is not \\boxed{5}", "it isn't $\\boxed{5}$".
_NEGATED_BOX = re.compile(
    r"\b(not|never|isn't|isnt|aren't|wasn't|cannot be|can't be)[ \t]{0,4}(?:\$|\\\(|\\\[)?[ \t]{0,4}\Z",
    re.IGNORECASE,
)
# In the rest of a box's sentence, a word that offers another value in its place: "\\boxed{5} (or 6)",
# "\\boxed{5}, or possibly 6", "(though 6 is also possible)", "(if not, 6)", "otherwise 4".
# The word opens the rest, a parenthesis or a clause after "," or ";": "(for x = 1 or x = 2)" offers none.
_ALTERNATIVE_AFTER_BOX = re.compile(
    r"(?:\A|[(;{]|,)[ \t$\\)\]]{0,6}"
    r"(or|maybe|perhaps|possibly|probably|otherwise|alternatively|else|unless|though|although|if not)\b",
    re.IGNORECASE,
)
# Every match of _ALTERNATIVE_AFTER_BOX holds one of these (case-folded).
_ALTERNATIVE_WORDS = (
    "or",
    "may",
    "perhaps",
    "possibl",
    "probabl",
    "otherwise",
    "alternativ",
    "else",
    "unless",
    "though",
    "if not",
)
# ... or that disowns the box: "\\boxed{10} is wrong", "$\\boxed{10}$, which would be incorrect".
_DISOWNED_AFTER_BOX = re.compile(
    r"\A[ \t$\\)\].,]{0,6}(?:which[ \t]{1,4})?(?:is|was|would be|will be|seems|looks|appears)[ \t]{1,4}"
    r"(?:to be[ \t]{1,4})?(?:wrong|incorrect|mistaken|a mistake|an error|not (?:right|correct|the answer))\b",
    re.IGNORECASE,
)


def _after_box(rest: str) -> str | None:
    """How the rest of a box's sentence disowns it ("\\boxed{10} is wrong"), or ``None``."""
    if "\\boxed" in rest or "\\fbox" in rest:
        return None  # several boxes: the boxes' own rules decide
    disowned = _DISOWNED_AFTER_BOX.search(rest)
    if disowned is not None:
        return f"disowned ({disowned.group(0).strip(' $)].,').lower()!r})"
    doubt = _DOUBT.search(rest)  # "\\boxed{5}, but I'm not confident", "\\boxed{5} (low confidence)"
    if doubt is not None:
        return f"doubted ({doubt.group(0).lower()!r})"
    for group in _PARENTHESES.findall(rest):  # "\\boxed{5} (assuming x > 0)"
        words = set(re.findall(r"[a-z]+", group.lower())) & _CONDITIONS
        if words:
            return f"qualified ({min(words)!r})"
    return None


_PARENTHESES = re.compile(r"\(([^()]{0,120})\)")
# In parentheses after a box, words that make it conditional or doubtful; approximations restating an
# exact box ("\\boxed{\\frac{5}{12}} (about 41.7%)") are not among them.
_CONDITIONS = frozenset(
    {"if", "unless", "assuming", "provided", "wrong", "incorrect", "guess", "maybe", "perhaps"}
)


def _box_rest(text: str, end: int) -> str | None:
    """The rest of the sentence of the box that ends at ``end`` (at most ``MAX_TAIL_CHARS``), or ``None``
    when nothing but closing marks follows the box."""
    if not text[end : end + 16].strip(_AFTER_NOTHING) and not text[end:].strip(_AFTER_NOTHING):
        return None
    stop = _sentence_stop(text, end)
    return text[end : min(stop if stop >= 0 else len(text), end + MAX_TAIL_CHARS)]


def _offered_after_box(rest: str, hint: GoldHint) -> Reduced | None:
    """A value the rest of the last box's sentence offers beside it — "\\boxed{5} (or 6)", "\\boxed{5};
    if not, 6", "\\boxed{\\frac12}, or equivalently $0.5$" — reduced (the judge then needs both to be
    right); ``None`` when it offers none. ``rest`` is :func:`_box_rest`'s."""
    if "\\boxed" in rest or "\\fbox" in rest:
        return None  # several boxes: the boxes' own rules decide
    folded = rest.casefold()
    if not any(word in folded for word in _ALTERNATIVE_WORDS):
        return None
    for match in _ALTERNATIVE_AFTER_BOX.finditer(rest):
        offered = rest[match.end() :]
        if not _NUMBER.search(offered) and "$" not in offered and "\\(" not in offered:
            continue  # "\\boxed{5}, though it took a while": no other value
        offered = _RESTATEMENT.sub("", offered).strip(" ,:;")
        offered = offered[: _unmatched_closing(offered)]  # "(or 6)", "\\footnote{or 6}": the group it is in
        reduced = _reduce(offered.strip().rstrip(".;,"), hint)
        if reduced.answer is None:
            return Reduced(None, f"{match.group(1).lower()!r}: {reduced.reason}")
        return reduced
    return None


def _unmatched_closing(text: str) -> int:
    """Where the group that ``text`` stands in closes: its first unmatched ``)``, ``]`` or ``}``, or its
    length."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return index
            depth -= 1
    return len(text)


_RESTATEMENT = re.compile(
    r"\A[\s,]*(?:equivalently|equally|in other words|i\.e\.|that is)\b[\s,:]*", re.IGNORECASE
)


# The sentence after a stated answer doubts it: "The answer is 5. I am not sure, though."
_DOUBT = re.compile(
    r"\b(?:not (?:sure|certain|confident)|(?:do not|don't|dont) know|no idea|unsure|just a guess|i guess"
    r"|(?:could|might|may) be (?:wrong|mistaken|incorrect)|low confidence|unverified|not verified"
    r"|(?:that|this|it)(?: answer)?(?:[ \t]+(?:is|was)|'s)[ \t]+(?:wrong|incorrect|not (?:right|correct)))\b"
    r"|(?<![\d.])(?:\d|[1-9]\d)(?:\.\d+)?[ \t]*%[ \t]*(?:sure|confident|certain)\b"
    r"|\bconfidence(?:[ \t]+(?:level|score))?[ \t]*[:=]?[ \t]*(?:\d|[1-9]\d)(?:\.\d+)?[ \t]*%",
    re.IGNORECASE,
)


def _doubt_after(text: str, end: int) -> str | None:
    """A doubt in the sentence that follows the one ending after ``end``, or ``None``."""
    first = _sentence_stop(text, end)
    if first < 0:
        return None
    start = first + 1
    second = [i for i in (text.find(". ", start), text.find("\n", start + 1)) if i >= 0]
    sentence = text[start : min(min(second, default=len(text)), start + MAX_TAIL_CHARS)]
    doubt = _DOUBT.search(sentence)
    return doubt.group(0).lower() if doubt is not None else None


def _boxed(spans: list[tuple[int, int, str]], unclosed: int, hint: GoldHint) -> Extraction:
    reduced = [_reduce(content, hint) for _, _, content in spans]
    if any(r.answer is not None for r in reduced):
        reduced = [r for r in reduced if r.reason not in _NO_VALUE]  # blanks: "\boxed{\phantom{2}}"
    refused = [r for r in reduced if r.answer is None]
    if refused and len(refused) == len(reduced):
        reason = "unclosed \\boxed{" if unclosed and not spans else refused[0].reason
        if reason in _NO_VALUE:
            reason = "empty \\boxed{}"
        return Extraction((), "boxed", reason)
    if not spans:
        return Extraction((), "boxed", "unclosed \\boxed{")
    if refused:
        return Extraction((), "boxed", f"a boxed answer is refused: {refused[0].reason}")
    candidates = tuple(dict.fromkeys(r.answer for r in reduced if r.answer))
    if len(candidates) > MAX_CANDIDATES:
        return Extraction((), "boxed", f"{len(candidates)} different boxed answers")
    if hint.parts > 1 and len(candidates) > 1:
        single_parts = all(len(split_top_level(c) or [c, c]) == 1 for c in candidates)
        if single_parts:
            return Extraction((", ".join(candidates),), "boxed")
    if len(candidates) > 1 and named_in_order(list(candidates)):  # \boxed{k = 45} and \boxed{n = 2}
        return Extraction((", ".join(candidates),), "boxed")
    return Extraction(candidates, "boxed")


# NUL and zero-width characters are dropped before reading: "1\u200b0" is 10, "ans\u200bwer" a marker.
_INVISIBLE = dict.fromkeys(map(ord, "\x00\u200b\u200c\u200d\u2060\ufeff"))
# Chat-template tokens left in a decoded completion end a line: "The answer is 5.<|im_end|>",
# "<|eot_id|>", DeepSeek's "<｜end▁of▁sentence｜>".
_SPECIAL_TOKEN = re.compile(r"<[|｜][A-Za-z▁_]{3,40}[|｜]>(?:assistant|user|system)?")


def extract_answer(
    completion: str,
    *,
    fallback: Fallback = "none",
    max_chars: int = MAX_ANSWER_CHARS,
    hint: GoldHint | None = None,
) -> Extraction:
    """The final-answer candidates of a completion (see the module docstring for the rules).

    Args:
        completion: the model's text.
        fallback: ``"last_number"`` also takes the last number when there is no marker.
        max_chars: only this many trailing characters of the answer part are searched.
        hint: what the gold looks like (how many parts; text or option letter), which decides whether a
            sentence may list several values and whether words are the answer itself.

    Example:
        >>> extract_answer("<think>maybe 3</think>The final answer is $4$.").candidates
        ('4',)
        >>> extract_answer("Natalia sold 72 clips.\\n#### 72").candidates
        ('72',)
        >>> extract_answer("She sold 48 clips in April.\\nThen 24 more.").found
        False
        >>> extract_answer("She sold 48 clips in April.\\nThen 24 more.", fallback="last_number").candidates
        ('24',)
        >>> extract_answer("I think it is 72", fallback="last_number").reason
        "hedged or alternative answer ('i think')"
        >>> extract_answer("\\\\boxed{3} or \\\\boxed{4}").candidates
        ('3', '4')
        >>> extract_answer("Steps...\\n\\n# Answer\\n\\n3\\\\sqrt{13}").candidates
        ('3\\\\sqrt{13}',)
        >>> extract_answer("The answer is 5 or 6.").reason
        "final answer: hedged or alternative answer ('or')"
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    hint = hint or GoldHint()
    if "\x00" in completion or not completion.isascii():
        completion = completion.translate(_INVISIBLE)
    part = answer_part(completion)
    if part is None:
        return Extraction((), reason="<think> opened and never closed: no answer part")
    part = part[-max_chars:]
    if "<|" in part or "<｜" in part:
        part = _SPECIAL_TOKEN.sub("\n", part)
    spans, unclosed = find_boxed_spans(part)
    if spans or unclosed:
        final = _final_after_boxes(part, spans[-1][1] if spans else len(part), hint)
        if final is not None:
            return final
        boxed = _boxed(spans, unclosed, hint)
        if boxed.candidates:
            rest = _box_rest(part, spans[-1][1])
            unsure = _box_context(part, spans[-1][0], spans[-1][1], rest, boxed.candidates[-1], hint)
            if unsure is not None:
                return Extraction((), "boxed", f"the boxed answer is {unsure}")
            offered = _offered_after_box(rest, hint) if rest is not None else None
            if offered is not None and offered.answer is None:
                return Extraction((), "boxed", f"the boxed answer is followed by another ({offered.reason})")
            if offered is not None and offered.answer is not None:
                candidates = tuple(dict.fromkeys((*boxed.candidates, offered.answer)))
                if len(candidates) > MAX_CANDIDATES:
                    return Extraction((), "boxed", f"{len(candidates)} different final answers")
                return Extraction(candidates, "boxed")
        return boxed
    blocks = _answer_tags(part)
    if blocks:
        return _tagged(blocks, hint)
    marked = _from_markers(part, hint)
    if marked is not None:
        return marked
    finders = (
        ("gsm8k", _last_gsm8k),
        ("bold", _last_bold),
        ("conclusion", _conclusion),
        ("bare", lambda t: _bare(t, hint)),
        ("sentence", _single_sentence),
    )
    for method, finder in finders:
        found = finder(part)
        if found is None:
            continue
        reduced = _reduce(found, hint)
        if reduced.answer is not None:
            return Extraction((reduced.answer,), method)
        stated = _NUMBER.search(part) or "$" in part or "\\" in part
        if hint.kind == "value" and method not in _MARKED and not stated:
            break  # no digit or math anywhere: no value stated ("I am not sure."), not a hedged one
        if reduced.reason.startswith("hedged") or (method in _MARKED and reduced.reason not in _NO_VALUE):
            return Extraction((), method, reduced.reason)  # a hedge stops everything; a marker's refusal too
    if hint.kind == "choice":
        leading = _LEADING_CHOICE.match(part)
        if leading is not None and not _OTHER_OPTION.search(part, leading.end()):
            return Extraction((leading.group(1),), "leading_choice")  # not a list of the options
    if fallback == "last_number":
        last = _last_number(part)
        if last is not None:
            return last
    return Extraction((), reason="no final answer found")
