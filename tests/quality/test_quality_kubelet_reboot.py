"""Quality: a kubelet that restarts restart counts at 0 after a reboot is caught under ``ci``.

After a machine reboot the container runtime still holds the pod's exited containers, so the
kubelet starts each regular container again with the next restart count (issue 19 §3). The
faithful model raises nothing; a kubelet that ignores what the runtime kept (it counts from 0,
as a runtime that clears its state without the log-directory fallback would) is caught by
``restart_count_monotonic``.
"""

from __future__ import annotations

from kmodel.cluster.components import kubelet
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import Scenario, explore
from kmodel.invariants import make_invariant
from tests.helpers.cluster import CI_BUDGET, bare_pod, node

SCENARIO = Scenario(
    objects=[node("n1"), bare_pod("batch", image="flaky:1")],
    # The first run fails after 5 s, later ones run on: the pod has restarted once.
    config=ClusterConfig(programs={"flaky:1": Program(exit_codes=(1,), exits_after=5)}),
    faults={"node_crash": 1},
    ticks=(5, 10, 30),
    invariants=(
        make_invariant("restart_count_monotonic"),
        make_invariant("pod_phase_consistent"),
        make_invariant("eventually_stable"),
    ),
)


def test_a_kubelet_that_forgets_the_runtimes_containers_on_reboot_is_caught(monkeypatch):
    assert explore(SCENARIO, options=CI_BUDGET) == []
    faithful = kubelet._runtime_for

    def forgetful(cluster, machine, pod):
        # The plausible bug: the rebooted kubelet lists only the new sandbox's containers.
        machine.kept_containers.pop(kubelet.runtime_key(pod), None)
        return faithful(cluster, machine, pod)

    monkeypatch.setattr(kubelet, "_runtime_for", forgetful)
    findings = explore(SCENARIO, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["restart_count_monotonic"]
    assert "restartCount went down from 1 to 0" in findings[0].violation.message
