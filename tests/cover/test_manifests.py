"""Tests of the manifest loader: every modelled kind, kubectl output, lists, bad input, limits."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.errors import InputError
from kmodel.objects import manifests
from kmodel.objects.manifests import (
    MAX_FILE_BYTES,
    MAX_NESTING_DEPTH,
    LoadedObject,
    LoadOptions,
    Source,
    load_manifests,
    load_text,
)
from kmodel.objects.quantity import quantity_in_model_units
from kmodel.objects.validate import selector_matches
from tests.helpers.paths import FIXTURES

MANIFESTS = FIXTURES / "manifests"


def pod(**spec_overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1.27"},
                {
                    "name": "sidecar",
                    "image": "envoy:1.30",
                    "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}},
                },
            ]
        },
    }
    body["spec"].update(spec_overrides)
    return body


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }


def dump(*documents: Any) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)


def load_error(text: str, file: str = "bad.yaml") -> InputError:
    with pytest.raises(InputError) as info:
        load_text(text, file=file)
    return info.value


# ---------------------------------------------------------------- good input


def test_every_modelled_kind_loads_with_its_scope_and_source() -> None:
    objects = load_manifests(MANIFESTS / "all-kinds.yaml")
    found = {(obj.kind, obj.namespace, obj.name, obj.source.document) for obj in objects}
    assert found == {
        ("Node", None, "worker-1", 0),
        ("Deployment", "shop", "web", 2),
        ("ReplicaSet", "shop", "worker", 3),
        ("Service", "shop", "web", 4),
        ("ConfigMap", "shop", "web-config", 5),
        ("Secret", "shop", "web-secret", 6),
        ("PersistentVolume", None, "pv-data-1", 7),
        ("PersistentVolumeClaim", "shop", "data", 8),
        ("PodDisruptionBudget", "shop", "web", 9),
        ("Pod", "default", "standalone", 10),
    }
    # Document 1 is an empty `---` document: skipped but counted.
    assert all(obj.source.file == str(MANIFESTS / "all-kinds.yaml") for obj in objects)
    node = objects[0]
    assert node.label == "Node/worker-1"
    assert quantity_in_model_units("cpu", node.body["status"]["allocatable"]["cpu"]) == 3800
    assert quantity_in_model_units("memory", node.body["status"]["capacity"]["memory"]) == 16 << 30


def test_kubectl_get_pod_output_keeps_server_fields() -> None:
    (loaded,) = load_manifests(str(MANIFESTS / "pod-get-output.yaml"))
    assert (loaded.kind, loaded.namespace, loaded.name) == ("Pod", "shop", "web-7d4b9c8f6d-x2v9q")
    body = loaded.body
    assert body["metadata"]["managedFields"][1]["manager"] == "kubelet"
    assert body["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    statuses = body["status"]["containerStatuses"]
    assert statuses[0]["state"]["running"]["startedAt"] == "2024-05-02T09:14:11Z"
    assert body["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    assert body["status"]["conditions"][0]["lastProbeTime"] is None
    # The whole body survives a JSON round trip: only JSON-compatible values are kept.
    assert json.loads(json.dumps(body)) == body


def test_unquoted_timestamps_stay_strings() -> None:
    text = dump(pod()).replace(
        "metadata:\n", "metadata:\n  creationTimestamp: 2024-05-02T09:14:08Z\n"
    )
    (loaded,) = load_text(text)
    assert loaded.body["metadata"]["creationTimestamp"] == "2024-05-02T09:14:08Z"


def test_scalars_go_yaml_keeps_as_strings_stay_strings() -> None:
    # gopkg.in/yaml.v2 resolve has neither base-60 numbers nor YAML 1.1's "=" (!!value):
    # kubectl reads these as strings (kube-prometheus's CRDs hold "- =" in an enum).
    body = pod()
    body["metadata"]["annotations"] = {"maintenance": "PLACEHOLDER_TIME"}
    body["spec"]["containers"][0]["args"] = ["socat", "PLACEHOLDER_PORTS", "PLACEHOLDER_EQ"]
    text = (
        dump(body)
        .replace("PLACEHOLDER_TIME", "10:30")
        .replace("PLACEHOLDER_PORTS", "8080:80")
        .replace("PLACEHOLDER_EQ", "=")
    )
    (loaded,) = load_text(text)
    assert loaded.body["metadata"]["annotations"]["maintenance"] == "10:30"
    assert loaded.body["spec"]["containers"][0]["args"] == ["socat", "8080:80", "="]
    # What the Go library does resolve still resolves.
    (loaded,) = load_text(dump(pod()).replace("name: app", "name: app\n    tty: yes"))
    assert loaded.body["spec"]["containers"][0]["tty"] is True


def test_list_items_are_loaded_and_unknown_kinds_warn() -> None:
    warnings: list[str] = []
    objects = load_manifests([MANIFESTS / "list.yaml"], on_warning=warnings.append)
    assert [(obj.label, obj.source.item) for obj in objects] == [
        ("Deployment/shop/api", 0),
        ("Service/shop/api", 2),
    ]
    assert all(obj.source.document == 0 for obj in objects)
    assert str(objects[1].source) == f"{MANIFESTS / 'list.yaml'}: document 0: items[2]"
    assert len(warnings) == 1
    assert "items[1]" in warnings[0]
    assert "Ingress/shop/api" in warnings[0]


def test_typed_list_items_inherit_kind_and_api_version() -> None:
    item = pod()
    del item["kind"], item["apiVersion"]
    (loaded,) = load_text(dump({"apiVersion": "v1", "kind": "PodList", "items": [item]}))
    assert loaded.kind == "Pod"
    assert loaded.body["apiVersion"] == "v1"


def test_list_item_errors_name_the_item_path() -> None:
    bad = pod()
    bad["spec"]["containers"][1]["name"] = "app"
    text = dump({"apiVersion": "v1", "kind": "List", "items": [deployment(), bad]})
    error = load_error(text)
    assert (error.document, error.obj) == (0, "Pod/shop/web")
    assert error.path == "items[1].spec.containers[1].name"
    assert error.message == 'Duplicate value: "app"'


def test_multi_document_with_empty_documents_and_unknown_kind() -> None:
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "x"}}
    crd_object = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    text = "---\n" + dump(pod()) + "---\n---\n" + dump(ingress, crd_object, deployment())
    warnings: list[str] = []
    objects = load_text(text, file="multi.yaml", on_warning=warnings.append)
    assert [(obj.kind, obj.source) for obj in objects] == [
        ("Pod", Source("multi.yaml", 0)),
        ("Deployment", Source("multi.yaml", 4)),
    ]
    assert objects[1].namespace == "default"
    assert len(warnings) == 2
    assert warnings[0].startswith("multi.yaml: document 2: skipping Ingress/x")
    assert "Widget/w" in warnings[1]


def test_json_with_tabs_loads() -> None:
    (node,) = load_manifests(MANIFESTS / "node.json")
    assert node.kind == "Node"
    assert node.namespace is None
    assert node.body["status"]["capacity"]["cpu"] == "8"


def test_directory_loads_manifest_files_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(dump(deployment()))
    (tmp_path / "a.json").write_text(json.dumps(pod()))
    (tmp_path / "notes.txt").write_text("not: [a manifest")
    (tmp_path / "sub").mkdir()
    other = pod()
    other["metadata"]["name"] = "other"
    (tmp_path / "sub" / "c.yaml").write_text(dump(other))
    objects = load_manifests(tmp_path)
    assert [(Path(obj.source.file).name, obj.kind) for obj in objects] == [
        ("a.json", "Pod"),
        ("b.yml", "Deployment"),
        ("c.yaml", "Pod"),
    ]
    flat = load_manifests(tmp_path, options=LoadOptions(recursive=False))
    assert [Path(obj.source.file).name for obj in flat] == ["a.json", "b.yml"]


def test_a_kustomize_folder_is_read_with_a_hint_to_render_it(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"})
    )
    (tmp_path / "deployment.yaml").write_text(dump(deployment()))
    warnings: list[str] = []
    result = manifests.load_inputs(tmp_path, on_warning=warnings.append)
    assert [o.kind for o in result.objects] == ["Deployment"]
    assert (result.summary.skipped_files, result.summary.not_modelled) == (1, 0)
    (warning,) = warnings
    assert "kustomization.yaml: skipped: a kustomize file (Kustomization)" in warning
    assert "kubectl kustomize DIR | kmodel ... -" in warning
    # A strategic merge patch beside it names what it is.
    patch = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
    (tmp_path / "delete.patch.yaml").write_text(dump({**patch, "$patch": "delete"}))
    error = manifests.load_inputs(tmp_path).errors[0]
    assert error.path == "$patch"
    assert "a patch directive: this is a patch, not an object" in error.message


def test_empty_directory_warns(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert load_manifests(tmp_path, on_warning=warnings.append) == []
    assert len(warnings) == 1


def test_anchors_are_expanded_into_independent_objects() -> None:
    text = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: a
    image: nginx
    resources: &res {requests: {cpu: 250m}}
  - name: b
    image: nginx
    resources: *res
"""
    (loaded,) = load_text(text)
    first, second = loaded.body["spec"]["containers"]
    assert first["resources"] == second["resources"] == {"requests": {"cpu": "250m"}}
    first["resources"]["requests"]["cpu"] = "1"
    assert second["resources"]["requests"]["cpu"] == "250m"


def test_generate_name_alone_is_allowed_in_templates_only() -> None:
    (loaded,) = load_text(dump(deployment()))
    assert "name" not in loaded.body["spec"]["template"]["metadata"]
    body = pod()
    body["metadata"] = {"generateName": "web-"}
    error = load_error(dump(body))
    assert error.path == "metadata.name"
    assert error.message.startswith("Required value")


def test_loaded_objects_are_frozen() -> None:
    (loaded,) = load_text(dump(pod()))
    assert isinstance(loaded, LoadedObject)
    with pytest.raises(AttributeError):
        loaded.name = "other"  # type: ignore[misc]


def test_selector_matches_mirrors_label_selector_semantics() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches({}, labels)
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "api"}}, labels)
    expressions = [
        ({"key": "tier", "operator": "In", "values": ["front", "back"]}, True),
        ({"key": "tier", "operator": "NotIn", "values": ["front"]}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, True),
        ({"key": "app", "operator": "Exists"}, True),
        ({"key": "app", "operator": "DoesNotExist"}, False),
        ({"key": "zone", "operator": "In", "values": ["a"]}, False),
    ]
    for requirement, expected in expressions:
        assert selector_matches({"matchExpressions": [requirement]}, labels) is expected


# ---------------------------------------------------------------- bad input


def mutated(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with ``value`` at ``path`` (a ``...`` value deletes the key)."""
    body = copy.deepcopy(base)
    target = body
    for step in path[:-1]:
        target = target[step]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


BAD_OBJECTS = [
    pytest.param(
        mutated(pod(), ("spec", "containers", 1, "resources", "requests", "cpu"), "1.2.3"),
        "Pod/shop/web",
        "spec.containers[1].resources.requests.cpu",
        'invalid quantity "1.2.3": quantities must match the regular expression',
        id="malformed-quantity",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 1, "resources", "requests", "cpu"), "-100m"),
        "Pod/shop/web",
        "spec.containers[1].resources.requests.cpu",
        'Invalid value: "-100m": must be greater than or equal to 0',
        id="negative-quantity",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 1, "resources", "requests", "cpu"), "300m"),
        "Pod/shop/web",
        "spec.containers[1].resources.requests",
        'Invalid value: "300m": must be less than or equal to cpu limit of 200m',
        id="request-over-limit",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers"), {"name": "app"}),
        "Pod/shop/web",
        "spec.containers",
        "must be a list, not a mapping",
        id="containers-not-a-list",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers"), []),
        "Pod/shop/web",
        "spec.containers",
        "Required value",
        id="no-containers",
    ),
    pytest.param(
        mutated(pod(), ("spec", "initContainers"), [{"name": "sidecar", "image": "x"}]),
        "Pod/shop/web",
        "spec.initContainers[0].name",
        'Duplicate value: "sidecar"',
        id="duplicate-across-init",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 0, "name"), "App_1"),
        "Pod/shop/web",
        "spec.containers[0].name",
        'Invalid value: "App_1": a lowercase RFC 1123 label must consist of',
        id="container-name-not-dns-label",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 0, "image"), ...),
        "Pod/shop/web",
        "spec.containers[0].image",
        "Required value",
        id="missing-image",
    ),
    pytest.param(
        mutated(pod(), ("spec", "restartPolicy"), "Sometimes"),
        "Pod/shop/web",
        "spec.restartPolicy",
        'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
        id="restart-policy",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 0, "restartPolicy"), "Always"),
        "Pod/shop/web",
        "spec.containers[0].restartPolicy",
        "Forbidden: may not be set for non-init containers",
        id="container-restart-policy",
    ),
    pytest.param(
        mutated(pod(), ("metadata", "name"), ...),
        "Pod",
        "metadata.name",
        "Required value: name or generateName is required",
        id="missing-name",
    ),
    pytest.param(
        mutated(pod(), ("metadata", "name"), "Web"),
        "Pod/shop/Web",
        "metadata.name",
        'Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of',
        id="name-not-subdomain",
    ),
    pytest.param(
        mutated(pod(), ("metadata", "labels"), {"app": "a b"}),
        "Pod/shop/web",
        "metadata.labels",
        'Invalid value: "a b": a valid label must be an empty string or consist of',
        id="label-value",
    ),
    pytest.param(
        mutated(pod(), ("apiVersion",), ...),
        None,
        "apiVersion",
        "Required value",
        id="missing-api-version",
    ),
    pytest.param(
        mutated(pod(), ("kind",), ...),
        None,
        "kind",
        "Required value",
        id="missing-kind",
    ),
    pytest.param(
        mutated(deployment(), ("apiVersion",), "extensions/v1beta1"),
        "Deployment/default/web",
        "apiVersion",
        'Unsupported value: "extensions/v1beta1": supported values: "apps/v1"',
        id="removed-api-version",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "replicas"), -1),
        "Deployment/default/web",
        "spec.replicas",
        "Invalid value: -1: must be greater than or equal to 0",
        id="negative-replicas",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "replicas"), "3"),
        "Deployment/default/web",
        "spec.replicas",
        'must be an integer, not string "3"',
        id="replicas-not-int",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "replicas"), 2.5),
        "Deployment/default/web",
        "spec.replicas",
        "must be an integer, not number 2.5",
        id="replicas-float",
    ),
    pytest.param(
        mutated(
            deployment(),
            ("spec", "template", "spec", "containers", 0, "resources"),
            {"limits": {"memory": "12Qi"}},
        ),
        "Deployment/default/web",
        "spec.template.spec.containers[0].resources.limits.memory",
        'invalid quantity "12Qi"',
        id="template-quantity",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "template", "spec", "restartPolicy"), "Never"),
        "Deployment/default/web",
        "spec.template.spec.restartPolicy",
        'Unsupported value: "Never": supported values: "Always"',
        id="template-restart-policy",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "template", "metadata", "labels"), {"app": "api"}),
        "Deployment/default/web",
        "spec.template.metadata.labels",
        "`selector` does not match template `labels`",
        id="selector-mismatch",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "selector"), ...),
        "Deployment/default/web",
        "spec.selector",
        "Required value",
        id="missing-selector",
    ),
    pytest.param(
        mutated(
            deployment(),
            ("spec", "strategy"),
            {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}},
        ),
        "Deployment/default/web",
        "spec.strategy.rollingUpdate.maxUnavailable",
        'Invalid value: "0%": may not be 0 when `maxSurge` is 0',
        id="rolling-update-zero",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "strategy"), {"rollingUpdate": {"maxSurge": "150"}}),
        "Deployment/default/web",
        "spec.strategy.rollingUpdate.maxSurge",
        "a valid percent string must be a numeric string followed by an ending '%'",
        id="bad-percent",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "strategy"), {"rollingUpdate": {"maxUnavailable": "101%"}}),
        "Deployment/default/web",
        "spec.strategy.rollingUpdate.maxUnavailable",
        'Invalid value: "101%": must not be greater than 100%',
        id="unavailable-over-100-percent",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "strategy"), {"rollingUpdate": {"maxSurge": -1}}),
        "Deployment/default/web",
        "spec.strategy.rollingUpdate.maxSurge",
        "Invalid value: -1: must be greater than or equal to 0",
        id="negative-surge",
    ),
    pytest.param(
        mutated(
            deployment(),
            ("spec", "strategy"),
            {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
        ),
        "Deployment/default/web",
        "spec.strategy.rollingUpdate",
        "Forbidden: may not be specified when strategy `type` is 'Recreate'",
        id="recreate-with-rolling-update",
    ),
    pytest.param(
        mutated(deployment(), ("spec", "minReadySeconds"), 900),
        "Deployment/default/web",
        "spec.progressDeadlineSeconds",
        "Invalid value: 600: must be greater than minReadySeconds",
        id="defaulted-progress-deadline",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1", "namespace": "ignored"},
            "status": {"allocatable": {"cpu": "4", "pods": "1.5"}},
        },
        "Node/n1",
        "status.allocatable.pods",
        'Invalid value: "1.5": must be an integer',
        id="node-integer-resource",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "n1"},
            "spec": {"taints": [{"key": "k", "effect": "Sometimes"}]},
        },
        "Node/n1",
        "spec.taints[0].effect",
        'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule"',
        id="taint-effect",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "shop"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": 0}}},
        },
        "PersistentVolumeClaim/shop/data",
        "spec.resources.requests.storage",
        'Invalid value: "0": must be greater than zero',
        id="pvc-zero-storage",
    ),
    pytest.param(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web"},
            "spec": {"minAvailable": 1, "maxUnavailable": 1},
        },
        "PodDisruptionBudget/default/web",
        "spec",
        "minAvailable and maxUnavailable cannot be both set",
        id="pdb-both",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "1web"},
            "spec": {"ports": [{"port": 80}]},
        },
        "Service/default/1web",
        "metadata.name",
        "a DNS-1035 label must consist of lower case alphanumeric characters",
        id="service-name-dns1035",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80, "name": "a"}, {"port": 70000, "name": "b"}]},
        },
        "Service/default/web",
        "spec.ports[1].port",
        "Invalid value: 70000: must be between 1 and 65535, inclusive",
        id="service-port",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s"},
            "data": {"password": "not base64!"},
        },
        "Secret/default/s",
        "data.password",
        "must be base64-encoded",
        id="secret-base64",
    ),
    pytest.param(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c"},
            "data": {"bad key": "x"},
        },
        "ConfigMap/default/c",
        "data[bad key]",
        "a valid config key must consist of alphanumeric characters",
        id="config-map-key",
    ),
    pytest.param(
        mutated(pod(), ("spec", "containers", 0, "ports"), [{"containerPort": 8080}, {}]),
        "Pod/shop/web",
        "spec.containers[0].ports[1].containerPort",
        "Required value",
        id="container-port-required",
    ),
    pytest.param(
        mutated(
            pod(),
            ("metadata", "ownerReferences"),
            [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": n,
                    "uid": n,
                    "controller": True,
                }
                for n in ("a", "b")
            ],
        ),
        "Pod/shop/web",
        "metadata.ownerReferences",
        'Found "true" in references for ReplicaSet/a and ReplicaSet/b',
        id="two-controllers",
    ),
    pytest.param(
        mutated(pod(), ("metadata", "ownerReferences"), [{"apiVersion": "apps/v1", "kind": "X"}]),
        "Pod/shop/web",
        "metadata.ownerReferences[0].name",
        'Invalid value: "": must not be empty',
        id="owner-reference-name",
    ),
    pytest.param(
        mutated(
            pod(),
            ("spec", "containers", 0, "resources"),
            {"requests": {"example.com/gpu": "1"}},
        ),
        "Pod/shop/web",
        "spec.containers[0].resources.limits",
        "Required value: Limit must be set for non overcommitable resources",
        id="extended-resource-without-limit",
    ),
]


ANTI = ("spec", "template", "spec", "affinity", "podAntiAffinity")
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
ANTI_PATH = f"spec.template.spec.affinity.podAntiAffinity.{REQUIRED}[0]"
TERM = {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}
NODE_AFFINITY = ("spec", "template", "spec", "affinity", "nodeAffinity")
NODE_PATH = f"spec.template.spec.affinity.nodeAffinity.{REQUIRED}"
SPREAD = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}


def with_field(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The Deployment with ``value`` at ``path``, creating the mappings on the way."""
    body = deployment()
    target = body
    for step in path[:-1]:
        target = target[step] if isinstance(target, list) else target.setdefault(step, {})
    target[path[-1]] = value
    return body


# validateAffinity and validateTopologySpreadConstraints, as the API server refuses them.
AFFINITY_AND_SPREAD = [
    pytest.param(
        with_field((*ANTI, REQUIRED), [{"labelSelector": TERM["labelSelector"]}]),
        f"{ANTI_PATH}.topologyKey",
        "Required value: can not be empty",
        id="anti-affinity-without-topology-key",
    ),
    pytest.param(
        with_field((*ANTI, REQUIRED), [None]),
        ANTI_PATH,
        "must be a mapping, not null",
        id="null-anti-affinity-term",
    ),
    pytest.param(
        with_field(
            (*ANTI, "preferredDuringSchedulingIgnoredDuringExecution"),
            [{"weight": 0, "podAffinityTerm": TERM}],
        ),
        "spec.template.spec.affinity.podAntiAffinity"
        ".preferredDuringSchedulingIgnoredDuringExecution[0].weight",
        "Invalid value: 0: must be in the range 1-100",
        id="preferred-term-weight-0",
    ),
    pytest.param(
        with_field((*ANTI, REQUIRED), [{**TERM, "namespaces": ["Shop"]}]),
        f"{ANTI_PATH}.namespace",
        'Invalid value: "Shop"',
        id="affinity-namespace-not-a-label",
    ),
    pytest.param(
        with_field((*NODE_AFFINITY, REQUIRED), {"nodeSelectorTerms": []}),
        f"{NODE_PATH}.nodeSelectorTerms",
        "Required value: must have at least one node selector term",
        id="no-node-selector-term",
    ),
    pytest.param(
        with_field(
            (*NODE_AFFINITY, REQUIRED),
            {"nodeSelectorTerms": [{"matchExpressions": [{"key": "cpu", "operator": "Gt"}]}]},
        ),
        f"{NODE_PATH}.nodeSelectorTerms[0].matchExpressions[0].values",
        "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
        id="gt-without-value",
    ),
    pytest.param(
        with_field(
            (*NODE_AFFINITY, REQUIRED),
            {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.labels", "operator": "In", "values": ["a"]}]}
                ]
            },
        ),
        f"{NODE_PATH}.nodeSelectorTerms[0].matchFields[0].key",
        'Invalid value: "metadata.labels": not a valid field selector key',
        id="match-field-not-name",
    ),
    pytest.param(
        with_field(("spec", "template", "spec", "topologySpreadConstraints"), [None]),
        "spec.template.spec.topologySpreadConstraints[0]",
        "must be a mapping, not null",
        id="null-spread-constraint",
    ),
    pytest.param(
        with_field(
            ("spec", "template", "spec", "topologySpreadConstraints"),
            [{**SPREAD, "maxSkew": 0}],
        ),
        "spec.template.spec.topologySpreadConstraints[0].maxSkew",
        "Invalid value: 0: must be greater than zero",
        id="spread-max-skew-0",
    ),
    pytest.param(
        with_field(
            ("spec", "template", "spec", "topologySpreadConstraints"),
            [{**SPREAD, "whenUnsatisfiable": "DoNotSchedul"}],
        ),
        "spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable",
        'Unsupported value: "DoNotSchedul"',
        id="spread-when-unsatisfiable-typo",
    ),
    pytest.param(
        with_field(("spec", "template", "spec", "topologySpreadConstraints"), [SPREAD, SPREAD]),
        "spec.template.spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}",
        'Duplicate value: "{zone, DoNotSchedule}"',
        id="spread-repeated",
    ),
    pytest.param(
        with_field(
            ("spec", "template", "spec", "topologySpreadConstraints"),
            [{**SPREAD, "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2}],
        ),
        "spec.template.spec.topologySpreadConstraints[0].minDomains",
        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
        id="min-domains-with-schedule-anyway",
    ),
]


CONTAINER = ("spec", "template", "spec", "containers", 0)
CONTAINER_PATH = "spec.template.spec.containers[0]"

# ValidateVolumes, validateEnv, validateEnvFrom and ValidateVolumeMounts: what the kubelet
# model reads (config references, mounts) is refused as the API server refuses it.
VOLUMES_AND_ENV = [
    pytest.param(
        with_field((*CONTAINER, "env"), [None]),
        f"{CONTAINER_PATH}.env[0]",
        "must be a mapping, not null",
        id="null-env",
    ),
    pytest.param(
        with_field((*CONTAINER, "env"), [{"value": "x"}]),
        f"{CONTAINER_PATH}.env[0].name",
        "Required value",
        id="env-without-name",
    ),
    pytest.param(
        with_field((*CONTAINER, "envFrom"), [{"prefix": "A_"}]),
        f"{CONTAINER_PATH}.envFrom[0]",
        "must specify one of: `configMapRef` or `secretRef`",
        id="env-from-without-source",
    ),
    pytest.param(
        with_field((*CONTAINER, "volumeMounts"), [None]),
        f"{CONTAINER_PATH}.volumeMounts[0]",
        "must be a mapping, not null",
        id="null-volume-mount",
    ),
    pytest.param(
        with_field((*CONTAINER, "volumeMounts"), [{"name": "dta", "mountPath": "/data"}]),
        f"{CONTAINER_PATH}.volumeMounts[0].name",
        'Not found: "dta"',
        id="mount-of-no-volume",
    ),
    pytest.param(
        with_field(("spec", "template", "spec", "volumes"), [{"emptyDir": {}}]),
        "spec.template.spec.volumes[0].name",
        "Required value",
        id="volume-without-name",
    ),
    pytest.param(
        with_field(("spec", "template", "spec", "volumes"), [{"name": "data"}]),
        "spec.template.spec.volumes[0]",
        "Required value: must specify a volume type",
        id="volume-without-source",
    ),
]


@pytest.mark.parametrize(("body", "path", "message"), VOLUMES_AND_ENV)
def test_volumes_env_and_mounts_are_validated_as_upstream(
    body: dict[str, Any], path: str, message: str
) -> None:
    error = load_error(dump(body))
    assert error.path == path
    assert message in error.message


def test_a_stateful_set_mounts_its_claims_and_a_pod_its_volumes() -> None:
    sts = deployment()
    sts["kind"] = "StatefulSet"
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    ]
    container = sts["spec"]["template"]["spec"]["containers"][0]
    container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    container["envFrom"] = [{"configMapRef": {"name": "settings"}}]
    with_volume = pod(volumes=[{"name": "scratch", "emptyDir": {}}])
    with_volume["spec"]["containers"][0]["volumeMounts"] = [{"name": "scratch", "mountPath": "/s"}]
    assert [o.kind for o in load_text(dump(sts, with_volume))] == ["StatefulSet", "Pod"]


@pytest.mark.parametrize(("body", "path", "message"), AFFINITY_AND_SPREAD)
def test_affinity_and_spread_are_validated_as_upstream(
    body: dict[str, Any], path: str, message: str
) -> None:
    error = load_error(dump(body))
    assert error.path == path
    assert message in error.message


def test_valid_affinity_and_spread_load() -> None:
    # A null node selector term is an empty one (Go's zero value): valid, it matches nothing.
    body = with_field(
        (*NODE_AFFINITY, REQUIRED),
        {
            "nodeSelectorTerms": [
                None,
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]},
            ]
        },
    )
    body["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"] = {
        REQUIRED: [TERM],
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": TERM}
        ],
    }
    body["spec"]["template"]["spec"]["topologySpreadConstraints"] = [
        {**SPREAD, "minDomains": 3, "nodeTaintsPolicy": "Honor"},
        {**SPREAD, "whenUnsatisfiable": "ScheduleAnyway"},
    ]
    (loaded,) = load_text(dump(body))
    assert loaded.kind == "Deployment"


@pytest.mark.parametrize(("body", "obj", "path", "message"), BAD_OBJECTS)
def test_bad_objects_name_file_document_object_and_path(
    body: dict[str, Any], obj: str | None, path: str, message: str
) -> None:
    good = deployment()
    error = load_error(dump(good, body), file="manifests/app.yaml")
    assert error.file == "manifests/app.yaml"
    assert error.document == 1
    assert error.obj == obj
    assert error.path == path
    assert message in error.message
    prefix = "manifests/app.yaml: document 1: " + (f"{obj}: " if obj else "")
    assert str(error).startswith(f"{prefix}{path}: ")


def test_style_of_the_full_message() -> None:
    body = mutated(pod(), ("spec", "containers", 1, "resources", "requests", "cpu"), "1.2.3")
    error = load_error(dump(body), file="pod.yaml")
    assert str(error).startswith(
        "pod.yaml: document 0: Pod/shop/web: "
        'spec.containers[1].resources.requests.cpu: invalid quantity "1.2.3": '
    )


@pytest.mark.parametrize(
    ("text", "document", "message"),
    [
        pytest.param(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: [a\n",
            0,
            "invalid YAML at line 4",
            id="flow",
        ),
        pytest.param(
            dump(pod()) + "---\nkind: Pod\n  bad: indent\n", 1, "invalid YAML at line", id="indent"
        ),
        pytest.param("a: 1\na: 2\n", 0, 'mapping key "a" already defined at line 1', id="dup-key"),
        pytest.param("- 1\n- 2\n", 0, "must be a mapping", id="top-level-list"),
        pytest.param("just a string\n", 0, "must be a mapping", id="top-level-scalar"),
        pytest.param("a: *nowhere\n", 0, "found undefined alias", id="undefined-alias"),
        pytest.param("a: &x [*x]\n", 0, "anchor value contains itself", id="recursive-alias"),
        pytest.param(
            "a: !!binary aGVsbG8=\n", 0, "unsupported YAML value of type bytes", id="binary"
        ),
        pytest.param("a: !!python/object:os.system {}\n", 0, "invalid YAML", id="unsafe-tag"),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems: {a: 1}\n", 0, "items: must be a list", id="items"
        ),
        pytest.param(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n",
            0,
            "items[0]: a List inside a List is not supported",
            id="nested-list",
        ),
        pytest.param("apiVersion: 1\nkind: Pod\n", 0, "apiVersion: must be a string", id="int-api"),
        pytest.param("\x00", 0, "invalid YAML", id="nul"),
    ],
)
def test_bad_yaml_names_file_and_document(text: str, document: int, message: str) -> None:
    error = load_error(text, file="broken.yaml")
    assert error.file == "broken.yaml"
    assert error.document == document
    assert message in str(error)


def test_yaml_error_reports_line_and_column() -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n"
    error = load_error(text)
    assert error.message.startswith("invalid YAML at line 5, column 1: ")
    assert "flow sequence at line 4, column 9" in error.message


def test_error_reports_nothing_half_loaded() -> None:
    bad = mutated(pod(), ("spec", "restartPolicy"), "Sometimes")
    with pytest.raises(InputError):
        load_text(dump(pod(), deployment(), bad))


def test_missing_path_and_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory") as info:
        load_manifests(tmp_path / "nope.yaml")
    assert info.value.file == str(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="paths must be"):
        load_manifests(42)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="a path must be a string"):
        load_manifests([None])  # type: ignore[list-item]
    with pytest.raises(InputError, match="manifest text must be a string"):
        load_text(b"apiVersion: v1")  # type: ignore[arg-type]


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("metadata: {name: caf\xe9}\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        load_manifests(path)
    assert info.value.file == str(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_read_as_kubectl_reads_it(
    tmp_path: Path, encoding: str
) -> None:
    # `kubectl get pod web -o yaml > web.yaml` in Windows PowerShell writes UTF-16 with a BOM.
    path = tmp_path / "web.yaml"
    text = dump(pod())
    data = text.encode(encoding)
    if encoding != "utf-16":  # the codec without an order in its name writes the mark itself
        data = "\ufeff".encode(encoding) + data
    path.write_bytes(data)
    (loaded,) = load_manifests(path)
    assert loaded.label == "Pod/shop/web"
    # Without the mark the bytes are not UTF-16 to anyone (kubectl assumes UTF-8).
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(InputError):
        load_manifests(path)


# ---------------------------------------------------------------- limits and hostile input


def test_fifty_megabyte_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    line = b"- key: value-that-would-take-minutes-to-parse\n"
    with path.open("wb") as handle:
        handle.write(b"items:\n")
        handle.write(line * (50 * 1024 * 1024 // len(line) + 1))
    assert path.stat().st_size > 50 * 1024 * 1024
    with pytest.raises(InputError) as info:
        load_manifests(path)
    assert info.value.file == str(path)
    assert f"over the {MAX_FILE_BYTES}-byte limit" in info.value.message


def test_oversized_text_is_refused() -> None:
    error = load_error("#" * (MAX_FILE_BYTES + 1))
    assert "byte limit" in error.message


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused() -> None:
    error = load_error("apiVersion: v1\nkind: ConfigMap\n" + BILLION_LAUGHS)
    assert error.document == 0
    assert "document contains excessive aliasing" in error.message


def test_modest_aliasing_is_accepted() -> None:
    # Three levels expand to 9**3 nodes: well within the Go library's ratio.
    text = "apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n" + "\n".join(
        BILLION_LAUGHS.splitlines()[:3]
    )
    warnings: list[str] = []
    assert load_text(text, on_warning=warnings.append) == []
    assert len(warnings) == 1


def test_deep_nesting_is_refused() -> None:
    depth = MAX_NESTING_DEPTH + 50
    error = load_error("a: " + "[" * depth + "]" * depth + "\n")
    assert f"exceeded max depth of {MAX_NESTING_DEPTH}" in error.message


def test_very_deep_nesting_is_refused_without_recursion_error() -> None:
    # libyaml has its own limit (1000 flow levels); either limit gives a clean error.
    error = load_error("[" * 100_000)
    assert re.search("max(imum)? (nesting )?depth", error.message)


def test_pure_python_parser_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (MANIFESTS / "all-kinds.yaml").read_text()
    expected = [(obj.label, obj.source, obj.body) for obj in load_text(text)]
    monkeypatch.setattr(manifests, "_Loader", manifests._PurePythonLoader)
    assert [(obj.label, obj.source, obj.body) for obj in load_text(text)] == expected
    assert "excessive aliasing" in load_error("x: 1\n" + BILLION_LAUGHS).message
    assert "max depth" in load_error("[" * 5000).message


def test_a_dangling_symlink_in_a_folder_is_an_error_not_a_silent_skip(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(dump(pod()))
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = manifests.load_inputs(tmp_path)
    assert [o.label for o in result.objects] == ["Pod/shop/web"]
    (error,) = result.errors
    assert error.file == str(tmp_path / "gone.yaml")
    assert "cannot read" in error.message
