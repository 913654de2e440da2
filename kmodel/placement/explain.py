"""Why pods cannot be placed: a minimal set of conflicting constraints from a Z3 unsat core.

Every constraint of :func:`kmodel.placement.verify.constraint_model` is asserted under its own
tracking literal; when the whole is unsatisfiable, Z3's unsat core (minimised with the solver's
``core.minimize``) names a set of constraints that cannot hold together, and dropping any one of
them would let the rest hold. Each is printed as the sentence it was built with, e.g.::

    Deployment/postgres needs 1 pod placed, each requesting 6 cpu, 8Gi memory
    node a-1 has 4 cpu free (4 cpu allocatable)
    ...
    Deployment/postgres cannot run on b-1, b-2: node(s) had no available volume zone
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from kmodel.errors import InputError
from kmodel.placement.manifests import PlacementInput
from kmodel.placement.verify import constraint_model

__all__ = ["Explanation", "explain"]


@dataclass(frozen=True)
class Explanation:
    """The outcome of :func:`explain`.

    Attributes:
        status: ``placeable`` (every pod can be placed together), ``conflict`` (they cannot;
            ``constraints`` says why) or ``unknown`` (the time limit hit).
        constraints: the conflicting constraints, in words, demands first.
        groups: the pod groups whose demand is part of the conflict.
    """

    status: str
    constraints: tuple[str, ...]
    groups: tuple[str, ...]


_ORDER = {
    "demand": 0,
    "eligibility": 1,
    "anti-affinity": 2,
    "affinity": 3,
    "spread": 4,
    "ports": 5,
    "capacity": 6,
}


def explain(inp: PlacementInput, *, timeout: float = 30.0) -> Explanation:
    """Find a minimal set of constraints that stop the pods of ``inp`` from all being placed.

    Args:
        inp: the placement input.
        timeout: seconds Z3 may take.

    Returns:
        The explanation (``placeable`` when there is nothing to explain).

    Raises:
        InputError: ``inp`` is not a PlacementInput or ``timeout`` is not a positive number.
    """
    if not isinstance(inp, PlacementInput):
        raise InputError(f"expected a PlacementInput, got {type(inp).__name__}", path="inp")
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InputError("must be a positive number of seconds", path="timeout")
    model = constraint_model(inp)
    solver = z3.Solver()
    solver.set("timeout", max(1, int(timeout * 1000)))
    solver.set("core.minimize", True)  # noqa: FBT003 - z3's parameter API
    solver.add(model.nonnegative)
    literals: dict[str, int] = {}
    for k, rule in enumerate(model.rules):
        literal = f"rule{k}"
        literals[literal] = k
        solver.assert_and_track(rule.formula, z3.Bool(literal))
    outcome = solver.check()
    if outcome == z3.sat:
        return Explanation("placeable", (), ())
    if outcome != z3.unsat:
        return Explanation("unknown", (), ())
    # Z3 returns the core in no useful order: sort by kind, then model order (deterministic).
    indexes = sorted(
        (literals[str(lit)] for lit in solver.unsat_core()),
        key=lambda k: (_ORDER[model.rules[k].kind], k),
    )
    core = [model.rules[k] for k in indexes]
    groups = tuple(
        inp.groups[g].name
        for g in range(len(inp.groups))
        if any(
            rule.kind == "demand" and rule.words.startswith(f"{inp.groups[g].name} ")
            for rule in core
        )
    )
    return Explanation("conflict", tuple(rule.words for rule in core), groups)
