"""Presolve: the problem the user has, not the one the manifests spell.

Manifests spell every node with cpu, memory and a pod count, and every pod with a request in
each; most of those numbers can never matter. Before the search, :func:`presolve` removes:

* pod groups that fit no node at all (they stay unplaced; for the ``nodes`` and ``cost``
  objectives the problem is infeasible, and the rest is still packed optimally);
* node types (without bound load) dominated by another type that is at least as large in every
  dimension, admits every group the first admits, sits in the same topology domains, costs no
  more and has a node for every pod that may go on either (so an optimal packing never needs
  the smaller type: its nodes' contents move to unused nodes of the larger one);
* allowed node types that name every type (``placement_input`` lists the eligible nodes of
  every group, all of them most often): no restriction, which the one-dimensional machinery
  (subset-sum fill, arc-flow) needs;
* dimensions that cannot bind: on no node type can the pods that may go there exhaust the
  dimension while the kept dimensions hold (the pod count of 110 per node, ample memory). The
  test bounds a node's load in the dimension by the pods' counts and per-node limits and by a
  fractional knapsack over each kept dimension, so it is sound; dimensions are dropped one at a
  time, each tested against the dimensions still kept, and the last one is always kept.

Eligibility is kept as it was (a group that a dropped dimension kept off a type keeps that type
out of its allowed types), and so is the bound load that makes a node count as used. Bounds are
then computed on the reduced problem; :meth:`Presolved.restore` maps the answer back to the
original numbering, and :func:`kmodel.placement.engine.solve.solve` checks it against the original.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

from kmodel.placement.engine.problem import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    PackingResult,
    Status,
    check_placement,
    nodes_and_cost,
)

__all__ = ["Presolved", "presolve"]


@dataclass(frozen=True)
class Presolved:
    """A reduced problem and how to map its answers back.

    Attributes:
        original: the problem as given.
        problem: the reduced problem (``original`` itself when nothing was removed).
        dropped_dimensions: names of the dimensions that cannot bind.
        dropped_types: names of the dominated node types.
        unplaceable: indexes (in ``original``) of the groups that fit no node.
        item_origin: item ``i`` of ``problem`` is item ``item_origin[i]`` of ``original``.
        node_origin: node ``b`` of ``problem`` is node ``node_origin[b]`` of ``original``.
    """

    original: PackingProblem
    problem: PackingProblem
    dropped_dimensions: tuple[str, ...] = ()
    dropped_types: tuple[str, ...] = ()
    unplaceable: tuple[int, ...] = ()
    item_origin: tuple[int, ...] = ()
    node_origin: tuple[int, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the reduced problem differs from the original."""
        return self.problem is not self.original

    def describe(self) -> str:
        """What presolve did, in words (for ``PackingResult.method``)."""
        parts = []
        if self.dropped_dimensions:
            parts.append(f"{', '.join(self.dropped_dimensions)} cannot bind (dropped)")
        if self.dropped_types:
            parts.append(f"{len(self.dropped_types)} dominated node type(s) dropped")
        if self.unplaceable:
            pods = sum(self.original.groups[g].count for g in self.unplaceable)
            parts.append(f"{pods} pod(s) fit no node")
        return "presolve: " + "; ".join(parts) if parts else ""

    def restore(self, result: PackingResult) -> PackingResult:
        """The reduced problem's ``result`` as a result of the original problem.

        The placement is renumbered and checked against the original problem (a violation is
        a bug, raised as ``RuntimeError``: never a wrong answer); pods of groups that fit no
        node are unplaced.

        Raises:
            RuntimeError: the mapped placement breaks a constraint of the original problem.
        """
        original = self.original
        placement = {
            self.item_origin[i]: self.node_origin[b] for i, b in sorted(result.placement.items())
        }
        violations = check_placement(original, placement)
        if violations:
            message = f"presolve: the reduced problem's packing is refused: {violations[0]}"
            raise RuntimeError(message)
        removed = tuple(
            i
            for g in self.unplaceable
            for i in range(original.first_item(g), original.first_item(g + 1))
        )
        unplaced = tuple(sorted((*(self.item_origin[i] for i in result.unplaced), *removed)))
        status, bound = result.status, result.lower_bound
        if removed and original.objective is Objective.PLACED:
            bound += len(removed)
        elif removed:
            status = Status.INFEASIBLE
        used, cost = nodes_and_cost(original, placement)
        has_packing = result.nodes_used is not None
        return replace(
            result,
            status=status,
            nodes_used=used if has_packing else None,
            cost=cost if has_packing else None,
            lower_bound=bound,
            optimal=result.optimal and status is Status.OPTIMAL,
            placement=placement,
            unplaced=unplaced,
            method="; ".join(p for p in (self.describe(), result.method) if p),
        )


def presolve(problem: PackingProblem) -> Presolved:
    """Reduce ``problem`` (see the module docstring); ``Presolved.problem`` is what to solve."""
    groups = list(enumerate(problem.groups))
    unplaceable = tuple(problem.unplaceable_groups())
    gone = set(unplaceable)
    kept_groups = [(g, grp) for g, grp in groups if grp.count and g not in gone]
    kept_types = [(t, typ) for t, typ in enumerate(problem.node_types) if typ.count]
    kept_types, dropped_types = _without_dominated(problem, kept_groups, kept_types)
    dims = _binding_dimensions(problem, [g for g, _ in kept_groups], [t for t, _ in kept_types])
    every_type = {typ.name for _, typ in kept_types}
    if (
        len(kept_groups) == len(groups)
        and len(kept_types) == len(problem.node_types)
        and len(dims) == len(problem.dimensions)
        and not any(_allows_every(grp, every_type) for _, grp in kept_groups)
    ):
        return Presolved(
            problem,
            problem,
            item_origin=tuple(range(problem.n_items)),
            node_origin=tuple(range(problem.n_nodes)),
        )
    type_names = {typ.name for _, typ in kept_types}
    new_groups = []
    for g, grp in kept_groups:
        allowed = grp.allowed_node_types
        if allowed is not None:
            allowed = frozenset(allowed & type_names)
        demand = tuple(grp.demand[d] for d in dims)
        before = {t for t, _ in kept_types if problem.eligible(g, t)}
        after = {
            t
            for t, typ in kept_types
            if (allowed is None or typ.name in allowed)
            and all(demand[k] <= typ.free[d] for k, d in enumerate(dims))
        }
        if after != before:  # a dropped dimension kept the group off some types: keep it so
            allowed = frozenset(problem.node_types[t].name for t in before)
        if allowed is not None and allowed >= type_names:
            allowed = None  # every type: no restriction (the one-dimensional machinery wants it)
        caps = tuple(
            replace(cap, domains=tuple(frozenset(d & type_names) for d in cap.domains))
            for cap in grp.domain_caps
        )
        new_groups.append(replace(grp, demand=demand, allowed_node_types=allowed, domain_caps=caps))
    new_types = [
        replace(
            typ,
            capacity=tuple(typ.capacity[d] for d in dims),
            load=None if typ.load is None else tuple(typ.load[d] for d in dims),
        )
        for _, typ in kept_types
    ]
    reduced = PackingProblem(
        dimensions=tuple(problem.dimensions[d] for d in dims),
        groups=tuple(new_groups),
        node_types=tuple(new_types),
        objective=problem.objective,
    )
    item_origin = tuple(
        i for g, _ in kept_groups for i in range(problem.first_item(g), problem.first_item(g + 1))
    )
    node_origin = tuple(
        b for t, _ in kept_types for b in range(problem.first_node(t), problem.first_node(t + 1))
    )
    return Presolved(
        original=problem,
        problem=reduced,
        dropped_dimensions=tuple(
            name for d, name in enumerate(problem.dimensions) if d not in dims
        ),
        dropped_types=dropped_types,
        unplaceable=unplaceable,
        item_origin=item_origin,
        node_origin=node_origin,
    )


def _allows_every(group: ItemGroup, type_names: set[str]) -> bool:
    """The group names every node type as allowed: the same as no restriction."""
    return group.allowed_node_types is not None and group.allowed_node_types >= type_names


def _domain_of(group: ItemGroup, type_name: str) -> tuple[int | None, ...]:
    """For each of the group's caps, the index of the domain holding the type (or None)."""
    return tuple(
        next((k for k, d in enumerate(cap.domains) if type_name in d), None)
        for cap in group.domain_caps
    )


def _dominates(
    problem: PackingProblem, groups: list[tuple[int, ItemGroup]], big: int, small: int
) -> bool:
    """Type ``big`` can take over every node of type ``small`` in an optimal packing."""
    a, b = problem.node_types[big], problem.node_types[small]
    if a.preloaded or b.preloaded or a.cost > b.cost:
        return False
    if any(x < y for x, y in zip(a.capacity, b.capacity, strict=True)):
        return False
    # Each used node holds a pod: the nodes used of both types are at most the pods that may
    # go on the larger one, and that many of its nodes leave one free for each smaller node.
    movable = 0
    for g, grp in groups:
        on_small, on_big = problem.eligible(g, small), problem.eligible(g, big)
        if on_small and not on_big:
            return False
        if on_small and _domain_of(grp, a.name) != _domain_of(grp, b.name):
            return False
        movable += grp.count if on_big else 0
    return a.count >= movable


def _without_dominated(
    problem: PackingProblem,
    groups: list[tuple[int, ItemGroup]],
    types: list[tuple[int, NodeType]],
) -> tuple[list[tuple[int, NodeType]], tuple[str, ...]]:
    kept = list(types)
    dropped: list[str] = []
    for t, typ in types:
        others = [u for u, _ in kept if u != t]
        if any(_dominates(problem, groups, u, t) for u in others):
            kept = [(u, other) for u, other in kept if u != t]
            dropped.append(typ.name)
    return kept, tuple(dropped)


def _binding_dimensions(problem: PackingProblem, groups: list[int], types: list[int]) -> list[int]:
    """The dimensions to keep: those that may bind on some type, and at least one."""
    dims = list(range(len(problem.dimensions)))
    # Most often redundant first: extended resources and the pod count, then memory, then cpu.
    for d in reversed(range(len(problem.dimensions))):
        if len(dims) == 1:
            break
        rest = [e for e in dims if e != d]
        if all(
            _max_load(problem, groups, t, d, rest) <= problem.node_types[t].free[d] for t in types
        ):
            if any(_loses_its_load(problem.node_types[t], rest) for t in types):
                continue  # a node with bound pods counts as used: keep what says so
            dims = rest
    return dims


def _loses_its_load(typ: NodeType, dims: list[int]) -> bool:
    return typ.load is not None and typ.preloaded and not any(typ.load[d] for d in dims)


def _max_load(
    problem: PackingProblem, groups: list[int], t: int, d: int, constraints: list[int]
) -> Fraction:
    """An upper bound on dimension ``d``'s load of one node of type ``t``.

    Over every node content the ``constraints`` dimensions allow: each group at most its count,
    its per-node limit and its domain caps (never the room in ``d`` itself), and for each
    constraint dimension the fractional knapsack's value (exact, in fractions).
    """
    typ = problem.node_types[t]
    free = typ.free
    items: list[tuple[tuple[int, ...], int]] = []
    for g in groups:
        grp = problem.groups[g]
        if not grp.demand[d] or not problem.eligible(g, t):
            continue
        most = grp.count if grp.max_per_node is None else min(grp.count, grp.max_per_node)
        for cap in grp.domain_caps:
            if any(typ.name in domain for domain in cap.domains):
                most = min(most, cap.limit)
        for e in constraints:
            if grp.demand[e]:
                most = min(most, free[e] // grp.demand[e])
        if most > 0:
            items.append((grp.demand, most))
    best = Fraction(sum(demand[d] * most for demand, most in items))
    for e in constraints:
        # Items free in ``e`` first, then by value per unit of ``e``; the last one in part.
        ordered = sorted(
            items, key=lambda it: Fraction(-it[0][d], it[0][e]) if it[0][e] else -math.inf
        )
        room, value = free[e], Fraction(0)
        for demand, most in ordered:
            if demand[e] * most <= room:
                value += demand[d] * most
                room -= demand[e] * most
            else:
                value += Fraction(room * demand[d], demand[e])
                break
        best = min(best, value)
    return best
