"""Builders for Node, Pod and Deployment manifests for the tests (this module holds no tests)."""

from __future__ import annotations

from typing import Any


def make_node(
    name: str,
    *,
    cpu: str | None = "4",
    memory: str | None = "10Gi",
    pods: str | int | None = 110,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    extra: dict[str, str] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    allocatable: dict[str, Any] = {}
    for key, quantity in (("cpu", cpu), ("memory", memory), ("pods", pods)):
        if quantity is not None:
            allocatable[key] = str(quantity)
    allocatable.update(extra or {})
    spec: dict[str, Any] = {"taints": taints or []}
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": spec,
        "status": {"allocatable": allocatable},
    }


def requests(**quantities: str) -> dict[str, Any]:
    """A container ``resources`` block; ``ephemeral_storage`` becomes ``ephemeral-storage``."""
    return {"requests": {k.replace("_", "-"): v for k, v in quantities.items()}}


def make_pod(
    name: str,
    *,
    node: str | None = None,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    phase: str | None = None,
    resources: dict[str, Any] | None = None,
    containers: list[dict[str, Any]] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "containers": containers
        if containers is not None
        else [{"name": "app", "image": "busybox", "resources": resources or {}}],
        **spec,
    }
    if node is not None:
        body["nodeName"] = node
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": body,
    }
    if phase is not None:
        pod["status"] = {"phase": phase}
    return pod


def ctr(name: str, resources: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", "resources": resources or {}, **fields}


def make_deployment(
    name: str,
    replicas: int,
    containers: list[dict[str, Any]],
    *,
    pod_spec: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A Deployment in ``default`` selecting ``app: name``; ``spec`` adds Deployment spec fields
    (strategy, paused...), ``pod_spec`` pod template spec fields (affinity...)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers, **(pod_spec or {})},
            },
            **spec,
        },
    }
