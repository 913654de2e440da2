"""Strict input and repository-shaped input (issue 12, sections 2 and 3), end to end.

Every command reads manifests through one loader: unknown fields are errors naming the path
and the field meant, every error of every file is reported, an object defined twice is
refused with both places, folders are read recursively, ``-`` is standard input, and a file
that is not a manifest is skipped with a warning. kmodel's own formats go through the same
hardened YAML loader.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from kmodel.cli.main import main
from kmodel.conformance.scenarios import scenario_from_text
from kmodel.errors import InputError
from kmodel.explore.spec import load_spec, spec_paths
from kmodel.explore.trace import load_trace
from kmodel.objects.field_check import check_fields, closest_field
from kmodel.objects.known_fields import KIND_ROOTS, STRUCTS
from kmodel.objects.manifests import (
    LoadOptions,
    SkippedObject,
    load_inputs,
    load_manifests,
    load_text,
)
from kmodel.objects.validate import MODELLED_KINDS
from kmodel.strategies.spec import load_strategies_spec
from tests.helpers.paths import FIXTURES, ROOT

STRICT = FIXTURES / "strict"
REPO = FIXTURES / "repo"
CONFORMANCE = ROOT / "specs" / "conformance"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    code = done.value.code
    assert isinstance(code, int)
    return code, out, err


def summary_of(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("kmodel: summary: ")]
    assert len(lines) == 1, err
    return lines[0].removeprefix("kmodel: summary: ")


# ---------------------------------------------------------------- the known fields


def test_every_modelled_kind_has_a_complete_field_table() -> None:
    assert set(KIND_ROOTS) == set(MODELLED_KINDS)
    for name, fields in STRUCTS.items():
        for field, type_name in fields.items():
            base = type_name.lstrip("[]{}")
            assert base in STRUCTS or base in {
                "string",
                "bytes",
                "integer",
                "boolean",
                "number",
                "quantity",
                "intOrString",
                "any",
            }, f"{name}.{field}: {type_name}"


def test_fields_the_model_ignores_are_known_fields() -> None:
    """What `kubectl get -o yaml` prints and real manifests use is never an unknown field."""
    pod_spec, container, status = STRUCTS["PodSpec"], STRUCTS["Container"], STRUCTS["PodStatus"]
    assert {"volumes", "securityContext", "dnsPolicy", "serviceAccountName"} <= set(pod_spec)
    assert {"env", "envFrom", "volumeMounts", "terminationMessagePolicy"} <= set(container)
    assert {"hostIP", "podIPs", "qosClass", "startTime"} <= set(status)
    assert {"managedFields", "resourceVersion", "uid", "creationTimestamp"} <= set(
        STRUCTS["ObjectMeta"]
    )
    # ProbeHandler is inline in Probe upstream: its fields are the Probe's.
    assert {"httpGet", "exec", "tcpSocket", "grpc", "periodSeconds"} <= set(STRUCTS["Probe"])


@pytest.mark.parametrize(
    ("typo", "meant", "struct"),
    [
        ("replica", "replicas", "DeploymentSpec"),
        ("resource", "resources", "Container"),
        ("readinessProbes", "readinessProbe", "Container"),
        ("ContainerPort", "containerPort", "ContainerPort"),
        ("nodeselector", "nodeSelector", "PodSpec"),
    ],
)
def test_closest_known_field(typo: str, meant: str, struct: str) -> None:
    assert closest_field(typo, STRUCTS[struct]) == meant


def test_unrelated_field_gets_no_suggestion() -> None:
    assert closest_field("zzzzzz", STRUCTS["DeploymentSpec"]) is None
    problems = check_fields("ConfigMap", {"kind": "ConfigMap", "zzzzzz": 1})
    assert [(p.path, p.message) for p in problems] == [("zzzzzz", 'unknown field "zzzzzz"')]


# ---------------------------------------------------------------- unknown fields, every error


def test_every_misspelled_field_is_reported_with_its_path_and_the_field_meant() -> None:
    with pytest.raises(InputError) as caught:
        load_manifests(STRICT / "typos.yaml")
    problems = caught.value.problems
    assert [(p.file, p.document, p.obj) for p in problems] == [
        (str(STRICT / "typos.yaml"), 0, "Deployment/default/guestbook-ui")
    ] * 3
    assert [(p.path, p.message) for p in problems] == [
        ("spec.replica", 'unknown field "replica" (did you mean "replicas"?)'),
        (
            "spec.template.spec.containers[0].resource",
            'unknown field "resource" (did you mean "resources"?)',
        ),
        (
            "spec.template.spec.containers[0].readinessProbes",
            'unknown field "readinessProbes" (did you mean "readinessProbe"?)',
        ),
    ]


def test_pack_refuses_misspelled_fields_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: `replica:` and `resource:` were dropped and pack placed 1 replica asking for 0."""
    code, out, err = run(capsys, "pack", str(STRICT / "nodes.yaml"), str(STRICT / "typos.yaml"))
    assert code == 2
    assert out == ""
    assert "kmodel: error: 3 problems in the input:" in err
    for field in ("spec.replica", "containers[0].resource", "containers[0].readinessProbes"):
        assert field in err
    assert summary_of(err) == "2 files, 3 objects: 2 valid, 1 invalid, 0 skipped, 0 not modelled"


def test_validate_warn_and_ignore_relax_unknown_fields_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    typos = str(STRICT / "typos.yaml")
    code, _, err = run(capsys, "status", typos, "--validate=warn")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "unknown field" in line]
    assert len(warnings) == 3
    assert warnings[0].startswith("kmodel: warning: ")
    assert 'spec.replica: unknown field "replica" (did you mean "replicas"?)' in warnings[0]
    code, _, err = run(capsys, "status", typos, "--validate=ignore")
    assert code == 0, err
    assert "unknown field" not in err
    # A value of the wrong type is always an error: the API server cannot decode it.
    affinity = str(STRICT / "pod-with-node-affinity.yaml")
    code, _, err = run(capsys, "status", affinity, "--validate=ignore")
    assert code == 2


def test_every_error_of_every_document_is_reported(tmp_path: Path) -> None:
    text = (STRICT / "typos.yaml").read_text()
    bad_node = "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nspec: {unschedulabel: true}\n"
    (tmp_path / "two.yaml").write_text(f"{text}---\n{bad_node}")
    result = load_inputs(tmp_path / "two.yaml")
    assert [(e.document, e.path) for e in result.errors][-1] == (1, "spec.unschedulabel")
    assert 'did you mean "unschedulable"' in result.errors[-1].message
    assert len(result.errors) == 4
    assert result.objects == []


# ---------------------------------------------------------------- one validation for every command

AFFINITY_PATH = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"


@pytest.mark.parametrize("command", ["status", "pack", "explain"])
def test_malformed_affinity_is_refused_by_every_command_with_file_and_document(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """Before: status accepted it, pack refused it; now all refuse it the same way."""
    affinity = STRICT / "pod-with-node-affinity.yaml"
    args = [str(affinity)] if command == "status" else [str(STRICT / "nodes.yaml"), str(affinity)]
    code, out, err = run(capsys, command, *args)
    assert code == 2
    assert out == ""
    assert (
        f"kmodel: error: {affinity}: document 0: Pod/default/with-node-affinity: "
        f"{AFFINITY_PATH}: must be a mapping, not a list"
    ) in err


def test_check_refuses_malformed_affinity_naming_file_and_document(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Before: check explored, then failed in the scheduler with no file or document."""
    code, out, err = run(
        capsys, "check", str(STRICT / "affinity-spec.yaml"), "--traces", str(tmp_path)
    )
    assert code == 2
    assert out == ""
    workload = STRICT / "affinity-deployment.yaml"
    assert (
        f"{workload}: document 0: Deployment/default/zonal: spec.template.{AFFINITY_PATH}: "
        "must be a mapping, not a list"
    ) in err


# ---------------------------------------------------------------- duplicates


def test_duplicate_objects_across_files_are_refused_naming_both(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: the two guestbook-ui Deployments were summed (3 + 1 replicas placed)."""
    first, second = STRICT / "guestbook.yaml", STRICT / "guestbook-copy.yaml"
    code, out, err = run(capsys, "pack", str(STRICT / "nodes.yaml"), str(first), str(second))
    assert code == 2
    assert out == ""
    assert (
        f"kmodel: error: {second}: document 1: Deployment/default/guestbook-ui: duplicate "
        f"object: Deployment/default/guestbook-ui is already defined at {first}: document 0"
    ) in err


def test_same_name_in_another_namespace_or_kind_is_not_a_duplicate(tmp_path: Path) -> None:
    staging = (
        (STRICT / "guestbook.yaml")
        .read_text()
        .replace("  name: guestbook-ui\n", "  name: guestbook-ui\n  namespace: staging\n")
    )
    (tmp_path / "staging.yaml").write_text(staging)
    result = load_inputs([STRICT / "guestbook.yaml", tmp_path / "staging.yaml"])
    assert not result.errors
    assert [o.label for o in result.objects] == [
        "Deployment/default/guestbook-ui",
        "Service/default/guestbook-ui",
        "Deployment/staging/guestbook-ui",
        "Service/staging/guestbook-ui",
    ]


def test_duplicate_workloads_in_a_spec_are_refused(tmp_path: Path) -> None:
    for name in ("guestbook.yaml", "guestbook-copy.yaml"):
        shutil.copy(STRICT / name, tmp_path / name)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "cluster: {nodes: [{pool: w, count: 1}]}\n"
        "workloads: [guestbook.yaml, guestbook-copy.yaml]\n"
        "invariants: [no_overcommit]\n"
    )
    with pytest.raises(InputError) as caught:
        load_spec(spec)
    assert caught.value.path == "workloads[1]"
    assert f"{tmp_path / 'guestbook.yaml'}: document 0 and " in caught.value.message
    assert f"{tmp_path / 'guestbook-copy.yaml'}: document 1" in caught.value.message


# ---------------------------------------------------------------- repositories


def test_a_repository_is_read_recursively_and_non_manifests_are_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "pack", str(REPO), "--ignore", "legacy", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["placement"] == {
        "guestbook-ui-0": "worker-1",
        "guestbook-ui-1": "worker-1",
    }
    assert summary_of(err) == (
        "6 files (4 skipped), 4 objects: 3 valid, 0 invalid, 0 skipped, 1 not modelled"
    )
    skipped = sorted(re.findall(r"warning: (\S+): skipped: ([^(]+)", err))
    assert skipped == [
        (f"{REPO}/chart/Chart.yaml", "not a Kubernetes manifest "),
        (f"{REPO}/chart/templates/deployment.yaml", "an unrendered Helm template "),
        (f"{REPO}/chart/values.yaml", "not a Kubernetes manifest "),
        (f"{REPO}/package.json", "not a Kubernetes manifest "),
    ]
    assert "render it first: helm template" in err
    assert (
        "skipping ReplicationController/node-exporter: "
        "kind ReplicationController (v1) is not modelled" in err
    )


def test_without_ignore_the_legacy_copy_is_a_duplicate(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "pack", str(REPO))
    assert code == 2
    assert f"{REPO}/deploy/legacy/old-app.yaml: document 0" in err
    assert f"already defined at {REPO}/deploy/app.yaml: document 0" in err


def test_no_recursive_reads_only_the_folder_itself() -> None:
    flat = load_inputs(REPO / "deploy", options=LoadOptions(recursive=False))
    assert [o.label for o in flat.objects] == [
        "Deployment/default/guestbook-ui",
        "Service/default/guestbook-ui",
    ]
    deep = load_inputs(REPO / "deploy", options=LoadOptions(ignore=("old-*.yaml",)))
    assert [o.kind for o in deep.objects] == ["Deployment", "Service", "Node"]


def test_skip_kinds_leaves_objects_out_and_counts_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        capsys,
        "status",
        str(REPO / "deploy" / "app.yaml"),
        "--skip-kinds",
        "Service,ReplicationController",
    )
    assert code == 0, err
    assert summary_of(err) == "1 file, 3 objects: 1 valid, 0 invalid, 2 skipped, 0 not modelled"
    assert "ReplicationController" not in err.replace("--skip-kinds", "")


def test_stdin_is_read_for_dash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`helm template ... | kmodel pack nodes.yaml -`."""
    rendered = (STRICT / "guestbook.yaml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(rendered)))
    code, out, err = run(capsys, "pack", str(STRICT / "nodes.yaml"), "-", "-o", "json")
    assert code == 0, err
    assert sorted(json.loads(out)["placement"]) == [f"guestbook-ui-{i}" for i in range(3)]
    assert summary_of(err).startswith("2 files, 4 objects: 4 valid, 0 invalid")


def test_empty_stdin_is_named_not_silent(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`helm template ... | kmodel pack nodes.yaml -` where helm printed nothing."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"# rendered nothing\n")))
    code, _, err = run(capsys, "pack", str(STRICT / "nodes.yaml"), "-")
    assert code == 0, err
    assert "kmodel: warning: <stdin>: skipped: no objects (the file is empty)" in err
    assert summary_of(err).startswith("2 files (1 skipped), 2 objects")


def test_errors_from_stdin_name_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"kind: Pod\nspec: [\n")))
    code, _, err = run(capsys, "status", "-")
    assert code == 2
    assert "kmodel: error: <stdin>: document 0: invalid YAML" in err


# ---------------------------------------------------------------- kmodel's own formats


def test_a_repeated_key_in_a_check_spec_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """Before: the second `expect: pass` silently won over `expect: violation`."""
    with pytest.raises(InputError) as caught:
        load_spec(STRICT / "repeated-expect.yaml")
    assert caught.value.file == str(STRICT / "repeated-expect.yaml")
    assert caught.value.path == "expect"
    assert 'mapping key "expect" already defined at line 3' in caught.value.message
    code, _, err = run(capsys, "check", str(STRICT / "repeated-expect.yaml"))
    assert code == 2
    assert "repeated-expect.yaml: document 0: expect: invalid YAML at line 9" in err


def test_a_repeated_key_in_a_manifest_names_its_path() -> None:
    text = (STRICT / "guestbook.yaml").read_text()
    doubled = text.replace("          image: ", "          image: nginx:1\n          image: ", 1)
    with pytest.raises(InputError) as caught:
        load_text(doubled, file="guestbook.yaml")
    assert (caught.value.document, caught.value.path) == (
        0,
        "spec.template.spec.containers[0].image",
    )
    assert 'mapping key "image" already defined at line 15' in caught.value.message


def test_a_repeated_key_in_a_strategies_spec_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "specs" / "workloads", tmp_path / "workloads")
    (tmp_path / "strategies").mkdir()
    spec = tmp_path / "strategies" / "web-release.yaml"
    text = (ROOT / "specs" / "strategies" / "web-release.yaml").read_text()
    spec.write_text(text + "\ntimeout: 30\ntimeout: 60\n")
    with pytest.raises(InputError, match='mapping key "timeout" already defined'):
        load_strategies_spec(spec)


def test_a_repeated_key_in_a_conformance_scenario_is_refused() -> None:
    text = (CONFORMANCE / "crash-loop.yaml").read_text()
    doubled = text.replace("  window:", "  window: 3\n  window:", 1)
    assert doubled != text
    with pytest.raises(InputError, match='mapping key "window" already defined'):
        scenario_from_text(doubled, file="crash-loop.yaml")


def test_a_repeated_key_in_a_trace_is_refused(tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    trace.write_text('{"kmodel_trace": 1, "kmodel_trace": 2}')
    with pytest.raises(InputError) as caught:
        load_trace(trace)
    assert caught.value.file == str(trace)
    assert 'key "kmodel_trace" repeated' in caught.value.message


def test_alias_bomb_in_a_spec_is_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    spec = tmp_path / "bomb.yaml"
    spec.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="excessive aliasing"):
        load_spec(spec)


# ---------------------------------------------------------------- everything bundled stays valid


def test_every_bundled_spec_and_fixture_passes_strict_validation() -> None:
    for spec in spec_paths([str(ROOT / "specs")]):
        load_spec(spec)
    load_strategies_spec(ROOT / "specs" / "strategies" / "web-release.yaml")
    for folder in ("specs/pods", "specs/workloads", "tests/fixtures/manifests"):
        result = load_inputs(ROOT / folder)
        assert not result.errors, [str(e) for e in result.errors]
        assert result.summary.invalid == 0
    for name in ("cluster.yaml", "workloads.yaml", "unplaceable.yaml"):
        assert not load_inputs(ROOT / "specs" / "placement" / name).errors


def test_a_node_defined_twice_in_a_spec_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Before: the cluster build failed with an internal error (exit 3, "Conflict")."""
    shutil.copy(STRICT / "nodes.yaml", tmp_path / "nodes.yaml")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "cluster:\n"
        "  nodes: [{pool: worker, count: 2}]\n"
        "  manifests: [nodes.yaml]\n"
        "workloads: [{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}}]\n"
        "invariants: [no_overcommit]\n"
    )
    code, _, err = run(capsys, "check", str(spec), "--traces", str(tmp_path))
    assert code == 2
    assert (
        f"kmodel: error: {spec}: cluster.manifests[0]: duplicate object: Node/worker-1 is "
        f"defined at {spec}: cluster.nodes[0] and {tmp_path / 'nodes.yaml'}: document 0: items[0]"
    ) in err


def test_unknown_fields_of_inline_manifests_in_a_spec_name_the_spec_path(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "cluster:\n"
        "  nodes: [{pool: worker, count: 1}]\n"
        "workloads:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, label: {x: y}}, dat: {k: v}}\n"
        "invariants: [no_overcommit]\n"
    )
    with pytest.raises(InputError) as caught:
        load_spec(spec)
    assert [(p.file, p.path, p.message) for p in caught.value.problems] == [
        (str(spec), "workloads[0].dat", 'unknown field "dat" (did you mean "data"?)'),
        (
            str(spec),
            "workloads[0].metadata.label",
            'unknown field "label" (did you mean "labels"?)',
        ),
    ]
    assert load_spec(spec, validate="ignore").scenario.objects[-1]["kind"] == "ConfigMap"


def test_objects_not_modelled_go_to_on_skip_and_are_counted() -> None:
    skipped: list[SkippedObject] = []
    warnings: list[str] = []
    result = load_inputs(
        REPO / "deploy" / "app.yaml", on_warning=warnings.append, on_skip=skipped.append
    )
    assert [(s.label, s.source.document) for s in skipped] == [
        ("ReplicationController/node-exporter", 2)
    ]
    assert str(skipped[0]).endswith(
        "document 2: skipping ReplicationController/node-exporter: "
        "kind ReplicationController (v1) is not modelled"
    )
    assert warnings == []
    assert result.summary.not_modelled == 1


def test_go_templates_inside_a_rendered_manifest_are_not_a_helm_chart(tmp_path: Path) -> None:
    """Alertmanager and Prometheus keep Go templates in ConfigMaps; they are data, not Helm."""
    (tmp_path / "alertmanager.yaml").write_text(
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata: {name: alertmanager-templates, namespace: monitoring}\n"
        "data:\n"
        "  slack.tmpl: |\n"
        '    {{ define "slack.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}'
        "{{ end }}\n"
        '    {{ template "slack.title" . }} {{ range .Alerts }}{{ $labels.instance }}{{ end }}\n'
    )
    result = load_inputs(tmp_path)
    assert [o.label for o in result.objects] == ["ConfigMap/monitoring/alertmanager-templates"]
    assert result.summary.skipped_files == 0


def test_check_and_replay_share_the_validate_mode(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A spec whose workload misspells `resources`: refused by default, explored under warn
    (with the warning on stderr), and its trace replays under the same mode."""
    shutil.copytree(ROOT / "specs" / "workloads", tmp_path / "workloads")
    text = (ROOT / "specs" / "rollout-max-unavailable.yaml").read_text()
    spec = tmp_path / "spec.yaml"
    spec.write_text(text.replace("              resources: {", "              resource: {", 1))
    traces = tmp_path / "traces"
    code, out, err = run(capsys, "check", str(spec), "--traces", str(traces))
    assert code == 2
    assert out == ""
    assert (
        f"{spec}: workloads[1].spec.template.spec.containers[0].resource: unknown field "
        '"resource" (did you mean "resources"?)'
    ) in err
    code, _, err = run(
        capsys, "check", str(spec), "--validate=warn", "--traces", str(traces), "--examples", "10"
    )
    assert code == 1, err
    assert "kmodel: warning: " in err
    assert 'containers[0].resource: unknown field "resource"' in err
    [trace] = traces.glob("*.json")
    code, _, err = run(capsys, "replay", str(trace))
    assert code == 2
    assert 'unknown field "resource"' in err
    code, out, err = run(capsys, "replay", str(trace), "--validate=warn")
    assert code == 1, err
    assert "min_available violated" in err
