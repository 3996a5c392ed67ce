"""Extract the program from a completion: the last ```python fenced block, else the whole completion.

Only the part after the last ``</think>`` is searched when there is one (a block sketched while thinking
is not the answer). A block left open at the end (a truncated completion) runs to the end of the text.

Example:
    >>> extract_program("Here:\\n```python\\nprint(1)\\n```\\nand better:\\n```python\\nprint(2)\\n```")
    'print(2)\\n'
    >>> extract_program("def f():\\n    return 1\\n")
    'def f():\\n    return 1\\n'
"""

from __future__ import annotations

import re

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*(?:python3?|py)[ \t]*\r?\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.I | re.M | re.S
)
_THINK_END = "</think>"


def extract_program(completion: str) -> str:
    """The program in ``completion`` (see the module docstring).

    Example:
        >>> extract_program("<think>```python\\nx = 1\\n```</think>```py\\nx = 2\\n```")
        'x = 2\\n'
        >>> extract_program("```python\\nprint('cut off")
        "print('cut off"
    """
    text = completion
    if _THINK_END in text:
        text = text.rsplit(_THINK_END, 1)[1]
    blocks = _FENCE.findall(text)
    if blocks:
        return blocks[-1]
    return text
