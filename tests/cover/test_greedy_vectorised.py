"""greedy_pack on many nodes tests a pod against every open node at once: the same packings."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.placement import (
    FitRule,
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    check_placement,
    greedy_pack,
)
from kmodel.placement.engine import heuristics
from kmodel.placement.engine.heuristics import item_order, node_order

groups = st.lists(
    st.tuples(
        st.tuples(st.integers(0, 9), st.integers(0, 9)),  # demand
        st.integers(1, 6),  # count
        st.sampled_from([None, "small", "big"]),  # allowed node type
    ),
    min_size=1,
    max_size=6,
)


def _problem(shapes, preloaded: bool) -> PackingProblem:
    return PackingProblem(
        ("cpu", "memory"),
        tuple(
            ItemGroup(
                f"g{k}",
                demand,
                count,
                allowed_node_types=None if allowed is None else frozenset({allowed}),
            )
            for k, (demand, count, allowed) in enumerate(shapes)
        ),
        (
            NodeType("small", (10, 12), 5, load=(4, 2) if preloaded else None),
            NodeType("big", (16, 9), 4),
        ),
        Objective.NODES,
    )


@settings(max_examples=120, deadline=None)
@given(groups, st.booleans(), st.sampled_from(list(FitRule)), st.integers(0, 2**16))
def test_vectorised_greedy_packs_exactly_as_the_loop(shapes, preloaded, rule, seed):
    problem = _problem(shapes, preloaded)
    rng = random.Random(seed)  # noqa: S311 - a seeded test order, not secrets
    items = item_order(problem, rng=rng, noise=0.3)
    nodes = node_order(problem)
    rng.shuffle(nodes)
    looped = greedy_pack(problem, items=items, nodes=nodes, rule=rule)
    vectorised = heuristics._greedy_pack_vectorised(problem, items, nodes, rule, "")
    assert vectorised == looped
    assert check_placement(problem, vectorised.placement) == []


def test_many_nodes_take_the_vectorised_path(monkeypatch: pytest.MonkeyPatch):
    calls = []
    real = heuristics._greedy_pack_vectorised

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(heuristics, "_greedy_pack_vectorised", spy)
    problem = PackingProblem(
        ("cpu",),
        (ItemGroup("g", (3,), 40),),
        (NodeType("n", (10,), heuristics.VECTORISED_NODES),),
        Objective.NODES,
    )
    packing = greedy_pack(problem)
    assert calls
    assert packing.nodes_used == 14  # three pods a node
