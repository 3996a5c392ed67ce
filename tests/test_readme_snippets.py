"""Every Python snippet of README.md runs as written, or says what it needs right above it.

A snippet preceded by a ``> Needs: ...`` line says what it needs. One that needs downloads runs offline
(an empty Hugging Face cache, the dataset replaced by four GSM8K-like rows) and must stop at the model's
download and nowhere before: its configs, rewards and data preparation run as written on this CPU. One that
needs something else (your own verifier, the demo's output) is compiled. Every other snippet runs in a
fresh process, and the values its ``print(...)  # value`` lines promise are the values printed.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
OPENING = re.compile(r"^(`{3,})([^`]*)$")

#: Runs a snippet offline: datasets' ``load_dataset`` gives four GSM8K-like rows, the model download
#: fails (exit 3). Anything else that fails is the snippet's own fault.
OFFLINE_RUNNER = """
import sys

import datasets


def offline_rows(*args, **kwargs):
    rows = {"question": ["What is 2 + 3?"] * 4, "answer": ["2 + 3 = 5\\n#### 5"] * 4}
    return datasets.Dataset.from_dict(rows)


datasets.load_dataset = offline_rows
code = compile(open(sys.argv[1], encoding="utf-8").read(), "README snippet", "exec")
try:
    exec(code, {"__name__": "__main__"})
except OSError as exc:  # the download, offline: what this snippet needs
    print(f"stopped at a download: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
    sys.exit(3)
"""


@dataclass(frozen=True)
class Snippet:
    line: int
    code: str
    needs: str | None

    @property
    def id(self) -> str:
        return f"README.md:{self.line}"


def python_snippets(text: str) -> list[Snippet]:
    """The Python fences of a Markdown text, with the ``> Needs:`` note right above each, if any."""
    lines = text.split("\n")
    snippets = []
    index = 0
    while index < len(lines):
        opening = OPENING.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2).strip()
        start = index
        index += 1
        body = []
        while index < len(lines) and not re.match(rf"^`{{{len(fence)},}}\s*$", lines[index]):
            body.append(lines[index])
            index += 1
        index += 1
        if language != "python":
            continue
        above = start - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        quote = []
        while above >= 0 and lines[above].startswith(">"):
            quote.insert(0, lines[above].lstrip("> ").strip())
            above -= 1
        note = " ".join(quote)
        needs = note.removeprefix("Needs:").strip() if note.startswith("Needs:") else None
        snippets.append(Snippet(start + 2, "\n".join(body) + "\n", needs))
    return snippets


SNIPPETS = python_snippets(README.read_text(encoding="utf-8"))


def promised_values(code: str) -> list[str]:
    """What ``print(...)  # VALUE`` lines promise, in order (the comment up to a ``;``)."""
    promised = []
    for line in code.splitlines():
        match = re.match(r"^print\(.*\)\s+#\s*(.+)$", line.strip())
        if match and match.group(1)[:1] in "[{('-0123456789":
            promised.append(match.group(1).split(";")[0].strip())
    return promised


def environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"))
    env.update(TRANSFORMERS_OFFLINE="1", RAY_USAGE_STATS_ENABLED="0")
    env.pop("RLVR_RAY_ADDRESS", None)
    return env


def test_the_readme_has_snippets_of_each_kind() -> None:
    assert len(SNIPPETS) >= 10
    assert any(s.needs is None for s in SNIPPETS) and any(s.needs for s in SNIPPETS)
    for snippet in SNIPPETS:
        assert snippet.needs is None or len(snippet.needs) > 10, f"{snippet.id}: say what it needs"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.id for s in SNIPPETS])
def test_snippet_compiles(snippet: Snippet) -> None:
    ast.parse(snippet.code, filename=snippet.id)  # a syntax error fails here, whatever the snippet needs


@pytest.mark.parametrize(
    "snippet", [s for s in SNIPPETS if s.needs is None], ids=[s.id for s in SNIPPETS if s.needs is None]
)
def test_snippet_runs_as_written(snippet: Snippet, tmp_path: Path) -> None:
    if "torch" in snippet.code or "openrlhf" in snippet.code:
        pytest.importorskip("torch", reason="this snippet needs torch (the trl extra)")
    result = subprocess.run(
        [sys.executable, "-c", snippet.code],
        cwd=tmp_path,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{snippet.id}:\n{result.stderr[-3000:]}"
    printed = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    promised = promised_values(snippet.code)
    assert printed[-len(promised) :] == promised if promised else True, (snippet.id, printed, promised)


DOWNLOADS = [s for s in SNIPPETS if s.needs and "download" in s.needs]


@pytest.mark.parametrize("snippet", DOWNLOADS, ids=[s.id for s in DOWNLOADS])
def test_snippet_that_needs_downloads_runs_up_to_them(snippet: Snippet, tmp_path: Path) -> None:
    pytest.importorskip("trl", reason="these snippets train with TRL (the trl extra)")
    pytest.importorskip("datasets", reason="these snippets load a dataset (the trl extra)")
    path = tmp_path / "snippet.py"
    path.write_text(snippet.code, encoding="utf-8")
    runner = tmp_path / "offline_runner.py"
    runner.write_text(OFFLINE_RUNNER, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(runner), str(path)],
        cwd=tmp_path,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 3, f"{snippet.id} failed before its download:\n{result.stderr[-3000:]}"


def test_the_parser_reads_fences_and_notes() -> None:
    text = (
        "> Needs: a GPU and a model.\n\n```python\nx = 1\n```\n\n"
        "```` ```c++ ```` text\n\n```python\ny = 2\n```\n"
    )
    assert python_snippets(text) == [
        Snippet(4, "x = 1\n", "a GPU and a model."),
        Snippet(10, "y = 2\n", None),
    ]
    assert promised_values("print(f(1))  # [3, 7]; a note\nprint(x)  # not a value\n") == ["[3, 7]"]
