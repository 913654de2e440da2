"""Z3's constrained packing (kmodel/placement/constrained.py): exact against a brute force."""

import itertools
import json
import random
from typing import Any

import pytest

from benchmarks.constrained import export_model, instance, load, write
from kmodel.placement import SolveOptions, Status, solve
from kmodel.placement.constrained import (
    domain_volume_needs,
    engine_gaps,
    pack_constrained,
    placement_value,
    spread_counts,
    spread_volume_bound,
)
from kmodel.placement.verify import verify_placement
from tests.helpers.cli import cli
from tests.helpers.placement import HOST, ZONE, as_yaml, build, deployment, node


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """``kmodel ARGV`` in this process: exit code and standard output."""
    code = cli(*argv)
    return code, capsys.readouterr().out


def spread(app: str, key: str = ZONE, skew: int = 1) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": skew,
            "topologyKey": key,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": app}},
        }
    ]


def term(app: str, key: str) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}


def with_port(body: dict[str, Any], port: int) -> dict[str, Any]:
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"containerPort": port, "hostPort": port}]
    return body


def tiny_instance(seed: int) -> list[dict[str, Any]]:
    """Zone a with 2 nodes, zone b with 1, 2-3 Deployments (at most 5 pods), random rules."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible instance
    nodes = [node(name, zone=name[0], cpu=str(rng.choice((2, 3)))) for name in ("a1", "a2", "b1")]
    apps = ["web", "cache", "agent"][: rng.choice((2, 3))]
    objects: list[dict[str, Any]] = []
    left = 5
    for k, app in enumerate(apps):
        replicas = rng.randint(1, min(3, left - (len(apps) - k - 1)))
        left -= replicas
        spec: dict[str, Any] = {}
        rules = rng.sample(["zone", "host", "anti", "affinity", "port"], rng.choice((1, 2)))
        if "zone" in rules:
            spec["topologySpreadConstraints"] = spread(app, ZONE, rng.choice((1, 2)))
        elif "host" in rules:
            spec["topologySpreadConstraints"] = spread(app, HOST, 1)
        if "anti" in rules:
            spec["affinity"] = {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [term(app, HOST)]
                }
            }
        elif "affinity" in rules:
            other = apps[(k + 1) % len(apps)] if rng.random() < 0.7 else app
            spec["affinity"] = {
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        term(other, rng.choice((HOST, ZONE)))
                    ]
                }
            }
        body = deployment(app, replicas, cpu=rng.choice(("500m", "1", "1500m")), **spec)
        objects.append(with_port(body, 9100) if "port" in rules else body)
    return nodes + objects


def compositions(total: int, parts: int):
    """Every way to write ``total`` as ``parts`` non-negative integers, in order."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def brute_force(inp) -> tuple[int | None, list[dict[str, str]]]:
    """The least value over every placement of every pod the verifier accepts, and those.

    Pods of a group are alike, so every placement is enumerated up to renaming them: each
    group's pods are split over the nodes in every possible way.
    """
    names = [n.name for n in inp.nodes]
    best, valid = None, []
    splits = [list(compositions(len(group.pods), len(names))) for group in inp.groups]
    for choice in itertools.product(*splits):
        placement = {}
        for group, counts in zip(inp.groups, choice, strict=True):
            where = [n for n, c in zip(names, counts, strict=True) for _ in range(c)]
            placement.update(zip(group.pods, where, strict=True))
        if verify_placement(inp, placement):
            continue
        valid.append(placement)
        value = placement_value(inp, placement)
        best = value if best is None else min(best, value)
    return best, valid


@pytest.mark.parametrize("seed", range(16))
def test_the_z3_optimum_is_the_brute_force_optimum(seed):
    inp = build(*tiny_instance(seed))
    best, valid = brute_force(inp)
    found = pack_constrained(inp, lower_bound=0, time_limit=60)
    if best is None:
        assert found.status is Status.INFEASIBLE
        return
    assert found.status is Status.OPTIMAL, found.method
    assert found.value == best
    assert verify_placement(inp, found.placement) == []
    assert set(found.placement) == set(inp.pod_names)
    # The implied per-domain counts and the bound derived from them hold for every placement.
    assert spread_volume_bound(inp) <= best
    group_of = inp.group_of_pod()
    zone_of = {n.name: n.labels for n in inp.nodes}
    for placement in valid:
        for (g, key, value), (low, high) in spread_counts(inp).items():
            here = sum(
                1
                for pod, where in placement.items()
                if group_of[pod] == g and zone_of[where].get(key) == value
            )
            assert low <= here <= high, (inp.groups[g].name, key, value)
        for (key, value), (unbound, need) in domain_volume_needs(inp).items():
            used = {placement[p] for p in placement}
            assert sum(1 for i in unbound if inp.nodes[i].name in used) >= need, (key, value)


def test_the_family_exercises_every_rule():
    kinds = set()
    for seed in range(16):
        inp = build(*tiny_instance(seed))
        kinds |= {limit.kind for group in inp.groups for limit in group.limits}
        kinds |= {"ports"} if any("host ports" in gap for gap in engine_gaps(inp)) else set()
    assert kinds == {"spread", "affinity", "anti-affinity", "ports"}


def test_optimize_strategy_agrees_with_the_descending_bound():
    inp = build(*tiny_instance(3))
    descend = pack_constrained(inp, lower_bound=0, time_limit=60)
    optimize = pack_constrained(inp, lower_bound=0, time_limit=60, strategy="optimize")
    assert (optimize.status, optimize.value) == (descend.status, descend.value)


ZONE_SPREAD = [
    node("a1", zone="a", cpu="4"),
    node("a2", zone="a", cpu="4"),
    node("b1", zone="b", cpu="4"),
    node("b2", zone="b", cpu="4"),
    deployment("web", 4, cpu="1", topologySpreadConstraints=spread("web")),
]


def test_the_engine_alone_breaks_the_spread_and_cannot_prove_the_optimum():
    inp = build(*ZONE_SPREAD)
    result = solve(inp.problem(), options=SolveOptions(time_limit=5))
    # Four 1-cpu pods fit one node, and the engine does not see maxSkew.
    assert result.lower_bound == 1
    assert verify_placement(inp, inp.decode(result.placement)) != []


def test_pack_cli_optimises_max_skew_exactly(capsys, tmp_path):
    path = tmp_path / "spread.yaml"
    path.write_text(as_yaml(*ZONE_SPREAD))
    code, out = run(capsys, "pack", str(path), "-o", "json")
    result = json.loads(out)
    assert code == 0, result["method"]
    assert (result["status"], result["nodes_used"], result["lower_bound"]) == ("optimal", 2, 2)
    assert result["method"].startswith("z3 constrained")
    zones = [result["placement"][f"web-{i}"][0] for i in range(4)]
    assert sorted(zones) == ["a", "a", "b", "b"]


def test_pack_cli_places_pods_with_required_affinity_to_pods_being_placed(capsys, tmp_path):
    anti = {
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("cache", HOST)]}
    }
    near = {
        "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term("cache", HOST)]}
    }
    path = tmp_path / "affinity.yaml"
    path.write_text(
        as_yaml(
            *(node(f"n{i}", cpu="4") for i in range(4)),
            deployment("cache", 2, cpu="1", affinity=anti),
            deployment("web", 4, cpu="1500m", affinity=near),
        )
    )
    code, out = run(capsys, "pack", str(path), "-o", "json")
    result = json.loads(out)
    assert code == 0, result["method"]
    placement = result["placement"]
    caches = {placement["cache-0"], placement["cache-1"]}
    assert len(caches) == 2
    assert {placement[f"web-{i}"] for i in range(4)} <= caches
    # 2 caches + 4 web need 8 cpu: two full nodes, each with its cache.
    assert (result["status"], result["nodes_used"]) == ("optimal", 2)


def test_pack_cli_keeps_host_ports_apart(capsys, tmp_path):
    path = tmp_path / "ports.yaml"
    path.write_text(
        as_yaml(
            *(node(f"n{i}", cpu="4") for i in range(4)),
            with_port(deployment("agent", 2, cpu="100m"), 9100),
            with_port(deployment("exporter", 1, cpu="100m"), 9100),
        )
    )
    code, out = run(capsys, "pack", str(path), "-o", "json")
    result = json.loads(out)
    assert code == 0, result["method"]
    assert (result["status"], result["nodes_used"]) == ("optimal", 3)
    assert len(set(result["placement"].values())) == 3


def test_the_benchmark_family_solves_per_zone_to_its_planted_optimum(tmp_path):
    inst = instance(2)
    inp = load(write(inst, tmp_path))
    assert spread_volume_bound(inp) == inst.optimum
    found = pack_constrained(inp, lower_bound=0, time_limit=60)
    assert (found.status, found.value) == (Status.OPTIMAL, inst.optimum)
    assert "per topology.kubernetes.io/zone domain" in found.method
    assert verify_placement(inp, found.placement) == []
    model = export_model(inp)
    assert {rule["kind"] for rule in model["rules"]} == {"spread", "affinity", "anti-affinity"}
    assert model["ports"]
