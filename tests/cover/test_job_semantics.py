"""Job controller decisions (kmodel.semantics.job), from upstream's test cases.

``backoff_utils_test.go``, ``pod_failure_policy_test.go``, ``indexed_job_utils_test.go``,
``success_policy_test.go`` and ``job_controller_test.go TestControllerSyncJob``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.objects.defaults import set_defaults_job
from kmodel.semantics import job as js

FIN = js.TRACKING_FINALIZER


def pod(  # a pod in one line per test case
    name: str,
    phase: str = "Running",
    *,
    index: int | None = None,
    exit_code: int | None = None,
    finished: int = 0,
    counted: bool = False,
    deleting: bool = False,
    ready: bool = False,
    conditions: list[dict[str, Any]] | None = None,
    failures: int | None = None,
) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if index is not None:
        annotations[js.COMPLETION_INDEX_ANNOTATION] = str(index)
    if failures is not None:
        annotations[js.INDEX_FAILURE_COUNT_ANNOTATION] = str(failures)
    state: dict[str, Any] = {"running": {"startedAt": 0}}
    if phase in {"Succeeded", "Failed"}:
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        state = {"terminated": {"exitCode": code, "finishedAt": finished}}
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "ns",
        "uid": name,
        "creationTimestamp": 0,
        "annotations": annotations,
        "finalizers": [] if counted else [FIN],
    }
    if deleting:
        metadata["deletionTimestamp"] = finished
    return {
        "metadata": metadata,
        "spec": {"nodeName": "n1"},
        "status": {
            "phase": phase,
            "conditions": [
                *(conditions or []),
                {"type": "Ready", "status": "True" if ready else "False"},
            ],
            "containerStatuses": [{"name": "main", "state": state, "restartCount": 0}],
        },
    }


def job(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body = {
        "metadata": {"name": "j", "namespace": "ns", "uid": "job-uid"},
        "spec": {"template": {"spec": {"restartPolicy": "Never"}}, **spec},
        "status": status or {},
    }
    return set_defaults_job(body)


def types(sync: js.JobSync) -> list[str]:
    return [c["type"] for c in sync.status.get("conditions") or []]


# ----------------------------------------------------------------- defaults


def test_defaults_as_set_defaults_job() -> None:
    spec = set_defaults_job({"spec": {}})["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    assert spec["completionMode"] == "NonIndexed"
    assert spec["podReplacementPolicy"] == "TerminatingOrFailed"
    with_policy = set_defaults_job({"spec": {"podFailurePolicy": {"rules": []}}})["spec"]
    assert with_policy["podReplacementPolicy"] == "Failed"
    per_index = set_defaults_job({"spec": {"backoffLimitPerIndex": 1, "parallelism": 2}})["spec"]
    assert per_index["backoffLimit"] == 2**31 - 1
    assert per_index.get("completions") is None


# ----------------------------------------------------------------- back-off


@pytest.mark.parametrize(
    ("failures", "elapsed", "want"),
    [
        (0, 0, 0),
        (1, 0, 10),
        (1, 5, 5),
        (1, 11, 0),
        (2, 0, 20),
        (3, 0, 40),
        (6, 0, 320),
        (7, 0, 600),  # 640 capped at MaxJobPodFailureBackOff
        (50, 100, 500),
    ],
)
def test_remaining_backoff(failures: int, elapsed: int, want: int) -> None:
    record = js.BackoffRecord(failures, 100 if failures else None)
    assert js.remaining_backoff(record, 100 + elapsed) == want


def test_backoff_record_counts_failures_after_the_last_success() -> None:
    old = js.BackoffRecord(2, 10)
    failed = [pod("f1", "Failed", finished=20), pod("f2", "Failed", finished=40)]
    assert js.new_backoff_record(old, [], failed) == js.BackoffRecord(4, 40)
    success = [pod("s", "Succeeded", finished=30)]
    assert js.new_backoff_record(old, success, failed) == js.BackoffRecord(1, 40)
    assert js.new_backoff_record(old, success, []) == js.BackoffRecord(0, None)
    assert js.new_backoff_record(old, [], []) == old


# ----------------------------------------------------------------- pod failure policy


def test_fail_job_on_exit_code_names_container_pod_and_rule() -> None:
    policy = {
        "rules": [
            {"action": "Ignore", "onExitCodes": {"operator": "In", "values": [5]}},
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}},
        ]
    }
    message, counts, action = js.match_pod_failure_policy(policy, pod("p", "Failed", exit_code=42))
    assert action == "FailJob"
    assert counts
    assert message == (
        "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1"
    )


def test_ignore_on_disruption_target_does_not_count() -> None:
    policy = {
        "rules": [
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
            {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0]}},
        ]
    }
    disrupted = pod("p", "Failed", conditions=[{"type": "DisruptionTarget", "status": "True"}])
    assert js.match_pod_failure_policy(policy, disrupted) == (None, False, "Ignore")
    message, _, action = js.match_pod_failure_policy(policy, pod("q", "Failed", exit_code=3))
    assert action == "FailJob"
    assert message is not None


def test_exit_code_zero_never_matches_and_no_rule_counts() -> None:
    policy = {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1]}}]}
    assert js.match_pod_failure_policy(policy, pod("p", "Succeeded")) == (None, True, None)
    named = {
        "rules": [
            {
                "action": "Count",
                "onExitCodes": {"containerName": "other", "operator": "In", "values": [1]},
            }
        ]
    }
    assert js.match_pod_failure_policy(named, pod("p", "Failed")) == (None, True, None)
    assert js.match_pod_failure_policy(None, pod("p", "Failed")) == (None, True, None)


# ----------------------------------------------------------------- indexes, success policy


def test_indexes_format_and_parse() -> None:
    assert js.format_indexes([4, 0, 2, 3]) == "0,2-4"
    assert js.parse_indexes("0,2-4,9", 5) == [0, 2, 3, 4]
    assert js.first_pending_indexes([pod("a", index=1)], [0, 3], 2, 6) == [2, 4]


def test_success_policy() -> None:
    policy = {"rules": [{"succeededIndexes": "0-2"}, {"succeededCount": 4}]}
    assert js.match_success_policy(policy, [0, 1]) is None
    assert js.match_success_policy(policy, [0, 1, 2]) == "Matched rules at index 0"
    assert js.match_success_policy(policy, [3, 4, 5, 6]) == "Matched rules at index 1"
    counted = {"rules": [{"succeededIndexes": "0-9", "succeededCount": 2}]}
    assert js.match_success_policy(counted, [7, 8]) == "Matched rules at index 0"


# ----------------------------------------------------------------- syncJob


def sync(j: dict[str, Any], pods: list[dict[str, Any]], **kwargs: Any) -> js.JobSync:
    kwargs.setdefault("now", 100)
    kwargs.setdefault("backoff", js.BackoffRecord())
    result = js.sync_job(j, pods, **kwargs)
    assert result is not None
    return result


def test_creates_up_to_parallelism_and_remaining_completions() -> None:
    assert len(sync(job(completions=5, parallelism=2), []).create) == 2
    done = [pod("a", "Succeeded", counted=True)] * 4
    result = sync(job({"succeeded": 4}, completions=5, parallelism=2), done)
    assert len(result.create) == 1
    assert result.status["startTime"] == 100


def test_scales_down_to_parallelism() -> None:
    running = [pod(f"p{i}") for i in range(3)]
    result = sync(job(completions=5, parallelism=1), running)
    assert len(result.delete) == 2
    assert result.status["active"] == 1


def test_success_sets_success_criteria_met_then_complete() -> None:
    result = sync(job(completions=1), [pod("a", "Succeeded", finished=50)])
    assert types(result) == ["SuccessCriteriaMet", "Complete"]
    assert result.status["conditions"][1]["reason"] == "CompletionsReached"
    assert result.status["succeeded"] == 1
    assert result.status["completionTime"] == 100
    assert [p["metadata"]["name"] for p in result.count] == ["a"]
    finished = job(result.status, completions=1)
    assert js.sync_job(finished, [], now=200, backoff=js.BackoffRecord()) is None


def test_backoff_limit_exceeded_fails_after_failure_target() -> None:
    pods = [pod("a", "Failed", finished=10), pod("b", "Failed", finished=20), pod("c")]
    result = sync(job(completions=3, parallelism=3, backoffLimit=1), pods)
    assert types(result) == ["FailureTarget"]  # c is still being deleted
    assert result.status["conditions"][0]["reason"] == "BackoffLimitExceeded"
    assert [p["metadata"]["name"] for p in result.delete] == ["c"]
    after = [
        pod("a", "Failed", counted=True),
        pod("b", "Failed", counted=True),
        pod("c", "Failed", deleting=True),
    ]
    result = sync(job(result.status, completions=3, parallelism=3, backoffLimit=1), after)
    assert types(result) == ["FailureTarget", "Failed"]
    assert result.status["conditions"][1]["message"] == (
        "Job has reached the specified backoff limit"
    )


def test_replacement_waits_for_the_pod_failure_backoff() -> None:
    failed = [pod("a", "Failed", finished=95)]
    result = sync(job(completions=1, backoffLimit=6), failed)
    assert result.create == []
    assert result.requeue_after == 5
    assert result.backoff == js.BackoffRecord(1, 95)
    later = sync(job(result.status, completions=1), [], now=106, backoff=result.backoff)
    assert len(later.create) == 1


def test_pod_replacement_policy_failed_waits_for_terminating_pods() -> None:
    terminating = [pod("a", deleting=True, finished=90)]
    failed_only = sync(job(completions=1, podReplacementPolicy="Failed"), terminating)
    assert failed_only.create == []
    assert failed_only.status["terminating"] == 1
    # TerminatingOrFailed counts the terminating pod as failed and replaces it (after back-off).
    eager = sync(job(completions=1), terminating, now=200)
    assert len(eager.create) == 1
    assert eager.status["failed"] == 1


def test_pod_failure_policy_fail_job_and_ignore() -> None:
    policy = {
        "rules": [
            {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
            {"action": "FailJob", "onExitCodes": {"operator": "In", "values": [42]}},
        ]
    }
    disrupted = pod("a", "Failed", conditions=[{"type": "DisruptionTarget", "status": "True"}])
    ignored = sync(job(completions=1, backoffLimit=0, podFailurePolicy=policy), [disrupted])
    assert ignored.status["failed"] == 0
    assert len(ignored.create) == 1  # an ignored failure has no back-off either
    fatal = sync(job(completions=1, podFailurePolicy=policy), [pod("b", "Failed", exit_code=42)])
    assert types(fatal) == ["FailureTarget", "Failed"]
    assert fatal.status["conditions"][0]["reason"] == "PodFailurePolicy"


def test_active_deadline() -> None:
    result = sync(job({"startTime": 0}, completions=1, activeDeadlineSeconds=50), [pod("a")])
    assert types(result) == ["FailureTarget"]
    assert result.status["conditions"][0]["reason"] == "DeadlineExceeded"
    waiting = sync(job({"startTime": 0}, completions=1, activeDeadlineSeconds=500), [pod("a")])
    assert waiting.requeue_after == 400


def test_suspend_deletes_pods_and_resume_resets_start_time() -> None:
    result = sync(job({"startTime": 5}, completions=2, suspend=True), [pod("a")])
    assert [p["metadata"]["name"] for p in result.delete] == ["a"]
    assert types(result) == ["Suspended"]
    resumed = sync(job(result.status, completions=2), [], now=300)
    assert resumed.status["conditions"][0]["status"] == "False"
    assert resumed.status["conditions"][0]["reason"] == "JobResumed"
    assert resumed.status["startTime"] == 300


def test_indexed_creates_lowest_pending_indexes() -> None:
    pods = [pod("a", index=0), pod("b", "Succeeded", index=2)]
    result = sync(job(completions=5, parallelism=3, completionMode="Indexed"), pods)
    assert result.create == [1, 3]
    assert result.status["completedIndexes"] == "2"


def test_indexed_duplicate_index_is_removed() -> None:
    pods = [pod("a", index=1), pod("b", index=1)]
    result = sync(job(completions=3, parallelism=3, completionMode="Indexed"), pods)
    assert [p["metadata"]["name"] for p in result.delete] == ["b"]


def test_backoff_limit_per_index_and_max_failed_indexes() -> None:
    spec = {"completions": 3, "parallelism": 3, "completionMode": "Indexed"}
    failed = pod("a", "Failed", index=0, failures=1, finished=90)
    result = sync(job(**spec, backoffLimitPerIndex=1), [failed, pod("b", index=1)])
    assert result.status["failedIndexes"] == "0"
    assert result.create == [2]
    over = sync(job(**spec, backoffLimitPerIndex=1, maxFailedIndexes=0), [failed])
    assert types(over) == ["FailureTarget", "Failed"]
    assert over.status["conditions"][0]["reason"] == "MaxFailedIndexesExceeded"
    first = pod("c", "Failed", index=0, failures=0, finished=90)
    retry = sync(job(**{**spec, "parallelism": 1}, backoffLimitPerIndex=1), [first], now=101)
    assert retry.create == [0]
    assert retry.failure_counts == [(1, 0)]


def test_success_policy_ends_an_indexed_job_early() -> None:
    spec = {"completions": 3, "parallelism": 3, "completionMode": "Indexed"}
    policy = {"rules": [{"succeededIndexes": "0"}]}
    result = sync(
        job(**spec, successPolicy=policy), [pod("a", "Succeeded", index=0), pod("b", index=1)]
    )
    assert types(result) == ["SuccessCriteriaMet"]
    assert result.status["conditions"][0]["reason"] == "SuccessPolicy"
    assert [p["metadata"]["name"] for p in result.delete] == ["b"]


def test_on_failure_restarts_count_toward_the_backoff_limit() -> None:
    restarting = pod("a")
    restarting["status"]["containerStatuses"][0]["restartCount"] = 2
    spec = {"completions": 1, "backoffLimit": 2}
    on_failure = job(**spec)
    on_failure["spec"]["template"] = {"spec": {"restartPolicy": "OnFailure"}}
    result = sync(on_failure, [restarting])
    assert types(result) == ["FailureTarget"]
    assert result.status["conditions"][0]["reason"] == "BackoffLimitExceeded"
    # With restartPolicy Never, container restarts are not the Job's failures.
    assert types(sync(job(**spec), [restarting])) == []


def test_ttl_expiry() -> None:
    finished = job(
        {"conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": 40}]},
        ttlSecondsAfterFinished=60,
    )
    assert js.ttl_expiry(finished) == 100
    assert js.ttl_expiry(job(ttlSecondsAfterFinished=60)) is None
    assert js.ttl_expiry(job(finished["status"])) is None
