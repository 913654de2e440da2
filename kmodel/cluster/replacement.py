"""Replacement loops: a controller replacing, at one instant, pods that fail as they are made.

The model's clock moves only when every component is idle (see :meth:`Cluster.settle`). A
controller that replaces a pod the moment it fails, whose replacement fails at once again, never
lets the components go idle: upstream's ReplicaSet controller counts only active pods
(``controller.FilterActivePods`` leaves out Failed ones) and creates a replacement for a pod the
kubelet rejected at admission (``OutOfcpu``, ``OutOfmemory``...) with no back-off, and so does
the StatefulSet controller, which deletes a Failed pod and creates it again. On a real cluster
this fills the API with Failed pods (pod GC collects terminated pods only past
``--terminated-pod-gc-threshold``, 12,500 by default); in the model time would stand still
while the pods pile up. Settling watches for it (:class:`InstantFailures`) and stops at a
:class:`ReplacementLoop`, which a run reports as a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from kmodel.cluster.store import APIStore

__all__ = ["LOOP_INVARIANT", "InstantFailures", "ReplacementLoop"]

#: The name a replacement loop is reported under (checked in every spec, not selectable).
LOOP_INVARIANT: Final = "no_replacement_loop"

#: A controller may see this many of its pods fail as they are made, at one instant, before
#: the failures count as a loop (a stale scheduler view can get a few pods rejected at once)...
_SLACK: Final = 10
#: ... plus this many times the pods it keeps (a whole ReplicaSet rejected once, then again).
_ROUNDS: Final = 2


@dataclass(frozen=True)
class ReplacementLoop:
    """A controller whose pods fail as they are made and are replaced, with no time passing.

    Attributes:
        owner: the controller, as ``Kind namespace/name``.
        time: the instant (logical seconds) the pods were created and failed at.
        failed: how many of its pods were created and failed at that instant.
        kept: how many of its pods were not terminal when the loop was seen.
        reasons: each distinct ``reason on node`` the failed pods carry, in order seen.
    """

    owner: str
    time: int
    failed: int
    kept: int
    reasons: tuple[str, ...]

    def describe(self) -> str:
        """One line for a violation message."""
        why = ", ".join(self.reasons) or "no reason recorded"
        return (
            f"{self.failed} pods of {self.owner} Failed as they were made at {self.time}s ({why}), "
            "each replaced at once with no back-off: time cannot pass, and a real cluster fills "
            "with Failed pods"
        )


@dataclass
class InstantFailures:
    """The pods of each controller that were created and failed at the current instant.

    Fed the keys of the pods each settling step changed (:meth:`observe`); forgets everything
    when the clock moves.
    """

    time: int | None = None
    #: Controller UID -> UIDs of its pods created and Failed at ``time``.
    failed: dict[str, set[str]] = field(default_factory=dict)
    #: Controller UID -> ``reason on node`` of those pods, in order seen, once each.
    reasons: dict[str, dict[str, None]] = field(default_factory=dict)

    def observe(
        self, store: APIStore, pods: Iterable[tuple[str, str, str]]
    ) -> ReplacementLoop | None:
        """Note the pods (store keys) a step changed; a loop once a controller's count is past.

        A controller's pods created and Failed at this instant count as a loop once there are
        more than ``_SLACK`` plus ``_ROUNDS`` times the pods it keeps (not terminal).
        """
        now = store.now
        if now != self.time:
            self.time = now
            self.failed.clear()
            self.reasons.clear()
        for key in pods:
            pod = store.objects.get(key)
            if pod is None:
                continue
            metadata = pod.get("metadata") or {}
            status = pod.get("status") or {}
            owner = _controller_uid(metadata)
            if owner is None or status.get("phase") != "Failed":
                continue
            if metadata.get("creationTimestamp") != now:
                continue
            self.failed.setdefault(owner, set()).add(str(metadata.get("uid")))
            node = (pod.get("spec") or {}).get("nodeName") or "-"
            reason = f"{status.get('reason') or 'Failed'} on {node}"
            self.reasons.setdefault(owner, {})[reason] = None
            loop = self._loop(store, owner, metadata)
            if loop is not None:
                return loop
        return None

    def _loop(
        self, store: APIStore, owner: str, metadata: Mapping[str, Any]
    ) -> ReplacementLoop | None:
        failed = len(self.failed[owner])
        if failed <= _SLACK:
            return None
        namespace = str(metadata.get("namespace") or "default")
        kept = sum(
            1
            for (kind, pod_namespace, _), pod in store.objects.items()
            if kind == "Pod"
            and pod_namespace == namespace
            and _controller_uid(pod.get("metadata") or {}) == owner
            and (pod.get("status") or {}).get("phase") not in {"Succeeded", "Failed"}
        )
        if failed <= _SLACK + _ROUNDS * kept:
            return None
        reference = next(
            r for r in metadata.get("ownerReferences") or () if r.get("controller") is True
        )
        return ReplacementLoop(
            owner=f"{reference.get('kind')} {namespace}/{reference.get('name')}",
            time=int(store.now),
            failed=failed,
            kept=kept,
            reasons=tuple(self.reasons[owner]),
        )


def _controller_uid(metadata: Mapping[str, Any]) -> str | None:
    for reference in metadata.get("ownerReferences") or ():
        if reference.get("controller") is True:
            return str(reference.get("uid"))
    return None
