"""OR-Tools CP-SAT on the constrained packing model, in a process of its own.

Reads the model :func:`benchmarks.constrained.export_model` writes (JSON on standard input)
and prints ``{"value": int|null, "optimal": bool, "seconds": float}``. The model is the one
:mod:`kmodel.placement.constrained` hands Z3: counts per (group, eligible node), capacity, a
used flag per node, every pod placed, anti-affinity caps, topology spread (a domain receiving a
pod of the group holds at most ``maxSkew`` more counted pods than any other), required pod
affinity (a receiving domain holds a selected pod of another group or a bound one; one domain
may go without when the group selects itself and no bound pod matches), host ports, and the
same node classes ordered by pod count. Imports nothing from kmodel (see
:mod:`benchmarks.cpsat` for why).
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from typing import Any


def solve(model_json: dict[str, Any]) -> dict[str, Any]:
    """CP-SAT (2 workers, seed 0) on the model: best value, proven optimal, seconds."""
    from ortools.sat.python import cp_model  # noqa: PLC0415 - optional "bench" extra

    nodes, groups = model_json["nodes"], model_json["groups"]
    m = cp_model.CpModel()
    x: dict[tuple[int, int], Any] = {}
    for g, group in enumerate(groups):
        for n in group["eligible"]:
            x[g, n] = m.new_int_var(0, group["count"], f"x{g}_{n}")
        m.add(sum(x[g, n] for n in group["eligible"]) == group["count"])
    used = []
    weights = []
    fixed = 0
    for n, node in enumerate(nodes):
        here = [(g, v) for (g, nn), v in x.items() if nn == n]
        for d, free in enumerate(node["free"]):
            terms = [groups[g]["demand"][d] * v for g, v in here if groups[g]["demand"][d]]
            if terms:
                m.add(sum(terms) <= free)
        if node["bound"]:
            fixed += node["weight"]
            continue
        if not here:
            continue
        u = m.new_bool_var(f"u{n}")
        for _, v in here:
            m.add(v == 0).only_enforce_if(u.Not())
        used.append(u)
        weights.append(node["weight"])

    def placed(g: int, members: list[int]) -> Any:  # noqa: ANN401 - OR-Tools' expressions
        return sum(x[g, n] for n in members if (g, n) in x)

    for rule in model_json["rules"]:
        g, domains = rule["group"], rule["domains"]
        if rule["kind"] == "anti-affinity":
            for members in domains:
                m.add(placed(g, members) <= rule["limit"])
            continue
        receives = []
        for members in domains:
            r = m.new_bool_var("")
            m.add(placed(g, members) >= 1).only_enforce_if(r)
            m.add(placed(g, members) == 0).only_enforce_if(r.Not())
            receives.append(r)
        if rule["kind"] == "affinity":
            lacking = []
            for k, members in enumerate(domains):
                support = rule["existing"][k] + sum(
                    placed(c, members) for c in rule["counted"] if c != g
                )
                lack = m.new_bool_var("")
                m.add(support == 0).only_enforce_if(lack)
                m.add(support >= 1).only_enforce_if(lack.Not())
                both = m.new_bool_var("")
                m.add_bool_and([receives[k], lack]).only_enforce_if(both)
                m.add_bool_or([receives[k].Not(), lack.Not()]).only_enforce_if(both.Not())
                lacking.append(both)
            if g in rule["counted"] and not any(rule["existing"]):
                m.add(sum(lacking) <= 1)
            else:
                m.add(sum(lacking) == 0)
            continue
        totals = [
            rule["existing"][k] + sum(placed(c, members) for c in rule["counted"])
            for k, members in enumerate(domains)
        ]
        for k in range(len(domains)):
            if len(domains) < rule["min_domains"]:
                m.add(totals[k] <= rule["limit"]).only_enforce_if(receives[k])
                continue
            for j in range(len(domains)):
                if j != k:
                    m.add(totals[k] - totals[j] <= rule["limit"]).only_enforce_if(receives[k])
    for g, h in model_json["ports"]:
        for n in set(groups[g]["eligible"]) & set(groups[h]["eligible"]):
            if g == h:
                m.add(x[g, n] <= 1)
            else:
                b = m.new_bool_var("")
                m.add(x[g, n] == 0).only_enforce_if(b)
                m.add(x[h, n] == 0).only_enforce_if(b.Not())
    for members in model_json["classes"]:
        present = [g for g in range(len(groups)) if (g, members[0]) in x]
        if len(members) < 2 or not present:
            continue
        for a, b in itertools.pairwise(members):
            m.add(sum(x[g, a] for g in present) >= sum(x[g, b] for g in present))
    m.minimize(fixed + sum(w * u for w, u in zip(weights, used, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = model_json["timeout"]
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 0
    start = time.perf_counter()
    status = solver.solve(m)
    seconds = time.perf_counter() - start
    found = status in {cp_model.OPTIMAL, cp_model.FEASIBLE}
    return {
        "value": round(solver.objective_value) if found else None,
        "optimal": status == cp_model.OPTIMAL,
        "seconds": seconds,
    }


def main() -> int:
    """Read one model as JSON on standard input, print the answer as JSON."""
    print(json.dumps(solve(json.load(sys.stdin))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
