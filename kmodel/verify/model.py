"""The Z3 encoding of every admissible placement of a :class:`PlacementInput`.

A placement is admissible when every pod the input places is on a node and kube-scheduler's
default-profile filters accept it there, with the other placed pods around it. The counts
``x[g, n]`` (pods of group ``g`` on node ``n``) exist only where the Filter plugins accept one
pod of ``g`` on ``n`` (eligibility: node selectors and affinity, taints and tolerations, volume
zones, pod (anti-)affinity towards the bound pods, ports of the bound pods), and the rules that
depend on where the other placed pods go are :func:`kmodel.placement.verify.constraint_model`'s
named constraints (resources, anti-affinity per node or domain, topology spread with
``DoNotSchedule``, required pod affinity to placed pods, host ports between placed pods).

Nodes that no rule tells apart (same free resources, same eligibility for every group, same
value for every topology key in play, same bound pods counted by a per-node rule) form a class;
within a class the nodes are ordered by their pod counts, lexicographically by (pods, pods of the
first group), which keeps one placement of each orbit of node permutations and so cuts the
search without losing any answer that does not depend on node names.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

import z3

from kmodel.placement.constrained import node_classes
from kmodel.placement.manifests import PlacementInput
from kmodel.placement.verify import Rule, constraint_model, port_conflicts

__all__ = ["Encoding", "encode", "node_classes", "port_conflicts", "without_nodes"]


@dataclass
class Encoding:
    """A solver holding the admissible placements of some groups.

    Attributes:
        inp: the placement input encoded.
        solver: the Z3 solver (rules tracked when asked, for unsat cores).
        x: ``(group, node)`` -> count variable, for the eligible pairs of the included groups.
        rules: tracking literal name -> the rule it stands for (when tracked).
        excluded: demand rule words -> the Filter's verdict on the nodes the group may not use
            (no count exists there, so these facts never enter a core by themselves).
    """

    inp: PlacementInput
    solver: z3.Solver
    x: dict[tuple[int, str], z3.ArithRef]
    rules: dict[str, Rule] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)

    def placed(self, group: int, nodes: Iterable[str]) -> z3.ArithRef:
        """Pods of ``group`` on ``nodes`` (0 where it is not eligible)."""
        terms = [self.x[group, n] for n in nodes if (group, n) in self.x]
        return z3.Sum(terms) if terms else z3.IntVal(0)

    def counts(self, model: z3.ModelRef) -> dict[tuple[int, str], int]:
        """The positive counts of a model."""
        found: dict[tuple[int, str], int] = {}
        for key, var in self.x.items():
            value = model.eval(var, model_completion=True).as_long()
            if value:
                found[key] = value
        return found

    def placement(self, model: z3.ModelRef) -> dict[str, str]:
        """The model as {pod name: node name}, pods of a group in name order."""
        result: dict[str, str] = {}
        by_group: dict[int, list[str]] = {}
        for (g, node), count in sorted(self.counts(model).items()):
            by_group.setdefault(g, []).extend([node] * count)
        for g, nodes in by_group.items():
            result.update(zip(self.inp.groups[g].pods, nodes, strict=False))
        return result


def without_nodes(inp: PlacementInput, removed: Collection[str]) -> PlacementInput:
    """The input on the cluster minus ``removed`` (no bound pod may be on a removed node).

    Eligibility, reasons and the domains of every counting rule lose the removed nodes; a
    domain left without nodes no longer exists (as in Kubernetes, where a domain is a label value
    some node carries).
    """
    gone = frozenset(removed)
    groups = []
    for group in inp.groups:
        limits = []
        for limit in group.limits:
            domains = {
                d: tuple(n for n in members if n not in gone)
                for d, members in limit.domains.items()
            }
            kept = {d: m for d, m in domains.items() if m}
            limits.append(
                replace(
                    limit,
                    domains=kept,
                    existing={d: c for d, c in limit.existing.items() if d in kept},
                )
            )
        groups.append(
            replace(
                group,
                eligible=group.eligible - gone,
                reasons={n: r for n, r in group.reasons.items() if n not in gone},
                limits=tuple(limits),
            )
        )
    nodes = tuple(n for n in inp.nodes if n.name not in gone)
    index = {n.name: i for i, n in enumerate(nodes)}
    types = tuple(
        (name, tuple(index[inp.nodes[i].name] for i in members if inp.nodes[i].name in index))
        for name, members in inp.node_type_members()
    )
    types = tuple((nodes[m[0]].name, m) for _, m in types if m)
    return replace(inp, nodes=nodes, groups=tuple(groups), _types=types)


def encode(
    inp: PlacementInput,
    *,
    groups: Collection[int] | None = None,
    demand: Mapping[int, tuple[int, int]] | None = None,
    keys: Collection[str] = (),
    per_node: Mapping[str, object] | None = None,
    track: bool = False,
    timeout: float = 60.0,
) -> Encoding:
    """Encode the admissible placements of ``groups`` (default all) on ``inp``'s nodes.

    Args:
        inp: the placement input.
        groups: the groups to encode; the others are left out (no pods: a relaxation only when
            no rule of an included group counts an excluded one, which is the caller's choice).
        demand: group -> (at least, at most) pods placed; default every pod of the group.
        keys: topology keys a property reads (node classes keep them apart).
        per_node: what else sets a node apart for the property (see :func:`node_classes`).
        track: assert each rule under a tracking literal (for an unsat core).
        timeout: seconds Z3 may take per check.

    Returns:
        The encoding.
    """
    included = sorted(range(len(inp.groups)) if groups is None else set(groups))
    pairs = [(g, n) for g in included for n in sorted(inp.groups[g].eligible)]
    model = constraint_model(inp, pairs=pairs)
    solver = z3.Solver()
    solver.set("timeout", max(1, int(timeout * 1000)))
    encoding = Encoding(inp, solver, model.counts)
    solver.add(model.nonnegative)
    rules = [rule for rule in model.rules if rule.kind not in {"demand", "eligibility"}]
    eligibility = [rule.words for rule in model.rules if rule.kind == "eligibility"]
    for g in included:
        group = inp.groups[g]
        low, high = (demand or {}).get(g, (len(group.pods), len(group.pods)))
        total = encoding.placed(g, sorted(group.eligible))
        what = f"{group.name} needs {low} pod{'s' if low != 1 else ''} placed"
        if low == high:
            rules.append(Rule("demand", what, total == low))
        else:
            what = f"{what} (of {high})"
            rules.append(Rule("demand", what, z3.And(total >= low, total <= high)))
        encoding.excluded[what] = [w for w in eligibility if w.startswith(f"{group.name} ")]
    for k, rule in enumerate(rules):
        if track:
            literal = f"rule{k}"
            encoding.rules[literal] = rule
            solver.assert_and_track(rule.formula, z3.Bool(literal))
        else:
            solver.add(rule.formula)
    _break_symmetry(encoding, included, node_classes(inp, keys, per_node=per_node))
    return encoding


def _break_symmetry(encoding: Encoding, groups: list[int], classes: list[list[str]]) -> None:
    """Within a class, node ``i`` holds at least as many pods as node ``i + 1`` (lex order)."""
    x = encoding.x
    for members in classes:
        if len(members) < 2:
            continue
        present = [g for g in groups if (g, members[0]) in x]
        if not present:
            continue
        first = present[0]
        totals = [z3.Sum([x[g, n] for g in present]) for n in members]
        for i in range(len(members) - 1):
            a, b = members[i], members[i + 1]
            encoding.solver.add(
                z3.Or(
                    totals[i] > totals[i + 1],
                    z3.And(totals[i] == totals[i + 1], x[first, a] >= x[first, b]),
                )
            )
