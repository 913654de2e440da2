"""The invariant catalogue: named, documented predicates over the cluster.

Safety invariants are checked after every step; eventual ones (Anvil's "eventually stable
reconciliation") after faults stop and the components have run to a fixpoint. Each invariant
returns :class:`Violation` s that carry the values that break it. A :class:`Monitor` keeps the
history some invariants need (terminal phases seen, rollout state) and checks a chosen set.

Build invariants by name with :func:`make_invariant` (``no_overcommit``,
``min_available: {deployment: web, count: 2}``, ...); user-written ones are a
``module:function`` reference to a function ``(cluster) -> list[str]``.
"""

from kmodel.invariants.base import History as History
from kmodel.invariants.base import Invariant, Violation
from kmodel.invariants.catalogue import CATALOGUE, Monitor, make_invariant
from kmodel.invariants.deployments import MinAvailable as MinAvailable

__all__ = [
    "CATALOGUE",
    "Invariant",
    "Monitor",
    "Violation",
    "make_invariant",
]
