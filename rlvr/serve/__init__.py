"""``rlvr serve``: any rlvr reward as an HTTP service (the ``[serve]`` extra, aiohttp).

Endpoints (:mod:`rlvr.serve.app`): ``GET /health``, ``POST /score`` (rlvr's items), ``POST /get_reward``
(OpenRLHF's format), ``GET /metrics`` (Prometheus). One reward, one executor and one sandbox serve every
request; request size, batch size and the queue are bounded; errors are JSON; a token can be required;
SIGTERM drains and stops every worker (:mod:`rlvr.serve.runner`). Listens on 127.0.0.1 by default.

Example:
    >>> from rlvr.serve import ServeConfig
    >>> ServeConfig(reward="math", port=0).port
    0
"""

from rlvr.serve.config import ServeConfig

__all__ = ["ServeConfig"]
