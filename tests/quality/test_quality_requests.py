"""Quality: what requests through kube-proxy saw (issue 19 §3: served requests).

Clients send requests to a Service (the ``requests`` user action); a kube-proxy that routes
to pods that are not Ready, injected from the test side, must be caught by
``requests_reach_ready_pods``, and the faithful model must raise nothing.
"""

from __future__ import annotations

from typing import Any

from kmodel.cluster.components import network
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from tests.helpers.cluster import web_app
from tests.helpers.zones import node

OPTIONS = ExploreOptions(examples=60, max_steps=12, seed=0)
PROBE = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}


def web(replicas: int) -> list[dict[str, Any]]:
    """A Deployment whose pods get Ready late or go unready, and its Service."""
    return web_app(replicas, {"name": "app", "image": "app:1", "readinessProbe": PROBE})


def scenario() -> Scenario:
    """Pods that get Ready 20 s after they start, scaled up; requests at any time."""
    return Scenario(
        objects=[node("n1", "a"), node("n2", "b"), *web(1)],
        user_actions=(
            UserAction("scale", {"deployment": "default/web", "replicas": [3]}),
            UserAction("requests", {"service": "default/web"}, None),
        ),
        faults={"container_crash": 1},
        invariants=(make_invariant("requests_reach_ready_pods"),),
        config=ClusterConfig(programs={"app:1": Program(ready_after=20)}),
        ticks=(10,),
    )


def test_the_faithful_model_routes_requests_to_ready_pods_only():
    assert explore(scenario(), options=OPTIONS) == []


def test_a_kube_proxy_that_routes_to_unready_endpoints_is_caught(monkeypatch):
    def every_address(cluster, namespace, service):
        endpoints = cluster.view("proxy").get(("Endpoints", namespace, service)) or {}
        return [
            address
            for subset in endpoints.get("subsets") or []
            for key in ("addresses", "notReadyAddresses")
            for address in subset.get(key) or []
        ]

    monkeypatch.setattr(network, "request_choices", every_address)
    findings = explore(scenario(), options=OPTIONS)
    assert [f.invariant for f in findings] == ["requests_reach_ready_pods"]
    assert "not Ready or terminating" in findings[0].violation.message
