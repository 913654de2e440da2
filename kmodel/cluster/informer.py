"""Informers: each component's cached, possibly stale view of the API.

A component never reads the store directly: it reads its informer's cache, which follows the
store's watch log up to a cursor. By default an informer catches up before its component acts
(prompt watch delivery). Faults make it lag (``lagging``: it catches up only when an explicit
delivery action says so) or lose an event (``drop_next``), as a slow or broken watch does; a
relist (a restarted component) rebuilds the cache from the store. A kubelet's informer holds
only the pods bound to its node (``node``: the field selector ``spec.nodeName=<node>`` of
``pkg/kubelet/config/apiserver.go NewSourceApiserver``); it reaches the API server only while
its machine runs and is not cut off, and a change to it invalidates what was derived from the
machine (:meth:`Informer.reaches_api`, :meth:`Informer.invalidate`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from kmodel.cluster.store import APIStore, ObjectKey

__all__ = [
    "Informer",
    "MachineState",
    "ObjectView",
    "kubelet_informer",
    "kubelet_informer_name",
]


class ObjectView(Protocol):
    """Objects by kind and key: an informer's cache, or the store itself."""

    def get(self, key: ObjectKey) -> Mapping[str, Any] | None:  # pragma: no cover - protocol
        """The object at ``key``, or None."""
        ...

    def list_objects(
        self, kind: str, *, namespace: str | None = None
    ) -> Iterator[Mapping[str, Any]]:  # pragma: no cover - protocol
        """Objects of a kind, in key order."""
        ...


class MachineState(Protocol):
    """What an informer reads and bumps of the machine a kubelet runs on."""

    up: bool
    partitioned: bool
    epoch: int


#: Source of :attr:`Informer.version` values.
_VERSIONS: Final = itertools.count(1)


@dataclass
class Informer:
    """A shared-informer cache over all kinds, following the store's watch log."""

    revision: int = 0
    lagging: bool = False
    drop_next: int = 0
    cache: dict[str, dict[tuple[str, str], Mapping[str, Any]]] = field(default_factory=dict)
    #: An event was dropped since the last relist: the cache may differ from the store for good.
    dropped: bool = False
    #: Only pods bound to this node (a kubelet's watch); None: every object.
    node: str | None = None
    #: Changes whenever the cache may have: unique over all informers (a cache key).
    version: int = field(default_factory=lambda: next(_VERSIONS))
    #: Changes whenever the cached objects of a kind may have (see :meth:`versions`).
    kind_version: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: Keys of each cached kind in order, rebuilt only when a key of that kind comes or goes.
    _sorted: dict[str, list[tuple[str, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def deliver(self, store: APIStore, *, limit: int | None = None) -> int:
        """Apply up to ``limit`` pending watch events (all when None); returns how many."""
        if (
            self.node is not None
            and limit is None
            and store.kind_revision.get("Pod", 0) <= self.revision
        ):
            # No pod was written since: nothing pending passes the selector (heartbeats...).
            pending = store.revision - self.revision
            self.revision = store.revision
            return pending
        events = store.events_since(self.revision)
        if limit is not None:
            events = events[:limit]
        for event in events:
            self.revision = event.revision
            if self.node is not None and not self._selects(event.key[0], event.object):
                # Outside the field selector: a pod the watch never sent, or a delete of one.
                continue
            if self.drop_next:
                self.drop_next -= 1
                self.dropped = True
                continue
            kind, namespace, name = event.key
            self.version = self.kind_version[kind] = next(_VERSIONS)
            bucket = self.cache.setdefault(kind, {})
            if event.type == "DELETED" or (namespace, name) not in bucket:
                self._sorted.pop(kind, None)
            if event.type == "DELETED":
                bucket.pop((namespace, name), None)
            else:
                bucket[(namespace, name)] = event.object
        return len(events)

    def _selects(self, kind: str, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` passes this informer's field selector (``node`` must be set)."""
        return kind == "Pod" and (obj.get("spec") or {}).get("nodeName") == self.node

    def reaches_api(self, machines: Mapping[str, MachineState]) -> bool:
        """Whether this watch reaches the API server.

        A kubelet's does only while its machine runs and is not cut off; a control-plane
        component's always does.
        """
        if self.node is None:
            return True
        machine = machines[self.node]
        return machine.up and not machine.partitioned

    def invalidate(self, machines: Mapping[str, MachineState]) -> None:
        """Tell whoever caches results derived from this informer that it changed.

        A kubelet's syncs are cached on its machine's epoch; a control-plane component's
        results are keyed on :meth:`versions`, which the informer moves itself.
        """
        if self.node is not None:
            machines[self.node].epoch += 1

    def catch_up(self, store: APIStore) -> None:
        """Deliver everything pending unless the watch is lagging (a fault)."""
        if self.would_deliver(store):
            self.deliver(store)

    def would_deliver(self, store: APIStore) -> bool:
        """Whether :meth:`catch_up` would deliver anything (reading a view catches it up)."""
        # Revisions are dense: nothing is pending when the cursor is at the store's revision.
        return not self.lagging and self.revision != store.revision

    def relist(self, store: APIStore) -> None:
        """Rebuild the cache from a fresh list, as a restarted component does."""
        self.cache = {}
        self._sorted = {}
        self.version = next(_VERSIONS)
        self.kind_version = {}  # every kind starts afresh (see versions)
        for (kind, namespace, name), obj in store.objects.items():
            if self.node is None or self._selects(kind, obj):
                self.cache.setdefault(kind, {})[(namespace, name)] = obj
        self.revision = store.revision
        self.lagging = False
        self.drop_next = 0
        self.dropped = False

    def copy(self, *, keep_versions: bool = False) -> Informer:
        """An independent copy (the cached objects themselves are shared: they are immutable).

        Args:
            keep_versions: keep :attr:`version` and :attr:`kind_version`, so that results a
                cluster cached under them stay valid in a copy of that cluster (see
                :meth:`kmodel.cluster.model.Cluster.copy`). The copy holds what this informer
                holds, and any later change in either draws fresh, unique values. Without it
                the copy starts with fresh versions (a dry run's fork, whose cache is empty).
        """
        clone = Informer(
            revision=self.revision,
            lagging=self.lagging,
            drop_next=self.drop_next,
            cache={kind: dict(bucket) for kind, bucket in self.cache.items()},
            dropped=self.dropped,
            node=self.node,
            # Key lists are replaced, never edited: the copy may start from the same ones.
            _sorted=dict(self._sorted),
        )
        if keep_versions:
            clone.version = self.version
            clone.kind_version = dict(self.kind_version)
        return clone

    def in_sync(self, store: APIStore) -> bool:
        """Whether the cache holds exactly the store's objects (caught up, nothing dropped).

        Then a component reading the store sees what its cache holds, so results derived from
        cached objects need no key on the store's revisions.
        """
        return not self.dropped and self.revision == store.revision

    def versions(self, *kinds: str) -> tuple[int, ...]:
        """A key that changes whenever the cached objects of ``kinds`` may have changed.

        Finer than :attr:`version` (which every event changes): results derived from pods only
        survive node heartbeats. Unique over all informers, like :attr:`version`; a kind never
        seen since the last relist (or in a copy) gets a fresh value on first use.

        Cache keys must come from here, not from revisions: a relist after a dropped event can
        leave the last revision of a kind where it was (the last write was a delivered event of
        that kind) while the cached objects change, and a key on it would hand back a result
        derived from the cache before the relist.
        """
        known = self.kind_version
        result = []
        for kind in kinds:
            value = known.get(kind)
            if value is None:
                value = known[kind] = next(_VERSIONS)
            result.append(value)
        return tuple(result)

    def pending(self, store: APIStore) -> int:
        """How many watch events this informer has not seen yet."""
        return store.revision - self.revision

    def get(self, key: ObjectKey) -> Mapping[str, Any] | None:
        """The cached object, or None."""
        return self.cache.get(key[0], {}).get((key[1], key[2]))

    def list_objects(
        self, kind: str, *, namespace: str | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Cached objects of a kind, in key order."""
        bucket = self.cache.get(kind, {})
        keys = self._sorted.get(kind)
        if keys is None:  # the list is replaced, never edited: running iterations keep theirs
            keys = self._sorted[kind] = sorted(bucket)
        for key in keys:
            if namespace is None or key[0] == namespace:
                yield bucket[key]


def kubelet_informer_name(node: str) -> str:
    """The key of the kubelet on ``node``'s informer in a cluster's informers."""
    return f"kubelet/{node}"


def kubelet_informer(informers: dict[str, Informer], store: APIStore, node: str) -> Informer:
    """The pod informer of the kubelet on ``node``, made by a first list when first needed.

    Upstream each kubelet watches the pods bound to its node (``config/apiserver.go``); the
    cache is as of the last delivery (a caller catches it up when the kubelet reaches the API).
    """
    name = kubelet_informer_name(node)
    informer = informers.get(name)
    if informer is None:
        informer = informers[name] = Informer(node=node)
        informer.relist(store)
    return informer
