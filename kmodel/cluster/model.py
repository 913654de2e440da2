"""The cluster: API store, components and machines, stepped one action at a time.

A :class:`Cluster` holds everything that changes: the API store (objects, revisions, the watch
log, etcd members), each component's informer and in-memory state, each machine's kubelet and
container runtime, and the logical clock. :meth:`Cluster.step` applies one action and returns a
:class:`Step` that says what changed; :meth:`Cluster.enabled_actions` lists the component steps
that would do something now; :meth:`Cluster.settle` runs components to a fixpoint.

No threads, no wall clock, no randomness: the same actions give the same cluster.
"""

from __future__ import annotations

import copy
import math
import numbers
import operator
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from fractions import Fraction
from typing import Any, Final, TypeVar

from kmodel.cluster.actions import Action
from kmodel.cluster.clock import Tick
from kmodel.cluster.informer import Informer
from kmodel.cluster.registry import ComponentTable
from kmodel.cluster.replacement import InstantFailures, ReplacementLoop
from kmodel.cluster.store import APIError, APIStore, ObjectKey, WatchEvent, Written, key_of
from kmodel.semantics.containers import BackOffPolicy, RuntimeContainer
from kmodel.semantics.printers import scheduling_gated_condition

T = TypeVar("T")

__all__ = [
    "SETTLE_IDLE_TICKS",
    "UNREAD_CLOCK",
    "Change",
    "ClockRead",
    "ClockWindow",
    "Cluster",
    "ClusterConfig",
    "Machine",
    "Program",
    "Step",
]

#: How many idle clock ticks :meth:`Cluster.settle` allows before it calls the cluster stable.
SETTLE_IDLE_TICKS: Final = 40

#: :meth:`Cluster.settle` probes idle ticks again after a probe that merged more ticks than this.
_PROBE_PAID_OFF: Final = 2
#: ... and stops probing for the rest of the settling after this many that did not.
_PROBES_UNPAID: Final = 2

#: Tolerations added to every pod by the DefaultTolerationSeconds admission plugin.
DEFAULT_TOLERATIONS: Final = (
    {
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
    {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": 300,
    },
)


@dataclass(frozen=True)
class Program:
    """What a container does when it runs (the model's stand-in for the process).

    Attributes:
        run_for: seconds until the process exits by itself; None runs until killed.
        exit_code: the exit code when it exits by itself.
        ready_after: seconds after start when its readiness probe first passes; None never.
        exit_codes: exit codes of the first runs, by restart count (run 0 is the first start);
            later runs exit with ``exit_code`` (a program that fails twice, then succeeds).
        exits_after: seconds after start when the runs listed in ``exit_codes`` end; None
            means ``run_for`` (a program that fails at once, then runs forever, sets 0).
        unready_after: seconds after start when its readiness probe starts failing again;
            None keeps it passing.
        liveness_fails_after: seconds after start when it stops answering its liveness probe
            (a hung process); None keeps answering.
        starts_after: seconds after start before which it answers no probe (a slow start: its
            startup probe passes from then on); None never finishes starting.
        probe_seconds: how long each probe takes to answer; a probe whose ``timeoutSeconds``
            is not longer fails.
        stops_after: seconds it takes to exit after SIGTERM (exit code 143); None ignores
            SIGTERM, so a probe kill ends with SIGKILL after the grace period (exit code 137).
    """

    run_for: int | None = None
    exit_code: int = 0
    ready_after: int | None = 0
    exit_codes: tuple[int, ...] = ()
    unready_after: int | None = None
    exits_after: int | None = None
    liveness_fails_after: int | None = None
    starts_after: int | None = 0
    probe_seconds: int = 0
    stops_after: int | None = 0

    def run_for_of_run(self, restart_count: int) -> int | None:
        """How long the run with this restart count lasts (None: until killed)."""
        if 0 <= restart_count < len(self.exit_codes) and self.exits_after is not None:
            return self.exits_after
        return self.run_for

    def exit_code_of_run(self, restart_count: int) -> int:
        """The exit code of the run with this restart count."""
        if 0 <= restart_count < len(self.exit_codes):
            return self.exit_codes[restart_count]
        return self.exit_code


@dataclass(frozen=True)
class ClusterConfig:
    """Timings and behaviours, with upstream defaults.

    Attributes:
        programs: container behaviour by image; images not listed run forever and are ready.
        node_monitor_grace_period: kube-controller-manager ``--node-monitor-grace-period``.
        heartbeat_interval: kubelet node lease renew interval.
        configmap_sync_delay: how long a ConfigMap change takes to reach a volume mount.
        settle_horizon: logical seconds after which "eventually" is judged (longer than any
            upstream timer: eviction 300 s, progress deadline 600 s, back-off reset 600 s).
        crash_loop_backoff: the kubelet's crash-loop back-off bounds.
        controllers: extra controller components, as functions from the cluster to the
            actions they would take now.
        components: the components the cluster runs; None: the built-in ones
            (:data:`kmodel.cluster.components.COMPONENTS`). Tests swap a broken variant of
            one in with :meth:`~kmodel.cluster.registry.ComponentTable.replacing`.
    """

    programs: Mapping[str, Program] = field(default_factory=dict)
    node_monitor_grace_period: int = 50
    heartbeat_interval: int = 10
    configmap_sync_delay: int = 60
    settle_horizon: int = 1800
    crash_loop_backoff: BackOffPolicy = field(default_factory=BackOffPolicy)
    #: Controllers defined outside kmodel.cluster (e.g. kmodel.strategies): each lists the steps
    #: it would take now, and they join the built-in components' steps (exploration, settling).
    controllers: tuple[Callable[[Cluster], list[Action]], ...] = ()
    #: The load each HorizontalPodAutoscaler's metrics read, by ``namespace/name`` (a
    #: ``kmodel.cluster.components.hpa.Load``).
    loads: Mapping[str, Any] = field(default_factory=dict)
    components: ComponentTable | None = None

    def program(self, image: str) -> Program:
        """The behaviour of a container image."""
        return self.programs.get(image, Program())


@dataclass
class Machine:
    """A node's machine: whether it runs, whether its kubelet reaches the API, and its runtime.

    Attributes:
        up: the machine runs (a crash stops it and every container on it).
        exists: the cloud still has the instance (the cloud controller removes the Node otherwise).
        partitioned: the kubelet cannot reach the API server.
        pods: runtime state per pod UID (see :mod:`kmodel.cluster.kubelet`).
        kept_containers: container records the runtime keeps across a reboot, by runtime key
            and container name, newest first (containerd's checkpoint survives; the kubelet's
            memory does not): taken back when the rebooted kubelet syncs the pod.
        static_pods: static pod manifests the kubelet reads from its manifest folder.
        index: the node's number, for its pod CIDR (10.244.<index>.0/24).
        next_ip: the next host number for a pod IP.
    """

    name: str
    index: int
    up: bool = True
    exists: bool = True
    partitioned: bool = False
    pods: dict[str, Any] = field(default_factory=dict)
    kept_containers: dict[str, dict[str, list[RuntimeContainer]]] = field(default_factory=dict)
    static_pods: list[Mapping[str, Any]] = field(default_factory=list)
    next_ip: int = 2
    last_heartbeat: int = 0
    #: Bumped whenever the machine's runtime may have changed (a cache key).
    epoch: int = 0

    def copy(self) -> Machine:
        """An independent copy: each pod's runtime is copied (see ``PodRuntime.copy``).

        Fields not listed in ``_MACHINE_COPIED_BY_HAND`` (added later, say) are deep-copied,
        so the copy stays independent whatever they hold.
        """
        clone = copy.copy(self)
        clone.pods = {uid: runtime.copy() for uid, runtime in self.pods.items()}
        clone.kept_containers = {
            key: {name: [r.copy() for r in records] for name, records in by_name.items()}
            for key, by_name in self.kept_containers.items()
        }
        clone.static_pods = copy.deepcopy(self.static_pods)
        for spec in fields(self):
            if spec.name not in _MACHINE_COPIED_BY_HAND:
                setattr(clone, spec.name, copy.deepcopy(getattr(self, spec.name)))
        return clone


#: Machine fields :meth:`Machine.copy` copies by hand: scalars, and the containers it copies.
_MACHINE_COPIED_BY_HAND: Final = frozenset(
    {"name", "index", "up", "exists", "partitioned", "pods", "static_pods", "next_ip"}
    | {"last_heartbeat", "epoch", "kept_containers"}
)


@dataclass(frozen=True)
class Change:
    """One object change during a step, summarised for traces."""

    type: str
    kind: str
    namespace: str
    name: str
    summary: str

    def as_json(self) -> dict[str, str]:
        """JSON form."""
        return {
            "type": self.type,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Step:
    """What one action did: the action, the time, the changes and the refused writes."""

    index: int
    time: int
    action: Action
    changes: tuple[Change, ...]
    errors: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether the step changed any object."""
        return bool(self.changes)


def _taint_string(taint: Mapping[str, Any]) -> str:
    """A taint as kubectl prints it: ``key=value:effect``, ``key=value:``, ``key:effect``, ``key``.

    Mirrors ``staging/src/k8s.io/api/core/v1/taint.go Taint.ToString``.
    """
    key, value, effect = (str(taint.get(f) or "") for f in ("key", "value", "effect"))
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def summarise(event: WatchEvent) -> str:
    """A one-line summary of an object's state, for traces."""
    obj = event.object
    kind = event.key[0]
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    metadata = obj.get("metadata") or {}
    parts: list[str] = []
    if kind == "Pod":
        parts.append(f"phase={status.get('phase', 'Pending')}")
        ready = next(
            (c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
            None,
        )
        if ready is not None:
            parts.append(f"ready={ready}")
        if spec.get("nodeName"):
            parts.append(f"node={spec['nodeName']}")
        restarts = sum(c.get("restartCount", 0) for c in status.get("containerStatuses") or [])
        if restarts:
            parts.append(f"restarts={restarts}")
    elif kind in {"ReplicaSet", "Deployment"}:
        parts.append(f"spec.replicas={spec.get('replicas')}")
        parts.append(f"available={status.get('availableReplicas', 0)}")
        if kind == "Deployment":
            parts.append(f"updated={status.get('updatedReplicas', 0)}")
    elif kind == "StatefulSet":
        parts.append(f"spec.replicas={spec.get('replicas')}")
        parts.append(f"ready={status.get('readyReplicas', 0)}")
        parts.append(f"updated={status.get('updatedReplicas', 0)}")
    elif kind == "Node":
        ready = next(
            (c.get("status") for c in status.get("conditions") or [] if c.get("type") == "Ready"),
            None,
        )
        parts.append(f"ready={ready}")
        if spec.get("unschedulable"):
            parts.append("cordoned")
        taints = [_taint_string(t) for t in spec.get("taints") or []]
        if taints:
            parts.append("taints=" + ",".join(taints))
    elif kind == "Endpoints":
        addresses = [
            a.get("targetRef", {}).get("name", a.get("ip"))
            for subset in obj.get("subsets") or []
            for a in subset.get("addresses") or []
        ]
        parts.append("ready=[" + " ".join(str(a) for a in addresses) + "]")
    if metadata.get("deletionTimestamp") is not None and event.type != "DELETED":
        parts.append("terminating")
    return " ".join(parts)


class ClockRead(BaseException):
    """A dry run used the clock in a way its stand-in does not allow (see :data:`UNREAD_CLOCK`).

    A BaseException, so that no ``except Exception`` in the code under the dry run swallows it.
    """


class _UnreadClock:
    """A stand-in for ``now`` that raises :class:`ClockRead` on any use but being passed on.

    Comparisons, arithmetic, hashing, conversions, formatting, attribute access (``isinstance``
    reads ``__class__``) and copying all raise; only storing it and identity checks do not.
    """

    __slots__ = ()

    def _read(self, *args: object, **kwargs: object) -> Any:  # noqa: ANN401
        raise ClockRead

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _read
    __hash__ = __bool__ = __int__ = __index__ = __float__ = __complex__ = _read
    __str__ = __repr__ = __format__ = __bytes__ = _read
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _read
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _read
    __divmod__ = __rdivmod__ = __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _read
    __round__ = __trunc__ = __floor__ = __ceil__ = _read
    __len__ = __iter__ = __contains__ = __getitem__ = _read
    __getattribute__ = _read


#: What :meth:`Cluster.memo` finds for a key it has no value for (a value may be None).
_ABSENT: Final = object()
#: Entries a cluster's caches (``cache``, ``derived``) may hold before they are emptied.
_CACHE_LIMIT: Final = 50_000

#: The clock of a dry run whose answer must hold at any time (it raises on any use): such a run
#: never looked at the time, so it takes the same path at every ``now``.
UNREAD_CLOCK: Final = _UnreadClock()


@dataclass
class ClockWindow:
    """The times a dry run's answer holds for: ``low <= now <= high``, ``now`` not ``excluded``.

    Built from every comparison the dry run made with the clock (see :class:`_WatchedClock`):
    at any such time each comparison comes out as it did, so the run takes the same path.
    None bounds are open.
    """

    low: int | None = None
    high: int | None = None
    excluded: frozenset[int] = frozenset()

    def __contains__(self, now: object) -> bool:
        return (
            isinstance(now, int)
            and (self.low is None or self.low <= now)
            and (self.high is None or now <= self.high)
            and (
                now not in self.excluded
                if type(now) is int
                else all(now != excluded for excluded in self.excluded)  # a watched clock
            )
        )

    def narrow(self, op: str, bound: Fraction) -> None:
        """Keep the times at which ``now <op> bound`` holds (``now`` is an integer)."""
        if op in {"<", "<="}:
            high = math.ceil(bound) - 1 if op == "<" else math.floor(bound)
            self.high = high if self.high is None else min(self.high, high)
        elif op in {">", ">="}:
            low = math.floor(bound) + 1 if op == ">" else math.ceil(bound)
            self.low = low if self.low is None else max(self.low, low)
        elif bound.denominator == 1:  # == or != an integer; an integer never equals the others
            if op == "==":
                self.narrow(">=", bound)
                self.narrow("<=", bound)
            else:
                self.excluded = self.excluded | {int(bound)}


#: A comparison's opposite (what holds when it does not) and its mirror (both sides swapped).
_NEGATED: Final = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_MIRRORED: Final = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class _WatchedClock:  # noqa: PLW1641  # __hash__ is assigned below (it raises)
    """``scale * now + offset`` in a dry run: integer arithmetic, comparisons noted in a window.

    Adding, subtracting or multiplying by integers gives another watched value (so the
    nanoseconds of ``time_ns`` are watched too); comparing with an integer or another watched
    value gives the real answer and narrows the window to the times that give the same one.
    It passes for an ``int`` (``isinstance``), as the clock it stands for is one. Anything else
    (hashing, conversions, formatting, floats, division, attribute access) raises
    :class:`ClockRead`, so a dry run that uses the clock otherwise gets no window.
    """

    __slots__ = ("_now", "_offset", "_scale", "_window")

    def __init__(self, window: ClockWindow, now: int, scale: int = 1, offset: int = 0) -> None:
        object.__setattr__(self, "_window", window)
        object.__setattr__(self, "_now", now)
        object.__setattr__(self, "_scale", scale)
        object.__setattr__(self, "_offset", offset)

    def __getattribute__(self, name: str) -> Any:  # noqa: ANN401
        if name == "__class__":
            return int
        if name in _WATCHED_CLOCK_OWN:
            return object.__getattribute__(self, name)
        raise ClockRead

    def __setattr__(self, name: str, value: object) -> None:
        raise ClockRead

    def parts(self) -> tuple[ClockWindow, int, int, int]:
        get = object.__getattribute__
        return get(self, "_window"), get(self, "_now"), get(self, "_scale"), get(self, "_offset")

    def linear(self, other: object, sign: int) -> Any:  # noqa: ANN401
        """``self + sign * other``; an integer when the clock cancels out."""
        window, now, scale, offset = self.parts()
        if type(other) is int:
            return _WatchedClock(window, now, scale, offset + sign * other)
        if type(other) is _WatchedClock:
            other_window, _, other_scale, other_offset = other.parts()
            if other_window is not window:
                raise ClockRead
            scale, offset = scale + sign * other_scale, offset + sign * other_offset
            return offset if scale == 0 else _WatchedClock(window, now, scale, offset)
        raise ClockRead

    def __add__(self, other: object) -> Any:  # noqa: ANN401
        return self.linear(other, 1)

    __radd__ = __add__

    def __sub__(self, other: object) -> Any:  # noqa: ANN401
        return self.linear(other, -1)

    def __rsub__(self, other: object) -> Any:  # noqa: ANN401
        return (-self).linear(other, 1)

    def __neg__(self) -> _WatchedClock:
        window, now, scale, offset = self.parts()
        return _WatchedClock(window, now, -scale, -offset)

    def __pos__(self) -> _WatchedClock:
        return self

    def __mul__(self, other: object) -> Any:  # noqa: ANN401
        window, now, scale, offset = self.parts()
        if type(other) is not int:
            raise ClockRead
        return (
            offset * other
            if other == 0
            else _WatchedClock(window, now, scale * other, offset * other)
        )

    __rmul__ = __mul__

    def compare(self, op: str, other: object) -> bool:
        difference = self.linear(other, -1)  # raises unless other is an int or watched
        if type(difference) is int:
            return bool(_COMPARE[op](difference, 0))
        window, now, scale, offset = difference.parts()
        holds = bool(_COMPARE[op](scale * now + offset, 0))
        # scale * now + offset <op> 0  <=>  now <op'> -offset / scale (op' mirrored if scale < 0)
        bound = Fraction(-offset, scale)
        kept = op if scale > 0 else _MIRRORED[op]
        window.narrow(kept if holds else _NEGATED[kept], bound)
        return holds

    def __lt__(self, other: object) -> bool:
        return self.compare("<", other)

    def __le__(self, other: object) -> bool:
        return self.compare("<=", other)

    def __gt__(self, other: object) -> bool:
        return self.compare(">", other)

    def __ge__(self, other: object) -> bool:
        return self.compare(">=", other)

    def __eq__(self, other: object) -> bool:
        if type(other) is not int and type(other) is not _WatchedClock:
            if isinstance(other, numbers.Number):  # a bool, a float: equal to some integers
                raise ClockRead
            return False  # never equal to a string, a dict, None: at any time
        return self.compare("==", other)

    def __ne__(self, other: object) -> bool:
        return not _WatchedClock.__eq__(self, other)

    def __copy__(self) -> _WatchedClock:
        return self

    def __deepcopy__(self, memo: object) -> _WatchedClock:
        return self

    def __floor__(self) -> _WatchedClock:
        return self

    __ceil__ = __trunc__ = __round__ = __floor__

    def _read(self, *args: object, **kwargs: object) -> Any:  # noqa: ANN401
        raise ClockRead

    __hash__ = __bool__ = __int__ = __index__ = __float__ = __complex__ = _read
    __str__ = __repr__ = __format__ = __bytes__ = _read
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _read
    __divmod__ = __rdivmod__ = __pow__ = __rpow__ = __abs__ = _read
    __len__ = __iter__ = __contains__ = __getitem__ = _read


#: What :class:`_WatchedClock` reads of itself (any other attribute access raises).
_WATCHED_CLOCK_OWN: Final = frozenset(
    {*_WatchedClock.__slots__, "parts", "linear", "compare", "__copy__", "__deepcopy__"}
)


@dataclass
class Cluster:
    """The whole cluster state. Build one with :func:`kmodel.cluster.build.build_cluster`."""

    store: APIStore
    #: The components it runs, in the order their steps are offered.
    components: ComponentTable
    config: ClusterConfig = field(default_factory=ClusterConfig)
    machines: dict[str, Machine] = field(default_factory=dict)
    informers: dict[str, Informer] = field(default_factory=dict)
    #: In-memory component state that a restart loses (e.g. ReplicaSet expectations).
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Requests sent through kube-proxy: (time, service, pod name or "" when refused, the
    #: endpoint address kube-proxy chose or "" when it knew none).
    requests: list[tuple[int, str, str, str]] = field(default_factory=list)
    #: Evictions admitted through the eviction API: (time, pod key).
    evictions: list[tuple[int, ObjectKey]] = field(default_factory=list)
    #: Faults that happened, by kind (invariants that assume "no faults" read this).
    faults: list[str] = field(default_factory=list)
    steps: int = 0
    next_service_ip: int = 10
    #: Derived results keyed by the revisions they depend on (see :meth:`memo`).
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    #: Pure functions of stored objects, by function name and object identity (see
    #: :meth:`derive`); shared with forks, since stored objects never change.
    derived: dict[tuple[str, int], tuple[Any, Any]] = field(default_factory=dict, repr=False)
    #: On a fork: the ``derived`` results and the store of the cluster it was forked from.
    derived_parent: tuple[dict[tuple[str, int], tuple[Any, Any]], APIStore] | None = field(
        default=None, repr=False
    )
    #: Why the last :meth:`settle` stopped with time standing still, if it did.
    replacement_loop: ReplacementLoop | None = None

    def __post_init__(self) -> None:
        for name in self.components.informer_names:
            self.informers.setdefault(name, Informer())
            self.memory.setdefault(name, {})

    # ----------------------------------------------------------------- time

    @property
    def now(self) -> int:
        """The logical clock, in seconds."""
        return self.store.now

    # ----------------------------------------------------------------- component views

    def view(self, component: str) -> Informer:
        """A component's informer, caught up unless its watch lags (a fault)."""
        informer = self.informers[component]
        informer.catch_up(self.store)
        return informer

    # ----------------------------------------------------------------- writes

    def _errors(self) -> list[str]:
        errors: list[str] = self.memory.setdefault("_step", {}).setdefault("errors", [])
        return errors

    def try_write(self, write: Callable[[], Mapping[str, Any] | None]) -> Mapping[str, Any] | None:
        """Run one API write; a refused write is recorded on the step and returns None."""
        try:
            return write()
        except APIError as error:
            self._errors().append(f"{error.reason}: {error}")
            return None

    def create(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Create an object through admission (pods get the default tolerations)."""
        obj = dict(body)
        if obj.get("kind") == "Pod":
            obj = admit_pod(obj)
        return self.try_write(lambda: self.store.create(obj))

    def update(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """Update an object (optimistic concurrency applies)."""
        return self.try_write(lambda: self.store.update(body))

    def delete(
        self, key: ObjectKey, *, uid: str | None = None, grace_period_seconds: int | None = None
    ) -> Mapping[str, Any] | None:
        """Delete an object; a positive grace period marks it first (see APIStore.delete)."""
        return self.try_write(
            lambda: self.store.delete(key, uid=uid, grace_period_seconds=grace_period_seconds)
        )

    # ----------------------------------------------------------------- dry runs

    def derive(self, name: str, obj: Mapping[str, Any], compute: Callable[[Any], T]) -> T:
        """``compute(obj)`` for a stored object, cached by ``name`` and the object's identity.

        Stored objects are never mutated (a write stores a new dict), so a pure function of one
        is computed once per object version. The entry keeps the object alive and is checked by
        identity, so a reused ``id`` never matches. A fork (a dry run) reads its parent's
        results and adds to them for the parent's stored objects; results for objects only the
        fork wrote stay in the fork (they may hold a dry run's stand-in clock).
        """
        key = (name, id(obj))
        entry = self.derived.get(key)
        if entry is not None and entry[0] is obj:
            cached: T = entry[1]
            return cached
        target = self.derived
        if self.derived_parent is not None:
            parent, parent_store = self.derived_parent
            entry = parent.get(key)
            if entry is not None and entry[0] is obj:
                inherited: T = entry[1]
                return inherited
            if parent_store.objects.get(key_of(obj)) is obj:
                target = parent
        value = compute(obj)
        if len(target) > _CACHE_LIMIT:
            target.clear()
        target[key] = (obj, value)
        return value

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, cached under ``key`` (which must hold every revision it depends on)."""
        # One lookup, not two: a key is a tuple of revisions, hashed anew on every lookup.
        try:
            cached = self.cache.get(key, _ABSENT)
        except ClockRead:  # the key holds a probe's watched clock (see idle_window)
            return compute()
        if cached is not _ABSENT:
            return cached  # type: ignore[no-any-return]
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        value = self.cache[key] = compute()
        return value

    def memo_on(self, name: Hashable, objects: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, a pure function of never mutated ``objects``, cached by their identities.

        ``name`` holds whatever else the result depends on. The entry holds the objects and is
        checked by identity, as :meth:`derive` does: ids are reused once objects are gone (a
        copy of a cluster carries the keys, not the objects they were taken from).
        """
        key = (name, *map(id, objects))
        try:
            entry = self.cache.get(key)
        except ClockRead:  # the name holds a probe's watched clock (see idle_window)
            return compute()
        if entry is not None and all(map(operator.is_, entry[0], objects)):
            cached: T = entry[1]
            return cached
        value = compute()
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        self.cache[key] = (objects, value)
        return value

    def fork(self, *, components: Iterable[str] | None = None) -> Cluster:
        """A scratch cluster for a dry run of a component step: its writes touch nothing here.

        The store is forked; the informers and memory of ``components`` (default: every one
        that reads through an informer) are copied (the others are left empty and must not be
        used). Machines are shared, so only steps that leave
        machines alone (controllers, not kubelets) may run on a fork.
        """
        probe = _shallow_copy(self)
        probe.store = self.store.fork()
        wanted = set(self.components.informer_names if components is None else components)
        # The components left out share one empty, lagging informer: none of them may be used.
        unused = Informer(lagging=True)
        probe.informers = {
            name: informer.copy() if name in wanted else unused
            for name, informer in self.informers.items()
        }
        probe.memory = {
            name: copy.deepcopy(memory) if memory and name in wanted else {}
            for name, memory in self.memory.items()
        }
        probe.memory["_step"] = {"errors": []}
        probe.cache = {}
        probe.derived = {}
        probe.derived_parent = (self.derived, self.store)
        probe.requests = []
        probe.evictions = []
        probe.faults = list(self.faults)
        return probe

    def copy(self) -> Cluster:
        """An independent copy of the whole cluster: stepping either never affects the other.

        What exploration starts every example from: the scenario's cluster is built and settled
        once and each example steps its own copy, which behaves exactly as a freshly built one
        (the same steps, traces and violations). Unlike :meth:`fork` nothing mutable is shared:
        the store (with its watch log), every informer, the component memory, each machine's
        runtime, the records of requests, evictions and faults, and the caches are copied. Only
        immutable values are shared: stored objects (a write stores a new dict), watch events,
        actions, and cached results (computed once, never edited).

        The caches carry over warm: ``cache`` is keyed by the store's revisions and the
        informers' versions, which the copy keeps (any later change draws fresh, unique
        versions), and ``derived`` is keyed by stored objects, which the copy shares. Fields not
        listed in ``_CLUSTER_COPIED_BY_HAND`` (added later, say) are deep-copied.
        """
        clone = _shallow_copy(self)
        clone.store = self.store.copy()
        clone.machines = {name: machine.copy() for name, machine in self.machines.items()}
        clone.informers = {
            name: informer.copy(keep_versions=True) for name, informer in self.informers.items()
        }
        clone.memory = copy.deepcopy(self.memory)
        clone.requests = list(self.requests)
        clone.evictions = list(self.evictions)
        clone.faults = list(self.faults)
        clone.cache = dict(self.cache)
        clone.derived = dict(self.derived)
        # A fork adds to its parent's results by design (see derive); anything else has none.
        clone.derived_parent = self.derived_parent
        for spec in fields(self):
            if spec.name not in _CLUSTER_COPIED_BY_HAND:
                setattr(clone, spec.name, copy.deepcopy(getattr(self, spec.name)))
        return clone

    def would_change(self, action: Action, *, components: Iterable[str] | None = None) -> bool:
        """Whether ``action`` would write anything now (a dry run on a fork).

        The dry run stops at its first write: that is the answer, whatever it would do next.
        """
        probe = self.fork(components=components)
        probe.store.stop_after = 1
        try:
            action.apply(probe)
        except Written:
            return True
        return False

    def writes_of(self, action: Action, *, component: str) -> int:
        """How many writes ``action``, a step of ``component``, would commit now (a dry run)."""
        probe = self.fork(components=[component])
        before = probe.store.revision
        action.apply(probe)
        return probe.store.revision - before

    def would_change_within(
        self, action: Action, *, components: Iterable[str] | None = None
    ) -> tuple[bool, ClockWindow] | None:
        """:meth:`would_change`, with the times its answer holds for; None if that is unknown.

        The dry run runs with a clock that notes every comparison made with it (see
        :class:`_WatchedClock`): at every time of the window each comparison comes out the same,
        so the run takes the same path and gives the same answer, as long as nothing else it
        reads changes. A dry run that uses the clock otherwise (or fails) gives None. It stops
        at its first write, so the window holds the comparisons made up to it: at those times
        the run takes the same path that far and writes, whatever it would do next.
        """
        if type(self.store.now) is not int:
            return None
        probe = self.fork(components=components)
        probe.store.stop_after = 1
        window = ClockWindow()
        probe.store.now = _WatchedClock(window, self.store.now)  # type: ignore[assignment]
        try:
            action.apply(probe)
        except Written:
            return True, window
        except (ClockRead, Exception):  # noqa: BLE001  # any failure: let the real dry run tell
            return None
        return False, window

    def memo_within(
        self, key: Hashable, compute: Callable[[], tuple[T, ClockWindow] | None]
    ) -> T | None:
        """A result cached under ``key`` for the times it holds for, else ``compute()``'s.

        ``compute`` gives a result and its window (see :meth:`would_change_within`), or None
        (then so does this). ``key`` must hold everything but the time the result depends on.
        Each key keeps the windows of its last few results.
        """
        entries = self.cache.get(("within", key), ())
        now = self.now
        for window, value in entries:
            # A probe's watched clock (see idle_window) notes the comparisons this makes.
            if now in window:
                cached: T = value
                return cached
        outcome = compute()
        if outcome is None:  # also for a probe's watched clock: its results are not kept
            return None
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        # A new tuple, never an edited one: copies of this cluster share the cache's values.
        self.cache[("within", key)] = (*entries[-7:], (outcome[1], outcome[0]))
        return outcome[0]

    def idle_window(self, quiet: Callable[[Cluster, Step], bool]) -> ClockWindow | None:
        """The times after the next idle tick at which the cluster is as idle as then; or None.

        A probe (a copy of this cluster) takes the next heartbeat-sized :class:`Tick` with a
        watched clock (see :class:`_WatchedClock`): the heartbeats it posts carry that clock,
        and every component lists its steps (:meth:`memo` computes what is keyed on the clock,
        and reuses only results keyed without it, which do not depend on it). If no
        component would take a step and ``quiet`` (the safety invariants) finds nothing on the
        probe, the window holds the times at which every comparison made with the clock comes
        out the same: ticking on to any of them changes nothing but the clock and the
        heartbeats, so :meth:`settle` may take those ticks as one. None when a component
        would act, ``quiet`` objects, or the probe used the clock otherwise (then settling
        ticks one interval at a time, as without a window).
        """
        if type(self.store.now) is not int:
            return None
        interval = self.config.heartbeat_interval
        # The copy keeps the caches: results keyed without the clock do not depend on it.
        probe = self.copy()
        window = ClockWindow()
        # Watched as the time after the tick: the tick adds the interval back.
        probe.store.now = _WatchedClock(window, self.now + interval, 1, -interval)  # type: ignore[assignment]
        try:
            step = probe.step(Tick(interval))
            if probe.components.enabled(probe) or not quiet(probe, step):
                return None
        except (ClockRead, Exception):  # noqa: BLE001  # any failure: tick one at a time
            return None
        return window

    # ----------------------------------------------------------------- stepping

    def step(self, action: Action) -> Step:
        """Apply one action and return what it changed."""
        before = self.store.revision
        self.memory["_step"] = {"errors": []}
        action.apply(self)
        self.steps += 1
        every = (
            Change(e.type, e.key[0], e.key[1], e.key[2], summarise(e))
            for e in self.store.events_since(before)
        )
        changes = tuple(c for c in every if not action.hides(c))
        errors = tuple(self.memory.pop("_step")["errors"])
        return Step(self.steps, self.now, action, changes, errors)

    def enabled_actions(self) -> list[Action]:
        """Component steps that would do something now (faults and user actions excluded)."""
        return self.components.enabled(self, all_choices=True)

    def settle(
        self,
        *,
        max_steps: int = 10_000,
        advance: bool = True,
        idle_ticks: int | None = None,
        horizon: int | None = None,
        on_step: Callable[[Step], bool] | None = None,
        quiet: Callable[[Cluster, Step], bool] | None = None,
    ) -> list[Step]:
        """Run components until nothing is left to do (a fixpoint), or until the horizon.

        With ``advance``, the clock moves forward (in heartbeat-sized ticks) whenever components
        are idle, so time-driven work happens (back-off, probes, container exits, eviction
        timeouts); settling ends after ``idle_ticks`` ticks in a row that change nothing (by
        default enough to outlast the 300 s eviction timeout). Some clusters never come to rest
        (a container in CrashLoopBackOff restarts forever): settling also ends once ``horizon``
        seconds of logical time have passed (``config.settle_horizon`` by default).
        ``on_step`` is called after each step, on the state that step left, and settling
        stops when it returns True (a monitor checks the safety invariants there, so a
        violation that the settling would repair later is seen, at its step). Settling also
        stops at a :class:`~kmodel.cluster.replacement.ReplacementLoop` (a controller
        replacing pods that fail as they are made, so time could never pass), which it
        leaves in :attr:`replacement_loop` (None when settling ended otherwise).

        With ``quiet`` (whether the safety invariants find nothing on a cluster after a step),
        idle ticks that provably change nothing but the clock and the heartbeats are taken as
        one longer :class:`Tick` (see :meth:`idle_window`): the states settling stops at, checks
        and reaches are those of ticking one interval at a time; the recorded steps differ (one
        ``Ns pass`` step for several).
        """
        stop = False
        self.replacement_loop = None
        failures = InstantFailures()

        def take(action: Action) -> Step:
            nonlocal stop
            step = self.step(action)
            steps.append(step)
            stop = on_step is not None and on_step(step)
            pods = [(c.kind, c.namespace, c.name) for c in step.changes if c.kind == "Pod"]
            if pods and (loop := failures.observe(self.store, pods)) is not None:
                self.replacement_loop = loop
                stop = True
            return step

        steps: list[Step] = []
        #: Ticks taken as part of a longer one (each counts as a step, for ``max_steps``).
        merged = 0
        #: Whether to probe the next idle tick (see idle_window).
        probing = quiet is not None
        unpaid = 0
        idle = 0
        limit = SETTLE_IDLE_TICKS if idle_ticks is None else idle_ticks
        deadline = self.now + (self.config.settle_horizon if horizon is None else horizon)
        interval = self.config.heartbeat_interval
        while len(steps) + merged < max_steps and self.now <= deadline:
            actions = self.components.enabled(self)
            progressed = False
            for action in actions:
                step = take(action)
                progressed = progressed or (step.changed and not action.maintenance)
                if stop:
                    return steps
            if progressed:
                idle = 0
                probing = quiet is not None and unpaid < _PROBES_UNPAID
                continue
            if not advance or idle >= limit:
                break
            ticks = 1
            if probing and quiet is not None and 0 < idle < limit - 1:
                window = self.idle_window(quiet)
                # Tick i (i < ticks) may be merged when its state is idle (its time is in the
                # window) and ticking one at a time would go on after it (idle count, horizon
                # and step budget left).
                while (
                    window is not None
                    and idle + ticks < limit
                    and self.now + ticks * interval <= deadline
                    and len(steps) + merged + ticks < max_steps
                    and self.now + ticks * interval in window
                ):
                    ticks += 1
                # A probe costs about what the tick it spares does: after one that spared
                # none (a component due soon, an HPA's sync period), probe again only once a
                # component step made progress, and not at all after a few such.
                probing = ticks > _PROBE_PAID_OFF
                unpaid += not probing
            idle += ticks
            merged += ticks - 1
            take(Tick(ticks * interval))
            if stop:
                break
        return steps

    # ----------------------------------------------------------------- allocation

    def allocate_pod_ip(self, node: str) -> str:
        """The next pod IP in the node's /24."""
        machine = self.machines[node]
        ip = f"10.244.{machine.index}.{machine.next_ip}"
        machine.next_ip += 1
        return ip

    def allocate_service_ip(self) -> str:
        """The next ClusterIP in 10.96.0.0/16."""
        ip = f"10.96.{self.next_service_ip // 256}.{self.next_service_ip % 256}"
        self.next_service_ip += 1
        return ip


def _shallow_copy(cluster: Cluster) -> Cluster:
    """``copy.copy(cluster)`` without its generic protocol (a dry run forks one per sync)."""
    clone = object.__new__(Cluster)
    clone.__dict__.update(cluster.__dict__)
    return clone


#: Cluster fields :meth:`Cluster.copy` copies by hand (the config is frozen, so it is shared).
_CLUSTER_COPIED_BY_HAND: Final = frozenset(
    {"store", "components", "config", "machines", "informers", "memory", "requests"}
    | {"evictions", "faults", "steps", "next_service_ip", "cache", "derived", "derived_parent"}
    | {"replacement_loop"}
)


def admit_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """Admission for a new pod: defaults and the DefaultTolerationSeconds tolerations.

    Mirrors ``plugin/pkg/admission/defaulttolerationseconds`` (adds not-ready and unreachable
    NoExecute tolerations of 300 s unless the pod has its own), ``SetDefaults_PodSpec``
    (``restartPolicy: Always``) and the pod strategy's ``PrepareForCreate`` condition for a
    pod with scheduling gates (:func:`scheduling_gated_condition`).
    """
    obj = copy.deepcopy(dict(pod))
    spec = obj.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    tolerations = list(spec.get("tolerations") or [])
    for default in DEFAULT_TOLERATIONS:
        if not any(
            t.get("key") == default["key"] and t.get("effect") in {None, "", "NoExecute"}
            for t in tolerations
        ):
            tolerations.append(dict(default))
    spec["tolerations"] = tolerations
    gated = scheduling_gated_condition(obj)
    if gated is not None:
        status = obj.setdefault("status", {})
        status.setdefault("phase", "Pending")
        status["conditions"] = [*(status.get("conditions") or []), gated]
    return obj
