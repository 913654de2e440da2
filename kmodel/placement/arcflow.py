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

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ArcFlowGraph", "build_arcflow"]

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
    max_arcs: int = 200_000,
) -> ArcFlowGraph | None:
    """Build the compressed arc-flow graph, or ``None`` when it would exceed ``max_arcs``.

    Args:
        weights: one demand vector per item type, in the order types appear along a path
            (largest first gives the smallest graphs); each must fit ``capacity`` and be
            non-zero.
        demands: how many items of each type exist (a path never needs more copies).
        capacity: the bin capacity.
        max_arcs: give up beyond this many arcs before compression.
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
            if len(raw) > max_arcs:
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
