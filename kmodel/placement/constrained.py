"""Exact packing, by Z3, with the rules the pattern engine does not express.

The pattern and column-generation engine (:mod:`kmodel.placement.engine`) packs resources,
eligibility, per-node limits and per-domain anti-affinity caps. Three rules of a
:class:`~kmodel.placement.manifests.PlacementInput` are beyond it:

* topology spread with ``whenUnsatisfiable: DoNotSchedule`` (``maxSkew`` between domains);
* required pod affinity to pods being placed (a domain receiving a pod holds a selected pod);
* host ports shared by pods being placed (two such pods never share a node).

When a group carries one of them, :func:`pack_constrained` optimises the objective (``nodes``
or ``cost``) with every rule exactly: Z3 over integer counts ``x[g, n]`` (pods of group ``g``
on node ``n``, eligible pairs only), the rules being
:func:`kmodel.placement.verify.constraint_model`'s, so the optimiser and the verifier read one
statement of the problem. Pods alike are one group (the engine's grouping); nodes that no rule
tells apart (:func:`node_classes`) are ordered by their pod counts, which keeps one placement
of each orbit of node permutations. The search is a descending bound: the engine's lower bound
(a relaxation's, so valid here) is tried first, then from the best valid heuristic packing
(the upper bound, also Z3's initial values) the bound is lowered by one below each packing
found, until Z3 proves that nothing below is possible; measured faster than ``z3.Optimize``
on the constrained benchmark (``python -m benchmarks constrained``).

The ``placed`` objective is left to the engine (every pod must be placed here).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import z3

from kmodel.placement.engine.problem import Objective, PackingResult, Status
from kmodel.placement.manifests import HOSTNAME_KEY, PlacementInput
from kmodel.placement.verify import constraint_model, port_conflicts, verify_placement

__all__ = [
    "CONSTRAINED_SHARE",
    "STRATEGIES",
    "ConstrainedOutcome",
    "engine_gaps",
    "node_classes",
    "pack_constrained",
    "placement_value",
    "with_constraints",
]

#: The engine's share of the solve time when Z3 follows (it gives the bound and a packing).
CONSTRAINED_SHARE = 0.3

#: Search strategies: the descending bound (default) and ``z3.Optimize`` (for measuring).
STRATEGIES = ("descend", "optimize")


def engine_gaps(inp: PlacementInput) -> list[str]:
    """The rules of ``inp`` the pattern engine does not express, in words (``[]``: none)."""
    gaps = [
        limit.describe(group.name)
        for group in inp.groups
        for limit in group.limits
        if limit.kind in {"spread", "affinity"}
    ]
    gaps.extend(
        f"{inp.groups[g].name} and {inp.groups[h].name}: host ports (not on one node)"
        for g, h in port_conflicts(inp)
    )
    return gaps


def node_classes(
    inp: PlacementInput, keys: Collection[str], *, per_node: Mapping[str, object] | None = None
) -> list[list[str]]:
    """Nodes no rule tells apart, each class in name order.

    Same free resources, same eligibility for every group, same value for every topology key
    in play (the groups' rules and ``keys``), and, when a per-node rule counts bound pods, the
    node itself.

    Args:
        inp: the placement input.
        keys: topology keys in play besides the groups' own rules (a property's domains).
        per_node: anything else that sets a node apart (bound pods a property counts, price).
    """
    rule_keys = {limit.topology_key for group in inp.groups for limit in group.limits}
    labels = sorted((set(keys) | rule_keys) - {HOSTNAME_KEY})
    hostname_rules = any(
        limit.topology_key == HOSTNAME_KEY and any(limit.existing.values())
        for group in inp.groups
        for limit in group.limits
    )
    classes: dict[tuple[object, ...], list[str]] = {}
    for node in inp.nodes:
        signature = (
            node.capacity,
            node.load,
            tuple(node.name in group.eligible for group in inp.groups),
            tuple(node.labels.get(k) for k in labels),
            node.name if hostname_rules else None,
            (per_node or {}).get(node.name),
        )
        classes.setdefault(signature, []).append(node.name)
    return list(classes.values())


def placement_value(inp: PlacementInput, placement: Mapping[str, str]) -> int:
    """Nodes in use (a placed or bound pod on them), or their total price for ``cost``."""
    used = {n.name for n in inp.nodes if n.bound} | set(placement.values())
    if inp.objective is Objective.COST:
        return sum(n.price for n in inp.nodes if n.name in used)
    return len(used)


@dataclass(frozen=True)
class ConstrainedOutcome:
    """What :func:`pack_constrained` found.

    Attributes:
        status: ``optimal`` (proven), ``feasible`` (time limit), ``infeasible`` (no placement
            of every pod keeps every rule) or ``unknown`` (time limit, nothing found).
        value: nodes (or cost) of ``placement``; None without one.
        lower_bound: proven lower bound on the value.
        placement: pod name -> node name (every pod), empty without one.
        method: what found the packing and what proved the bound.
        checks: Z3 calls made.
    """

    status: Status
    value: int | None
    lower_bound: int
    placement: dict[str, str]
    method: str
    checks: int


@dataclass
class _Model:
    solver: z3.Solver | z3.Optimize
    x: dict[tuple[int, str], z3.ArithRef]
    objective: z3.ArithRef

    def placement(self, inp: PlacementInput, model: z3.ModelRef) -> dict[str, str]:
        nodes: dict[int, list[str]] = {}
        for (g, node), var in sorted(self.x.items()):
            count = model.eval(var, model_completion=True).as_long()
            nodes.setdefault(g, []).extend([node] * count)
        found: dict[str, str] = {}
        for g, group in enumerate(inp.groups):
            found.update(zip(group.pods, nodes.get(g, []), strict=False))
        return found


def _build(inp: PlacementInput, *, optimize: bool) -> _Model:
    """Every rule of ``inp`` over the eligible pairs, all pods placed, symmetry broken."""
    pairs = [(g, n) for g, group in enumerate(inp.groups) for n in sorted(group.eligible)]
    rules = constraint_model(inp, pairs=pairs)
    solver: z3.Solver | z3.Optimize = z3.Optimize() if optimize else z3.SimpleSolver()
    x = rules.counts
    solver.add(rules.nonnegative)
    solver.add([r.formula for r in rules.rules if r.kind not in {"demand", "eligibility"}])
    on_node: dict[str, list[z3.ArithRef]] = {}
    for (_, n), var in x.items():
        on_node.setdefault(n, []).append(var)
    for g, group in enumerate(inp.groups):
        solver.add(
            z3.Sum([x[g, n] for n in sorted(group.eligible)] or [z3.IntVal(0)]) == len(group.pods)
        )
    weight = {n.name: (n.price if inp.objective is Objective.COST else 1) for n in inp.nodes}
    fixed = sum(weight[n.name] for n in inp.nodes if n.bound)
    terms: list[z3.ArithRef] = []
    for node in inp.nodes:
        if node.bound or node.name not in on_node:
            continue
        used = z3.Bool(f"used_{node.name}")
        solver.add(z3.Implies(z3.Sum(on_node[node.name]) > 0, used))
        terms.append(z3.If(used, weight[node.name], 0))
    objective = z3.IntVal(fixed) + z3.Sum(terms) if terms else z3.IntVal(fixed)
    prices = {n.name: n.price for n in inp.nodes} if inp.objective is Objective.COST else None
    for members in node_classes(inp, (), per_node=prices):
        present = [g for g in range(len(inp.groups)) if (g, members[0]) in x]
        if len(members) < 2 or not present:
            continue
        totals = [z3.Sum([x[g, n] for g in present]) for n in members]
        first = present[0]
        for i in range(len(members) - 1):
            a, b = members[i], members[i + 1]
            solver.add(
                z3.Or(
                    totals[i] > totals[i + 1],
                    z3.And(totals[i] == totals[i + 1], x[first, a] >= x[first, b]),
                )
            )
    return _Model(solver, x, objective)


def _hint(model: _Model, inp: PlacementInput, placement: Mapping[str, str]) -> None:
    """Z3's initial values from a packing (a hint only: nothing is asserted)."""
    group_of = inp.group_of_pod()
    counts: dict[tuple[int, str], int] = {}
    for pod, node in placement.items():
        key = (group_of[pod], node)
        counts[key] = counts.get(key, 0) + 1
    for key, var in model.x.items():
        model.solver.set_initial_value(var, counts.get(key, 0))


@dataclass
class _Search:
    """The incumbent and the proven bound while the search runs."""

    inp: PlacementInput
    model: _Model
    deadline: float
    value: int | None
    placement: dict[str, str]
    found_by: str
    proven: int
    checks: int = 0

    def left_ms(self) -> int:
        return max(1, int((self.deadline - time.perf_counter()) * 1000))

    def offer(self, model: z3.ModelRef, found_by: str) -> None:
        placement = self.model.placement(self.inp, model)
        value = placement_value(self.inp, placement)
        if self.value is None or value < self.value:
            self.value, self.placement, self.found_by = value, placement, found_by

    def check(self, target: int | None) -> z3.CheckSatResult:
        """Is there a packing of value at most ``target`` (None: any)? Keeps what it finds."""
        solver = self.model.solver
        solver.push()
        if target is not None:
            solver.add(self.model.objective <= target)
        solver.set("timeout", self.left_ms())
        outcome = solver.check()
        self.checks += 1
        if outcome == z3.sat:
            self.offer(solver.model(), "z3")
        elif outcome == z3.unsat and target is not None:
            self.proven = max(self.proven, target + 1)
        solver.pop()
        return outcome

    def outcome(self, prover: str) -> ConstrainedOutcome:
        if self.value is None:
            method = f"z3 constrained: time limit, no packing; bound {self.proven}"
            return ConstrainedOutcome(Status.UNKNOWN, None, self.proven, {}, method, self.checks)
        proven = min(self.proven, self.value)
        optimal = proven >= self.value
        bound = f"{prover}, {self.checks} Z3 calls" if self.checks else "engine (relaxation)"
        return ConstrainedOutcome(
            Status.OPTIMAL if optimal else Status.FEASIBLE,
            self.value,
            proven,
            self.placement,
            f"z3 constrained: packing by {self.found_by}; bound {proven} by {bound}",
            self.checks,
        )


def _descend(search: _Search) -> Status | None:
    """The descending bound (module docstring); INFEASIBLE when no packing exists at all."""
    # The relaxation's bound first: often the optimum, and then one call proves it.
    if search.value is None or search.proven < search.value:
        search.check(search.proven)
    while search.value is None or search.proven < search.value:
        if time.perf_counter() >= search.deadline:
            return None
        target = None if search.value is None else search.value - 1
        outcome = search.check(target)
        if outcome == z3.unsat and target is None:
            return Status.INFEASIBLE
        if outcome == z3.unknown:
            return None
    return None


def _optimize(search: _Search) -> Status | None:
    """``z3.Optimize`` below the incumbent; INFEASIBLE when no packing exists at all."""
    solver = search.model.solver
    if not isinstance(solver, z3.Optimize):
        raise TypeError("the optimize strategy needs a z3.Optimize")
    if search.value is not None:
        solver.add(search.model.objective <= search.value)
    handle = solver.minimize(search.model.objective)
    solver.set("timeout", search.left_ms())
    outcome = solver.check()
    search.checks += 1
    if outcome == z3.sat:
        search.offer(solver.model(), "z3 Optimize")
        search.proven = max(search.proven, handle.lower().as_long())
    elif outcome == z3.unsat and search.value is None:
        return Status.INFEASIBLE
    return None


def pack_constrained(
    inp: PlacementInput,
    *,
    lower_bound: int,
    seeds: Sequence[tuple[str, Mapping[str, str]]] = (),
    time_limit: float = 10.0,
    strategy: str = "descend",
) -> ConstrainedOutcome:
    """The best placement of every pod of ``inp`` keeping every rule (module docstring).

    Args:
        inp: the placement input (objective ``nodes`` or ``cost``).
        lower_bound: a proven lower bound on the value (the engine's, on the relaxation).
        seeds: named placements of every pod (heuristics', the engine's); those the verifier
            accepts give the first upper bound and Z3's initial values.
        time_limit: seconds for the whole search.
        strategy: ``descend`` or ``optimize`` (see :data:`STRATEGIES`).

    Returns:
        The outcome.

    Raises:
        ValueError: objective ``placed`` or an unknown strategy.
    """
    if inp.objective is Objective.PLACED or strategy not in STRATEGIES:
        raise ValueError(f"unsupported: objective {inp.objective}, strategy {strategy!r}")
    deadline = time.perf_counter() + time_limit
    pods = set(inp.pod_names)
    valid = [
        (placement_value(inp, p), name, dict(p))
        for name, p in seeds
        if set(p) == pods and not verify_placement(inp, p)
    ]
    value, name, best = min(valid, default=(None, "", {}), key=lambda v: (v[0], v[1]))
    model = _build(inp, optimize=strategy == "optimize")
    if best:
        _hint(model, inp, best)
    search = _Search(inp, model, deadline, value, best, name, lower_bound)
    ended = _optimize(search) if strategy == "optimize" else _descend(search)
    if ended is Status.INFEASIBLE:
        method = "z3 constrained: no placement of every pod keeps every rule"
        return ConstrainedOutcome(Status.INFEASIBLE, None, lower_bound, {}, method, search.checks)
    return search.outcome("z3 Optimize" if strategy == "optimize" else "z3 descending bound")


def with_constraints(
    inp: PlacementInput,
    result: PackingResult,
    seeds: Sequence[tuple[str, Mapping[str, str]]],
    *,
    time_limit: float,
) -> PackingResult:
    """The engine's result, re-solved by :func:`pack_constrained` where the engine falls short.

    Unchanged when no rule is beyond the engine (:func:`engine_gaps`), for objective
    ``placed``, or when the engine's packing is proven optimal on the relaxation and the
    verifier accepts it (then it is optimal with every rule too).
    """
    if inp.objective is Objective.PLACED or not engine_gaps(inp):
        return result
    engine = inp.decode(result.placement)
    if result.optimal and not result.unplaced and not verify_placement(inp, engine):
        return result
    started = time.perf_counter()
    lower = result.lower_bound if result.status is not Status.INFEASIBLE else 0
    found = pack_constrained(
        inp,
        lower_bound=lower,
        seeds=[*seeds, ("engine", engine)],
        time_limit=time_limit,
    )
    seconds = result.solve_seconds + time.perf_counter() - started
    method = f"{found.method}; engine: {result.method}"
    if found.status is Status.INFEASIBLE or not found.placement:
        return replace(
            result,
            method=method,
            solve_seconds=seconds,
            optimal=False,
            status=Status.UNKNOWN,
        )
    item = {pod: i for i, pod in enumerate(inp.pod_names)}
    node = {name: b for b, name in enumerate(inp.node_order())}
    used = {n.name for n in inp.nodes if n.bound} | set(found.placement.values())
    return replace(
        result,
        status=found.status,
        nodes_used=len(used),
        cost=sum(n.price for n in inp.nodes if n.name in used),
        lower_bound=found.lower_bound,
        optimal=found.status is Status.OPTIMAL,
        solve_seconds=seconds,
        placement={item[p]: node[n] for p, n in found.placement.items()},
        unplaced=(),
        method=method,
    )
