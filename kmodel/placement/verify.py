"""Z3 verification of a placement against every scheduling constraint, in words.

:func:`constraint_model` states the whole placement problem of a
:class:`~kmodel.placement.manifests.PlacementInput` as named Z3 constraints over integer counts
``x[g, n]`` (pods of group ``g`` on node ``n``):

* eligibility: ``x[g, n] = 0`` where the Filter plugins reject the node (one constraint per
  group and reason, naming the nodes);
* capacity: per node and resource, the placed pods fit in what the bound pods leave free
  (``fitsRequest``: ``request <= allocatable - requested``);
* required anti-affinity on the group itself: at most one pod per node or per domain;
* topology spread (DoNotSchedule): a domain that receives a pod of the group holds at most
  ``maxSkew`` more matching pods than any other domain (than 0 below ``minDomains`` domains);
* required pod affinity to placed pods: a domain that receives a pod of the group holds a
  matching pod of another group or a bound one; when the group matches its own term and no
  bound pod does, one domain may go without (the first pod's, which upstream admits when no
  pod matches anywhere yet);
* host ports: two placed pods whose ports conflict (the NodePorts filter) never share a node;
* demand: every pod of each group is placed (used by :mod:`kmodel.placement.explain`).

:func:`verify_placement` states each constraint over a placement's counts and lets Z3 decide it,
so the verdict does not rely on the packer's own checks. It states the model over the
``(group, node)`` pairs the placement uses only (every other count is 0 and drops out of the
sums), so a trace of thousands of pods on thousands of nodes gives thousands of variables, not
millions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import z3

from kmodel.errors import InputError
from kmodel.placement.manifests import HOSTNAME_KEY, DomainLimit, PlacementInput
from kmodel.semantics.resources import CPU, PODS
from kmodel.semantics.scheduling import node_ports_failures

__all__ = [
    "ConstraintModel",
    "Rule",
    "constraint_model",
    "describe_amount",
    "port_conflicts",
    "verify_placement",
]


def describe_amount(dimension: str, amount: int) -> str:
    """A resource amount in model units, as a person reads it (``3.92 cpu``, ``14Gi memory``)."""
    if dimension == CPU:
        cores = Fraction(amount, 1000)
        text = str(cores.numerator) if cores.denominator == 1 else f"{float(cores):g}"
        return f"{text} cpu"
    if dimension == PODS:
        return f"{amount} pod{'s' if amount != 1 else ''}"
    for suffix, scale in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if amount >= scale and amount % (scale // 1024 or 1) == 0:
            value = Fraction(amount, scale)
            text = str(value.numerator) if value.denominator == 1 else f"{float(value):.3g}"
            return f"{text}{suffix} {dimension}"
    return f"{amount} {dimension}"


@dataclass(frozen=True)
class Rule:
    """One named constraint.

    Attributes:
        kind: ``eligibility``, ``capacity``, ``anti-affinity``, ``spread`` or ``demand``.
        words: the constraint as a sentence.
        formula: the Z3 formula over the counts.
    """

    kind: str
    words: str
    formula: z3.BoolRef


@dataclass
class ConstraintModel:
    """The placement problem as named Z3 constraints.

    Attributes:
        counts: ``(group index, node name)`` -> the integer variable ``x[g, n]``.
        rules: every constraint, named.
        nonnegative: ``x >= 0`` for every variable (a fact, never part of an explanation).
    """

    counts: dict[tuple[int, str], z3.ArithRef] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    nonnegative: list[z3.BoolRef] = field(default_factory=list)


def port_conflicts(inp: PlacementInput) -> list[tuple[int, int]]:
    """Pairs of groups (``g <= h``) whose pods cannot share a node because of host ports.

    The NodePorts filter (:func:`kmodel.semantics.scheduling.node_ports_failures`) is
    asked about one pod of each group with one pod of the other on the node; ``(g, g)`` means
    two pods of the same group conflict.
    """
    # A pod with a host port always conflicts with a copy of itself.
    users = [
        g
        for g, group in enumerate(inp.groups)
        if node_ports_failures(group.template, [group.template])
    ]
    return [
        (g, h)
        for i, g in enumerate(users)
        for h in users[i:]
        if node_ports_failures(inp.groups[g].template, [inp.groups[h].template])
    ]


def _node_list(names: Sequence[str]) -> str:
    if len(names) <= 4:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more"


def _total(terms: Sequence[z3.ArithRef]) -> z3.ArithRef:
    """The sum of ``terms``; 0 for none (a count fixed at 0 is left out of every sum)."""
    return z3.Sum(list(terms)) if terms else z3.IntVal(0)


def constraint_model(
    inp: PlacementInput, *, pairs: Collection[tuple[int, str]] | None = None
) -> ConstraintModel:
    """State the placement problem of ``inp`` as named Z3 constraints (see the module docstring).

    Args:
        inp: the placement input.
        pairs: the ``(group index, node name)`` counts to make variables of; every other
            count is fixed at 0 and left out of the formulas (the rules' words are unchanged).
            None: every group on every node.

    Returns:
        The model.

    Raises:
        InputError: ``inp`` is not a PlacementInput, or ``pairs`` names an unknown group or node.
    """
    if not isinstance(inp, PlacementInput):
        raise InputError(f"expected a PlacementInput, got {type(inp).__name__}", path="inp")
    node_names = {n.name for n in inp.nodes}
    if pairs is None:
        pairs = [(g, node.name) for g in range(len(inp.groups)) for node in inp.nodes]
    elif not isinstance(pairs, Collection) or isinstance(pairs, str | bytes):
        raise InputError("expected (group index, node name) pairs", path="pairs")
    model = ConstraintModel()
    for pair in pairs:
        if (
            not isinstance(pair, tuple)
            or len(pair) != 2
            or not isinstance(pair[0], int)
            or not 0 <= pair[0] < len(inp.groups)
            or pair[1] not in node_names
        ):
            raise InputError(
                f"not a (group index, node name) pair of the input: {pair!r}", path="pairs"
            )
        var = z3.Int(f"x_{pair[0]}_{pair[1]}")
        model.counts[pair] = var
        model.nonnegative.append(var >= 0)
    _state_rules(inp, model)
    return model


def _state_rules(inp: PlacementInput, model: ConstraintModel) -> None:
    """Add every rule of ``inp`` to ``model``, over its counts.

    The counts are variables, or a placement's values (:func:`verify_placement`: each rule is
    then a ground formula).
    """
    x = model.counts
    on_node: dict[str, list[int]] = {}
    for g, node_name in x:
        on_node.setdefault(node_name, []).append(g)
    for g, group in enumerate(inp.groups):
        by_reason: dict[str, list[str]] = {}
        for node_name, reasons in group.reasons.items():
            by_reason.setdefault("; ".join(reasons), []).append(node_name)
        for reason, names in sorted(by_reason.items()):
            model.rules.append(
                Rule(
                    "eligibility",
                    f"{group.name} cannot run on {_node_list(sorted(names))}: {reason}",
                    z3.And([x[g, n] == 0 for n in names if (g, n) in x]),
                )
            )
    for node in inp.nodes:
        for d, dim in enumerate(inp.dimensions):
            terms = [
                (inp.groups[g].demand[d], x[g, node.name])
                for g in sorted(on_node.get(node.name, ()))
                if inp.groups[g].demand[d] > 0
            ]
            if not terms:
                continue
            free = node.capacity[d] - node.load[d]
            used = (
                f", {describe_amount(dim, node.load[d])} used by bound pods" if node.load[d] else ""
            )
            words = (
                f"node {node.name} has {describe_amount(dim, free)} free "
                f"({describe_amount(dim, node.capacity[d])} allocatable{used})"
            )
            total = z3.Sum([c * v for c, v in terms])
            model.rules.append(Rule("capacity", words, total <= free))
    for g, group in enumerate(inp.groups):
        for limit in group.limits:
            if limit.kind == "anti-affinity":
                if limit.topology_key == HOSTNAME_KEY:
                    formula = z3.And([x[g, n.name] <= 1 for n in inp.nodes if (g, n.name) in x])
                else:
                    formula = z3.And(
                        [
                            _total([x[g, n] for n in members if (g, n) in x]) <= limit.limit
                            for members in limit.domains.values()
                        ]
                    )
                model.rules.append(Rule("anti-affinity", limit.describe(group.name), formula))
                continue
            if limit.kind == "affinity":
                formula = _affinity(g, limit, x)
                model.rules.append(Rule("affinity", limit.describe(group.name), formula))
                continue
            totals = {
                domain: limit.existing.get(domain, 0)
                + _total([x[c, n] for c in limit.counted_groups for n in members if (c, n) in x])
                for domain, members in limit.domains.items()
            }
            clauses: list[z3.BoolRef] = []
            for domain, members in limit.domains.items():
                receives = _total([x[g, n] for n in members if (g, n) in x]) > 0
                if len(limit.domains) < limit.min_domains:
                    clauses.append(z3.Implies(receives, totals[domain] <= limit.limit))
                    continue
                clauses.extend(
                    z3.Implies(receives, totals[domain] - totals[other] <= limit.limit)
                    for other in limit.domains
                    if other != domain
                )
            formula = z3.And(clauses) if clauses else z3.BoolVal(val=True)
            model.rules.append(Rule("spread", limit.describe(group.name), formula))
    for g, h in port_conflicts(inp):
        for n in sorted(inp.groups[g].eligible & inp.groups[h].eligible):
            if (g, n) not in x or (h, n) not in x:
                continue
            formula = x[g, n] <= 1 if g == h else z3.Or(x[g, n] == 0, x[h, n] == 0)
            words = (
                f"{inp.groups[g].name} and {inp.groups[h].name} cannot share node {n}: "
                "node(s) didn't have free ports for the requested pod ports"
            )
            model.rules.append(Rule("ports", words, formula))
    for g, group in enumerate(inp.groups):
        needs = ", ".join(
            describe_amount(dim, group.demand[d])
            for d, dim in enumerate(inp.dimensions)
            if group.demand[d] and dim != PODS
        )
        count = len(group.pods)
        what = f"{count} pod{'s' if count != 1 else ''}"
        words = f"{group.name} needs {what} placed, each requesting {needs or 'nothing'}"
        model.rules.append(
            Rule(
                "demand",
                words,
                _total([x[g, n.name] for n in inp.nodes if (g, n.name) in x]) == count,
            )
        )


def _affinity(g: int, limit: DomainLimit, x: Mapping[tuple[int, str], z3.ArithRef]) -> z3.BoolRef:
    """Required pod affinity of group ``g`` to the pods ``limit`` counts (module docstring)."""
    lacking: list[z3.BoolRef] = []
    for domain, members in limit.domains.items():
        receives = _total([x[g, n] for n in members if (g, n) in x]) > 0
        support = limit.existing.get(domain, 0) + _total(
            [x[c, n] for c in limit.counted_groups if c != g for n in members if (c, n) in x]
        )
        lacking.append(z3.And(receives, support == 0))
    if not lacking:
        return z3.BoolVal(val=True)
    if g in limit.counted_groups and not any(limit.existing.values()):
        return z3.Sum([z3.If(lack, 1, 0) for lack in lacking]) <= 1
    return z3.Not(z3.Or(lacking))


def verify_placement(inp: PlacementInput, placement: Mapping[str, str]) -> list[str]:
    """Every constraint a placement breaks, in words (``[]``: it satisfies them all).

    Pods left out of ``placement`` are not violations (whether all must be placed is the
    objective's business); pods or nodes the input does not know are.

    Args:
        inp: the placement input.
        placement: pod name -> node name.

    Returns:
        One sentence per violated constraint, in model order.

    Raises:
        InputError: ``placement`` is not a mapping of strings.
    """
    if not isinstance(placement, Mapping):
        raise InputError("expected a mapping of pod name to node name", path="placement")
    group_of = inp.group_of_pod()
    nodes = {n.name for n in inp.nodes}
    problems: list[str] = []
    counts: dict[tuple[int, str], int] = {}
    for pod, node in placement.items():
        if not isinstance(pod, str) or not isinstance(node, str):
            raise InputError(f"expected strings, got {pod!r}: {node!r}", path="placement")
        if pod not in group_of:
            problems.append(f"pod {pod} is not one of the pods to place")
            continue
        if node not in nodes:
            problems.append(f"pod {pod} is placed on node {node}, which does not exist")
            continue
        counts[group_of[pod], node] = counts.get((group_of[pod], node), 0) + 1
    # The rules are stated over the placement's counts as constants: each rule is then a ground
    # formula that Z3 evaluates, the same formula as over variables with the counts substituted
    # (substituting into each rule cost more than stating it; counts not in the placement are 0
    # and drop out of the sums, as in constraint_model with ``pairs``).
    model = ConstraintModel(counts={key: z3.IntVal(count) for key, count in counts.items()})
    _state_rules(inp, model)
    for rule in model.rules:
        if rule.kind == "demand":
            continue
        if not z3.is_true(z3.simplify(rule.formula)):
            problems.append(f"violated: {rule.words}")
    return problems
