"""Optimal placement: the engine (:mod:`kmodel.placement.engine`) and what feeds it manifests.

The engine is manifest-free: :mod:`~kmodel.placement.manifests` turns Pods and Nodes into a
:class:`PackingProblem`, :func:`solve` packs it, :mod:`~kmodel.placement.verify` checks the
answer against the manifests with Z3, :mod:`~kmodel.placement.explain` says why pods stay out,
:mod:`~kmodel.placement.constrained` optimises with Z3 the rules the engine does not express
(topology spread, pod affinity to placed pods, host ports),
and :mod:`~kmodel.placement.kube_scheduler` / :mod:`~kmodel.placement.scheduler_sim` compare
with kube-scheduler's own choices.
"""

from kmodel.placement import engine
from kmodel.placement.engine import *  # noqa: F403  (its __all__: the engine's public API)
from kmodel.placement.scheduler_sim import (
    MEBIBYTE,
    SCORING_STRATEGIES,
    SIMULATED_RESOURCES,
    simulate_kube_scheduler,
    simulates_scoring_strategy,
)

__all__ = [
    "MEBIBYTE",
    "SCORING_STRATEGIES",
    "SIMULATED_RESOURCES",
    "simulate_kube_scheduler",
    "simulates_scoring_strategy",
]
__all__ += engine.__all__
