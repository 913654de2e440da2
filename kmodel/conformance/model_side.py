"""The model side of a scenario: the cluster model's kubelet runs the pods on a one-node cluster.

Each pod is pre-bound to the node (``spec.nodeName``), so only its kubelet acts on it. Each
container gets a private image name whose :class:`~kmodel.cluster.model.Program` is read from its
command (:func:`kmodel.conformance.scenarios.program_for`). The kubelet uses the crash-loop
back-off of the ``ReduceDefaultCrashLoopBackOffDecay`` feature (1 s doubling to 60 s), as the
driver does on the engine, so runs stay short. Every second of logical time, the components run
to a fixpoint, then the clock ticks one second; every change of a pod's status is an
:class:`~kmodel.conformance.compare.Observation`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.model import Cluster, ClusterConfig
from kmodel.conformance.compare import Observation, expectation_from_history
from kmodel.conformance.scenarios import Scenario
from kmodel.objects.fields import mapping_at
from kmodel.semantics.containers import BackOffPolicy

__all__ = ["CONFORMANCE_BACKOFF", "NODE_NAME", "model_expectation", "model_history"]

#: The single node of the model cluster.
NODE_NAME: Final = "conformance-node"
#: The crash-loop back-off both sides use (``ReduceDefaultCrashLoopBackOffDecay``).
CONFORMANCE_BACKOFF: Final = BackOffPolicy.from_config(reduce_default_decay=True)
#: Component steps allowed per logical second before the model is declared stuck.
_STEPS_PER_SECOND: Final = 2_000


def _model_image(pod: str, container: str) -> str:
    return f"kmodel.conformance/{pod}/{container}"


def _model_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """The pod as the model runs it: bound to the node, one private image per container."""
    body = copy.deepcopy(dict(pod))
    body.pop("status", None)
    spec = body.setdefault("spec", {})
    spec["nodeName"] = NODE_NAME
    name = body["metadata"]["name"]
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            container["image"] = _model_image(name, container["name"])
    return body


def _public_status(status: Mapping[str, Any], pod: Mapping[str, Any]) -> dict[str, Any]:
    """The status with the scenario's image names back in place of the private ones."""
    images = {
        c["name"]: c.get("image", "")
        for key in ("initContainers", "containers")
        for c in mapping_at(pod, "spec").get(key) or []
    }
    result = copy.deepcopy(dict(status))
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in result.get(key) or []:
            entry["image"] = images.get(entry.get("name"), entry.get("image"))
    return result


class _Recorder:
    """Turns the model's pod objects into observations, one per status change."""

    def __init__(self, cluster: Cluster, scenario: Scenario) -> None:
        self.cluster = cluster
        self.originals = {p["metadata"]["name"]: p for p in scenario.pods}
        self.instance = dict.fromkeys(self.originals, 1)
        self.seen: dict[str, Mapping[str, Any]] = {}
        self.history: list[Observation] = []
        self.revision = 0

    def label(self, name: str) -> str:
        number = self.instance[name]
        return name if number == 1 else f"{name}#{number}"

    def record(self, step: int) -> None:
        """Record every pod status written since the last call (watch events, in order)."""
        events = self.cluster.store.events_since(self.revision)
        self.revision = self.cluster.store.revision
        for event in events:
            kind, _, name = event.key
            if kind != "Pod" or name not in self.originals:
                continue
            label = self.label(name)
            status = event.object.get("status") or {"phase": "Pending"}
            if self.seen.get(label) == status:
                continue
            self.seen[label] = status
            self.history.append(
                Observation(
                    step=step,
                    time=self.cluster.now,
                    pod=label,
                    uid=str(event.object["metadata"]["uid"]),
                    status=_public_status(status, self.originals[name]),
                )
            )


def _run_second(cluster: Cluster, recorder: _Recorder) -> None:
    """Run components to a fixpoint at the current logical time."""
    for _ in range(_STEPS_PER_SECOND):
        actions = cluster.components.enabled(cluster)
        progressed = False
        for action in actions:
            step = cluster.step(action)
            recorder.record(step.index)
            progressed = progressed or (step.changed and not action.maintenance)
        if not progressed:
            return
    msg = f"the model did not settle within {_STEPS_PER_SECOND} steps at t={cluster.now}"
    raise RuntimeError(msg)


def model_history(scenario: Scenario) -> list[Observation]:
    """Run the scenario in the cluster model and return the pods' status history."""
    # A real node's kubelet reports its allocatable; the kubelet admits pods against it.
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": NODE_NAME},
        "status": {"allocatable": resources, "capacity": dict(resources)},
    }
    programs = {
        _model_image(pod, container): program
        for (pod, container), program in scenario.programs().items()
    }
    config = ClusterConfig(programs=programs, crash_loop_backoff=CONFORMANCE_BACKOFF)
    cluster = build_cluster([node, *(_model_pod(p) for p in scenario.pods)], config=config)
    recorder = _Recorder(cluster, scenario)
    recorder.record(0)
    pending: list[str] = []  # pods deleted, to create again once the kubelet removed them
    for second in range(scenario.window + 1):
        for replacement in scenario.replacements:
            if replacement.at == second:
                original = recorder.originals[replacement.pod]
                key = ("Pod", original["metadata"]["namespace"], replacement.pod)
                current = cluster.store.get(key)
                if current is not None:
                    delete_pod(cluster, current)
                    recorder.record(cluster.steps)
                pending.append(replacement.pod)
        _run_second(cluster, recorder)
        for name in list(pending):
            original = recorder.originals[name]
            if cluster.store.get(("Pod", original["metadata"]["namespace"], name)) is None:
                pending.remove(name)
                recorder.instance[name] += 1
                cluster.create(_model_pod(original))
                recorder.record(cluster.steps)
                _run_second(cluster, recorder)
        if second < scenario.window:
            cluster.step(Tick(1))
    return recorder.history


def model_expectation(scenario: Scenario) -> dict[str, Any]:
    """The ``expect:`` block the model gives for a scenario."""
    return expectation_from_history(model_history(scenario), window=scenario.window)
