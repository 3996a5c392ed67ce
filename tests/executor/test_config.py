"""ExecutorConfig validation, and the checks ``Executor`` makes of its arguments."""

from __future__ import annotations

import dataclasses

import pytest

from rlvr.executor import Executor, ExecutorConfig, usable_cpus
from rlvr.executor.probes import add


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timeout": 0}, "timeout must be > 0"),
        ({"timeout": -1.0}, "timeout must be > 0"),
        ({"timeout": float("nan")}, "timeout must be > 0"),
        ({"timeout": float("inf")}, "timeout must be finite"),
        ({"timeout": "5"}, "timeout must be > 0"),
        ({"timeout": True}, "timeout must be > 0"),
        ({"timeout": None}, "timeout must be > 0"),
        ({"start_timeout": 0}, "start_timeout must be > 0"),
        ({"start_timeout": float("inf")}, "start_timeout must be finite"),
        ({"max_workers": 0}, "max_workers must be a positive int"),
        ({"max_workers": -2}, "max_workers must be a positive int"),
        ({"max_workers": 1.5}, "max_workers must be a positive int"),
        ({"max_workers": "2"}, "max_workers must be a positive int"),
        ({"cache_size": -1}, "cache_size must be an int >= 0"),
        ({"cache_size": 2.0}, "cache_size must be an int >= 0"),
        ({"memory_limit_mb": 10}, "memory_limit_mb must be an int >= 64"),
        ({"memory_limit_mb": 0}, "memory_limit_mb must be an int >= 64"),
        ({"memory_limit_mb": 512.0}, "memory_limit_mb must be an int >= 64"),
        ({"max_result_bytes": 100}, "max_result_bytes must be an int >= 1024"),
    ],
)
def test_invalid_settings(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ExecutorConfig(**settings)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        Executor(**settings)


def test_valid_settings() -> None:
    config = ExecutorConfig(
        max_workers=3, timeout=1, cache_size=0, memory_limit_mb=None, start_timeout=0.5, preload=["json"]
    )
    assert config.workers == 3
    assert config.preload == ("json",)  # a list becomes a tuple: the config stays hashable
    assert hash(config) == hash(dataclasses.replace(config))
    assert ExecutorConfig().workers == usable_cpus() >= 1


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ExecutorConfig().timeout = 3.0  # type: ignore[misc]


def test_executor_takes_config_or_settings_not_both() -> None:
    assert Executor(ExecutorConfig(timeout=3.0)).config.timeout == 3.0
    assert Executor(timeout=4.0).config.timeout == 4.0
    with pytest.raises(TypeError, match="not both"):
        Executor(ExecutorConfig(), timeout=1.0)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf")])
def test_map_rejects_bad_timeout(timeout: float) -> None:
    ex = Executor(max_workers=1)
    try:
        with pytest.raises(ValueError, match="timeout must be"):
            ex.map(add, [(1, 2)], timeout=timeout)
        assert ex.live_workers == 0
    finally:
        ex.close()


@pytest.mark.timeout(60)
def test_very_long_timeout_is_fine() -> None:
    with Executor(max_workers=1, timeout=10.0**9, start_timeout=20.0) as ex:
        assert ex.map(add, [(1, 2)])[0].value == 3
        assert ex.map(add, [(2, 2)], timeout=10.0**12)[0].value == 4
