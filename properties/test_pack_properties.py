"""Properties of kmodel pack: optimum vs heuristics, the verifier, and brute force."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.placement.engine.problem import Status
from kmodel.placement.engine.solve import SolveOptions, solve
from kmodel.placement.kube_scheduler import heuristic_runs
from kmodel.placement.verify import verify_placement
from tests.helpers.placement import anti_affinity, build, deployment, node


@st.composite
def clusters(draw):
    n_nodes = draw(st.integers(1, 3))
    nodes = [
        node(f"n{k}", cpu=str(draw(st.integers(1, 4))), zone=draw(st.sampled_from("ab")))
        for k in range(n_nodes)
    ]
    workloads = []
    for k in range(draw(st.integers(1, 2))):
        spec = {}
        if draw(st.booleans()):
            spec["affinity"] = anti_affinity(f"app{k}")
        cpu = f"{draw(st.integers(1, 8)) * 250}m"
        workloads.append(
            deployment(f"app{k}", draw(st.integers(1, 3)), cpu=cpu, memory="64Mi", **spec)
        )
    return build(*nodes, *workloads)


def brute_force_nodes(inp):
    """Fewest nodes over every assignment that passes a plain-Python check (None: none fits)."""
    pods = inp.pod_names
    group_of = inp.group_of_pod()
    names = [n.name for n in inp.nodes]
    best = None
    for choice in itertools.product(names, repeat=len(pods)):
        load = {n.name: list(n.load) for n in inp.nodes}
        per_group = {}
        ok = True
        for pod, where in zip(pods, choice, strict=True):
            group = inp.groups[group_of[pod]]
            if where not in group.eligible:
                ok = False
                break
            per_group[group.name, where] = per_group.get((group.name, where), 0) + 1
            if group.max_per_node is not None and per_group[group.name, where] > group.max_per_node:
                ok = False
                break
            load[where] = [u + d for u, d in zip(load[where], group.demand, strict=True)]
        if not ok:
            continue
        node = {n.name: n for n in inp.nodes}
        if any(
            u > c
            for name, used in load.items()
            for u, c in zip(used, node[name].capacity, strict=True)
        ):
            continue
        used_nodes = len(set(choice) | {n.name for n in inp.nodes if n.bound})
        best = used_nodes if best is None else min(best, used_nodes)
    return best


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(clusters())
def test_optimum_never_worse_than_a_heuristic_and_every_placement_verifies(inp):
    result = solve(inp.problem(), options=SolveOptions(time_limit=5))
    placement = inp.decode(result.placement)
    assert verify_placement(inp, placement) == []
    for run in heuristic_runs(inp):
        assert verify_placement(inp, run.placement) == []
        if result.status is Status.OPTIMAL and not run.unplaced:
            assert result.nodes_used <= run.nodes_used


@SETTINGS
@given(clusters())
def test_optimum_equals_brute_force_on_tiny_instances(inp):
    result = solve(inp.problem(), options=SolveOptions(time_limit=5))
    expected = brute_force_nodes(inp)
    if expected is None:
        assert result.status is Status.INFEASIBLE or result.unplaced
    else:
        assert result.status is Status.OPTIMAL
        assert result.nodes_used == expected
