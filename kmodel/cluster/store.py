"""The API store: kube-apiserver in front of an etcd cluster, as a deterministic object store.

What it models (and where upstream does it):

* objects keyed by kind, namespace and name; a unique UID per object, so a replacement with the
  same name is a different object (``metadata.uid``);
* one cluster-wide, monotonically increasing ``resourceVersion`` (etcd's revision);
* optimistic concurrency: an update whose ``metadata.resourceVersion`` is not the stored one is
  rejected with a conflict (``storage.GuaranteedUpdate`` preconditions);
* ``metadata.generation`` bumped on every spec change of kinds that have one;
* graceful deletion: ``deletionTimestamp`` first while finalizers remain (or, for a pod bound to
  a node, until its kubelet confirms), removal when the last finalizer goes;
* a watch-event log (ADDED, MODIFIED, DELETED) that components consume at their own pace;
* etcd quorum: writes need a majority of control-plane members up.

Stored objects are never mutated: a write stores a new dict, so readers may keep references.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "APIError",
    "APIStore",
    "Conflict",
    "NotFound",
    "ObjectKey",
    "Unavailable",
    "WatchEvent",
    "Written",
    "key_of",
]

#: (kind, namespace, name); namespace is "" for cluster-scoped kinds.
ObjectKey = tuple[str, str, str]

CLUSTER_SCOPED: Final = frozenset({"Node", "PersistentVolume", "StorageClass", "Namespace"})
_GENERATION_KINDS: Final = frozenset(
    {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "PodDisruptionBudget", "Service"}
    | {"HorizontalPodAutoscaler"}
)


class APIError(Exception):
    """A request the API server refuses; components treat it as a failed write."""

    reason = "InternalError"


class Conflict(APIError):  # noqa: N818  # Kubernetes StatusReason names
    """The object was modified since it was read (stale resourceVersion) or already exists."""

    reason = "Conflict"


class NotFound(APIError):  # noqa: N818  # Kubernetes StatusReason names
    """The object does not exist (or has another UID than the precondition)."""

    reason = "NotFound"


class Unavailable(APIError):  # noqa: N818  # Kubernetes StatusReason names
    """etcd has no quorum: the write cannot be committed."""

    reason = "ServiceUnavailable"


class Written(BaseException):  # an outcome, not an error
    """The store committed the writes it was to stop after (see :attr:`APIStore.stop_after`).

    A BaseException, so that no ``except Exception`` in the code under the dry run swallows it.
    """


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One entry of the watch log: what happened to which object at which revision.

    Slotted: the log keeps one per write for good, and a per-instance dict would double what
    the garbage collector walks.
    """

    revision: int
    type: Literal["ADDED", "MODIFIED", "DELETED"]
    key: ObjectKey
    object: Mapping[str, Any]


def key_of(obj: Mapping[str, Any]) -> ObjectKey:
    """The store key of an object body."""
    kind = str(obj.get("kind", ""))
    metadata = obj.get("metadata") or {}
    namespace = "" if kind in CLUSTER_SCOPED else str(metadata.get("namespace") or "default")
    return kind, namespace, str(metadata.get("name", ""))


def _suffix(number: int) -> str:
    """A deterministic 5-character name suffix, in the alphabet ``generateName`` uses."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    value = (number * 2654435761 + 12345) % (len(alphabet) ** 5)
    chars = []
    for _ in range(5):
        value, digit = divmod(value, len(alphabet))
        chars.append(alphabet[digit])
    return "".join(chars)


@dataclass
class APIStore:
    """The cluster's API: objects, revisions, watch log and quorum.

    Attributes:
        members: number of control-plane (etcd) members; odd.
        down: indices of members that are down.
        now: the logical clock, in seconds; the cluster advances it.
    """

    members: int = 1
    down: set[int] = field(default_factory=set)
    now: int = 0
    revision: int = 0
    objects: dict[ObjectKey, Mapping[str, Any]] = field(default_factory=dict)
    log: list[WatchEvent] = field(default_factory=list)
    #: The revision just before ``log[0]`` (non-zero in a fork, whose log starts empty).
    log_base: int = 0
    #: The last revision that touched each kind (a cheap "has anything of this kind changed").
    kind_revision: dict[str, int] = field(default_factory=dict)
    #: When each object was last written (logical seconds).
    modified_at: dict[ObjectKey, int] = field(default_factory=dict)
    #: Raise :class:`Written` once this many more writes have committed (None: never). A dry
    #: run that asks only whether the action writes anything stops after 1 (the rest of the
    #: run cannot undo the write); a controller crash stops its step part way through.
    stop_after: int | None = None
    _uids: int = 0
    _names: int = 0
    #: Keys of each kind in order, rebuilt only when a key of that kind comes or goes.
    _sorted_keys: dict[str, list[ObjectKey]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ----------------------------------------------------------------- quorum

    @property
    def has_quorum(self) -> bool:
        """A write commits only while a strict majority of members is up."""
        return (self.members - len(self.down)) * 2 > self.members

    def _require_quorum(self) -> None:
        if not self.has_quorum:
            raise Unavailable("etcd has no quorum")

    # ----------------------------------------------------------------- reads

    def get(self, key: ObjectKey) -> Mapping[str, Any] | None:
        """The current object (a quorum read), or None."""
        return self.objects.get(key)

    def list_objects(
        self, kind: str, *, namespace: str | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Current objects of a kind, in key order (deterministic)."""
        keys = self._sorted_keys.get(kind)
        if keys is None:  # the list is replaced, never edited: running iterations keep theirs
            keys = self._sorted_keys[kind] = sorted(k for k in self.objects if k[0] == kind)
        for key in keys:
            if namespace is None or key[1] == namespace:
                yield self.objects[key]

    # ----------------------------------------------------------------- writes

    def _commit(self, kind: Literal["ADDED", "MODIFIED", "DELETED"], obj: dict[str, Any]) -> None:
        self.revision += 1
        key = key_of(obj)
        self.kind_revision[key[0]] = self.revision
        if kind == "DELETED" or key not in self.objects:
            self._sorted_keys.pop(key[0], None)
        if kind == "DELETED":
            self.objects.pop(key, None)
            self.modified_at.pop(key, None)
        else:
            self.modified_at[key] = self.now
            obj["metadata"]["resourceVersion"] = str(self.revision)
            self.objects[key] = obj
        self.log.append(WatchEvent(self.revision, kind, key, obj))
        if self.stop_after is not None:
            self.stop_after -= 1
            if self.stop_after <= 0:
                raise Written

    def create(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Create an object; fills name (from ``generateName``), uid, revision and timestamps.

        Raises:
            Conflict: an object with that key exists.
            Unavailable: no quorum.
        """
        self._require_quorum()
        obj = copy.deepcopy(dict(body))
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("name") and metadata.get("generateName"):
            self._names += 1
            metadata["name"] = f"{metadata['generateName']}{_suffix(self._names)}"
        if obj.get("kind") not in CLUSTER_SCOPED:
            metadata.setdefault("namespace", "default")
        key = key_of(obj)
        if key in self.objects:
            raise Conflict(f"{key[0]} {key[2]!r} already exists")
        self._uids += 1
        metadata["uid"] = f"uid-{self._uids:05d}"
        metadata["creationTimestamp"] = self.now
        metadata.pop("deletionTimestamp", None)
        if obj.get("kind") in _GENERATION_KINDS:
            metadata["generation"] = 1
        self._commit("ADDED", obj)
        return obj

    def update(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Replace an object; the body's resourceVersion must be the stored one.

        An update that leaves no finalizers on an object with a deletionTimestamp deletes it,
        unless its deletion was graceful (``ShouldDeleteDuringUpdate`` in the apiserver's generic
        registry: only with no ``deletionGracePeriodSeconds``, or 0): a pod being deleted
        gracefully stays until its kubelet confirms, whatever status updates it gets meanwhile.

        Raises:
            NotFound: no such object, or another UID.
            Conflict: stale resourceVersion.
            Unavailable: no quorum.
        """
        self._require_quorum()
        key = key_of(body)
        current = self.objects.get(key)
        metadata = body.get("metadata") or {}
        if current is None or (
            metadata.get("uid") and metadata["uid"] != current["metadata"]["uid"]
        ):
            raise NotFound(f"{key[0]} {key[2]!r} not found")
        if metadata.get("resourceVersion") != current["metadata"]["resourceVersion"]:
            raise Conflict(
                f"{key[0]} {key[2]!r}: the object has been modified; "
                "please apply your changes to the latest version and try again"
            )
        obj = dict(body)
        obj["metadata"] = dict(metadata)
        # Immutable metadata stays as stored.
        for field_name in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if field_name in current["metadata"]:
                obj["metadata"][field_name] = current["metadata"][field_name]
        if "generation" in current["metadata"]:
            generation = current["metadata"]["generation"]
            obj["metadata"]["generation"] = (
                generation + 1 if obj.get("spec") != current.get("spec") else generation
            )
        if (
            obj["metadata"].get("deletionTimestamp") is not None
            and not obj["metadata"].get("finalizers")
            and not current["metadata"].get("deletionGracePeriodSeconds")
        ):
            self._commit("DELETED", obj)
            return obj
        self._commit("MODIFIED", obj)
        return obj

    def delete(
        self, key: ObjectKey, *, uid: str | None = None, grace_period_seconds: int | None = None
    ) -> Mapping[str, Any] | None:
        """Delete an object, or mark it for deletion.

        The object gets a ``deletionTimestamp`` and stays while it has finalizers or when
        ``grace_period_seconds`` is positive (a pod bound to a running kubelet, which confirms
        later; the caller decides the period, for a pod
        :func:`kmodel.cluster.components.ownership.deletion_grace_period`), recorded as its
        ``deletionGracePeriodSeconds``; otherwise (None or 0) it is removed. Returns the object
        as it is after the call (None once removed).

        Raises:
            NotFound: no such object, or ``uid`` does not match (a UID precondition).
            Unavailable: no quorum.
        """
        self._require_quorum()
        current = self.objects.get(key)
        if current is None or (uid is not None and current["metadata"]["uid"] != uid):
            raise NotFound(f"{key[0]} {key[2]!r} not found")
        obj = dict(current)
        obj["metadata"] = dict(current["metadata"])
        if obj["metadata"].get("finalizers") or grace_period_seconds:
            if obj["metadata"].get("deletionTimestamp") is None:
                obj["metadata"]["deletionTimestamp"] = self.now
                if grace_period_seconds:
                    # The model's kubelet kills at once; the value marks the deletion graceful.
                    obj["metadata"]["deletionGracePeriodSeconds"] = grace_period_seconds
                self._commit("MODIFIED", obj)
            return obj
        self._commit("DELETED", obj)
        return None

    def events_since(self, revision: int) -> list[WatchEvent]:
        """Watch events after ``revision``, oldest first."""
        # Revisions are dense, so the event of revision r sits at index r - log_base - 1.
        return self.log[max(revision - self.log_base, 0) :]

    def copy(self) -> APIStore:
        """An independent copy: same objects, counters and watch log, nothing mutable shared.

        The stored objects themselves are shared (a write stores a new dict, so neither copy
        can change what the other reads) and so are the watch events (frozen) and the sorted
        key lists (replaced, never edited); every container that a write edits is copied.
        """
        return APIStore(
            members=self.members,
            down=set(self.down),
            now=self.now,
            revision=self.revision,
            objects=dict(self.objects),
            log=list(self.log),
            log_base=self.log_base,
            kind_revision=dict(self.kind_revision),
            modified_at=dict(self.modified_at),
            _uids=self._uids,
            _names=self._names,
            _sorted_keys=dict(self._sorted_keys),
        )

    def fork(self) -> APIStore:
        """A scratch copy for dry runs: same objects and counters, an empty log of its own."""
        return APIStore(
            members=self.members,
            down=set(self.down),
            now=self.now,
            revision=self.revision,
            objects=dict(self.objects),
            log=[],
            log_base=self.revision,
            kind_revision=dict(self.kind_revision),
            modified_at=dict(self.modified_at),
            _uids=self._uids,
            _names=self._names,
        )
