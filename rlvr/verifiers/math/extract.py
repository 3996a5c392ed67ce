"""Find the final answer in a completion.

Only the part after ``</think>`` is searched when there is one (a completion that opens ``<think>`` and
never closes it has no answer), and only its last ``MAX_ANSWER_CHARS`` characters: a hostile 1M-character
completion costs the same as a short one. All scanning is linear: substring search and brace matching,
never a backtracking regex.

Markers, in priority order (the first kind present wins; within a kind the candidates are collected):

1. ``\\boxed{…}`` / ``\\fbox{…}`` with nested braces (an unclosed box is no answer) — every box in the
   answer part is a candidate;
2. ``<answer>…</answer>`` tags (the last block);
3. "final answer is …" / "the answer is …" (the last one);
4. "Answer: …" (the last one, markdown bold allowed around the label);
5. GSM8K's ``#### N`` (the last one);
6. markdown bold ``**…**`` on the last line that has one, when short;
7. optionally the last number (``fallback="last_number"``): in the last fenced ```` ```output ````
   block when there is one (tool-integrated reasoning prints its result there), else in the text.

Several candidates that are not all the same answer are not a pass (the verifier checks every
candidate): "\\boxed{3} or \\boxed{4}" gets no credit for either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Fallback = Literal["none", "last_number"]
FALLBACKS: tuple[str, ...] = ("none", "last_number")

#: Only this many trailing characters of the answer part are searched.
MAX_ANSWER_CHARS = 8_000
#: A candidate longer than this is not an answer (a runaway box, a pasted paragraph).
MAX_CANDIDATE_CHARS = 1_000
#: More distinct boxed candidates than this is a spray of guesses, not an answer.
MAX_CANDIDATES = 8

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_FINAL_PHRASES = ("final answer is", "the answer is")
# Linear-time patterns only: no nested quantifiers.
_ANSWER_LABEL = re.compile(r"(?:\*\*)?answer(?:\*\*)?\s*:(?:\*\*)?", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer candidates found in a completion.

    Attributes:
        candidates: the answer strings, in order of appearance; empty when there is none.
        method: which marker found them ("boxed", "answer_tag", "final_answer", "answer_label",
            "gsm8k", "bold", "last_number"), or "" when none did.
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


def find_boxed(text: str) -> tuple[list[str], int]:
    """Contents of every ``\\boxed{…}``/``\\fbox{…}`` in order, and how many boxes were left unclosed.

    Example:
        >>> find_boxed("\\\\boxed{a{b}c} and \\\\fbox{2} and \\\\boxed{3")
        (['a{b}c', '2'], 1)
    """
    found: list[tuple[int, str]] = []
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
                found.append((start, text[j + 1 : end]))
                start = text.find(command, end)
                continue
            if j > after and j < len(text):  # "\boxed 5": one token
                token_end = j
                while (
                    token_end < len(text) and not text[token_end].isspace() and text[token_end] not in "$\\"
                ):
                    token_end += 1
                if token_end > j:
                    found.append((start, text[j:token_end]))
            start = text.find(command, after)
    found.sort()
    return [content for _, content in found], unclosed


_PHANTOM = re.compile(r"\\(?:phantom|hphantom|vphantom)\{[^{}]*\}")


def _clean(candidate: str) -> str:
    if "phantom" in candidate:  # an invisible box: a blank to fill in, quoted from the problem
        candidate = _PHANTOM.sub("", candidate)
    candidate = candidate.strip().rstrip(".").rstrip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**")):
        if (
            candidate.startswith(left)
            and candidate.endswith(right)
            and len(candidate) >= len(left) + len(right)
        ):
            candidate = candidate[len(left) : len(candidate) - len(right)].strip()
    return candidate.rstrip(".").strip()


def _phrase_tail(text: str, start: int) -> str:
    """The answer written after a marker: up to the end of the line or of the sentence."""
    tail = text[start:].lstrip(" \t:*")
    line_end = tail.find("\n")
    if line_end >= 0:
        tail = tail[:line_end]
    sentence_end = tail.find(". ")
    if sentence_end >= 0:
        tail = tail[:sentence_end]
    return _clean(tail)


def _last_phrase(text: str) -> str | None:
    lowered = text.lower()
    best = -1
    best_end = 0
    for phrase in _FINAL_PHRASES:
        index = lowered.rfind(phrase)
        if index > best:
            best, best_end = index, index + len(phrase)
    if best < 0:
        return None
    answer = _phrase_tail(text, best_end)
    return answer or None


def _last_label(text: str) -> str | None:
    last = None
    for match in _ANSWER_LABEL.finditer(text):
        last = match
    if last is None:
        return None
    answer = _phrase_tail(text, last.end())
    return answer or None


def _last_gsm8k(text: str) -> str | None:
    index = text.rfind("####")
    if index < 0:
        return None
    answer = _phrase_tail(text, index + 4)
    return answer or None


def _last_tag(text: str) -> str | None:
    close = text.rfind("</answer>")
    if close < 0:
        return None
    open_ = text.rfind("<answer>", 0, close)
    if open_ < 0:
        return None
    return _clean(text[open_ + len("<answer>") : close]) or None


def _last_bold(text: str) -> str | None:
    close = text.rfind("**")
    if close < 0:
        return None
    open_ = text.rfind("**", 0, close)
    if open_ < 0:
        return None
    content = text[open_ + 2 : close].strip()
    if not content or "\n" in content or len(content) > 60:
        return None
    return _clean(content) or None


def _last_output_block(text: str) -> str | None:
    """The body of the last fenced program-output block (tool-integrated reasoning, e.g. ToRA)."""
    start = text.rfind("```output")
    if start < 0:
        return None
    body_start = start + len("```output")
    end = text.find("```", body_start)
    return text[body_start:end] if end >= 0 else None


def _last_number(text: str) -> str | None:
    block = _last_output_block(text)
    if block is not None and _NUMBER.search(block):
        text = block
    last = None
    for match in _NUMBER.finditer(text):
        last = match
    if last is None:
        return None
    return last.group(0).rstrip(",")


def extract_answer(
    completion: str, *, fallback: Fallback = "none", max_chars: int = MAX_ANSWER_CHARS
) -> Extraction:
    """The final-answer candidates of a completion (see the module docstring for the rules).

    Example:
        >>> extract_answer("<think>maybe 3</think>The final answer is $4$.").candidates
        ('4',)
        >>> extract_answer("Natalia sold 72 clips.\\n#### 72").candidates
        ('72',)
        >>> extract_answer("I think it is 72").found
        False
        >>> extract_answer("I think it is 72", fallback="last_number").candidates
        ('72',)
        >>> extract_answer("\\\\boxed{3} or \\\\boxed{4}").candidates
        ('3', '4')
    """
    if fallback not in FALLBACKS:
        raise ValueError(f"fallback must be one of {FALLBACKS}, got {fallback!r}")
    if "\x00" in completion:
        completion = completion.replace("\x00", "")
    part = answer_part(completion)
    if part is None:
        return Extraction((), reason="<think> opened and never closed: no answer part")
    part = part[-max_chars:]
    boxes, unclosed = find_boxed(part)
    if boxes or unclosed:
        candidates = tuple(dict.fromkeys(c for c in (_clean(b) for b in boxes) if c))
        if not candidates:
            reason = "unclosed \\boxed{" if unclosed else "empty \\boxed{}"
            return Extraction((), "boxed", reason)
        if len(candidates) > MAX_CANDIDATES:
            return Extraction((), "boxed", f"{len(candidates)} different boxed answers")
        if any(len(c) > MAX_CANDIDATE_CHARS for c in candidates):
            return Extraction((), "boxed", "boxed answer too long")
        return Extraction(candidates, "boxed")
    for method, finder in (
        ("answer_tag", _last_tag),
        ("final_answer", _last_phrase),
        ("answer_label", _last_label),
        ("gsm8k", _last_gsm8k),
        ("bold", _last_bold),
    ):
        answer = finder(part)
        if answer:
            if len(answer) > MAX_CANDIDATE_CHARS:
                return Extraction((), method, "answer too long")
            return Extraction((answer,), method)
    if fallback == "last_number":
        number = _last_number(part)
        if number:
            return Extraction((number,), "last_number")
    return Extraction((), reason="no final answer found")
