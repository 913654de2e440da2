"""Upper bounds: greedy packings (first-fit / best-fit decreasing) and seeded restarts.

The item order is cluster-autoscaler's: pods sorted by decreasing "share" of a reference node,
the sum over dimensions of demand / capacity (``cluster-autoscaler/estimator/
decreasing_pod_orderer.go``, which sums the cpu and memory shares; kmodel sums every dimension
of the problem). Nodes are opened lazily in a fixed order; nodes that already carry bound load
are open from the start. Restarts perturb the item order with a seeded
:class:`random.Random`, so the same seed always gives the same packings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from kmodel.errors import InputError
from kmodel.placement.engine.problem import Objective, PackingProblem, nodes_and_cost

__all__ = [
    "FitRule",
    "Packing",
    "best_heuristic",
    "greedy_pack",
    "item_order",
    "node_order",
    "subset_sum_fill",
]


class FitRule(StrEnum):
    """Where a greedy packer puts an item among the open nodes that can take it."""

    #: The first open node (FFD).
    FIRST = "first"
    #: The open node left with the least free share afterwards (BFD).
    BEST = "best"


@dataclass(frozen=True)
class Packing:
    """A heuristic packing.

    Attributes:
        placement: item index -> node index.
        unplaced: items no node could take.
        nodes_used: nodes in use (with bound load included).
        cost: total cost of the nodes in use.
        name: the heuristic that produced it (``ffd``, ``bfd``, ``ffd-r3``...).
    """

    placement: dict[int, int]
    unplaced: tuple[int, ...]
    nodes_used: int
    cost: int
    name: str

    def key(self, objective: Objective) -> tuple[int, ...]:
        """Sort key: smaller is better for ``objective`` (unplaced pods always come first)."""
        if objective is Objective.COST:
            return (len(self.unplaced), self.cost, self.nodes_used)
        return (len(self.unplaced), self.nodes_used, self.cost)


def _reference_capacity(problem: PackingProblem) -> list[int]:
    ref = [0] * len(problem.dimensions)
    for t in problem.node_types:
        if t.count:
            ref = [max(r, c) for r, c in zip(ref, t.capacity, strict=True)]
    return [r if r > 0 else 1 for r in ref]


def item_order(
    problem: PackingProblem, *, rng: random.Random | None = None, noise: float = 0.0
) -> list[int]:
    """Items in cluster-autoscaler order: decreasing share of the largest node, ties by index.

    Under :attr:`Objective.PLACED` higher priorities come first. With ``rng`` each group's share
    is multiplied by a factor drawn uniformly from ``[1 - noise, 1 + noise]``.
    """
    ref = _reference_capacity(problem)
    keys: list[float] = []
    for grp in problem.groups:
        share = sum(w / r for w, r in zip(grp.demand, ref, strict=True))
        if rng is not None and noise > 0:
            share *= 1.0 + rng.uniform(-noise, noise)
        keys.append(share)
    items = range(problem.n_items)
    if problem.objective is Objective.PLACED:
        return sorted(
            items,
            key=lambda i: (
                -problem.groups[problem.group_of(i)].priority,
                -keys[problem.group_of(i)],
                i,
            ),
        )
    return sorted(items, key=lambda i: (-keys[problem.group_of(i)], i))


def node_order(problem: PackingProblem, *, rng: random.Random | None = None) -> list[int]:
    """Nodes in the order a greedy packer opens them.

    Preloaded nodes first (they are in use anyway); then, for the COST objective, the types
    with the lowest cost per unit of share, otherwise the largest types first; with ``rng``
    the type order is shuffled instead (preloaded nodes still first).
    """
    ref = _reference_capacity(problem)
    sizes = [sum(c / r for c, r in zip(t.free, ref, strict=True)) for t in problem.node_types]
    types = list(range(len(problem.node_types)))
    if rng is not None:
        rng.shuffle(types)
    elif problem.objective is Objective.COST:
        types.sort(key=lambda t: (problem.node_types[t].cost / max(sizes[t], 1e-12), t))
    else:
        types.sort(key=lambda t: (-sizes[t], problem.node_types[t].cost, t))
    types.sort(key=lambda t: not problem.node_types[t].preloaded)  # stable: preloaded first
    order: list[int] = []
    for t in types:
        first = problem.first_node(t)
        order.extend(range(first, first + problem.node_types[t].count))
    return order


def greedy_pack(
    problem: PackingProblem,
    *,
    items: Sequence[int] | None = None,
    nodes: Sequence[int] | None = None,
    rule: FitRule = FitRule.FIRST,
    name: str = "",
) -> Packing:
    """Pack items greedily, in order, onto nodes opened lazily in order.

    Args:
        problem: the problem.
        items: the item order (default :func:`item_order`); every item exactly once.
        nodes: the node opening order (default :func:`node_order`); every node exactly once.
        rule: first fit or best fit among the open nodes.
        name: the name recorded in the result.

    Returns:
        The packing; items that fit no node are listed as unplaced.

    Raises:
        InputError: ``items`` or ``nodes`` is not a permutation.
    """
    items = item_order(problem) if items is None else list(items)
    nodes = node_order(problem) if nodes is None else list(nodes)
    if sorted(items) != list(range(problem.n_items)):
        raise InputError("must list every item exactly once", path="items")
    if sorted(nodes) != list(range(problem.n_nodes)):
        raise InputError("must list every node exactly once", path="nodes")
    if len(nodes) >= VECTORISED_NODES and not any(
        grp.max_per_node is not None or grp.domain_caps for grp in problem.groups
    ):
        return _greedy_pack_vectorised(problem, items, nodes, rule, name)
    dims = len(problem.dimensions)
    ref = _reference_capacity(problem)
    free: dict[int, list[int]] = {
        b: list(problem.node_types[problem.type_of(b)].free) for b in nodes
    }
    count_on: dict[tuple[int, int], int] = {}
    open_nodes = [b for b in nodes if problem.node_types[problem.type_of(b)].preloaded]
    closed = [b for b in nodes if not problem.node_types[problem.type_of(b)].preloaded]
    eligible = [
        [problem.eligible(g, t) for t in range(len(problem.node_types))]
        for g in range(len(problem.groups))
    ]
    # Per-domain caps: the (cap, domain) keys each group meets on each node type.
    domain_keys = [
        [
            [
                (c, k)
                for c, cap in enumerate(grp.domain_caps)
                for k, domain in enumerate(cap.domains)
                if typ.name in domain
            ]
            for typ in problem.node_types
        ]
        for grp in problem.groups
    ]
    in_domain: dict[tuple[int, int, int], int] = {}
    placement: dict[int, int] = {}
    unplaced: list[int] = []

    type_of = {b: problem.type_of(b) for b in nodes}
    demands = [grp.demand for grp in problem.groups]
    # Capacity is the only constraint on most problems: then a fit test is a comparison per
    # dimension (the restarts run it millions of times).
    capacity_only = all(
        grp.max_per_node is None and not grp.domain_caps and all(row)
        for grp, row in zip(problem.groups, eligible, strict=True)
    )

    def fits(g: int, b: int) -> bool:
        fb = free[b]
        demand = demands[g]
        for d in range(dims):
            if demand[d] > fb[d]:
                return False
        if capacity_only:
            return True
        t = type_of[b]
        if not eligible[g][t]:
            return False
        cap = problem.groups[g].max_per_node
        if cap is not None and count_on.get((g, b), 0) >= cap:
            return False
        caps = problem.groups[g].domain_caps
        return all(in_domain.get((g, c, k), 0) < caps[c].limit for c, k in domain_keys[g][t])

    for i in items:
        g = problem.group_of(i)
        demand = problem.groups[g].demand
        chosen = -1
        if rule is FitRule.FIRST:
            chosen = next((b for b in open_nodes if fits(g, b)), -1)
        else:
            best = None
            for b in open_nodes:
                if fits(g, b):
                    slack = sum((free[b][d] - demand[d]) / ref[d] for d in range(dims))
                    if best is None or slack < best:
                        best, chosen = slack, b
        if chosen < 0:
            pos = next((k for k, b in enumerate(closed) if fits(g, b)), -1)
            if pos < 0:
                unplaced.append(i)
                continue
            chosen = closed.pop(pos)
            open_nodes.append(chosen)
        fb = free[chosen]
        for d in range(dims):
            fb[d] -= demand[d]
        count_on[g, chosen] = count_on.get((g, chosen), 0) + 1
        for c, k in domain_keys[g][problem.type_of(chosen)]:
            in_domain[g, c, k] = in_domain.get((g, c, k), 0) + 1
        placement[i] = chosen
    used, cost = nodes_and_cost(problem, placement)
    return Packing(placement, tuple(sorted(unplaced)), used, cost, name or f"{rule}-fit")


#: From this many nodes on, :func:`greedy_pack` tests a pod against every open node at once
#: (numpy) when only capacity and eligibility constrain it; below it, the loop is quicker
#: (benchmarks/README.md).
VECTORISED_NODES = 64


def _greedy_pack_vectorised(
    problem: PackingProblem,
    items: Sequence[int],
    nodes: Sequence[int],
    rule: FitRule,
    name: str,
) -> Packing:
    """:func:`greedy_pack` without per-node or per-domain limits, one numpy test per pod.

    The same packing as the loop: open nodes in opening order, first fit the first that fits,
    best fit the least slack (summed dimension by dimension in the same order, so the same
    floating-point value) with ties to the earliest opened; else the first closed node that
    fits opens.
    """
    dims = len(problem.dimensions)
    ref = _reference_capacity(problem)
    node_type = np.array([problem.type_of(b) for b in nodes])
    free = np.array([problem.node_types[t].free for t in node_type], dtype=np.int64)
    free = free.reshape(len(nodes), dims)
    eligible = np.array(
        [
            [problem.eligible(g, t) for t in range(len(problem.node_types))]
            for g in range(len(problem.groups))
        ],
        dtype=bool,
    ).reshape(len(problem.groups), len(problem.node_types))
    # Positions in ``nodes``: the open ones in opening order, the closed ones in their order.
    preloaded = np.array([problem.node_types[t].preloaded for t in node_type], dtype=bool)
    opened: list[int] = [int(k) for k in np.flatnonzero(preloaded)]
    closed = np.flatnonzero(~preloaded)
    still_closed = np.ones(len(closed), dtype=bool)
    placement: dict[int, int] = {}
    unplaced: list[int] = []
    for i in items:
        g = problem.group_of(i)
        demand = np.array(problem.groups[g].demand, dtype=np.int64)
        fits_type = eligible[g]
        chosen = -1
        if opened:
            at = np.array(opened)
            fits = (free[at] >= demand).all(axis=1) & fits_type[node_type[at]]
            if fits.any():
                if rule is FitRule.FIRST:
                    chosen = int(at[int(np.argmax(fits))])
                else:
                    rest = free[at] - demand
                    slack = 0 + rest[:, 0] / ref[0]
                    for d in range(1, dims):
                        slack = slack + rest[:, d] / ref[d]
                    chosen = int(at[int(np.argmin(np.where(fits, slack, np.inf)))])
        if chosen < 0:
            fits = (
                still_closed & (free[closed] >= demand).all(axis=1) & fits_type[node_type[closed]]
            )
            if not fits.any():
                unplaced.append(i)
                continue
            k = int(np.argmax(fits))
            still_closed[k] = False
            chosen = int(closed[k])
            opened.append(chosen)
        free[chosen] -= demand
        placement[i] = nodes[chosen]
    used, cost = nodes_and_cost(problem, placement)
    return Packing(placement, tuple(sorted(unplaced)), used, cost, name or f"{rule}-fit")


def subset_sum_fill(problem: PackingProblem, *, name: str = "fill") -> Packing | None:
    """Bin by bin: the largest item left, then the subset of the rest that fills the bin most.

    A one-dimensional bin-oriented heuristic in the spirit of Gupta and Ho's minimum bin
    slack (1999): perfect-fit instances (triplets, cut bins) that defeat FFD are packed
    exactly. The subset sum is a bitset over Python integers, ``O(n C / 64)`` per bin.
    Returns ``None`` unless the problem has one node type without load, no eligibility or
    anti-affinity, and a single dimension with non-zero demands.
    """
    types = [t for t in problem.node_types if t.count]
    if len(types) != 1 or types[0].preloaded:
        return None
    if any(
        g.allowed_node_types is not None
        or (g.max_per_node is not None and g.max_per_node < g.count)
        or g.domain_caps
        for g in problem.groups
    ):
        return None
    active = [d for d in range(len(problem.dimensions)) if any(g.demand[d] for g in problem.groups)]
    if len(active) > 1:
        return None
    dim = active[0] if active else 0
    capacity = types[0].capacity[dim]
    first = problem.first_node(problem.node_types.index(types[0]))
    weight = [problem.groups[problem.group_of(i)].demand[dim] for i in range(problem.n_items)]
    too_big = [i for i in range(problem.n_items) if weight[i] > capacity]
    left = sorted(
        (i for i in range(problem.n_items) if weight[i] <= capacity), key=lambda i: (-weight[i], i)
    )
    placement: dict[int, int] = {}
    node = 0
    mask = (1 << (capacity + 1)) - 1
    while left and node < types[0].count:
        head, rest = left[0], left[1:]
        room = capacity - weight[head]
        # reach[k]: the sums reachable with rest[:k]; kept to walk the choice back.
        reach = [1]
        for i in rest:
            reach.append((reach[-1] | (reach[-1] << weight[i])) & mask)
        target = (reach[-1] & ((1 << (room + 1)) - 1)).bit_length() - 1
        chosen = [head]
        for k in range(len(rest), 0, -1):
            if not (reach[k - 1] >> target) & 1:
                chosen.append(rest[k - 1])
                target -= weight[rest[k - 1]]
        for i in chosen:
            placement[i] = first + node
        picked = set(chosen)
        left = [i for i in left if i not in picked]
        node += 1
    used, cost = nodes_and_cost(problem, placement)
    return Packing(placement, tuple(sorted(left + too_big)), used, cost, name)


def _constrained_first(problem: PackingProblem, items: list[int]) -> list[int]:
    """The same order with anti-affinity groups first: they need many distinct nodes."""
    return sorted(
        items,
        key=lambda i: (
            problem.groups[problem.group_of(i)].max_per_node is None
            and not problem.groups[problem.group_of(i)].domain_caps
        ),
    )


def best_heuristic(
    problem: PackingProblem, *, restarts: int = 8, seed: int = 0, deadline: float | None = None
) -> list[Packing]:
    """Run FFD, BFD and ``restarts`` seeded perturbed variants of each.

    Args:
        problem: the problem.
        restarts: perturbed runs after the deterministic ones.
        seed: seed of the perturbations.
        deadline: ``time.perf_counter()`` value after which no further restart starts (the
            deterministic runs always run: the solver needs their packing).

    Returns:
        Every packing, best first for the problem's objective (ties keep the run order, so
        FFD wins a tie), so ``[0]`` is the upper bound and the FFD packing is named ``ffd``.
    """
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 0:
        raise InputError(f"expected a non-negative integer, got {restarts!r}", path="restarts")
    runs = [
        greedy_pack(problem, rule=FitRule.FIRST, name="ffd"),
        greedy_pack(problem, rule=FitRule.BEST, name="bfd"),
    ]
    if any(g.max_per_node is not None or g.domain_caps for g in problem.groups):
        spread = _constrained_first(problem, item_order(problem))
        runs.append(greedy_pack(problem, items=spread, rule=FitRule.FIRST, name="ffd-anti-first"))
        runs.append(greedy_pack(problem, items=spread, rule=FitRule.BEST, name="bfd-anti-first"))
    fill = subset_sum_fill(problem)
    if fill is not None:
        runs.append(fill)
    rng = random.Random(seed)  # noqa: S311 - seeded restarts, not security
    heterogeneous = len(problem.node_types) > 1
    for r in range(restarts):
        if deadline is not None and time.perf_counter() > deadline:
            break
        noise = 0.1 + 0.3 * (r % 3)
        items = item_order(problem, rng=rng, noise=noise)
        nodes = node_order(problem, rng=rng if heterogeneous and r % 2 else None)
        rule = FitRule.BEST if r % 2 else FitRule.FIRST
        runs.append(
            greedy_pack(problem, items=items, nodes=nodes, rule=rule, name=f"{rule.value}-r{r}")
        )
    return sorted(runs, key=lambda p: p.key(problem.objective))
