"""What the Ray backend did for one executor or code sandbox: items per node, re-dispatches, nulls.

Counters only grow; the difference of two snapshots (``after - before``) is what happened in between,
which is how a reward reports one call (:meth:`RayStats.metrics`) and ``rlvr score`` one run
(:meth:`RayStats.describe`). Needs no Ray.

Example:
    >>> before = RayStats()
    >>> nodes = ("10.0.0.5/ab12cd34", "10.0.0.6/ef56ab78")
    >>> runs = ((nodes[0], 1), (nodes[1], 1))
    >>> after = RayStats(items=5, per_node=((nodes[0], 3), (nodes[1], 2)), node_runs=runs)
    >>> (after - before).describe()
    'on 2 Ray nodes (5 items judged there: 10.0.0.5/ab12cd34 3, 10.0.0.6/ef56ab78 2; 0 re-dispatched, 0 null)'
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class RayStats:
    """Counters of Ray work (see the module docstring).

    Attributes:
        items: items judged on the cluster (a chunk re-dispatched counts once).
        chunks: chunks that came back with results.
        per_node: ``(node label, items)`` pairs, by label.
        node_runs: ``(node label, runs)`` pairs: in how many runs (batches) the node had a ready actor.
        redispatched_items: items whose chunk was sent a second time (its actor or node was lost).
        null_items: items given ``None`` because the cluster failed them twice.
        actors_lost: actors given up on (died, froze, or passed a chunk deadline).
    """

    items: int = 0
    chunks: int = 0
    per_node: tuple[tuple[str, int], ...] = ()
    node_runs: tuple[tuple[str, int], ...] = ()
    redispatched_items: int = 0
    null_items: int = 0
    actors_lost: int = 0

    def __add__(self, other: RayStats) -> RayStats:
        return RayStats(
            items=self.items + other.items,
            chunks=self.chunks + other.chunks,
            per_node=_merge(self.per_node, other.per_node, 1),
            node_runs=_merge(self.node_runs, other.node_runs, 1),
            redispatched_items=self.redispatched_items + other.redispatched_items,
            null_items=self.null_items + other.null_items,
            actors_lost=self.actors_lost + other.actors_lost,
        )

    def __sub__(self, earlier: RayStats) -> RayStats:
        return RayStats(
            items=self.items - earlier.items,
            chunks=self.chunks - earlier.chunks,
            per_node=_merge(self.per_node, earlier.per_node, -1),
            node_runs=_merge(self.node_runs, earlier.node_runs, -1),
            redispatched_items=self.redispatched_items - earlier.redispatched_items,
            null_items=self.null_items - earlier.null_items,
            actors_lost=self.actors_lost - earlier.actors_lost,
        )

    @property
    def nodes(self) -> frozenset[str]:
        """Labels of the nodes that had a ready actor while this work ran."""
        return frozenset(label for label, runs in self.node_runs if runs > 0)

    @property
    def used(self) -> bool:
        """Whether any item went to the cluster."""
        return self.items > 0 or self.null_items > 0

    def metrics(self) -> dict[str, float]:
        """Trainer metrics (names relative to ``rewards/<reward>/ray/``).

        Example:
            >>> RayStats(items=3, per_node=(("n1", 3),), node_runs=(("n1", 1),)).metrics()["items/n1"]
            3.0
        """
        values = {
            "items": float(self.items),
            "nodes": float(len(self.nodes)),
            "redispatched": float(self.redispatched_items),
            "nulls": float(self.null_items),
            "actors_lost": float(self.actors_lost),
        }
        values.update({f"items/{label}": float(count) for label, count in self.per_node})
        return values

    def describe(self) -> str:
        """One phrase for a summary line: the nodes, the items per node, re-dispatches and nulls."""
        nodes = len(self.nodes)
        where = ", ".join(f"{label} {count}" for label, count in self.per_node) or "none"
        return (
            f"on {nodes} Ray node{'' if nodes == 1 else 's'} ({self.items} item"
            f"{'' if self.items == 1 else 's'} judged there: {where}; {self.redispatched_items} "
            f"re-dispatched, {self.null_items} null)"
        )


def _merge(
    first: tuple[tuple[str, int], ...], second: tuple[tuple[str, int], ...], sign: int
) -> tuple[tuple[str, int], ...]:
    counts = Counter(dict(first))
    for label, count in second:
        counts[label] += sign * count
    return tuple(sorted((label, count) for label, count in counts.items() if count > 0))
