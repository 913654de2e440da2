"""Liveness and startup probes: the prober's rules (semantics.probes) and the kubelet's kills."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.model import Cluster, ClusterConfig, Program
from kmodel.errors import InputError
from kmodel.explore.search import ExploreOptions, explore
from kmodel.explore.spec import PROGRAM_KEYS, load_spec
from kmodel.semantics.probes import (
    ProbeAnswers,
    ProbeChange,
    ProbeTimings,
    ProbeType,
    ProbeWorker,
    do_probe,
    kill_grace_seconds,
    probe_results,
    probe_timings,
    readiness_result,
)
from tests.helpers.paths import ROOT
from tests.helpers.specs import PASSING_SPEC


def stepwise(
    probe_type: ProbeType,
    timings: ProbeTimings,
    answers: ProbeAnswers,
    *,
    origin: int,
    started_at: int,
    probing_from: int | None,
    horizon: int,
) -> list[ProbeChange]:
    """Run ``do_probe`` on every tick up to ``horizon``: the worker loop, tick by tick."""
    worker = ProbeWorker(probe_type, timings)
    changes: list[ProbeChange] = []
    timed_out = answers.latency >= timings.timeout
    for tick in range(origin, horizon, timings.period):
        if tick < started_at:
            continue  # no container yet: "probe target container not found"
        offset = tick - started_at
        if probe_type == "startup":
            started = worker.result == "Success"
        else:
            started = probing_from is not None and probing_from < tick
        before = worker.result
        do_probe(
            worker,
            container_id="c1",
            running=True,
            running_for=offset,
            started=started,
            deleting=False,
            probe=lambda offset=offset: (
                not timed_out
                and answers.passes_from is not None
                and answers.passes_from <= offset
                and (answers.fails_from is None or offset < answers.fails_from)
            ),
        )
        if worker.result != before:
            delay = timings.timeout if timed_out else answers.latency
            changes.append(ProbeChange(tick + delay, worker.result))
    return changes


optional_offset = st.one_of(st.none(), st.integers(0, 120))


@given(
    probe_type=st.sampled_from(["liveness", "startup"]),
    delay=st.integers(0, 40),
    period=st.integers(1, 15),
    failure_threshold=st.integers(1, 5),
    passes_from=optional_offset,
    fails_from=optional_offset,
    latency=st.integers(0, 3),
    origin=st.integers(0, 20),
    start_after_origin=st.integers(0, 30),
    started_after=optional_offset,
)
def test_closed_form_results_equal_the_worker_loop(
    probe_type: ProbeType,
    delay: int,
    period: int,
    failure_threshold: int,
    passes_from: int | None,
    fails_from: int | None,
    latency: int,
    origin: int,
    start_after_origin: int,
    started_after: int | None,
) -> None:
    timings = ProbeTimings(
        initial_delay=delay, period=period, failure_threshold=failure_threshold, timeout=2
    )
    answers = ProbeAnswers(passes_from=passes_from, fails_from=fails_from, latency=latency)
    started_at = origin + start_after_origin
    probing_from = None if started_after is None else started_at + started_after
    kwargs = {"origin": origin, "started_at": started_at, "probing_from": probing_from}
    closed = probe_results(probe_type, timings, answers, **kwargs)
    looped = stepwise(probe_type, timings, answers, **kwargs, horizon=started_at + 2_000)
    assert closed == looped


def test_website_exec_liveness_example_fails_on_the_third_probe_after_the_file_is_gone() -> None:
    # initialDelaySeconds 5, periodSeconds 5; /tmp/healthy removed 30 s after the start.
    timings = probe_timings({"initialDelaySeconds": 5, "periodSeconds": 5})
    changes = probe_results(
        "liveness",
        timings,
        ProbeAnswers(fails_from=30),
        origin=0,
        started_at=0,
        probing_from=0,
    )
    # Probes at 30, 35 and 40 fail: the third sets Failure.
    assert changes == [ProbeChange(40, "Failure")]


def test_probe_defaults_follow_set_defaults_probe() -> None:
    assert probe_timings({}) == ProbeTimings(
        initial_delay=0, period=10, timeout=1, success_threshold=1, failure_threshold=3
    )
    assert probe_timings({"periodSeconds": 0, "failureThreshold": 0}).period == 10


def test_a_startup_probe_decides_once_success_or_failure() -> None:
    timings = ProbeTimings(period=10, failure_threshold=4)
    slow = probe_results("startup", timings, ProbeAnswers(passes_from=25), origin=0, started_at=0)
    assert slow == [ProbeChange(30, "Success")]
    too_slow = probe_results(
        "startup", timings, ProbeAnswers(passes_from=35), origin=0, started_at=0
    )
    assert too_slow == [ProbeChange(30, "Failure")]  # failures at 0, 10, 20 and 30


def test_liveness_waits_for_the_container_to_count_as_started() -> None:
    timings = ProbeTimings(period=10, failure_threshold=1)
    answers = ProbeAnswers(passes_from=None)  # never answers
    assert (
        probe_results("liveness", timings, answers, origin=0, started_at=0, probing_from=None) == []
    )
    # Started at 30: the tick at 30 is too early (the status shows it afterwards), 40 probes.
    changes = probe_results("liveness", timings, answers, origin=0, started_at=0, probing_from=30)
    assert changes == [ProbeChange(40, "Failure")]


def test_a_probe_that_takes_its_timeout_fails_at_the_deadline() -> None:
    timings = ProbeTimings(period=10, timeout=2, failure_threshold=2)
    changes = probe_results(
        "liveness", timings, ProbeAnswers(latency=2), origin=0, started_at=0, probing_from=0
    )
    assert changes == [ProbeChange(20 + 2, "Failure")]  # ticks 10 and 20 time out
    fast = probe_results(
        "liveness", timings, ProbeAnswers(latency=1), origin=0, started_at=0, probing_from=0
    )
    assert fast == []


def test_readiness_rises_at_a_status_update_and_falls_on_the_ticker() -> None:
    timings = ProbeTimings(initial_delay=5, period=10, failure_threshold=2)
    answers = ProbeAnswers(passes_from=2, fails_from=50)

    def ready(now: int, probing_from: int | None = 10) -> bool:
        return readiness_result(
            timings, answers, origin=0, started_at=0, probing_from=probing_from, now=now
        )

    # Started at 10 (delay 5 and answers from 2 already passed): ready at once. The probe fails
    # from 50: ticks at 50 and 60 fail, the second makes it unready.
    assert [ready(now) for now in (4, 9, 10, 59, 60)] == [False, False, True, True, False]
    assert not ready(20, probing_from=None)
    never = ProbeAnswers(passes_from=5, fails_from=5)
    assert not readiness_result(timings, never, origin=0, started_at=0, probing_from=0, now=6)
    # Started (its startup probe passed) at 20, after its answers turned to failures at 15:
    # no readiness probe can pass, so it is never Ready.
    late = ProbeAnswers(passes_from=2, fails_from=15)
    assert not any(
        readiness_result(timings, late, origin=0, started_at=0, probing_from=20, now=now)
        for now in range(20, 60)
    )


def test_kill_grace_period_prefers_deletion_then_probe_then_pod() -> None:
    pod = {"metadata": {}, "spec": {"terminationGracePeriodSeconds": 20}}
    assert kill_grace_seconds(pod, {"terminationGracePeriodSeconds": 5}) == 5
    assert kill_grace_seconds(pod, {}) == 20
    assert kill_grace_seconds({"metadata": {}, "spec": {}}, None) == 30
    deleting = {"metadata": {"deletionGracePeriodSeconds": 7}, "spec": pod["spec"]}
    assert kill_grace_seconds(deleting, {"terminationGracePeriodSeconds": 5}) == 7
    assert kill_grace_seconds(pod, {"terminationGracePeriodSeconds": 1}) == 2  # the minimum


# ----------------------------------------------------------------------------- the kubelet


def one_pod_cluster(container: dict, program: Program, *, policy: str = "Always") -> Cluster:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n"},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "nodeName": "n",
            "restartPolicy": policy,
            "containers": [{"name": "c", "image": "app", **container}],
        },
    }
    return build_cluster([node, pod], config=ClusterConfig(programs={"app": program}))


def statuses_over(cluster: Cluster, seconds: int) -> dict[int, dict]:
    """The container status after each second in which it changed."""
    seen: dict[int, dict] = {}
    last = None
    for _ in range(seconds + 1):
        for _ in range(100):
            progressed = False
            for action in cluster.components.enabled(cluster):
                step = cluster.step(action)
                progressed = progressed or (step.changed and not action.maintenance)
            if not progressed:
                break
        pod = cluster.store.get(("Pod", "default", "p"))
        assert pod is not None
        status = ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]
        if status != last:
            seen[cluster.now] = status
            last = status
        cluster.step(Tick(1))
    return seen


LIVENESS = {"livenessProbe": {"exec": {"command": ["cat", "/healthy"]}, "periodSeconds": 5}}


def test_a_hung_container_is_killed_after_the_grace_period_and_restarted() -> None:
    cluster = one_pod_cluster(LIVENESS, Program(liveness_fails_after=30, stops_after=None))
    seen = statuses_over(cluster, 80)
    # Failures at 30, 35, 40 -> SIGTERM at 40, ignored; SIGKILL after 30 s -> exit 137 at 70.
    assert sorted(seen) == [0, 70]
    restarted = seen[70]
    assert restarted["restartCount"] == 1
    assert restarted["state"] == {"running": {"startedAt": 70}}
    assert restarted["lastState"] == {
        "terminated": {"exitCode": 137, "reason": "Error", "startedAt": 0, "finishedAt": 70}
    }


def test_a_container_that_exits_on_sigterm_reports_143_at_once() -> None:
    probe = {**LIVENESS["livenessProbe"], "terminationGracePeriodSeconds": 10}
    cluster = one_pod_cluster({"livenessProbe": probe}, Program(liveness_fails_after=30))
    seen = statuses_over(cluster, 45)
    assert seen[40]["lastState"]["terminated"]["exitCode"] == 143
    assert seen[40]["lastState"]["terminated"]["finishedAt"] == 40


@pytest.mark.parametrize(("policy", "phase"), [("Never", "Failed"), ("OnFailure", "Running")])
def test_a_liveness_kill_restarts_unless_the_policy_is_never(policy: str, phase: str) -> None:
    probe = {**LIVENESS["livenessProbe"], "terminationGracePeriodSeconds": 2}
    cluster = one_pod_cluster(
        {"livenessProbe": probe}, Program(liveness_fails_after=30), policy=policy
    )
    statuses_over(cluster, 60)
    pod = cluster.store.get(("Pod", "default", "p"))
    assert pod is not None
    assert pod["status"]["phase"] == phase


def test_a_startup_probe_holds_readiness_and_liveness_until_it_succeeds() -> None:
    container = {
        "startupProbe": {
            "exec": {"command": ["true"]},
            "periodSeconds": 10,
            "failureThreshold": 10,
        },
        "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 10},
        "readinessProbe": {"exec": {"command": ["true"]}},
    }
    cluster = one_pod_cluster(container, Program(starts_after=45))
    seen = statuses_over(cluster, 120)
    assert [(t, s["started"], s["ready"], s["restartCount"]) for t, s in seen.items()] == [
        (0, False, False, 0),
        (50, True, True, 0),  # the startup probe's tick at 50 passes
    ]


def test_a_failed_startup_probe_kills_the_container() -> None:
    container = {
        "startupProbe": {
            "exec": {"command": ["true"]},
            "periodSeconds": 10,
            "failureThreshold": 3,
            "terminationGracePeriodSeconds": 5,
        },
    }
    cluster = one_pod_cluster(container, Program(starts_after=45, stops_after=None))
    seen = statuses_over(cluster, 30)
    # Failures at 0, 10, 20 -> killed at 25 (SIGKILL after 5 s), restarted at once.
    assert seen[25]["lastState"]["terminated"]["exitCode"] == 137
    assert seen[25]["restartCount"] == 1
    assert seen[25]["started"] is False


# ----------------------------------------------------------------------------- spec programs


def spec_with_programs(tmp_path: Path, programs: object) -> Path:
    body = copy.deepcopy(PASSING_SPEC)
    body["programs"] = programs
    target = tmp_path / "spec.yaml"
    target.write_text(yaml.safe_dump(body))
    return target


def test_spec_programs_reach_every_behaviour_of_the_model(tmp_path: Path) -> None:
    raw = {
        "runFor": 5,
        "exitCode": 0,
        "exitCodes": [1, 2],
        "exitsAfter": 0,
        "readyAfter": 3,
        "unreadyAfter": 40,
        "livenessFailsAfter": 60,
        "startsAfter": 20,
        "probeSeconds": 2,
        "stopsAfter": None,
    }
    spec = load_spec(spec_with_programs(tmp_path, {"example/web:2": raw}))
    assert spec.scenario.config.programs["example/web:2"] == Program(
        run_for=5,
        exit_code=0,
        exit_codes=(1, 2),
        exits_after=0,
        ready_after=3,
        unready_after=40,
        liveness_fails_after=60,
        starts_after=20,
        probe_seconds=2,
        stops_after=None,
    )
    assert set(raw) == set(PROGRAM_KEYS)


@pytest.mark.parametrize(
    ("program", "path", "message"),
    [
        ({"hangsAfter": 3}, "programs.example/web:2.hangsAfter", "unknown field"),
        ({"exitsAfter": 3}, "programs.example/web:2.exitsAfter", "needs exitCodes"),
        ({"exitCodes": [1, "x"]}, "programs.example/web:2.exitCodes[1]", "must be an integer"),
        ({"probeSeconds": None}, "programs.example/web:2.probeSeconds", "must be an integer"),
        ({"livenessFailsAfter": -1}, "programs.example/web:2.livenessFailsAfter", "at least 0"),
    ],
)
def test_bad_programs_name_their_field(
    tmp_path: Path, program: dict, path: str, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        load_spec(spec_with_programs(tmp_path, {"example/web:2": program}))
    assert caught.value.path == path
    assert message in caught.value.message


SPECS = ROOT / "specs"


def test_without_its_startup_probe_the_slow_starter_never_finishes_its_rollout(
    tmp_path: Path,
) -> None:
    """The bundled startup-probe spec passes; its comment says why, which this checks."""
    body = yaml.safe_load((SPECS / "startup-probe-slow-start.yaml").read_text())
    body["workloads"][0] = str(SPECS / "workloads" / "web.yaml")
    container = body["workloads"][1]["spec"]["template"]["spec"]["containers"][0]
    del container["startupProbe"]
    body["explore"] = {"ticks": [60]}
    target = tmp_path / "no-startup-probe.yaml"
    target.write_text(yaml.safe_dump(body))
    findings = explore(
        load_spec(target).scenario, options=ExploreOptions(examples=10, max_steps=4, seed=0)
    )
    assert [f.invariant for f in findings] == ["eventually_stable"]


def test_init_containers_report_started_while_they_run() -> None:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n"},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "nodeName": "n",
            "initContainers": [{"name": "init", "image": "setup"}],
            "containers": [{"name": "c", "image": "app"}],
        },
    }
    cluster = build_cluster(
        [node, pod], config=ClusterConfig(programs={"setup": Program(run_for=5)})
    )
    seen = []
    for _ in range(8):
        cluster.settle(advance=False)
        status = cluster.store.get(("Pod", "default", "p"))["status"]
        seen.append(status["initContainerStatuses"][0]["started"])
        cluster.step(Tick(1))
    assert seen == [True] * 5 + [False] * 3  # upstream isContainerStarted: running
