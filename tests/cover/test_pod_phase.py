"""getPhase, row by row: k8s-semantics.md section 1 (tables 1.2 and 1.3, rules 1.1 and 1.4)."""

from __future__ import annotations

import pytest

from kmodel.errors import InputError
from kmodel.semantics.pods import api_pod_phase, container_should_restart, pod_phase
from tests.helpers.pods import (
    container,
    no_state,
    pod,
    running,
    sidecar,
    terminated,
    waiting,
)

CRR = {"ContainerRestartRules": True}
RAC = {"RestartAllContainersOnContainerExits": True}
STATIC = {"kubernetes.io/config.source": "file"}


# ---- 1.2 regular init containers
# One regular init container `i` and one regular container `c` that has no status yet unless the
# row needs it. With restartPolicy Always the init row decides between Pending and "no effect".


@pytest.mark.parametrize(
    ("init_status", "expected"),
    [
        pytest.param(None, "Pending", id="no status: pendingInit"),
        pytest.param(running("i"), "Pending", id="running: pendingInit"),
        pytest.param(terminated("i", 0), "Running", id="terminated exit 0: nothing"),
        pytest.param(waiting("i"), "Pending", id="waiting without last termination: pendingInit"),
        pytest.param(waiting("i", last_exit=0), "Running", id="waiting, last exit 0: nothing"),
        pytest.param(no_state("i"), "Pending", id="no state: pendingInit"),
    ],
)
def test_regular_init_container_pending_rows(init_status, expected):
    p = pod(
        [container("c")],
        init=[container("i")],
        init_statuses=[init_status] if init_status else [],
        statuses=[running("c")],
    )
    assert pod_phase(p) == expected


@pytest.mark.parametrize(
    "init_status",
    [
        pytest.param(terminated("i", 1), id="terminated exit!=0"),
        pytest.param(waiting("i", last_exit=1), id="waiting with last exit!=0"),
    ],
)
def test_failed_init_container_fails_a_never_pod(init_status):
    # failedInit > 0 and restartPolicy Never: row 1'.
    p = pod(
        [container("c")], init=[container("i")], init_statuses=[init_status], restart_policy="Never"
    )
    assert pod_phase(p) == "Failed"


@pytest.mark.parametrize("policy", ["Always", "OnFailure"])
def test_failed_init_container_in_a_restarting_pod_is_not_pending_by_itself(policy):
    # failedInit counts, but row 1' needs Never; the regular container has no status: row 5.
    p = pod(
        [container("c")],
        init=[container("i")],
        init_statuses=[terminated("i", 1)],
        restart_policy=policy,
    )
    assert pod_phase(p) == "Pending"


def test_terminated_init_failure_counts_as_not_restartable_only_with_crr():
    # CRR on: a terminated init failure that will not restart (container policy Never) fails the pod
    # even though the pod policy is Always (row 1).
    init = container("i", restartPolicy="Never")
    p = pod(
        [container("c")], init=[init], init_statuses=[terminated("i", 3)], restart_policy="Always"
    )
    assert pod_phase(p, feature_gates=CRR) == "Failed"
    # CRR off: row 1' needs pod policy Never, so the same pod is not Failed.
    assert pod_phase(p) == "Pending"


def test_crr_restartable_init_failure_does_not_fail_the_pod():
    init = container("i", restartPolicy="OnFailure")
    p = pod(
        [container("c")], init=[init], init_statuses=[terminated("i", 3)], restart_policy="Never"
    )
    assert pod_phase(p, feature_gates=CRR) == "Pending"


def test_crr_waiting_init_container_with_restart_rule_is_restartable():
    init = container(
        "i",
        restartPolicy="Never",
        restartPolicyRules=[{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}],
    )
    restarting = pod(
        [container("c")],
        init=[init],
        init_statuses=[waiting("i", last_exit=42)],
        restart_policy="Never",
    )
    assert pod_phase(restarting, feature_gates=CRR) == "Pending"
    other_code = pod(
        [container("c")],
        init=[init],
        init_statuses=[waiting("i", last_exit=7)],
        restart_policy="Never",
    )
    assert pod_phase(other_code, feature_gates=CRR) == "Failed"


# ---- 1.2 sidecars


def test_sidecar_without_status_is_unknown():
    p = pod([container("c")], init=[sidecar("s")], init_statuses=[], statuses=[running("c")])
    assert pod_phase(p) == "Pending"  # unknown > 0: row 5


def test_running_started_sidecar_counts_as_running():
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[running("s", started=True)],
        statuses=[],
    )
    # running(sidecar) > 0 but the regular container is unknown: row 5.
    assert pod_phase(p) == "Pending"
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[running("s", started=True)],
        statuses=[running("c")],
    )
    assert pod_phase(p) == "Running"


def test_running_sidecar_not_started_is_pending_until_the_pod_has_initialized():
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[running("s", started=False)],
        statuses=[waiting("c", last_exit=1)],
    )
    # pendingSidecar > 0 and no regular container has started: Pending (row 2).
    assert pod_phase(p) == "Pending"
    # Once a regular container ran (podHasInitialized), the same counters give Running.
    assert pod_phase(p, pod_has_initialized=True) == "Running"


def test_started_field_missing_means_not_started():
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[running("s")],
        statuses=[waiting("c", last_exit=0)],
    )
    assert pod_phase(p) == "Pending"
    assert pod_phase(p, pod_has_initialized=True) == "Running"


@pytest.mark.parametrize(
    "sidecar_status",
    [
        pytest.param(terminated("s", 1), id="terminated: ignored"),
        pytest.param(waiting("s", last_exit=1), id="waiting with last termination: ignored"),
    ],
)
def test_stopped_sidecars_are_ignored(sidecar_status):
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[sidecar_status],
        statuses=[terminated("c", 0)],
        restart_policy="Never",
    )
    # Only the regular container counts: stopped == succeeded: Succeeded (row 4d).
    assert pod_phase(p) == "Succeeded"


def test_waiting_sidecar_without_last_termination_is_waiting_and_pending():
    p = pod(
        [container("c")], init=[sidecar("s")], init_statuses=[waiting("s")], statuses=[running("c")]
    )
    assert pod_phase(p, pod_has_initialized=True) == "Pending"  # waiting > 0


def test_sidecar_without_state_is_unknown_and_pending():
    p = pod(
        [container("c")],
        init=[sidecar("s")],
        init_statuses=[no_state("s")],
        statuses=[running("c")],
    )
    assert pod_phase(p, pod_has_initialized=True) == "Pending"  # unknown > 0: row 5


# ---- 1.2 regular containers


def test_regular_container_without_status_is_unknown():
    assert pod_phase(pod([container("a"), container("b")], statuses=[running("a")])) == "Pending"


def test_running_regular_container():
    assert pod_phase(pod([container("a")], statuses=[running("a")])) == "Running"


@pytest.mark.parametrize(
    ("exit_code", "policy", "expected"),
    [
        (0, "Never", "Succeeded"),
        (1, "Never", "Failed"),
        (0, "OnFailure", "Succeeded"),
        (1, "OnFailure", "Running"),
        (0, "Always", "Running"),
        (1, "Always", "Running"),
    ],
)
def test_terminated_regular_container(exit_code, policy, expected):
    p = pod([container("a")], statuses=[terminated("a", exit_code)], restart_policy=policy)
    assert pod_phase(p) == expected


def test_waiting_with_last_termination_is_stopped_but_not_succeeded():
    # A waiting container whose last run exited 0 counts as stopped, not succeeded: under Never
    # stopped != succeeded gives Failed (row 4e).
    p = pod([container("a")], statuses=[waiting("a", last_exit=0)], restart_policy="Never")
    assert pod_phase(p) == "Failed"
    p = pod(
        [container("a")],
        statuses=[waiting("a", last_exit=1, reason="CrashLoopBackOff")],
        restart_policy="Always",
    )
    assert pod_phase(p) == "Running"  # restarting pods stay Running


def test_waiting_without_last_termination_is_pending():
    assert (
        pod_phase(pod([container("a"), container("b")], statuses=[running("a"), waiting("b")]))
        == "Pending"
    )


def test_regular_container_without_state_is_unknown():
    assert (
        pod_phase(pod([container("a"), container("b")], statuses=[running("a"), no_state("b")]))
        == "Pending"
    )


def test_crr_stopped_not_restartable_rows():
    # Row 4b: with CRR, Running while some stopped container will restart.
    restarts = container("a", restartPolicy="OnFailure")
    done = container("b", restartPolicy="Never")
    p = pod(
        [restarts, done], statuses=[terminated("a", 1), terminated("b", 0)], restart_policy="Never"
    )
    assert pod_phase(p, feature_gates=CRR) == "Running"
    # Without CRR the pod policy Never decides: stopped != succeeded: Failed.
    assert pod_phase(p) == "Failed"
    # All stopped containers not restartable: Succeeded when all succeeded, else Failed.
    p = pod([done], statuses=[terminated("b", 0)], restart_policy="Always")
    assert pod_phase(p, feature_gates=CRR) == "Succeeded"
    p = pod([done], statuses=[terminated("b", 2)], restart_policy="Always")
    assert pod_phase(p, feature_gates=CRR) == "Failed"
    p = pod([done], statuses=[waiting("b", last_exit=2)], restart_policy="Always")
    assert pod_phase(p, feature_gates=CRR) == "Failed"


# ---- 1.3 decision table


def test_row_2_pending_init_wins_over_running():
    p = pod(
        [container("c")],
        init=[container("i")],
        init_statuses=[running("i")],
        statuses=[running("c")],
    )
    assert pod_phase(p) == "Pending"


def test_row_3_running_needs_no_unknown():
    p = pod(
        [container("a"), container("b")],
        statuses=[running("a"), terminated("b", 0)],
        restart_policy="Never",
    )
    assert pod_phase(p) == "Running"


def test_row_4a_terminal_pod_ignores_restart_policy():
    p = pod([container("a")], statuses=[terminated("a", 0)], restart_policy="Always")
    assert pod_phase(p, pod_is_terminal=True) == "Succeeded"
    p = pod([container("a")], statuses=[terminated("a", 137)], restart_policy="Always")
    assert pod_phase(p, pod_is_terminal=True) == "Failed"


def test_row_4a_does_not_apply_to_static_pods():
    p = pod(
        [container("a")], statuses=[terminated("a", 0)], restart_policy="Always", annotations=STATIC
    )
    assert pod_phase(p, pod_is_terminal=True) == "Running"  # falls to row 4c
    api_source = pod(
        [container("a")],
        statuses=[terminated("a", 0)],
        annotations={"kubernetes.io/config.source": "api"},
    )
    assert pod_phase(api_source, pod_is_terminal=True) == "Succeeded"


def test_row_4f_unset_restart_policy_behaves_as_upstream_empty_string():
    # The API defaults restartPolicy to Always; getPhase on an undefaulted spec matches none of
    # Always/Never, so a failed container falls to the OnFailure row.
    p = pod([container("a")], statuses=[terminated("a", 1)], restart_policy=None)
    assert pod_phase(p) == "Running"
    p = pod([container("a")], statuses=[terminated("a", 0)], restart_policy=None)
    assert pod_phase(p) == "Succeeded"


def test_row_5_no_containers_no_statuses_is_pending():
    assert pod_phase(pod([])) == "Pending"


def test_row_1_before_row_2_with_crr():
    # A pending init container and a non-restartable failed one: Failed wins.
    first = container("i1", restartPolicy="Never")
    p = pod(
        [container("c")],
        init=[first, container("i2")],
        init_statuses=[terminated("i1", 1)],
        restart_policy="Always",
    )
    assert pod_phase(p, feature_gates=CRR) == "Failed"


def test_first_status_with_a_name_wins_and_regular_statuses_come_first():
    # The flat list is containerStatuses then initContainerStatuses; a duplicate name in the init
    # list is shadowed by the regular one.
    p = pod(
        [container("x")],
        init=[container("x")],
        statuses=[terminated("x", 0)],
        init_statuses=[running("x")],
        restart_policy="Never",
    )
    assert pod_phase(p) == "Succeeded"


# ---- 1.1 ContainerShouldRestart


@pytest.mark.parametrize(
    ("pod_policy", "exit_code", "expected"),
    [
        ("Always", 0, True),
        ("Always", 1, True),
        ("OnFailure", 0, False),
        ("OnFailure", 1, True),
        ("Never", 1, False),
        (None, 0, True),
    ],
)
def test_container_should_restart_pod_policy(pod_policy, exit_code, expected):
    spec = {} if pod_policy is None else {"restartPolicy": pod_policy}
    assert container_should_restart(container("a"), spec, exit_code) is expected


@pytest.mark.parametrize(
    ("rules", "policy", "exit_code", "expected"),
    [
        (
            [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}],
            "Never",
            42,
            True,
        ),
        (
            [{"action": "Restart", "exitCodes": {"operator": "In", "values": [42]}}],
            "Never",
            1,
            False,
        ),
        (
            [{"action": "Restart", "exitCodes": {"operator": "NotIn", "values": [0]}}],
            "Never",
            3,
            True,
        ),
        (
            [{"action": "Restart", "exitCodes": {"operator": "NotIn", "values": [3]}}],
            "Never",
            3,
            False,
        ),
        ([{"action": "Restart"}], "Never", 3, False),  # a rule without exitCodes never matches
        ([], "Always", 0, True),
        ([], "OnFailure", 0, False),
        ([], "OnFailure", 2, True),
    ],
)
def test_container_should_restart_container_policy_and_rules(rules, policy, exit_code, expected):
    c = container("a", restartPolicy=policy, restartPolicyRules=rules)
    assert container_should_restart(c, {"restartPolicy": "Always"}, exit_code) is expected


def test_first_matching_rule_wins():
    rules = [
        {"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}},
        {"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [1, 2]}},
    ]
    c = container("a", restartPolicy="Never", restartPolicyRules=rules)
    assert container_should_restart(c, {}, 1) is True
    # Exit 2 matches the RestartAllContainers rule: true only with the RAC gate (U1).
    assert container_should_restart(c, {}, 2) is False
    assert container_should_restart(c, {}, 2, feature_gates=RAC) is True


def test_rac_treats_restarting_all_containers_reason_as_restartable():
    c = container("a", restartPolicy="Never")
    p = pod(
        [c], statuses=[terminated("a", 1, reason="RestartingAllContainers")], restart_policy="Never"
    )
    gates = {**CRR, **RAC}
    assert pod_phase(p, feature_gates=gates) == "Running"
    assert pod_phase(p, feature_gates=CRR) == "Failed"


def test_rac_rule_restarts_a_never_container():
    # Upstream's "regular container triggers RestartAllContainers": a Never container exiting 42.
    c = container(
        "a",
        restartPolicy="Never",
        restartPolicyRules=[
            {"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [42]}}
        ],
    )
    p = pod([c], statuses=[terminated("a", 42)], restart_policy="Never")
    assert pod_phase(p, feature_gates={**CRR, **RAC}) == "Running"


# ---- 1.4 terminal is sticky


def test_api_phase_keeps_a_terminal_api_phase():
    p = pod([container("a")], statuses=[running("a")], phase="Failed")
    assert pod_phase(p) == "Running"
    assert api_pod_phase(p) == "Failed"


def test_api_phase_prefers_cached_terminal_phase():
    p = pod([container("a")], statuses=[running("a")], phase="Running")
    assert api_pod_phase(p, old_status={"phase": "Succeeded"}) == "Succeeded"
    assert api_pod_phase(p) == "Running"


def test_api_phase_refuses_a_transition_away_from_a_terminal_api_phase():
    p = pod(
        [container("a")], statuses=[terminated("a", 1)], restart_policy="Never", phase="Succeeded"
    )
    assert pod_phase(p) == "Failed"
    assert api_pod_phase(p) == "Succeeded"


# ---- input errors


def test_bad_shapes_raise_input_error_with_path():
    with pytest.raises(InputError, match=r"spec\.containers: must be a list"):
        pod_phase({"spec": {"containers": "web"}})
    with pytest.raises(InputError, match=r"unknown feature gate 'Nope'"):
        pod_phase(pod([]), feature_gates={"Nope": True})
    with pytest.raises(InputError, match=r"exitCode: must be an integer"):
        pod_phase(
            pod(
                [container("a")],
                statuses=[{"name": "a", "state": {"terminated": {"exitCode": "x"}}}],
            )
        )
