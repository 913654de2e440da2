"""Proving properties over every admissible placement (see :mod:`kmodel.verify.model`).

Each property is a question about all placements; the answer is a proof (Z3 finds no admissible
placement that breaks it), a counterexample (an admissible placement that breaks it, checked by
:func:`kmodel.placement.verify.verify_placement`), or ``unknown`` when the time limit hits.

* ``schedulable``: some admissible placement places every pod. A greedy packing that the
  verifier accepts is the witness; otherwise Z3 decides, and a conflict is its unsat core in
  words (as ``kmodel explain``).
* ``spread``: no admissible placement puts the controller's pods (placed and bound) in fewer
  than ``min`` domains. First the controller's pods alone (the rest of the cluster removed: a
  relaxation, so "none" is a proof), then the whole cluster.
* ``survives``: for every set of ``count`` domains, the cluster without their nodes (and
  without the pods bound there, which their controllers re-create) has an admissible placement
  keeping every Deployment and ReplicaSet at its PodDisruptionBudget's desired healthy pods
  (``minAvailable``, or expected minus ``maxUnavailable``), or at all its replicas with
  ``keep: all`` or without a budget. Pods are re-placed from scratch, as ``kmodel pack`` on the
  smaller cluster would. Standalone Pods are not re-created and need no room.
* ``capacity_headroom``: in every admissible placement, ``extra`` more pods of the controller
  fit on top (resources, ports, anti-affinity per node and per domain; topology spread of the
  extra pods is not counted).

Admissible: every pod placed, every filter of the default profile holding (see the model). When
no admissible placement exists, properties other than ``schedulable`` are ``vacuous``.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx
import z3

from kmodel.cluster.topology import HOSTNAME_LABEL, cluster_graph, domains
from kmodel.errors import InputError
from kmodel.objects.fields import mapping_at, read_path
from kmodel.objects.labels import LabelSelector, labels_of
from kmodel.objects.manifests import LoadedObject
from kmodel.objects.types import Manifest
from kmodel.placement.engine.heuristics import FitRule, greedy_pack
from kmodel.placement.manifests import HOSTNAME_KEY, PlacementInput, placement_input
from kmodel.placement.verify import verify_placement
from kmodel.semantics.deployment import get_scaled_value_from_int_or_percent
from kmodel.semantics.scheduling import label_selector
from kmodel.verify.model import Encoding, encode, port_conflicts, without_nodes
from kmodel.verify.properties import Property
from kmodel.verify.witness import greedy_placement

__all__ = ["PropertyResult", "VerifyResult", "bound_pods", "verify"]

Warn = Callable[[str], None]

#: Core sentences shown per finding (all are in JSON).
_ORDER = {"demand": 0, "eligibility": 1, "anti-affinity": 2, "spread": 3, "ports": 4, "capacity": 5}


@dataclass(frozen=True)
class PropertyResult:
    """The verdict on one property.

    Attributes:
        prop: the property.
        status: ``proven``, ``disproved``, ``unknown`` (time limit) or ``vacuous`` (no
            admissible placement at all).
        message: one line saying what was shown.
        reasons: the unsat core in words, or what strands which pods.
        counterexample: pod name -> node name, an admissible placement breaking the property.
        domains: the failure domains a ``survives`` finding is about.
        method: what settled it (``greedy witness``, ``Z3 unsat (controller alone)``, ...).
        seconds: time taken.
    """

    prop: Property
    status: str
    message: str
    reasons: tuple[str, ...] = ()
    counterexample: Mapping[str, str] | None = None
    domains: tuple[str, ...] = ()
    method: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class VerifyResult:
    """Every property's verdict on one cluster.

    Attributes:
        inp: the placement input.
        graph: the cluster graph.
        results: one per property, in order.
        pods: pod name -> its Pod manifest (for counterexample files).
        witness: an admissible placement of every pod, when one was needed and found.
    """

    inp: PlacementInput
    graph: nx.DiGraph
    results: tuple[PropertyResult, ...]
    pods: Mapping[str, Manifest] = field(default_factory=dict)
    witness: Mapping[str, str] | None = None


@dataclass(frozen=True)
class _Controller:
    """A Deployment or ReplicaSet a property names."""

    obj: LoadedObject
    namespace: str
    selector: LabelSelector
    replicas: int

    def matches(self, pod: Manifest) -> bool:
        namespace = read_path(pod, "metadata.namespace") or "default"
        return namespace == self.namespace and self.selector.matches(labels_of(pod))


def _controller(objects: Sequence[LoadedObject], prop: Property) -> _Controller:
    wanted = prop.deployment or ""
    for obj in objects:
        if obj.kind in {"Deployment", "ReplicaSet"} and f"{obj.namespace}/{obj.name}" == wanted:
            spec = mapping_at(obj.body, "spec")
            selector = label_selector(spec.get("selector"), "spec.selector", obj=obj.body)
            return _Controller(obj, obj.namespace or "default", selector, spec.get("replicas", 1))
    file, _, path = prop.where.partition(": ")
    raise InputError(
        f"no Deployment or ReplicaSet {wanted!r} in the input", file=file, path=f"{path}.deployment"
    )


def _pod_name(namespace: str, name: str) -> str:
    return name if namespace == "default" else f"{namespace}/{name}"


def bound_pods(inp: PlacementInput) -> dict[str, tuple[Manifest, str]]:
    """Bound pod name -> (manifest, node)."""
    found: dict[str, tuple[Manifest, str]] = {}
    for pod in inp.bound_pods:
        meta = mapping_at(pod, "metadata")
        name = _pod_name(meta.get("namespace") or "default", str(meta.get("name")))
        found[name] = (pod, str(read_path(pod, "spec.nodeName")))
    return found


def _ports_ok(inp: PlacementInput, placement: Mapping[str, str]) -> bool:
    group_of = inp.group_of_pod()
    counts: dict[tuple[int, str], int] = {}
    for pod, node in placement.items():
        counts[group_of[pod], node] = counts.get((group_of[pod], node), 0) + 1
    for g, h in port_conflicts(inp):
        for (k, node), c in counts.items():
            if k != g:
                continue
            if (g == h and c > 1) or (g != h and counts.get((h, node), 0)):
                return False
    return True


def _admissible(inp: PlacementInput, placement: Mapping[str, str]) -> bool:
    """Independent check: the verifier and the port rule accept it, every pod is placed."""
    return (
        set(placement) == set(inp.pod_names)
        and not verify_placement(inp, placement)
        and _ports_ok(inp, placement)
    )


def _greedy(inp: PlacementInput) -> list[dict[str, str]]:
    """Greedy packings (first fit, best fit), decoded; pods that did not fit are left out."""
    problem = inp.problem()
    return [
        inp.decode(greedy_pack(problem, rule=rule).placement)
        for rule in (FitRule.FIRST, FitRule.BEST)
    ]


def _candidates(
    inp: PlacementInput, demand: Mapping[int, tuple[int, int]] | None
) -> Iterator[dict[str, str]]:
    """Witness candidates: the rule-aware greedy placer's, then the packer's greedy packings."""
    first = greedy_placement(inp, demand=demand)
    if first is not None:
        yield first
    yield from _greedy(inp)


def _core(encoding: Encoding) -> tuple[str, ...]:
    names = [str(lit) for lit in encoding.solver.unsat_core()]
    rules = sorted(
        (encoding.rules[n] for n in names if n in encoding.rules),
        key=lambda r: (_ORDER.get(r.kind, 9), r.words),
    )
    words: list[str] = []
    for rule in rules:
        words.append(rule.words)
        if rule.kind == "demand":
            words.extend(encoding.excluded.get(rule.words, ()))
    return tuple(words)


def _isolated(inp: PlacementInput, groups: Sequence[int]) -> PlacementInput:
    """``inp`` where the rules of ``groups`` count no pod outside them (a relaxation)."""
    keep = set(groups)
    new_groups = list(inp.groups)
    for g in groups:
        group = inp.groups[g]
        limits = tuple(limit for limit in group.limits if set(limit.counted_groups) <= keep)
        new_groups[g] = replace(group, limits=limits)
    return replace(inp, groups=tuple(new_groups))


class _Prover:
    def __init__(
        self,
        objects: Sequence[LoadedObject],
        inp: PlacementInput,
        graph: nx.DiGraph,
        *,
        timeout: float,
    ) -> None:
        self.objects = objects
        self.inp = inp
        self.graph = graph
        self.timeout = timeout
        self._feasible: tuple[str, tuple[str, ...], dict[str, str] | None] | None = None

    # ------------------------------------------------------------------ shared

    def feasible(self) -> tuple[str, tuple[str, ...], dict[str, str] | None]:
        """(``sat``/``unsat``/``unknown``, core, witness) for placing every pod."""
        if self._feasible is None:
            self._feasible = self._decide(self.inp)
        return self._feasible

    def _decide(
        self,
        inp: PlacementInput,
        demand: Mapping[int, tuple[int, int]] | None = None,
        *,
        greedy: bool = True,
    ) -> tuple[str, tuple[str, ...], dict[str, str] | None]:
        for placement in _candidates(inp, demand) if greedy else ():
            if demand is None and _admissible(inp, placement):
                return "sat", (), placement
            if demand is not None and self._meets(inp, placement, demand):
                return "sat", (), placement
        encoding = encode(inp, demand=demand, track=True, timeout=self.timeout)
        outcome = encoding.solver.check()
        if outcome == z3.sat:
            return "sat", (), encoding.placement(encoding.solver.model())
        if outcome == z3.unsat:
            return "unsat", _core(encoding), None
        return "unknown", (), None

    @staticmethod
    def _meets(
        inp: PlacementInput, placement: Mapping[str, str], demand: Mapping[int, tuple[int, int]]
    ) -> bool:
        group_of = inp.group_of_pod()
        placed = [0] * len(inp.groups)
        for pod in placement:
            placed[group_of[pod]] += 1
        return (
            all(low <= placed[g] <= high for g, (low, high) in demand.items())
            and not verify_placement(inp, placement)
            and _ports_ok(inp, placement)
        )

    def vacuous(self, prop: Property) -> PropertyResult | None:
        status, _, _ = self.feasible()
        if status == "unsat":
            return PropertyResult(
                prop, "vacuous", "no admissible placement places every pod (see schedulable)"
            )
        return None

    def groups_of(self, inp: PlacementInput, controller: _Controller) -> list[int]:
        return [g for g, group in enumerate(inp.groups) if controller.matches(group.template)]

    # ------------------------------------------------------------------ properties

    def schedulable(self, prop: Property) -> PropertyResult:
        status, core, _ = self.feasible()
        pods = len(self.inp.pod_names)
        if status == "sat":
            return PropertyResult(
                prop,
                "proven",
                f"all {pods} pods have an admissible placement together",
                counterexample=None,
                method="witness placement, checked by the verifier",
            )
        if status == "unsat":
            return PropertyResult(
                prop,
                "disproved",
                "no admissible placement places every pod",
                reasons=core,
                method="Z3 unsat core",
            )
        return PropertyResult(prop, "unknown", f"Z3 did not decide within {self.timeout:g} s")

    def spread(self, prop: Property) -> PropertyResult:
        controller = _controller(self.objects, prop)
        key = prop.key or HOSTNAME_LABEL
        doms = domains(self.graph, key)
        groups = self.groups_of(self.inp, controller)
        bound = [node for pod, node in bound_pods(self.inp).values() if controller.matches(pod)]
        occupied_by_bound = {d for d, members in doms.items() if set(members) & set(bound)}
        per_node = {n: bound.count(n) for n in set(bound)}
        what = f"{controller.obj.label}"

        def violation(encoding: Encoding) -> z3.BoolRef:
            used = [
                z3.IntVal(1)
                if d in occupied_by_bound
                else z3.If(
                    z3.Or([encoding.placed(g, members) >= 1 for g in groups] or [False]), 1, 0
                )
                for d, members in doms.items()
            ]
            return z3.Sum(used) < prop.minimum if used else z3.BoolVal(prop.minimum > 0)

        if (vacuous := self.vacuous(prop)) is not None:
            return vacuous
        keys = [key]
        # The controller's pods alone: no placement of them breaks it -> none of the whole does.
        relaxed = encode(
            _isolated(self.inp, groups),
            groups=groups,
            keys=keys,
            per_node=per_node,
            timeout=self.timeout,
        )
        relaxed.solver.add(violation(relaxed))
        outcome = relaxed.solver.check()
        if outcome == z3.unsat:
            return PropertyResult(
                prop,
                "proven",
                f"every admissible placement puts {what} in at least {prop.minimum} "
                f"{_domain_word(key)} domain(s)",
                method="Z3 unsat (the controller's pods alone)",
            )
        hint_counts: dict[tuple[int, str], int] = {}
        if outcome == z3.sat:
            # The controller's clustered placement, the rest placed around it by the greedy
            # placer: a counterexample when the verifier accepts it.
            hint_counts = relaxed.counts(relaxed.solver.model())
            extended = greedy_placement(self.inp, fixed=hint_counts)
            if extended is not None and _admissible(self.inp, extended):
                return self._spread_counterexample(prop, extended, doms, groups, occupied_by_bound)
        full = encode(self.inp, keys=keys, per_node=per_node, timeout=self.timeout)
        full.solver.add(violation(full))
        hint: list[z3.BoolRef] = []
        if outcome == z3.sat:
            hint = [full.x[k] == v for k, v in hint_counts.items() if k in full.x]
            hint += [full.x[k] == 0 for k in relaxed.x if k not in hint_counts]
        result = full.solver.check(*hint) if hint else z3.unknown
        if result != z3.sat:
            result = full.solver.check()
        if result == z3.sat:
            placement = full.placement(full.solver.model())
            return self._spread_counterexample(prop, placement, doms, groups, occupied_by_bound)
        if result == z3.unsat:
            return PropertyResult(
                prop,
                "proven",
                f"every admissible placement puts {what} in at least {prop.minimum} "
                f"{_domain_word(key)} domain(s)",
                method="Z3 unsat (whole cluster)",
            )
        return PropertyResult(prop, "unknown", f"Z3 did not decide within {self.timeout:g} s")

    def _spread_counterexample(
        self,
        prop: Property,
        placement: dict[str, str],
        doms: Mapping[str, tuple[str, ...]],
        groups: Sequence[int],
        occupied_by_bound: set[str],
    ) -> PropertyResult:
        group_of = self.inp.group_of_pod()
        used = sorted(
            {
                d
                for d, m in doms.items()
                for pod, n in placement.items()
                if n in m and group_of[pod] in groups
            }
            | occupied_by_bound
        )
        key = prop.key or HOSTNAME_LABEL
        return PropertyResult(
            prop,
            "disproved",
            f"an admissible placement puts {prop.deployment} in {len(used)} "
            f"{_domain_word(key)} domain(s) ({', '.join(used) or 'none'}), "
            f"fewer than {prop.minimum}",
            counterexample=placement,
            domains=tuple(used),
            method="Z3 model of the controller, the rest placed around it; checked by the verifier",
        )

    def survives(self, prop: Property) -> PropertyResult:
        key = prop.key or HOSTNAME_LABEL
        doms = domains(self.graph, key)
        if len(doms) < prop.count:
            return PropertyResult(
                prop, "proven", f"fewer than {prop.count} {_domain_word(key)} domain(s) to lose"
            )
        failures: list[tuple[str, str, tuple[str, ...]]] = []
        unknown: list[str] = []
        checked = 0
        status, _, witness = self.feasible()
        busy = set((witness or {}).values()) | {n for _, n in bound_pods(self.inp).values()}
        # Losing only empty nodes keeps the whole cluster's witness admissible: every rule
        # counts pods, and a spread's minimum over fewer domains can only rise (unless a
        # minDomains makes fewer domains count as zero).
        monotone = status == "sat" and all(
            limit.min_domains <= 1 for group in self.inp.groups for limit in group.limits
        )
        for combo in itertools.combinations(sorted(doms), prop.count):
            lost = {n for d in combo for n in doms[d]}
            label = " + ".join(combo)
            if monotone and not lost & busy:
                checked += 1
                continue
            inp = self._without(lost)
            demand, needs = self._needed(inp, prop)
            checked += 1
            status, reasons = self._survive(inp, demand)
            if status == "unsat":
                short = "; ".join(needs[g] for g in sorted(needs))
                failures.append((label, short, reasons))
            elif status == "unknown":
                unknown.append(label)
        word = _domain_word(key)
        if failures:
            label, stranded, reasons = failures[0]
            others = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            return PropertyResult(
                prop,
                "disproved",
                f"losing {word} {label}{others} leaves no admissible placement for: {stranded}",
                reasons=reasons,
                domains=tuple(f for f, _, _ in failures),
                method="Z3 unsat core",
            )
        if unknown:
            return PropertyResult(
                prop,
                "unknown",
                f"{checked - len(unknown)} of {checked} {word} losses proven survivable; "
                f"Z3 did not decide {', '.join(unknown)} within {self.timeout:g} s",
                domains=tuple(unknown),
            )
        return PropertyResult(
            prop,
            "proven",
            f"the cluster survives losing any {prop.count} of {len(doms)} {word} domain(s)",
            method="witness placement per loss, checked by the verifier",
        )

    def _without(self, lost: set[str]) -> PlacementInput:
        if not any(node in lost for _, node in bound_pods(self.inp).values()):
            return without_nodes(self.inp, lost)
        # Pods bound there are gone: their controllers re-create them, so rebuild the input.
        kept = [
            o
            for o in self.objects
            if not (o.kind == "Node" and o.name in lost)
            and not (o.kind == "Pod" and read_path(o.body, "spec.nodeName") in lost)
        ]
        return placement_input(kept, objective="nodes", on_warning=lambda _m: None)

    def _needed(
        self, inp: PlacementInput, prop: Property
    ) -> tuple[dict[int, tuple[int, int]], dict[int, str]]:
        """Per group: (at least, at most) pods to place after the loss, and the need in words."""
        demand: dict[int, tuple[int, int]] = {}
        needs: dict[int, str] = {}
        pdbs = [o for o in self.objects if o.kind == "PodDisruptionBudget"]
        bound = [pod for pod, _ in bound_pods(inp).values()]
        for g, group in enumerate(inp.groups):
            count = len(group.pods)
            if group.name.startswith("Pod/"):
                demand[g] = (0, count)
                continue
            template = group.template
            namespace = read_path(template, "metadata.namespace") or "default"
            required = count
            for pdb in pdbs:
                if (pdb.namespace or "default") != namespace:
                    continue
                spec = mapping_at(pdb.body, "spec")
                selector = label_selector(spec.get("selector"), "spec.selector", obj=pdb.body)
                if prop.keep == "all" or not selector.matches(labels_of(template)):
                    continue
                healthy = sum(
                    1
                    for pod in bound
                    if (read_path(pod, "metadata.namespace") or "default") == namespace
                    and selector.matches(labels_of(pod))
                )
                expected = healthy + count
                if spec.get("maxUnavailable") is not None:
                    desired = expected - get_scaled_value_from_int_or_percent(
                        spec["maxUnavailable"], expected, round_up=True
                    )
                else:
                    desired = get_scaled_value_from_int_or_percent(
                        spec.get("minAvailable", 1), expected, round_up=True
                    )
                required = min(count, max(0, desired - healthy))
                break
            demand[g] = (required, count)
            if required:
                needs[g] = f"{group.name} needs {required} of {count} pod(s) re-placed"
        return demand, needs

    def _survive(
        self, inp: PlacementInput, demand: Mapping[int, tuple[int, int]]
    ) -> tuple[str, tuple[str, ...]]:
        # The pods of the whole cluster's witness that are not lost stay; only the others move.
        status, _, witness = self.feasible()
        same_pods = [g.pods for g in inp.groups] == [g.pods for g in self.inp.groups]
        if status == "sat" and witness and same_pods:
            group_of = inp.group_of_pod()
            names = {n.name for n in inp.nodes}
            kept: dict[tuple[int, str], int] = {}
            for pod, node in witness.items():
                if node in names:
                    kept[group_of[pod], node] = kept.get((group_of[pod], node), 0) + 1
            moved = greedy_placement(inp, demand=demand, fixed=kept)
            if moved is not None and self._meets(inp, moved, demand):
                return "sat", ()
        for placement in _candidates(inp, demand):
            if self._meets(inp, placement, demand):
                return "sat", ()
        status, core, _ = self._decide(inp, demand, greedy=False)
        if status != "unsat":
            return status, core
        # A controller that cannot keep its pods even alone is the clearest reason.
        for g, (low, _) in sorted(demand.items()):
            if not low:
                continue
            alone = encode(
                _isolated(inp, [g]),
                groups=[g],
                demand={g: demand[g]},
                track=True,
                timeout=self.timeout,
            )
            if alone.solver.check() == z3.unsat:
                return "unsat", _core(alone)
        return status, core

    def capacity_headroom(self, prop: Property) -> PropertyResult:
        controller = _controller(self.objects, prop)
        if (vacuous := self.vacuous(prop)) is not None:
            return vacuous
        # The controller with `extra` more replicas: its group gets the extra pods' shape.
        grown = []
        for obj in self.objects:
            if obj is controller.obj:
                body = copy.deepcopy(obj.body)
                body.setdefault("spec", {})["replicas"] = controller.replicas + prop.extra
                obj = replace(obj, body=body)  # noqa: PLW2901 - the one object changed
            grown.append(obj)
        inp = placement_input(grown, objective="nodes", on_warning=lambda _m: None)
        name = f"{controller.obj.kind}/{_pod_name(controller.namespace, controller.obj.name)}"
        g = next(i for i, group in enumerate(inp.groups) if group.name == name)
        group = inp.groups[g]
        now = len(group.pods) - prop.extra
        what = f"{prop.extra} more pod(s) of {controller.obj.label}"
        if _headroom_relaxation(inp, g, now) >= prop.extra:
            return PropertyResult(
                prop,
                "proven",
                f"every admissible placement leaves room for {what}",
                method="bound: the other pods' total requests cannot block more",
            )
        encoding = encode(inp, demand={g: (now, now)}, timeout=self.timeout)
        fits = _extra_fit(encoding, g)
        encoding.solver.add(fits < prop.extra)
        outcome = encoding.solver.check()
        if outcome == z3.unsat:
            return PropertyResult(
                prop,
                "proven",
                f"every admissible placement leaves room for {what}",
                method="Z3 unsat (whole cluster)",
            )
        if outcome == z3.sat:
            model = encoding.solver.model()
            placement = encoding.placement(model)
            # The extra pods were not placed: only the current ones are the counterexample.
            room = model.eval(fits, model_completion=True).as_long()
            return PropertyResult(
                prop,
                "disproved",
                f"an admissible placement leaves room for only {room} of {what}",
                counterexample=placement,
                method="Z3 model",
            )
        return PropertyResult(prop, "unknown", f"Z3 did not decide within {self.timeout:g} s")


def _headroom_relaxation(inp: PlacementInput, g: int, now: int) -> int:
    """A lower bound on the extra pods of group ``g`` that fit in every admissible placement.

    An adversary with more power than any placement: it may spend the total requests of every
    placed pod (``now`` pods of ``g`` included) once per resource, in any amounts on any nodes
    (eligibility and pod granularity dropped), and with required hostname anti-affinity also
    block one node per pod of ``g``. Each node's room for ``g`` shrinks by one once the
    adversary takes more than its slack in some resource, then by one per further ``g``
    request. What is left after the cheapest reductions is a bound (-1: not applicable).
    """
    group = inp.groups[g]
    if any(
        limit.kind == "anti-affinity" and limit.topology_key != HOSTNAME_KEY
        for limit in group.limits
    ) or any(g in pair for pair in port_conflicts(inp)):
        return -1
    per_node = any(
        limit.kind == "anti-affinity" and limit.topology_key == HOSTNAME_KEY
        for limit in group.limits
    )
    dims = [d for d, amount in enumerate(group.demand) if amount > 0]
    room: dict[str, int] = {}
    for node in inp.nodes:
        if node.name not in group.eligible:
            continue
        fit = min((node.capacity[d] - node.load[d]) // group.demand[d] for d in dims)
        room[node.name] = max(0, min(fit, 1) if per_node else fit)
    total_room = sum(room.values())
    removed = 0
    for d in dims:
        budget = sum(len(h.pods) * h.demand[d] for h in inp.groups if h is not group)
        budget += now * group.demand[d]
        costs: list[int] = []
        for node in inp.nodes:
            units = room.get(node.name, 0)
            if units:
                slack = node.capacity[d] - node.load[d] - units * group.demand[d]
                costs.append(slack + 1)
                costs.extend([group.demand[d]] * (units - 1))
        for cost in sorted(costs):
            if cost > budget:
                break
            budget -= cost
            removed += 1
    if per_node:
        removed += now
    return total_room - removed


def _extra_fit(encoding: Encoding, g: int) -> z3.ArithRef:
    """How many more pods of group ``g`` fit on top of the encoded placement (exactly)."""
    inp, x, solver = encoding.inp, encoding.x, encoding.solver
    group = inp.groups[g]
    conflicts = [(a, b) for a, b in port_conflicts(inp) if g in {a, b}]
    fit: dict[str, z3.ArithRef] = {}
    for node in inp.nodes:
        if node.name not in group.eligible:
            continue
        f = z3.Int(f"fit_{node.name}")
        fit[node.name] = f
        solver.add(f >= 0)
        full: list[z3.BoolRef] = []
        for d, amount in enumerate(group.demand):
            if amount <= 0:
                continue
            used = z3.Sum(
                [z3.IntVal(0)]
                + [
                    other.demand[d] * x[h, node.name]
                    for h, other in enumerate(inp.groups)
                    if (h, node.name) in x and other.demand[d]
                ]
            )
            free = node.capacity[d] - node.load[d] - used
            solver.add(f * amount <= free)
            full.append((f + 1) * amount > free)
        cap: z3.ArithRef | None = None
        if any(
            limit.kind == "anti-affinity" and limit.topology_key == HOSTNAME_KEY
            for limit in group.limits
        ):
            cap = 1 - x[g, node.name]
        if conflicts:
            blocked = z3.Or(
                [
                    x[b if a == g else a, node.name] > 0
                    for a, b in conflicts
                    if (b if a == g else a, node.name) in x
                ]
                or [False]
            )
            port_cap = z3.If(blocked, 0, 1)
            cap = port_cap if cap is None else z3.If(cap < port_cap, cap, port_cap)
        if cap is not None:
            solver.add(f <= cap)
            full.append(f == cap)
        solver.add(z3.Or(full))
    total: list[z3.ArithRef] = []
    in_domain: set[str] = set()
    for limit in group.limits:
        if limit.kind != "anti-affinity" or limit.topology_key == HOSTNAME_KEY:
            continue
        for members in limit.domains.values():
            room = limit.limit - encoding.placed(g, members)
            here = z3.Sum([z3.IntVal(0)] + [fit[n] for n in members if n in fit])
            total.append(z3.If(here < room, here, room))
            in_domain.update(members)
        break
    total.extend(f for n, f in fit.items() if n not in in_domain)
    return z3.Sum([z3.IntVal(0), *total])


def _domain_word(key: str) -> str:
    return {HOSTNAME_LABEL: "node", "topology.kubernetes.io/zone": "zone"}.get(key, key)


def verify(
    objects: Sequence[LoadedObject],
    properties: Sequence[Property],
    *,
    timeout: float = 60.0,
    on_warning: Warn | None = None,
) -> VerifyResult:
    """Prove each property over every admissible placement of the pods in ``objects``.

    Args:
        objects: loaded manifests (Nodes, Deployments, ReplicaSets, Pods, Services, PDBs,
            PVs and PVCs).
        properties: what to prove.
        timeout: seconds Z3 may take per check.
        on_warning: called with one line per assumption made.

    Returns:
        The verdicts, in property order.

    Raises:
        InputError: bad input (no Node, a property naming an unknown Deployment...).
    """
    warn = on_warning or (lambda _m: None)
    inp = placement_input(objects, objective="nodes", on_warning=warn)
    keys = [p.key for p in properties if p.key] + [
        limit.topology_key for group in inp.groups for limit in group.limits
    ]
    graph = cluster_graph(
        [o.body for o in objects if o.kind == "Node"],
        keys=keys,
        pods=[o.body for o in objects if o.kind == "Pod"],
        services=[o.body for o in objects if o.kind == "Service"],
        volumes=[o.body for o in objects if o.kind == "PersistentVolume"],
    )
    prover = _Prover(objects, inp, graph, timeout=timeout)
    results = []
    for prop in properties:
        start = time.perf_counter()
        result = getattr(prover, prop.kind)(prop)
        results.append(replace(result, seconds=round(time.perf_counter() - start, 3)))
    pods: dict[str, Manifest] = {}
    for group in inp.groups:
        for name in group.pods:
            pods[name] = _pod_manifest(group.template, name)
    witness = prover._feasible[2] if prover._feasible is not None else None  # noqa: SLF001
    return VerifyResult(inp, graph, tuple(results), pods, witness)


def _pod_manifest(template: Manifest, name: str) -> dict[str, Any]:
    pod = copy.deepcopy(dict(template))
    metadata = dict(mapping_at(pod, "metadata"))
    metadata["name"] = name.rpartition("/")[2]
    pod["metadata"] = metadata
    return pod
