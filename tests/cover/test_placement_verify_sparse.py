"""verify_placement models only the pairs a placement uses: same verdicts, fewer variables."""

from __future__ import annotations

import itertools

import pytest
import z3

from kmodel.errors import InputError
from kmodel.placement.manifests import PlacementInput
from kmodel.placement.verify import constraint_model, verify_placement
from tests.helpers.placement import ZONE, anti_affinity, build, deployment, node


def _full_model_verdict(inp: PlacementInput, placement: dict[str, str]) -> list[str]:
    """The verdict of the model over every (group, node) pair, zeros substituted."""
    model = constraint_model(inp)
    group_of = inp.group_of_pod()
    counts: dict[tuple[int, str], int] = {}
    for pod, node_name in placement.items():
        key = (group_of[pod], node_name)
        counts[key] = counts.get(key, 0) + 1
    substitution = [(v, z3.IntVal(counts.get(k, 0))) for k, v in model.counts.items()]
    return [
        f"violated: {rule.words}"
        for rule in model.rules
        if rule.kind != "demand"
        and not z3.is_true(z3.simplify(z3.substitute(rule.formula, *substitution)))
    ]


def test_every_placement_of_a_small_cluster_gets_the_full_models_verdict():
    inp = build(
        node("n0", zone="a", cpu="2", memory="4Gi"),
        node("n1", zone="a", cpu="2", memory="4Gi"),
        node("n2", zone="b", cpu="1", memory="4Gi", taints=[{"key": "k", "effect": "NoSchedule"}]),
        deployment("web", 2, cpu="1", memory="1Gi", affinity=anti_affinity("web", ZONE)),
        deployment("db", 1, cpu="1500m", memory="1Gi"),
    )
    pods = inp.pod_names
    names = [n.name for n in inp.nodes]
    verdicts = set()
    for choice in itertools.product([None, *names], repeat=len(pods)):
        placement = {p: n for p, n in zip(pods, choice, strict=True) if n is not None}
        got = verify_placement(inp, placement)
        assert got == _full_model_verdict(inp, placement)
        verdicts.add(len(got))
    assert len(verdicts) > 2  # some placements break several rules, some none


def test_only_the_pairs_asked_for_become_variables():
    inp = build(node("n0"), node("n1"), deployment("web", 3))
    model = constraint_model(inp, pairs=[(0, "n1")])
    assert list(model.counts) == [(0, "n1")]
    assert len(constraint_model(inp).counts) == 2


@pytest.mark.parametrize("pairs", [[(1, "n0")], [(0, "n9")], [("0", "n0")], "n0"])
def test_unknown_pairs_raise_input_error(pairs: object):
    inp = build(node("n0"), deployment("web", 1))
    with pytest.raises(InputError) as err:
        constraint_model(inp, pairs=pairs)  # type: ignore[arg-type]
    assert err.value.path == "pairs"
