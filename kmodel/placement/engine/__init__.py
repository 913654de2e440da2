"""The placement engine: the packing problem, presolve, bounds, heuristics and the exact packer.

A manifest-free core (an import-linter contract keeps it so): callers turn Pods and Nodes into
a :class:`PackingProblem` and call :func:`solve`. The modules are the method's parts:

* :mod:`~kmodel.placement.engine.problem`: the problem, results and checks;
  :mod:`~kmodel.placement.engine.presolve`: the reduced problem;
* :mod:`~kmodel.placement.engine.heuristics` (upper bounds), :mod:`~kmodel.placement.engine.bounds`
  (lower bounds);
* the pattern model: :mod:`~kmodel.placement.engine.master` (restricted master),
  :mod:`~kmodel.placement.engine.pricing` (knapsack pricing),
  :mod:`~kmodel.placement.engine.stabilisation` (dual stabilisation),
  :mod:`~kmodel.placement.engine.column_generation`,
  :mod:`~kmodel.placement.engine.price_and_branch` (integer master and diving),
  :mod:`~kmodel.placement.engine.enumeration` (reduced-cost enumeration);
* further exact models and searches: :mod:`~kmodel.placement.engine.completion` (bin
  completion), :mod:`~kmodel.placement.engine.compact` (assignment model),
  :mod:`~kmodel.placement.engine.arcflow` (arc flow);
* orchestration: :mod:`~kmodel.placement.engine.solve` (the entry point),
  :mod:`~kmodel.placement.engine.exact_search` (the steps in order),
  :mod:`~kmodel.placement.engine.placed` (the PLACED objective),
  :mod:`~kmodel.placement.engine.schedule` (the one time schedule and the clock),
  :mod:`~kmodel.placement.engine.isolated` (HiGHS in child processes).
"""

from kmodel.placement.engine.bounds import Bound, lower_bound
from kmodel.placement.engine.completion import complete_bins, completion_applies
from kmodel.placement.engine.enumeration import Enumeration, enumerate_patterns
from kmodel.placement.engine.heuristics import FitRule, Packing, best_heuristic, greedy_pack
from kmodel.placement.engine.problem import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    PackingResult,
    Status,
    bin_packing_problem,
    check_placement,
)
from kmodel.placement.engine.solve import SolveOptions, solve

__all__ = [
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
    "solve",
]
