"""Quality: a kubelet that ignores its informer's deletes is caught under the ``ci`` profile.

The kubelet reads its node's pods through an informer (``kmodel.cluster.informer``) whose
watch may lag, lose an event or be cut off by a partition, and the kubelet may restart; a pod
force-deleted meanwhile must have its containers stopped once the kubelet learns of it
(``HandlePodCleanups``). The faithful model raises nothing; a kubelet whose cleanup ignores
the pods gone from its informer is caught by ``orphans_stopped`` (issue 19 §3).
"""

from __future__ import annotations

from kmodel.cluster.components import kubelet
from kmodel.explore import Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from tests.helpers.cluster import CI_BUDGET, bare_pod, deployment, node

SCENARIO = Scenario(
    objects=[node("n1"), node("n2"), bare_pod("batch"), deployment(replicas=2)],
    faults={
        "kubelet_partition": 1,
        "kubelet_watch_delay": 1,
        "kubelet_watch_drop": 1,
        "kubelet_restart": 1,
    },
    user_actions=[UserAction("delete", {"pods": ["batch"], "force": True}, 1)],
    invariants=(make_invariant("orphans_stopped"), make_invariant("eventually_stable")),
)


def test_a_kubelet_that_ignores_its_informers_deletes_is_caught(monkeypatch):
    assert explore(SCENARIO, options=CI_BUDGET) == []
    # The plausible bug: cleanup that never finds a pod gone (HandlePodRemoves not wired up).
    monkeypatch.setattr(kubelet, "_orphans", lambda machine, bound: [])
    findings = explore(SCENARIO, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["orphans_stopped"]
    assert "still runs app of pod default/batch" in findings[0].violation.message
