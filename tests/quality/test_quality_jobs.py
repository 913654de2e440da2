"""Quality: broken Job and CronJob controllers, injected from the test, that exploration catches.

The broken controller ignores ``podReplacementPolicy: Failed`` (it replaces a pod as soon as it
is terminating): after a node crash, the taint manager deletes the lost node's pods, which stay
terminating while their kubelet is down, and the broken controller starts a second pod of the
same index. The faithful model waits for the pod to fail.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kmodel.cluster.components import cronjob
from kmodel.cluster.components import job as jobctl
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, explore
from kmodel.explore.spec import load_spec
from kmodel.invariants import make_invariant
from kmodel.semantics import cronjob as cronsem
from kmodel.semantics import job as jobsem
from tests.helpers.cluster import job
from tests.helpers.paths import ROOT

SPECS = ROOT / "specs"
INVARIANT = "indexed_job_one_pod_per_index"
OPTIONS = ExploreOptions(examples=40, max_steps=12, seed=0)


def _node(name: str) -> dict[str, Any]:
    resources = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name},
        "status": {"allocatable": resources, "capacity": dict(resources)},
    }


JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "shards", "namespace": "default"},
    "spec": {
        "completions": 3,
        "parallelism": 3,
        "completionMode": "Indexed",
        "podReplacementPolicy": "Failed",
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {
                        "name": "work",
                        "image": "registry.example.com/shard:1",
                        "resources": {"requests": {"cpu": "100m"}},
                    }
                ],
            }
        },
    },
}


def _scenario() -> Scenario:
    return Scenario(
        objects=[_node("n1"), _node("n2"), JOB],
        invariants=(make_invariant(INVARIANT),),
        faults={"node_crash": 1},
        ticks=(10, 60),
    )


def test_job_controller_that_replaces_terminating_pods_early_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert explore(_scenario(), options=OPTIONS) == []
    faithful = jobsem._manage_job  # the function the broken variant wraps

    def replaces_terminating(job: Any, pods: Any, active: Any, result: Any, **kwargs: Any) -> int:
        kwargs["terminating"] = 0
        spec = {**job["spec"], "podReplacementPolicy": "TerminatingOrFailed"}
        return faithful({**job, "spec": spec}, pods, active, result, **kwargs)

    monkeypatch.setattr(jobsem, "_manage_job", replaces_terminating)
    findings = explore(_scenario(), options=OPTIONS)
    assert [f.invariant for f in findings] == [INVARIANT]
    assert "runs 2 pods of index" in findings[0].violation.message
    assert len(findings[0].actions) <= 8


def test_cronjob_controller_that_ignores_forbid_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec(SPECS / "cronjob-forbid-long-run.yaml")
    options = ExploreOptions(examples=10, max_steps=10, seed=0)
    assert explore(spec.scenario, options=options) == []
    faithful = cronsem.sync_cronjob

    def allows_overlap(cronjob: Any, jobs: Any, *, now: int) -> Any:
        spec = {**cronjob["spec"], "concurrencyPolicy": "Allow"}
        return faithful({**cronjob, "spec": spec}, jobs, now=now)

    monkeypatch.setattr(cronsem, "sync_cronjob", allows_overlap)
    findings = explore(load_spec(SPECS / "cronjob-forbid-long-run.yaml").scenario, options=options)
    assert [f.invariant for f in findings] == ["cronjob_forbid_no_overlap"]
    assert "runs 2 jobs at once" in findings[0].violation.message


def test_job_controller_that_completes_one_pod_early_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = Scenario(
        objects=[
            _node("n1"),
            job("batch", "registry.example.com/batch:1", completions=2, parallelism=1),
        ],
        invariants=(make_invariant("job_complete_consistent"),),
        config=ClusterConfig(programs={"registry.example.com/batch:1": Program(run_for=5)}),
        ticks=(10, 60),
    )
    assert explore(scenario, options=OPTIONS) == []
    faithful = jobsem.sync_job

    def off_by_one(job: Any, pods: Any, **kwargs: Any) -> Any:
        spec = {**job["spec"], "completions": job["spec"]["completions"] - 1}
        return faithful({**job, "spec": spec}, pods, **kwargs)

    monkeypatch.setattr(jobsem, "sync_job", off_by_one)
    findings = explore(scenario, options=OPTIONS)
    assert [f.invariant for f in findings] == ["job_complete_consistent"]
    assert "Complete with 1 of 2 succeeded" in findings[0].violation.message


def test_cronjob_controller_with_a_stale_active_reference_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = replace(
        load_spec(SPECS / "cronjob-forbid-long-run.yaml").scenario,
        invariants=(make_invariant("cronjob_active_refs"),),
    )
    options = ExploreOptions(examples=10, max_steps=10, seed=0)
    assert explore(scenario, options=options) == []
    faithful = cronjob._active_ref
    monkeypatch.setattr(
        cronjob, "_active_ref", lambda job: {**faithful(job), "apiVersion": "batch/v1beta1"}
    )
    findings = explore(scenario, options=options)
    assert [f.invariant for f in findings] == ["cronjob_active_refs"]
    assert "has a wrong apiVersion: 'batch/v1beta1'" in findings[0].violation.message


# ----------------------------------------------------------------- TTL and orphan pods
WORK_QUEUE = SPECS / "job-work-queue-ttl.yaml"
QUICK = ExploreOptions(examples=5, max_steps=4, seed=0)


def test_faithful_work_queue_job_expires_and_releases_its_orphan() -> None:
    assert explore(load_spec(WORK_QUEUE).scenario, options=QUICK) == []


def test_ttl_controller_that_never_deletes_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobctl.DeleteExpiredJob, "apply", lambda self, cluster: None)
    findings = explore(load_spec(WORK_QUEUE).scenario, options=QUICK)
    assert [f.invariant for f in findings] == ["finished_jobs_expire"]
    assert findings[0].at_fixpoint
    assert "job default/drain-queue: finished with ttlSecondsAfterFinished 60" in (
        findings[0].violation.message
    )


def test_job_controller_that_keeps_orphan_finalizers_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobctl.ReleaseOrphanPod, "apply", lambda self, cluster: None)
    findings = explore(load_spec(WORK_QUEUE).scenario, options=QUICK)
    assert [f.invariant for f in findings] == ["job_orphans_released"]
    assert findings[0].at_fixpoint
    assert "pod default/import-7xk2p keeps the Job tracking finalizer" in (
        findings[0].violation.message
    )


def test_job_controller_that_releases_pods_before_listing_them_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Removing finalizers before listing the UIDs as uncounted loses a count on a crash.

    What upstream's ``uncountedTerminatedPods`` exists for (and what the model did before it
    carried it): a Job controller that crashes after releasing a succeeded pod, before its
    status counts it, forgets the success and runs a pod too many. ``mid_sync_crash`` cuts the
    sync there; the faithful controller lists the UIDs first.
    """
    scenario = Scenario(
        objects=[
            _node("n1"),
            job("train", "registry.example.com/train:1", completions=3, parallelism=3),
        ],
        invariants=(make_invariant("job_successes_counted"),),
        # The pods outlast the start's settling, so they finish while faults may strike.
        config=ClusterConfig(programs={"registry.example.com/train:1": Program(run_for=1830)}),
        faults={"mid_sync_crash": 1},
        ticks=(10, 30),
    )
    assert explore(scenario, options=OPTIONS) == []
    faithful = jobsem.sync_job

    def releases_first(job: Any, pods: Any, **kwargs: Any) -> Any:
        plan = faithful(job, pods, **kwargs)
        return plan if plan is None else replace(plan, flush=None)

    monkeypatch.setattr(jobsem, "sync_job", releases_first)
    findings = explore(scenario, options=OPTIONS)
    assert [f.invariant for f in findings] == ["job_successes_counted"]
    assert "succeeded and were released (no tracking finalizer), but status counts" in (
        findings[0].violation.message
    )
    assert findings[0].actions[-1].name == "mid-sync-crash"
