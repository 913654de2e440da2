"""The compact (assignment) integer model, solved by HiGHS as a feasibility problem.

``x[g, s]``: pods of group ``g`` on node slot ``s``; ``u[s]``: slot ``s`` is used. Slots are
the first nodes of each type (identical nodes are interchangeable, so the first ``n`` stand for
any ``n``). Constraints: every group placed exactly, capacity per slot and dimension (only on a
used slot), anti-affinity (``x <= max_per_node * u``), per-domain caps, and the objective as a
budget ``sum cost(s) u[s] <= target``; identical slots are used in order (symmetry).

By default there is no objective: HiGHS stops at the first packing within the budget (with
``optimize`` it minimises the objective within the budget instead). The column generation bound
tells which ``target`` to ask for (its rounded-up LP value) and how many nodes of each type the
relaxation uses, so a few slots per type suffice: on the Kubernetes-shaped benchmark (40 replica
groups, 2,000 pods, four node types) this model finds a packing at the bound in 1-2 s, which
proves it optimal, where the pattern MILP over the generated columns finds none.

When every node that could be used has a slot (:attr:`CompactSolution.exhaustive`), HiGHS's
"infeasible" is a proof that no packing meets the budget.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from kmodel.errors import InputError
from kmodel.placement.isolated import milp_until
from kmodel.placement.patterns import fixed_value
from kmodel.placement.problem import Objective, PackingProblem

__all__ = ["CompactSolution", "compact_feasible", "compact_size"]


@dataclass(frozen=True)
class CompactSolution:
    """Outcome of :func:`compact_feasible`.

    Attributes:
        placement: item -> node, within the budget (``None``: none found).
        infeasible: HiGHS proved that no packing on the given slots meets the budget.
        exhaustive: the slots cover every node that a packing within the budget could use, so
            ``infeasible`` proves that no packing at all meets it.
        bound: with ``optimize``, HiGHS's proven lower bound on the objective over the slots
            (fixed value included); a bound on every packing when ``exhaustive``.
    """

    placement: dict[int, int] | None
    infeasible: bool
    exhaustive: bool
    bound: int | None = None


def _slot_cost(problem: PackingProblem, node_type: int) -> int:
    typ = problem.node_types[node_type]
    if typ.preloaded:
        return 0  # in use whatever the packing: part of the fixed value
    return typ.cost if problem.objective is Objective.COST else 1


def _slots(
    problem: PackingProblem, target: int, slots_per_type: Mapping[int, int]
) -> tuple[list[int], bool]:
    """Slot node indices and whether they cover every node usable within the budget."""
    budget = target - fixed_value(problem)
    nodes: list[int] = []
    exhaustive = True
    for t, typ in enumerate(problem.node_types):
        cost = _slot_cost(problem, t)
        # The most nodes of the type a packing within the budget can use.
        most = typ.count if typ.preloaded or cost == 0 else min(typ.count, max(0, budget) // cost)
        most = min(most, problem.n_items) if not typ.preloaded else most
        keep = min(most, max(0, slots_per_type.get(t, 0))) if not typ.preloaded else most
        exhaustive &= keep >= most
        first = problem.first_node(t)
        nodes.extend(range(first, first + keep))
    return nodes, exhaustive


def _limit(problem: PackingProblem, group: int, node_type: int) -> int:
    grp = problem.groups[group]
    typ = problem.node_types[node_type]
    if not grp.count or not problem.eligible(group, node_type):
        return 0
    limit = grp.count if grp.max_per_node is None else min(grp.count, grp.max_per_node)
    for w, c in zip(grp.demand, typ.free, strict=True):
        if w:
            limit = min(limit, c // w)
    for cap in grp.domain_caps:
        if any(typ.name in d for d in cap.domains):
            limit = min(limit, cap.limit)
    return limit


def compact_size(problem: PackingProblem, target: int, slots_per_type: Mapping[int, int]) -> int:
    """Integer variables the model of :func:`compact_feasible` would have (to budget its use)."""
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    nodes, _ = _slots(problem, target, slots_per_type)
    return len(nodes) * (len(problem.groups) + 1)


def compact_feasible(
    problem: PackingProblem,
    target: int,
    slots_per_type: Mapping[int, int],
    *,
    deadline: float,
    optimize: bool = False,
) -> CompactSolution:
    """Find a packing whose objective value is at most ``target`` (NODES or COST), by HiGHS.

    Args:
        problem: a NODES or COST problem (normalised units keep the coefficients small).
        target: the largest objective value accepted (the fixed value of preloaded nodes
            included, as in :class:`~kmodel.placement.problem.PackingResult`).
        slots_per_type: node type index -> how many of its nodes the model may use (capped by
            the type's count and by the budget; preloaded types always get every node).
        deadline: ``time.perf_counter()`` value at which to give up.
        optimize: minimise the objective within the budget (the best found when the time runs
            out, with HiGHS's bound) instead of stopping at the first packing.

    Returns:
        The packing found, or whether the model was proven infeasible.

    Raises:
        InputError: the objective is PLACED, or an argument is malformed.
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    if problem.objective is Objective.PLACED:
        raise InputError(
            "the compact model handles the nodes and cost objectives", path="objective"
        )
    if isinstance(target, bool) or not isinstance(target, int):
        raise InputError(f"expected an integer, got {target!r}", path="target")
    if not isinstance(slots_per_type, Mapping):
        raise InputError("expected a mapping of node type index to count", path="slots_per_type")
    nodes, exhaustive = _slots(problem, target, slots_per_type)
    budget = target - fixed_value(problem)
    if budget < 0:
        return CompactSolution(None, infeasible=True, exhaustive=True)

    n_groups = len(problem.groups)
    x_index: dict[tuple[int, int], int] = {}
    u_index: dict[int, int] = {}
    upper: list[float] = []
    for s, b in enumerate(nodes):
        t = problem.type_of(b)
        if not problem.node_types[t].preloaded:
            u_index[s] = len(upper)
            upper.append(1.0)
        for g in range(n_groups):
            limit = _limit(problem, g, t)
            if limit > 0:
                x_index[g, s] = len(upper)
                upper.append(float(limit))
    n_vars = len(upper)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lo)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lo.append(low)
        hi.append(high)

    by_group: dict[int, list[int]] = {}
    for (g, _), j in x_index.items():
        by_group.setdefault(g, []).append(j)
    for g, grp in enumerate(problem.groups):
        if not grp.count:
            continue
        js = by_group.get(g)
        if not js:
            return CompactSolution(None, infeasible=True, exhaustive=exhaustive)
        row([(j, 1.0) for j in js], float(grp.count), float(grp.count))
    n_dims = len(problem.dimensions)
    for s, b in enumerate(nodes):
        typ = problem.node_types[problem.type_of(b)]
        u = u_index.get(s)
        for d in range(n_dims):
            entries = [
                (x_index[g, s], float(problem.groups[g].demand[d]))
                for g in range(n_groups)
                if (g, s) in x_index and problem.groups[g].demand[d]
            ]
            if not entries:
                continue
            if u is None:
                row(entries, -np.inf, float(typ.free[d]))
            else:
                row([*entries, (u, -float(typ.free[d]))], -np.inf, 0.0)
        if u is not None:
            # Anti-affinity and zero-demand pods: a pod on a slot makes the slot used.
            for g in range(n_groups):
                col = x_index.get((g, s))
                grp = problem.groups[g]
                if col is not None and (grp.max_per_node is not None or not any(grp.demand)):
                    row([(col, 1.0), (u, -upper[col])], -np.inf, 0.0)
    names = {typ.name: t for t, typ in enumerate(problem.node_types)}
    for g, grp in enumerate(problem.groups):
        for cap in grp.domain_caps:
            for domain in cap.domains:
                types = {names[n] for n in domain}
                inside = [
                    (j, 1.0)
                    for (gg, s), j in x_index.items()
                    if gg == g and problem.type_of(nodes[s]) in types
                ]
                if inside:
                    row(inside, -np.inf, float(cap.limit))
    spend = [(j, float(_slot_cost(problem, problem.type_of(nodes[s])))) for s, j in u_index.items()]
    spend = [(j, c) for j, c in spend if c]
    if spend:
        row(spend, -np.inf, float(budget))
    # Symmetry: identical empty slots are used in order, the first ones first.
    for s in range(len(nodes) - 1):
        if problem.type_of(nodes[s]) == problem.type_of(nodes[s + 1]):
            here, there = u_index.get(s), u_index.get(s + 1)
            if here is not None and there is not None:
                row([(here, 1.0), (there, -1.0)], 0.0, np.inf)

    left = deadline - time.perf_counter()
    if left <= 0.05 or n_vars == 0:
        return CompactSolution(None, infeasible=False, exhaustive=exhaustive)
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(len(lo), n_vars))
    objective = np.zeros(n_vars)
    if optimize:
        for j, c in spend:
            objective[j] = c
    fixed = fixed_value(problem)
    # In a child process: HiGHS overruns its time limit at the root of large models.
    res = milp_until(
        deadline,
        c=objective,
        constraints=[LinearConstraint(matrix, np.array(lo), np.array(hi))],
        integrality=np.ones(n_vars),
        bounds=Bounds(np.zeros(n_vars), np.array(upper)),
        options={"time_limit": left},
    )
    bound = None
    if optimize and res.mip_dual_bound is not None:
        dual = float(res.mip_dual_bound)
        if np.isfinite(dual):
            bound = fixed + math.ceil(dual - 1e-6)
    if res.x is None:
        # scipy: status 2 is "infeasible" (proven); 1 is the time or iteration limit.
        infeasible = res.status == 2
        return CompactSolution(None, infeasible=infeasible, exhaustive=exhaustive, bound=bound)
    placement: dict[int, int] = {}
    next_item = [problem.first_item(g) for g in range(n_groups)]
    for (g, s), j in sorted(x_index.items()):
        for _ in range(round(res.x[j])):
            placement[next_item[g]] = nodes[s]
            next_item[g] += 1
    return CompactSolution(placement, infeasible=False, exhaustive=exhaustive, bound=bound)
