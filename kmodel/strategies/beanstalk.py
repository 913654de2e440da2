"""An Elastic Beanstalk environment as a controller over the cluster's pods.

An environment is a set of instances behind a load balancer; each instance runs the application
as one pod (the model's stand-in for an EC2 instance). The environment itself is an API object of
kind ``BeanstalkEnvironment``: ``spec`` holds the deployment policy, its settings, the capacity
and the application version (an image), ``status`` the version deployed, the load balancer's
target-group weights and the deployment in progress. :class:`SyncEnvironment` is one reconcile
step of the platform; it reads and writes only through the API store.

Instances are pods labelled with their environment, instance slot, Auto Scaling group
(``main``, ``temp`` for immutable/traffic-splitting groups, ``green`` for a blue/green clone),
target group and whether they are registered with the load balancer. Health is the load
balancer's health check, read as the pod's Ready condition. A deployment is a plan of operations
(see :func:`deployment_plan`) carried out one step at a time; an operation that waits for health
fails after the command ``timeout`` and the platform (or, where the guide says rollback is a
manual redeploy, the operator) then runs the rollback plan (:func:`rollback_plan`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.model import Cluster
from kmodel.errors import InputError
from kmodel.objects.fields import list_at, mapping_at
from kmodel.semantics.replicaset import is_pod_ready
from kmodel.strategies.policies import Strategy, batch_size

__all__ = [
    "ATTACHED_LABEL",
    "ENVIRONMENT_KIND",
    "ENVIRONMENT_LABEL",
    "GROUP_LABEL",
    "SLOT_LABEL",
    "TARGET_GROUP_LABEL",
    "DeployVersion",
    "SyncEnvironment",
    "beanstalk_actions",
    "deployment_plan",
    "environment_manifest",
    "environment_pods",
    "instance_healthy",
    "pod_image",
    "rollback_plan",
]

ENVIRONMENT_KIND: Final = "BeanstalkEnvironment"
ENVIRONMENT_LABEL: Final = "eb.kmodel.dev/environment"
SLOT_LABEL: Final = "eb.kmodel.dev/slot"
GROUP_LABEL: Final = "eb.kmodel.dev/group"
TARGET_GROUP_LABEL: Final = "eb.kmodel.dev/target-group"
ATTACHED_LABEL: Final = "eb.kmodel.dev/attached"

#: Policies whose documented rollback is "manual redeploy" (the operator redeploys the
#: previous version with the same policy); the others are rolled back by the platform.
_REDEPLOYED: Final = frozenset({"AllAtOnce", "Rolling", "RollingWithAdditionalBatch"})


def environment_manifest(
    name: str,
    namespace: str,
    strategy: Strategy,
    *,
    capacity: int,
    template: Mapping[str, Any],
    container: str,
    image: str,
    timeout: int,
) -> dict[str, Any]:
    """The ``BeanstalkEnvironment`` object for a strategy, running ``image`` on ``capacity``.

    Raises:
        InputError: a capacity below 1, a negative timeout, or a template without the container.
    """
    if capacity < 1:
        raise InputError(f"capacity must be at least 1, not {capacity}", path="capacity")
    if timeout < 0:
        raise InputError(f"timeout must not be negative, not {timeout}", path="timeout")
    containers = list_at(template, "spec.containers")
    if not any(c.get("name") == container for c in containers):
        raise InputError(f"the pod template has no container {container!r}", path="container")
    return {
        "apiVersion": "kmodel.dev/v1",
        "kind": ENVIRONMENT_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "policy": strategy.policy,
            "batchSizeType": strategy.batch_size_type,
            "batchSize": strategy.batch_size,
            "newVersionPercent": strategy.new_version_percent,
            "evaluationTime": strategy.evaluation_time,
            "dnsTtl": strategy.dns_ttl,
            "capacity": capacity,
            "timeout": timeout,
            "container": container,
            "image": image,
            "template": copy.deepcopy(dict(template)),
        },
    }


# ----------------------------------------------------------------------------- instances


def pod_image(pod: Mapping[str, Any], *, container: str | None = None) -> str:
    """The image of a pod's container (the first when ``container`` is None)."""
    for c in list_at(pod, "spec.containers"):
        if container is None or c.get("name") == container:
            return str(c.get("image", ""))
    return ""


def _live(pod: Mapping[str, Any]) -> bool:
    """An instance that exists and is not being terminated."""
    return pod["metadata"].get("deletionTimestamp") is None and mapping_at(pod, "status").get(
        "phase"
    ) not in {"Succeeded", "Failed"}


def instance_healthy(pod: Mapping[str, Any]) -> bool:
    """The load balancer's health check: the instance is up and its pod is Ready."""
    return _live(pod) and is_pod_ready(pod)


def environment_pods(cluster: Cluster, namespace: str, environment: str) -> list[Mapping[str, Any]]:
    """Every pod of an environment that is in the store (terminating ones included)."""
    return [
        p
        for p in cluster.store.list_objects("Pod", namespace=namespace)
        if (p["metadata"].get("labels") or {}).get(ENVIRONMENT_LABEL) == environment
    ]


def _label(pod: Mapping[str, Any], key: str) -> str:
    return str((pod["metadata"].get("labels") or {}).get(key, ""))


def _slot_number(slot: str) -> int:
    return int(slot[1:]) if slot[1:].isdigit() else 0


# ----------------------------------------------------------------------------- plans


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def deployment_plan(
    spec: Mapping[str, Any], main_slots: list[str], next_slot: int
) -> list[dict[str, Any]]:
    """The operations that deploy ``spec.image`` over the ``main`` group's instances.

    ``main_slots`` are the instance slots of the running group, ``next_slot`` the first slot
    number free for new instances. Mirrors the policy descriptions of the AWS Elastic Beanstalk
    developer guide ("Deployment policies and settings"; see :data:`.POLICY_NOTES`).
    """
    policy = spec["policy"]
    capacity = int(spec["capacity"])
    slots = sorted(main_slots, key=_slot_number)
    batch = batch_size(len(slots), spec["batchSizeType"], int(spec["batchSize"]))

    def new_slots(count: int, start: int) -> list[str]:
        return [f"i{n}" for n in range(start, start + count)]

    if policy == "AllAtOnce":
        return [{"op": "replace", "slots": slots}]
    if policy == "Rolling":
        return [
            op
            for chunk in _chunks(slots, batch)
            for op in ({"op": "deregister", "slots": chunk}, {"op": "replace", "slots": chunk})
        ]
    if policy == "RollingWithAdditionalBatch":
        extra = new_slots(batch, next_slot)
        return [
            {"op": "launch", "slots": extra, "group": "main", "targetGroup": "main"},
            *(
                op
                for chunk in _chunks(slots, batch)
                for op in (
                    {"op": "deregister", "slots": chunk},
                    {"op": "replace", "slots": chunk},
                )
            ),
            {"op": "scale-in", "capacity": capacity},
        ]
    fresh = new_slots(capacity, next_slot)
    if policy == "Immutable":
        return [
            {"op": "launch", "slots": fresh[:1], "group": "temp", "targetGroup": "main"},
            {"op": "launch", "slots": fresh[1:], "group": "temp", "targetGroup": "main"},
            {"op": "adopt", "group": "temp"},
            {"op": "terminate", "slots": slots},
        ]
    if policy == "TrafficSplitting":
        percent = int(spec["newVersionPercent"])
        return [
            {"op": "launch", "slots": fresh, "group": "temp", "targetGroup": "canary"},
            {"op": "weights", "weights": {"main": 100 - percent, "canary": percent}},
            {"op": "evaluate", "slots": fresh, "seconds": int(spec["evaluationTime"])},
            {"op": "weights", "weights": {"canary": 100}},
            {"op": "terminate", "slots": slots},
            {"op": "adopt", "group": "temp"},
        ]
    if policy == "BlueGreen":
        return [
            {"op": "launch", "slots": fresh, "group": "green", "targetGroup": "green"},
            {"op": "weights", "weights": {"green": 100}},
            {"op": "evaluate", "slots": fresh, "seconds": int(spec["dnsTtl"])},
            {"op": "terminate", "slots": slots},
            {"op": "adopt", "group": "green"},
        ]
    raise InputError(f"unknown Elastic Beanstalk policy {policy!r}", path="spec.policy")


def rollback_plan(
    spec: Mapping[str, Any], main_slots: list[str], next_slot: int
) -> list[dict[str, Any]]:
    """What happens after a failed deployment (``spec.image`` is the previous version again).

    AllAtOnce, Rolling and RollingWithAdditionalBatch: the guide's rollback is a manual
    redeploy, modelled as the operator redeploying the previous version with the same policy.
    Immutable: the platform terminates the temporary group. TrafficSplitting: traffic goes back
    to the old instances and the new ones are terminated. BlueGreen: the CNAME points back to
    the old environment (if it was swapped) and the new environment is terminated.
    """
    policy = spec["policy"]
    if policy in _REDEPLOYED:
        return deployment_plan(spec, main_slots, next_slot)
    group = {"Immutable": "temp", "TrafficSplitting": "temp", "BlueGreen": "green"}[policy]
    return [
        {"op": "weights", "weights": {"main": 100}},
        {"op": "terminate", "group": group},
    ]


# ----------------------------------------------------------------------------- the controller


def _new_pod(
    env: Mapping[str, Any], slot: str, group: str, target_group: str, image: str
) -> dict[str, Any]:
    spec = env["spec"]
    template = copy.deepcopy(dict(spec["template"]))
    metadata = mapping_at(template, "metadata")
    name = env["metadata"]["name"]
    labels = {
        **dict(mapping_at(metadata, "labels")),
        ENVIRONMENT_LABEL: name,
        SLOT_LABEL: slot,
        GROUP_LABEL: group,
        TARGET_GROUP_LABEL: target_group,
        ATTACHED_LABEL: "true",
    }
    pod_spec = mapping_at(template, "spec")
    for container in list_at(pod_spec, "containers"):
        if container.get("name") == spec["container"]:
            container["image"] = image
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{name}-{slot}-",
            "namespace": env["metadata"]["namespace"],
            "labels": labels,
            "annotations": dict(mapping_at(metadata, "annotations")),
        },
        "spec": pod_spec,
    }


class _Sync:
    """One reconcile of one environment: reads the store, writes pods and the environment."""

    def __init__(self, cluster: Cluster, env: Mapping[str, Any]) -> None:
        self.cluster = cluster
        self.env = copy.deepcopy(dict(env))
        self.namespace = env["metadata"]["namespace"]
        self.name = env["metadata"]["name"]
        self.pods = environment_pods(cluster, self.namespace, self.name)

    # ----------------------------------------------------------------- pod writes

    def create(self, slot: str, group: str, target_group: str, image: str) -> str | None:
        created = self.cluster.create(_new_pod(self.env, slot, group, target_group, image))
        return None if created is None else str(created["metadata"]["name"])

    def relabel(self, pod: Mapping[str, Any], **labels: str) -> None:
        body = copy.deepcopy(dict(pod))
        body["metadata"]["labels"] = {**(body["metadata"].get("labels") or {}), **labels}
        self.cluster.update(body)

    def terminate(self, pod: Mapping[str, Any]) -> None:
        """Detach from the load balancer, then terminate (graceful while on a node)."""
        if _label(pod, ATTACHED_LABEL) == "true":
            body = copy.deepcopy(dict(pod))
            body["metadata"]["labels"][ATTACHED_LABEL] = "false"
            written = self.cluster.update(body)
            if written is None:
                return
            pod = written
        delete_pod(self.cluster, pod)

    # ----------------------------------------------------------------- reconcile

    def run(self) -> None:
        status = self.env.setdefault("status", {})
        spec = self.env["spec"]
        if "image" not in status:  # a new environment: launch its instances
            status.update(image=spec["image"], weights={"main": 100}, nextSlot=0)
        deployment = status.get("deployment")
        if deployment is None and spec["image"] != status["image"]:
            deployment = self.start(spec["image"], status["image"])
        if deployment is None:
            self.maintain()
        else:
            self.step(deployment)
        self.write()

    def main_slots(self) -> list[str]:
        return sorted(
            {
                _label(p, SLOT_LABEL)
                for p in self.pods
                if _live(p) and _label(p, GROUP_LABEL) == "main"
            },
            key=_slot_number,
        )

    def start(self, image: str, previous: str) -> dict[str, Any]:
        status = self.env["status"]
        slots = self.main_slots()
        plan = deployment_plan(self.env["spec"], slots, int(status["nextSlot"]))
        deployment = {
            "image": image,
            "previous": previous,
            "startedAt": self.cluster.now,
            "plan": plan,
            "index": 0,
            "opStartedAt": self.cluster.now,
            "rollback": False,
        }
        status["deployment"] = deployment
        status["nextSlot"] = self._next_slot(plan)
        return deployment

    @staticmethod
    def _next_slot_of(plan: list[dict[str, Any]], current: int) -> int:
        numbers = [_slot_number(s) for op in plan for s in op.get("slots", [])]
        return max([current - 1, *numbers]) + 1

    def _next_slot(self, plan: list[dict[str, Any]]) -> int:
        return self._next_slot_of(plan, int(self.env["status"]["nextSlot"]))

    def maintain(self) -> None:
        """No deployment: the Auto Scaling group keeps ``capacity`` instances of the version."""
        status = self.env["status"]
        live = [p for p in self.pods if _live(p) and _label(p, GROUP_LABEL) == "main"]
        missing = int(self.env["spec"]["capacity"]) - len(live)
        for _ in range(max(missing, 0)):
            slot = f"i{status['nextSlot']}"
            status["nextSlot"] = int(status["nextSlot"]) + 1
            self.create(slot, "main", "main", str(status["image"]))

    def step(self, deployment: dict[str, Any]) -> None:
        plan = deployment["plan"]
        if deployment["index"] >= len(plan):
            self.finish(deployment)
            return
        op = plan[deployment["index"]]
        done = getattr(self, "op_" + op["op"].replace("-", "_"))(op, deployment)
        if done is True:
            deployment["index"] += 1
            deployment["opStartedAt"] = self.cluster.now
        elif done is False and self.timed_out(op, deployment):
            self.fail(deployment, f"{op['op']} did not become healthy within the timeout")

    def timed_out(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool:
        if op["op"] not in {"replace", "launch"}:
            return False
        return self.cluster.now - int(deployment["opStartedAt"]) > int(self.env["spec"]["timeout"])

    def fail(self, deployment: dict[str, Any], reason: str) -> None:
        """The deployment failed: the previous version is what the environment should run."""
        status = self.env["status"]
        spec = self.env["spec"]
        spec["image"] = deployment["previous"]
        slots = self.main_slots()
        plan = rollback_plan(spec, slots, int(status["nextSlot"]))
        status["nextSlot"] = self._next_slot(plan)
        status["deployment"] = {
            "image": deployment["previous"],
            "previous": deployment["image"],
            "startedAt": deployment["startedAt"],
            "failedAt": self.cluster.now,
            "reason": reason,
            "plan": plan,
            "index": 0,
            "opStartedAt": self.cluster.now,
            "rollback": True,
        }

    def finish(self, deployment: Mapping[str, Any]) -> None:
        status = self.env["status"]
        status["image"] = deployment["image"]
        status["lastDeployment"] = {
            "image": deployment["previous"] if deployment["rollback"] else deployment["image"],
            "outcome": "Failed" if deployment["rollback"] else "Succeeded",
            "startedAt": deployment["startedAt"],
            "finishedAt": self.cluster.now,
            **({"failedAt": deployment["failedAt"]} if deployment["rollback"] else {}),
        }
        status.pop("deployment", None)

    # ----------------------------------------------------------------- operations
    # Each returns True when the operation is complete, False while it waits for health (so a
    # timeout applies), None while it waits for something else (instances to terminate).

    def _slot_pods(self, slot: str) -> list[Mapping[str, Any]]:
        return [p for p in self.pods if _label(p, SLOT_LABEL) == slot]

    def op_deregister(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool:
        pending = [
            p
            for slot in op["slots"]
            for p in self._slot_pods(slot)
            if _live(p) and _label(p, ATTACHED_LABEL) == "true"
        ]
        for pod in pending:
            self.relabel(pod, **{ATTACHED_LABEL: "false"})
        return not pending

    def _converge(
        self, op: dict[str, Any], slots: list[str], group: str, target_group: str, image: str
    ) -> bool:
        """Every slot ends up with a fresh instance of ``image`` (created by this operation)."""
        fresh: list[str] = op.setdefault("fresh", [])
        healthy = True
        for slot in slots:
            pods = self._slot_pods(slot)
            mine = [p for p in pods if p["metadata"]["name"] in fresh and _live(p)]
            for pod in pods:
                if _live(pod) and pod["metadata"]["name"] not in fresh:
                    self.terminate(pod)
            if mine:
                healthy = healthy and instance_healthy(mine[0])
                continue
            healthy = False
            # Deploy onto the slot once its old instance is gone (or this one's instance failed).
            old_gone = all(p["metadata"]["name"] in fresh for p in pods)
            terminating = any(p["metadata"].get("deletionTimestamp") is not None for p in pods)
            if old_gone and not terminating:
                created = self.create(slot, group, target_group, image)
                if created is not None:
                    fresh.append(created)
        return healthy

    def op_replace(self, op: dict[str, Any], deployment: Mapping[str, Any]) -> bool:
        return self._converge(op, op["slots"], "main", "main", str(deployment["image"]))

    def op_launch(self, op: dict[str, Any], deployment: Mapping[str, Any]) -> bool:
        return self._converge(
            op, op["slots"], op["group"], op["targetGroup"], str(deployment["image"])
        )

    def op_weights(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool:
        self.env["status"]["weights"] = dict(op["weights"])
        return True

    def op_evaluate(self, op: Mapping[str, Any], deployment: dict[str, Any]) -> bool | None:
        instances = [p for slot in op["slots"] for p in self._slot_pods(slot) if _live(p)]
        if len(instances) < len(op["slots"]) or not all(instance_healthy(p) for p in instances):
            self.fail(deployment, "the new instances failed health checks during evaluation")
            return None
        return True if self.cluster.now - int(deployment["opStartedAt"]) >= op["seconds"] else None

    def op_adopt(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool:
        for pod in self.pods:
            if _live(pod) and _label(pod, GROUP_LABEL) == op["group"]:
                self.relabel(pod, **{GROUP_LABEL: "main", TARGET_GROUP_LABEL: "main"})
        self.env["status"]["weights"] = {"main": 100}
        return True

    def op_terminate(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool | None:
        if "slots" in op:
            victims = [p for slot in op["slots"] for p in self._slot_pods(slot)]
        else:
            victims = [p for p in self.pods if _label(p, GROUP_LABEL) == op["group"]]
        for pod in victims:
            if pod["metadata"].get("deletionTimestamp") is None:
                self.terminate(pod)
        return True if not victims else None

    def op_scale_in(self, op: Mapping[str, Any], deployment: Mapping[str, Any]) -> bool | None:
        live = [p for p in self.pods if _live(p) and _label(p, GROUP_LABEL) == "main"]
        newest = sorted(live, key=lambda p: _slot_number(_label(p, SLOT_LABEL)), reverse=True)
        surplus = newest[: max(len(live) - int(op["capacity"]), 0)]
        for pod in surplus:
            self.terminate(pod)
        going = [p for p in self.pods if p["metadata"].get("deletionTimestamp") is not None]
        return True if not surplus and not going else None

    # ----------------------------------------------------------------- write back

    def write(self) -> None:
        current = self.cluster.store.get((ENVIRONMENT_KIND, self.namespace, self.name))
        if current is None:
            return
        if current.get("status") != self.env["status"] or current.get("spec") != self.env["spec"]:
            self.cluster.update({**current, "spec": self.env["spec"], "status": self.env["status"]})


@register
@dataclass(frozen=True)
class SyncEnvironment(Action):
    """The Elastic Beanstalk platform takes one step on one environment."""

    name: ClassVar[str] = "beanstalk-sync"
    namespace: str
    environment: str

    def describe(self) -> str:
        """In words."""
        return f"Elastic Beanstalk works on environment {self.namespace}/{self.environment}"

    def apply(self, cluster: Cluster) -> None:
        """One reconcile: launch, deregister, replace or terminate instances, or move traffic."""
        env = cluster.store.get((ENVIRONMENT_KIND, self.namespace, self.environment))
        if env is None:
            return
        _Sync(cluster, env).run()


@register
@dataclass(frozen=True)
class DeployVersion(Action):
    """The user deploys an application version (an image) to an environment."""

    name: ClassVar[str] = "beanstalk-deploy"
    category: ClassVar[str] = "user"
    namespace: str
    environment: str
    image: str

    def describe(self) -> str:
        """In words."""
        return f"user deploys {self.image} to environment {self.namespace}/{self.environment}"

    def apply(self, cluster: Cluster) -> None:
        """Set the environment's version."""
        env = cluster.store.get((ENVIRONMENT_KIND, self.namespace, self.environment))
        if env is None:
            return
        body = copy.deepcopy(dict(env))
        body["spec"]["image"] = self.image
        cluster.update(body)


def beanstalk_actions(cluster: Cluster) -> list[Action]:
    """Environment syncs that would change something now (for ``ClusterConfig.controllers``)."""
    actions: list[Action] = []
    for env in cluster.store.list_objects(ENVIRONMENT_KIND):
        action = SyncEnvironment(env["metadata"]["namespace"], env["metadata"]["name"])
        if _would_change(cluster, action):
            actions.append(action)
    return actions


def _would_change(cluster: Cluster, action: Action) -> bool:
    """A dry run of a sync, cached on everything it reads (the store and the clock)."""
    key = (action, cluster.store.revision, cluster.now, cluster.store.has_quorum)
    return bool(cluster.memo(key, lambda: cluster.would_change(action, components=())))
