"""Extract the program from a completion: the last fenced block of the task's language, else the whole
completion.

Only the part after the last ``</think>`` is searched when there is one (a block sketched while thinking
is not the answer). A block left open at the end (a truncated completion) runs to the end of the text.
Fence tags: ```` ```python ````, ```` ```py ````, ```` ```python3 ```` for Python; ```` ```cpp ````,
```` ```c++ ````, ```` ```cxx ````, ```` ```cc ```` for C++ (an untagged block is no program).

Example:
    >>> extract_program("Here:\\n```python\\nprint(1)\\n```\\nand better:\\n```python\\nprint(2)\\n```")
    'print(2)\\n'
    >>> extract_program("def f():\\n    return 1\\n")
    'def f():\\n    return 1\\n'
    >>> extract_program("```cpp\\nint main() {}\\n```", "cpp")
    'int main() {}\\n'
"""

from __future__ import annotations

import re

_TAGS = {"python": r"python3?|py", "cpp": r"cpp|c\+\+|cxx|cc"}
_FENCES = {
    language: re.compile(
        rf"^[ \t]*```[ \t]*(?:{tags})[ \t]*\r?\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.I | re.M | re.S
    )
    for language, tags in _TAGS.items()
}
_THINK_END = "</think>"


def extract_program(completion: str, language: str = "python") -> str:
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
    blocks = _FENCES.get(language, _FENCES["python"]).findall(text)
    if blocks:
        return blocks[-1]
    return text
