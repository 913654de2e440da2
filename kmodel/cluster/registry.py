"""The component table: every component of the cluster, declared once.

A :class:`Component` says what a component is called, how it lists the steps it would take now,
and whether it reads the API through an informer (so its watch can stall or drop events and a
restart rebuilds its cache: the watch faults and ``controller_restart`` reach exactly those).
A :class:`ComponentTable` holds them in the order the cluster offers their steps; the built-in
one is :data:`kmodel.cluster.components.COMPONENTS`. A cluster steps the table it was built with
(``ClusterConfig.components`` replaces it: the quality tests swap in broken variants that way).
This module imports no component, so the cluster model and the components never import each
other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmodel.cluster.actions import Action
    from kmodel.cluster.model import Cluster

__all__ = ["Component", "ComponentTable"]


@dataclass(frozen=True)
class Component:
    """One component of the cluster.

    Attributes:
        name: its name (informer, memory and fault target: ``controller_restart`` of ``name``).
        steps: the steps it would take now, each one that would change something, in a fixed
            order (None: it takes no steps of its own, as kube-proxy, which serves requests).
        informer: it reads the API through an informer, so watch faults and restarts reach it.
        settle_steps: of the steps offered, those :meth:`Cluster.settle` takes (None: all);
            the scheduler offers every top-scored node and settling takes the first per pod.
        on_tick: periodic upkeep while time passes (the kubelets' heartbeats), run by
            :class:`kmodel.cluster.clock.Tick` after each heartbeat interval.
        summary: what it is, for the README's component table.
    """

    name: str
    steps: Callable[[Cluster], list[Action]] | None
    informer: bool
    summary: str
    settle_steps: Callable[[list[Action]], list[Action]] | None = None
    on_tick: Callable[[Cluster], None] | None = None


@dataclass(frozen=True)
class ComponentTable:
    """The components a cluster runs, in the order their steps are offered."""

    components: tuple[Component, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.components]
        if len(set(names)) != len(names):
            message = f"component names must be unique: {names}"
            raise ValueError(message)

    def __iter__(self) -> Iterator[Component]:
        return iter(self.components)

    def __getitem__(self, name: str) -> Component:
        """The component called ``name``."""
        for component in self.components:
            if component.name == name:
                return component
        raise KeyError(name)

    @property
    def informer_names(self) -> tuple[str, ...]:
        """The components that read through an informer, in table order."""
        return tuple(c.name for c in self.components if c.informer)

    def replacing(self, component: Component) -> ComponentTable:
        """This table with the component of the same name replaced by ``component``."""
        self[component.name]  # a KeyError for a name the table does not have
        return replace(
            self,
            components=tuple(component if c.name == component.name else c for c in self),
        )

    def enabled(self, cluster: Cluster, *, all_choices: bool = False) -> list[Action]:
        """Every component step that would change something now, in table order.

        Unless ``all_choices``, each component's :attr:`Component.settle_steps` picks the
        steps settling takes. The config's extra ``controllers`` come last.
        """
        actions: list[Action] = []
        for component in self.components:
            if component.steps is None:
                continue
            steps = component.steps(cluster)
            if not all_choices and component.settle_steps is not None:
                steps = component.settle_steps(steps)
            actions.extend(steps)
        for controller in cluster.config.controllers:
            actions.extend(controller(cluster))
        return actions
