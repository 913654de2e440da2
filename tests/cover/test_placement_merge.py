"""Identical pod groups solve as one: a trace's standalone Pods, one group each."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.placement import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    SolveOptions,
    Status,
    check_placement,
    solve,
)
from tests.helpers.placement import brute_force_value


def _problem(groups: list[ItemGroup], objective: Objective = Objective.NODES) -> PackingProblem:
    types = (NodeType("small", (4, 8), 3), NodeType("big", (8, 16), 2, cost=3))
    return PackingProblem(("cpu", "memory"), tuple(groups), types, objective)


def test_identical_groups_merge_and_items_keep_their_origin():
    problem = _problem(
        [
            ItemGroup("Pod/a", (1, 2)),
            ItemGroup("Pod/b", (2, 2)),
            ItemGroup("Pod/c", (1, 2), 2),
            ItemGroup("Pod/d", (1, 2), priority=5),  # another priority: its own group
            ItemGroup("Pod/e", (1, 2), max_per_node=1),  # a limit of its own: never merged
            ItemGroup("Pod/f", (1, 2), allowed_node_types=frozenset({"big"})),
        ]
    )
    merged, origin = problem.merged()
    assert [(g.name, g.count) for g in merged.groups] == [
        ("Pod/a (+1 alike)", 3),
        ("Pod/b", 1),
        ("Pod/d", 1),
        ("Pod/e", 1),
        ("Pod/f", 1),
    ]
    # Items of the original problem: a=0, b=1, c=2,3, d=4, e=5, f=6.
    assert origin == (0, 2, 3, 1, 4, 5, 6)
    assert merged.node_types == problem.node_types


def test_a_problem_without_identical_groups_is_returned_as_is():
    problem = _problem([ItemGroup("Pod/a", (1, 2)), ItemGroup("Pod/b", (2, 2))])
    merged, origin = problem.merged()
    assert merged is problem
    assert origin == (0, 1)


def test_solving_merged_pods_places_every_original_pod():
    groups = [ItemGroup(f"Pod/p{k}", (1 + k % 3, 2 + 2 * (k % 2))) for k in range(12)]
    problem = _problem(groups)
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.status is Status.OPTIMAL
    assert sorted(result.placement) == list(range(problem.n_items))
    assert check_placement(problem, result.placement) == []


pods = st.lists(
    st.tuples(st.integers(1, 4), st.integers(1, 8), st.integers(0, 1)), min_size=1, max_size=5
)


@settings(max_examples=25, deadline=None)
@given(pods, st.sampled_from([Objective.NODES, Objective.COST]))
def test_merged_solve_is_optimal_for_the_original_pods(shapes, objective):
    groups = [ItemGroup(f"Pod/p{k}", (c, m), priority=p) for k, (c, m, p) in enumerate(shapes)]
    problem = _problem(groups, objective)
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert check_placement(problem, result.placement) == []
    assert result.status is Status.OPTIMAL
    assert result.value == brute_force_value(problem)
