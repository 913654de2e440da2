"""Optimal placement: the packing problem, presolve, bounds, heuristics and the HiGHS packer.

A manifest-free core: callers turn Pods and Nodes into a :class:`PackingProblem` and call
:func:`solve`. Nothing here reads manifests or the command line.
"""

from kmodel.placement.bounds import Bound, lower_bound
from kmodel.placement.completion import complete_bins, completion_applies
from kmodel.placement.enumeration import Enumeration, enumerate_patterns
from kmodel.placement.heuristics import FitRule, Packing, best_heuristic, greedy_pack
from kmodel.placement.problem import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    PackingResult,
    Status,
    bin_packing_problem,
    check_placement,
)
from kmodel.placement.scheduler_sim import (
    MEBIBYTE,
    SCORING_STRATEGIES,
    SIMULATED_RESOURCES,
    simulate_kube_scheduler,
    simulates_scoring_strategy,
)
from kmodel.placement.solver import SolveOptions, solve

__all__ = [
    "MEBIBYTE",
    "SCORING_STRATEGIES",
    "SIMULATED_RESOURCES",
    "Bound",
    "Enumeration",
    "FitRule",
    "ItemGroup",
    "NodeType",
    "Objective",
    "Packing",
    "PackingProblem",
    "PackingResult",
    "SolveOptions",
    "Status",
    "best_heuristic",
    "bin_packing_problem",
    "check_placement",
    "complete_bins",
    "completion_applies",
    "enumerate_patterns",
    "greedy_pack",
    "lower_bound",
    "simulate_kube_scheduler",
    "simulates_scoring_strategy",
    "solve",
]
