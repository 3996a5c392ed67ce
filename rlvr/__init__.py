"""rlvr: rewards and verifiers for reinforcement learning with verifiable rewards (GRPO).

Importing ``rlvr``, ``rlvr.rewards`` or ``rlvr.verifiers`` never imports torch, transformers or trl;
only ``rlvr.integrations`` does.

Example:
    >>> import rlvr
    >>> rlvr.__version__
    '0.1.0'
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
