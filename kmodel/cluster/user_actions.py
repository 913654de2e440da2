"""User actions, declared once: what a spec's ``actions:`` may offer and what each does.

A user action kind is one :class:`UserActionKind` in :data:`USER_ACTIONS`: its spec name, its
parameters (a format model: :mod:`kmodel.explore.spec_format` builds the spec's ``actions``
entry from these, with the JSON Schema and the README's table), and the concrete actions a
resolved entry offers (each a registered :class:`Action`, so traces name and replay it).
Exploration offers them within their budget (``times``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, Literal, Protocol

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.disruption import drain_pods
from kmodel.cluster.components.hpa import hpa_key
from kmodel.cluster.components.network import SendRequests
from kmodel.cluster.components.ownership import delete_pod
from kmodel.internal.formats import Count, FormatModel, NonEmpty, Positive, Quantity
from kmodel.semantics.deployment import last_revision, revision
from kmodel.semantics.replicaset import controller_ref
from kmodel.semantics.scheduling import scheduling_gates

if TYPE_CHECKING:
    from kmodel.cluster.model import Cluster

__all__ = [
    "USER_ACTIONS",
    "USER_ACTION_KINDS",
    "ActionParams",
    "DeletePod",
    "DrainNode",
    "ForceDeletePod",
    "PauseDeployment",
    "RemoveSchedulingGates",
    "RollbackDeployment",
    "ScaleDeployment",
    "ScaleStatefulSet",
    "SetDaemonSetImage",
    "SetImage",
    "SetLoad",
    "SetStatefulSetImage",
    "SpecContext",
    "UpdateConfigMap",
    "UserActionKind",
]


@dataclass(frozen=True)
class _ObjectEdit(Action):
    """A user's edit of one namespaced object: read it, change a copy, write it back.

    Nothing happens when the object is gone. Each subclass declares its fields (their order is
    its traces' and its constructor's), names the field holding the object's name in
    :attr:`name_field`, and changes the copy in :meth:`edit`.
    """

    category: ClassVar[str] = "user"
    #: The kind of the object edited.
    object_kind: ClassVar[str]
    #: The field that holds the object's name.
    name_field: ClassVar[str]
    namespace: str

    def stored_copy(self, cluster: Cluster) -> dict[str, Any] | None:
        """A copy of the object as the API holds it, or ``None`` when it is gone."""
        key = (self.object_kind, self.namespace, str(getattr(self, self.name_field)))
        current = cluster.store.get(key)
        return None if current is None else copy.deepcopy(dict(current))

    def edit(self, body: dict[str, Any]) -> None:
        """Change ``body``, a copy of the stored object."""
        raise NotImplementedError(type(self).__name__)

    def apply(self, cluster: Cluster) -> None:
        """Write the edited copy, if the object is still there."""
        body = self.stored_copy(cluster)
        if body is not None:
            self.edit(body)
            cluster.update(body)


def _set_container_image(workload: dict[str, Any], container: str, image: str) -> None:
    """``kubectl set image``: the pod template's container called ``container`` runs ``image``."""
    for declared in workload["spec"]["template"]["spec"].get("containers") or []:
        if declared.get("name") == container:
            declared["image"] = image


@register
@dataclass(frozen=True)
class SetImage(_ObjectEdit):
    """``kubectl set image``: a new image for one container of a Deployment (a rollout)."""

    name: ClassVar[str] = "set-image"
    object_kind: ClassVar[str] = "Deployment"
    name_field: ClassVar[str] = "deployment"
    deployment: str
    container: str
    image: str

    def describe(self) -> str:
        """In words."""
        return f"user rolls out image {self.image} to {self.namespace}/{self.deployment}"

    def edit(self, body: dict[str, Any]) -> None:
        """Change the template."""
        _set_container_image(body, self.container, self.image)


@register
@dataclass(frozen=True)
class ScaleDeployment(_ObjectEdit):
    """``kubectl scale``: set a Deployment's replicas."""

    name: ClassVar[str] = "scale"
    object_kind: ClassVar[str] = "Deployment"
    name_field: ClassVar[str] = "deployment"
    deployment: str
    replicas: int

    def describe(self) -> str:
        """In words."""
        return f"user scales {self.namespace}/{self.deployment} to {self.replicas}"

    def edit(self, body: dict[str, Any]) -> None:
        """Change spec.replicas."""
        body["spec"]["replicas"] = self.replicas


@register
@dataclass(frozen=True)
class RollbackDeployment(_ObjectEdit):
    """``kubectl rollout undo``: copy the previous revision's template into the Deployment.

    For apps/v1 kubectl does this on the client side: it finds the ReplicaSet of the previous
    revision and patches its template (without the pod-template-hash label) into the Deployment.
    """

    name: ClassVar[str] = "rollback"
    object_kind: ClassVar[str] = "Deployment"
    name_field: ClassVar[str] = "deployment"
    deployment: str

    def describe(self) -> str:
        """In words."""
        return f"user rolls back {self.namespace}/{self.deployment}"

    def apply(self, cluster: Cluster) -> None:
        """Patch the template from the previous revision (no write when there is none)."""
        body = self.stored_copy(cluster)
        if body is None:
            return
        owned = [
            rs
            for rs in cluster.store.list_objects("ReplicaSet", namespace=self.namespace)
            if any(
                r.get("uid") == body["metadata"]["uid"]
                for r in rs["metadata"].get("ownerReferences") or []
            )
        ]
        target = last_revision(owned)
        previous = next((rs for rs in owned if revision(rs) == target), None)
        if previous is None or target == 0:
            return
        template = copy.deepcopy(previous["spec"]["template"])
        template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
        body["spec"]["template"] = template
        cluster.update(body)


@register
@dataclass(frozen=True)
class DrainNode(Action):
    """``kubectl drain``: cordon a node, then evict its pods (see :mod:`.disruption`)."""

    name: ClassVar[str] = "drain"
    category: ClassVar[str] = "user"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"user drains node {self.node}"

    def apply(self, cluster: Cluster) -> None:
        """Cordon, then list the pods to evict (see :func:`.disruption.drain_pods`)."""
        node = cluster.store.get(("Node", "", self.node))
        if node is None:
            return
        body = copy.deepcopy(dict(node))
        body.setdefault("spec", {})["unschedulable"] = True
        if cluster.update(body) is not None:
            listed = cluster.memory.setdefault("drain", {}).setdefault("listed", {})
            listed[self.node] = listed.get(self.node, frozenset()) | drain_pods(cluster, self.node)


@register
@dataclass(frozen=True)
class UpdateConfigMap(_ObjectEdit):
    """``kubectl apply`` of a ConfigMap with a new value for one key."""

    name: ClassVar[str] = "update-configmap"
    object_kind: ClassVar[str] = "ConfigMap"
    name_field: ClassVar[str] = "configmap"
    configmap: str
    key: str
    value: str

    def describe(self) -> str:
        """In words."""
        return f"user sets {self.key}={self.value!r} in ConfigMap {self.namespace}/{self.configmap}"

    def edit(self, body: dict[str, Any]) -> None:
        """Update the data."""
        body.setdefault("data", {})[self.key] = self.value


@register
@dataclass(frozen=True)
class DeletePod(Action):
    """``kubectl delete pod``: a graceful deletion through the API."""

    name: ClassVar[str] = "delete-pod"
    category: ClassVar[str] = "user"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"user deletes pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Delete (gracefully when the pod is bound to a node)."""
        current = cluster.store.get(("Pod", self.namespace, self.pod))
        if current is not None:
            delete_pod(cluster, current)


@register
@dataclass(frozen=True)
class ForceDeletePod(DeletePod):
    """``kubectl delete pod --force --grace-period=0``: the pod leaves the API at once.

    The API server removes the object without waiting for its kubelet (a pod with finalizers
    stays, terminating, until they are gone); the kubelet stops its containers once its watch
    delivers the deletion (``HandlePodCleanups``), so they may run on for a while, and a
    replacement may start before they stop.
    """

    name: ClassVar[str] = "force-delete-pod"

    def describe(self) -> str:
        """In words."""
        return f"user force-deletes pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Delete without grace."""
        current = cluster.store.get(("Pod", self.namespace, self.pod))
        if current is not None:
            cluster.delete(("Pod", self.namespace, self.pod), uid=current["metadata"]["uid"])


@register
@dataclass(frozen=True)
class PauseDeployment(_ObjectEdit):
    """``kubectl rollout pause`` (``paused: true``) or ``resume`` (``paused: false``)."""

    name: ClassVar[str] = "pause"
    object_kind: ClassVar[str] = "Deployment"
    name_field: ClassVar[str] = "deployment"
    deployment: str
    paused: bool = True

    def describe(self) -> str:
        """In words."""
        verb = "pauses" if self.paused else "resumes"
        return f"user {verb} the rollout of {self.namespace}/{self.deployment}"

    def edit(self, body: dict[str, Any]) -> None:
        """Set ``spec.paused``."""
        body["spec"]["paused"] = self.paused


@register
@dataclass(frozen=True)
class SetStatefulSetImage(_ObjectEdit):
    """``kubectl set image statefulset/...``: a new image for one container (a rollout)."""

    name: ClassVar[str] = "set-statefulset-image"
    object_kind: ClassVar[str] = "StatefulSet"
    name_field: ClassVar[str] = "statefulset"
    statefulset: str
    container: str
    image: str

    def describe(self) -> str:
        """In words."""
        return (
            f"user rolls out image {self.image} to statefulset {self.namespace}/{self.statefulset}"
        )

    def edit(self, body: dict[str, Any]) -> None:
        """Change the template."""
        _set_container_image(body, self.container, self.image)


@register
@dataclass(frozen=True)
class ScaleStatefulSet(_ObjectEdit):
    """``kubectl scale statefulset/...``: set a StatefulSet's replicas."""

    name: ClassVar[str] = "scale-statefulset"
    object_kind: ClassVar[str] = "StatefulSet"
    name_field: ClassVar[str] = "statefulset"
    statefulset: str
    replicas: int

    def describe(self) -> str:
        """In words."""
        return f"user scales statefulset {self.namespace}/{self.statefulset} to {self.replicas}"

    def edit(self, body: dict[str, Any]) -> None:
        """Change spec.replicas."""
        body["spec"]["replicas"] = self.replicas


@register
@dataclass(frozen=True)
class SetDaemonSetImage(_ObjectEdit):
    """``kubectl set image daemonset/...``: a new image for one container (a rollout)."""

    name: ClassVar[str] = "set-daemonset-image"
    object_kind: ClassVar[str] = "DaemonSet"
    name_field: ClassVar[str] = "daemonset"
    daemonset: str
    container: str
    image: str

    def describe(self) -> str:
        """In words."""
        return f"user rolls out image {self.image} to daemonset {self.namespace}/{self.daemonset}"

    def edit(self, body: dict[str, Any]) -> None:
        """Change the template."""
        _set_container_image(body, self.container, self.image)


@register
@dataclass(frozen=True)
class RemoveSchedulingGates(Action):
    """The gates' owner lets pods be scheduled: it removes their ``spec.schedulingGates``.

    What the controller behind a gate does once its condition holds (Kueue admitting a
    workload, say); the API allows removing gates, never adding them. ``pod`` names one pod;
    with ``deployment`` instead, every gated pod of that Deployment's ReplicaSets.
    """

    name: ClassVar[str] = "ungate"
    category: ClassVar[str] = "user"
    namespace: str
    pod: str = ""
    deployment: str = ""

    def describe(self) -> str:
        """In words."""
        target = f"pod {self.pod}" if self.pod else f"the pods of deployment {self.deployment}"
        return f"the scheduling gates of {self.namespace}/{target} are removed"

    def apply(self, cluster: Cluster) -> None:
        """Update each gated target pod without its gates."""
        for pod in self._targets(cluster):
            body = copy.deepcopy(dict(pod))
            body["spec"].pop("schedulingGates", None)
            cluster.update(body)

    def _targets(self, cluster: Cluster) -> list[Mapping[str, Any]]:
        store = cluster.store
        if self.pod:
            pod = store.get(("Pod", self.namespace, self.pod))
            return [pod] if pod is not None and scheduling_gates(pod) else []
        deployment = store.get(("Deployment", self.namespace, self.deployment))
        if deployment is None:
            return []
        owned = {
            rs["metadata"]["uid"]
            for rs in store.list_objects("ReplicaSet", namespace=self.namespace)
            if (controller_ref(rs) or {}).get("uid") == deployment["metadata"]["uid"]
        }
        return [
            p
            for p in store.list_objects("Pod", namespace=self.namespace)
            if (controller_ref(p) or {}).get("uid") in owned and scheduling_gates(p)
        ]


@register
@dataclass(frozen=True)
class SetLoad(Action):
    """The load on an HPA's target changes to a chosen level (a user-side input)."""

    name: ClassVar[str] = "load"
    category: ClassVar[str] = "user"
    namespace: str
    hpa: str
    level: int

    def describe(self) -> str:
        """In words."""
        return f"load on {self.namespace}/{self.hpa} becomes {self.level}m"

    def apply(self, cluster: Cluster) -> None:
        """Record the level; metrics read it from now on."""
        cluster.memory.setdefault("load", {})[hpa_key(self.namespace, self.hpa)] = self.level


# ----------------------------------------------------------------------------- parameters


class ActionParams(FormatModel):
    """What every user action may say: how often it may happen."""

    times: Annotated[Positive | Literal["any"], Field(description="how often (any: no limit)")] = 1


class DeploymentParams(ActionParams):
    deployment: NonEmpty = Field(description="a Deployment of the workloads (namespace/name)")


class WorkloadParams(ActionParams):
    """A Deployment or a StatefulSet of the workloads (exactly one)."""

    deployment: NonEmpty | None = Field(
        None, description="a Deployment of the workloads (namespace/name)"
    )
    statefulset: NonEmpty | None = Field(
        None, description="a StatefulSet of the workloads (namespace/name)"
    )

    @model_validator(mode="after")
    def _one_workload(self) -> WorkloadParams:
        if (self.deployment is None) == (self.statefulset is None):
            raise PydanticCustomError(
                "one_workload", "needs exactly one of deployment or statefulset"
            )
        return self


class RolloutParams(WorkloadParams):
    """``kubectl set image``: roll a workload's container out to each image in turn.

    The workload is a Deployment, a StatefulSet or a DaemonSet of the workloads (exactly one).
    """

    daemonset: NonEmpty | None = Field(
        None, description="a DaemonSet of the workloads (namespace/name)"
    )
    container: NonEmpty | None = Field(None, description="the container (default: the first)")
    images: list[NonEmpty] = Field(description="the images offered")

    @model_validator(mode="after")
    def _one_workload(self) -> RolloutParams:
        named = [w for w in (self.deployment, self.statefulset, self.daemonset) if w is not None]
        if self.daemonset is not None and len(named) > 1:
            raise PydanticCustomError(
                "one_workload", "needs exactly one of deployment, statefulset or daemonset"
            )
        if self.daemonset is None and (self.deployment is None) == (self.statefulset is None):
            raise PydanticCustomError(
                "one_workload", "needs exactly one of deployment or statefulset"
            )
        return self


class ScaleParams(WorkloadParams):
    """``kubectl scale``."""

    replicas: list[Count] = Field(description="the replica counts offered")


class DrainParams(ActionParams):
    """``kubectl drain``."""

    nodes: list[NonEmpty] | Literal["any"] = Field("any", description="node names, or any")


class DeleteParams(ActionParams):
    """``kubectl delete pod``."""

    pods: list[NonEmpty] = Field(description="pods: namespace/name or name")
    force: bool = Field(
        default=False,
        description="--force --grace-period=0: removed from the API at once, without waiting "
        "for the kubelet to stop the containers",
    )


class ConfigMapParams(ActionParams):
    """An update of one ConfigMap key."""

    name: NonEmpty = Field(description="the ConfigMap")
    key: NonEmpty = Field(description="its key")
    values: list[Any] = Field(description="the values offered")


class UngateParams(ActionParams):
    """Remove scheduling gates from pods, or from a Deployment's pods."""

    pods: list[NonEmpty] | None = Field(None, description="pods: namespace/name or name")
    deployment: NonEmpty | None = Field(None, description="a Deployment of the workloads")

    @model_validator(mode="after")
    def _one_target(self) -> UngateParams:
        if (self.pods is None) == (self.deployment is None):
            raise PydanticCustomError("one_target", "needs exactly one of pods or deployment")
        return self


class LoadParams(ActionParams):
    """The load on a HorizontalPodAutoscaler's target switches to one of the levels."""

    hpa: NonEmpty = Field(description="a HorizontalPodAutoscaler of the workloads (namespace/name)")
    levels: list[Quantity] = Field(description="the levels offered, as the HPA's load reads them")


class RequestParams(ActionParams):
    """Clients send requests to a Service through kube-proxy."""

    service: NonEmpty = Field(description="a Service of the workloads (namespace/name)")


# ----------------------------------------------------------------------------- the table


class SpecContext(Protocol):
    """What an action entry is checked against: its spec (:mod:`kmodel.explore.spec` gives it)."""

    @property
    def node_names(self) -> AbstractSet[str]:
        """The names of the cluster's nodes."""
        ...

    def reference(self, kind: str, name: str, path: str) -> str:
        """``namespace/name`` of the workload of ``kind`` called ``name`` (error: at ``path``)."""
        ...

    def workload(self, kind: str, key: str) -> Mapping[str, Any]:
        """The workload of ``kind`` at ``key`` (a :meth:`reference`)."""
        ...

    def milli(self, value: object, path: str) -> int:
        """A quantity as a milli-value (error: at ``path``)."""
        ...

    def error(self, path: str, message: str) -> Exception:
        """The error to raise for the entry's field at ``path``."""
        ...


@dataclass(frozen=True)
class UserActionKind:
    """One kind of user action a spec may offer (``actions: [{<kind>: {...}}]``).

    Attributes:
        kind: its key in a spec's action entry.
        params: its parameters (validated from the spec; ``times`` is the budget).
        summary: what it does, for the spec's schema and the README.
        actions: the concrete actions a resolved entry offers (workload references made
            ``namespace/name``; the second argument is the namespace of bare names).
        resolve: what checking an entry against its spec does beyond the references to
            workloads (``deployment``, ``statefulset``, ``daemonset``, made ``namespace/name``
            for every kind): defaults and checks, in place on the parameters, whose path is
            the third argument.
    """

    kind: str
    params: type[ActionParams]
    summary: str
    actions: Callable[[Mapping[str, Any], str], list[Action]]
    resolve: Callable[[dict[str, Any], SpecContext, str], None] | None = None


#: The actions a ``rollout`` entry offers, by the key naming its workload.
_ROLLOUTS: Final[Mapping[str, type[SetImage | SetStatefulSetImage | SetDaemonSetImage]]] = {
    "deployment": SetImage,
    "statefulset": SetStatefulSetImage,
    "daemonset": SetDaemonSetImage,
}
#: The actions a ``scale`` entry offers, by the key naming its workload.
_SCALES: Final[Mapping[str, type[ScaleDeployment | ScaleStatefulSet]]] = {
    "deployment": ScaleDeployment,
    "statefulset": ScaleStatefulSet,
}


def _workload_key(params: Mapping[str, Any]) -> str:
    """The key naming an entry's workload: ``statefulset`` or ``daemonset`` when given."""
    return next((key for key in ("statefulset", "daemonset") if params.get(key)), "deployment")


def _resolve_rollout(params: dict[str, Any], spec: SpecContext, where: str) -> None:
    """The container defaults to the workload's first; a named one must be the workload's."""
    key = _workload_key(params)
    workload = spec.workload(_ROLLOUTS[key].object_kind, params[key])
    containers = [c["name"] for c in workload["spec"]["template"]["spec"]["containers"]]
    params.setdefault("container", containers[0])
    if params["container"] not in containers:
        raise spec.error(
            f"{where}.container",
            f"no container {params['container']!r} in the {workload['kind']} "
            f"(has: {', '.join(containers)})",
        )


def _resolve_drain(params: dict[str, Any], spec: SpecContext, where: str) -> None:
    """``nodes: any`` is every node; a named node must be the cluster's."""
    nodes = params.get("nodes", "any")
    params["nodes"] = sorted(spec.node_names) if nodes == "any" else nodes
    for j, node in enumerate(params["nodes"]):
        if node not in spec.node_names:
            raise spec.error(f"{where}.nodes[{j}]", f"no node {node!r} in the cluster")


def _resolve_configmap(params: dict[str, Any], spec: SpecContext, where: str) -> None:
    """``name`` is a ConfigMap of the workloads; the values are strings.

    The update of a missing ConfigMap never applies: the action would silently never happen.
    """
    params["name"] = spec.reference("ConfigMap", str(params["name"]), f"{where}.name")
    params["values"] = [str(v) for v in params["values"]]


def _resolve_load(params: dict[str, Any], spec: SpecContext, where: str) -> None:
    """``hpa`` is a HorizontalPodAutoscaler of the workloads; ``levels`` are milli-values."""
    params["hpa"] = spec.reference("HorizontalPodAutoscaler", str(params["hpa"]), f"{where}.hpa")
    params["levels"] = [
        spec.milli(v, f"{where}.levels[{j}]") for j, v in enumerate(params["levels"])
    ]


def _resolve_requests(params: dict[str, Any], spec: SpecContext, where: str) -> None:
    """``service`` is a Service of the workloads."""
    params["service"] = spec.reference("Service", str(params["service"]), f"{where}.service")


def _ref(reference: object, namespace_default: str) -> tuple[str, str]:
    """``namespace/name`` or ``name`` as (namespace, name)."""
    namespace, _, name = str(reference).rpartition("/")
    return namespace or namespace_default, name


def _rollouts(p: Mapping[str, Any], namespace_default: str) -> list[Action]:
    key = _workload_key(p)
    namespace, name = _ref(p.get(key, ""), namespace_default)
    container = str(p.get("container", ""))
    return [_ROLLOUTS[key](namespace, name, container, str(image)) for image in p.get("images", [])]


def _scales(p: Mapping[str, Any], namespace_default: str) -> list[Action]:
    key = _workload_key(p)
    namespace, name = _ref(p.get(key, ""), namespace_default)
    return [_SCALES[key](namespace, name, int(r)) for r in p.get("replicas", [])]


def _ungates(p: Mapping[str, Any], namespace_default: str) -> list[Action]:
    if p.get("deployment"):
        namespace, name = _ref(p["deployment"], namespace_default)
        return [RemoveSchedulingGates(namespace, deployment=name)]
    return [RemoveSchedulingGates(*_ref(pod, namespace_default)) for pod in p.get("pods", [])]


def _deployment_ref(p: Mapping[str, Any], namespace_default: str) -> tuple[str, str]:
    return _ref(p.get("deployment", ""), namespace_default)


USER_ACTIONS: Final[tuple[UserActionKind, ...]] = (
    UserActionKind(
        "rollout",
        RolloutParams,
        "kubectl set image: roll a container out to each image",
        _rollouts,
        _resolve_rollout,
    ),
    UserActionKind("scale", ScaleParams, "kubectl scale", _scales),
    UserActionKind(
        "rollback",
        DeploymentParams,
        "kubectl rollout undo",
        lambda p, ns: [RollbackDeployment(*_deployment_ref(p, ns))],
    ),
    UserActionKind(
        "pause",
        DeploymentParams,
        "kubectl rollout pause",
        lambda p, ns: [PauseDeployment(*_deployment_ref(p, ns), paused=True)],
    ),
    UserActionKind(
        "resume",
        DeploymentParams,
        "kubectl rollout resume",
        lambda p, ns: [PauseDeployment(*_deployment_ref(p, ns), paused=False)],
    ),
    UserActionKind(
        "drain",
        DrainParams,
        "kubectl drain",
        lambda p, _: [DrainNode(str(n)) for n in p.get("nodes", [])],
        _resolve_drain,
    ),
    UserActionKind(
        "delete",
        DeleteParams,
        "kubectl delete pod (`force`: --force --grace-period=0)",
        lambda p, ns: [
            (ForceDeletePod if p.get("force") else DeletePod)(*_ref(pod, ns))
            for pod in p.get("pods", [])
        ],
    ),
    UserActionKind(
        "configmap",
        ConfigMapParams,
        "update a ConfigMap key",
        lambda p, ns: [
            UpdateConfigMap(*_ref(p.get("name", ""), ns), str(p.get("key", "")), str(v))
            for v in p.get("values", [])
        ],
        _resolve_configmap,
    ),
    UserActionKind("ungate", UngateParams, "remove scheduling gates", _ungates),
    UserActionKind(
        "load",
        LoadParams,
        "an HPA's load switches to a level",
        lambda p, ns: [SetLoad(*_ref(p.get("hpa", ""), ns), int(v)) for v in p["levels"]],
        _resolve_load,
    ),
    UserActionKind(
        "requests",
        RequestParams,
        "clients send a request to a Service through each endpoint kube-proxy routes to",
        lambda p, ns: [SendRequests(*_ref(p.get("service", ""), ns))],
        _resolve_requests,
    ),
)

#: The user action kinds by spec name.
USER_ACTION_KINDS: Final = {kind.kind: kind for kind in USER_ACTIONS}
