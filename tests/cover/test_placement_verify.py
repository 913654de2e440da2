import pytest

from kmodel.errors import InputError
from kmodel.placement.verify import describe_amount, verify_placement
from tests.helpers.placement import ZONE, anti_affinity, build, deployment, make_pod, node


def test_a_valid_placement_has_no_violation():
    inp = build(node("n1", cpu="2"), node("n2", cpu="2"), deployment("web", 3))
    assert verify_placement(inp, {"web-0": "n1", "web-1": "n1", "web-2": "n2"}) == []


def test_capacity_counts_the_bound_pods():
    bound = make_pod("old", node="n1", resources={"requests": {"cpu": "1"}})
    inp = build(node("n1", cpu="2"), bound, deployment("web", 2))
    assert verify_placement(inp, {"web-0": "n1"}) == []
    (problem,) = verify_placement(inp, {"web-0": "n1", "web-1": "n1"})
    assert problem.startswith("violated: node n1 has 1 cpu free (2 cpu allocatable, 1 cpu used")


def test_ineligible_node_is_reported_with_the_filter_reason():
    inp = build(node("a1"), node("b1", zone="b"), deployment("web", 1, nodeSelector={ZONE: "a"}))
    assert verify_placement(inp, {"web-0": "b1"}) == [
        (
            "violated: Deployment/web cannot run on b1: "
            "node(s) didn't match Pod's node affinity/selector"
        )
    ]


def test_anti_affinity_per_node_and_per_zone():
    inp = build(
        node("a1"),
        node("a2"),
        node("b1", zone="b"),
        deployment("api", 2, cpu="100m", affinity=anti_affinity("api")),
        deployment("db", 2, cpu="100m", affinity=anti_affinity("db", ZONE)),
    )
    ok = {"api-0": "a1", "api-1": "a2", "db-0": "a1", "db-1": "b1"}
    assert verify_placement(inp, ok) == []
    same_node = {**ok, "api-1": "a1"}
    assert verify_placement(inp, same_node) == [
        "violated: Deployment/api: at most 1 per node (required pod anti-affinity)"
    ]
    same_zone = {**ok, "db-1": "a2"}
    assert verify_placement(inp, same_zone) == [
        f"violated: Deployment/db: at most 1 per {ZONE} value (required pod anti-affinity)"
    ]


def test_topology_spread_skew():
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    inp = build(
        node("a1"),
        node("b1", zone="b"),
        deployment("web", 3, cpu="100m", topologySpreadConstraints=spread),
    )
    assert verify_placement(inp, {"web-0": "a1", "web-1": "b1", "web-2": "a1"}) == []
    (problem,) = verify_placement(inp, {"web-0": "a1", "web-1": "a1", "web-2": "a1"})
    assert "spread over topology.kubernetes.io/zone with maxSkew 1" in problem


def test_unknown_pods_and_nodes_are_violations_and_bad_types_input_errors():
    inp = build(node("n1"), deployment("web", 1))
    assert verify_placement(inp, {"ghost": "n1", "web-0": "n9"}) == [
        "pod ghost is not one of the pods to place",
        "pod web-0 is placed on node n9, which does not exist",
    ]
    with pytest.raises(InputError):
        verify_placement(inp, [("web-0", "n1")])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dimension", "amount", "words"),
    [
        ("cpu", 3920, "3.92 cpu"),
        ("cpu", 4000, "4 cpu"),
        ("memory", 14 * 2**30, "14Gi memory"),
        ("memory", 512 * 2**20, "512Mi memory"),
        ("pods", 1, "1 pod"),
        ("memory", 1000, "1000 memory"),
    ],
)
def test_amounts_in_words(dimension, amount, words):
    assert describe_amount(dimension, amount) == words
