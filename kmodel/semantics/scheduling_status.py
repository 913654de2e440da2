"""What Kubernetes says about a pod that is not placed: scheduling gates and the FitError message.

A pod with ``spec.schedulingGates`` is never considered by the scheduler (the SchedulingGates
PreEnqueue plugin keeps it out of the active queue) and the API server gives it a
``PodScheduled=False`` condition with reason ``SchedulingGated`` when it is created. A pod that
fits no node gets ``PodScheduled=False``, reason ``Unschedulable``, with the FitError message
("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.").
The API server's condition is :func:`kmodel.semantics.printers.scheduling_gated_condition`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["fit_error_message", "scheduling_gates"]


def scheduling_gates(pod: Mapping[str, Any]) -> list[str]:
    """The names of the pod's scheduling gates; empty when the scheduler may consider it.

    Mirrors ``pkg/scheduler/framework/plugins/schedulinggates/scheduling_gates.go PreEnqueue``:
    a pod with any gate is rejected (UnschedulableAndUnresolvable, "waiting for scheduling
    gates: [...]") and stays out of the scheduling queue until its gates are removed.
    """
    gates = (pod.get("spec") or {}).get("schedulingGates") or []
    return [str(g.get("name")) for g in gates if isinstance(g, Mapping)]


def fit_error_message(num_all_nodes: int, reasons: Mapping[str, int]) -> str:
    """The message of a pod no node fits: "0/3 nodes are available: 2 Insufficient cpu, ...".

    Mirrors ``pkg/scheduler/framework/types.go FitError.Error`` without PreFilter or PostFilter
    messages (the model has no preemption): each reason with the number of nodes that gave
    it, as ``"<count> <reason>"``, sorted as strings, joined by ", " and ended with ".".
    """
    message = f"0/{num_all_nodes} nodes are available:"
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    if histogram:
        message += f" {', '.join(histogram)}."
    return message
