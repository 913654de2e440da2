"""The Job and CronJob components in the cluster model: pods, status, TTL, through the API."""

from __future__ import annotations

from typing import Any

from kmodel.cluster.build import build_cluster
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.semantics import job as jobsem

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1"},
    "status": {
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
    },
}
CONFIG = ClusterConfig(programs={"ok:1": Program(run_for=5)})


def job(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": "default"},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "ok:1"}]}
            },
            **spec,
        },
    }


def test_indexed_job_runs_every_index_once_and_completes() -> None:
    cluster = build_cluster(
        [NODE, job(completions=3, parallelism=2, completionMode="Indexed")], config=CONFIG
    )
    cluster.settle()
    stored = cluster.store.get(("Job", "default", "j"))
    assert stored is not None
    status = stored["status"]
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert (status["succeeded"], status["completedIndexes"], status["active"]) == (3, "0-2", 0)
    pods = list(cluster.store.list_objects("Pod"))
    indexes = sorted(p["metadata"]["annotations"][jobsem.COMPLETION_INDEX_ANNOTATION] for p in pods)
    assert indexes == ["0", "1", "2"]
    assert {p["spec"]["hostname"] for p in pods} == {"j-0", "j-1", "j-2"}
    assert all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert all(not p["metadata"].get("finalizers") for p in pods)


def test_ttl_after_finished_deletes_the_job_and_its_pods() -> None:
    cluster = build_cluster([NODE, job(ttlSecondsAfterFinished=60)], config=CONFIG)
    steps = cluster.settle()
    deleted = [s for s in steps if s.action.name == "ttl-after-finished"]
    assert len(deleted) == 1
    assert deleted[0].time >= 60
    assert cluster.store.get(("Job", "default", "j")) is None
    assert list(cluster.store.list_objects("Pod")) == []


def test_suspended_job_creates_no_pods_and_says_so() -> None:
    cluster = build_cluster([NODE, job(suspend=True)], config=CONFIG)
    cluster.settle()
    stored = cluster.store.get(("Job", "default", "j"))
    assert stored is not None
    assert list(cluster.store.list_objects("Pod")) == []
    (condition,) = stored["status"]["conditions"]
    assert (condition["type"], condition["reason"]) == ("Suspended", "JobSuspended")
    assert "startTime" not in stored["status"]


def test_cronjob_replace_deletes_the_running_job_and_its_pods() -> None:
    forever = job()
    forever["spec"]["template"]["spec"]["containers"][0]["image"] = "forever:1"
    cronjob = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "cj", "namespace": "default"},
        "spec": {
            "schedule": "*/5 * * * *",
            "concurrencyPolicy": "Replace",
            "jobTemplate": {"spec": forever["spec"]},
        },
    }
    cluster = build_cluster([NODE, cronjob], config=CONFIG)
    cluster.settle(horizon=700)
    jobs = [j["metadata"]["name"] for j in cluster.store.list_objects("Job")]
    assert jobs == ["cj-10"]  # cj-5 was replaced at 600 s
    pods = list(cluster.store.list_objects("Pod"))
    assert [p["metadata"]["labels"]["job-name"] for p in pods] == ["cj-10"]
    stored = cluster.store.get(("CronJob", "default", "cj"))
    assert stored is not None
    assert [r["name"] for r in stored["status"]["active"]] == ["cj-10"]
    assert stored["status"]["lastScheduleTime"] == 600


def test_template_finalizers_reach_the_pods_and_outlive_the_jobs_own() -> None:
    # GetPodFromTemplate copies the template's finalizers; the Job controller appends its
    # tracking finalizer (appendJobCompletionFinalizerIfNotFound) and later removes only that.
    held = job()
    held["spec"]["template"]["metadata"] = {"finalizers": ["example.com/keep"]}
    cluster = build_cluster([NODE, held], config=CONFIG)
    created = next(
        s for s in cluster.settle() if any(c.kind == "Pod" and c.type == "ADDED" for c in s.changes)
    )
    (pod_key,) = [(c.kind, c.namespace, c.name) for c in created.changes if c.kind == "Pod"]
    first = next(e.object for e in cluster.store.log if e.key == pod_key)
    assert first["metadata"]["finalizers"] == ["example.com/keep", jobsem.TRACKING_FINALIZER]
    (pod,) = cluster.store.list_objects("Pod")
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["metadata"]["finalizers"] == ["example.com/keep"]


def _tracked_pod(name: str, owner: dict[str, Any] | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "finalizers": [jobsem.TRACKING_FINALIZER],
    }
    if owner is not None:
        metadata["ownerReferences"] = [{**owner, "controller": True}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "c", "image": "app:1"}]},
    }


def test_orphan_release_leaves_pods_other_controllers_control() -> None:
    """``syncOrphanPod``: only pods no ``batch/v1`` Job controls lose the tracking finalizer."""
    gone_job = {"apiVersion": "batch/v1", "kind": "Job", "name": "gone", "uid": "u-gone"}
    replica_set = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u-rs"}
    other_job = {"apiVersion": "example.com/v1", "kind": "Job", "name": "gone", "uid": "u-x"}
    cluster = build_cluster(
        [
            job(),  # the Job controller runs once a Job was written
            _tracked_pod("no-owner", None),
            _tracked_pod("job-gone", gone_job),
            _tracked_pod("replicaset", replica_set),
            _tracked_pod("custom-job", other_job),
        ],
        config=CONFIG,
    )
    cluster.settle()
    kept = {
        name
        for name in ("no-owner", "job-gone", "replicaset", "custom-job")
        if jobsem.TRACKING_FINALIZER
        in cluster.store.get(("Pod", "default", name))["metadata"].get("finalizers", [])
    }
    assert kept == {"replicaset", "custom-job"}
