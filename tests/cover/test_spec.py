"""Spec files: what loads, and bad specs refused with the file and the field path (exit code 2)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.cli.main import main
from kmodel.errors import EXIT_INPUT, InputError
from kmodel.explore.spec import load_spec, spec_paths

WEB_DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "example/web:1",
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ]
            },
        },
    },
}

BASE_SPEC: dict[str, Any] = {
    "name": "base",
    "expect": "pass",
    "cluster": {"nodes": [{"pool": "n", "count": 2, "zones": ["a", "b"], "cpu": "2"}]},
    "workloads": [WEB_DEPLOYMENT],
    "actions": [{"rollout": {"deployment": "web", "images": ["example/web:2"]}}],
    "invariants": ["no_overcommit", {"min_available": {"deployment": "web", "count": 1}}],
    "explore": {"examples": 5, "maxSteps": 4, "seed": 3, "ticks": [5]},
}


def write_spec(folder: Path, body: object, name: str = "spec.yaml") -> Path:
    """Write ``body`` as YAML (or verbatim when it is a string) and return the path."""
    target = folder / name
    text = body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False)
    target.write_text(text, encoding="utf-8")
    return target


def edited(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`BASE_SPEC` with top-level keys replaced (``None`` removes one)."""
    body = copy.deepcopy(BASE_SPEC)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def test_base_spec_loads_with_its_fields(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, BASE_SPEC))
    assert spec.name == "base"
    assert spec.expect == "pass"
    assert spec.invariant_names == ("no_overcommit", "min_available")
    assert (spec.options.examples, spec.options.max_steps, spec.options.seed) == (5, 4, 3)
    assert spec.scenario.ticks == (5,)
    nodes = [o for o in spec.scenario.objects if o["kind"] == "Node"]
    assert [n["metadata"]["name"] for n in nodes] == ["n-1", "n-2"]
    zones = [n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes]
    assert zones == ["a", "b"]
    (rollout,) = spec.scenario.user_actions
    # The container defaults to the Deployment's first one; the name gains its namespace.
    assert rollout.params["container"] == "app"
    assert rollout.params["deployment"] == "default/web"


def test_name_defaults_to_file_stem_and_digest_follows_the_text(tmp_path: Path) -> None:
    first = load_spec(write_spec(tmp_path, edited(name=None), "my-check.yaml"))
    assert first.name == "my-check"
    second = load_spec(write_spec(tmp_path, edited(name=None, expect="violation"), "other.yaml"))
    assert first.digest != second.digest


def test_spec_paths_lists_yaml_files_of_a_folder_sorted(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt"):
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in spec_paths([str(tmp_path)])] == ["a.yml", "b.yaml"]
    with pytest.raises(InputError) as caught:
        spec_paths([str(tmp_path / "missing.yaml")])
    assert caught.value.file == str(tmp_path / "missing.yaml")


def _bad_cases() -> list[Any]:
    nodes = BASE_SPEC["cluster"]["nodes"]
    return [
        pytest.param("a: [1, 2\nb: 3\n", None, "line 2, column", id="yaml-syntax"),
        pytest.param([1, 2], None, "must be a mapping", id="top-level-list"),
        pytest.param(edited(clusters={}), "clusters", "unknown field", id="unknown-top-key"),
        pytest.param(
            edited(cluster={"nodes": []}), "cluster.nodes", "at least one Node", id="no-nodes"
        ),
        pytest.param(
            edited(cluster={"nodes": [{**nodes[0], "cpu": "1.2.3"}]}),
            "cluster.nodes[0].cpu",
            "1.2.3",
            id="bad-pool-quantity",
        ),
        pytest.param(
            edited(cluster={"nodes": nodes, "controlPlane": {"members": 2}}),
            "cluster.controlPlane.members",
            "must be odd",
            id="even-control-plane",
        ),
        pytest.param(
            edited(faults={"disk_full": 1}),
            "faults.disk_full",
            "unknown fault kind",
            id="fault-kind",
        ),
        pytest.param(
            edited(invariants=["no_such_thing"]),
            "invariants[0]",
            "unknown invariant 'no_such_thing'",
            id="unknown-invariant",
        ),
        pytest.param(
            edited(invariants=[{"min_available": {"deployment": "web"}}]),
            "invariants[0].min_available.count",
            "count",
            id="min-available-without-count",
        ),
        pytest.param(
            edited(invariants=[{"min_available": {"deployment": "api", "count": 1}}]),
            "invariants[0].min_available.deployment",
            "no Deployment 'api'",
            id="min-available-missing-deployment",
        ),
        pytest.param(
            edited(actions=[{"rollout": {"deployment": "api", "images": ["x:1"]}}]),
            "actions[0].rollout.deployment",
            "no Deployment 'api'",
            id="rollout-missing-deployment",
        ),
        pytest.param(
            edited(
                actions=[{"rollout": {"deployment": "web", "container": "db", "images": ["x"]}}]
            ),
            "actions[0].rollout.container",
            "no container 'db'",
            id="rollout-missing-container",
        ),
        pytest.param(
            edited(actions=[{"reboot": {}}]),
            "actions[0].reboot",
            "unknown action",
            id="action-kind",
        ),
        pytest.param(
            edited(invariants=["kmodel_no_such_module_xyz:check"]),
            "invariants[0]",
            "cannot import 'kmodel_no_such_module_xyz'",
            id="user-invariant-import",
        ),
        pytest.param(
            edited(invariants=["kmodel.errors:no_such_function"]),
            "invariants[0]",
            "no function 'no_such_function'",
            id="user-invariant-function",
        ),
        pytest.param(
            edited(invariants=[]), "invariants", "at least one invariant", id="no-invariants"
        ),
        pytest.param(edited(expect="maybe"), "expect", "pass or violation", id="expect"),
        pytest.param(
            edited(explore={"examples": 0}), "explore.examples", "at least 1", id="examples-zero"
        ),
        pytest.param(
            edited(explore={"maxsteps": 3}), "explore.maxsteps", "unknown field", id="explore-typo"
        ),
    ]


@pytest.mark.parametrize(("body", "path", "message"), _bad_cases())
def test_bad_spec_names_file_and_field(
    tmp_path: Path, body: object, path: str | None, message: str
) -> None:
    target = write_spec(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_spec(target)
    error = caught.value
    assert error.file == str(target)
    assert (error.path or None) == path
    assert message in error.message


def test_missing_workload_file_names_that_file(tmp_path: Path) -> None:
    target = write_spec(tmp_path, edited(workloads=["deploy/web.yaml"]))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.file == str(target)
    assert caught.value.path == "workloads[0]"
    assert str(tmp_path / "deploy" / "web.yaml") in caught.value.message


def test_a_folder_for_a_workload_file_is_named_as_a_folder(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    target = write_spec(tmp_path, edited(workloads=["k8s"]))
    with pytest.raises(InputError) as error:
        load_spec(target)
    assert error.value.path == "workloads[0]"
    assert (
        error.value.message
        == f"{tmp_path / 'k8s'} is a folder: a spec names manifest files, one each"
    )


def test_missing_node_manifest_file_names_the_field(tmp_path: Path) -> None:
    cluster = {**BASE_SPEC["cluster"], "manifests": ["nodes.yaml"]}
    target = write_spec(tmp_path, edited(cluster=cluster))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert (caught.value.file, caught.value.path) == (str(target), "cluster.manifests[0]")


def test_workload_file_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "web.yaml").write_text(yaml.safe_dump(WEB_DEPLOYMENT), encoding="utf-8")
    spec = load_spec(write_spec(tmp_path, edited(workloads=["deploy/web.yaml"])))
    assert any(o["kind"] == "Deployment" for o in spec.scenario.objects)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("a: [1, 2\nb: 3\n", "line 2, column", id="yaml-syntax"),
        pytest.param(edited(faults={"disk_full": 1}), "faults.disk_full", id="fault-kind"),
        pytest.param(edited(invariants=["nope"]), "invariants[0]", id="unknown-invariant"),
        pytest.param(edited(workloads=["gone.yaml"]), "gone.yaml", id="missing-workload"),
        pytest.param(
            WEB_DEPLOYMENT,
            "holds Kubernetes manifests (Deployment), not a spec: a spec names such files in "
            "its `workloads:`",
            id="a-manifest-for-a-spec",
        ),
        pytest.param(
            edited(programs={"example/web:3": {"runFor": 5, "exitCode": 1}}),
            "programs.example/web:3: no container runs this image (the workloads and rollouts "
            'run: example/web:1, example/web:2); did you mean "example/web:2"?',
            id="program-for-an-image-nothing-runs",
        ),
    ],
)
def test_cli_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: object, expected: str
) -> None:
    target = write_spec(tmp_path, body)
    with pytest.raises(SystemExit) as done:
        main(["check", str(target), "--traces", str(tmp_path / "traces")])
    assert done.value.code == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Traceback" not in captured.err
    (line,) = captured.err.strip().splitlines()
    assert str(target) in line
    assert expected in line
    assert not (tmp_path / "traces").exists()


def test_one_bad_spec_stops_the_run_before_any_exploring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(tmp_path, BASE_SPEC, "a-good.yaml")
    write_spec(tmp_path, edited(faults={"disk_full": 1}), "b-bad.yaml")
    with pytest.raises(SystemExit) as done:
        main(["check", str(tmp_path), "-o", "json"])
    assert done.value.code == EXIT_INPUT
    assert capsys.readouterr().out == ""


def test_every_problem_of_a_spec_is_reported_with_its_path_and_closest_key(tmp_path: Path) -> None:
    cluster = {"nodes": [{"pool": "n", "cout": 2, "cpu": ["2"]}], "controlPlane": {"members": 2}}
    body = edited(cluster=cluster, explore={"tick": [5]}, expect="maybe")
    body["invariant"] = ["no_overcommit"]
    body["programs"] = {"registry.example.com/web:2": {"runFr": 5}}  # a key with dots
    target = write_spec(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_spec(target)
    problems = {p.path: p.message for p in caught.value.problems}
    assert all(p.file == str(target) for p in caught.value.problems)
    assert set(problems) == {
        "expect",
        "cluster.nodes[0].cout",
        "cluster.nodes[0].cpu",
        "cluster.controlPlane.members",
        "explore.tick",
        "invariant",
        "programs.registry.example.com/web:2.runFr",
    }
    assert 'did you mean "runFor"?' in problems["programs.registry.example.com/web:2.runFr"]
    assert problems["cluster.nodes[0].cout"].startswith('unknown field (did you mean "count"?')
    assert problems["invariant"].startswith('unknown field (did you mean "invariants"?')
    assert problems["cluster.nodes[0].cpu"].endswith("not a list")
    assert problems["cluster.controlPlane.members"] == "must be odd (etcd quorum), not 2"
    assert problems["expect"] == 'must be pass or violation, not string "maybe"'


def test_programs_apply_to_workload_and_rollout_images(tmp_path: Path) -> None:
    programs = {"example/web:1": {"readyAfter": 5}, "example/web:2": {"runFor": 5}}
    spec = load_spec(write_spec(tmp_path, edited(programs=programs)))
    assert set(spec.scenario.config.programs) == set(programs)


def test_spec_defaults_come_from_the_format(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, edited(explore=None, name=None, expect=None)))
    assert (spec.options.examples, spec.options.max_steps, spec.options.seed) == (100, 30, 0)
    assert spec.scenario.ticks == (1, 10)
    assert spec.name == "spec"
    assert spec.expect is None
