"""PodRequests (k8s-semantics.md 6.1) and the NodeResourcesFit Filter (6.2)."""

from __future__ import annotations

import pytest

from kmodel.errors import InputError
from kmodel.semantics.resources import (
    is_extended_resource_name,
    is_scalar_resource_name,
    node_allocatable,
    pod_requests,
)
from kmodel.semantics.scheduling import node_fit_failures
from tests.helpers.scheduling import ctr, make_node, make_pod, requests

MI = 1024 * 1024

# ----------------------------------------------------------------- 6.1 pod requests


def test_regular_containers_are_summed():
    pod = make_pod(
        "p",
        containers=[
            ctr("a", requests(cpu="100m", memory="64Mi")),
            ctr("b", requests(cpu="250m", memory="128Mi")),
        ],
    )
    assert pod_requests(pod) == {"cpu": 350, "memory": 192 * MI}


def test_quantities_are_summed_exactly_before_rounding():
    # 1.5m + 1.5m = 3m exactly; rounding each container first would give 2m + 2m = 4m.
    pod = make_pod("p", containers=[ctr("a", requests(cpu="1.5m")), ctr("b", requests(cpu="1.5m"))])
    assert pod_requests(pod) == {"cpu": 3}


def test_a_larger_init_container_sets_the_request():
    pod = make_pod(
        "p",
        containers=[ctr("a", requests(cpu="100m", memory="1Gi"))],
        initContainers=[ctr("init", requests(cpu="2", memory="10Mi"))],
    )
    # cpu: max(100m, 2000m); memory: max(1Gi, 10Mi), taken per resource.
    assert pod_requests(pod) == {"cpu": 2000, "memory": 1024 * MI}


def test_sidecars_accumulate_into_the_sum_and_into_later_init_terms():
    pod = make_pod(
        "p",
        containers=[ctr("app", requests(cpu="100m"))],
        initContainers=[
            ctr("side-a", requests(cpu="200m"), restartPolicy="Always"),
            ctr("init-b", requests(cpu="500m")),
            ctr("side-c", requests(cpu="300m"), restartPolicy="Always"),
            ctr("init-d", requests(cpu="100m")),
        ],
    )
    # R = 100 + 200 + 300 = 600. Terms: a: S=200; b: 500+200=700; c: S=500; d: 100+500=600.
    # max(600, 700) = 700.
    assert pod_requests(pod) == {"cpu": 700}


def test_sidecar_sum_wins_when_regular_init_containers_are_small():
    pod = make_pod(
        "p",
        containers=[ctr("app", requests(cpu="1"))],
        initContainers=[
            ctr("side", requests(cpu="500m"), restartPolicy="Always"),
            ctr("init", requests(cpu="1200m")),
        ],
    )
    # R = 1000 + 500 = 1500; init term = 1200 + 500 = 1700 -> 1700.
    assert pod_requests(pod)["cpu"] == 1700


def test_overhead_is_added_unless_excluded():
    pod = make_pod(
        "p",
        resources=requests(cpu="250m", memory="100Mi"),
        overhead={"cpu": "50m", "memory": "10Mi"},
    )
    assert pod_requests(pod) == {"cpu": 300, "memory": 110 * MI}
    assert pod_requests(pod, exclude_overhead=True) == {"cpu": 250, "memory": 100 * MI}


def test_overhead_is_added_after_the_init_container_maximum():
    pod = make_pod(
        "p",
        resources=requests(cpu="100m"),
        initContainers=[ctr("init", requests(cpu="1"))],
        overhead={"cpu": "10m"},
    )
    assert pod_requests(pod) == {"cpu": 1010}


def test_pod_level_requests_replace_cpu_and_memory_only():
    pod = make_pod(
        "p",
        containers=[ctr("a", requests(cpu="100m", memory="1Gi", ephemeral_storage="1Gi"))],
    )
    pod["spec"]["resources"] = {"requests": {"cpu": "2", "memory": "2Gi"}}
    assert pod_requests(pod) == {"cpu": 2000, "memory": 2048 * MI, "ephemeral-storage": 1024 * MI}


def test_container_limits_default_missing_requests():
    # SetDefaults_Pod: requests default to limits per resource.
    pod = make_pod(
        "p", resources={"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "200m"}}
    )
    assert pod_requests(pod) == {"cpu": 200, "memory": 1024 * MI}


def test_non_missing_substitutes_defaults_per_missing_resource_and_container():
    pod = make_pod(
        "p",
        containers=[
            ctr("none"),
            ctr("cpu-only", requests(cpu="300m")),
            ctr("zero", requests(cpu="0", memory="0")),
        ],
    )
    assert pod_requests(pod) == {"cpu": 300, "memory": 0}
    # none: 100m + 200Mi; cpu-only: 300m + 200Mi; zero: explicit 0s are kept.
    assert pod_requests(pod, non_missing=True) == {"cpu": 400, "memory": 400 * MI}


def test_non_missing_applies_to_init_containers():
    pod = make_pod(
        "p",
        containers=[ctr("app", requests(cpu="50m", memory="10Mi"))],
        initContainers=[ctr("init")],
    )
    # The init container counts as 100m / 200Mi, larger than the app's request.
    assert pod_requests(pod, non_missing=True) == {"cpu": 100, "memory": 200 * MI}
    assert pod_requests(pod) == {"cpu": 50, "memory": 10 * MI}


def test_zero_valued_resources_are_kept_in_the_result():
    pod = make_pod("p", resources=requests(**{"example.com/gpu": "0"}))
    assert pod_requests(pod) == {"example.com/gpu": 0}


@pytest.mark.parametrize(
    ("name", "extended", "scalar"),
    [
        ("cpu", False, False),
        ("example.com/gpu", True, True),
        ("nvidia.com/gpu", True, True),
        ("kubernetes.io/foo", False, True),
        ("hugepages-2Mi", False, True),
        ("attachable-volumes-aws-ebs", False, True),
        ("requests.example.com/x", False, False),
        ("Bad_Prefix/x", False, False),
    ],
)
def test_resource_name_classes(name, extended, scalar):
    assert is_extended_resource_name(name) is extended
    assert is_scalar_resource_name(name) is scalar


@pytest.mark.parametrize(
    ("pod", "path"),
    [
        (make_pod("p", resources=requests(cpu="-1")), "spec.containers[0].resources.requests.cpu"),
        (
            make_pod("p", resources=requests(cpu="1.2.3")),
            "spec.containers[0].resources.requests.cpu",
        ),
        (make_pod("p", resources={"requests": ["cpu"]}), "spec.containers[0].resources.requests"),
        (make_pod("p", containers="app"), "spec.containers"),
        (make_pod("p", initContainers=[3]), "spec.initContainers[0]"),
    ],
)
def test_bad_requests_raise_input_error_with_the_path(pod, path):
    with pytest.raises(InputError) as caught:
        pod_requests(pod)
    assert caught.value.path == path
    assert caught.value.obj == "Pod/default/p"


def test_a_non_mapping_pod_is_an_input_error():
    with pytest.raises(InputError, match="pod must be a mapping"):
        pod_requests(["not", "a", "pod"])  # type: ignore[arg-type]


# ----------------------------------------------------------------- 6.2 fitsRequest


def test_fits_on_an_empty_node():
    assert node_fit_failures(make_pod("p", resources=requests(cpu="1")), make_node("n"), []) == []


def test_too_many_pods_counts_the_pods_on_the_node():
    node = make_node("n", pods=2)
    one = [make_pod("a", node="n")]
    two = [*one, make_pod("b", node="n")]
    incoming = make_pod("p", resources=requests(cpu="1"))
    assert node_fit_failures(incoming, node, one) == []
    assert node_fit_failures(incoming, node, two) == ["Too many pods"]


def test_a_pod_requesting_nothing_is_only_checked_for_pod_count():
    full = [make_pod("hog", node="n", resources=requests(cpu="4", memory="10Gi"))]
    empty_pod = make_pod("p")
    assert node_fit_failures(empty_pod, make_node("n"), full) == []
    assert node_fit_failures(empty_pod, make_node("n", pods=1), full) == ["Too many pods"]


def test_equality_fits_and_one_more_milli_does_not():
    node = make_node("n", cpu="2")
    used = [make_pod("u", node="n", resources=requests(cpu="1500m"))]
    assert node_fit_failures(make_pod("p", resources=requests(cpu="500m")), node, used) == []
    assert node_fit_failures(make_pod("p", resources=requests(cpu="501m")), node, used) == [
        "Insufficient cpu"
    ]


def test_memory_and_ephemeral_storage_checks():
    node = make_node("n", memory="1Gi", extra={"ephemeral-storage": "10Gi"})
    assert node_fit_failures(make_pod("p", resources=requests(memory="1Gi")), node, []) == []
    assert node_fit_failures(make_pod("p", resources=requests(memory="1025Mi")), node, []) == [
        "Insufficient memory"
    ]
    big_disk = make_pod("p", resources=requests(ephemeral_storage="11Gi"))
    assert node_fit_failures(big_disk, node, []) == ["Insufficient ephemeral-storage"]


def test_every_failing_check_is_reported_in_upstream_order():
    node = make_node("n", cpu="1", memory="1Gi", pods=1, extra={"ephemeral-storage": "1Gi"})
    existing = [make_pod("e", node="n")]
    pod = make_pod(
        "p",
        resources=requests(
            cpu="2",
            memory="2Gi",
            ephemeral_storage="2Gi",
            **{"example.com/b": "1", "example.com/a": "1"},
        ),
    )
    assert node_fit_failures(pod, node, existing) == [
        "Too many pods",
        "Insufficient cpu",
        "Insufficient memory",
        "Insufficient ephemeral-storage",
        "Insufficient example.com/a",
        "Insufficient example.com/b",
    ]


def test_used_resources_are_actual_requests_not_the_scoring_defaults():
    # A pod without requests uses no cpu for the filter (its 100m default is for scoring only).
    node = make_node("n", cpu="1")
    existing = [make_pod("e", node="n")]
    assert node_fit_failures(make_pod("p", resources=requests(cpu="1")), node, existing) == []


def test_terminal_pods_use_nothing():
    node = make_node("n", cpu="1", pods=1)
    done = [make_pod("e", node="n", phase="Succeeded", resources=requests(cpu="1"))]
    assert node_fit_failures(make_pod("p", resources=requests(cpu="1")), node, done) == []


def test_sidecars_and_overhead_count_in_the_filter():
    node = make_node("n", cpu="1")
    pod = make_pod(
        "p",
        resources=requests(cpu="900m"),
        initContainers=[ctr("side", requests(cpu="100m"), restartPolicy="Always")],
    )
    assert node_fit_failures(pod, node, []) == []
    pod["spec"]["overhead"] = {"cpu": "1m"}
    assert node_fit_failures(pod, node, []) == ["Insufficient cpu"]


def test_a_scalar_the_node_lacks_has_allocatable_zero():
    node = make_node("n", extra={"example.com/gpu": "2"})
    gpu = make_pod("p", resources=requests(**{"example.com/gpu": "1"}))
    fpga = make_pod("p", resources=requests(**{"example.com/fpga": "1"}))
    assert node_fit_failures(gpu, node, []) == []
    assert node_fit_failures(fpga, node, []) == ["Insufficient example.com/fpga"]


def test_a_zero_scalar_request_is_not_checked():
    pod = make_pod("p", resources=requests(**{"example.com/fpga": "0"}))
    assert node_fit_failures(pod, make_node("n"), []) == []


def test_ignored_resources_and_groups_skip_extended_resources_only():
    node = make_node("n")
    pod = make_pod("p", resources=requests(**{"example.com/gpu": "1", "hugepages-2Mi": "2Mi"}))
    assert node_fit_failures(pod, node, []) == [
        "Insufficient example.com/gpu",
        "Insufficient hugepages-2Mi",
    ]
    assert node_fit_failures(pod, node, [], ignored_resources=["example.com/gpu"]) == [
        "Insufficient hugepages-2Mi"
    ]
    assert node_fit_failures(pod, node, [], ignored_resource_groups=["example.com"]) == [
        "Insufficient hugepages-2Mi"
    ]
    # hugepages are not extended resources: naming them does not skip the check.
    assert node_fit_failures(pod, node, [], ignored_resources=["hugepages-2Mi"]) == [
        "Insufficient example.com/gpu",
        "Insufficient hugepages-2Mi",
    ]


def test_allocatable_only_never_capacity():
    node = make_node("n", cpu=None, memory=None, pods=None)
    node["status"] = {"capacity": {"cpu": "4", "memory": "1Gi", "pods": "110"}}
    assert node_allocatable(node) == {}
    assert node_fit_failures(make_pod("p", resources=requests(cpu="1")), node, []) == [
        "Too many pods",
        "Insufficient cpu",
    ]


def test_ignored_resource_group_with_a_slash_is_rejected():
    with pytest.raises(InputError) as caught:
        node_fit_failures(make_pod("p"), make_node("n"), [], ignored_resource_groups=["a/b"])
    assert caught.value.path == "ignoredResourceGroups[0]"
    assert "can't contain '/'" in caught.value.message


def test_a_non_node_is_rejected():
    with pytest.raises(InputError, match="must be a Node"):
        node_fit_failures(make_pod("p"), make_pod("q"), [])
