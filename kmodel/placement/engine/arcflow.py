"""Arc-flow graphs for (vector) bin packing with identical bins, and their compression.

Valério de Carvalho's arc-flow model (Ann. OR 1999), generalised to vectors as in Brandão and
Pedroso (C&OR 2016): a path from the source to the sink is the content of one bin; an arc
``u -> v`` of item type ``t`` puts one item of type ``t`` in the bin. Item types are taken in a
fixed order along every path, which removes most symmetric paths. Nodes are positions (the load
reached so far). The graph is then compressed: every node is relabelled with the largest
position from which all its continuations still fit (``label(u) = min over arcs u -> v of
label(v) - w``, the sink labelled with the capacity); nodes with equal labels merge. Every path
of the compressed graph still fits a bin (labels stay within ``[0, C]`` and every arc advances
by at least its weight), and every bin of the original graph is still a path, so the flow model
on the compressed graph is exact and much smaller.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kmodel.placement.engine.isolated import milp_until
from kmodel.placement.engine.problem import (
    Objective,
    PackingProblem,
    check_placement,
    objective_of,
)
from kmodel.placement.engine.schedule import SCHEDULE, Clock

__all__ = [
    "MAX_HIGHS_ARCS",
    "ArcFlowGraph",
    "ArcFlowSolution",
    "arcflow_applies",
    "arcflow_milp",
    "arcflow_search",
    "build_arcflow",
]

Position = tuple[int, ...]


@dataclass(frozen=True)
class ArcFlowGraph:
    """A compressed arc-flow graph.

    Attributes:
        source: the source node's label.
        sink: the sink node's label (the capacity).
        arcs: ``(tail, head, item_type)`` triples; ``item_type`` is ``-1`` for loss arcs.
        nodes: every label, sorted so that every arc goes forward.
    """

    source: Position
    sink: Position
    arcs: tuple[tuple[Position, Position, int], ...]
    nodes: tuple[Position, ...]


def _add(p: Position, w: Position) -> Position:
    return tuple(a + b for a, b in zip(p, w, strict=True))


def build_arcflow(
    weights: Sequence[Position],
    demands: Sequence[int],
    capacity: Position,
    *,
    max_arcs: int = 200_000,
    deadline: float | None = None,
) -> ArcFlowGraph | None:
    """Build the compressed arc-flow graph, or ``None`` when it would exceed ``max_arcs``.

    Args:
        weights: one demand vector per item type, in the order types appear along a path
            (largest first gives the smallest graphs); each must fit ``capacity`` and be
            non-zero.
        demands: how many items of each type exist (a path never needs more copies).
        capacity: the bin capacity.
        max_arcs: give up beyond this many arcs before compression.
        deadline: ``time.perf_counter()`` value at which to give up (``None``: no limit);
            large graphs take seconds in Python.
    """
    zero: Position = tuple(0 for _ in capacity)
    reachable: set[Position] = {zero}
    raw: set[tuple[Position, Position, int]] = set()
    for t, (w, demand) in enumerate(zip(weights, demands, strict=True)):
        frontier = set(reachable)
        added: set[Position] = set()
        for _ in range(demand):
            nxt: set[Position] = set()
            for p in frontier:
                q = _add(p, w)
                if all(a <= c for a, c in zip(q, capacity, strict=True)):
                    raw.add((p, q, t))
                    nxt.add(q)
            if len(raw) > max_arcs or (deadline is not None and time.perf_counter() > deadline):
                return None
            nxt -= added
            if not nxt:
                break
            added |= nxt
            frontier = nxt
        reachable |= added
    out_arcs: dict[Position, list[tuple[Position, int]]] = {}
    for p, q, t in raw:
        out_arcs.setdefault(p, []).append((q, t))
    # Every arc increases the total load strictly (weights are non-zero), so decreasing sums
    # is a reverse topological order.
    order = sorted(reachable, key=lambda p: (-sum(p), p))
    label: dict[Position, Position] = {}
    for p in order:
        lab = list(capacity)
        for q, t in out_arcs.get(p, ()):
            lq = label[q]
            w = weights[t]
            for d in range(len(lab)):
                lab[d] = min(lab[d], lq[d] - w[d])
        label[p] = tuple(lab)
    arcs: set[tuple[Position, Position, int]] = {(label[p], label[q], t) for p, q, t in raw}
    sink = tuple(capacity)
    labels = set(label.values())
    arcs.update((lab, sink, -1) for lab in labels if lab != sink)
    labels.add(sink)
    nodes = tuple(sorted(labels, key=lambda p: (sum(p), p)))
    return ArcFlowGraph(source=label[zero], sink=sink, arcs=tuple(sorted(arcs)), nodes=nodes)


@dataclass(frozen=True)
class ArcFlowSolution:
    """Outcome of :func:`arcflow_milp`.

    Attributes:
        flows: integer flow per arc of the graph (``None`` when no solution was found).
        value: bins used by ``flows`` (``None`` without a solution).
        lower_bound: the bound HiGHS proved (at least the ``lower_bound`` it was given).
        optimal: HiGHS proved ``value`` optimal.
    """

    flows: tuple[int, ...] | None
    value: int | None
    lower_bound: int
    optimal: bool


def arcflow_milp(
    graph: ArcFlowGraph,
    demands: Sequence[int],
    *,
    time_limit: float,
    lower_bound: int = 0,
    cutoff: int | None = None,
    integral: bool = True,
) -> ArcFlowSolution:
    """Solve the arc-flow model as an integer program with HiGHS (``scipy.optimize.milp``).

    Minimise the flow ``z`` leaving the source subject to flow conservation and, per item
    type, at least ``demands[t]`` units of flow on its arcs; the linear relaxation is the
    Gilmore-Gomory bound, and HiGHS's branch and bound closes the gap on instances without the
    integer round-up property.

    Args:
        graph: the compressed graph.
        demands: items per type.
        time_limit: seconds for HiGHS.
        lower_bound: a bound already proven (HiGHS stops once a solution meets it).
        cutoff: only solutions with at most this many bins are wanted.
        integral: False solves the linear relaxation only (``flows`` is then ``None`` and
            ``lower_bound`` the rounded-up LP value).
    """
    import numpy as np  # noqa: PLC0415 - keep the graph module importable without numpy
    from scipy.optimize import Bounds  # noqa: PLC0415

    n_arcs = len(graph.arcs)
    z = n_arcs  # the return arc sink -> source carries z
    constraints = _flow_constraints(graph, demands)
    upper = np.full(n_arcs + 1, np.inf)
    if cutoff is not None:
        upper[z] = float(cutoff)
    lower = np.zeros(n_arcs + 1)
    lower[z] = float(lower_bound)
    c = np.zeros(n_arcs + 1)
    c[z] = 1.0
    if time_limit <= 0 or (cutoff is not None and cutoff < lower_bound):
        return ArcFlowSolution(None, None, lower_bound, optimal=False)
    # In a child process: HiGHS overruns its time limit at the root of large arc-flow models.
    res = milp_until(
        time.perf_counter() + time_limit,
        c=c,
        constraints=constraints,
        integrality=np.ones(n_arcs + 1) if integral else np.zeros(n_arcs + 1),
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 0.5 / (lower_bound + 2)},
    )
    proven = lower_bound
    bound = getattr(res, "mip_dual_bound", None)
    if bound is not None and np.isfinite(bound):
        proven = max(proven, math.ceil(bound - 1e-6))
    if res.status == 2 and cutoff is not None:  # infeasible: more than cutoff bins are needed
        proven = max(proven, cutoff + 1)
    if not integral and res.status == 0 and res.fun is not None:
        proven = max(proven, math.ceil(res.fun - 1e-6))
    if res.x is None or not integral:
        return ArcFlowSolution(None, None, proven, optimal=False)
    flows = tuple(round(v) for v in res.x[:n_arcs])
    value = round(res.x[z])
    return ArcFlowSolution(flows, value, min(proven, value), optimal=proven >= value)


def _flow_constraints(graph: ArcFlowGraph, demands: Sequence[int]) -> list[Any]:
    """Flow conservation at every node (the return arc carries ``z``), and each type's demand."""
    import numpy as np  # noqa: PLC0415 - keep the graph module importable without numpy
    from scipy import sparse  # noqa: PLC0415
    from scipy.optimize import LinearConstraint  # noqa: PLC0415

    index = {node: k for k, node in enumerate(graph.nodes)}
    n_arcs = len(graph.arcs)
    z = n_arcs  # the return arc sink -> source carries z
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    type_rows: list[int] = []
    type_cols: list[int] = []
    for k, (tail, head, t) in enumerate(graph.arcs):
        rows += [index[tail], index[head]]
        cols += [k, k]
        vals += [1.0, -1.0]
        if t >= 0:
            type_rows.append(t)
            type_cols.append(k)
    rows += [index[graph.source], index[graph.sink]]
    cols += [z, z]
    vals += [-1.0, 1.0]
    balance = sparse.csr_array((vals, (rows, cols)), shape=(len(graph.nodes), n_arcs + 1))
    cover = sparse.csr_array(
        ([1.0] * len(type_cols), (type_rows, type_cols)), shape=(len(demands), n_arcs + 1)
    )
    return [
        LinearConstraint(balance, 0.0, 0.0),
        LinearConstraint(cover, np.asarray(demands, dtype=float), np.inf),
    ]


# ---------------------------------------------------------------------------- steps of the solve


#: The largest arc-flow graph handed to HiGHS (beyond it the LP alone takes seconds).
MAX_HIGHS_ARCS = 20_000


def arcflow_search(
    problem: PackingProblem, *, lb: int, ub: int | None, clock: Clock
) -> tuple[int, tuple[int, dict[int, int]] | None]:
    """The arc-flow integer program (HiGHS) between the bounds: (bound, (value, placement))."""
    weights, demands, group_type = arc_types(problem)
    cap = next(t for t in problem.node_types if t.count).capacity
    graph = build_arcflow(
        weights,
        demands,
        cap,
        max_arcs=MAX_HIGHS_ARCS,
        deadline=clock.deadline(SCHEDULE.arcflow_graph),
    )
    # HiGHS's presolve is not interrupted by its time limit: the share keeps it a margin.
    left = clock.seconds(SCHEDULE.arcflow_milp)
    if graph is None or left <= 0:
        return lb, None
    cutoff = problem.n_nodes if ub is None else ub - 1
    solution = arcflow_milp(graph, demands, time_limit=left, lower_bound=lb, cutoff=cutoff)
    lb = max(lb, solution.lower_bound)
    if solution.flows is None:
        return lb, None
    placement = _decode(problem, graph, solution.flows, group_type)
    if check_placement(problem, placement) or len(placement) != problem.n_items:
        return lb, None  # pragma: no cover - a bug, never a packing
    return lb, (objective_of(problem, placement), placement)


def arcflow_applies(problem: PackingProblem) -> bool:
    """Identical nodes, none preloaded, NODES, and no rule the arc-flow model cannot express."""
    types = [t for t in problem.node_types if t.count]
    if len(types) != 1 or types[0].preloaded or problem.objective is not Objective.NODES:
        return False
    return all(
        g.allowed_node_types is None
        and not g.domain_caps
        and (g.max_per_node is None or g.max_per_node >= g.count)
        for g in problem.groups
    )


def arc_types(problem: PackingProblem) -> tuple[list[tuple[int, ...]], list[int], list[int]]:
    """Distinct non-zero demand vectors (largest first), their counts, and each group's type."""
    cap = next(t for t in problem.node_types if t.count).capacity
    demand_count: dict[tuple[int, ...], int] = {}
    for g in problem.groups:
        if any(g.demand) and g.count:
            demand_count[g.demand] = demand_count.get(g.demand, 0) + g.count
    weights = sorted(
        demand_count,
        key=lambda w: (-sum(x / c if c else 0 for x, c in zip(w, cap, strict=True)), w),
    )
    index = {w: k for k, w in enumerate(weights)}
    group_type = [index.get(g.demand, -1) for g in problem.groups]
    return weights, [demand_count[w] for w in weights], group_type


def _decode(
    problem: PackingProblem,
    graph: ArcFlowGraph,
    flow_values: Sequence[int],
    group_type: Sequence[int],
) -> dict[int, int]:
    remaining = list(flow_values)
    out: dict[tuple[int, ...], list[int]] = {}
    for k, (tail, _, _) in enumerate(graph.arcs):
        out.setdefault(tail, []).append(k)
    # Items waiting for a place, per arc type (zero-demand pods go to the first bin).
    waiting: dict[int, list[int]] = {}
    zero_items: list[int] = []
    for i in range(problem.n_items):
        t = group_type[problem.group_of(i)]
        (zero_items if t < 0 else waiting.setdefault(t, [])).append(i)
    for items in waiting.values():
        items.reverse()  # pop() hands out the lowest index first
    node_base = problem.first_node(next(t for t, typ in enumerate(problem.node_types) if typ.count))
    placement: dict[int, int] = {}
    bin_index = 0
    while True:
        start = next((k for k in out.get(graph.source, ()) if remaining[k] > 0), None)
        if start is None:
            break
        position = graph.source
        content: list[int] = []
        while position != graph.sink:
            k = next(k for k in out[position] if remaining[k] > 0)
            remaining[k] -= 1
            _, position, t = graph.arcs[k]
            if t >= 0 and waiting.get(t):
                content.append(waiting[t].pop())
        if content:
            for i in content:
                placement[i] = node_base + bin_index
            bin_index += 1
    for i in zero_items:
        placement[i] = node_base
    return placement
