"""rlvr as verl's custom reward function: ``compute_score`` in its three forms, under hard deadlines.

In the verl config (any reward manager: ``naive``, ``dapo``, the reward loop; ``batch`` with the batch form)::

    reward:
      custom_reward_function:
        path: pkg://rlvr.integrations.verl      # or the file's path (python -m rlvr.integrations.verl)
        name: compute_score                     # or compute_score_async, compute_score_batch
        reward_kwargs: {fallback: math}         # optional: VerlConfig options

- :func:`compute_score` — ``(data_source, solution_str, ground_truth, extra_info)`` → a dict with
  ``score`` (float), ``acc`` (``None`` when not judged), ``unjudged`` and ``reason``; verl logs the extra
  keys. Sync: verl's reward loop runs it in a thread.
- :func:`compute_score_async` — the same as a coroutine, for verl's reward loop: calls that arrive together
  are judged as one batch in rlvr's threads, never on the event loop.
- :func:`compute_score_batch` — ``(data_sources, solution_strs, ground_truths, extra_infos)`` → one dict
  per row, for ``reward_manager: batch``.

Rows are routed by ``data_source`` (:mod:`rlvr.integrations.verl_routes`: GSM8K, MATH, MATH-500,
DAPO-Math, AIME, AMC, NuminaMath... → ``math_accuracy``; code sets with tests in ``extra_info`` or
``ground_truth`` → ``code_execution`` in the sandbox; anything else → the ``fallback``). Every slow
judgement runs in worker processes under a deadline, and each call returns within ``deadline`` seconds
whatever happens below it: a hang is an unjudged row (``acc`` ``None``, ``score`` = ``unjudged_score``),
never a frozen step. Options (:class:`~rlvr.integrations.verl_scorer.VerlConfig`) come from verl's
``reward_kwargs``; verl's own extra keywords (``reward_router_address``, ``sandbox_fusion_url``, ...) are
accepted and ignored. One scorer (executor, sandbox) serves each process and set of options.

Example:
    >>> compute_score("openai/gsm8k", "3 + 4 = 7, so #### 7", "7", {"split": "train"}, workers=1)
    {'score': 1.0, 'acc': 1.0, 'unjudged': 0.0, 'reason': ''}
    >>> [r["score"] for r in compute_score_batch(["math", "math"], ["\\\\boxed{2}", "\\\\boxed{3}"],
    ...                                          ["2", "2"], [{}, {}], workers=1)]
    [1.0, 0.0]
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Hashable, Mapping, Sequence

from rlvr.integrations.verl_scorer import VerlConfig, VerlResult, VerlScorer

__all__ = [
    "VerlConfig",
    "VerlScorer",
    "compute_score",
    "compute_score_async",
    "compute_score_batch",
    "scorer",
]

#: Keywords verl itself passes to a custom reward function; rlvr does not need them.
VERL_KEYWORDS = frozenset(
    {
        "reward_router_address",
        "reward_model_tokenizer",
        "sandbox_fusion_url",
        "concurrent_semaphore",
        "memory_limit_mb",
    }
)
_OPTIONS = frozenset(f.name for f in dataclasses.fields(VerlConfig))


def _frozen(value: object) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=16)
def _scorer_for(options: tuple[tuple[str, Hashable], ...]) -> VerlScorer:
    values = {key: (dict(value) if key == "routes" else value) for key, value in options}
    return VerlScorer(VerlConfig(**values))


def scorer(**options: object) -> VerlScorer:
    """This process's scorer for these options (verl's ``reward_kwargs``), built on first use.

    Raises:
        TypeError: an option that is neither a :class:`VerlConfig` field nor one of verl's own keywords.

    Example:
        >>> scorer(fallback="math") is scorer(fallback="math"), scorer().config.fallback
        (True, 'auto')
    """
    unknown = sorted(k for k in options if k not in _OPTIONS and k not in VERL_KEYWORDS)
    if unknown:
        raise TypeError(
            f"rlvr compute_score: unknown option(s) {', '.join(unknown)} (from reward_kwargs?); "
            f"known: {', '.join(sorted(_OPTIONS))}"
        )
    chosen = tuple(sorted((k, _frozen(v)) for k, v in options.items() if k in _OPTIONS))
    return _scorer_for(chosen)


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: object,
    extra_info: Mapping[str, object] | None = None,
    **kwargs: object,
) -> VerlResult:
    """verl's ``compute_score`` for one row (see the module docstring).

    Example:
        >>> gold = "\\\\frac{1}{2}"
        >>> compute_score("HuggingFaceH4/MATH-500", "\\\\boxed{\\\\frac12}", gold, workers=1)["acc"]
        1.0
    """
    return scorer(**kwargs).score(data_source, solution_str, ground_truth, extra_info)


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: object,
    extra_info: Mapping[str, object] | None = None,
    **kwargs: object,
) -> VerlResult:
    """verl's ``compute_score`` as a coroutine, for the reward loop (see the module docstring).

    Example:
        >>> import asyncio
        >>> asyncio.run(compute_score_async("aime2024", "\\\\boxed{204}", "204", {}, workers=1))["score"]
        1.0
    """
    return await scorer(**kwargs).score_async(data_source, solution_str, ground_truth, extra_info)


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[object],
    extra_infos: Sequence[Mapping[str, object] | None] | None = None,
    **kwargs: object,
) -> list[VerlResult]:
    """verl's batch ``compute_score`` (``reward_manager: batch``): one dict per row, in order.

    Example:
        >>> rows = compute_score_batch(["gsm8k", "taco"], ["#### 7", "print(1)"], ["7", "7"], None, workers=1)
        >>> [(r["acc"], r["reason"]) for r in rows]
        [(1.0, ''), (None, 'no tests in extra_info or ground_truth')]
    """
    return scorer(**kwargs).score_batch(data_sources, solution_strs, ground_truths, extra_infos)


if __name__ == "__main__":  # python -m rlvr.integrations.verl: the path for custom_reward_function.path
    print(__file__)
