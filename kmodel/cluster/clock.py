"""The clock: time passing is an action like any other (the model has no wall clock)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from kmodel.cluster.actions import Action, register

if TYPE_CHECKING:
    from kmodel.cluster.model import Change, Cluster

__all__ = ["Tick"]


@register
@dataclass(frozen=True)
class Tick(Action):
    """Time passes."""

    name: ClassVar[str] = "tick"
    category: ClassVar[str] = "clock"
    seconds: int

    def describe(self) -> str:
        """In words."""
        return f"{self.seconds}s pass"

    def apply(self, cluster: Cluster) -> None:
        """Advance the clock; components keep up their periodic work on their own schedule.

        Heartbeats are the kubelet's own periodic work, not a reconcile decision: a node stops
        heartbeating only through a fault (crash, partition), never because time jumped. So the
        clock moves one heartbeat interval at a time and each component's ``on_tick`` runs after
        each move.
        """
        remaining = self.seconds
        interval = cluster.config.heartbeat_interval
        while remaining > 0:
            advance = min(remaining, interval)
            cluster.store.now += advance
            remaining -= advance
            for component in cluster.components:
                if component.on_tick is not None:
                    component.on_tick(cluster)

    def hides(self, change: Change) -> bool:
        """Heartbeats posted while time passes are not worth a line in a trace."""
        return change.kind == "Node" and change.summary == "ready=True"
