"""The shared vocabulary of invariants: violations, history and the base class."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Final

from kmodel.cluster.model import Cluster, Step
from kmodel.objects.quantity import quantity_in_model_units

# A timestamp parser, not logic an invariant checks: the kubelet writes numbers, a manifest's
# status may hold RFC 3339 strings, and both must read as the same instant.
from kmodel.semantics.replicaset import time_ns

if TYPE_CHECKING:
    from kmodel.cluster.store import APIStore

#: :attr:`Invariant.reads` entries besides the kinds of stored objects: the logical clock
#: (``cluster.now``), the faults that happened (``cluster.faults``), the evictions admitted
#: (``cluster.evictions``) and the control plane's quorum (``store.members`` and ``down``).
CLOCK: Final = "@clock"
FAULTS: Final = "@faults"
EVICTIONS: Final = "@evictions"
QUORUM: Final = "@quorum"
#: Every input besides stored kinds that :attr:`Invariant.reads` may name.
INPUTS: Final = frozenset({CLOCK, FAULTS, EVICTIONS, QUORUM})


@dataclass(frozen=True)
class Violation:
    """One broken invariant: which, in words, and the values that break it."""

    invariant: str
    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"invariant": self.invariant, "message": self.message, "values": dict(self.values)}


@dataclass
class History:
    """What invariants remember across steps."""

    terminal: dict[str, str] = field(default_factory=dict)
    #: Deployment key -> whether it had reached min availability since its last template change.
    rollout_ready: dict[str, tuple[int, bool]] = field(default_factory=dict)
    static_uids: dict[str, str] = field(default_factory=dict)
    evictions_seen: int = 0
    #: invariant:HPA key -> the rescales its status recorded: (lastScaleTime, from, to).
    hpa_scales: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: Invariants whose precondition held at some step (see :attr:`Invariant.precondition`).
    met: set[str] = field(default_factory=set)
    #: Job UID -> UIDs of its pods when it was first seen finished (``job_finished_no_new_pods``).
    finished_jobs: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Pod UID -> the claims it mounts, remembered from the API (a pod may run on after its
    #: object is gone).
    claims_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: DaemonSet key -> whether it had at most maxUnavailable nodes without an available pod.
    daemon_rollout_ready: dict[str, bool] = field(default_factory=dict)
    #: Job UID -> its ``status.succeeded`` when last seen (``job_complete_consistent``).
    job_succeeded: dict[str, int] = field(default_factory=dict)
    #: Node -> (taint key, value) -> the earliest ``timeAdded`` of its NoExecute taints since
    #: it last had none (``taint_eviction_timing``); nodes whose spell ended are in
    #: ``noexecute_ended`` (their spell is kept until a new one starts).
    noexecute_taints: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    noexecute_ended: set[str] = field(default_factory=set)
    #: How many of the cluster's recorded requests were judged (``requests_reach_ready_pods``).
    requests_judged: int = 0
    #: Service key -> the resourceVersion of the Endpoints an up-to-date endpoints controller
    #: wrote last, and the IPs of the Ready, non-terminating pods then.
    endpoints_written: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    #: Pod UID -> regular container -> the highest ``restartCount`` its status showed
    #: (``restart_count_monotonic``).
    restart_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Pod UID -> the resourceVersion last judged, the containers running in the version
    #: before it and in it (``container_exit_recorded``; init containers as ``init:<name>``).
    running_containers: dict[str, tuple[str, frozenset[str], frozenset[str]]] = field(
        default_factory=dict
    )
    #: (pod UID, container, ``startedAt``) of each container run seen Ready, and -> when it
    #: was first seen unready again while running (``readiness_kept_until_failures``).
    ready_runs: set[tuple[str, str, str]] = field(default_factory=set)
    unready_since: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def copy(self) -> History:
        """An independent copy, as ``copy.deepcopy`` gives, at a fraction of its cost.

        The values kept are immutable (numbers, strings, tuples, frozensets) but for the
        nested dicts and lists, copied here a level deeper; fields not listed in
        ``_HISTORY_NESTED`` and ``_HISTORY_FLAT`` (added later, say) are deep-copied.
        """
        clone = copy.copy(self)
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.name in _HISTORY_NESTED:
                value = {key: inner.copy() for key, inner in value.items()}
            elif spec.name in _HISTORY_FLAT:
                value = value.copy() if isinstance(value, dict | set) else value
            else:
                value = copy.deepcopy(value)
            setattr(clone, spec.name, value)
        return clone


#: History fields whose values are dicts or lists of immutable values (copied a level deeper).
_HISTORY_NESTED: Final = frozenset({"hpa_scales", "noexecute_taints", "restart_counts"})
#: History fields that are numbers, or dicts and sets of immutable values.
_HISTORY_FLAT: Final = frozenset(
    {"terminal", "rollout_ready", "static_uids", "evictions_seen", "met", "finished_jobs"}
    | {"claims_of", "daemon_rollout_ready", "job_succeeded", "noexecute_ended"}
    | {"requests_judged", "endpoints_written", "running_containers", "ready_runs"}
    | {"unready_since"}
)


#: One problem :meth:`Invariant.judge_each` reports: its words, or its words and the values
#: that show it.
Problem = str | tuple[str, Mapping[str, Any]]


class Invariant:
    """Base class: a named predicate, ``safety`` (every step) or ``eventual`` (at a fixpoint)."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "safety"
    description: ClassVar[str] = ""
    #: What must happen before the invariant says anything ("" when it always does); a check
    #: records in ``history.met`` when it did, so a pass that never tested it can be told.
    precondition: ClassVar[str] = ""
    #: Everything the check reads: kinds of stored objects (``"Pod"``) and :data:`CLOCK`,
    #: :data:`FAULTS`, :data:`EVICTIONS`, :data:`QUORUM`. After a step that changed none of
    #: them, :class:`Checks` reuses the check's last answer instead of checking again, so a
    #: declaration must be complete and the check idempotent (checking the same inputs twice
    #: gives the same violations and leaves the history, ``met`` included, as the first check
    #: left it). None, the default, re-checks after every step: what an invariant that reads
    #: the step, the machines, the informers or component memory, or that consumes a record
    #: (new evictions) or moves a history on each check, keeps.
    reads: ClassVar[frozenset[str] | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Refuse a ``reads`` that is not a frozenset of kinds and known inputs.

        A misspelt entry would make the monitor reuse answers it must not, silently.
        """
        super().__init_subclass__(**kwargs)
        reads = cls.__dict__.get("reads")
        if reads is None:
            return
        wrong = (
            [reads]
            if not isinstance(reads, frozenset)
            else sorted(
                repr(entry)
                for entry in reads
                if not isinstance(entry, str)
                or (entry.startswith("@") and entry not in INPUTS)
                or (not entry.startswith("@") and not (entry[:1].isupper() and entry.isalnum()))
            )
        )
        if wrong:
            message = (
                f"{cls.__name__}.reads must be a frozenset of kinds (such as 'Pod') and of "
                f"{', '.join(sorted(INPUTS))}; not {', '.join(map(str, wrong))}"
            )
            raise TypeError(message)

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """The violations in the cluster's current state."""
        raise NotImplementedError

    def violation(self, message: str, **values: object) -> Violation:
        """Build a violation of this invariant."""
        return Violation(self.name, message, values)

    def judge_each(
        self,
        history: History,
        objects: Iterable[Mapping[str, Any]],
        judge: Callable[[Mapping[str, Any]], tuple[Sequence[Problem], bool]],
        *,
        noun: str,
    ) -> list[Violation]:
        """Judge objects one at a time, each problem a violation.

        ``judge`` gives an object's problems and whether the invariant's precondition held
        for it; a problem is worded ``<noun> <namespace/name>: <problem>`` and its values name
        the object (under ``noun``).
        """
        found: list[Violation] = []
        for obj in objects:
            problems, exercised = judge(obj)
            if exercised:
                history.met.add(self.name)
            if not problems:
                continue
            name = _name(obj)
            for problem in problems:
                text, values = (problem, {}) if isinstance(problem, str) else problem
                found.append(self.violation(f"{noun} {name}: {text}", **{noun: name, **values}))
        return found


@dataclass
class Checks:
    """The invariants' last answers, and the inputs they were computed from.

    :meth:`observe` checks an invariant again only when something it :attr:`~Invariant.reads`
    changed since its last check, on the same store (a step writes through the store, which
    records the last revision that touched each kind); otherwise its last answer stands, as
    checking again would give it (see :attr:`Invariant.reads`).
    """

    #: The store the answers were computed on (None: no answers yet).
    store: APIStore | None = None
    revision: int = 0
    now: int = 0
    faults: int = 0
    evictions: int = 0
    quorum: tuple[int, frozenset[int]] = (0, frozenset())
    #: Each invariant's last violations, by its position in the monitor's list (with the
    #: invariant, so that an answer is never taken for another one's).
    answers: dict[int, tuple[Invariant, list[Violation]]] = field(default_factory=dict)
    #: How many checks ran, and how many answers were reused instead (for the benchmarks).
    checked: int = 0
    reused: int = 0

    def changed(self, cluster: Cluster) -> set[str] | None:
        """What changed since the last check (None: anything may have)."""
        store = cluster.store
        if store is not self.store or store.revision < self.revision:
            return None
        changed = {kind for kind, at in store.kind_revision.items() if at > self.revision}
        if store.now != self.now:
            changed.add(CLOCK)
        if len(cluster.faults) != self.faults:
            changed.add(FAULTS)
        if len(cluster.evictions) != self.evictions:
            changed.add(EVICTIONS)
        if (store.members, frozenset(store.down)) != self.quorum:
            changed.add(QUORUM)
        return changed

    def observe(
        self,
        invariants: list[Invariant],
        cluster: Cluster,
        step: Step | None,
        history: History,
    ) -> list[Violation]:
        """The safety invariants' violations now, each checked again only if it must be."""
        changed = self.changed(cluster)
        found: list[Violation] = []
        for index, invariant in enumerate(invariants):
            if invariant.kind != "safety":
                continue
            reads = invariant.reads
            answer = self.answers.get(index)
            if (
                answer is None
                or answer[0] is not invariant
                or changed is None
                or reads is None
                or not reads.isdisjoint(changed)
            ):
                answer = self.answers[index] = (invariant, invariant.check(cluster, step, history))
                self.checked += 1
            else:
                self.reused += 1
            found.extend(answer[1])
        self.rebind(cluster)
        return found

    def rebind(self, cluster: Cluster) -> None:
        """Note ``cluster``'s inputs as those the answers hold for (an exact copy's, say)."""
        store = cluster.store
        self.store = store
        self.revision = store.revision
        self.now = store.now
        self.faults = len(cluster.faults)
        self.evictions = len(cluster.evictions)
        self.quorum = (store.members, frozenset(store.down))

    def copy(self, *, source: Cluster, target: Cluster) -> Checks:
        """These answers for ``target``, an exact copy of ``source`` (see ``Cluster.copy``).

        The copy's store holds the same revisions, clock and records, so what changed since
        the answers is the same on both; answers for another cluster than ``source`` are
        dropped.
        """
        if self.store is not source.store:
            return Checks()
        clone = Checks(**self.__dict__)
        clone.store = target.store
        clone.answers = dict(self.answers)
        return clone


def _pods(cluster: Cluster) -> list[Mapping[str, Any]]:
    """The stored pods in key order (listed once per revision of the stored pods)."""
    revision = cluster.store.kind_revision.get("Pod", 0)
    listed: tuple[Mapping[str, Any], ...] = cluster.memo(
        ("stored-pods", revision), lambda: tuple(cluster.store.list_objects("Pod"))
    )
    return list(listed)


def _live(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") not in {"Succeeded", "Failed"}


def _acted_by(cluster: Cluster) -> int:
    """The latest time the components surely had their turn at, for an eventual invariant.

    Settling runs the components between clock ticks and, in a cluster that never comes to
    rest, stops right after a tick: what fell due during that last tick had no component step
    yet, so a deadline is judged only once it passed a tick before the end.
    """
    return cluster.now - cluster.config.heartbeat_interval


def _name(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


def _controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first owner reference with ``controller: true`` (``metav1.GetControllerOf``)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, Mapping) and ref.get("controller") is True:
            return ref
    return None


def _controller_ref(cluster: Cluster, obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """:func:`_controller_of`, computed once per stored object version.

    Under a key of its own: the controllers cache theirs, and a wrong one must not be read here.
    """
    return cluster.derive("invariant-controller-ref", obj, _controller_of)


def _scaled(value: object, total: int, *, round_up: bool) -> int:
    """An int-or-percent against ``total`` (``GetScaledValueFromIntOrPercent``'s reading).

    An int as is, ``"N%"`` that share of ``total`` rounded up or down as asked.
    """
    if isinstance(value, int):
        return value
    share = int(str(value).removesuffix("%")) * total
    return -(-share // 100) if round_up else share // 100


def _ready_condition(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod's first condition of type Ready (``GetPodReadyCondition``)."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            return condition
    return None


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    """Whether the pod's Ready condition is True (``IsPodReady``)."""
    condition = _ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def _pod_available(pod: Mapping[str, Any], min_ready_seconds: int, now: int) -> bool:
    """Whether the pod has been Ready for more than ``min_ready_seconds`` at ``now``.

    ``IsPodAvailable``'s promise: Ready, and with a positive ``minReadySeconds`` its Ready
    condition's ``lastTransitionTime`` that many seconds strictly before now (a zero transition
    time never qualifies).
    """
    condition = _ready_condition(pod)
    if condition is None or condition.get("status") != "True":
        return False
    if min_ready_seconds == 0:
        return True
    since = time_ns(condition.get("lastTransitionTime"), path="lastTransitionTime")
    now_ns = time_ns(now)
    return since is not None and now_ns is not None and since + min_ready_seconds * 10**9 < now_ns


def _conditions(obj: Mapping[str, Any]) -> dict[str, str]:
    """A pod's or a node's condition statuses by type."""
    return {
        str(c.get("type")): str(c.get("status"))
        for c in (obj.get("status") or {}).get("conditions") or []
    }


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A node selector term (``matchExpressions`` on labels; ``matchFields`` unsupported here)."""
    for requirement in term.get("matchExpressions") or []:
        key, operator = requirement.get("key"), requirement.get("operator")
        values = [str(v) for v in requirement.get("values") or []]
        value = labels.get(str(key))
        if operator == "In" and value not in values:
            return False
        if operator == "NotIn" and value in values:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
        if operator in {"Gt", "Lt"}:
            try:
                number, bound = int(str(value)), int(values[0])
            except (TypeError, ValueError, IndexError):
                return False
            if (operator == "Gt" and not number > bound) or (
                operator == "Lt" and not number < bound
            ):
                return False
    return True


def _tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Whether a toleration matches a taint, restated from ``v1.Toleration.ToleratesTaint``."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return bool(key) and (toleration.get("value") or "") == (taint.get("value") or "")


#: The resources the capacity invariants compare (cpu in millicores, memory in bytes).
_COMPARED = ("cpu", "memory")


def _amounts(resources: object) -> dict[str, int]:
    """A resource list's cpu and memory in model units (absent or malformed: nothing)."""
    if not isinstance(resources, Mapping):
        return {}
    return {
        name: quantity_in_model_units(name, resources[name])
        for name in _COMPARED
        if resources.get(name) is not None
    }


def _container_request(container: Mapping[str, Any]) -> dict[str, int]:
    """Requests, a resource with only a limit requested at its limit (``SetDefaults_Pod``)."""
    resources = container.get("resources") or {}
    return {**_amounts(resources.get("limits")), **_amounts(resources.get("requests"))}


def _pod_requests(pod: Mapping[str, Any]) -> dict[str, int]:
    """A pod's cpu and memory requests, restated from upstream's ``PodRequests``.

    ``component-helpers/resource/helpers.go``: the regular containers and the sidecars
    (restartable init containers) are summed; each init container needs its own request plus
    the sidecars started before it, and the pod needs the larger of the two per resource;
    pod-level ``spec.resources`` requests replace that aggregate (a pod-level limit alone
    requests the aggregate, or the limit when no container asks); ``spec.overhead`` is added.
    """
    spec = pod.get("spec") or {}
    total = dict.fromkeys(_COMPARED, 0)
    sidecars = dict.fromkeys(_COMPARED, 0)
    init_peak = dict.fromkeys(_COMPARED, 0)
    asked: set[str] = set()
    for container in spec.get("containers") or []:
        for name, amount in _container_request(container).items():
            total[name] += amount
            asked.add(name)
    for container in spec.get("initContainers") or []:
        request = _container_request(container)
        asked.update(request)
        sidecar = container.get("restartPolicy") == "Always"
        for name in _COMPARED:
            if sidecar:
                total[name] += request.get(name, 0)
                sidecars[name] += request.get(name, 0)
                need = sidecars[name]
            else:
                need = request.get(name, 0) + sidecars[name]
            init_peak[name] = max(init_peak[name], need)
    needed = {name: max(total[name], init_peak[name]) for name in _COMPARED}
    pod_level = spec.get("resources") or {}
    limits = _amounts(pod_level.get("limits"))
    for name, amount in {**limits, **_amounts(pod_level.get("requests"))}.items():
        from_limit = name not in _amounts(pod_level.get("requests"))
        needed[name] = needed[name] if from_limit and name in asked else amount
    for name, amount in _amounts(spec.get("overhead")).items():
        needed[name] += amount
    return needed


def _allocatable(node: Mapping[str, Any]) -> dict[str, int]:
    """A node's allocatable cpu, memory and pods, those ``status.allocatable`` gives."""
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    found = _amounts(allocatable)
    if isinstance(allocatable, Mapping) and allocatable.get("pods") is not None:
        found["pods"] = quantity_in_model_units("pods", allocatable["pods"])
    return found
