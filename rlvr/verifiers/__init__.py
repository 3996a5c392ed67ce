"""Item-level judges: pure, torch-free functions that return a typed :class:`Verdict`.

Example:
    >>> from rlvr.verifiers import check_think_format
    >>> check_think_format("<think>2+2=4</think> 4").score
    1.0
"""

from rlvr.verifiers.think import ThinkTemplate, check_tag_count, check_think_format
from rlvr.verifiers.verdict import Verdict

__all__ = ["ThinkTemplate", "Verdict", "check_tag_count", "check_think_format"]
