"""Quality: a broken StatefulSet controller, injected from the test side, is caught."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.statefulset import SyncStatefulSet, set_pods
from kmodel.cluster.model import Cluster, ClusterConfig
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.explore.spec import load_spec
from kmodel.invariants import make_invariant
from kmodel.semantics import statefulset as stssem
from tests.helpers.paths import ROOT
from tests.helpers.statefulset import VOLUMES, db
from tests.helpers.zones import NODES, node


@register
@dataclass(frozen=True)
class EagerStatefulSetSync(SyncStatefulSet):
    """A broken StatefulSet controller: force-deletes a terminating pod and replaces it at once.

    What a controller that trusts the node lifecycle instead of the kubelet would do; upstream
    waits for the kubelet (or a human's force delete) to remove the pod.
    """

    name: ClassVar[str] = "test-eager-statefulset-sync"

    def describe(self) -> str:
        return f"broken statefulset controller syncs {self.namespace}/{self.statefulset}"

    def apply(self, cluster: Cluster) -> None:
        sts = cluster.view("statefulset").get(("StatefulSet", self.namespace, self.statefulset))
        if sts is None:
            return
        for member in set_pods(cluster, sts):
            if member["metadata"].get("deletionTimestamp") is not None:
                key = ("Pod", self.namespace, member["metadata"]["name"])
                cluster.delete(key, uid=member["metadata"]["uid"])
        super().apply(cluster)


def eager_controller(cluster: Cluster) -> list[Action]:
    view = cluster.view("statefulset")
    return [
        EagerStatefulSetSync(s["metadata"]["namespace"], s["metadata"]["name"])
        for s in view.list_objects("StatefulSet")
        if any(p["metadata"].get("deletionTimestamp") is not None for p in set_pods(cluster, s))
    ]


def test_a_controller_that_replaces_before_the_old_pod_is_gone_is_caught():
    # A second node in zone a: the replacement, pinned to its claim's zone, can start there
    # while the partitioned kubelet still runs the old pod (on one node per zone the kubelet
    # itself stops the force-deleted pod before it starts the replacement).
    objects = [*NODES, node("n4", "a"), *VOLUMES, db(2)]
    invariants = tuple(
        make_invariant(n) for n in ("statefulset_identity", "statefulset_claim_exclusive")
    )
    options = ExploreOptions(examples=60, max_steps=12, seed=0)
    kwargs: dict[str, Any] = {
        "faults": {"kubelet_partition": 1},
        "ticks": (60, 300),
        "user_actions": (UserAction("delete", {"pods": ["db-0", "db-1"]}),),
    }
    faithful = Scenario(objects=copy.deepcopy(objects), invariants=invariants, **kwargs)
    assert explore(faithful, options=options) == []
    broken = Scenario(
        objects=copy.deepcopy(objects),
        invariants=invariants,
        config=ClusterConfig(controllers=(eager_controller,)),
        **kwargs,
    )
    findings = explore(broken, options=options)
    assert {f.invariant for f in findings} >= {"statefulset_identity"}
    identity = next(f for f in findings if f.invariant == "statefulset_identity")
    assert "runs 2 times at once" in identity.violation.message
    assert len(identity.actions) <= 8


def test_a_controller_that_drops_template_volumes_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bundled spec's members mount their claim and the template's emptyDir; a controller
    # that builds its pods with the claim volumes alone leaves the emptyDir mount dangling.
    scenario = load_spec(ROOT / "specs" / "statefulset-partition-waits.yaml").scenario
    options = ExploreOptions(examples=5, max_steps=4, seed=0)
    assert explore(scenario, options=options) == []
    faithful = stssem.new_stateful_set_pod

    def claims_only(sts: Any, ordinal: int) -> dict[str, Any]:
        pod = faithful(sts, ordinal)
        claims = {c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates") or []}
        pod["spec"]["volumes"] = [v for v in pod["spec"]["volumes"] if v["name"] in claims]
        return pod

    monkeypatch.setattr(stssem, "new_stateful_set_pod", claims_only)
    findings = explore(scenario, options=options)
    assert {f.invariant for f in findings} >= {"pod_mounts_resolve"}
    mounts = next(f for f in findings if f.invariant == "pod_mounts_resolve")
    assert "mounts volume 'run', which the pod does not have" in mounts.violation.message
