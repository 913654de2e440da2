"""The registries: components, faults and user actions, each declared once and read from there."""

from __future__ import annotations

import dataclasses

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.components import COMPONENTS
from kmodel.cluster.components.kubelet import KubeletRestart
from kmodel.cluster.faults import (
    FAULT_KINDS,
    FAULTS,
    ControllerRestart,
    KubeletWatchDelay,
    KubeletWatchDeliver,
    KubeletWatchDrop,
    WatchDelay,
    WatchDrop,
)
from kmodel.cluster.model import ClusterConfig
from kmodel.cluster.registry import Component, ComponentTable
from kmodel.cluster.user_actions import USER_ACTIONS, SetDaemonSetImage
from kmodel.errors import InputError
from kmodel.explore import Scenario, UserAction
from kmodel.explore.run import Run
from kmodel.explore.spec import load_spec
from kmodel.explore.spec_format import CheckSpecFormat
from tests.helpers.cluster import daemonset, node

#: Every component that reads the API through a shared informer (upstream: every controller, the
#: scheduler and kube-proxy); each kubelet has its own informer over its node's pods (its own
#: faults), the node lifecycle controllers read the store.
INFORMER_READERS = {
    "scheduler",
    "volume",
    "deployment",
    "replicaset",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "endpoints",
    "proxy",
    "disruption",
    "hpa",
}


def test_watch_faults_and_restarts_reach_every_informer_reader_and_only_those() -> None:
    run = Run(
        Scenario(
            objects=[node("n1"), daemonset()],
            faults={"watch_delay": 1, "watch_drop": 1, "controller_restart": 1},
        )
    )
    faults = run.fault_choices()
    for fault in (WatchDelay, WatchDrop, ControllerRestart):
        targets = {a.component for a in faults if isinstance(a, fault)}
        assert targets == INFORMER_READERS, fault.name
    assert set(run.cluster.informers) == INFORMER_READERS | {"kubelet/n1"}


def test_the_kubelet_faults_reach_each_kubelet_that_reaches_the_api() -> None:
    run = Run(
        Scenario(
            objects=[node("n1"), node("n2"), daemonset()],
            faults={"kubelet_watch_delay": 1, "kubelet_watch_drop": 1, "kubelet_restart": 1},
        )
    )
    run.cluster.machines["n2"].partitioned = True
    faults = run.fault_choices()
    for fault in (KubeletWatchDelay, KubeletWatchDrop, KubeletRestart):
        assert {a.node for a in faults if isinstance(a, fault)} == {"n1"}, fault.name
    run.do(KubeletWatchDelay("n1"))
    assert KubeletWatchDelay("n1") not in run.fault_choices()
    assert KubeletWatchDeliver("n1") in run.fault_choices()


def test_a_new_informer_component_gets_the_watch_faults_from_its_declaration() -> None:
    extra = Component("example", lambda cluster: [], informer=True, summary="an example")
    table = ComponentTable((*COMPONENTS, extra))
    run = Run(Scenario(objects=[node("n1")], faults={"watch_drop": 1}, config=_with(table)))
    assert WatchDrop("example") in run.fault_choices()
    assert "example" in run.cluster.informers


def test_a_table_refuses_two_components_of_one_name_and_replacing_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="unique"):
        ComponentTable((*COMPONENTS, COMPONENTS["scheduler"]))
    with pytest.raises(KeyError):
        COMPONENTS.replacing(dataclasses.replace(COMPONENTS["scheduler"], name="nope"))


def test_a_replaced_component_is_what_the_cluster_runs() -> None:
    idle = dataclasses.replace(COMPONENTS["daemonset"], steps=lambda cluster: [])
    cluster = build_cluster([node("n1"), daemonset()], config=_with(COMPONENTS.replacing(idle)))
    cluster.settle()
    assert list(cluster.store.list_objects("Pod")) == []
    faithful = build_cluster([node("n1"), daemonset()])
    faithful.settle()
    assert len(list(faithful.store.list_objects("Pod"))) == 1


def test_the_spec_format_offers_exactly_the_declared_faults_and_actions() -> None:
    schema = CheckSpecFormat.model_json_schema()
    assert schema["properties"]["faults"]["propertyNames"]["enum"] == list(FAULT_KINDS)
    assert tuple(f.kind for f in FAULTS) == FAULT_KINDS
    action = schema["$defs"]["Action"]
    assert list(action["properties"]) == [k.kind for k in USER_ACTIONS]


def test_a_user_action_entry_becomes_its_declared_actions() -> None:
    rollout = UserAction("rollout", {"daemonset": "agent", "container": "a", "images": ["x"]})
    assert rollout.actions() == [SetDaemonSetImage("default", "agent", "a", "x")]
    assert UserAction("no-such-kind", {}).actions() == []


def _with(table: ComponentTable) -> ClusterConfig:
    return ClusterConfig(components=table)


def test_each_kind_resolves_its_entry_against_the_spec(tmp_path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        """
cluster:
  nodes: [{pool: n, count: 2}]
workloads:
  - {apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent},
     spec: {selector: {matchLabels: {app: a}}, template: {metadata: {labels: {app: a}},
     spec: {containers: [{name: c, image: agent:1}]}}}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {mode: a}}
  - {apiVersion: v1, kind: Service, metadata: {name: front},
     spec: {selector: {app: a}, ports: [{port: 80}]}}
actions:
  - drain: {nodes: any}
  - rollout: {daemonset: agent, images: [agent:2]}
  - configmap: {name: settings, key: mode, values: [1]}
  - requests: {service: front, times: any}
invariants: [no_overcommit]
""",
        encoding="utf-8",
    )
    resolved = {u.kind: dict(u.params) for u in load_spec(spec).scenario.user_actions}
    assert resolved["drain"] == {"nodes": ["n-1", "n-2"]}
    assert resolved["rollout"] == {
        "daemonset": "default/agent",
        "images": ["agent:2"],
        "container": "c",
    }
    assert resolved["configmap"] == {"name": "default/settings", "key": "mode", "values": ["1"]}
    assert resolved["requests"] == {"service": "default/front"}
    assert all(k.resolve is not None for k in USER_ACTIONS if k.kind in resolved)
    # A ConfigMap the workloads lack is named: its update could never apply.
    spec.write_text(
        spec.read_text(encoding="utf-8").replace("{name: settings, key", "{name: setings, key"),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="no ConfigMap 'setings' among the workloads") as error:
        load_spec(spec)
    assert error.value.path == "actions[2].configmap.name"
