import pytest

from kmodel.errors import InputError
from kmodel.objects.manifests import load_manifests
from kmodel.placement.explain import explain
from kmodel.placement.manifests import placement_input
from tests.helpers.paths import ROOT
from tests.helpers.placement import anti_affinity, build, deployment, node

SPECS = ROOT / "specs" / "placement"


def test_the_unplaceable_example_names_cpu_zone_pin_and_the_zone_a_nodes():
    inp = placement_input(load_manifests(SPECS / "unplaceable.yaml"))
    result = explain(inp)
    assert result.status == "conflict"
    assert result.groups == ("Deployment/postgres",)
    assert result.constraints == (
        "Deployment/postgres needs 1 pod placed, each requesting 6 cpu, 8Gi memory",
        "Deployment/postgres cannot run on b-1, b-2: node(s) had no available volume zone",
        "node a-1 has 4 cpu free (4 cpu allocatable)",
        "node a-2 has 4 cpu free (4 cpu allocatable)",
        "node a-3 has 4 cpu free (4 cpu allocatable)",
    )


def test_anti_affinity_conflict_needs_no_capacity_constraint():
    inp = build(
        node("n1"), node("n2"), deployment("api", 3, cpu="100m", affinity=anti_affinity("api"))
    )
    result = explain(inp)
    assert result.status == "conflict"
    assert result.constraints == (
        "Deployment/api needs 3 pods placed, each requesting 0.1 cpu, 1Gi memory",
        "Deployment/api: at most 1 per node (required pod anti-affinity)",
    )


def test_total_capacity_conflict_involves_both_groups():
    inp = build(node("n1", cpu="2"), deployment("a", 1, cpu="1500m"), deployment("b", 1, cpu="1"))
    result = explain(inp)
    assert result.status == "conflict"
    assert set(result.groups) == {"Deployment/a", "Deployment/b"}
    assert "node n1 has 2 cpu free (2 cpu allocatable)" in result.constraints


def test_placeable_input_has_nothing_to_explain():
    inp = build(node("n1"), deployment("web", 2))
    assert explain(inp).status == "placeable"


def test_bad_timeout_is_an_input_error():
    inp = build(node("n1"), deployment("web", 1))
    with pytest.raises(InputError, match="positive"):
        explain(inp, timeout=0)
