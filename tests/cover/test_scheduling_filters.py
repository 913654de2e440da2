"""The other default-profile filters and the filter pipeline."""

from __future__ import annotations

import pytest

from kmodel.errors import InputError
from kmodel.semantics.scheduling import (
    filter_failures,
    inter_pod_affinity_failures,
    node_affinity_failures,
    node_name_failures,
    node_ports_failures,
    node_unschedulable_failures,
    pod_topology_spread_failures,
    taint_toleration_failures,
    volume_binding_failures,
    volume_zone_failures,
)
from tests.helpers.scheduling import ctr, make_node, make_pod, requests

AFFINITY_REASON = "node(s) didn't match Pod's node affinity/selector"
ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def required(*terms: dict) -> dict:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}
        }
    }


def expr(key: str, operator: str, *values: str) -> dict:
    item: dict = {"key": key, "operator": operator}
    if values:
        item["values"] = list(values)
    return item


# ----------------------------------------------------------------- NodeAffinity


def test_node_selector_needs_every_label():
    node = make_node("n", labels={"disk": "ssd", "zone": "a"})
    assert node_affinity_failures(make_pod("p", nodeSelector={"disk": "ssd"}), node) == []
    assert node_affinity_failures(make_pod("p", nodeSelector={"disk": "hdd"}), node) == [
        AFFINITY_REASON
    ]
    assert node_affinity_failures(make_pod("p", nodeSelector={"gpu": "yes"}), node) == [
        AFFINITY_REASON
    ]


@pytest.mark.parametrize(
    ("requirement", "matches"),
    [
        (expr("zone", "In", "a", "b"), True),
        (expr("zone", "In", "c"), False),
        (expr("zone", "NotIn", "c"), True),
        (expr("zone", "NotIn", "a"), False),
        (expr("absent", "NotIn", "a"), True),
        (expr("zone", "Exists"), True),
        (expr("absent", "Exists"), False),
        (expr("absent", "DoesNotExist"), True),
        (expr("zone", "DoesNotExist"), False),
        (expr("cores", "Gt", "8"), True),
        (expr("cores", "Gt", "16"), False),
        (expr("cores", "Lt", "17"), True),
        (expr("cores", "Lt", "16"), False),
        (expr("zone", "Gt", "1"), False),  # label value is not an integer
        (expr("absent", "Lt", "100"), False),
        (expr("cores", "Gt", "x"), False),  # parse error: the term matches nothing
        (expr("zone", "In"), False),  # In with no values: parse error
        (expr("zone", "Exists", "a"), False),  # Exists with values: parse error
        (expr("zone", "Near", "a"), False),  # unknown operator
    ],
)
def test_match_expression_operators(requirement, matches):
    node = make_node("n", labels={"zone": "a", "cores": "16"})
    pod = make_pod("p", affinity=required({"matchExpressions": [requirement]}))
    assert node_affinity_failures(pod, node) == ([] if matches else [AFFINITY_REASON])


def test_terms_are_ored_and_expressions_anded():
    node = make_node("n", labels={"zone": "a", "disk": "ssd"})
    both = {"matchExpressions": [expr("zone", "In", "a"), expr("disk", "In", "hdd")]}
    other = {"matchExpressions": [expr("disk", "In", "ssd")]}
    assert node_affinity_failures(make_pod("p", affinity=required(both)), node) == [AFFINITY_REASON]
    assert node_affinity_failures(make_pod("p", affinity=required(both, other)), node) == []


def test_empty_terms_match_nothing():
    node = make_node("n", labels={"zone": "a"})
    assert node_affinity_failures(make_pod("p", affinity=required()), node) == [AFFINITY_REASON]
    assert node_affinity_failures(make_pod("p", affinity=required({})), node) == [AFFINITY_REASON]


def test_match_fields_metadata_name():
    node = make_node("n1")
    pick = {"matchFields": [expr("metadata.name", "In", "n1")]}
    avoid = {"matchFields": [expr("metadata.name", "NotIn", "n1")]}
    two_values = {"matchFields": [expr("metadata.name", "In", "n1", "n2")]}
    assert node_affinity_failures(make_pod("p", affinity=required(pick)), node) == []
    assert node_affinity_failures(make_pod("p", affinity=required(avoid)), node) == [
        AFFINITY_REASON
    ]
    assert node_affinity_failures(make_pod("p", affinity=required(two_values)), node) == [
        AFFINITY_REASON
    ]


def test_node_selector_and_affinity_both_apply():
    node = make_node("n", labels={"zone": "a"})
    pod = make_pod(
        "p",
        nodeSelector={"zone": "b"},
        affinity=required({"matchExpressions": [expr("zone", "In", "a")]}),
    )
    assert node_affinity_failures(pod, node) == [AFFINITY_REASON]


# ----------------------------------------------------------------- taints


def test_untolerated_no_schedule_and_no_execute_taints():
    taints = [
        {"key": "soft", "value": "x", "effect": "PreferNoSchedule"},
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "evict", "value": "", "effect": "NoExecute"},
    ]
    node = make_node("n", taints=taints)
    assert taint_toleration_failures(make_pod("p"), node) == [
        "node(s) had untolerated taint {dedicated: gpu}"
    ]
    tolerate_dedicated = [{"key": "dedicated", "operator": "Equal", "value": "gpu"}]
    assert taint_toleration_failures(make_pod("p", tolerations=tolerate_dedicated), node) == [
        "node(s) had untolerated taint {evict: }"
    ]
    both = [*tolerate_dedicated, {"key": "evict", "operator": "Exists", "effect": "NoExecute"}]
    # PreferNoSchedule is ignored by the filter.
    assert taint_toleration_failures(make_pod("p", tolerations=both), node) == []


@pytest.mark.parametrize(
    ("toleration", "tolerated"),
    [
        ({"operator": "Exists"}, True),  # empty key with Exists tolerates everything
        ({"key": "k", "operator": "Exists"}, True),
        ({"key": "k", "value": "v"}, True),  # empty operator means Equal
        ({"key": "k", "operator": "Equal", "value": "w"}, False),
        ({"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}, True),
        ({"key": "k", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"key": "other", "operator": "Exists"}, False),
        ({"key": "k", "operator": "Gt", "value": "1"}, False),  # alpha operator, gate off
    ],
)
def test_toleration_matching(toleration, tolerated):
    node = make_node("n", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])
    reasons = taint_toleration_failures(make_pod("p", tolerations=[toleration]), node)
    assert reasons == ([] if tolerated else ["node(s) had untolerated taint {k: v}"])


# ----------------------------------------------------------------- small filters


def test_node_unschedulable_and_its_toleration():
    node = make_node("n", unschedulable=True)
    assert node_unschedulable_failures(make_pod("p"), node) == ["node(s) were unschedulable"]
    tolerant = make_pod(
        "p", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]
    )
    assert node_unschedulable_failures(tolerant, node) == []


def test_node_name():
    assert node_name_failures(make_pod("p"), make_node("a")) == []
    assert node_name_failures(make_pod("p", node="a"), make_node("a")) == []
    assert node_name_failures(make_pod("p", node="b"), make_node("a")) == [
        "node(s) didn't match the requested node name"
    ]


def test_node_ports():
    def with_port(name, port, ip=None, protocol=None, node=None):
        spec: dict = {"containerPort": 80, "hostPort": port}
        if ip:
            spec["hostIP"] = ip
        if protocol:
            spec["protocol"] = protocol
        return make_pod(name, node=node, containers=[ctr("c", ports=[spec])])

    reason = ["node(s) didn't have free ports for the requested pod ports"]
    used = [with_port("e", 8080, ip="10.0.0.1", node="n")]
    assert node_ports_failures(with_port("p", 8080), used) == reason  # 0.0.0.0 checks every IP
    assert node_ports_failures(with_port("p", 8080, ip="10.0.0.2"), used) == []
    assert node_ports_failures(with_port("p", 8080, ip="10.0.0.1"), used) == reason
    assert node_ports_failures(with_port("p", 8080, protocol="UDP"), used) == []
    assert node_ports_failures(with_port("p", 9090), used) == []
    wildcard = [with_port("e", 8080, node="n")]
    assert node_ports_failures(with_port("p", 8080, ip="10.0.0.2"), wildcard) == reason


# ----------------------------------------------------------------- volumes


def pvc(name, *, volume=None, storage_class=None, namespace="default"):
    spec: dict = {}
    if volume:
        spec["volumeName"] = volume
    if storage_class:
        spec["storageClassName"] = storage_class
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def pv(name, labels=None, node_affinity=None):
    spec: dict = {}
    if node_affinity:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": node_affinity}}
    return {
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
    }


def storage_class(name, mode=None):
    body: dict = {"kind": "StorageClass", "metadata": {"name": name}}
    if mode:
        body["volumeBindingMode"] = mode
    return body


def claiming(*claims):
    return make_pod(
        "p", volumes=[{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims]
    )


def test_volume_zone():
    volumes = [pvc("data", volume="pv1"), pv("pv1", labels={ZONE: "a__b"})]
    reason = ["node(s) had no available volume zone"]
    assert volume_zone_failures(claiming("data"), make_node("n", labels={ZONE: "a"}), volumes) == []
    assert volume_zone_failures(claiming("data"), make_node("n", labels={ZONE: "b"}), volumes) == []
    assert (
        volume_zone_failures(claiming("data"), make_node("n", labels={ZONE: "c"}), volumes)
        == reason
    )
    # A node without any topology label accepts the volume (single-zone clusters).
    assert volume_zone_failures(claiming("data"), make_node("n"), volumes) == []
    # A node with only a region label lacks the zone: no match.
    region_only = make_node("n", labels={"topology.kubernetes.io/region": "r"})
    assert volume_zone_failures(claiming("data"), region_only, volumes) == reason


def test_volume_zone_beta_pv_label_matches_ga_node_label():
    volumes = [
        pvc("data", volume="pv1"),
        pv("pv1", labels={"failure-domain.beta.kubernetes.io/zone": "a"}),
    ]
    assert volume_zone_failures(claiming("data"), make_node("n", labels={ZONE: "a"}), volumes) == []


def test_volume_zone_unresolved_claims():
    node = make_node("n", labels={ZONE: "a"})
    assert volume_zone_failures(claiming("x"), node, []) == ['persistentvolumeclaim "x" not found']
    wait = [pvc("data", storage_class="late"), storage_class("late", "WaitForFirstConsumer")]
    assert volume_zone_failures(claiming("data"), node, wait) == []
    immediate = [pvc("data", storage_class="now"), storage_class("now")]
    assert volume_zone_failures(claiming("data"), node, immediate) == [
        "PersistentVolume had no name"
    ]
    assert volume_zone_failures(claiming("data"), node, [pvc("data")]) == [
        "PersistentVolumeClaim had no pv name and storageClass name"
    ]


def test_volume_binding_node_affinity():
    volumes = [
        pvc("data", volume="pv1"),
        pv("pv1", node_affinity=[{"matchExpressions": [expr(HOST, "In", "n1")]}]),
    ]
    assert (
        volume_binding_failures(claiming("data"), make_node("n1", labels={HOST: "n1"}), volumes)
        == []
    )
    assert volume_binding_failures(
        claiming("data"), make_node("n2", labels={HOST: "n2"}), volumes
    ) == ["node(s) had volume node affinity conflict"]
    assert volume_binding_failures(
        claiming("data"), make_node("n1"), [pvc("data", volume="gone")]
    ) == ["node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"]


def test_volumes_must_be_volume_kinds():
    with pytest.raises(InputError, match="must be a PersistentVolumeClaim"):
        volume_zone_failures(claiming("data"), make_node("n"), [make_pod("x")])


# ----------------------------------------------------------------- PodTopologySpread


def spread(max_skew=1, key=ZONE, **extra):
    return {
        "maxSkew": max_skew,
        "topologyKey": key,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}},
        **extra,
    }


def zones_cluster():
    nodes = [
        make_node("a1", labels={ZONE: "a"}),
        make_node("b1", labels={ZONE: "b"}),
        make_node("nolabel"),
    ]
    web = {"app": "web"}
    pods = [
        make_pod("w1", node="a1", labels=web),
        make_pod("w2", node="a1", labels=web),
        make_pod("w3", node="b1", labels=web),
        make_pod("other", node="b1", labels={"app": "db"}),
    ]
    return nodes, pods


def test_topology_spread_max_skew():
    nodes, pods = zones_cluster()
    pod = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[spread()])
    # counts a=2, b=1, min 1: a -> 2+1-1 = 2 > 1 fails; b -> 1+1-1 = 1 fits.
    assert pod_topology_spread_failures(pod, nodes[0], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod topology spread constraints"
    ]
    assert pod_topology_spread_failures(pod, nodes[1], nodes=nodes, pods=pods) == []
    loose = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[spread(max_skew=2)])
    assert pod_topology_spread_failures(loose, nodes[0], nodes=nodes, pods=pods) == []


def test_topology_spread_missing_label_and_schedule_anyway():
    nodes, pods = zones_cluster()
    pod = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[spread()])
    assert pod_topology_spread_failures(pod, nodes[2], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod topology spread constraints (missing required label)"
    ]
    anyway = make_pod(
        "p",
        labels={"app": "web"},
        topologySpreadConstraints=[{**spread(), "whenUnsatisfiable": "ScheduleAnyway"}],
    )
    assert pod_topology_spread_failures(anyway, nodes[2], nodes=nodes, pods=pods) == []


def test_topology_spread_self_match_and_min_domains():
    nodes, pods = zones_cluster()
    # The pod does not match its own selector: a -> 2+0-1 = 1 fits.
    stranger = make_pod("p", labels={"app": "x"}, topologySpreadConstraints=[spread()])
    assert pod_topology_spread_failures(stranger, nodes[0], nodes=nodes, pods=pods) == []
    # minDomains 3 > 2 domains: global minimum is 0, so b -> 1+1-0 = 2 > 1 fails.
    strict = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[spread(minDomains=3)])
    assert pod_topology_spread_failures(strict, nodes[1], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod topology spread constraints"
    ]


def test_topology_spread_honours_node_affinity_when_counting():
    nodes, pods = zones_cluster()
    # Only zone a is eligible: counts a=2 only, min 2: a -> 2+1-2 = 1 fits.
    pod = make_pod(
        "p",
        labels={"app": "web"},
        nodeSelector={ZONE: "a"},
        topologySpreadConstraints=[spread()],
    )
    assert pod_topology_spread_failures(pod, nodes[0], nodes=nodes, pods=pods) == []
    ignore = make_pod(
        "p",
        labels={"app": "web"},
        nodeSelector={ZONE: "a"},
        topologySpreadConstraints=[spread(nodeAffinityPolicy="Ignore")],
    )
    assert pod_topology_spread_failures(ignore, nodes[0], nodes=nodes, pods=pods) != []


def test_topology_spread_ignores_other_namespaces_and_terminating_pods():
    nodes, pods = zones_cluster()
    pods[0]["metadata"]["namespace"] = "elsewhere"
    pods[1]["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    pod = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[spread()])
    # counts a=0, b=1: a -> 0+1-0 = 1 fits.
    assert pod_topology_spread_failures(pod, nodes[0], nodes=nodes, pods=pods) == []


# ----------------------------------------------------------------- InterPodAffinity


def term(labels, key=ZONE, **extra):
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": key, **extra}


def pod_affinity(kind, *terms):
    return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": list(terms)}}


def affinity_cluster():
    nodes = [
        make_node("a1", labels={ZONE: "a"}),
        make_node("a2", labels={ZONE: "a"}),
        make_node("b1", labels={ZONE: "b"}),
        make_node("nolabel"),
    ]
    pods = [make_pod("cache", node="a1", labels={"app": "cache"})]
    return nodes, pods


def test_pod_affinity_same_zone():
    nodes, pods = affinity_cluster()
    pod = make_pod("p", affinity=pod_affinity("podAffinity", term({"app": "cache"})))
    reason = ["node(s) didn't match pod affinity rules"]
    assert inter_pod_affinity_failures(pod, nodes[1], nodes=nodes, pods=pods) == []  # a2, zone a
    assert inter_pod_affinity_failures(pod, nodes[2], nodes=nodes, pods=pods) == reason
    assert inter_pod_affinity_failures(pod, nodes[3], nodes=nodes, pods=pods) == reason


def test_pod_affinity_first_of_a_series_may_go_anywhere_with_the_key():
    nodes, _ = affinity_cluster()
    pod = make_pod(
        "p", labels={"app": "web"}, affinity=pod_affinity("podAffinity", term({"app": "web"}))
    )
    assert inter_pod_affinity_failures(pod, nodes[2], nodes=nodes, pods=[]) == []
    # ... but not on a node without the topology key.
    assert inter_pod_affinity_failures(pod, nodes[3], nodes=nodes, pods=[]) == [
        "node(s) didn't match pod affinity rules"
    ]


def test_pod_affinity_namespaces():
    nodes, pods = affinity_cluster()
    other_ns = make_pod(
        "p", namespace="other", affinity=pod_affinity("podAffinity", term({"app": "cache"}))
    )
    # The term defaults to the pod's own namespace: the cache pod (default) does not count, and
    # the pod does not match its own term, so no node passes.
    assert inter_pod_affinity_failures(other_ns, nodes[0], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod affinity rules"
    ]
    listed = make_pod(
        "p",
        namespace="other",
        affinity=pod_affinity("podAffinity", term({"app": "cache"}, namespaces=["default"])),
    )
    assert inter_pod_affinity_failures(listed, nodes[0], nodes=nodes, pods=pods) == []
    by_selector = make_pod(
        "p",
        namespace="other",
        affinity=pod_affinity(
            "podAffinity",
            term({"app": "cache"}, namespaceSelector={"matchLabels": {"team": "infra"}}),
        ),
    )
    namespaces = [
        {"kind": "Namespace", "metadata": {"name": "default", "labels": {"team": "infra"}}}
    ]
    assert (
        inter_pod_affinity_failures(
            by_selector, nodes[0], nodes=nodes, pods=pods, namespaces=namespaces
        )
        == []
    )
    assert inter_pod_affinity_failures(by_selector, nodes[0], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod affinity rules"
    ]


def test_pod_anti_affinity():
    nodes, pods = affinity_cluster()
    pod = make_pod("p", affinity=pod_affinity("podAntiAffinity", term({"app": "cache"})))
    reason = ["node(s) didn't match pod anti-affinity rules"]
    assert inter_pod_affinity_failures(pod, nodes[1], nodes=nodes, pods=pods) == reason
    assert inter_pod_affinity_failures(pod, nodes[2], nodes=nodes, pods=pods) == []
    # A node without the topology key is not in any domain: anti-affinity passes there.
    assert inter_pod_affinity_failures(pod, nodes[3], nodes=nodes, pods=pods) == []
    per_host = make_pod(
        "p", affinity=pod_affinity("podAntiAffinity", term({"app": "cache"}, key=HOST))
    )
    nodes[0]["metadata"]["labels"][HOST] = "a1"
    nodes[1]["metadata"]["labels"][HOST] = "a2"
    assert inter_pod_affinity_failures(per_host, nodes[0], nodes=nodes, pods=pods) == reason
    assert inter_pod_affinity_failures(per_host, nodes[1], nodes=nodes, pods=pods) == []


def test_existing_pods_anti_affinity():
    nodes, _ = affinity_cluster()
    loner = make_pod(
        "loner",
        node="a1",
        labels={"app": "loner"},
        affinity=pod_affinity("podAntiAffinity", term({"app": "web"})),
    )
    web = make_pod("p", labels={"app": "web"})
    reason = ["node(s) didn't satisfy existing pods anti-affinity rules"]
    assert inter_pod_affinity_failures(web, nodes[1], nodes=nodes, pods=[loner]) == reason
    assert inter_pod_affinity_failures(web, nodes[2], nodes=nodes, pods=[loner]) == []
    assert inter_pod_affinity_failures(make_pod("q"), nodes[1], nodes=nodes, pods=[loner]) == []


def test_affinity_is_checked_before_anti_affinity():
    nodes, pods = affinity_cluster()
    pod = make_pod(
        "p",
        affinity={
            **pod_affinity("podAffinity", term({"app": "db"})),
            **pod_affinity("podAntiAffinity", term({"app": "cache"})),
        },
    )
    assert inter_pod_affinity_failures(pod, nodes[0], nodes=nodes, pods=pods) == [
        "node(s) didn't match pod affinity rules"
    ]


def test_bad_affinity_selector_is_an_input_error():
    bad = {
        "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]},
        "topologyKey": ZONE,
    }
    pod = make_pod("p", affinity=pod_affinity("podAffinity", bad))
    with pytest.raises(InputError) as caught:
        inter_pod_affinity_failures(pod, make_node("n"), nodes=[], pods=[])
    assert caught.value.path == (
        "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
        ".labelSelector.matchExpressions[0].operator"
    )


# ----------------------------------------------------------------- pipeline


def test_filter_failures_stops_at_the_first_failing_plugin():
    node = make_node(
        "n",
        cpu="1",
        labels={ZONE: "a"},
        taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}],
    )
    pod = make_pod("p", resources=requests(cpu="2"), nodeSelector={ZONE: "b"})
    # TaintToleration runs before NodeAffinity and NodeResourcesFit.
    assert filter_failures(pod, node, pods=[]) == ["node(s) had untolerated taint {k: v}"]
    pod["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert filter_failures(pod, node, pods=[]) == [AFFINITY_REASON]
    del pod["spec"]["nodeSelector"]
    assert filter_failures(pod, node, pods=[]) == ["Insufficient cpu"]
    pod["spec"]["containers"][0]["resources"] = requests(cpu="1")
    assert filter_failures(pod, node, pods=[]) == []


def test_filter_failures_uses_only_the_nodes_pods_for_fit():
    nodes = [make_node("a", cpu="1"), make_node("b", cpu="1")]
    pods = [make_pod("e", node="a", resources=requests(cpu="1"))]
    pod = make_pod("p", resources=requests(cpu="1"))
    assert filter_failures(pod, nodes[0], pods=pods, nodes=nodes) == ["Insufficient cpu"]
    assert filter_failures(pod, nodes[1], pods=pods, nodes=nodes) == []


def test_filter_failures_runs_spread_and_affinity_over_all_nodes():
    nodes, pods = affinity_cluster()
    pod = make_pod("p", affinity=pod_affinity("podAntiAffinity", term({"app": "cache"})))
    assert filter_failures(pod, nodes[1], pods=pods, nodes=nodes) == [
        "node(s) didn't match pod anti-affinity rules"
    ]
