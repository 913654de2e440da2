"""The ReplicaSet controller's expectations: fulfilled first, then expired, as upstream asks.

``SatisfiedExpectations`` (``controller_utils.go``) answers true for fulfilled expectations
before it looks at their age, so a fulfilled record never reads the clock (a dry run's answer
then holds at any time). Reading the controller's cache catches its informer up, so an expired
record does not read it while events are pending: when a watch delivers is behaviour.
"""

from __future__ import annotations

from kmodel.cluster import model
from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.controllers import _expectations_satisfied
from kmodel.cluster.model import Cluster
from kmodel.cluster.store import key_of
from tests.helpers.cluster import node
from tests.helpers.scheduling import make_deployment


def _settled() -> tuple[Cluster, dict]:
    web = make_deployment("web", 2, [{"name": "app", "image": "nginx:1"}])
    cluster = build_cluster([node("n1"), web])
    cluster.settle()
    rs = next(iter(cluster.store.list_objects("ReplicaSet")))
    return cluster, dict(rs)


def _expect_a_pod_never_seen(cluster: Cluster, rs: dict, *, at: int) -> None:
    cluster.memory["replicaset"][rs["metadata"]["uid"]] = {
        "at": at,
        "adds": ["web-never-created"],
        "dels": [],
    }


def test_fulfilled_expectations_are_satisfied_without_reading_the_clock() -> None:
    cluster, rs = _settled()
    assert cluster.memory["replicaset"].get(rs["metadata"]["uid"]) is not None
    cluster.store.now = model.UNREAD_CLOCK  # type: ignore[assignment]  # raises on any use

    assert _expectations_satisfied(cluster, rs)


def test_unfulfilled_expectations_hold_until_they_expire() -> None:
    cluster, rs = _settled()
    _expect_a_pod_never_seen(cluster, rs, at=cluster.now)

    assert not _expectations_satisfied(cluster, rs)
    cluster.store.now += 301
    assert _expectations_satisfied(cluster, rs)


def test_expired_expectations_leave_pending_events_undelivered() -> None:
    cluster, rs = _settled()
    informer = cluster.informers["replicaset"]
    informer.catch_up(cluster.store)
    _expect_a_pod_never_seen(cluster, rs, at=cluster.now - 301)
    pod = next(iter(cluster.store.list_objects("Pod")))
    cluster.store.update({**pod, "metadata": {**pod["metadata"], "labels": {"touched": "yes"}}})
    before = informer.revision

    assert _expectations_satisfied(cluster, rs)
    assert informer.revision == before < cluster.store.revision

    _expect_a_pod_never_seen(cluster, rs, at=cluster.now)
    assert not _expectations_satisfied(cluster, rs)
    assert informer.revision == cluster.store.revision
    assert informer.get(key_of(pod)) is not None
