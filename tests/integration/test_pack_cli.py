import dataclasses
import json
import time

import pytest

from kmodel.cli import pack as pack_module
from kmodel.cli.main import main
from kmodel.placement.engine.problem import Status
from tests.helpers.paths import ROOT
from tests.helpers.placement import as_yaml, deployment, node

SPECS = ROOT / "specs" / "placement"
CLUSTER = [str(SPECS / "cluster.yaml"), str(SPECS / "workloads.yaml")]
UNPLACEABLE = [str(SPECS / "unplaceable.yaml")]


def run(capsys, *argv):
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err


def test_pack_json_has_exactly_the_documented_keys_and_beats_the_default_scheduler(capsys):
    code, out, _ = run(capsys, "pack", *CLUSTER, "--output", "json")
    assert code == 0
    result = json.loads(out)
    assert list(result) == [
        "status",
        "nodes_used",
        "cost",
        "lower_bound",
        "nodes_lower_bound",
        "optimal",
        "solve_seconds",
        "phase_seconds",
        "method",
        "placement",
        "heuristics",
        "unplaced",
        "not_placed",
        "not_modelled",
        "daemonset_overhead",
    ]
    assert result["status"] == "optimal"
    assert result["optimal"] is True
    assert result["nodes_used"] == result["lower_bound"]
    assert result["nodes_lower_bound"] is None  # objective "nodes": lower_bound is the one
    assert result["unplaced"] == []
    # 6 web + 3 api + 2 worker replicas, none bound yet.
    assert len(result["placement"]) == 11
    default = result["heuristics"]["kube-scheduler"]
    assert default["unplaced"] == []
    assert default["nodes_used"] > result["nodes_used"]
    for run_ in result["heuristics"].values():
        assert run_["nodes_used"] >= result["nodes_used"]
    # api has hostname anti-affinity: three distinct nodes.
    api_nodes = {n for p, n in result["placement"].items() if p.startswith("api-")}
    assert len(api_nodes) == 3


def test_pack_text_shows_the_gap(capsys):
    code, out, _ = run(capsys, "pack", *CLUSTER)
    assert code == 0
    assert out.startswith("optimal: ")
    default_line = next(line for line in out.splitlines() if line.startswith("kube-scheduler "))
    assert "%" in default_line


def test_unplaceable_pod_exits_1_with_its_name(capsys):
    code, out, err = run(capsys, "pack", *UNPLACEABLE, "-o", "json")
    assert code == 1
    assert json.loads(out)["unplaced"] == ["postgres-0"]
    assert "postgres-0" in err


def test_explain_exits_1_with_the_conflict_in_words(capsys):
    code, out, _ = run(capsys, "explain", *UNPLACEABLE)
    assert code == 1
    assert "needs 1 pod placed, each requesting 6 cpu" in out
    assert "no available volume zone" in out


def test_explain_placeable_exits_0(capsys):
    code, out, _ = run(capsys, "explain", *CLUSTER, "-o", "json")
    assert code == 0
    assert json.loads(out)["status"] == "placeable"


def test_bad_input_exits_2_naming_file_document_and_path(capsys, tmp_path):
    bad = node("n1")
    bad["metadata"]["annotations"] = {"kmodel.dev/price": "-3"}
    path = tmp_path / "bad.yaml"
    path.write_text(as_yaml(deployment("web", 1), bad))
    code, out, err = run(capsys, "pack", str(path))
    assert code == 2
    assert out == ""
    assert f"{path}: document 1: Node/n1: metadata.annotations[kmodel.dev/price]" in err
    assert "Traceback" not in err


def test_bad_timeout_and_missing_file_exit_2(capsys, tmp_path):
    assert run(capsys, "pack", *CLUSTER, "--timeout", "-1")[0] == 2
    assert run(capsys, "pack", str(tmp_path / "none.yaml"))[0] == 2


def test_out_file_and_report_folder(capsys, tmp_path):
    out_file = tmp_path / "result.md"
    report = tmp_path / "report"
    code, out, _ = run(
        capsys, "pack", *CLUSTER, "-o", "markdown", "--out", str(out_file), "--report", str(report)
    )
    assert code == 0
    assert out == ""
    assert out_file.read_text().startswith("# kmodel pack")
    assert (report / "placement-utilisation.png").read_bytes()[:4] == b"\x89PNG"
    assert "placement-utilisation.png" in (report / "placement.md").read_text()
    assert "<table>" in (report / "placement.html").read_text()


def test_report_on_a_large_cluster_draws_a_profile_of_fixed_width(capsys, tmp_path):
    # A bar and a label per node made a figure 0.5 inch per node wide (openb: 76,000 pixels,
    # a minute to draw); past LABELLED_NODES each run is a profile in a 12-inch figure.
    path = tmp_path / "big.yaml"
    path.write_text(as_yaml(*(node(f"n{k:03d}") for k in range(120)), deployment("web", 30)))
    report = tmp_path / "report"
    code, _, _ = run(capsys, "pack", str(path), "--timeout", "5", "--report", str(report))
    assert code == 0
    png = (report / "placement-utilisation.png").read_bytes()
    assert png[:4] == b"\x89PNG"
    width = int.from_bytes(png[16:20], "big")  # the IHDR chunk: width, then height
    assert width <= 1200


def test_cost_objective_uses_the_price_annotation(capsys, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        as_yaml(
            node("cheap", cpu="2", price=1), node("dear", cpu="2", price=10), deployment("w", 2)
        )
    )
    code, out, _ = run(capsys, "pack", str(path), "--objective", "cost", "-o", "json")
    assert code == 0
    assert set(json.loads(out)["placement"].values()) == {"cheap"}


def test_the_reported_packing_is_never_worse_than_a_heuristic_shown():
    from kmodel.cli.pack import _better_run  # noqa: PLC0415
    from kmodel.placement.kube_scheduler import HeuristicRun  # noqa: PLC0415

    runs = [
        HeuristicRun("kube-scheduler", {"a": "n1", "b": "n2"}, ("c",), 2, 20),
        HeuristicRun("ffd", {"a": "n1"}, ("b", "c"), 1, 10),
        HeuristicRun("bfd", {"a": "n1", "b": "n1", "c": "n2"}, (), 2, 30),
    ]
    # objective placed: fewest unplaced first, then nodes.
    found = _better_run("placed", runs, 2, 1, 10)
    assert found is not None
    assert found.name == "bfd"
    # Nothing beats a packing with every pod placed on one node.
    assert _better_run("placed", runs, 0, 1, 5) is None
    # cost: the cheaper of two complete packings wins over the solver's dearer one.
    cheaper = [*runs, HeuristicRun("other", {"a": "n3", "b": "n3", "c": "n3"}, (), 1, 25)]
    found = _better_run("cost", cheaper, 0, 2, 28)
    assert found is not None
    assert found.name == "other"
    assert _better_run("nodes", runs, 0, 2, 30) is None  # a tie is not better


def test_timeout_bounds_the_command_when_the_heuristics_are_late(capsys, monkeypatch):
    # kube-scheduler's runs on manifests can take minutes (inter-pod rules on thousands of
    # pods): past --timeout the command answers without them, in time.
    def slow(_inp):
        time.sleep(60)

    monkeypatch.setattr("kmodel.cli.pack.heuristic_runs", slow)
    start = time.perf_counter()
    code, out, err = run(capsys, "pack", *CLUSTER, "-o", "json", "--timeout", "2")
    assert time.perf_counter() - start < 30  # not the minute the heuristics would take
    assert code == 0
    result = json.loads(out)
    assert set(result["heuristics"]) == {"ffd", "bfd"}
    assert "kube-scheduler's runs did not finish within --timeout" in err


def test_heuristics_that_raise_are_an_internal_error_not_a_timeout(capsys, monkeypatch):
    # They run in a forked child: a bug there used to read "did not finish within --timeout".
    def broken(_inp):
        message = "a broken heuristic"
        raise ValueError(message)

    monkeypatch.setattr("kmodel.cli.pack.heuristic_runs", broken)
    code, out, err = run(capsys, "pack", *CLUSTER, "-o", "json", "--timeout", "20")
    assert code == 3
    assert out == ""
    assert "kube-scheduler's heuristic runs failed (ValueError: a broken heuristic)" in err
    assert "did not finish" not in err


def test_a_heuristic_packing_at_the_proven_bound_is_reported_optimal(capsys, monkeypatch):
    # The solver stopped with a worse packing but had proven the bound a heuristic meets.
    real = pack_module.solve

    def stopped_early(problem, *, options):
        result = real(problem, options=options)  # reported as if worse than every heuristic
        return dataclasses.replace(result, status=Status.FEASIBLE, optimal=False, nodes_used=99)

    monkeypatch.setattr(pack_module, "solve", stopped_early)
    code, out, _ = run(capsys, "pack", *CLUSTER, "-o", "json")
    result = json.loads(out)
    best = min(h["nodes_used"] for h in result["heuristics"].values() if not h["unplaced"])
    if best > result["lower_bound"]:
        pytest.skip("no heuristic meets the bound on this input")
    assert code == 0
    assert result["optimal"] is True
    assert result["status"] == "optimal"
    assert "better than the solver's packing" in result["method"]


def test_hostname_spread_with_more_replicas_than_nodes_is_placed_evenly(capsys, tmp_path):
    # maxSkew 1 over 2 nodes with 4 replicas: 2+2 is what kube-scheduler does; the per-node
    # cap is maxSkew above the smallest domain's count, not maxSkew itself.
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    path = tmp_path / "spread.yaml"
    path.write_text(
        as_yaml(
            node("n1", cpu="4"),
            node("n2", cpu="4"),
            deployment("web", 4, cpu="500m", topologySpreadConstraints=spread),
        )
    )
    code, out, _ = run(capsys, "pack", str(path), "--output", "json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["status"], result["nodes_used"], result["lower_bound"]) == ("optimal", 2, 2)
    assert result["unplaced"] == []
    per_node = [list(result["placement"].values()).count(n) for n in ("n1", "n2")]
    assert per_node == [2, 2]
