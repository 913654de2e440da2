"""A greedy placer that respects every rule of the model, for witnesses and extensions.

The packer's heuristics do not know topology spread, so on clusters with ``DoNotSchedule``
constraints their packings fail the verifier. This placer puts pods one at a time, as
kube-scheduler would (a pod goes only where the Filter rules hold with the pods placed so far:
resources, anti-affinity per node and domain, host ports, and topology spread's
``count + 1 - min <= maxSkew`` of ``PodTopologySpread``'s Filter), choosing the least-loaded
spread domain and then the fullest node that fits. It proves nothing by itself: a witness is
what the placement verifier accepts.
"""

from __future__ import annotations

from collections.abc import Mapping

from kmodel.placement.manifests import HOSTNAME_KEY, PlacementInput
from kmodel.verify.model import port_conflicts

__all__ = ["greedy_placement"]


def greedy_placement(
    inp: PlacementInput,
    *,
    demand: Mapping[int, tuple[int, int]] | None = None,
    fixed: Mapping[tuple[int, str], int] | None = None,
) -> dict[str, str] | None:
    """Place ``demand``'s lower count of each group (default all pods), or None when stuck.

    Args:
        inp: the placement input.
        demand: group -> (at least, at most); the placer places the lower count.
        fixed: ``(group, node)`` -> pods already decided (placed first, counted against every
            rule; they count towards their group's demand).
    """
    dims = range(len(inp.dimensions))
    free = {n.name: [n.capacity[d] - n.load[d] for d in dims] for n in inp.nodes}
    capacity = {n.name: [max(1, c) for c in n.capacity] for n in inp.nodes}
    counts: dict[tuple[int, str], int] = {}
    conflicts: dict[int, set[int]] = {}
    for g, h in port_conflicts(inp):
        conflicts.setdefault(g, set()).add(h)
        conflicts.setdefault(h, set()).add(g)
    node_domain: list[list[dict[str, str]]] = [
        [{n: d for d, members in limit.domains.items() for n in members} for limit in group.limits]
        for group in inp.groups
    ]
    totals: list[list[dict[str, int]]] = [
        [{d: limit.existing.get(d, 0) for d in limit.domains} for limit in group.limits]
        for group in inp.groups
    ]
    # (group, limit) pairs that count a group's pods: placing one updates their totals.
    counted_by: dict[int, list[tuple[int, int]]] = {}
    for g, group in enumerate(inp.groups):
        for k, limit in enumerate(group.limits):
            for c in limit.counted_groups:
                counted_by.setdefault(c, []).append((g, k))

    def place(g: int, node: str) -> None:
        counts[g, node] = counts.get((g, node), 0) + 1
        for d in dims:
            free[node][d] -= inp.groups[g].demand[d]
        for owner, k in counted_by.get(g, ()):
            domain = node_domain[owner][k].get(node)
            if domain is not None:
                totals[owner][k][domain] += 1

    def allowed(g: int, node: str) -> tuple[bool, tuple[int, ...]]:
        group = inp.groups[g]
        if any(free[node][d] < group.demand[d] for d in dims):
            return False, ()
        if any(counts.get((h, node), 0) for h in conflicts.get(g, ())):
            return False, ()
        spread_rank: list[int] = []
        for k, limit in enumerate(group.limits):
            domain = node_domain[g][k].get(node)
            if limit.kind == "anti-affinity":
                if limit.topology_key == HOSTNAME_KEY:
                    if counts.get((g, node), 0) >= limit.limit:
                        return False, ()
                elif domain is not None:
                    here = sum(counts.get((g, n), 0) for n in limit.domains[domain])
                    if here >= limit.limit:
                        return False, ()
                continue
            if domain is None:
                return False, ()
            table = totals[g][k]
            low = min(table.values()) if len(table) >= limit.min_domains else 0
            if table[domain] + 1 - low > limit.limit:
                return False, ()
            spread_rank.append(table[domain])
        return True, tuple(spread_rank)

    for (g, node), count in sorted((fixed or {}).items()):
        for _ in range(count):
            place(g, node)
    order = sorted(
        range(len(inp.groups)),
        key=lambda g: (len(inp.groups[g].eligible), -sum(inp.groups[g].demand[:2]), g),
    )
    placement: dict[str, str] = {}
    taken = [0] * len(inp.groups)
    for (g, node), count in sorted((fixed or {}).items()):
        for pod in inp.groups[g].pods[taken[g] : taken[g] + count]:
            placement[pod] = node
        taken[g] += count
    for g in order:
        group = inp.groups[g]
        wanted = (demand or {}).get(g, (len(group.pods), len(group.pods)))[0]
        for pod in group.pods[taken[g] : max(taken[g], wanted)]:
            best: tuple[tuple[int, ...], float, str] | None = None
            for node in sorted(group.eligible):
                ok, rank = allowed(g, node)
                if not ok:
                    continue
                # Spread domains with the fewest pods first, then the fullest node (best fit).
                share = sum(free[node][d] / capacity[node][d] for d in dims)
                key = (rank, share, node)
                if best is None or key < best:
                    best = key
            if best is None:
                return None
            place(g, best[2])
            placement[pod] = best[2]
    return placement
