"""rlvr as OpenRLHF's reward function: ``reward_func(queries, prompts, labels)``, loadable by path.

OpenRLHF's ``--reward.remote_url`` takes a ``.py`` file and calls its ``reward_func`` (from a thread), or
a URL (``rlvr serve`` answers at ``/get_reward``). This file is such a file::

    --reward.remote_url $(python -m rlvr.integrations.openrlhf)   # prints this file's path
    --data.label_key answer                                       # the gold answers become ``labels``

``reward_func`` scores with ``math_accuracy``; for another reward, write a two-line file of your own::

    from rlvr.integrations.openrlhf import OpenRLHFReward
    reward_func = OpenRLHFReward(reward="code", options={"program_time_limit": "5"})

``queries`` are prompt + response decoded with special tokens kept: the response is what follows the
prompt, cut at its first stop token (:mod:`rlvr.integrations.queries`). ``labels`` fill the reward's own
column (math: the gold answer; code: the tests, in any dataset shape ``code_execution`` reads). The
result::

    {"rewards": tensor, "scores": tensor, "extra_logs": {"<reward>": tensor, "rlvr_unjudged": tensor}}

``rewards`` drive the advantage; ``scores`` are the same clipped to [0, 1], for dynamic filtering.
OpenRLHF needs a number for every sample, so an item rlvr cannot judge (a query without its prompt, a
timeout, a gold that does not parse) gets ``unjudged_reward`` (0.0 by default) and counts in
``rlvr_unjudged``; its reason goes to the ``rlvr.integrations`` log.

Example:
    >>> prompt = "<|im_start|>user\\nWhat is 2+2?<|im_end|>\\n<|im_start|>assistant\\n"
    >>> queries = [prompt + "\\\\boxed{4}<|im_end|>", prompt + "\\\\boxed{5}<|im_end|>"]
    >>> out = OpenRLHFReward(as_tensors=False)(queries, [prompt, prompt], ["4", "4"])
    >>> out["rewards"], out["extra_logs"]["rlvr_unjudged"]
    ([1.0, 0.0], [0.0, 0.0])
"""

from __future__ import annotations

from rlvr.integrations.openrlhf_reward import (
    OpenRLHFConfig,
    OpenRLHFResult,
    OpenRLHFReward,
    build_reward,
    judge_queries,
    label_column_of,
    openrlhf_result,
)

__all__ = [
    "OpenRLHFConfig",
    "OpenRLHFResult",
    "OpenRLHFReward",
    "build_reward",
    "judge_queries",
    "label_column_of",
    "openrlhf_result",
    "reward_func",
]

#: What OpenRLHF calls: ``math_accuracy`` on the response cut out of each query, against its label.
reward_func = OpenRLHFReward()

if __name__ == "__main__":  # python -m rlvr.integrations.openrlhf: the path for --reward.remote_url
    print(__file__)
