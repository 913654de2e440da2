"""OR-Tools CP-SAT on a packing problem, in a process of its own.

OR-Tools bundles its own build of HiGHS and exports its symbols: once ``highspy`` (which
kmodel uses) is loaded, ``ortools.sat`` fails to load in the same process, and the other way
round. So the benchmark hands each instance to ``python -m benchmarks.cpsat`` as JSON on
standard input and reads the seconds CP-SAT needed to prove the optimum (``null``: not within
the limit) from standard output. This module imports nothing from kmodel.

The model is the one kmodel's Z3 fallback uses: counts per (group, node), a used flag per node,
identical nodes ordered, at most ``upper`` nodes per type (the FFD value).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def proof_seconds(instance: dict[str, Any]) -> float | None:
    """Seconds CP-SAT (2 workers, seed 0) needs to prove the optimum, ``None`` past the limit.

    ``instance``: ``groups`` [{demand, count, max_per_node, eligible: [type index...]}],
    ``node_types`` [{free, count, cost}], ``objective`` (``nodes`` or ``cost``), ``upper``,
    ``timeout``.
    """
    from ortools.sat.python import cp_model  # noqa: PLC0415 - optional "bench" extra

    groups, types = instance["groups"], instance["node_types"]
    upper, n_items = instance["upper"], sum(g["count"] for g in groups)
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    used = []
    slot_type = []
    for t, typ in enumerate(types):
        for _ in range(min(typ["count"], upper, n_items)):
            s = len(used)
            u = model.new_bool_var(f"u{s}")
            used.append(u)
            slot_type.append(t)
            load: list[list[cp_model.LinearExpr]] = [[] for _ in typ["free"]]
            for g, grp in enumerate(groups):
                if t not in grp["eligible"]:
                    continue
                limit = grp["count"] if grp["max_per_node"] is None else grp["max_per_node"]
                v = model.new_int_var(0, limit, f"x{g}_{s}")
                model.add(v == 0).only_enforce_if(u.Not())
                x[g, s] = v
                for d, w in enumerate(grp["demand"]):
                    if w:
                        load[d].append(w * v)
            for d, terms in enumerate(load):
                if terms:
                    model.add(sum(terms) <= typ["free"][d])
            if s and slot_type[s - 1] == t:
                model.add(used[s - 1] >= u)
    for g, grp in enumerate(groups):
        model.add(sum(v for (gg, _), v in x.items() if gg == g) == grp["count"])
    cost = instance["objective"] == "cost"
    weights = [types[t]["cost"] if cost else 1 for t in slot_type]
    model.minimize(sum(w * u for w, u in zip(weights, used, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = instance["timeout"]
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    start = time.perf_counter()
    status = solver.solve(model)
    seconds = time.perf_counter() - start
    return seconds if status == cp_model.OPTIMAL else None


def main() -> int:
    """Read one instance as JSON on standard input, print ``{"seconds": ...}``."""
    print(json.dumps({"seconds": proof_seconds(json.load(sys.stdin))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
