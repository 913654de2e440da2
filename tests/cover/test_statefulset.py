"""The StatefulSet controller: decisions (upstream's test cases) and the cluster model.

Decision tests follow ``pkg/controller/statefulset/stateful_set_utils_test.go`` and
``stateful_set_control_test.go`` (identity and storage, revisions of new pods, ordered
creation and scale-down, Parallel bursts, partitioned rolling updates, maxUnavailable,
completeRollingUpdate); the cluster tests run the controller against the model.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import KubeletHeal, KubeletPartition
from kmodel.cluster.model import Cluster
from kmodel.cluster.user_actions import ScaleStatefulSet, SetStatefulSetImage
from kmodel.errors import InputError
from kmodel.objects.defaults import set_defaults_stateful_set
from kmodel.objects.validate import validate_object
from kmodel.semantics import statefulset as sem
from tests.helpers.statefulset import VOLUMES, db, volume
from tests.helpers.zones import NODES, node

# ----------------------------------------------------------------------------- fixtures


def stateful_set(replicas: int = 3, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "foo", "namespace": "default", "uid": "set-uid", "generation": 1},
        "spec": {
            "serviceName": "governingsvc",
            "replicas": replicas,
            "selector": {"matchLabels": {"foo": "bar"}},
            "template": {
                "metadata": {"labels": {"foo": "bar"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1"}]},
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "datadir"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    },
                }
            ],
            **spec,
        },
    }
    return set_defaults_stateful_set(body)


def running(pod: dict[str, Any], uid: str, *, ready: bool = True, since: int = 0) -> dict:
    pod = copy.deepcopy(pod)
    pod["metadata"]["uid"] = uid
    pod["status"] = {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": since}
        ],
    }
    return pod


def plan(sts, pods, *, current="rev-1", update="rev-1", claims=None, now=100, update_set=None):
    return sem.update_stateful_set(
        sts,
        current_set=sts,
        update_set=update_set or sts,
        current_revision=current,
        update_revision=update,
        collision_count=0,
        pods=pods,
        claims=claims or {},
        now=now,
    )


def members(sts, revision="rev-1", count=None, **kwargs):
    n = sts["spec"]["replicas"] if count is None else count
    return [
        running(
            sem.new_versioned_stateful_set_pod(sts, sts, revision, revision, i), f"u{i}", **kwargs
        )
        for i in range(n)
    ]


# ----------------------------------------------------------------------------- utils


def test_ordinal_and_names_as_upstream():
    sts = stateful_set()
    pod = sem.new_stateful_set_pod(sts, 1)
    assert pod["metadata"]["name"] == "foo-1"
    assert sem.get_ordinal(pod) == 1
    assert sem.get_parent_name_and_ordinal({"metadata": {"name": "a-b-12"}}) == ("a-b", 12)
    assert sem.get_ordinal({"metadata": {"name": "foo"}}) == -1
    assert sem.get_ordinal({"metadata": {"name": "foo-99999999999"}}) == -1  # not an int32
    assert sem.is_member_of(sts, pod)
    assert not sem.is_member_of(sts, {"metadata": {"name": "foo2-1"}})


def test_identity_and_storage_match_and_break_as_upstream():
    # TestIdentityMatches / TestStorageMatches
    sts = stateful_set()
    pod = sem.new_stateful_set_pod(sts, 1)
    assert sem.identity_matches(sts, pod)
    assert sem.storage_matches(sts, pod)
    assert pod["spec"]["hostname"] == "foo-1"
    assert pod["spec"]["subdomain"] == "governingsvc"
    assert pod["metadata"]["labels"][sem.POD_NAME_LABEL] == "foo-1"
    assert pod["metadata"]["labels"][sem.POD_INDEX_LABEL] == "1"
    renamed = copy.deepcopy(pod)
    renamed["metadata"]["name"] = "foo-2"
    assert not sem.identity_matches(sts, renamed)
    other_ns = copy.deepcopy(pod)
    other_ns["metadata"]["namespace"] = "other"
    assert not sem.identity_matches(sts, other_ns)
    wrong_claim = copy.deepcopy(pod)
    wrong_claim["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] = "datadir-foo-2"
    assert not sem.storage_matches(sts, wrong_claim)
    no_volume = copy.deepcopy(pod)
    no_volume["spec"]["volumes"] = []
    assert not sem.storage_matches(sts, no_volume)


def test_claims_are_named_per_template_set_and_ordinal():
    sts = stateful_set()
    claims = sem.get_persistent_volume_claims(sts, 2)
    assert list(claims) == ["datadir"]
    claim = claims["datadir"]
    assert claim["metadata"]["name"] == "datadir-foo-2"
    assert claim["metadata"]["labels"] == {"foo": "bar"}
    pod = sem.new_stateful_set_pod(sts, 2)
    assert pod["spec"]["volumes"] == [
        {"name": "datadir", "persistentVolumeClaim": {"claimName": "datadir-foo-2"}}
    ]


def test_new_pods_below_the_partition_get_the_current_revision():
    # TestNewVersionedStatefulSetPod-like: partition 2 keeps ordinals 0 and 1 current.
    sts = stateful_set(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}})
    revisions = [
        sem.get_pod_revision(sem.new_versioned_stateful_set_pod(sts, sts, "old", "new", i))
        for i in range(3)
    ]
    assert revisions == ["old", "old", "new"]
    on_delete = stateful_set(updateStrategy={"type": "OnDelete"})
    pod = sem.new_versioned_stateful_set_pod(on_delete, on_delete, "old", "new", 0)
    assert sem.get_pod_revision(pod) == "new"


def test_defaults_as_set_defaults_stateful_set():
    sts = set_defaults_stateful_set({"metadata": {"name": "x"}, "spec": {}})
    assert sts["spec"]["podManagementPolicy"] == "OrderedReady"
    assert sts["spec"]["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
    }
    assert sts["spec"]["replicas"] == 1
    assert sts["spec"]["revisionHistoryLimit"] == 10
    assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }


@pytest.mark.parametrize(
    ("value", "replicas", "expected"),
    [(None, 5, 1), (2, 5, 2), ("50%", 5, 2), ("10%", 5, 1), ("100%", 3, 3)],
)
def test_max_unavailable_rounds_down_and_is_at_least_one(value, replicas, expected):
    # TestGetStatefulSetMaxUnavailable
    assert sem.max_unavailable(value, replicas) == expected


# ----------------------------------------------------------------------------- updateStatefulSet


def verbs(p):
    return [
        (o.verb, o.name or (o.body or {}).get("metadata", {}).get("name")) for o in p.operations
    ]


def test_ordered_ready_creates_one_pod_at_a_time_with_its_claim():
    sts = stateful_set()
    first = plan(sts, [])
    assert verbs(first) == [("create-claim", "datadir-foo-0"), ("create-pod", "foo-0")]
    not_ready = [members(sts, count=1, ready=False)[0]]
    assert verbs(plan(sts, not_ready)) == []  # waits for foo-0 to be Running and Ready
    ready = members(sts, count=1)
    assert verbs(
        plan(sts, ready, claims={"datadir-foo-0": {"metadata": {"name": "datadir-foo-0"}}})
    ) == [
        ("create-claim", "datadir-foo-1"),
        ("create-pod", "foo-1"),
    ]


def test_parallel_creates_every_missing_pod_at_once():
    sts = stateful_set(podManagementPolicy="Parallel")
    assert [v for v in verbs(plan(sts, [])) if v[0] == "create-pod"] == [
        ("create-pod", "foo-0"),
        ("create-pod", "foo-1"),
        ("create-pod", "foo-2"),
    ]


def test_min_ready_seconds_holds_the_next_pod_back():
    sts = stateful_set(minReadySeconds=30)
    pods = members(sts, count=1, since=90)
    assert verbs(plan(sts, pods, now=100)) == []  # ready 10 s: not available yet
    assert ("create-pod", "foo-1") in verbs(plan(sts, pods, now=121))


def test_failed_pod_is_deleted_and_replaced_only_once_gone():
    sts = stateful_set()
    pods = members(sts)
    pods[1]["status"]["phase"] = "Failed"
    assert verbs(plan(sts, pods)) == [("delete-pod", "foo-1")]
    pods[1]["metadata"]["deletionTimestamp"] = 50
    assert verbs(plan(sts, pods)) == []  # terminating: no replacement under the same name yet
    assert ("create-pod", "foo-1") in verbs(plan(sts, [pods[0], pods[2]]))


def test_terminating_pod_blocks_ordered_ready_but_not_parallel():
    for policy, blocked in (("OrderedReady", True), ("Parallel", False)):
        sts = stateful_set(podManagementPolicy=policy)
        pods = members(sts)
        pods[0]["metadata"]["deletionTimestamp"] = 50
        del pods[2]
        created = ("create-pod", "foo-2") in verbs(plan(sts, pods))
        assert created is not blocked


def test_scale_down_terminates_the_highest_ordinal_first_one_at_a_time():
    sts = stateful_set(replicas=1)
    pods = members(stateful_set(), count=3)
    assert verbs(plan(sts, pods)) == [("delete-pod", "foo-2")]
    pods[2]["metadata"]["deletionTimestamp"] = 50
    assert verbs(plan(sts, pods)) == []  # waits for foo-2 to be gone
    assert verbs(plan(sts, pods[:2])) == [("delete-pod", "foo-1")]


def test_rolling_update_respects_the_partition_and_goes_from_the_highest_ordinal():
    sts = stateful_set(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    pods = members(sts, "old")
    first = plan(sts, pods, current="old", update="new")
    assert verbs(first) == [("delete-pod", "foo-2")]
    assert first.status["currentReplicas"] == 2
    pods[2] = running(sem.new_versioned_stateful_set_pod(sts, sts, "old", "new", 2), "u2b")
    assert verbs(plan(sts, pods, current="old", update="new")) == [("delete-pod", "foo-1")]
    pods[1] = running(sem.new_versioned_stateful_set_pod(sts, sts, "old", "new", 1), "u1b")
    done = plan(sts, pods, current="old", update="new")
    assert verbs(done) == []  # foo-0 is below the partition
    assert done.status["currentRevision"] == "old"  # not complete: foo-0 is not updated
    assert done.status["updatedReplicas"] == 2


def test_max_unavailable_deletes_several_outdated_pods():
    # Parallel: an unready pod would stop an OrderedReady sync before the update step.
    sts = stateful_set(
        replicas=4,
        podManagementPolicy="Parallel",
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}},
    )
    pods = members(sts, "old")
    assert verbs(plan(sts, pods, current="old", update="new")) == [
        ("delete-pod", "foo-3"),
        ("delete-pod", "foo-2"),
    ]
    pods[3]["status"]["conditions"][0]["status"] = "False"
    # One unavailable already (foo-3 is outdated but not ready): one more may go.
    assert verbs(plan(sts, pods, current="old", update="new")) == [("delete-pod", "foo-3")]


def test_on_delete_never_deletes_for_an_update():
    sts = stateful_set(updateStrategy={"type": "OnDelete"})
    assert verbs(plan(sts, members(sts, "old"), current="old", update="new")) == []


def test_complete_rolling_update_makes_the_update_revision_current():
    sts = stateful_set()
    result = plan(sts, members(sts, "new"), current="old", update="new")
    assert result.status["currentRevision"] == "new"
    assert result.status["currentReplicas"] == 3
    assert result.status["replicas"] == result.status["readyReplicas"] == 3


def test_retention_policy_owner_references():
    sts = stateful_set(
        replicas=1,
        persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Delete"},
    )
    pod = members(stateful_set(), count=2)[1]  # foo-1 is condemned at replicas 1
    claim = {"metadata": {"name": "datadir-foo-1", "ownerReferences": []}}
    owners = sem.claim_owner_refs(sts, pod, claim)
    assert owners is not None
    assert [(o["kind"], o["uid"]) for o in owners] == [("Pod", "u1")]
    kept = members(stateful_set(), count=1)[0]  # in range: the set owns the claim
    owners = sem.claim_owner_refs(sts, kept, {"metadata": {"name": "datadir-foo-0"}})
    assert owners is not None
    assert [(o["kind"], o["uid"]) for o in owners] == [("StatefulSet", "set-uid")]
    retain = stateful_set()
    assert sem.claim_owner_refs(retain, kept, {"metadata": {"name": "datadir-foo-0"}}) is None


def test_a_claim_still_owned_by_an_old_pod_blocks_its_replacement():
    sts = stateful_set(replicas=1, persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"})
    stale = {
        "metadata": {
            "name": "datadir-foo-0",
            "ownerReferences": [{"kind": "Pod", "name": "foo-0", "uid": "gone"}],
        }
    }
    assert verbs(plan(sts, [], claims={"datadir-foo-0": stale})) == []


def test_revisions_reuse_roll_back_and_create():
    r1 = {"metadata": {"name": "foo-a"}, "data": {"t": 1}, "revision": 1}
    r2 = {"metadata": {"name": "foo-b"}, "data": {"t": 2}, "revision": 2}
    assert sem.select_revisions([r1, r2], "foo-b", {"t": 2}, "foo-a") == sem.RevisionChoice(
        "reuse", "foo-b", "foo-a", 3
    )
    assert sem.select_revisions([r1, r2], "foo-a", {"t": 1}, "foo-b").action == "bump"
    created = sem.select_revisions([r1, r2], "foo-c", {"t": 3}, "missing")
    assert (created.action, created.update, created.current) == ("create", "foo-c", "foo-c")
    assert sem.truncate_history([r1, r2], [], "foo-b", "foo-b", 0) == ["foo-a"]
    assert sem.truncate_history([r1, r2], [], "foo-b", "foo-b", 1) == []


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"podManagementPolicy": "Burst"}, "spec.podManagementPolicy", "must be 'OrderedReady'"),
        (
            {"updateStrategy": {"type": "OnDelete", "rollingUpdate": {}}},
            "spec.updateStrategy.rollingUpdate",
            "only allowed for updateStrategy 'RollingUpdate'",
        ),
        (
            {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}},
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
            "cannot be 0",
        ),
        (
            {"updateStrategy": {"rollingUpdate": {"partition": -1}}},
            "spec.updateStrategy.rollingUpdate.partition",
            "must be greater than or equal to 0",
        ),
        (
            {"persistentVolumeClaimRetentionPolicy": {"whenScaled": "Keep"}},
            "spec.persistentVolumeClaimRetentionPolicy.whenScaled",
            'Unsupported value: "Keep"',
        ),
        ({"selector": {}}, "spec.selector", "empty selector is invalid for statefulset"),
        (
            {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"accessModes": []}}]},
            "spec.volumeClaimTemplates[0].spec.accessModes",
            "Required value",
        ),
    ],
)
def test_validation_as_the_api_server(change, path, message):
    body = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "foo"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
            **change,
        },
    }
    with pytest.raises(InputError) as caught:
        validate_object("StatefulSet", body)
    assert caught.value.path == path
    assert message in caught.value.message


# ----------------------------------------------------------------------------- cluster model


def settled(objects) -> Cluster:
    cluster = build_cluster(copy.deepcopy(objects))
    cluster.settle()
    return cluster


def pod(cluster: Cluster, name: str):
    return cluster.store.get(("Pod", "default", name))


def test_cluster_runs_a_stateful_set_with_zonal_claims():
    cluster = settled([*NODES, *VOLUMES, db(2)])
    status = cluster.store.get(("StatefulSet", "default", "db"))["status"]
    assert status["readyReplicas"] == 2
    assert status["currentRevision"] == status["updateRevision"]
    for ordinal in (0, 1):
        claim = cluster.store.get(("PersistentVolumeClaim", "default", f"data-db-{ordinal}"))
        pv = cluster.store.get(("PersistentVolume", "", claim["spec"]["volumeName"]))
        zone = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][
            0
        ]["values"][0]
        node_name = pod(cluster, f"db-{ordinal}")["spec"]["nodeName"]
        node_zone = cluster.store.get(("Node", "", node_name))["metadata"]["labels"][
            "topology.kubernetes.io/zone"
        ]
        assert node_zone == zone  # the pod follows its volume


def test_partitioned_pod_is_replaced_only_after_it_is_gone():
    cluster = settled([*NODES, *VOLUMES, db(2)])
    old = pod(cluster, "db-0")
    cluster.step(KubeletPartition(old["spec"]["nodeName"]))
    for _ in range(40):  # well past the grace period and the 300 s eviction
        cluster.step(Tick(10))
        cluster.settle(advance=False)
    evicted = pod(cluster, "db-0")
    assert evicted["metadata"]["uid"] == old["metadata"]["uid"]
    assert evicted["metadata"].get("deletionTimestamp") is not None  # stuck Terminating
    cluster.step(KubeletHeal(old["spec"]["nodeName"]))
    cluster.settle()
    replacement = pod(cluster, "db-0")
    assert replacement["metadata"]["uid"] != old["metadata"]["uid"]
    assert replacement["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "data-db-0"
    assert replacement["spec"]["nodeName"] == old["spec"]["nodeName"]  # the volume's zone


def test_rollout_with_partition_updates_only_ordinals_at_or_above_it():
    sts = db(3, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}})
    cluster = settled([*NODES, *VOLUMES, sts])
    cluster.step(SetStatefulSetImage("default", "db", "db", "db:2"))
    cluster.settle()
    images = [pod(cluster, f"db-{i}")["spec"]["containers"][0]["image"] for i in range(3)]
    assert images == ["db:1", "db:2", "db:2"]
    status = cluster.store.get(("StatefulSet", "default", "db"))["status"]
    assert status["currentRevision"] != status["updateRevision"]
    assert status["updatedReplicas"] == 2
    assert status["currentReplicas"] == 1


def test_scale_down_with_when_scaled_delete_removes_the_claim():
    sts = db(3, persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"})
    cluster = settled([*NODES, *VOLUMES, sts])
    cluster.step(ScaleStatefulSet("default", "db", 2))
    cluster.settle()
    assert pod(cluster, "db-2") is None
    assert cluster.store.get(("PersistentVolumeClaim", "default", "data-db-2")) is None
    assert cluster.store.get(("PersistentVolumeClaim", "default", "data-db-1")) is not None


def _one_stateful_set_spec(folder, actions: str):
    """A spec of one StatefulSet ``z`` (container ``c``) on one node, offering ``actions``."""
    from kmodel.explore.spec import load_spec  # noqa: PLC0415

    spec = folder / "s.yaml"
    spec.write_text(
        "cluster: {nodes: [{pool: n, count: 1, cpu: '4', memory: 8Gi}]}\n"
        "workloads:\n"
        "  - {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: z},"
        " spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}},"
        " spec: {containers: [{name: c, image: i}]}}}}\n"
        f"actions: {actions}\n"
        "invariants: [statefulset_identity]\n"
    )
    return load_spec(spec)


def test_check_refuses_nothing_and_runs_a_stateful_set_spec(tmp_path):
    loaded = _one_stateful_set_spec(tmp_path, "[{scale: {statefulset: z, replicas: [2]}}]")
    assert loaded.left_out == ()
    assert [a.describe() for u in loaded.scenario.user_actions for a in u.actions()] == [
        "user scales statefulset default/z to 2"
    ]


def test_a_rollout_entry_with_a_null_workload_key_rolls_out_the_named_one(tmp_path):
    loaded = _one_stateful_set_spec(
        tmp_path, "[{rollout: {statefulset: z, daemonset: null, images: [j]}}]"
    )
    (rollout,) = loaded.scenario.user_actions
    assert rollout.actions() == [SetStatefulSetImage("default", "z", "c", "j")]


# ----------------------------------------------------------------------------- pack


def test_pack_places_members_where_their_claims_volumes_are(tmp_path, capsys):
    import json  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    from kmodel.cli.main import main  # noqa: PLC0415

    pv = volume("pv-b", "b")
    pv["spec"]["claimRef"] = {"namespace": "default", "name": "data-db-0"}
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-db-0", "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "ssd",
            "volumeName": "pv-b",
            "resources": {"requests": {"storage": "5Gi"}},
        },
        "status": {"phase": "Bound"},
    }
    files = tmp_path / "all.yaml"
    files.write_text(
        yaml.safe_dump_all([node("n1", "a"), node("n2", "b"), pv, claim, db(2)]), encoding="utf-8"
    )
    with pytest.raises(SystemExit) as done:
        main(["pack", str(files), "-o", "json"])
    assert done.value.code == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["placement"]["db-0"] == "n2"  # zone b, where its volume is
    assert sorted(result["placement"]) == ["db-0", "db-1"]
    assert result["not_modelled"] == []
    assert "claims data-db-1 are not in the input" in captured.err


def test_a_misspelled_stateful_set_field_is_refused_with_the_field_meant(tmp_path):
    import yaml  # noqa: PLC0415

    from kmodel.objects.manifests import load_manifests  # noqa: PLC0415

    body = db(2, updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partitions": 1}})
    body["spec"]["volumeClaimTemplate"] = body["spec"].pop("volumeClaimTemplates")
    path = tmp_path / "db.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_manifests(path)
    assert sorted((p.path, p.message) for p in caught.value.problems) == [
        (
            "spec.updateStrategy.rollingUpdate.partitions",
            'unknown field "partitions" (did you mean "partition"?)',
        ),
        (
            "spec.volumeClaimTemplate",
            'unknown field "volumeClaimTemplate" (did you mean "volumeClaimTemplates"?)',
        ),
    ]
    body = db(2)
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    assert [o.kind for o in load_manifests(path)] == ["StatefulSet"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"scale": {"replicas": [1]}}, "needs exactly one of deployment or statefulset"),
        ({"scale": {"statefulset": "nope", "replicas": [1]}}, "no StatefulSet 'nope'"),
        ({"rollout": {"statefulset": "z", "container": "x", "images": ["i"]}}, "no container"),
    ],
)
def test_a_bad_stateful_set_action_is_refused_with_its_path(tmp_path, action, message):
    import yaml  # noqa: PLC0415

    from kmodel.explore.spec import load_spec  # noqa: PLC0415

    spec = tmp_path / "s.yaml"
    body = yaml.safe_load(
        "cluster: {nodes: [{pool: n, count: 1, cpu: '4', memory: 8Gi}]}\n"
        "workloads:\n"
        "  - {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: z},"
        " spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}},"
        " spec: {containers: [{name: c, image: i}]}}}}\n"
        "invariants: [statefulset_identity]\n"
    )
    body["actions"] = [action]
    spec.write_text(yaml.safe_dump(body), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_spec(spec)
    assert message in str(caught.value)
    assert "actions[0]" in str(caught.value)
