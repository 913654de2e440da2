"""A tiny spec that passes, shared by the check CLI and pytest plugin tests."""

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
