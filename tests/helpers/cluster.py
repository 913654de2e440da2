"""Cluster-model objects for the component tests: zoned Nodes, Deployments, Services, Jobs..."""

from __future__ import annotations

from typing import Any

from kmodel.explore import ExploreOptions
from kmodel.profiles import PROFILES
from tests.helpers.scheduling import make_deployment

#: The ``ci`` profile's budget (``kmodel check --profile ci``), seed 0: what a quality test's
#: broken variant must be caught within.
CI_BUDGET = ExploreOptions(
    examples=PROFILES["ci"].examples, max_steps=PROFILES["ci"].max_steps, seed=0
)


def node(name: str, zone: str = "a", cpu: str = "4") -> dict:
    resources = {"cpu": cpu, "memory": "16Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone},
        },
        "status": {"allocatable": resources, "capacity": dict(resources)},
    }


def deployment(name: str = "web", replicas: int = 3, image: str = "app:1", **spec) -> dict:
    container = {"name": "app", "image": image, "resources": {"requests": {"cpu": "500m"}}}
    return make_deployment(name, replicas, [container], **spec)


def bare_pod(name: str, image: str = "app:1") -> dict[str, Any]:
    """A Pod with no owner and one container (restartPolicy Always by default)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def job(name: str, image: str, **spec: Any) -> dict[str, Any]:
    """A batch/v1 Job in ``default`` running one container of ``image`` that is never restarted.

    ``spec`` adds Job spec fields (``completions``, ``parallelism``...).
    """
    template = {"restartPolicy": "Never", "containers": [{"name": "work", "image": image}]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {**spec, "template": {"spec": template}},
    }


def service(name: str = "web") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def web_deployment(
    replicas: int,
    container: dict[str, Any],
    *,
    strategy: dict[str, Any] | None = None,
    **pod_spec: Any,
) -> dict[str, Any]:
    """The web Deployment: one ``container``, pods labelled ``app: web``, in ``default``.

    ``strategy`` is the Deployment's; ``pod_spec`` adds pod template spec fields.
    """
    extra = {} if strategy is None else {"strategy": strategy}
    return make_deployment("web", replicas, [container], pod_spec=pod_spec, **extra)


def web_app(
    replicas: int,
    container: dict[str, Any],
    *,
    strategy: dict[str, Any] | None = None,
    **pod_spec: Any,
) -> list[dict[str, Any]]:
    """The web Deployment (:func:`web_deployment`) and its Service."""
    return [web_deployment(replicas, container, strategy=strategy, **pod_spec), service()]


def pods(cluster, app: str = "web") -> list[dict]:
    return [
        p
        for p in cluster.store.list_objects("Pod")
        if (p["metadata"].get("labels") or {}).get("app") == app
    ]


def ready(pod) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", [])
    )


def daemonset(
    name: str = "agent", image: str = "agent:1", *, strategy: dict[str, Any] | None = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {
                "containers": [
                    {"name": "a", "image": image, "resources": {"requests": {"cpu": "100m"}}}
                ]
            },
        },
    }
    if strategy is not None:
        spec["updateStrategy"] = strategy
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }
