"""The response inside an OpenRLHF query: prompt + response decoded with the special tokens kept.

OpenRLHF hands a reward function (or a reward server) ``queries`` = the prompt's and the response's tokens
decoded together with ``skip_special_tokens=False``, next to the ``prompts`` as rendered by the chat
template. The response is what follows the prompt, up to its first stop token (``<|im_end|>``, ``</s>``,
``<|endoftext|>``, ``<|eot_id|>``, ...: what comes after is end-of-turn and padding). Decoding does not
always give the prompt back character for character (a BOS token in front, spaces around special
tokens), so the prompt is looked for, in this order:

1. at the start of the query, or anywhere in it (the first occurrence: a BOS or system text in front);
2. by its turn markers: the response starts after the query's k-th assistant header
   (``<|im_start|>assistant``, ``<|start_header_id|>assistant<|end_header_id|>``, ``<｜Assistant｜>``,
   ``[/INST]``, ``<start_of_turn>model``), k being the number of them in the prompt — a response that
   writes more headers of its own cannot move where it starts.

When neither finds it, the query cannot be read (:class:`QueryError`): scoring the whole query would
read answers out of the prompt.

Example:
    >>> prompt = "<|im_start|>user\\n2+2?<|im_end|>\\n<|im_start|>assistant\\n"
    >>> response_of(prompt + "It is \\\\boxed{4}.<|im_end|><|endoftext|>", prompt)
    'It is \\\\boxed{4}.'
"""

from __future__ import annotations

from collections.abc import Sequence

#: Tokens that end a response; the response is cut at the first of them.
STOP_TOKENS: tuple[str, ...] = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end_of_text|>",
    "</s>",
    "<｜end▁of▁sentence｜>",
    "<end_of_turn>",
    "<|end|>",
    "<|return|>",
    "<eos>",
)
#: Chat-template headers after which an assistant turn starts.
ASSISTANT_HEADERS: tuple[str, ...] = (
    "<|im_start|>assistant",
    "<|start_header_id|>assistant<|end_header_id|>",
    "<｜Assistant｜>",
    "<|assistant|>",
    "[/INST]",
    "<start_of_turn>model",
    "<|start|>assistant",
)


class QueryError(ValueError):
    """The response cannot be told apart from the prompt; the item is not judged, with this reason."""


def _after_headers(query: str, prompt: str) -> int | None:
    for header in ASSISTANT_HEADERS:
        count = prompt.count(header)
        if not count:
            continue
        position = -1
        for _ in range(count):
            position = query.find(header, position + 1)
            if position < 0:
                return None
        start = position + len(header)
        tail = prompt[prompt.rfind(header) + len(header) :]  # what the prompt has after its last header
        if query.startswith(tail, start):
            return start + len(tail)
        while start < len(query) and query[start] in "\n ":
            start += 1
        return start
    return None


def cut_at_stop(response: str, stop_tokens: Sequence[str] = STOP_TOKENS) -> str:
    """``response`` up to its first stop token.

    Example:
        >>> cut_at_stop("42</s><pad><pad>")
        '42'
    """
    end = len(response)
    for token in stop_tokens:
        found = response.find(token, 0, end)
        if found >= 0:
            end = found
    return response[:end]


def response_of(query: str, prompt: str | None, stop_tokens: Sequence[str] = STOP_TOKENS) -> str:
    """The response inside ``query`` (see the module docstring); ``prompt`` ``None`` or empty: the whole
    query is the response.

    Raises:
        QueryError: the query or prompt is not text, or the prompt cannot be found in the query.

    Example:
        >>> response_of("<s>[INST] 2+2? [/INST] 4</s>", "[INST] 2+2? [/INST]")
        ' 4'
        >>> response_of("Q: 2+2? A: 4", "Q: 2+2?  A:")
        Traceback (most recent call last):
        ...
        rlvr.integrations.queries.QueryError: the prompt is not in the query and has no assistant header
    """
    if not isinstance(query, str):
        raise QueryError(f"query must be text, got {type(query).__name__}")
    if prompt is None or prompt == "":
        return cut_at_stop(query, stop_tokens)
    if not isinstance(prompt, str):
        raise QueryError(f"prompt must be text, got {type(prompt).__name__}")
    if query.startswith(prompt):
        start: int | None = len(prompt)
    else:
        found = query.find(prompt)
        start = found + len(prompt) if found >= 0 else _after_headers(query, prompt)
    if start is None:
        has_header = any(h in prompt for h in ASSISTANT_HEADERS)
        raise QueryError(
            "the prompt's assistant header is not in the query"
            if has_header
            else "the prompt is not in the query and has no assistant header"
        )
    return cut_at_stop(query[start:], stop_tokens)
