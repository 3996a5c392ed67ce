"""One real multi-node Ray cluster per test module (two raylets on this machine), always stopped."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from rlvr.executor.ray_local import LocalCluster, write_token


@pytest.fixture(scope="session")
def ray_token() -> Iterator[str]:
    """One authentication token for every cluster of the session (Ray reads it once per process)."""
    folder = tempfile.mkdtemp(prefix="rlvr-ray-token-")
    yield write_token(os.path.join(folder, "token"))
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(ray_token: str) -> Iterator[LocalCluster]:
    """A two-node cluster; this process is its driver. Every process it started is gone afterwards."""
    from .support import require_ray

    require_ray()
    from rlvr.executor import ray_fleet

    patch = pytest.MonkeyPatch()
    local = LocalCluster(nodes=2, token=ray_token)
    try:
        local.start()
        for key, value in local.client_env.items():
            patch.setenv(key, value)
        patch.delenv("RLVR_RAY_ADDRESS", raising=False)
        patch.delenv("RAY_ADDRESS", raising=False)
        yield local
    finally:
        try:
            ray_fleet.close_all()
        finally:
            local.stop()
            patch.undo()
    assert not local.processes(), "processes of the test cluster outlived it"
