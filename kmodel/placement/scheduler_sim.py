"""kube-scheduler's default profile on a :class:`PackingProblem`, vectorised over the nodes.

:func:`kmodel.placement.kube_scheduler.kube_scheduler` runs the exact scheduler semantics on
manifests; that is the reference, and far too slow for a trace of thousands of pods on
thousands of nodes. :func:`simulate_kube_scheduler` runs the same algorithm on the manifest-free
problem: one pod at a time in queue order, every node filtered and scored at once with numpy.

What it mirrors (``pkg/scheduler/schedule_one.go schedulePod``: ``findNodesThatFitPod``,
``prioritizeNodes``, ``selectHost``), for pods that only carry resource requests:

* queue order: higher ``priority`` first (``queuesort/priority_sort.go Less``), then item order
  (upstream breaks ties by the queue timestamp);
* Filter: ``noderesources/fit.go fitsRequest`` (every dimension of the problem, ``pods``
  included, with equality fitting), the group's allowed node types (the static Filters the
  problem was built from), ``max_per_node`` (required anti-affinity on the hostname) and
  :class:`~kmodel.placement.engine.problem.DomainCap` (required anti-affinity on a wider key);
* Score: NodeResourcesFit (``least_allocated.go leastResourceScorer``,
  ``most_allocated.go mostResourceScorer`` or ``requested_to_capacity_ratio.go
  requestedToCapacityRatioScorer`` through ``resource_allocation.go
  resourceAllocationScorer.score``, over the strategy's resources, cpu and memory with weight 1
  by default, with the non-missing request defaults of 100m cpu and 200Mi memory) and
  NodeResourcesBalancedAllocation
  (``balanced_allocation.go balancedResourceScorer``, v1.34/v1.35 formula, actual requests,
  skipped for a pod that requests neither cpu nor memory), each times its default plugin
  weight (:data:`kmodel.semantics.scheduling.DEFAULT_SCORE_PLUGIN_WEIGHTS`). The other default
  Score plugins give every node the same score on such pods (TaintToleration 100 on untainted
  nodes, NodeAffinity 0), so they cannot change the choice and are left out;
* node choice: the highest total; a tie goes to the node that comes first in ``node_order``
  (upstream ``selectHost`` picks uniformly at random among the tied nodes; kube_scheduler()
  takes the lowest node name, which ``node_order`` reproduces), and every node is considered
  (upstream samples ``percentageOfNodesToScore`` of a large cluster).

The integer arithmetic is upstream's, as :mod:`kmodel.semantics.scheduling` implements it:
truncating divisions in the per-resource and weighted scores; for RequestedToCapacityRatio the
floored utilisation ``req * 100 / cap`` (100 when over capacity) looked up in the
broken-linear shape (scores 0..10 scaled to 0..100,
:func:`kmodel.semantics.scheduling.broken_linear_function`), only resources scoring above 0 in
the weighted mean, and ``math.Round`` of the float64 mean; float64 fractions and
``int((1 - std) * 100)`` in the balanced score. Memory is scored in bytes (``memory_unit`` bytes
per unit of the problem's ``memory`` dimension), so the 200Mi default is exact whatever unit the
problem uses.

What a PackingProblem cannot say, and the assumptions made instead:

* a demand of 0 in cpu or memory is a *missing* request (the default applies to scoring); an
  explicit ``0`` request, which upstream keeps, and multi-container pods where only some
  containers omit a request, are not distinguishable from the summed demand: a caller that
  knows the pods passes their scoring requests (``scoring_requests``);
* a node type's bound ``load`` counts as its ``NonZeroRequested`` too (bound pods without a
  request would add the defaults upstream);
* a problem without a ``cpu`` (or ``memory``) dimension has nodes with no allocatable of it:
  the resource is skipped in both scores, as upstream skips a resource whose allocatable is 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from kmodel.errors import InputError
from kmodel.placement.engine.heuristics import Packing
from kmodel.placement.engine.problem import PackingProblem, nodes_and_cost
from kmodel.semantics.resources import (
    CPU,
    DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
    MEMORY,
)
from kmodel.semantics.scheduling import (
    DEFAULT_SCORE_PLUGIN_WEIGHTS,
    MAX_CUSTOM_PRIORITY_SCORE,
    MAX_NODE_SCORE,
    broken_linear_function,
    parse_scoring_strategy,
)

__all__ = [
    "MEBIBYTE",
    "SCORING_STRATEGIES",
    "SIMULATED_RESOURCES",
    "simulate_kube_scheduler",
    "simulates_scoring_strategy",
]

#: Bytes in a MiB: the unit of ``memory`` in problems built from traces (openb).
MEBIBYTE: Final = 1024 * 1024

#: The NodeResourcesFit strategies simulated, with the name the result carries (the same
#: names as :data:`kmodel.placement.kube_scheduler.STRATEGIES`).
SCORING_STRATEGIES: Final = {
    "LeastAllocated": "kube-scheduler",
    "MostAllocated": "kube-scheduler-most-allocated",
    "RequestedToCapacityRatio": "kube-scheduler-requested-to-capacity-ratio",
}

#: The resources a simulated NodeResourcesFit strategy may score: the problem's cpu and memory.
SIMULATED_RESOURCES: Final = frozenset({CPU, MEMORY})

#: ``maxUtilization`` of requested_to_capacity_ratio.go: utilisation runs over 0..100.
_MAX_UTILIZATION: Final = 100

_FIT_WEIGHT: Final = DEFAULT_SCORE_PLUGIN_WEIGHTS["NodeResourcesFit"]
_BALANCED_WEIGHT: Final = DEFAULT_SCORE_PLUGIN_WEIGHTS["NodeResourcesBalancedAllocation"]

_Ints = npt.NDArray[np.int64]
_Floats = npt.NDArray[np.float64]
_Bools = npt.NDArray[np.bool_]


def _checked_scoring_requests(raw: object, n_groups: int) -> list[tuple[int, int]] | None:
    if raw is None:
        return None
    if isinstance(raw, str | bytes) or not isinstance(raw, Sequence) or len(raw) != n_groups:
        raise InputError(
            f"expected one (cpu, memory) pair per group ({n_groups})", path="scoring_requests"
        )
    pairs: list[tuple[int, int]] = []
    for k, pair in enumerate(raw):
        if (
            not isinstance(pair, Sequence)
            or len(pair) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in pair)
        ):
            raise InputError(
                f"expected two non-negative integers, got {pair!r}",
                path=f"scoring_requests[{k}]",
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def _checked_order(node_order: object, n_nodes: int) -> list[int]:
    if node_order is None:
        return list(range(n_nodes))
    if isinstance(node_order, str | bytes) or not isinstance(node_order, Sequence):
        raise InputError("expected a sequence of node indexes", path="node_order")
    order: list[int] = []
    for k, b in enumerate(node_order):
        if isinstance(b, bool) or not isinstance(b, int):
            raise InputError(f"expected a node index, got {b!r}", path=f"node_order[{k}]")
        order.append(b)
    if sorted(order) != list(range(n_nodes)):
        raise InputError(f"must list every node index 0..{n_nodes - 1} once", path="node_order")
    return order


class _Nodes:
    """The cluster's running state, one array entry per node, in ``node_order`` positions."""

    def __init__(self, problem: PackingProblem, order: Sequence[int], memory_unit: int) -> None:
        dims = problem.dimensions
        type_of = np.array([problem.type_of(b) for b in order], dtype=np.int64)
        capacity = np.array([t.capacity for t in problem.node_types], dtype=np.int64)
        load = np.array(
            [t.load if t.load is not None else (0,) * len(dims) for t in problem.node_types],
            dtype=np.int64,
        )
        capacity = capacity.reshape(len(problem.node_types), len(dims))
        load = load.reshape(capacity.shape)
        #: Room left per dimension and node (``allocatable - requested``), shape (dims, nodes).
        self.free: _Ints = np.ascontiguousarray((capacity - load)[type_of].T)
        self.type_of = type_of
        zeros = np.zeros(len(order), dtype=np.int64)
        cpu = dims.index(CPU) if CPU in dims else None
        memory = dims.index(MEMORY) if MEMORY in dims else None
        # Allocatable and requested (actual; the non-zero variant for NodeResourcesFit), cpu in
        # millicores and memory in bytes. A dimension the problem lacks is allocatable 0.
        self.cpu_cap: _Ints = zeros.copy() if cpu is None else capacity[type_of, cpu]
        self.mem_cap: _Ints = (
            zeros.copy() if memory is None else capacity[type_of, memory] * memory_unit
        )
        self.cpu_used: _Ints = zeros.copy() if cpu is None else load[type_of, cpu]
        self.mem_used: _Ints = (
            zeros.copy() if memory is None else load[type_of, memory] * memory_unit
        )
        self.cpu_nonzero: _Ints = self.cpu_used.copy()
        self.mem_nonzero: _Ints = self.mem_used.copy()
        # Divisors that never divide by zero; a 0 allocatable is skipped through the weights.
        self.cpu_div: _Ints = np.maximum(self.cpu_cap, 1)
        self.mem_div: _Ints = np.maximum(self.mem_cap, 1)
        # 1 where the node has the resource, 0 where the scores skip it.
        self.cpu_present: _Ints = (self.cpu_cap > 0).astype(np.int64)
        self.mem_present: _Ints = (self.mem_cap > 0).astype(np.int64)
        self.both_scored: _Bools = (self.cpu_cap > 0) & (self.mem_cap > 0)
        self.cpu_fdiv: _Floats = self.cpu_div.astype(np.float64)
        self.mem_fdiv: _Floats = self.mem_div.astype(np.float64)


def _least_allocated(requested: _Ints, capacity: _Ints, divisor: _Ints) -> _Ints:
    """Mirrors ``least_allocated.go leastRequestedScore``, elementwise."""
    score = (capacity - requested) * MAX_NODE_SCORE // divisor
    return np.where(requested > capacity, 0, score)


def _most_allocated(requested: _Ints, capacity: _Ints, divisor: _Ints) -> _Ints:
    """Mirrors ``most_allocated.go mostRequestedScore``, elementwise (requested capped)."""
    return np.minimum(requested, capacity) * MAX_NODE_SCORE // divisor


@dataclass(frozen=True)
class _FitScorer:
    """A validated NodeResourcesFit scoring strategy, ready to score every node at once.

    Attributes:
        type: LeastAllocated, MostAllocated or RequestedToCapacityRatio.
        resources: ``(resource, weight)`` in the configured order (cpu and memory only).
        shape_scores: RequestedToCapacityRatio only: the shape's score (0..100) at each
            utilisation 0..100, indexed by utilisation; empty for the other strategies.
    """

    type: str
    resources: tuple[tuple[str, int], ...]
    shape_scores: _Ints


def _strategy_config(strategy: object) -> Mapping[str, Any]:
    """The ``scoringStrategy`` configuration of ``strategy`` (a name is the type alone)."""
    if isinstance(strategy, str):
        if strategy not in SCORING_STRATEGIES:
            raise InputError(
                f"unknown scoring strategy {strategy!r}; expected one of "
                + ", ".join(SCORING_STRATEGIES),
                path="strategy",
            )
        return {"type": strategy}
    if not isinstance(strategy, Mapping):
        raise InputError(
            f"expected a strategy name or a scoringStrategy mapping, got {strategy!r}",
            path="strategy",
        )
    return strategy


def _fit_scorer(strategy: object) -> _FitScorer:
    """Validate ``strategy`` (a name, or a ``scoringStrategy`` mapping) for the simulation.

    The mapping is defaulted and validated by
    :func:`kmodel.semantics.scheduling.parse_scoring_strategy` (upstream
    ``SetDefaults_NodeResourcesFitArgs`` and ``ValidateNodeResourcesFitArgs``); its resources
    must be cpu or memory, the only ones the problem's numbers stand for.
    """
    parsed = parse_scoring_strategy(_strategy_config(strategy))
    for i, spec in enumerate(parsed.resources):
        if spec.name not in SIMULATED_RESOURCES:
            raise InputError(
                f'the simulation scores cpu and memory only, not "{spec.name}"',
                path=f"scoringStrategy.resources[{i}].name",
            )
    shape_scores: _Ints = np.zeros(0, dtype=np.int64)
    if parsed.type == "RequestedToCapacityRatio":
        # requested_to_capacity_ratio.go NewRequestedToCapacityRatio...: each point's score
        # 0..MaxCustomPriorityScore is scaled to 0..MaxNodeScore before the shape is built.
        scale = MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE
        scaled = [(utilization, score * scale) for utilization, score in parsed.shape]
        # Utilisation is an integer in 0..100, so the shape is a table of 101 scores.
        shape_scores = np.array(
            [broken_linear_function(scaled, u) for u in range(_MAX_UTILIZATION + 1)],
            dtype=np.int64,
        )
    resources = tuple((spec.name, spec.weight) for spec in parsed.resources)
    return _FitScorer(parsed.type, resources, shape_scores)


def simulates_scoring_strategy(scoring_strategy: Mapping[str, Any] | None) -> bool:
    """Whether :func:`simulate_kube_scheduler` can score with this ``scoringStrategy``.

    True for every valid strategy whose resources are cpu and memory only (any weights, any
    RequestedToCapacityRatio shape); None is the default LeastAllocated over cpu and memory.

    Raises:
        InputError: an invalid strategy, at its field path (``scoringStrategy....``).
    """
    parsed = parse_scoring_strategy(scoring_strategy)
    return all(spec.name in SIMULATED_RESOURCES for spec in parsed.resources)


def _go_round(values: _Floats) -> _Ints:
    """Go's ``math.Round`` on non-negative float64s: half away from zero, elementwise.

    The same operations as :mod:`kmodel.semantics.scheduling`'s scalar version (truncate, then
    add 1 where the remainder is at least 0.5), exact where ``floor(x + 0.5)`` is not.
    """
    whole = np.trunc(values)
    return (whole + (values - whole >= 0.5)).astype(np.int64)


def _fit_scores(nodes: _Nodes, cpu: int, memory: int, scorer: _FitScorer) -> _Ints:
    """Mirrors ``resource_allocation.go resourceAllocationScorer.score`` on every node.

    ``cpu`` and ``memory`` are the pod's non-missing requests (millicores, bytes). A resource
    whose allocatable is 0 is skipped. LeastAllocated and MostAllocated
    (``leastResourceScorer``, ``mostResourceScorer``): the weighted sum divided by the weights
    kept, truncating; 0 when none is kept. RequestedToCapacityRatio
    (``requested_to_capacity_ratio.go requestedToCapacityRatioScorer``): utilisation
    ``req * 100 / cap`` floored (100 when ``req > cap``), scored by the shape; only resources
    scoring above 0 enter the sums, and the mean is ``math.Round(float64(sum) /
    float64(weights))``; 0 when none is kept.
    """
    ratio = scorer.type == "RequestedToCapacityRatio"
    per_resource = _least_allocated if scorer.type == "LeastAllocated" else _most_allocated
    weighted = np.zeros(len(nodes.type_of), dtype=np.int64)
    weight_sum = np.zeros(len(nodes.type_of), dtype=np.int64)
    for resource, weight in scorer.resources:
        if resource == CPU:
            requested = nodes.cpu_nonzero + cpu
            capacity, divisor, present = nodes.cpu_cap, nodes.cpu_div, nodes.cpu_present
        else:
            requested = nodes.mem_nonzero + memory
            capacity, divisor, present = nodes.mem_cap, nodes.mem_div, nodes.mem_present
        if ratio:
            # A node without the resource has requested > 0 = capacity (utilisation 100) or
            # 0 / 1: always a valid index, and skipped through ``present`` anyway.
            utilization = np.where(
                requested > capacity, _MAX_UTILIZATION, requested * _MAX_UTILIZATION // divisor
            )
            score = scorer.shape_scores[utilization]
            kept = present * (score > 0)
        else:
            score = per_resource(requested, capacity, divisor)
            kept = present
        weighted += score * weight * kept
        weight_sum += weight * kept
    # Where no weight is kept the weighted sum is 0 too: dividing by 1 gives the upstream 0.
    if ratio:
        return _go_round(weighted / np.maximum(weight_sum, 1).astype(np.float64))
    return weighted // np.maximum(weight_sum, 1)


def _balanced_scores(nodes: _Nodes, cpu: int, memory: int) -> _Ints:
    """Mirrors ``balanced_allocation.go balancedResourceScorer`` (v1.34/v1.35) on every node.

    ``cpu`` and ``memory`` are the pod's actual requests. The same float64 operations as the
    scalar version (``min(req / cap, 1)``, ``|f1 - f2| / 2``, ``int((1 - std) * 100)``), so the
    scores agree to the bit; with one resource scored (the other's allocatable is 0) the
    standard deviation is 0.
    """
    cpu_fraction = np.minimum((nodes.cpu_used + cpu) / nodes.cpu_fdiv, 1.0)
    mem_fraction = np.minimum((nodes.mem_used + memory) / nodes.mem_fdiv, 1.0)
    std = np.where(nodes.both_scored, np.abs((cpu_fraction - mem_fraction) / 2), 0.0)
    return ((1 - std) * MAX_NODE_SCORE).astype(np.int64)


class _GroupRules:
    """The per-group Filter state: allowed nodes, pods per node, pods per domain."""

    def __init__(self, problem: PackingProblem, nodes: _Nodes) -> None:
        self.problem = problem
        self.nodes = nodes
        self.allowed: dict[int, _Bools] = {}
        self.on_node: dict[int, _Ints] = {}
        # group -> per cap: (domain index per node position, -1 outside; pods per domain)
        self.domains: dict[int, list[tuple[_Ints, _Ints]]] = {}
        type_names = [t.name for t in problem.node_types]
        for g, grp in enumerate(problem.groups):
            if grp.allowed_node_types is not None:
                allowed_types = np.array([n in grp.allowed_node_types for n in type_names])
                self.allowed[g] = allowed_types[nodes.type_of]
            if grp.max_per_node is not None:
                self.on_node[g] = np.zeros(len(nodes.type_of), dtype=np.int64)
            caps: list[tuple[_Ints, _Ints]] = []
            for cap in grp.domain_caps:
                domain_of_type = np.full(len(type_names), -1, dtype=np.int64)
                for k, domain in enumerate(cap.domains):
                    for t, type_name in enumerate(type_names):
                        if type_name in domain:
                            domain_of_type[t] = k
                caps.append(
                    (domain_of_type[nodes.type_of], np.zeros(len(cap.domains), dtype=np.int64))
                )
            if caps:
                self.domains[g] = caps

    def mask(self, g: int, fits: _Bools) -> _Bools:
        """Narrow ``fits`` to the nodes the group's rules still allow."""
        grp = self.problem.groups[g]
        if g in self.allowed:
            fits &= self.allowed[g]
        if grp.max_per_node is not None:
            fits &= self.on_node[g] < grp.max_per_node
        for (domain_of, counts), cap in zip(self.domains.get(g, ()), grp.domain_caps, strict=True):
            full = np.append(counts >= cap.limit, False)  # index -1: outside every domain
            fits &= ~full[domain_of]
        return fits

    def record(self, g: int, position: int) -> None:
        """Count a pod of group ``g`` landing on the node at ``position``."""
        if g in self.on_node:
            self.on_node[g][position] += 1
        for domain_of, counts in self.domains.get(g, ()):
            if domain_of[position] >= 0:
                counts[domain_of[position]] += 1


def simulate_kube_scheduler(
    problem: PackingProblem,
    *,
    strategy: str | Mapping[str, Any] = "LeastAllocated",
    memory_unit: int = MEBIBYTE,
    node_order: Sequence[int] | None = None,
    name: str | None = None,
    scoring_requests: Sequence[tuple[int, int]] | None = None,
) -> Packing:
    """Place the pods one at a time as kube-scheduler's default profile would.

    Mirrors ``pkg/scheduler/schedule_one.go schedulePod`` (``findNodesThatFitPod``,
    ``prioritizeNodes``, ``selectHost``) with NodeResourcesFit and
    NodeResourcesBalancedAllocation as the module docstring describes, vectorised over the
    nodes: it places every pod on the node
    :func:`kmodel.placement.kube_scheduler.kube_scheduler` picks for the same pods as manifests.

    Args:
        problem: the pods (item order is the queue order within a priority) and the nodes.
        strategy: the NodeResourcesFit scoring strategy: a type name of
            :data:`SCORING_STRATEGIES` (``LeastAllocated``, the default profile,
            ``MostAllocated`` or ``RequestedToCapacityRatio``, with the default cpu and memory
            weights of 1 and, for the last, the default shape ``{0: 0, 100: 10}``), or a
            ``NodeResourcesFitArgs.scoringStrategy`` mapping as
            :func:`kmodel.placement.kube_scheduler.kube_scheduler` takes it (type, resources
            and ``requestedToCapacityRatio.shape``), whose resources are cpu and memory only.
        memory_unit: bytes per unit of the ``memory`` dimension (1 for problems built from
            manifests, :data:`MEBIBYTE` for the openb trace).
        node_order: every node index once; a tie between top scores goes to the node listed
            first (default: the lowest node index). Pass the node indexes sorted by node name
            to reproduce kube_scheduler()'s lowest-name rule.
        name: the name the result carries (default from :data:`SCORING_STRATEGIES`).
        scoring_requests: per group, the cpu (millicores) and memory (bytes) NodeResourcesFit
            scores a pod of the group with, which is also what the pod adds to its node's
            ``NonZeroRequested`` (``NonMissingContainerRequests``). Default: the demand, a 0
            replaced by 100m cpu or 200Mi memory (right for single-container pods).

    Returns:
        The packing: item -> node for every pod placed, the pods no node accepted (in queue
        order), nodes used (nodes with bound load included) and their cost.

    Raises:
        InputError: a bad argument, with its name as the path (an invalid ``scoringStrategy``
            mapping at its field path, ``scoringStrategy.shape[1].utilization`` say).
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    scorer = _fit_scorer(strategy)
    if isinstance(memory_unit, bool) or not isinstance(memory_unit, int) or memory_unit < 1:
        raise InputError(f"expected a positive integer, got {memory_unit!r}", path="memory_unit")
    if name is not None and not isinstance(name, str):
        raise InputError(f"expected a string, got {name!r}", path="name")
    order = _checked_order(node_order, problem.n_nodes)
    scoring = _checked_scoring_requests(scoring_requests, len(problem.groups))
    result_name = SCORING_STRATEGIES[scorer.type] if name is None else name
    if problem.n_items == 0 or problem.n_nodes == 0:
        used, cost = nodes_and_cost(problem, {})
        return Packing({}, tuple(range(problem.n_items)), used, cost, result_name)

    nodes = _Nodes(problem, order, memory_unit)
    rules = _GroupRules(problem, nodes)
    dims = problem.dimensions
    cpu_dim = dims.index(CPU) if CPU in dims else None
    mem_dim = dims.index(MEMORY) if MEMORY in dims else None
    # Queue: higher priority first, then item order (sorted() is stable).
    groups = sorted(range(len(problem.groups)), key=lambda g: -problem.groups[g].priority)
    placement: dict[int, int] = {}
    unplaced: list[int] = []
    for g in groups:
        grp = problem.groups[g]
        demand = grp.demand
        cpu = 0 if cpu_dim is None else demand[cpu_dim]
        memory = 0 if mem_dim is None else demand[mem_dim] * memory_unit
        # NonMissingContainerRequests: a missing request scores as the default.
        cpu_nonzero = cpu or DEFAULT_MILLI_CPU_REQUEST
        mem_nonzero = memory or DEFAULT_MEMORY_REQUEST
        if scoring is not None:
            cpu_nonzero, mem_nonzero = scoring[g]
        # BalancedAllocation.PreScore skips a pod that requests neither cpu nor memory.
        balanced_skips = cpu == 0 and memory == 0
        checked = [(d, w) for d, w in enumerate(demand) if w > 0]
        first = problem.first_item(g)
        for item in range(first, first + grp.count):
            fits = np.ones(problem.n_nodes, dtype=np.bool_)
            for d, w in checked:
                fits &= nodes.free[d] >= w
            fits = rules.mask(g, fits)
            if not fits.any():
                unplaced.append(item)
                continue
            total = _fit_scores(nodes, cpu_nonzero, mem_nonzero, scorer) * _FIT_WEIGHT
            if not balanced_skips:
                total += _balanced_scores(nodes, cpu, memory) * _BALANCED_WEIGHT
            # argmax returns the first maximum: the earliest node in node_order wins ties.
            position = int(np.argmax(np.where(fits, total, -1)))
            for d, w in checked:
                nodes.free[d, position] -= w
            nodes.cpu_used[position] += cpu
            nodes.mem_used[position] += memory
            nodes.cpu_nonzero[position] += cpu_nonzero
            nodes.mem_nonzero[position] += mem_nonzero
            rules.record(g, position)
            placement[item] = order[position]
    used, cost = nodes_and_cost(problem, placement)
    return Packing(placement, tuple(unplaced), used, cost, result_name)
