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
of each orbit of node permutations. Implied (redundant) facts help Z3: a 0/1 ``used`` per node
that every capacity is multiplied by, and the per-domain counts the spread rules force
(:func:`spread_counts`) with the nodes their volume needs (:func:`domain_volume_needs`, also a
lower bound, :func:`spread_volume_bound`).

The search: the best packing of the seeds (heuristics', the engine's) that the verifier accepts
is the upper bound. When the implied counts fix every group in every domain of a key (zones,
typically), each domain is packed on its own first and the union, verified, is offered. The
best proven bound (the engine's on the relaxation, or the spread volume) is tried next, with a
quarter of the time; then the bound goes down one below each packing Z3 finds until Z3 proves
nothing lower exists. Each call gets a fresh ``QF_LIA`` solver: its preprocessing applies to a
non-incremental goal only, and found packings many times faster than an incremental solver or
``z3.Optimize`` (kept as ``strategy="optimize"`` for ``python -m benchmarks constrained``).

The ``placed`` objective is left to the engine (every pod must be placed here).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import z3

from kmodel.placement.engine.problem import Objective, PackingResult, Status
from kmodel.placement.manifests import HOSTNAME_KEY, ClusterNode, PlacementInput
from kmodel.placement.verify import constraint_model, port_conflicts, verify_placement

__all__ = [
    "CONSTRAINED_SHARE",
    "STRATEGIES",
    "ConstrainedOutcome",
    "domain_volume_needs",
    "engine_gaps",
    "node_classes",
    "pack_constrained",
    "placement_value",
    "spread_counts",
    "spread_volume_bound",
    "with_constraints",
]

#: The engine's share of the solve time when Z3 follows (it gives the bound and a packing).
CONSTRAINED_SHARE = 0.2

#: Of the search time, the part the per-domain packing may take, then the call at the bound.
_BY_DOMAIN_SHARE, _BOUND_PROBE_SHARE = 0.6, 0.25

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


def _weight(inp: PlacementInput, node: ClusterNode) -> int:
    """What using ``node`` adds to the value."""
    return node.price if inp.objective is Objective.COST else 1


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
    assertions: list[z3.BoolRef]
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


def spread_counts(inp: PlacementInput) -> dict[tuple[int, str, str], tuple[int, int]]:
    """Pods of a group per domain that the rules imply, as (least, most).

    For a spread rule counting only its own group, no bound pod, ``D >= minDomains`` domains,
    ``T`` pods and ``maxSkew`` ``s``: a receiving domain holds at most the least-loaded
    domain's count plus ``s``, so at most ``T // D + s``; every receiving domain holds at most
    ``s`` more than domain ``d``, so ``T <= c_d + (D - 1)(c_d + s)`` and ``c_d`` is at least
    ``ceil((T - (D - 1) s) / D)``. On such a key, a group eligible in one domain only (a zonal
    volume) has every pod there. Keys: (group, topology key, domain value).
    """
    found: dict[tuple[int, str, str], tuple[int, int]] = {}
    for g, group in enumerate(inp.groups):
        for limit in group.limits:
            domains = len(limit.domains)
            if (
                limit.kind != "spread"
                or limit.counted_groups != (g,)
                or any(limit.existing.values())
                or domains < max(1, limit.min_domains)
            ):
                continue
            total, skew = len(group.pods), limit.limit
            least = max(0, -(((domains - 1) * skew - total) // domains))
            most = total // domains + skew
            for value in limit.domains:
                entry = (g, limit.topology_key, value)
                old = found.get(entry, (0, total))
                found[entry] = (max(old[0], least), min(old[1], most))
    # A group eligible in one domain of such a key only (a zonal volume) has all its pods there.
    for key in sorted({k for _, k, _ in found}):
        for g, group in enumerate(inp.groups):
            values = {n.labels.get(key) for n in inp.nodes if n.name in group.eligible}
            only = values.pop() if len(values) == 1 else None
            if only is not None:
                found[g, key, only] = (len(group.pods), len(group.pods))
    return found


def _domain_nodes(inp: PlacementInput, key: str) -> dict[str, list[int]]:
    """Topology domain value -> indexes of every node carrying it."""
    members: dict[str, list[int]] = {}
    for i, node in enumerate(inp.nodes):
        if key in node.labels:
            members.setdefault(node.labels[key], []).append(i)
    return members


def domain_volume_needs(inp: PlacementInput) -> dict[tuple[str, str], tuple[list[int], int]]:
    """Unbound nodes each domain must use for the pods :func:`spread_counts` puts there.

    Per domain and dimension, the volume of the least counts must fit in the bound nodes' free
    room plus the largest free rooms of as few unbound nodes as possible. Keys: (topology key,
    domain value) -> (indexes of the domain's unbound nodes, how many of them must be used).
    """
    least: dict[tuple[str, str], dict[int, int]] = {}
    for (g, key, value), (low, _) in spread_counts(inp).items():
        if low:
            least.setdefault((key, value), {})[g] = low
    needs: dict[tuple[str, str], tuple[list[int], int]] = {}
    for (key, value), counts in least.items():
        members = _domain_nodes(inp, key).get(value, [])
        unbound = [i for i in members if not inp.nodes[i].bound]
        need = 0
        for d in range(len(inp.dimensions)):
            volume = sum(inp.groups[g].demand[d] * c for g, c in counts.items())
            volume -= sum(
                inp.nodes[i].capacity[d] - inp.nodes[i].load[d]
                for i in members
                if inp.nodes[i].bound
            )
            rooms = sorted(
                (inp.nodes[i].capacity[d] - inp.nodes[i].load[d] for i in unbound), reverse=True
            )
            used = 0
            while volume > 0 and used < len(rooms):
                volume -= rooms[used]
                used += 1
            need = max(need, used)
        needs[key, value] = (unbound, need)
    return needs


def spread_volume_bound(inp: PlacementInput) -> int:
    """A lower bound on the value from :func:`domain_volume_needs` (0 without spread rules).

    Per topology key its domains are disjoint: the bound nodes, plus per domain its needed
    unbound nodes (the cheapest, for ``cost``), summed; the best key's.
    """
    weight = {
        i: (n.price if inp.objective is Objective.COST else 1) for i, n in enumerate(inp.nodes)
    }
    fixed = sum(weight[i] for i, n in enumerate(inp.nodes) if n.bound)
    per_key: dict[str, int] = {}
    for (key, _), (unbound, need) in domain_volume_needs(inp).items():
        cheapest = sorted(weight[i] for i in unbound)[:need]
        per_key[key] = per_key.get(key, 0) + sum(cheapest)
    return fixed + max(per_key.values(), default=0)


class _Facts:
    """The model's assertions, collected (each check gets a fresh solver: see _Search.check)."""

    def __init__(self) -> None:
        self.facts: list[z3.BoolRef] = []

    def add(self, *facts: z3.BoolRef | list[z3.BoolRef]) -> None:
        for fact in facts:
            self.facts.extend(fact if isinstance(fact, list) else [fact])


def _split_key(inp: PlacementInput) -> tuple[str, dict[str, dict[int, int]]] | None:
    """A topology key whose domains the implied counts fix for every group, if any.

    Then a packing is a packing of each domain with its own pods (every node carries the key):
    returns the key and, per domain value, group -> pods there.
    """
    counts = spread_counts(inp)
    for key in sorted({k for _, k, _ in counts}):
        domains = _domain_nodes(inp, key)
        if sum(len(m) for m in domains.values()) != len(inp.nodes):
            continue
        split: dict[str, dict[int, int]] = {value: {} for value in domains}
        for g, group in enumerate(inp.groups):
            # Each domain holds at least its least count: when those add up to the group, exactly.
            fixed = {v: counts.get((g, key, v), (0, 0)) for v in domains}
            if sum(low for low, _ in fixed.values()) == len(group.pods):
                for v, (low, _) in fixed.items():
                    split[v][g] = low
            else:
                break
        else:
            return key, split
    return None


def _domain_input(
    inp: PlacementInput, key: str, value: str, pods: Mapping[int, tuple[str, ...]]
) -> PlacementInput:
    """``inp`` restricted to the nodes of one domain and the pods ``pods`` puts there.

    Spread rules over ``key`` are dropped (the fixed counts keep them); every other rule keeps
    the domain's part.
    """
    nodes = tuple(n for n in inp.nodes if n.labels.get(key) == value)
    names = {n.name for n in nodes}
    groups = []
    for g, group in enumerate(inp.groups):
        limits = []
        for limit in group.limits:
            if limit.kind == "spread" and limit.topology_key == key:
                continue
            domains = {d: tuple(n for n in m if n in names) for d, m in limit.domains.items()}
            kept = {d: m for d, m in domains.items() if m}
            existing = {d: c for d, c in limit.existing.items() if d in kept}
            limits.append(replace(limit, domains=kept, existing=existing))
        groups.append(
            replace(
                group,
                pods=pods.get(g, ()),
                eligible=group.eligible & names,
                reasons={n: r for n, r in group.reasons.items() if n in names},
                limits=tuple(limits),
            )
        )
    return replace(inp, nodes=nodes, groups=tuple(groups), _types=())


def _by_domain(search: _Search, share: float) -> None:
    """Pack each domain of a :func:`_split_key` key on its own and offer the union.

    The union goes through the verifier like any packing; a domain that fails leaves the
    search as it was.
    """
    split = _split_key(search.inp)
    if split is None:
        return
    key, counts = split
    inp = search.inp
    taken = dict.fromkeys(range(len(inp.groups)), 0)
    union: dict[str, str] = {}
    values = sorted(counts)
    budget = (search.deadline - time.perf_counter()) * share
    needs = domain_volume_needs(inp)
    for k, value in enumerate(values):
        pods = {}
        for g, count in counts[value].items():
            pods[g] = inp.groups[g].pods[taken[g] : taken[g] + count]
            taken[g] += count
        part = _domain_input(inp, key, value, pods)
        if not part.pod_names:
            continue
        seconds = budget / (len(values) - k) if budget > 0 else 0.0
        started = time.perf_counter()
        unbound, need = needs.get((key, value), ([], 0))
        weights = [_weight(inp, inp.nodes[i]) for i in unbound]
        least = sum(sorted(weights)[:need]) + placement_value(part, {})
        found = pack_constrained(part, lower_bound=least, time_limit=max(0.1, seconds))
        budget -= time.perf_counter() - started
        if not found.placement:
            return
        union.update(found.placement)
        search.checks += found.checks
    if not verify_placement(inp, union):
        total = placement_value(inp, union)
        if search.value is None or total < search.value:
            search.value, search.placement = total, union
            search.found_by = f"z3 per {key} domain"


def _build(inp: PlacementInput) -> _Model:
    """Every rule of ``inp`` over the eligible pairs, all pods placed, symmetry broken."""
    pairs = [(g, n) for g, group in enumerate(inp.groups) for n in sorted(group.eligible)]
    rules = constraint_model(inp, pairs=pairs)
    solver = _Facts()
    x = rules.counts
    solver.add(rules.nonnegative)
    solver.add([r.formula for r in rules.rules if r.kind not in {"demand", "eligibility"}])
    on_node: dict[str, list[z3.ArithRef]] = {}
    for (g, n), var in x.items():
        on_node.setdefault(n, []).append(var)
        group = inp.groups[g]
        solver.add(var <= min(len(group.pods), group.max_per_node or len(group.pods)))
    for g, group in enumerate(inp.groups):
        solver.add(
            z3.Sum([x[g, n] for n in sorted(group.eligible)] or [z3.IntVal(0)]) == len(group.pods)
        )
    weight = {n.name: (n.price if inp.objective is Objective.COST else 1) for n in inp.nodes}
    fixed = sum(weight[n.name] for n in inp.nodes if n.bound)
    terms: list[z3.ArithRef] = []
    used_of: dict[str, z3.ArithRef] = {}
    for node in inp.nodes:
        if node.bound or node.name not in on_node:
            continue
        # 0 or 1; every capacity holds only on a used node (pure integer arithmetic, so the
        # relaxation bounds the nodes by volume, and the goal bit-blasts).
        used = z3.Int(f"used_{node.name}")
        used_of[node.name] = used
        solver.add(used >= 0, used <= 1)
        for d in range(len(inp.dimensions)):
            load = [
                inp.groups[g].demand[d] * x[g, node.name]
                for g in range(len(inp.groups))
                if (g, node.name) in x and inp.groups[g].demand[d]
            ]
            if load:
                free = node.capacity[d] - node.load[d]
                solver.add(z3.Sum(load) <= free * used)
        terms.append(weight[node.name] * used)
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
    # Implied by the spread rules (redundant, so sound): per-domain counts, per-domain nodes.
    for (g, key, value), (low, high) in spread_counts(inp).items():
        members = [inp.nodes[i].name for i in _domain_nodes(inp, key).get(value, [])]
        placed = [x[g, n] for n in members if (g, n) in x]
        if placed:
            solver.add(z3.Sum(placed) >= low, z3.Sum(placed) <= high)
    for unbound, need in domain_volume_needs(inp).values():
        flags = [used_of[inp.nodes[i].name] for i in unbound if inp.nodes[i].name in used_of]
        if need:
            solver.add(z3.Sum(flags or [z3.IntVal(0)]) >= need)
    return _Model(solver.facts, x, objective)


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
    bound_by: str
    checks: int = 0

    def left_ms(self) -> int:
        return max(1, int((self.deadline - time.perf_counter()) * 1000))

    def offer(self, model: z3.ModelRef, found_by: str) -> None:
        placement = self.model.placement(self.inp, model)
        value = placement_value(self.inp, placement)
        if self.value is None or value < self.value:
            self.value, self.placement, self.found_by = value, placement, found_by

    def check(self, target: int | None, *, share: float = 1.0) -> z3.CheckSatResult:
        """Is there a packing of value at most ``target`` (None: any)? Keeps what it finds.

        ``share``: of the time left, the part this call may take.
        """
        # A fresh solver per call: Z3's QF_LIA tactics (preprocessing, bounds) apply to a
        # non-incremental goal only, and find packings many times faster than push/pop.
        solver = z3.SolverFor("QF_LIA")
        solver.add(self.model.assertions)
        if target is not None:
            solver.add(self.model.objective <= target)
        solver.set("timeout", max(1, int(self.left_ms() * share)))
        outcome = solver.check()
        self.checks += 1
        if outcome == z3.sat:
            self.offer(solver.model(), "z3")
        elif outcome == z3.unsat and target is not None and target + 1 > self.proven:
            self.proven, self.bound_by = target + 1, "z3 (nothing below)"
        return outcome

    def outcome(self, prover: str) -> ConstrainedOutcome:
        if self.value is None:
            method = f"z3 constrained: time limit, no packing; bound {self.proven}"
            return ConstrainedOutcome(Status.UNKNOWN, None, self.proven, {}, method, self.checks)
        proven = min(self.proven, self.value)
        optimal = proven >= self.value
        return ConstrainedOutcome(
            Status.OPTIMAL if optimal else Status.FEASIBLE,
            self.value,
            proven,
            self.placement,
            f"z3 constrained ({prover}, {self.checks} Z3 calls): packing by {self.found_by}; "
            f"bound {proven} by {self.bound_by}",
            self.checks,
        )


def _descend(search: _Search) -> Status | None:
    """The descending bound (module docstring); INFEASIBLE when no packing exists at all."""
    _by_domain(search, _BY_DOMAIN_SHARE)
    # The relaxation's bound first: often the optimum, and then one call proves it.
    if search.value is None or search.proven < search.value:
        search.check(search.proven, share=_BOUND_PROBE_SHARE)
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
    solver = z3.Optimize()
    solver.add(search.model.assertions)
    if search.value is not None:
        solver.add(search.model.objective <= search.value)
    handle = solver.minimize(search.model.objective)
    solver.set("timeout", search.left_ms())
    outcome = solver.check()
    search.checks += 1
    if outcome == z3.sat:
        search.offer(solver.model(), "z3 Optimize")
        if handle.lower().as_long() > search.proven:
            search.proven, search.bound_by = handle.lower().as_long(), "z3 Optimize"
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
    model = _build(inp)
    spread = spread_volume_bound(inp)
    bound_by = "spread volume" if spread > lower_bound else "engine (relaxation)"
    proven = max(spread, lower_bound)
    search = _Search(inp, model, deadline, value, best, name, proven, bound_by)
    ended = _optimize(search) if strategy == "optimize" else _descend(search)
    if ended is Status.INFEASIBLE:
        method = "z3 constrained: no placement of every pod keeps every rule"
        return ConstrainedOutcome(Status.INFEASIBLE, None, proven, {}, method, search.checks)
    return search.outcome("Optimize" if strategy == "optimize" else "descending bound")


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
