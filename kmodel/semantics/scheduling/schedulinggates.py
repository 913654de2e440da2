"""kube-scheduler SchedulingGates.

Mirrors ``pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go`` at kubernetes
master after v1.35. The API server's ``PodScheduled=False`` condition for a gated pod is
:func:`kmodel.semantics.printers.scheduling_gated_condition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmodel.objects.fields import list_at

__all__ = ["scheduling_gates"]


def scheduling_gates(pod: Mapping[str, Any]) -> list[str]:
    """The names of the pod's scheduling gates; empty when the scheduler may consider it.

    Mirrors ``pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go PreEnqueue``:
    a pod with any gate is rejected (UnschedulableAndUnresolvable, "waiting for scheduling
    gates: [...]") and stays out of the scheduling queue until its gates are removed.
    """
    gates = list_at(pod, "spec.schedulingGates")
    return [str(g.get("name")) for g in gates if isinstance(g, Mapping)]
