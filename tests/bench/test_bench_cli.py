"""``rlvr bench``: the table of targets, its flags and its errors (no speed is ever asserted)."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from rlvr.cli import main
from rlvr.cli.bench import TARGETS, Bench, Target
from rlvr.cli.entry import build_parser

NAMES = [target.name for target in TARGETS]


def _target_parsers() -> dict[str, argparse.ArgumentParser]:
    def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(action.choices)

    return subcommands(subcommands(build_parser())["bench"])


def _typed_flags() -> list[tuple[str, str, object]]:
    """(target, flag, type) of every flag that takes a number."""
    return [
        (name, action.option_strings[-1], action.type)
        for name, parser in _target_parsers().items()
        for action in parser._actions
        if action.option_strings and action.type is not None
    ]


def _defaults(name: str, *extra: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", name, *extra])


def test_the_table_lists_every_target_once() -> None:
    assert NAMES == ["executor", "language", "math", "math-agreement", "code", "eval", "loss", "ray", "serve"]
    assert list(_target_parsers()) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_target_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", name, "--help"]) == 0
    out = capsys.readouterr().out
    target = next(t for t in TARGETS if t.name == name)
    assert f"usage: rlvr bench {name}" in out and "--repeats" in out and "--json" in out
    assert " ".join(target.help.split()[:3]) in " ".join(out.split())
    assert ("--items" in out) == (target.items is not None)


@pytest.mark.parametrize(
    ("name", "extra"),
    [(target.name, []) for target in TARGETS] + [("code", ["--language", "cpp"])],
)
def test_the_default_flags_build_a_valid_config(name: str, extra: list[str]) -> None:
    """Every target's options are keyword arguments its config accepts (imported, nothing runs)."""
    args = _defaults(name, *extra)
    target = next(t for t in TARGETS if t.name == name)
    bench = target.chosen(args)
    module = importlib.import_module(bench.module)
    config = getattr(module, bench.config)(**bench.options(args))
    assert callable(getattr(module, bench.run))
    assert getattr(config, "repeats", 5) == 5


def test_every_numeric_flag_has_a_type() -> None:
    for name, parser in _target_parsers().items():
        for action in parser._actions:
            number = isinstance(action.default, (int, float)) and not isinstance(action.default, bool)
            if action.option_strings and number:
                assert action.type is not None, (name, action.option_strings)
    flags = {(name, flag) for name, flag, _ in _typed_flags()}
    for expected in [
        ("eval", "--samples"),
        ("serve", "--clients"),
        ("serve", "--requests"),
        ("ray", "--symbolic"),
        ("ray", "--programs"),
        ("ray", "--chunk-sizes"),
        ("loss", "--num-generations"),
        ("loss", "--lengths"),
        ("math-agreement", "--limit"),
        ("math-agreement", "--timeout"),
        ("math-agreement", "--peer-timeout"),
        ("math", "--completions"),
        ("math", "--score-lines"),
    ]:
        assert expected in flags


@pytest.mark.parametrize(("name", "flag", "kind"), _typed_flags())
def test_a_value_that_is_no_number_names_the_flag(
    name: str, flag: str, kind: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", name, flag, "x"]) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}:" in err and "Traceback" not in err
    if kind is not int:  # --seed: any integer is a seed
        assert main(["bench", name, flag, "-1"]) == 2
        assert f"argument {flag}:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "flag", "value"),
    [
        ("executor", "--items", "0"),
        ("executor", "--repeats", "0"),
        ("executor", "--workers", "0"),
        ("eval", "--samples", "0"),
        ("serve", "--clients", "0"),
        ("serve", "--requests", "0"),
        ("ray", "--symbolic", "0"),
        ("ray", "--chunk-sizes", "16,0"),
        ("ray", "--chunk-sizes", ","),
        ("loss", "--lengths", "64,zero"),
        ("loss", "--num-generations", "0"),
        ("math-agreement", "--limit", "0"),
        ("math-agreement", "--timeout", "0"),
        ("math-agreement", "--peer-timeout", "inf"),
        ("math", "--completions", "-1"),
        ("math", "--score-lines", "-1"),
        ("code", "--items", "0"),
    ],
)
def test_bad_values_exit_2_naming_the_flag(
    name: str, flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", name, flag, value]) == 2
    err = capsys.readouterr().err
    assert f"rlvr bench {name}: error: argument {flag}:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "flag", "value", "attribute", "parsed"),
    [
        ("math", "--completions", "0", "completions", 0),
        ("math", "--score-lines", "0", "score_lines", 0),
        ("ray", "--programs", "0", "programs", 0),
        ("ray", "--chunk-sizes", "16, 64", "chunk_sizes", (16, 64)),
        ("loss", "--lengths", "1024,4096", "lengths", (1024, 4096)),
        ("math-agreement", "--timeout", "0.5", "timeout", 0.5),
    ],
)
def test_zero_where_it_means_skip_and_lists(
    name: str, flag: str, value: str, attribute: str, parsed: object
) -> None:
    assert getattr(_defaults(name, flag, value), attribute) == parsed


def test_the_ray_default_chunk_sizes_are_parsed() -> None:
    assert _defaults("ray").chunk_sizes == (16, 64, 128, 256)


def test_a_value_the_config_refuses_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rlvr.cli", "bench", "eval", "--samples", "2000", "--items", "1"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "rlvr bench eval: --samples must be an integer <= 1024, got 2000"
    assert result.stdout == ""


def test_a_run_that_cannot_go_on_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(config: object) -> None:
        raise RuntimeError("rlvr bench executor needs\nsomething missing")

    monkeypatch.setattr("rlvr.bench.executor_bench.run_executor_bench", refuse)
    assert main(["bench", "executor", "--items", "5"]) == 1
    err = capsys.readouterr().err
    assert err == "rlvr bench executor: rlvr bench executor needs something missing\n"


def test_a_json_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Report:
        def markdown(self) -> str:
            return "| measure | value |"

        def to_json(self) -> str:
            return "{}"

    monkeypatch.setattr("rlvr.bench.executor_bench.run_executor_bench", lambda config: Report())
    assert main(["bench", "executor", "--json", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "| measure | value |\n"
    assert captured.err.startswith(f"rlvr bench executor: cannot write --json {tmp_path}:")
    assert captured.err.count("\n") == 1


def test_a_target_may_choose_its_bench_from_the_flags() -> None:
    python = _defaults("code")
    cpp = _defaults("code", "--language", "cpp", "--items", "500")
    code = next(t for t in TARGETS if t.name == "code")
    assert code.chosen(python).module == "rlvr.bench.code_bench"
    assert code.chosen(cpp).options(cpp)["programs"] == 200  # the C++ programs are capped
    fixed = Target("x", "help", None, lambda parser: None, Bench("m", "C", "run", lambda args: {}))
    assert fixed.chosen(python).module == "m"


def test_executor_runs_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "executor.json"
    assert (
        main(["bench", "executor", "--items", "50", "--repeats", "1", "--workers", "1", "--json", str(out)])
        == 0
    )
    assert "ratio rlvr / peer" in capsys.readouterr().out
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["items"] == 50 and "usable CPUs" in figures["machine"] and "ratio_to_peer" in figures


def test_building_the_parser_imports_no_bench_and_no_heavy_library() -> None:
    code = (
        "import sys, rlvr.cli\n"
        "from rlvr.cli.entry import build_parser\n"
        "build_parser()\n"
        "heavy = {'torch', 'sympy', 'ray', 'aiohttp', 'transformers', 'math_verify'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith('rlvr.bench')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
