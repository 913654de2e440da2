"""heuristic_runs() takes the vectorised kube-scheduler only where it gives the same runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.placement import kube_scheduler as module
from kmodel.placement.kube_scheduler import (
    STRATEGIES,
    HeuristicRun,
    engine_heuristics,
    heuristic_runs,
    kube_scheduler,
    vectorised_scheduler_applies,
)
from kmodel.placement.manifests import PlacementInput
from tests.helpers.placement import HOST, anti_affinity, build, deployment, make_pod, node, requests
from tests.helpers.scheduling import ctr

GPU = "example.com/gpu"


def _manifest_path(inp: PlacementInput) -> list[HeuristicRun]:
    """What heuristic_runs() returned before the fast path: every strategy on the manifests."""
    runs = [
        kube_scheduler(inp, scoring_strategy=strategy, name=name)
        for name, strategy in STRATEGIES.items()
    ]
    return runs + engine_heuristics(inp)


def _assert_same_runs(got: list[HeuristicRun], want: list[HeuristicRun]) -> None:
    assert [r.name for r in got] == [r.name for r in want]
    for fast, slow in zip(got, want, strict=True):
        assert fast == slow
        # Same pods in the same (queue) order, not only the same mapping.
        assert list(fast.placement.items()) == list(slow.placement.items())


class _Spy:
    """Counts the calls of the function it replaces and forwards them."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.target(*args, **kwargs)


# ----------------------------------------------------------------------- random clusters


@dataclass(frozen=True)
class _NodeShape:
    cpu: int | None  # millicores; None: no cpu allocatable
    memory: int | None  # MiB
    pods: int
    zone: str
    taint: str | None  # None, "NoSchedule" or "PreferNoSchedule" (key "dedicated")
    gpus: int
    bound: str | None  # None, "both" (cpu and memory requested) or "cpu-only"


@dataclass(frozen=True)
class _PodShape:
    cpu: str | None  # a cpu quantity, or None for no request ("0" is an explicit zero)
    memory: str | None
    count: int
    priority: int
    gpu: bool
    # "plain", "anti-host", "tolerates", "prefers-zone-a", "sidecar" (a second container
    # without requests), "limits" (requests given as limits only)
    rule: str


_node_shape = st.builds(
    _NodeShape,
    cpu=st.one_of(st.none(), st.sampled_from([1000, 2000, 3500, 4000])),
    memory=st.one_of(st.none(), st.sampled_from([1024, 1536, 4096, 8192])),
    pods=st.sampled_from([2, 3, 110]),
    zone=st.sampled_from(["a", "b"]),
    taint=st.sampled_from([None, None, None, "NoSchedule", "PreferNoSchedule"]),
    gpus=st.sampled_from([0, 0, 1, 2]),
    bound=st.sampled_from([None, None, "both", "cpu-only"]),
)
_pod_shape = st.builds(
    _PodShape,
    cpu=st.sampled_from([None, "0", "50m", "250m", "333m", "1", "1500m"]),
    memory=st.sampled_from([None, "0", "64Mi", "200Mi", "300Mi", "1000Mi", "2Gi"]),
    count=st.integers(1, 4),
    priority=st.sampled_from([0, 0, 5]),
    gpu=st.sampled_from([False, False, False, True]),
    rule=st.sampled_from(["plain"] * 6 + ["anti-host", "tolerates", "prefers-zone-a", "sidecar"]),
)


def _node(k: int, shape: _NodeShape) -> list[dict[str, Any]]:
    taints = [{"key": "dedicated", "value": "x", "effect": shape.taint}] if shape.taint else None
    body = node(
        f"n{k}",
        zone=shape.zone,
        cpu=None if shape.cpu is None else f"{shape.cpu}m",
        memory=None if shape.memory is None else f"{shape.memory}Mi",
        pods=shape.pods,
        taints=taints,
        extra={GPU: str(shape.gpus)} if shape.gpus else None,
    )
    if shape.bound is None:
        return [body]
    wanted = {"cpu": "100m"} if shape.bound == "cpu-only" else {"cpu": "100m", "memory": "256Mi"}
    bound = make_pod(f"bound-{k}", node=f"n{k}", resources=requests(**wanted))
    return [body, bound]


def _pod_spec(g: int, shape: _PodShape) -> dict[str, Any]:
    wanted = {r: q for r, q in (("cpu", shape.cpu), ("memory", shape.memory), (GPU, "1")) if q}
    if not shape.gpu:
        wanted.pop(GPU, None)
    resources: dict[str, Any] = {"requests": wanted}
    if shape.rule == "limits":
        resources = {"limits": wanted}
    elif shape.gpu:  # an extended resource's request must equal its limit
        resources["limits"] = {GPU: "1"}
    containers = [ctr("app", resources)]
    if shape.rule == "sidecar":
        containers.append(ctr("sidecar"))
    spec: dict[str, Any] = {"containers": containers, "priority": shape.priority}
    if shape.rule == "anti-host":
        spec["affinity"] = anti_affinity(f"g{g}", HOST)
    if shape.rule == "tolerates":
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    if shape.rule == "prefers-zone-a":
        term = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["a"]}
        preferred = [{"weight": 10, "preference": {"matchExpressions": [term]}}]
        spec["affinity"] = {
            "nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}
        }
    return spec


def _cluster(nodes: list[_NodeShape], pods: list[_PodShape]) -> PlacementInput:
    objects: list[dict[str, Any]] = []
    for k, shape in enumerate(nodes):
        objects += _node(k, shape)
    for g, shape in enumerate(pods):
        spec = _pod_spec(g, shape)
        if shape.count > 1:
            body = deployment(f"g{g}", shape.count)
            body["spec"]["template"]["spec"] = spec
        else:
            body = make_pod(f"g{g}", labels={"app": f"g{g}"}, **spec)
        objects.append(body)
    return build(*objects, objective="placed")


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(
    nodes=st.lists(_node_shape, min_size=1, max_size=5),
    pods=st.lists(_pod_shape, min_size=1, max_size=4),
)
def test_heuristic_runs_equal_the_manifest_path_on_every_input(
    nodes: list[_NodeShape], pods: list[_PodShape]
):
    inp = _cluster(nodes, pods)
    _assert_same_runs(heuristic_runs(inp), _manifest_path(inp))


_clean_node = st.builds(
    _NodeShape,
    cpu=st.one_of(st.none(), st.sampled_from([1000, 2000, 3500, 4000])),
    memory=st.one_of(st.none(), st.sampled_from([1024, 1536, 4096, 8192])),
    pods=st.sampled_from([2, 3, 110]),
    zone=st.sampled_from(["a", "b"]),
    taint=st.sampled_from([None, None, "NoSchedule"]),
    gpus=st.sampled_from([0, 1, 2]),
    bound=st.sampled_from([None, "both"]),
)
_clean_pods = st.builds(
    _PodShape,
    cpu=st.sampled_from([None, "0", "50m", "250m", "333m", "1", "1500m"]),
    memory=st.sampled_from([None, "0", "64Mi", "200Mi", "300Mi", "1000Mi", "2Gi"]),
    count=st.integers(1, 5),
    priority=st.sampled_from([0, 0, 5]),
    gpu=st.booleans(),
    rule=st.sampled_from(["plain", "plain", "tolerates", "limits", "sidecar"]),
)


@_SETTINGS
@given(
    nodes=st.lists(_clean_node, min_size=1, max_size=6),
    pods=st.lists(_clean_pods, min_size=1, max_size=5),
)
def test_the_vectorised_path_runs_and_agrees_where_it_applies(
    nodes: list[_NodeShape], pods: list[_PodShape]
):
    # Only resources (explicit zeros, containers without requests, requests given as limits,
    # extended resources), NoSchedule taints and tolerations, bound pods requesting both
    # resources: every such input takes the fast path.
    # A bound pod only where it fits: on an over-committed node the load is capped.
    nodes = [
        n
        if (n.cpu or 0) >= 100 and (n.memory or 0) >= 256
        else _NodeShape(n.cpu, n.memory, n.pods, n.zone, n.taint, n.gpus, None)
        for n in nodes
    ]
    inp = _cluster(nodes, pods)
    assert vectorised_scheduler_applies(inp)
    spy = _Spy(module.simulate_kube_scheduler)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "simulate_kube_scheduler", spy)
        got = heuristic_runs(inp)
    assert spy.calls == len(STRATEGIES)  # every strategy, RequestedToCapacityRatio included
    _assert_same_runs(got, _manifest_path(inp))


# ----------------------------------------------------------------------- when it does not apply


def _fleet(**node_kw: Any) -> list[dict[str, Any]]:
    return [node(f"n{k}", cpu="4", memory="8Gi", **node_kw) for k in range(3)]


def _runs_with_spy(inp: PlacementInput) -> tuple[list[HeuristicRun], int]:
    spy = _Spy(module.simulate_kube_scheduler)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "simulate_kube_scheduler", spy)
        runs = heuristic_runs(inp)
    return runs, spy.calls


def test_plain_deployments_take_the_vectorised_path():
    inp = build(*_fleet(), deployment("web", 5, cpu="1", memory="1Gi"))
    runs, calls = _runs_with_spy(inp)
    assert calls == len(STRATEGIES)
    # LeastAllocated spreads five 1-cpu pods over three 4-cpu nodes; MostAllocated packs them.
    by_name = {r.name: r for r in runs}
    assert by_name["kube-scheduler"].nodes_used == 3
    assert by_name["kube-scheduler-most-allocated"].nodes_used == 2
    _assert_same_runs(runs, _manifest_path(inp))


def test_inter_pod_anti_affinity_keeps_the_manifest_path():
    inp = build(*_fleet(), deployment("web", 3, affinity=anti_affinity("web", HOST)))
    assert not vectorised_scheduler_applies(inp)
    runs, calls = _runs_with_spy(inp)
    assert calls == 0
    placement = next(r for r in runs if r.name == "kube-scheduler").placement
    assert sorted(placement.values()) == ["n0", "n1", "n2"]  # one per node


def test_a_prefer_no_schedule_taint_keeps_the_manifest_path():
    taint = {"key": "spot", "value": "true", "effect": "PreferNoSchedule"}
    nodes = _fleet()
    nodes[0]["spec"]["taints"] = [taint]
    inp = build(*nodes, deployment("web", 2, cpu="1", memory="1Gi"))
    assert not vectorised_scheduler_applies(inp)
    runs, calls = _runs_with_spy(inp)
    assert calls == 0
    # MostAllocated would pack both on n0 (lowest name) but TaintToleration x3 steers away.
    most = next(r for r in runs if r.name == "kube-scheduler-most-allocated")
    assert set(most.placement.values()) == {"n1"}


@pytest.mark.parametrize(
    ("case", "body"),
    [
        (
            "a container without requests beside one with requests",
            make_pod("p", containers=[ctr("a", requests(cpu="3", memory="1Gi")), ctr("b")]),
        ),
        ("an explicit zero cpu request", make_pod("p", resources=requests(cpu="0"))),
        ("an explicit zero memory request", make_pod("p", resources=requests(memory="0"))),
    ],
)
def test_scoring_requests_other_than_the_demand_take_the_fast_path_and_agree(
    case: str, body: dict[str, Any]
):
    # n0 is half full, n1 a quarter and n2 empty: the scores depend on what the pod is
    # scored with, and the runs agree only if the simulation is told.
    bound = [
        make_pod("half", node="n0", resources=requests(cpu="2", memory="4Gi")),
        make_pod("quarter", node="n1", resources=requests(cpu="1", memory="512Mi")),
    ]
    inp = build(*_fleet(), *bound, body)
    assert vectorised_scheduler_applies(inp), case
    runs, calls = _runs_with_spy(inp)
    assert calls == len(STRATEGIES)
    _assert_same_runs(runs, _manifest_path(inp))


def test_preferred_node_affinity_keeps_the_manifest_path():
    term = {"key": HOST, "operator": "In", "values": ["n2"]}
    preferred = [{"weight": 1, "preference": {"matchExpressions": [term]}}]
    body = make_pod(
        "p",
        resources=requests(cpu="1"),
        affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": preferred}},
    )
    inp = build(*_fleet(), body)
    assert not vectorised_scheduler_applies(inp)
    runs, calls = _runs_with_spy(inp)
    assert calls == 0
    # NodeAffinity x2 outweighs LeastAllocated's tie-break to n0.
    assert runs[0].placement == {"p": "n2"}


def test_pod_level_requests_keep_the_manifest_path():
    # Scored with 100Mi + 200Mi of memory (the second container's default), while
    # NonZeroRequested adds 100Mi: with pod-level requests only a resource nobody requests
    # gets the default.
    body = make_pod("p", containers=[ctr("a", requests(memory="100Mi")), ctr("b")])
    body["spec"]["resources"] = {"requests": {"cpu": "1"}}
    inp = build(*_fleet(), body)
    assert not vectorised_scheduler_applies(inp)


def test_a_bound_pod_without_a_memory_request_keeps_the_manifest_path():
    # Its NonZeroRequested memory is 200Mi but its load is 0: the simulation would score it 0.
    bound = make_pod("old", node="n1", resources=requests(cpu="500m"))
    inp = build(*_fleet(), bound, deployment("web", 2))
    assert not vectorised_scheduler_applies(inp)
    assert _runs_with_spy(inp)[1] == 0


def test_an_over_committed_node_keeps_the_manifest_path():
    # The load is capped at allocatable, while the scores read the bound pods' full requests.
    bound = make_pod("big", node="n0", resources=requests(cpu="6", memory="1Gi"))
    inp = build(*_fleet(), bound, deployment("web", 2))
    assert not vectorised_scheduler_applies(inp)


def test_not_a_placement_input_raises_input_error():
    with pytest.raises(InputError) as err:
        vectorised_scheduler_applies("nodes.yaml")  # type: ignore[arg-type]
    assert err.value.path == "inp"
