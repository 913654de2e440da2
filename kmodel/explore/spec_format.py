"""The check spec's format, declared once (README "Specs"; ``schemas/check-spec.schema.json``).

The models say what each key may hold, its default and what it means; :mod:`kmodel.explore.spec`
reads a validated spec into the objects exploration runs. What needs more than the file (a
Deployment the workloads define, a node of the cluster, a manifest's validity) is checked there;
manifests inside a spec stay plain mappings, validated by :mod:`kmodel.objects` as the API server
would. The sections shared with other formats (cluster, programs, faults, explore) live here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kmodel.cluster.faults import FAULT_KINDS
from kmodel.cluster.user_actions import USER_ACTIONS, ActionParams
from kmodel.internal.formats import Count, FormatModel, NonEmpty, Positive, Quantity

__all__ = [
    "Action",
    "CheckSpecFormat",
    "Cluster",
    "ControlPlane",
    "ExploreSection",
    "LoadEntry",
    "Manifest",
    "NodePool",
    "NodesCluster",
    "PlacementTarget",
    "ProgramFormat",
    "StrategiesCluster",
    "StrategiesExplore",
    "VerifyCluster",
]

#: Seconds, or null (never / until killed).
Seconds = Annotated[int | None, Field(ge=0)]
#: A Kubernetes manifest, kept as a plain mapping: the objects layer validates it.
Manifest = Annotated[
    dict[str, Any], Field(description="a Kubernetes manifest (validated as the API server would)")
]
#: How often something may happen: a number, or ``any`` (no limit).
Budget = Annotated[Count | Literal["any"], Field(description="a number of times, or any")]


def known_keys(known: tuple[str, ...], noun: str) -> BeforeValidator:
    """A validator refusing a mapping's keys outside ``known`` (``unknown <noun>`` errors)."""

    def check(value: object) -> object:
        if isinstance(value, dict):
            unknown = [str(key) for key in value if key not in known]
            if unknown:
                raise PydanticCustomError(
                    "unknown_keys",
                    "unknown {noun}: {keys}",
                    {"keys": unknown, "known": known, "noun": noun},
                )
        return value

    return BeforeValidator(check)


class NodePool(FormatModel):
    """``count`` Nodes of one shape, named ``<pool>-<n>``, zones round-robin.

    Each Node carries the labels its kubelet registers it with, then ``labels``.
    """

    pool: NonEmpty = Field(description="the pool's name; its nodes are <pool>-1, <pool>-2, ...")
    count: Positive = Field(1, description="how many nodes")
    zones: list[NonEmpty] = Field(
        default=[], description="zones, round-robin (topology.kubernetes.io/zone)"
    )
    region: NonEmpty = Field("", description="the region label (topology.kubernetes.io/region)")
    cpu: Quantity = Field("4", description="each node's CPU capacity")
    memory: Quantity = Field("16Gi", description="each node's memory capacity")
    pods: Quantity = Field("110", description="each node's pod capacity")
    resources: dict[str, Quantity] = Field(
        default={}, description="extended resources, e.g. nvidia.com/gpu: 8"
    )
    os: NonEmpty = Field("linux", description="kubernetes.io/os")
    arch: NonEmpty = Field("amd64", description="kubernetes.io/arch")
    labels: dict[str, Any] = Field(
        default={}, description="more labels (they win over the kubelet's)"
    )
    taints: list[Any] = Field(default=[], description="the nodes' taints")


def _node_entry(value: object) -> str:
    return "<pool>" if isinstance(value, dict) and "pool" in value else "<manifest>"


NodeEntry = Annotated[
    Annotated[NodePool, Tag("<pool>")] | Annotated[Manifest, Tag("<manifest>")],
    Discriminator(_node_entry),
]


def _odd(members: int) -> int:
    if members % 2 == 0:
        message = f"must be odd (etcd quorum), not {members}"
        raise ValueError(message)
    return members


class ControlPlane(FormatModel):
    """The control plane's etcd."""

    members: Annotated[Positive, AfterValidator(_odd)] = Field(
        1, description="etcd members (odd, for a quorum)"
    )


class NodesCluster(FormatModel):
    """The cluster's Nodes."""

    nodes: list[NodeEntry] = Field(
        default=[], description="node pools (pool: ...) and inline Node manifests"
    )


class VerifyCluster(NodesCluster):
    """The cluster of a verify spec: Nodes, inline or from files."""

    manifests: list[NonEmpty] = Field(
        default=[], description="Node manifest files, relative to the spec"
    )


class PlacementTarget(FormatModel):
    """The cluster and workloads of a verify spec (its ``verify:`` properties are read apart)."""

    cluster: VerifyCluster = Field(description="the Nodes")
    workloads: list[NonEmpty | Manifest] = Field(
        default=[],
        description="manifest files (relative to the spec) or inline manifests",
    )


class StrategiesCluster(NodesCluster):
    """The cluster of a strategies spec: Nodes, inline or from files, and the control plane."""

    control_plane: ControlPlane = Field(
        default_factory=ControlPlane, alias="controlPlane", description="the control plane"
    )
    manifests: list[NonEmpty] = Field(
        default=[], description="Node manifest files, relative to the spec"
    )


class Cluster(StrategiesCluster):
    """The cluster of a check spec: Nodes, inline or from files, control plane, static pods."""

    static_pods: dict[str, list[Manifest]] = Field(
        default={},
        alias="staticPods",
        description="Pod manifests each node's kubelet runs from its folder, by node name",
    )


class ProgramFormat(FormatModel):
    """What a container does, in seconds after each start (the default: runs, ready at once)."""

    run_for: Seconds = Field(None, alias="runFor", description="exits by itself after this long")
    exit_code: Count = Field(0, alias="exitCode", description="the exit code it then exits with")
    exit_codes: list[Count] = Field(
        default=[],
        alias="exitCodes",
        description="the first runs' exit codes, by restart count (then runs as otherwise said)",
    )
    exits_after: Seconds = Field(
        None, alias="exitsAfter", description="when the runs of exitCodes end (needs exitCodes)"
    )
    ready_after: Seconds = Field(
        0, alias="readyAfter", description="readiness probe succeeds from then (null: never)"
    )
    unready_after: Seconds = Field(
        None, alias="unreadyAfter", description="readiness probe fails from then"
    )
    liveness_fails_after: Seconds = Field(
        None, alias="livenessFailsAfter", description="stops answering its liveness probe then"
    )
    starts_after: Seconds = Field(
        0, alias="startsAfter", description="startup probe succeeds from then (null: never)"
    )
    probe_seconds: Count = Field(0, alias="probeSeconds", description="how long each probe takes")
    stops_after: Seconds = Field(
        0, alias="stopsAfter", description="exits this long after SIGTERM (null: ignores it)"
    )

    @field_validator("exits_after")
    @classmethod
    def _exits_after_needs_codes(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and not info.data.get("exit_codes"):
            raise PydanticCustomError("needs_exit_codes", "needs exitCodes (the runs it ends)")
        return value


Programs = Annotated[dict[str, ProgramFormat], Field(description="what containers do, by image")]
Faults = Annotated[
    dict[str, Budget],
    known_keys(FAULT_KINDS, "fault kind"),
    Field(
        description="fault kind -> how many may happen (any: no limit)",
        json_schema_extra={"propertyNames": {"enum": list(FAULT_KINDS)}},
    ),
]


class ExploreSection(FormatModel):
    """How hard to look (the command line's ``--examples``/``--max-steps`` override)."""

    examples: Positive = Field(100, description="runs to try")
    max_steps: Positive = Field(30, alias="maxSteps", description="steps per run")
    seed: Count = Field(0, description="the search's seed")
    ticks: list[Positive] = Field(
        default=[1, 10],
        description="the clock steps offered, in seconds (empty: 10)",
    )


class StrategiesExplore(ExploreSection):
    """How hard to look at each (strategy, failure) pair."""

    examples: Positive = Field(20, description="runs to try")
    max_steps: Positive = Field(15, alias="maxSteps", description="steps per run")


class _ActionEntry(FormatModel):
    """One user action the exploration may take: exactly one key."""

    key_noun: ClassVar[str] = "action"

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:  # noqa: ANN401 (pydantic's input)
        if isinstance(data, dict):
            if len(data) != 1:
                raise PydanticCustomError(
                    "one_action", "must have exactly one of {kinds}", {"kinds": _ACTION_KINDS}
                )
            kind = next(iter(data))
            if data[kind] is None:  # `rollback:` alone: no parameters
                return {kind: {}}
        return data

    @property
    def kind(self) -> str:
        """The action's kind (its one key)."""
        return next(iter(self.model_fields_set))

    @property
    def params(self) -> ActionParams:
        """The action's parameters."""
        value = getattr(self, self.kind)
        return value if isinstance(value, ActionParams) else ActionParams()


if TYPE_CHECKING:
    Action = _ActionEntry
else:
    # One optional key per kind of kmodel.cluster.user_actions.USER_ACTIONS, in its order.
    Action = create_model(
        "Action",
        __base__=_ActionEntry,
        __doc__=_ActionEntry.__doc__,
        **{k.kind: (k.params | None, Field(None, description=k.summary)) for k in USER_ACTIONS},
    )

_ACTION_KINDS = ", ".join(k.kind for k in USER_ACTIONS)


class LoadPoint(FormatModel):
    """One step of a load series."""

    at: Count = Field(description="from this second of the logical clock")
    value: Quantity = Field(description="the value from then on")


LoadValue = Annotated[
    Quantity | list[LoadPoint], Field(description="a constant, or a series of {at, value}")
]


class LoadEntry(FormatModel):
    """What one HorizontalPodAutoscaler's metrics read: exactly one of total or perPod."""

    total: LoadValue | None = Field(None, description="spread over the target's Ready pods")
    per_pod: LoadValue | None = Field(None, alias="perPod", description="each Ready pod's value")

    @model_validator(mode="after")
    def _one_kind(self) -> LoadEntry:
        if (self.total is None) == (self.per_pod is None):
            raise PydanticCustomError("one_load", "needs exactly one of total or perPod")
        return self


def _one_invariant(value: object) -> object:
    if isinstance(value, dict) and len(value) != 1:
        message = "must be a name, or a mapping of one name to its parameters"
        raise PydanticCustomError("one_invariant", message)
    return value


Invariant = Annotated[
    NonEmpty | Annotated[dict[str, dict[str, Any] | None], BeforeValidator(_one_invariant)],
    Field(description="an invariant's name, or {name: parameters}; module:function for your own"),
]


class CheckSpecFormat(FormatModel):
    """A check spec: a cluster, workloads, what may happen, and what must hold."""

    name: NonEmpty | None = Field(None, description="the spec's name (default: the file name)")
    description: str = Field("", description="what it demonstrates")
    expect: Literal["pass", "violation"] | None = Field(
        None, description="what the author expects (pass if absent): tests assert it"
    )
    cluster: Cluster = Field(description="the Nodes and the control plane")
    workloads: list[NonEmpty | Manifest] = Field(
        default=[],
        description="manifest files (relative to the spec) or inline manifests",
    )
    programs: Programs = Field(default={})
    faults: Faults = Field(default={})
    actions: list[Action] = Field(default=[], description="what the user may do")
    invariants: list[Invariant] = Field(default=[], description="what must hold (at least one)")
    explore: ExploreSection = Field(default_factory=ExploreSection, description="how hard to look")
    load: dict[str, LoadEntry] = Field(
        default={}, description="per HorizontalPodAutoscaler (namespace/name): what it reads"
    )
    ignore_unmodelled: bool | list[NonEmpty] = Field(
        default=False,
        alias="ignoreUnmodelled",
        description="check without objects of kinds the model does not run: true, or kinds",
    )
