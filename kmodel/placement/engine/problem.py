"""The manifest-free packing problem: item groups, node types, objectives and results.

A :class:`PackingProblem` is what the optimal packer solves. Identical pods form one
:class:`ItemGroup` (a demand vector, a count, a priority, optional node-type eligibility and an
optional anti-affinity limit "at most k of this group per node"); identical nodes form one
:class:`NodeType` (a capacity vector, a count, a cost, optionally the load already bound to each
node of the type). Every quantity is a non-negative integer in the model's units (cpu in
millicores, memory best scaled to MiB by the caller so coefficients stay small).

Items and nodes are numbered by expanding groups and types in order: item ``i`` is the
``j``-th pod of the group that covers index ``i``; node ``b`` likewise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from kmodel.errors import InputError

__all__ = [
    "DomainCap",
    "ItemGroup",
    "NodeType",
    "Objective",
    "PackingProblem",
    "PackingResult",
    "Status",
    "bin_packing_problem",
    "check_placement",
    "max_objective",
    "next_objective_value",
    "nodes_and_cost",
    "objective_of",
    "packing_result",
]


class Objective(StrEnum):
    """What the packer optimises."""

    #: Place every pod on the fewest nodes.
    NODES = "nodes"
    #: Place every pod at the lowest total node cost.
    COST = "cost"
    #: Place as many pods as possible, higher priorities first (then fewest nodes).
    PLACED = "placed"


class Status(StrEnum):
    """Outcome of a solve."""

    #: The packing is proven optimal.
    OPTIMAL = "optimal"
    #: A packing was found, optimality not proven within the time limit.
    FEASIBLE = "feasible"
    #: Proven impossible: some pod cannot be placed (NODES and COST objectives).
    INFEASIBLE = "infeasible"
    #: No packing found and nothing proven within the time limit.
    UNKNOWN = "unknown"


def _check_int(value: object, path: str, *, minimum: int = 0) -> int:
    # bool is an int subclass; True as a cpu demand is a caller bug, not one millicore.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"expected an integer, got {value!r}", path=path)
    if value < minimum:
        raise InputError(f"must be >= {minimum}, got {value}", path=path)
    return value


def _check_vector(value: object, length: int, path: str) -> tuple[int, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InputError(f"expected a sequence of {length} integers, got {value!r}", path=path)
    if len(value) != length:
        raise InputError(
            f"expected {length} values (one per dimension), got {len(value)}", path=path
        )
    return tuple(_check_int(v, f"{path}[{k}]") for k, v in enumerate(value))


def _check_name(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"expected a non-empty string, got {value!r}", path=path)
    return value


@dataclass(frozen=True)
class DomainCap:
    """At most ``limit`` pods of a group in each topology domain.

    A domain is a set of node types (so every node of a type is in the same domain): e.g. the
    types in zone ``a``. Required pod anti-affinity on the zone key is a cap of 1 per zone.

    Attributes:
        domains: the domains, each a set of node type names; no type is in two domains.
        limit: the most pods of the group a domain may hold.
    """

    domains: tuple[frozenset[str], ...]
    limit: int


@dataclass(frozen=True)
class ItemGroup:
    """Identical pods: same demand, same constraints.

    Attributes:
        name: the group's name (e.g. the owning ReplicaSet).
        demand: one non-negative integer per problem dimension.
        count: how many pods the group holds.
        priority: higher is placed first under :attr:`Objective.PLACED`.
        allowed_node_types: names of the node types a pod of the group may run on
            (``None``: every type).
        max_per_node: anti-affinity, at most this many pods of the group per node
            (``None``: unlimited; 1 is required pod anti-affinity on the hostname key).
        domain_caps: per-domain limits (zone anti-affinity and the like), see :class:`DomainCap`.
    """

    name: str
    demand: tuple[int, ...]
    count: int = 1
    priority: int = 0
    allowed_node_types: frozenset[str] | None = None
    max_per_node: int | None = None
    domain_caps: tuple[DomainCap, ...] = ()


@dataclass(frozen=True)
class NodeType:
    """Identical nodes.

    Attributes:
        name: the type's name (e.g. an instance type or node pool).
        capacity: allocatable, one non-negative integer per problem dimension.
        count: how many nodes of the type exist (or may be provisioned).
        cost: the cost of one node (an integer, e.g. cents per hour).
        load: load already bound to every node of this type (pods that stay where they are).
            Nodes with a load are in use whatever the packer does, so they count towards
            the nodes used and the cost.
    """

    name: str
    capacity: tuple[int, ...]
    count: int = 1
    cost: int = 1
    load: tuple[int, ...] | None = None

    @property
    def free(self) -> tuple[int, ...]:
        """Capacity left once the bound load is subtracted."""
        if self.load is None:
            return self.capacity
        return tuple(c - w for c, w in zip(self.capacity, self.load, strict=True))

    @property
    def preloaded(self) -> bool:
        """True when the nodes of this type already carry load (and are therefore in use)."""
        return self.load is not None and any(self.load)


@dataclass(frozen=True)
class PackingProblem:
    """Item groups to place on node types, under one objective.

    Construction validates every field and raises :class:`~kmodel.errors.InputError` with the
    field path (``groups[3].demand[1]``) on bad input.

    Attributes:
        dimensions: resource names, e.g. ``("cpu", "memory", "pods")``.
        groups: the pods, grouped.
        node_types: the nodes, grouped.
        objective: what to optimise.
    """

    dimensions: tuple[str, ...]
    groups: tuple[ItemGroup, ...]
    node_types: tuple[NodeType, ...]
    objective: Objective = Objective.NODES
    _item_group: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _node_type: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _group_start: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _type_start: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dims = self._validated_dimensions()
        n = len(dims)
        types = self._validated_node_types(n)
        groups = self._validated_groups(n, {t.name for t in types})
        try:
            objective = Objective(self.objective)
        except ValueError:
            raise InputError(
                f"unknown objective {self.objective!r}; expected one of "
                + ", ".join(o.value for o in Objective),
                path="objective",
            ) from None
        object.__setattr__(self, "dimensions", dims)
        object.__setattr__(self, "node_types", types)
        object.__setattr__(self, "groups", groups)
        object.__setattr__(self, "objective", objective)
        object.__setattr__(
            self, "_item_group", tuple(g for g, grp in enumerate(groups) for _ in range(grp.count))
        )
        object.__setattr__(
            self, "_node_type", tuple(t for t, typ in enumerate(types) for _ in range(typ.count))
        )
        # Where each group's items and each type's nodes begin (asked for per pod at trace size).
        object.__setattr__(self, "_group_start", _prefix_sums(grp.count for grp in groups))
        object.__setattr__(self, "_type_start", _prefix_sums(typ.count for typ in types))

    def _validated_dimensions(self) -> tuple[str, ...]:
        if isinstance(self.dimensions, str) or not isinstance(self.dimensions, Sequence):
            raise InputError("expected a sequence of resource names", path="dimensions")
        dims = tuple(_check_name(d, f"dimensions[{k}]") for k, d in enumerate(self.dimensions))
        if not dims:
            raise InputError("at least one dimension is required", path="dimensions")
        if len(set(dims)) != len(dims):
            raise InputError("dimension names must be unique", path="dimensions")
        return dims

    def _validated_node_types(self, n: int) -> tuple[NodeType, ...]:
        if not isinstance(self.node_types, Sequence):
            raise InputError("expected a sequence of NodeType", path="node_types")
        out: list[NodeType] = []
        seen: set[str] = set()
        for k, t in enumerate(self.node_types):
            path = f"node_types[{k}]"
            if not isinstance(t, NodeType):
                raise InputError(f"expected a NodeType, got {type(t).__name__}", path=path)
            name = _check_name(t.name, f"{path}.name")
            if name in seen:
                raise InputError(f"duplicate node type name {name!r}", path=f"{path}.name")
            seen.add(name)
            capacity = _check_vector(t.capacity, n, f"{path}.capacity")
            load = None if t.load is None else _check_vector(t.load, n, f"{path}.load")
            if load is not None:
                for d, (w, c) in enumerate(zip(load, capacity, strict=True)):
                    if w > c:
                        raise InputError(
                            f"bound load {w} exceeds capacity {c}", path=f"{path}.load[{d}]"
                        )
            out.append(
                NodeType(
                    name=name,
                    capacity=capacity,
                    count=_check_int(t.count, f"{path}.count"),
                    cost=_check_int(t.cost, f"{path}.cost"),
                    load=load,
                )
            )
        return tuple(out)

    def _validated_groups(self, n: int, type_names: set[str]) -> tuple[ItemGroup, ...]:
        if not isinstance(self.groups, Sequence):
            raise InputError("expected a sequence of ItemGroup", path="groups")
        out: list[ItemGroup] = []
        for k, g in enumerate(self.groups):
            path = f"groups[{k}]"
            if not isinstance(g, ItemGroup):
                raise InputError(f"expected an ItemGroup, got {type(g).__name__}", path=path)
            allowed = g.allowed_node_types
            if allowed is not None:
                if isinstance(allowed, str) or not isinstance(allowed, Iterable):
                    raise InputError(
                        "expected a set of node type names", path=f"{path}.allowed_node_types"
                    )
                allowed = frozenset(allowed)
                unknown = sorted(a for a in allowed if a not in type_names)
                if unknown:
                    raise InputError(
                        f"unknown node type {unknown[0]!r}", path=f"{path}.allowed_node_types"
                    )
            max_per_node = g.max_per_node
            if max_per_node is not None:
                max_per_node = _check_int(max_per_node, f"{path}.max_per_node", minimum=1)
            caps = _validated_caps(g.domain_caps, type_names, f"{path}.domain_caps")
            priority = g.priority
            if isinstance(priority, bool) or not isinstance(priority, int):
                raise InputError(f"expected an integer, got {priority!r}", path=f"{path}.priority")
            out.append(
                ItemGroup(
                    name=_check_name(g.name, f"{path}.name"),
                    demand=_check_vector(g.demand, n, f"{path}.demand"),
                    count=_check_int(g.count, f"{path}.count"),
                    priority=priority,
                    allowed_node_types=allowed,
                    max_per_node=max_per_node,
                    domain_caps=caps,
                )
            )
        return tuple(out)

    # ------------------------------------------------------------------ expansion
    @property
    def n_items(self) -> int:
        """Number of pods (group counts summed)."""
        return len(self._item_group)

    @property
    def n_nodes(self) -> int:
        """Number of nodes (type counts summed)."""
        return len(self._node_type)

    def group_of(self, item: int) -> int:
        """Index of the group item ``item`` belongs to."""
        return self._item_group[item]

    def type_of(self, node: int) -> int:
        """Index of the node type node ``node`` belongs to."""
        return self._node_type[node]

    def first_item(self, group: int) -> int:
        """Index of the first item of ``group``."""
        return self._group_start[group]

    def first_node(self, node_type: int) -> int:
        """Index of the first node of ``node_type``."""
        return self._type_start[node_type]

    def eligible(self, group: int, node_type: int) -> bool:
        """True when a pod of ``group`` may run on ``node_type`` and fits an empty node of it."""
        grp = self.groups[group]
        typ = self.node_types[node_type]
        if grp.allowed_node_types is not None and typ.name not in grp.allowed_node_types:
            return False
        return all(w <= c for w, c in zip(grp.demand, typ.free, strict=True))

    def most_per_node(self, group: int, node_type: int) -> int:
        """The most pods of ``group`` one node of ``node_type`` can hold on its own.

        Bounded by the group's count, its per-node limit, each dimension's free room and the
        limit of any per-domain cap whose domains include the type; 0 when not eligible.
        """
        grp = self.groups[group]
        typ = self.node_types[node_type]
        if not grp.count or not self.eligible(group, node_type):
            return 0
        limit = grp.count if grp.max_per_node is None else min(grp.count, grp.max_per_node)
        for w, c in zip(grp.demand, typ.free, strict=True):
            if w:
                limit = min(limit, c // w)
        for cap in grp.domain_caps:
            if any(typ.name in d for d in cap.domains):
                limit = min(limit, cap.limit)
        return limit

    def unplaceable_groups(self) -> list[int]:
        """Groups with pods that fit no eligible node type at all."""
        return [
            g
            for g, grp in enumerate(self.groups)
            if grp.count
            and not any(
                self.eligible(g, t) and self.node_types[t].count
                for t in range(len(self.node_types))
            )
        ]

    # ------------------------------------------------------------------ normalisation
    def merged(self) -> tuple[PackingProblem, tuple[int, ...]]:
        """Return the problem with identical groups merged, and where each item came from.

        Groups are identical when they agree in demand, priority and allowed node types and
        carry no per-node limit or per-domain cap (those count the group's own pods, so two
        such groups are never one): e.g. the standalone Pods of a trace, one group each. The
        packings of the two problems are the same up to renaming identical pods, so the
        optimum, the bounds and every heuristic's value are too; the merged one is far
        smaller for the pattern and compact models.

        Returns:
            (merged problem, ``origin``): item ``i`` of the merged problem is item
            ``origin[i]`` of this one. ``self`` itself when no two groups are identical.
        """
        by_key: dict[tuple[object, ...], list[int]] = {}
        order: list[list[int]] = []
        for g, grp in enumerate(self.groups):
            if grp.max_per_node is not None or grp.domain_caps:
                order.append([g])
                continue
            key = (grp.demand, grp.priority, grp.allowed_node_types)
            if key in by_key:
                by_key[key].append(g)
            else:
                by_key[key] = members = [g]
                order.append(members)
        if len(order) == len(self.groups):
            return self, tuple(range(self.n_items))
        starts = self._group_start
        groups: list[ItemGroup] = []
        origin: list[int] = []
        for members in order:
            first = self.groups[members[0]]
            count = sum(self.groups[g].count for g in members)
            name = first.name if len(members) == 1 else f"{first.name} (+{len(members) - 1} alike)"
            groups.append(replace(first, name=name, count=count))
            for g in members:
                origin.extend(range(starts[g], starts[g + 1]))
        return replace(self, groups=tuple(groups)), tuple(origin)

    def normalized(self) -> PackingProblem:
        """Return the same problem with every dimension divided by its gcd.

        Dividing a dimension's demands, capacities and loads by their common divisor keeps
        every packing feasible or infeasible exactly as before, and keeps the solver's
        coefficients small (HiGHS and the Z3 verifier work with smaller numbers).
        Capacities are not reduced further: a capacity's remainder modulo the gcd is
        unusable, so floor division is exact.
        """
        divisors = []
        for d in range(len(self.dimensions)):
            g = 0
            for grp in self.groups:
                g = math.gcd(g, grp.demand[d])
            if g == 0:
                divisors.append(1)
                continue
            for t in self.node_types:
                if t.load is not None:
                    g = math.gcd(g, t.load[d])
            divisors.append(g)

        def scale(v: tuple[int, ...]) -> tuple[int, ...]:
            return tuple(x // q for x, q in zip(v, divisors, strict=True))

        return replace(
            self,
            groups=tuple(replace(g, demand=scale(g.demand)) for g in self.groups),
            node_types=tuple(
                replace(
                    t,
                    capacity=scale(t.capacity),
                    load=None if t.load is None else scale(t.load),
                )
                for t in self.node_types
            ),
        )


def _validated_caps(caps: object, type_names: set[str], path: str) -> tuple[DomainCap, ...]:
    if isinstance(caps, str | bytes) or not isinstance(caps, Sequence):
        raise InputError("expected a sequence of DomainCap", path=path)
    out: list[DomainCap] = []
    for k, cap in enumerate(caps):
        where = f"{path}[{k}]"
        if not isinstance(cap, DomainCap):
            raise InputError(f"expected a DomainCap, got {type(cap).__name__}", path=where)
        if isinstance(cap.domains, str | bytes) or not isinstance(cap.domains, Sequence):
            raise InputError("expected a sequence of sets of node type names", path=where)
        domains: list[frozenset[str]] = []
        seen: set[str] = set()
        for j, domain in enumerate(cap.domains):
            if isinstance(domain, str) or not isinstance(domain, Iterable):
                raise InputError("expected a set of node type names", path=f"{where}.domains[{j}]")
            members = frozenset(domain)
            unknown = sorted(str(m) for m in members if m not in type_names)
            if unknown:
                raise InputError(f"unknown node type {unknown[0]!r}", path=f"{where}.domains[{j}]")
            twice = sorted(members & seen)
            if twice:
                raise InputError(
                    f"node type {twice[0]!r} is in two domains", path=f"{where}.domains[{j}]"
                )
            seen |= members
            domains.append(members)
        limit = _check_int(cap.limit, f"{where}.limit")
        out.append(DomainCap(domains=tuple(domains), limit=limit))
    return tuple(out)


def _prefix_sums(counts: Iterable[int]) -> tuple[int, ...]:
    """0, then the running totals of ``counts`` (one more entry than counts)."""
    out = [0]
    for c in counts:
        out.append(out[-1] + c)
    return tuple(out)


@dataclass(frozen=True)
class PackingResult:
    """What a solve returns.

    Attributes:
        status: optimal, feasible, infeasible or unknown.
        objective: the objective that was optimised.
        nodes_used: nodes hosting at least one pod or bound load (``None`` without a packing).
        cost: total cost of those nodes (``None`` without a packing).
        lower_bound: a proven lower bound on the objective value: nodes (NODES), cost (COST),
            or the number of unplaced pods (PLACED).
        optimal: True only when optimality is proven.
        solve_seconds: wall time of the solve (reporting only; nothing depends on it).
        placement: item index -> node index for every placed item.
        unplaced: items left without a node.
        method: which engine produced the packing (``ffd``, ``arcflow``, ``assignment``...).
        nodes_lower_bound: PLACED only, when the number of unplaced pods is proven least: a
            proven lower bound on the nodes any placement with that few unplaced pods uses
            (``None`` otherwise).
    """

    status: Status
    objective: Objective
    nodes_used: int | None
    cost: int | None
    lower_bound: int
    optimal: bool
    solve_seconds: float
    placement: dict[int, int]
    unplaced: tuple[int, ...]
    method: str = ""
    nodes_lower_bound: int | None = None

    @property
    def value(self) -> int | None:
        """The objective value of the packing found (``None`` without a packing)."""
        if self.objective is Objective.NODES:
            return self.nodes_used
        if self.objective is Objective.COST:
            return self.cost
        return len(self.unplaced) if self.nodes_used is not None else None


def check_placement(problem: PackingProblem, placement: dict[int, int]) -> list[str]:
    """Return every constraint a placement violates (an empty list: it is feasible).

    Checks item and node ranges, eligibility, anti-affinity, per-domain caps and capacity (with
    bound load).
    Unplaced items are not violations here; the objective decides whether they are allowed.
    """
    problems: list[str] = []
    dims = len(problem.dimensions)
    used: dict[int, list[int]] = {}
    per_group: dict[tuple[int, int], int] = {}
    for item, node in placement.items():
        if not 0 <= item < problem.n_items:
            problems.append(f"item {item} does not exist")
            continue
        if not 0 <= node < problem.n_nodes:
            problems.append(f"item {item} placed on missing node {node}")
            continue
        g = problem.group_of(item)
        t = problem.type_of(node)
        grp = problem.groups[g]
        if grp.allowed_node_types is not None and (
            problem.node_types[t].name not in grp.allowed_node_types
        ):
            problems.append(f"item {item} not allowed on node type {problem.node_types[t].name}")
        load = used.setdefault(node, [0] * dims)
        for d in range(dims):
            load[d] += grp.demand[d]
        per_group[g, node] = per_group.get((g, node), 0) + 1
        if grp.max_per_node is not None and per_group[g, node] > grp.max_per_node:
            problems.append(f"node {node} holds more than {grp.max_per_node} of group {grp.name}")
    per_domain: dict[tuple[int, int, int], int] = {}
    for (g, node), n in per_group.items():
        type_name = problem.node_types[problem.type_of(node)].name
        for c, cap in enumerate(problem.groups[g].domain_caps):
            for k, domain in enumerate(cap.domains):
                if type_name in domain:
                    per_domain[g, c, k] = per_domain.get((g, c, k), 0) + n
    for (g, c, k), n in sorted(per_domain.items()):
        cap = problem.groups[g].domain_caps[c]
        if n > cap.limit:
            problems.append(
                f"domain {k} of cap {c} holds {n} of group {problem.groups[g].name}, "
                f"more than {cap.limit}"
            )
    for node, load in sorted(used.items()):
        free = problem.node_types[problem.type_of(node)].free
        problems.extend(
            f"node {node} over capacity in {problem.dimensions[d]}: {load[d]} > {free[d]}"
            for d in range(dims)
            if load[d] > free[d]
        )
    return problems


def nodes_and_cost(problem: PackingProblem, placement: dict[int, int]) -> tuple[int, int]:
    """Nodes in use (hosting an item or bound load) and their total cost."""
    in_use = set(placement.values())
    for t, typ in enumerate(problem.node_types):
        if typ.preloaded:
            first = problem.first_node(t)
            in_use.update(range(first, first + typ.count))
    cost = sum(problem.node_types[problem.type_of(b)].cost for b in in_use)
    return len(in_use), cost


def packing_result(
    problem: PackingProblem,
    *,
    status: Status,
    bound: int,
    placement: dict[int, int] | None,
    method: str,
    seconds: float,
) -> PackingResult:
    """The result of a solve of ``problem``: nodes, cost and unplaced pods from ``placement``.

    Args:
        problem: the problem solved.
        status: the outcome.
        bound: the proven lower bound.
        placement: item -> node (``None``: no packing, every item unplaced).
        method: what found the packing and what proved the bound.
        seconds: the solve's time.
    """
    if placement is None:
        return PackingResult(
            status=status,
            objective=problem.objective,
            nodes_used=None,
            cost=None,
            lower_bound=bound,
            optimal=False,
            solve_seconds=seconds,
            placement={},
            unplaced=tuple(range(problem.n_items)),
            method=method,
        )
    used, cost = nodes_and_cost(problem, placement)
    unplaced = tuple(i for i in range(problem.n_items) if i not in placement)
    return PackingResult(
        status=status,
        objective=problem.objective,
        nodes_used=used,
        cost=cost,
        lower_bound=bound,
        optimal=status is Status.OPTIMAL,
        solve_seconds=seconds,
        placement=placement,
        unplaced=unplaced,
        method=method,
    )


def objective_of(problem: PackingProblem, placement: dict[int, int]) -> int:
    """The NODES or COST objective value of ``placement`` (nodes in use, or their cost)."""
    used, cost = nodes_and_cost(problem, placement)
    return cost if problem.objective is Objective.COST else used


def max_objective(problem: PackingProblem) -> int:
    """The NODES or COST value of using every node: no packing is worth more."""
    if problem.objective is Objective.COST:
        return sum(t.cost * t.count for t in problem.node_types)
    return problem.n_nodes


def next_objective_value(problem: PackingProblem, k: int) -> int:
    """The next objective value worth asking for after ``k`` was refuted."""
    if problem.objective is not Objective.COST:
        return k + 1
    # Costs are sums of node costs: skip values no set of nodes can add up to only when the
    # gcd of the costs says so (cheap and exact).
    g = 0
    for t in problem.node_types:
        g = math.gcd(g, t.cost)
    if g <= 1:
        return k + 1
    return (k // g + 1) * g


def bin_packing_problem(
    capacity: Sequence[int],
    items: Sequence[tuple[Sequence[int], int]],
    *,
    dimensions: Sequence[str] | None = None,
    n_nodes: int | None = None,
) -> PackingProblem:
    """A classic (vector) bin packing instance as a :class:`PackingProblem`.

    Args:
        capacity: the capacity of every bin (node).
        items: ``(demand, count)`` per item type; equal demands are merged into one group.
        dimensions: names of the dimensions (default ``d0, d1, ...``).
        n_nodes: how many bins exist (default: one per item, always enough when items fit).

    Returns:
        A NODES problem with one node type named ``bin``.
    """
    if isinstance(capacity, str | bytes) or not isinstance(capacity, Sequence):
        raise InputError("expected a sequence of integers", path="capacity")
    names = (
        tuple(dimensions)
        if dimensions is not None
        else tuple(f"d{k}" for k in range(len(capacity)))
    )
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise InputError("expected a sequence of (demand, count) pairs", path="items")
    merged: dict[tuple[int, ...], int] = {}
    for k, entry in enumerate(items):
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise InputError("expected a (demand, count) pair", path=f"items[{k}]")
        demand = _check_vector(entry[0], len(names), f"items[{k}][0]")
        merged[demand] = merged.get(demand, 0) + _check_int(entry[1], f"items[{k}][1]")
    total = sum(merged.values())
    count = max(total, 1) if n_nodes is None else _check_int(n_nodes, "n_nodes")
    groups = tuple(
        ItemGroup(name=f"item{k}", demand=demand, count=c)
        for k, (demand, c) in enumerate(merged.items())
    )
    return PackingProblem(
        dimensions=names,
        groups=groups,
        node_types=(NodeType(name="bin", capacity=tuple(capacity), count=count),),
    )
