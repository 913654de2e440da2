"""Tiny specs: one that passes (check CLI, pytest plugin) and a strategies spec."""

from __future__ import annotations

from typing import Any

#: Two nodes, a two-replica Deployment and a rollout: every invariant holds.
PASSING_SPEC: dict[str, Any] = {
    "name": "tiny-pass",
    "expect": "pass",
    "cluster": {"nodes": [{"pool": "n", "count": 2, "zones": ["a", "b"], "cpu": "2"}]},
    "workloads": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": "example/web:1",
                                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                            }
                        ]
                    },
                },
            },
        }
    ],
    "actions": [{"rollout": {"deployment": "web", "images": ["example/web:2"]}}],
    "invariants": ["no_overcommit", {"min_available": {"deployment": "web", "count": 1}}],
    "explore": {"examples": 8, "maxSteps": 6, "seed": 0, "ticks": [5]},
}

OLD = "registry.example.com/web:1.0"
NEW = "registry.example.com/web:2.0"

#: Three zones, a web Deployment behind a Service, a release and one strategy of each kind.
STRATEGIES_SPEC: dict[str, Any] = {
    "name": "tiny",
    "cluster": {
        "nodes": [
            {"pool": "worker", "count": 3, "zones": ["a", "b", "c"], "cpu": "4", "memory": "8Gi"}
        ]
    },
    "workloads": [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": OLD,
                                "readinessProbe": {"httpGet": {"path": "/", "port": 8080}},
                                "resources": {"requests": {"cpu": "250m"}},
                            }
                        ]
                    },
                },
            },
        },
    ],
    "release": {"image": NEW},
    "programs": {NEW: {"readyAfter": 5}},
    "failures": {
        "crash": {"runFor": 30, "exitCode": 1, "readyAfter": 5},
        "never-ready": {"readyAfter": None},
    },
    "strategies": [
        {"name": "surge", "kubernetes": "RollingUpdate", "maxSurge": 1, "maxUnavailable": 0},
        {"name": "recreate", "kubernetes": "Recreate"},
        {"name": "all", "beanstalk": "AllAtOnce"},
        {"name": "rolling", "beanstalk": "Rolling", "batchSizeType": "Fixed", "batchSize": 1},
        {
            "name": "additional",
            "beanstalk": "RollingWithAdditionalBatch",
            "batchSizeType": "Fixed",
            "batchSize": 1,
        },
        {"name": "immutable", "beanstalk": "Immutable"},
        {
            "name": "split",
            "beanstalk": "TrafficSplitting",
            "newVersionPercent": 10,
            "evaluationTime": 60,
        },
        {"name": "bluegreen", "beanstalk": "BlueGreen", "dnsTtl": 30},
    ],
    "timeout": 60,
    "explore": {"examples": 2, "maxSteps": 6, "seed": 0},
}
