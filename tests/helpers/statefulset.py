"""A StatefulSet with one zonal claim per member, and a PersistentVolume per zone for it."""

from __future__ import annotations

from typing import Any

from tests.helpers.zones import zonal_volume


def volume(name: str, zone: str) -> dict:
    return zonal_volume(name, zone, storage_class="ssd")


def db(replicas: int = 2, **spec: Any) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "serviceName": "db",
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": "db:1",
                            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "ssd",
                        "resources": {"requests": {"storage": "5Gi"}},
                    },
                }
            ],
            **spec,
        },
    }


VOLUMES = [volume("pv-a", "a"), volume("pv-b", "b"), volume("pv-c", "c")]
