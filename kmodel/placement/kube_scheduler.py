"""The heuristics kmodel compares the optimum with: kube-scheduler, FFD and BFD.

kube-scheduler with the default profile places one pod at a time (``schedule_one.go
schedulingCycle``): the pods in queue order, each filtered on every node with the default
Filter plugins (:func:`kmodel.semantics.scheduling.filter_failures`, against the pods placed so
far), then scored on the feasible nodes with the default Score plugins and weights
(``pkg/scheduler/apis/config/v1/default_plugins.go``): NodeResourcesFit x1 (strategy
configurable: LeastAllocated by default, MostAllocated, RequestedToCapacityRatio),
NodeResourcesBalancedAllocation x1, TaintToleration x3, NodeAffinity x2. A single feasible node is
taken without scoring (``schedulePod``).

Documented departures from upstream, so the result is deterministic and explainable:

* queue order: higher ``priority`` first (``queuesort/priority_sort.go Less``), then the order of
  the input (upstream breaks ties by the queue timestamp; pods created together tie);
* tie between equal top scores: the lowest node name (upstream ``selectHost`` picks uniformly at
  random among them);
* every node is considered (upstream samples ``percentageOfNodesToScore`` of a large cluster);
* the PodTopologySpread and InterPodAffinity *scores* (soft constraints and the cluster's
  default spreading), ImageLocality and preemption are not modelled; their Filters are.

:func:`heuristic_runs` runs every strategy (LeastAllocated, MostAllocated and
RequestedToCapacityRatio) through the vectorised
:func:`kmodel.placement.scheduler_sim.simulate_kube_scheduler` when the input only lets the
resource scores decide (:func:`vectorised_scheduler_applies`): the same placement, far quicker
on a trace of thousands of pods and nodes than the manifest path.

FFD and BFD are the packing engine's greedy packers (:func:`kmodel.placement.engine.heuristics.
greedy_pack`): cluster-autoscaler's first-fit decreasing (pods by decreasing cpu share + memory
share) and best-fit decreasing. They see the per-node rules but not the per-zone ones.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.types import Manifest
from kmodel.placement.engine.heuristics import FitRule, greedy_pack
from kmodel.placement.manifests import PlacementInput
from kmodel.placement.scheduler_sim import simulate_kube_scheduler, simulates_scoring_strategy
from kmodel.semantics.resources import (
    CPU,
    MEMORY,
    node_usage,
    pod_requests,
)
from kmodel.semantics.scheduling import (
    DEFAULT_SCORE_PLUGIN_WEIGHTS,
    balanced_allocation_scores,
    filter_failures,
    node_affinity_scores,
    node_fit_failures,
    node_scores,
    node_taints,
    parse_scoring_strategy,
    taint_toleration_scores,
)

__all__ = [
    "STRATEGIES",
    "HeuristicRun",
    "engine_heuristics",
    "heuristic_runs",
    "kube_scheduler",
    "vectorised_scheduler_applies",
]

#: The NodeResourcesFit scoring strategies kmodel runs, by the name its report uses.
STRATEGIES: Final[Mapping[str, Mapping[str, Any]]] = {
    "kube-scheduler": {"type": "LeastAllocated"},
    "kube-scheduler-most-allocated": {"type": "MostAllocated"},
    "kube-scheduler-requested-to-capacity-ratio": {"type": "RequestedToCapacityRatio"},
}


@dataclass(frozen=True)
class HeuristicRun:
    """A heuristic's placement.

    Attributes:
        name: ``kube-scheduler``, ``ffd``, ``bfd``...
        placement: pod name -> node name, for every pod it placed.
        unplaced: the pods it could not place, in queue order.
        nodes_used: nodes with at least one pod (bound pods included).
        cost: total price of those nodes.
    """

    name: str
    placement: dict[str, str]
    unplaced: tuple[str, ...]
    nodes_used: int
    cost: int


def _usage(inp: PlacementInput, placement: Mapping[str, str]) -> tuple[int, int]:
    used = {n.name for n in inp.nodes if n.bound} | set(placement.values())
    price = {n.name: n.price for n in inp.nodes}
    return len(used), sum(price[n] for n in used)


def _pod(template: Manifest, name: str, node: str | None) -> dict[str, Any]:
    pod = copy.deepcopy(dict(template))
    metadata = pod.setdefault("metadata", {})
    namespace, _, short = name.rpartition("/")
    metadata["name"] = short
    metadata["namespace"] = namespace or metadata.get("namespace") or "default"
    if node is not None:
        pod.setdefault("spec", {})["nodeName"] = node
    return pod


def _inter_pod(inp: PlacementInput) -> bool:
    """Whether any pod has rules that depend on the other pods (affinity, spread)."""
    for pod in [*(g.template for g in inp.groups), *inp.bound_pods]:
        spec = pod.get("spec") or {}
        affinity = spec.get("affinity") or {}
        if spec.get("topologySpreadConstraints") or any(
            affinity.get(k) for k in ("podAffinity", "podAntiAffinity")
        ):
            return True
    return False


def kube_scheduler(
    inp: PlacementInput,
    *,
    scoring_strategy: Mapping[str, Any] | None = None,
    name: str = "kube-scheduler",
) -> HeuristicRun:
    """Place the pods one at a time as kube-scheduler's default profile would.

    Mirrors ``pkg/scheduler/schedule_one.go`` (``schedulePod``: ``findNodesThatFitPod``,
    ``prioritizeNodes``, ``selectHost``) with the departures listed in the module docstring.

    Args:
        inp: the placement input.
        scoring_strategy: ``NodeResourcesFitArgs.scoringStrategy`` (None: LeastAllocated).
        name: the name recorded in the result.

    Returns:
        The placement, the pods no node accepted, nodes used and cost.

    Raises:
        InputError: an invalid strategy or a malformed manifest.
    """
    if not isinstance(inp, PlacementInput):
        raise InputError(f"expected a PlacementInput, got {type(inp).__name__}", path="inp")
    parse_scoring_strategy(scoring_strategy)  # validate once, with the field path
    weights = DEFAULT_SCORE_PLUGIN_WEIGHTS
    nodes = [n.manifest for n in inp.nodes]
    by_name = {n.name: n.manifest for n in inp.nodes}
    placed_pods: list[Manifest] = list(inp.bound_pods)
    on_node: dict[str, list[Manifest]] = {n.name: [] for n in inp.nodes}
    for pod in inp.bound_pods:
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name in on_node:
            on_node[node_name].append(pod)
    inter_pod = _inter_pod(inp)
    affinity_free = not any(
        ((p.get("spec") or {}).get("affinity") or {}).get("podAffinity")
        for p in [*(g.template for g in inp.groups), *inp.bound_pods]
    )
    queue = sorted(
        ((g, pod_name) for g, group in enumerate(inp.groups) for pod_name in group.pods),
        key=lambda entry: -inp.groups[entry[0]].priority,
    )
    placement: dict[str, str] = {}
    unplaced: list[str] = []
    for g, pod_name in queue:
        group = inp.groups[g]
        pod = _pod(group.template, pod_name, None)
        if inter_pod:
            # Static filters and room first (cheap); the full pipeline only where they pass.
            # Without pod affinity, landing pods can only shrink the static eligibility.
            candidates = [
                n
                for n in inp.nodes
                if (not affinity_free or n.name in group.eligible)
                and not node_fit_failures(pod, n.manifest, on_node[n.name])
            ]
            feasible = [
                n.manifest
                for n in candidates
                if not filter_failures(
                    pod, n.manifest, pods=placed_pods, nodes=nodes, volumes=inp.volumes
                )
            ]
        else:
            # Nothing depends on the other pods: the static Filters were run once per group
            # (PlacementInput.groups[].eligible); only NodeResourcesFit changes as pods land.
            feasible = [
                by_name[n.name]
                for n in inp.nodes
                if n.name in group.eligible
                and not node_fit_failures(pod, n.manifest, on_node[n.name])
            ]
        if not feasible:
            unplaced.append(pod_name)
            continue
        if len(feasible) == 1:
            chosen = str(feasible[0]["metadata"]["name"])
        else:
            totals = _scores(pod, feasible, placed_pods, scoring_strategy, weights)
            top = max(totals.values())
            chosen = min(n for n, s in totals.items() if s == top)
        bound = _pod(group.template, pod_name, chosen)
        placed_pods.append(bound)
        on_node[chosen].append(bound)
        placement[pod_name] = chosen
    used, cost = _usage(inp, placement)
    return HeuristicRun(name, placement, tuple(unplaced), used, cost)


def _scores(
    pod: Manifest,
    feasible: Sequence[Manifest],
    pods: Sequence[Manifest],
    strategy: Mapping[str, Any] | None,
    weights: Mapping[str, int],
) -> dict[str, int]:
    """Mirrors ``prioritizeNodes``: sum of plugin score x plugin weight, per feasible node."""
    totals = dict.fromkeys((str(n["metadata"]["name"]) for n in feasible), 0)
    parts = (
        ("NodeResourcesFit", node_scores(pod, feasible, pods, scoring_strategy=strategy)),
        ("NodeResourcesBalancedAllocation", balanced_allocation_scores(pod, feasible, pods)),
        ("TaintToleration", taint_toleration_scores(pod, feasible)),
        ("NodeAffinity", node_affinity_scores(pod, feasible)),
    )
    for plugin, scores in parts:
        for node_name, score in scores.items():  # {} when the plugin skips the pod
            totals[node_name] += score * weights[plugin]
    return totals


def engine_heuristics(inp: PlacementInput) -> list[HeuristicRun]:
    """First-fit decreasing (cluster-autoscaler's order) and best-fit decreasing.

    Raises:
        InputError: ``inp`` is not a PlacementInput.
    """
    if not isinstance(inp, PlacementInput):
        raise InputError(f"expected a PlacementInput, got {type(inp).__name__}", path="inp")
    problem = inp.problem()
    pods = inp.pod_names
    runs: list[HeuristicRun] = []
    for rule, name in ((FitRule.FIRST, "ffd"), (FitRule.BEST, "bfd")):
        packing = greedy_pack(problem, rule=rule, name=name)
        placement = inp.decode(packing.placement)
        used, cost = _usage(inp, placement)
        runs.append(
            HeuristicRun(name, placement, tuple(pods[i] for i in packing.unplaced), used, cost)
        )
    return runs


def _scores_only_resources(inp: PlacementInput) -> bool:
    """Whether TaintToleration and NodeAffinity give every feasible node the same score.

    TaintToleration counts PreferNoSchedule taints (``countIntolerableTaintsPreferNoSchedule``):
    without any such taint every node scores 100. NodeAffinity's PreScore skips a pod without
    ``preferredDuringSchedulingIgnoredDuringExecution`` (``nodeaffinity/node_affinity.go``).
    """
    if any(t.effect == "PreferNoSchedule" for n in inp.nodes for t in node_taints(n.manifest)):
        return False
    for group in inp.groups:
        spec = group.template.get("spec") or {}
        node_affinity = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        if node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution") is not None:
            return False
    return True


def _scoring_requests(inp: PlacementInput) -> list[tuple[int, int]] | None:
    """Per group, the cpu and memory NodeResourcesFit scores its pods with; None if unsure.

    Upstream scores the incoming pod's requests with ``NonMissingContainerRequests``
    (``resource_allocation.go calculatePodResourceRequestList``: each container without a cpu
    or memory request counts 100m or 200Mi, an explicit ``0`` is kept) and adds a placed pod to
    its node's ``NonZeroRequested`` with ``PodInfo.CalculateResource``. The vectorised
    scheduler uses one pair for both, so a pod for which the two differ (pod-level requests)
    keeps the manifest path.
    """
    pairs: list[tuple[int, int]] = []
    for group in inp.groups:
        scoring = pod_requests(group.template, non_missing=True)
        pair = (scoring.get(CPU, 0), scoring.get(MEMORY, 0))
        added = node_usage([group.template])
        if (added.non_zero_cpu, added.non_zero_memory) != pair:
            return None
        pairs.append(pair)
    return pairs


def _loads_score_as_requested(inp: PlacementInput) -> bool:
    """Whether every node's bound load is what the scores read for its bound pods.

    The vectorised scheduler starts a node's ``Requested`` and ``NonZeroRequested`` at its
    problem load. Bound pods without a cpu or memory request (``NonZeroRequested`` counts the
    default) and nodes over-committed by their bound pods (the load is capped at allocatable)
    break that, and keep the manifest path.
    """
    cpu_dim, memory_dim = inp.dimensions.index(CPU), inp.dimensions.index(MEMORY)
    on_node: dict[str, list[Manifest]] = {}
    for pod in inp.bound_pods:
        on_node.setdefault(str((pod.get("spec") or {}).get("nodeName")), []).append(pod)
    for node in inp.nodes:
        usage = node_usage(on_node.get(node.name, []))
        cpu, memory = usage.requested.get(CPU, 0), usage.requested.get(MEMORY, 0)
        if (usage.non_zero_cpu, usage.non_zero_memory) != (cpu, memory):
            return False
        if (node.load[cpu_dim], node.load[memory_dim]) != (cpu, memory):
            return False
    return True


def vectorised_scheduler_applies(inp: PlacementInput) -> bool:
    """Whether :func:`simulate_kube_scheduler` places ``inp``'s pods as kube_scheduler() does.

    True when nothing but NodeResourcesFit and NodeResourcesBalancedAllocation can tell the
    feasible nodes apart and the problem's numbers are what those plugins read: no pod rule
    that depends on the other pods (the Filters were run once per group), no PreferNoSchedule
    taint and no preferred node affinity (see ``_scores_only_resources``), one scoring request
    per group (``_scoring_requests``) and bound loads that score as requested
    (``_loads_score_as_requested``). The scoring strategy is checked separately.

    Raises:
        InputError: ``inp`` is not a PlacementInput, or a manifest in it is malformed.
    """
    if not isinstance(inp, PlacementInput):
        raise InputError(f"expected a PlacementInput, got {type(inp).__name__}", path="inp")
    return (
        not _inter_pod(inp)
        and _scores_only_resources(inp)
        and _loads_score_as_requested(inp)
        and _scoring_requests(inp) is not None
    )


def _vectorised(inp: PlacementInput, strategy: Mapping[str, Any], name: str) -> HeuristicRun:
    """kube_scheduler() through :func:`simulate_kube_scheduler`, ties to the lowest node name."""
    problem = inp.problem()
    node_names = inp.node_order()
    by_name = sorted(range(problem.n_nodes), key=lambda b: node_names[b])
    packing = simulate_kube_scheduler(
        problem,
        strategy=strategy,
        memory_unit=1,
        node_order=by_name,
        name=name,
        scoring_requests=_scoring_requests(inp),
    )
    pods = inp.pod_names
    # The simulation records pods in queue order, as kube_scheduler() does.
    placement = {pods[item]: node_names[b] for item, b in packing.placement.items()}
    used, cost = _usage(inp, placement)
    return HeuristicRun(name, placement, tuple(pods[i] for i in packing.unplaced), used, cost)


def heuristic_runs(inp: PlacementInput) -> list[HeuristicRun]:
    """Every heuristic: kube-scheduler under each strategy of :data:`STRATEGIES`, FFD, BFD.

    kube-scheduler runs vectorised (:func:`kmodel.placement.scheduler_sim.
    simulate_kube_scheduler`) where :func:`vectorised_scheduler_applies` and the strategy
    scores cpu and memory only (:func:`kmodel.placement.scheduler_sim.
    simulates_scoring_strategy`; every strategy of :data:`STRATEGIES` does): the same result,
    thousands of times faster on large clusters. Otherwise it runs on the manifests
    (:func:`kube_scheduler`).

    Raises:
        InputError: ``inp`` is not a PlacementInput, or a manifest in it is malformed.
    """
    fast = vectorised_scheduler_applies(inp)
    runs: list[HeuristicRun] = []
    for name, strategy in STRATEGIES.items():
        if fast and simulates_scoring_strategy(strategy):
            runs.append(_vectorised(inp, strategy, name))
        else:
            runs.append(kube_scheduler(inp, scoring_strategy=strategy, name=name))
    return runs + engine_heuristics(inp)
