import pytest

from kmodel.errors import InputError
from kmodel.objects.manifests import load_text
from kmodel.placement.manifests import placement_input
from tests.helpers.placement import (
    ZONE,
    anti_affinity,
    as_yaml,
    build,
    deployment,
    make_pod,
    node,
    requests,
)


def test_deployment_replicas_become_pods_minus_the_ones_already_there():
    running = make_pod("web-abc", node="n1", labels={"app": "web"}, resources=requests(cpu="1"))
    inp = build(node("n1"), deployment("web", 3), running)
    (group,) = inp.groups
    # replicas 3, one matching pod already bound: two to place.
    assert group.pods == ("web-0", "web-1")
    assert inp.nodes[0].bound == ("web-abc",)
    assert inp.nodes[0].load[:3] == (1000, 0, 1)


def test_replicaset_owned_by_a_deployment_in_the_input_is_left_to_it():
    rs = deployment("web", 2)
    rs["kind"] = "ReplicaSet"
    rs["metadata"]["name"] = "web-5d4f"
    rs["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": "u",
            "controller": True,
        }
    ]
    inp = build(node("n1"), deployment("web", 2), rs)
    assert [g.name for g in inp.groups] == ["Deployment/web"]


def test_unbound_pods_are_placed_and_terminal_pods_ignored():
    pending = make_pod("job", resources=requests(cpu="500m"))
    done = make_pod("old", phase="Succeeded", resources=requests(cpu="3"))
    inp = build(node("n1"), pending, done)
    assert inp.pod_names == ["job"]
    assert inp.groups[0].demand[:3] == (500, 0, 1)


def test_dimensions_add_requested_extended_resources_and_node_without_them_has_zero():
    gpu_pod = make_pod(
        "train",
        resources={
            "requests": {"cpu": "1", "nvidia.com/gpu": "1"},
            "limits": {"nvidia.com/gpu": "1"},
        },
    )
    inp = build(node("plain"), node("gpu", extra={"nvidia.com/gpu": "2"}), gpu_pod)
    assert inp.dimensions == ("cpu", "memory", "pods", "nvidia.com/gpu")
    caps = {n.name: n.capacity[3] for n in inp.nodes}
    assert caps == {"gpu": 2, "plain": 0}


def test_eligibility_comes_from_the_filter_plugins_with_their_reasons():
    tainted = node("t", taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    inp = build(
        node("ok"), tainted, node("other", zone="b"), deployment("web", 1, nodeSelector={ZONE: "a"})
    )
    group = inp.groups[0]
    assert group.eligible == {"ok"}
    assert group.reasons["t"] == ("node(s) had untolerated taint {dedicated: db}",)
    assert group.reasons["other"] == ("node(s) didn't match Pod's node affinity/selector",)


def test_a_full_node_is_still_eligible_the_packer_handles_room():
    full = node("n1", pods=1)
    inp = build(full, make_pod("x", node="n1"), deployment("web", 1))
    assert inp.groups[0].eligible == {"n1"}
    assert inp.nodes[0].capacity[2] - inp.nodes[0].load[2] == 0


def test_anti_affinity_on_hostname_is_a_per_node_limit_and_on_zone_a_domain_limit():
    inp = build(
        node("a1"),
        node("a2"),
        node("b1", zone="b"),
        deployment("api", 2, affinity=anti_affinity("api")),
        deployment("db", 2, affinity=anti_affinity("db", ZONE)),
    )
    api, db = inp.groups
    assert api.max_per_node == 1
    assert db.max_per_node is None
    (limit,) = db.limits
    assert (limit.kind, limit.topology_key, limit.limit) == ("anti-affinity", ZONE, 1)
    assert dict(limit.domains) == {"a": ("a1", "a2"), "b": ("b1",)}


def test_spread_constraint_excludes_nodes_without_the_key_and_counts_bound_pods():
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": ZONE,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    unlabelled = node("bare")
    del unlabelled["metadata"]["labels"][ZONE]
    bound = make_pod("web-old", node="a1", labels={"app": "web"})
    inp = build(
        node("a1"),
        node("b1", zone="b"),
        unlabelled,
        bound,
        deployment("web", 3, topologySpreadConstraints=spread),
    )
    group = inp.groups[0]
    assert "bare" not in group.eligible
    assert "missing required label" in group.reasons["bare"][0]
    (limit,) = group.limits
    assert dict(limit.existing) == {"a": 1, "b": 0}


def test_price_annotation_and_priority():
    urgent = make_pod("urgent", priority=1000)
    critical = make_pod("crit", priorityClassName="system-node-critical")
    inp = build(node("n1", price=42), node("n2"), urgent, critical)
    assert {n.name: n.price for n in inp.nodes} == {"n1": 42, "n2": 1}
    assert {g.name: g.priority for g in inp.groups} == {"Pod/urgent": 1000, "Pod/crit": 2000001000}


def test_bad_price_is_an_input_error_naming_file_document_and_path():
    with pytest.raises(InputError) as caught:
        build(
            node("n0"),
            node("n1", price=1)
            | {"metadata": {"name": "n1", "annotations": {"kmodel.dev/price": "cheap"}}},
        )
    error = caught.value
    assert (error.file, error.document) == ("test.yaml", 1)
    assert error.path == "metadata.annotations[kmodel.dev/price]"


def test_no_node_is_an_input_error():
    with pytest.raises(InputError, match="no Node"):
        placement_input(load_text(as_yaml(deployment("web", 1)), file="x.yaml"))


def test_identical_nodes_share_a_type_and_decode_maps_back_to_names():
    inp = build(node("n1"), node("n2"), node("big", cpu="8"), deployment("web", 3, cpu="3"))
    problem = inp.problem()
    assert sorted(t.count for t in problem.node_types) == [1, 2]
    order = inp.node_order()
    assert sorted(order) == ["big", "n1", "n2"]
    assert inp.decode({0: 0, 2: 2}) == {"web-0": order[0], "web-2": order[2]}


def _verdicts(inp):
    return [(g.name, sorted(g.eligible), sorted(g.reasons.items())) for g in inp.groups]


def test_nodes_of_one_shape_share_the_filter_verdict_only_where_nothing_tells_them_apart(
    monkeypatch,
):
    from kmodel.placement import manifests  # noqa: PLC0415

    taint = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    nodes = [
        *(node(f"a{k}") for k in range(4)),
        *(node(f"b{k}", zone="b") for k in range(3)),
        node("t0", taints=taint),
        node("t1", taints=taint),
        node("off", unschedulable=True),
        node("odd", labels={"kubernetes.io/hostname": "not-odd"}),
    ]
    occupant = make_pod(
        "db-0",
        node="a1",
        labels={"app": "db"},
        affinity=anti_affinity("web"),
        resources=requests(cpu="1"),
    )
    web = deployment("web", 3)
    web["spec"]["template"]["metadata"]["labels"] = {"app": "web"}
    pinned = deployment("pinned", 1, nodeSelector={"kubernetes.io/hostname": "a2"})
    zoned = deployment("zoned", 2, nodeSelector={ZONE: "b"})
    tolerant = deployment("tolerant", 2, tolerations=[{"key": "dedicated", "operator": "Exists"}])
    near_db = deployment(
        "near-db",
        1,
        affinity={
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": ZONE}
                ]
            }
        },
    )
    objects = (*nodes, occupant, web, pinned, zoned, tolerant, near_db)
    by_class = build(*objects)
    classes = manifests._node_classes(nodes, [occupant])
    # The four a-nodes but the occupied one share a class; tainted, unschedulable and a node
    # whose hostname is not its name stand apart.
    assert classes == [0, 1, 0, 0, 4, 4, 4, 7, 7, 9, 10]
    monkeypatch.setattr(manifests, "_node_classes", lambda bodies, _: list(range(len(bodies))))
    one_by_one = build(*objects)
    assert _verdicts(by_class) == _verdicts(one_by_one)
    eligible = {g.name.rpartition("/")[2]: g.eligible for g in by_class.groups}
    assert eligible["pinned"] == {"a2"}
    assert "a1" not in eligible["web"]
    assert {"t0", "t1"} <= eligible["tolerant"]


def test_a_node_with_capacity_only_has_its_capacity_as_allocatable():
    # The API server stores such a Node with allocatable = capacity (SetDefaults_NodeStatus).
    bare = node("n1")
    bare["status"] = {"capacity": bare["status"]["allocatable"]}
    inp = build(bare, make_pod("job", resources=requests(cpu="500m")))
    assert inp.nodes[0].capacity[:3] == (4000, 10 * 2**30, 110)
