"""Actions: one component doing one reconcile step, one fault happening, or one user request.

Every action is a frozen dataclass with plain JSON-able fields, so a trace is a list of actions
that replays exactly; :meth:`Action.apply` is what it does to the cluster. :func:`register` makes
a class known by name and :func:`action_from_json` rebuilds one from its JSON form. Component
steps live with their components (:mod:`kmodel.cluster.components`), faults in
:mod:`kmodel.cluster.faults`, user requests in :mod:`kmodel.cluster.user_actions` and the clock
in :mod:`kmodel.cluster.clock`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from kmodel.cluster.model import Change, Cluster

__all__ = ["ACTIONS", "Action", "action_from_json", "register"]

ACTIONS: dict[str, type[Action]] = {}


@dataclasses.dataclass(frozen=True)
class Action:
    """Base class; subclasses are registered by name with :func:`register`."""

    name: ClassVar[str] = "action"
    #: fault, user, component or clock: what kind of thing happens.
    category: ClassVar[str] = "component"
    #: Periodic upkeep (heartbeats) that changes objects without moving the cluster forward.
    maintenance: ClassVar[bool] = False

    def apply(self, cluster: Cluster) -> None:
        """Do it: the writes, runtime changes and clock moves this action makes on ``cluster``."""
        raise NotImplementedError(type(self).__name__)

    def describe(self) -> str:
        """The action in words, for traces."""
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"{self.name}({fields})"

    def hides(self, change: Change) -> bool:
        """Whether a change this action makes is routine and left out of traces."""
        return False

    def as_json(self) -> dict[str, Any]:
        """The JSON form: ``{"action": name, **fields}`` (a field holding an action, its form)."""
        data = {"action": self.name, **dataclasses.asdict(self)}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Action):
                data[f.name] = value.as_json()
        return data


def register(cls: type[Action]) -> type[Action]:
    """Class decorator: make an action known to :func:`action_from_json`."""
    ACTIONS[cls.name] = cls
    return cls


def action_from_json(data: Mapping[str, Any]) -> Action:
    """Rebuild an action from :meth:`Action.as_json` output.

    Raises:
        KeyError: unknown action name.
        TypeError: wrong fields.
    """
    fields = dict(data)
    cls = ACTIONS[str(fields.pop("action"))]
    converted: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in fields:
            value = fields[f.name]
            if isinstance(value, Mapping) and "action" in value:  # an action within an action
                converted[f.name] = action_from_json(value)
            else:
                converted[f.name] = tuple(value) if isinstance(value, list) else value
    return cls(**converted)
