"""Which rlvr reward judges a verl row, by its ``data_source``: the routing table of the verl integration.

A name is matched case-insensitively, on the whole ``data_source`` and on its last ``/`` part
(``"HuggingFaceH4/MATH-500"`` → ``"math-500"``), in this order:

1. the user's own ``routes`` (exact names);
2. math — ``gsm8k`` and any name containing ``gsm8k`` or ``math`` (``openai/gsm8k``, ``lighteval/MATH``,
   ``DigitalLearningGmbH/MATH-lighteval``, ``HuggingFaceH4/MATH-500``, ``math_dapo``,
   ``BytedTsinghua-SIA/DAPO-Math-17k``, ``numina_synthetic_math``), and names starting with ``aime``,
   ``amc``, ``numina``, ``olympiad``, ``minerva``, ``deepscaler``, ``hmmt``;
3. code — names containing ``code``, ``humaneval`` or ``mbpp`` (``codecontests``, ``deepmind/code_contests``,
   ``codeforces``, ``livecodebench``, ``kodcode``, ``openai_humaneval``), and names starting with ``apps``,
   ``taco``, ``primeintellect``, ``deepcoder``, ``verifiable-coding`` — unless the name also says ``math``;
4. the fallback (``auto`` by default: code when the row carries tests, else math).

Routes: ``math`` (``math_accuracy``, the gold from ``ground_truth``), ``code`` (``code_execution``, the
tests found by :func:`rlvr.integrations.code_formats.find_tests`, in any dataset shape), ``verl`` (verl's
own ``default_compute_score``, run in rlvr's executor under its deadline), ``none`` (not judged).

Example:
    >>> route_of("HuggingFaceH4/MATH-500"), route_of("likaixin/TACO-verified"), route_of("geo3k")
    ('math', 'code', None)
    >>> route_of("my_set", {"my_set": "code"})
    'code'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Route = Literal["math", "code", "verl", "none"]
ROUTES: tuple[str, ...] = ("math", "code", "verl", "none")

_MATH_SUBSTRINGS = ("gsm8k", "math")
_MATH_PREFIXES = ("aime", "amc", "numina", "olympiad", "minerva", "deepscaler", "hmmt")
_CODE_SUBSTRINGS = ("code", "humaneval", "mbpp")
_CODE_PREFIXES = ("apps", "taco", "primeintellect", "deepcoder", "verifiable-coding")


def _matches(names: tuple[str, ...], substrings: tuple[str, ...], prefixes: tuple[str, ...]) -> bool:
    return any(s in name for name in names for s in substrings) or any(
        name.startswith(p) for name in names for p in prefixes
    )


def route_of(data_source: object, routes: Mapping[str, str] | None = None) -> str | None:
    """The route of ``data_source`` by the table above; ``None`` when no rule matches (the fallback's turn).

    Example:
        >>> route_of("openai/gsm8k"), route_of("codeforces"), route_of("aime2025"), route_of(None)
        ('math', 'code', 'math', None)
    """
    if not isinstance(data_source, str):
        return None
    name = data_source.strip().lower()
    if routes:
        for key, route in routes.items():
            if key.strip().lower() == name:
                return route
    names = (name, name.rsplit("/", 1)[-1])
    if _matches(names, _CODE_SUBSTRINGS, _CODE_PREFIXES) and not _matches(names, ("math",), ()):
        return "code"
    if _matches(names, _MATH_SUBSTRINGS, _MATH_PREFIXES):
        return "math"
    return None


def check_routes(routes: Mapping[str, str]) -> None:
    """Raise a clear error for a route that is not one of :data:`ROUTES`.

    Example:
        >>> check_routes({"geo3k": "verl"})
        >>> check_routes({"geo3k": "vision"})
        Traceback (most recent call last):
        ...
        ValueError: routes['geo3k'] must be one of math, code, verl, none; got 'vision'
    """
    for key, route in routes.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"routes keys must be data_source names, got {key!r}")
        if route not in ROUTES:
            raise ValueError(f"routes[{key!r}] must be one of {', '.join(ROUTES)}; got {route!r}")
