"""kmodel verify: proofs agree with brute force on tiny clusters; survives agrees with pack."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.cli.main import main
from kmodel.cli.verify import _exit
from kmodel.cluster.topology import cluster_graph, domains, pods_selected, volume_zones, zones
from kmodel.errors import IncompleteError
from kmodel.objects.manifests import load_text
from kmodel.placement.engine.problem import Status
from kmodel.placement.engine.solve import SolveOptions, solve
from kmodel.placement.manifests import placement_input
from kmodel.placement.verify import verify_placement
from kmodel.report.verify import TargetResult
from kmodel.verify import PropertyResult, parse_property, verify
from kmodel.verify.model import port_conflicts
from tests.helpers.placement import HOST, ZONE, anti_affinity, deployment, node


def _objects(bodies: list[dict[str, Any]]):
    return load_text(yaml.safe_dump_all(bodies))


def _prop(raw: object):
    return parse_property(raw, file="test", path="verify[0]")


def _admissible(inp, placement) -> bool:
    """Independent of verify's Z3 model: the placement verifier and the NodePorts rule."""
    if set(placement) != set(inp.pod_names) or verify_placement(inp, placement):
        return False
    group_of = inp.group_of_pod()
    for g, h in port_conflicts(inp):
        for node_name in set(placement.values()):
            here = [p for p, n in placement.items() if n == node_name]
            a = sum(group_of[p] == g for p in here)
            b = sum(group_of[p] == h for p in here)
            if (g == h and a > 1) or (g != h and a and b):
                return False
    return True


def _all_placements(inp):
    pods = inp.pod_names
    names = [n.name for n in inp.nodes]
    for choice in itertools.product(names, repeat=len(pods)):
        placement = dict(zip(pods, choice, strict=True))
        if _admissible(inp, placement):
            yield placement


@st.composite
def tiny_clusters(draw):
    n_nodes = draw(st.integers(2, 3))
    nodes = [
        node(f"n{i}", zone=draw(st.sampled_from(["a", "b"])), cpu=draw(st.sampled_from(["2", "3"])))
        for i in range(n_nodes)
    ]
    bodies = list(nodes)
    total = 0
    for j in range(draw(st.integers(1, 2))):
        name = f"d{j}"
        replicas = draw(st.integers(1, 3 - total if j else 3))
        total += replicas
        spec: dict[str, Any] = {}
        rule = draw(st.sampled_from(["none", "anti-host", "anti-zone", "spread-zone"]))
        if rule == "anti-host":
            spec["affinity"] = anti_affinity(name)
        elif rule == "anti-zone":
            spec["affinity"] = anti_affinity(name, ZONE)
        elif rule == "spread-zone":
            spec["topologySpreadConstraints"] = [
                {
                    "maxSkew": 1,
                    "topologyKey": ZONE,
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {"matchLabels": {"app": name}},
                }
            ]
        bodies.append(deployment(name, replicas, cpu=draw(st.sampled_from(["1", "2"])), **spec))
        if total >= 3:
            break
    return bodies


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tiny_clusters(),
    st.sampled_from(["node", "zone"]),
    st.integers(1, 2),
    st.integers(1, 2),
)
def test_proofs_agree_with_brute_force(bodies, across, minimum, extra):
    objects = _objects(bodies)
    inp = placement_input(objects)
    placements = list(_all_placements(inp))
    graph = cluster_graph([b for b in bodies if b["kind"] == "Node"])
    doms = domains(graph, across)
    props = [
        _prop("schedulable"),
        _prop({"spread": {"deployment": "d0", "across": across, "min": minimum}}),
        _prop({"capacity_headroom": {"deployment": "d0", "extra": extra}}),
    ]
    result = verify(objects, props)
    schedulable, spread, headroom = result.results
    assert schedulable.status == ("proven" if placements else "disproved")
    if not placements:
        assert spread.status == headroom.status == "vacuous"
        return

    d0 = {p for p in inp.pod_names if p.startswith("d0-")}

    def spread_count(placement):
        return sum(1 for members in doms.values() if {placement[p] for p in d0} & set(members))

    worst = min(spread_count(p) for p in placements)
    assert spread.status == ("proven" if worst >= minimum else "disproved")
    if spread.counterexample is not None:
        assert _admissible(inp, spread.counterexample)
        assert spread_count(spread.counterexample) < minimum

    # Headroom by brute force: the grown Deployment's pods on top of each placement.
    grown = copy.deepcopy(bodies)
    next(b for b in grown if b["metadata"]["name"] == "d0")["spec"]["replicas"] += extra
    big = placement_input(_objects(grown))
    new = [p for p in big.pod_names if p not in inp.pod_names]
    names = [n.name for n in inp.nodes]
    spreads = any(
        group.limits and any(lim.kind == "spread" for lim in group.limits)
        for group in big.groups
        if group.name == "Deployment/d0"
    )

    def fits(placement) -> bool:
        for choice in itertools.product(names, repeat=len(new)):
            combined = {**placement, **dict(zip(new, choice, strict=True))}
            problems = verify_placement(big, combined)
            if spreads:  # headroom does not count the extra pods' spread skew
                problems = [p for p in problems if "topology spread" not in p]
            if not problems:
                return True
        return False

    always = all(fits(p) for p in placements)
    assert headroom.status == ("proven" if always else "disproved")
    if headroom.counterexample is not None:
        assert _admissible(inp, headroom.counterexample)
        assert not fits(headroom.counterexample)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_clusters())
def test_survives_agrees_with_pack_on_each_smaller_cluster(bodies):
    objects = _objects(bodies)
    if verify(objects, [_prop("schedulable")]).results[0].status != "proven":
        return
    result = verify(objects, [_prop({"survives": {"lose": "zone", "keep": "all"}})]).results[0]
    graph = cluster_graph([b for b in bodies if b["kind"] == "Node"])
    stranded = []
    for zone, members in domains(graph, "zone").items():
        rest = [o for o in objects if not (o.kind == "Node" and o.name in members)]
        if not any(o.kind == "Node" for o in rest):
            stranded.append(zone)  # every pod of every Deployment needs a node
            continue
        packed = solve(placement_input(rest).problem(), options=SolveOptions(time_limit=10))
        assert packed.status != Status.UNKNOWN
        if packed.unplaced or packed.status == Status.INFEASIBLE:
            stranded.append(zone)
    assert result.status == ("disproved" if stranded else "proven")
    assert list(result.domains) == stranded


def test_pdb_min_available_is_what_must_survive():
    nodes = [node("a1", zone="a", cpu="2"), node("b1", zone="b", cpu="2")]
    web = deployment("web", 2, cpu="2")
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    with_pdb = verify(_objects([*nodes, web, pdb]), [_prop({"survives": {"lose": "zone"}})])
    assert with_pdb.results[0].status == "proven"
    keep_all = {"survives": {"lose": "zone", "keep": "all"}}
    assert verify(_objects([*nodes, web, pdb]), [_prop(keep_all)]).results[0].status == "disproved"
    without = verify(_objects([*nodes, web]), [_prop({"survives": {"lose": "zone"}})])
    assert without.results[0].status == "disproved"
    assert without.results[0].domains == ("a", "b")


def test_host_ports_keep_pods_apart():
    nodes = [node("a1", zone="a", cpu="8"), node("a2", zone="a", cpu="8")]
    container = {
        "name": "c",
        "image": "x",
        "ports": [{"containerPort": 80, "hostPort": 8080}],
        "resources": {"requests": {"cpu": "1"}},
    }
    web = deployment("web", 2, cpu="1")
    web["spec"]["template"]["spec"]["containers"] = [container]
    props = [_prop({"spread": {"deployment": "web", "across": "node", "min": 2}})]
    assert verify(_objects([*nodes, web]), props).results[0].status == "proven"
    web["spec"]["replicas"] = 3
    result = verify(_objects([*nodes, web]), [_prop("schedulable")]).results[0]
    assert result.status == "disproved"
    assert any("free ports" in reason for reason in result.reasons)


def test_cluster_graph_domains_services_and_volumes():
    nodes = [
        node("a1", zone="a", labels={"rack": "r1"}),
        node("a2", zone="a", labels={"rack": "r2"}),
        node("b1", zone="b", labels={"rack": "r1"}),
        {**node("x1"), "metadata": {"name": "x1", "labels": {HOST: "x1"}}},
    ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"app": "w"}},
        "spec": {"nodeName": "a1"},
    }
    service = {"kind": "Service", "metadata": {"name": "s"}, "spec": {"selector": {"app": "w"}}}
    volume = {
        "kind": "PersistentVolume",
        "metadata": {"name": "v"},
        "spec": {
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["b"]}]}
                    ]
                }
            }
        },
    }
    graph = cluster_graph(nodes, keys=["rack"], pods=[pod], services=[service], volumes=[volume])
    assert zones(graph) == ["a", "b"]
    assert domains(graph, "zone") == {"a": ("a1", "a2"), "b": ("b1",)}
    assert domains(graph, "rack") == {"r1": ("a1", "b1"), "r2": ("a2",)}
    assert domains(graph, "node") == {n: (n,) for n in ("a1", "a2", "b1", "x1")}
    assert graph.has_edge(("service", "default/s"), ("pod", "default/p"))
    assert graph.has_edge(("node", "a1"), ("pod", "default/p"))
    assert graph.has_edge(("volume", "v"), ("zone", "b"))
    assert volume_zones(volume) == ["b"]
    assert pods_selected({**service, "spec": {}}, [pod]) == []


def test_undecided_properties_exit_3_saying_what_was_proven():
    bodies = [node("a1"), deployment("web", 1)]
    result = verify(_objects(bodies), [_prop("schedulable")])
    undecided = PropertyResult(_prop({"survives": {"lose": "zone"}}), "unknown", "time limit")
    result = type(result)(result.inp, result.graph, (*result.results, undecided), result.pods)
    with pytest.raises(IncompleteError, match=r"1 property undecided .*proven: 1 of 2"):
        _exit([TargetResult("t", "t.yaml", None, result, {})], check_expectations=False)


def test_a_folder_is_read_recursively_as_every_command_reads_it(tmp_path, capsys):
    # A pod in a subfolder that fits no node: skipping the subfolder would prove "schedulable".
    (tmp_path / "nodes.yaml").write_text(yaml.safe_dump(node("n1")), encoding="utf-8")
    (tmp_path / "apps").mkdir()
    big = deployment("big", 1, cpu="64")
    (tmp_path / "apps" / "big.yaml").write_text(yaml.safe_dump(big), encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["verify", str(tmp_path), "-o", "json"])
    assert done.value.code == 1
    (target,) = json.loads(capsys.readouterr().out)["targets"]
    assert target["pods"] == 1
    assert target["properties"][0]["status"] == "disproved"


def test_a_folder_leaves_out_the_counterexamples_an_earlier_run_wrote_into_it(tmp_path, capsys):
    (tmp_path / "nodes.yaml").write_text(
        yaml.safe_dump_all([node("n1"), node("n2")]), encoding="utf-8"
    )
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(deployment("web", 2)), encoding="utf-8")
    argv = ["verify", str(tmp_path), "-o", "json", "--counterexamples", str(tmp_path / "cx")]
    argv += ["--property", "spread: {deployment: web, across: node, min: 2}"]
    runs = []
    for _ in range(2):
        with pytest.raises(SystemExit):
            main(argv)
        runs.append(json.loads(capsys.readouterr().out)["targets"][0])
    assert any((tmp_path / "cx").iterdir())  # the first run wrote its counterexample there
    assert [(r["source"], r["properties"][0]["status"]) for r in runs] == [
        (f"{tmp_path / 'nodes.yaml'}, {tmp_path / 'web.yaml'}", "disproved")
    ] * 2
