"""The code sandbox: untrusted programs run isolated and resource-capped; verdicts are decided outside.

Layers, each a module with one job:

- :mod:`~rlvr.sandbox.config`: :class:`SandboxConfig`, validated at construction;
- :mod:`~rlvr.sandbox.client`: :class:`Sandbox`, the scorer's side (runs in, raw results out);
- :mod:`~rlvr.sandbox.programs`: :func:`judge_programs`, programs against their cases;
- :mod:`~rlvr.sandbox.wire`: every message, typed; all framing is :mod:`rlvr.framing`;
- the fork server process: :mod:`~rlvr.sandbox.boot` (entry point), :mod:`~rlvr.sandbox.server` (event
  loop and scheduler), :mod:`~rlvr.sandbox.sample` (one sample's state machine),
  :mod:`~rlvr.sandbox.isolation` (one-time set-up), :mod:`~rlvr.sandbox.spawner`,
  :mod:`~rlvr.sandbox.cgroups`, :mod:`~rlvr.sandbox.rootfs`, :mod:`~rlvr.sandbox.linux`;
- inside a sample: :mod:`~rlvr.sandbox.child` (isolation, job hand-over), :mod:`~rlvr.sandbox.seccomp` (the
  filter), :mod:`~rlvr.sandbox.runner` (the program).

The pure parts — cases, plain values, verdict rules — are :mod:`rlvr.verifiers.code`.

Example:
    >>> from rlvr.sandbox import SandboxConfig
    >>> SandboxConfig(workers=1).seccomp
    True
"""

from __future__ import annotations

from rlvr.lazy import lazy_exports

# Names resolve on first use (PEP 562): the fork server imports only the modules it runs.
_EXPORTS = {
    "Job": "client",
    "Sandbox": "client",
    "SandboxUnavailableError": "client",
    "UNSAFE_WARNING": "client",
    "SandboxConfig": "config",
    "judge_programs": "programs",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


__all__ = ["UNSAFE_WARNING", "Job", "Sandbox", "SandboxConfig", "SandboxUnavailableError", "judge_programs"]
