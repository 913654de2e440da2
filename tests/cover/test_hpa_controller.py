"""The HPA controller in the cluster model: scaling a Deployment from its load."""

from __future__ import annotations

from typing import Any

from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.hpa import Load, SyncHorizontalPodAutoscaler
from kmodel.cluster.model import Cluster, ClusterConfig
from kmodel.cluster.user_actions import SetLoad
from tests.helpers.cluster import deployment, node


def hpa(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 50},
                    },
                }
            ],
            **spec,
        },
    }


def cluster_with(load: Load, **spec: Any) -> Cluster:
    config = ClusterConfig(loads={"default/web": load})
    cluster = build_cluster(
        [node("n1", cpu="8"), node("n2", cpu="8"), deployment(replicas=2), hpa(**spec)],
        config=config,
    )
    cluster.settle(horizon=60)
    return cluster


def replicas(cluster: Cluster) -> int:
    return int(cluster.store.get(("Deployment", "default", "web"))["spec"]["replicas"])


def conditions(cluster: Cluster) -> dict[str, str]:
    status = cluster.store.get(("HorizontalPodAutoscaler", "default", "web"))["status"]
    return {c["type"]: c["reason"] for c in status["conditions"]}


def test_scales_out_as_load_spread_over_ready_pods() -> None:
    # 1500m over pods requesting 500m at a 50% target needs 6 pods (each at 250m).
    cluster = cluster_with(Load(((0, 1500),)))
    assert replicas(cluster) == 6
    status = cluster.store.get(("HorizontalPodAutoscaler", "default", "web"))["status"]
    assert status["desiredReplicas"] == 6
    assert conditions(cluster)["ScalingActive"] == "ValidMetricFound"


def test_max_replicas_limits_and_says_so() -> None:
    cluster = cluster_with(Load(((0, 6000),)))
    assert replicas(cluster) == 6
    assert conditions(cluster)["ScalingLimited"] == "TooManyReplicas"


def test_scale_down_waits_for_the_stabilization_window() -> None:
    cluster = cluster_with(Load(((0, 1500),)))
    assert replicas(cluster) == 6
    cluster.step(SetLoad("default", "web", 100))
    start = cluster.now
    history = []
    for _ in range(40):
        cluster.settle(horizon=15, idle_ticks=1)
        history.append((cluster.now - start, replicas(cluster)))
    first_down = next(t for t, r in history if r < 6)
    assert first_down >= 300
    assert replicas(cluster) == 2  # the minimum
    assert conditions(cluster)["ScalingLimited"] in {"TooFewReplicas", "DesiredWithinRange"}


def test_behavior_policy_limits_scale_up_rate() -> None:
    behavior = {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}
    cluster = build_cluster(
        [node("n1", cpu="8"), node("n2", cpu="8"), deployment(replicas=2), hpa(behavior=behavior)],
        config=ClusterConfig(loads={"default/web": Load(((0, 1500),))}),
    )
    cluster.step(SyncHorizontalPodAutoscaler("default", "web"))
    # Pods not yet running: no metrics at all.
    assert conditions(cluster)["ScalingActive"] == "FailedGetResourceMetric"
    cluster.settle(horizon=20)
    assert replicas(cluster) == 3
    assert conditions(cluster)["ScalingLimited"] == "ScaleUpLimit"


def test_missing_target_sets_failed_get_scale() -> None:
    cluster = build_cluster([node("n1"), hpa()], config=ClusterConfig())
    cluster.step(SyncHorizontalPodAutoscaler("default", "web"))
    status = cluster.store.get(("HorizontalPodAutoscaler", "default", "web"))["status"]
    assert status["conditions"][0]["reason"] == "FailedGetScale"


def test_container_resource_metric_is_refused_per_hpa() -> None:
    metric = {
        "type": "ContainerResource",
        "containerResource": {
            "name": "cpu",
            "container": "app",
            "target": {"type": "Utilization", "averageUtilization": 50},
        },
    }
    cluster = cluster_with(Load(((0, 1500),)), metrics=[metric])
    status = cluster.store.get(("HorizontalPodAutoscaler", "default", "web"))["status"]
    active = next(c for c in status["conditions"] if c["type"] == "ScalingActive")
    assert active["reason"] == "FailedGetContainerResourceMetric"
    assert "does not model" in active["message"]
    assert replicas(cluster) == 2
