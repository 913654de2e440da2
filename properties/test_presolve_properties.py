"""Presolve never changes an answer: checked against brute force on tiny instances."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.placement import ItemGroup, NodeType, Objective, PackingProblem, SolveOptions, solve
from kmodel.placement.engine.presolve import presolve
from kmodel.placement.engine.problem import DomainCap, check_placement
from tests.helpers.placement import brute_force_value

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def kubernetes_shaped(draw):
    """Up to 4 pods, up to 3 nodes in 1-3 types; cpu, memory and a pod count, often ample."""
    n_types = draw(st.integers(1, 3))
    types = []
    nodes_left = 3
    for t in range(n_types):
        count = draw(st.integers(1 if t == 0 else 0, max(1, nodes_left - (n_types - 1 - t))))
        nodes_left = max(0, nodes_left - count)
        capacity = (
            draw(st.integers(2, 10)),
            draw(st.sampled_from([3, 6, 1000])),  # memory: tight or ample
            draw(st.sampled_from([1, 2, 110])),  # the pod count: binding or not
        )
        load = draw(
            st.none()
            | st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 1)).filter(
                lambda w, c=capacity: all(x <= y for x, y in zip(w, c, strict=True))
            )
        )
        types.append(
            NodeType(
                name=f"t{t}",
                capacity=capacity,
                count=count,
                cost=draw(st.integers(1, 3)),
                load=load,
            )
        )
    names = [t.name for t in types]
    groups = []
    items_left = 4
    for g in range(draw(st.integers(1, 3))):
        if not items_left:
            break
        count = draw(st.integers(1, items_left))
        items_left -= count
        allowed = draw(st.none() | st.frozensets(st.sampled_from(names), min_size=1))
        caps = ()
        if len(names) > 1 and draw(st.booleans()):
            caps = (DomainCap(domains=(frozenset(names[:1]), frozenset(names[1:])), limit=1),)
        groups.append(
            ItemGroup(
                name=f"g{g}",
                demand=(draw(st.integers(0, 6)), draw(st.integers(0, 4)), 1),
                count=count,
                allowed_node_types=allowed,
                max_per_node=draw(st.none() | st.just(1)),
                domain_caps=caps,
            )
        )
    return PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=tuple(groups),
        node_types=tuple(types),
        objective=draw(st.sampled_from([Objective.NODES, Objective.COST])),
    )


@SETTINGS
@given(kubernetes_shaped())
def test_every_packing_of_the_reduced_problem_is_one_of_the_original(problem):
    reduced = presolve(problem)
    small = reduced.problem
    if not small.n_items:
        return
    for nodes in itertools.product(range(small.n_nodes), repeat=small.n_items):
        placement = dict(enumerate(nodes))
        if check_placement(small, placement):
            continue
        mapped = {reduced.item_origin[i]: reduced.node_origin[b] for i, b in placement.items()}
        assert not check_placement(problem, mapped), (placement, reduced.describe())


@SETTINGS
@given(kubernetes_shaped())
def test_the_reduced_problem_has_the_original_optimum(problem):
    reduced = presolve(problem)
    optimum = brute_force_value(problem)
    if reduced.unplaceable:
        assert optimum is None
        return
    assert brute_force_value(reduced.problem) == optimum


@SETTINGS
@given(kubernetes_shaped())
def test_solve_with_presolve_equals_brute_force_on_the_unreduced_problem(problem):
    result = solve(problem, options=SolveOptions(time_limit=5))
    optimum = brute_force_value(problem)
    assert not check_placement(problem, result.placement)
    if optimum is None:
        assert result.status.value == "infeasible"
        return
    assert result.optimal, result
    assert result.value == optimum
