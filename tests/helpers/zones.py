"""A three-zone cluster: zoned Nodes, zonal volumes, and the web Deployment and Service."""

from __future__ import annotations

from tests.helpers.cluster import web_app

IMAGE = "registry.example.com/app:1"


def node(name: str, zone: str) -> dict:
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "status": {"allocatable": resources, "capacity": dict(resources)},
    }


def zonal_volume(name: str, zone: str, *, storage_class: str = "zonal") -> dict:
    """A 10Gi ReadWriteOnce PersistentVolume whose node affinity requires ``zone``."""
    zone_term = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "nodeAffinity": {
                "required": {"nodeSelectorTerms": [{"matchExpressions": [zone_term]}]}
            },
        },
    }


def claim(name: str, *, storage_class: str = "zonal") -> dict:
    """A 5Gi ReadWriteOnce PersistentVolumeClaim in ``default``."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": "5Gi"}},
        },
    }


def web(replicas: int, surge: object, unavailable: object, *, probe: bool = False) -> list[dict]:
    """The web Deployment (a RollingUpdate with these bounds) and its Service."""
    container: dict = {
        "name": "app",
        "image": IMAGE,
        "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}},
    }
    if probe:
        container["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}}
    strategy = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
    return web_app(replicas, container, strategy=strategy)


NODES = [node("n1", "a"), node("n2", "b"), node("n3", "c")]
