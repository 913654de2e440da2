"""Pod conditions, row by row: k8s-semantics.md section 2."""

from __future__ import annotations

import pytest

from kmodel.semantics.pods import (
    container_state_transition_allowed,
    merge_pod_status,
    pod_conditions,
)
from tests.helpers.pods import container, pod, running, sidecar, terminated, waiting

RAC = {"RestartAllContainersOnContainerExits": True}


def by_type(conditions):
    return {c["type"]: c for c in conditions}


def cond(conditions, type_):
    c = by_type(conditions)[type_]
    return (c["status"], c["reason"], c["message"])


def test_order_and_kubelet_owned_set():
    conditions = pod_conditions(pod([container("a")], statuses=[running("a", ready=True)]))
    assert [c["type"] for c in conditions] == [
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert cond(conditions, "PodScheduled") == ("True", "", "")
    gated = pod_conditions(
        pod([container("a")], statuses=[running("a", ready=True)]),
        feature_gates={"PodReadyToStartContainersCondition": True},
    )
    assert gated[0]["type"] == "PodReadyToStartContainers"


# ---- 2.1 ContainersReady


def test_containers_ready_row_1_nil_statuses():
    conditions = pod_conditions(pod([container("a")]), phase="Pending")
    assert cond(conditions, "ContainersReady") == ("False", "UnknownContainerStatuses", "")
    assert cond(conditions, "Ready") == ("False", "UnknownContainerStatuses", "")


def test_containers_ready_empty_list_is_not_nil():
    conditions = pod_conditions(pod([container("a")], statuses=[]), phase="Pending")
    assert cond(conditions, "ContainersReady") == (
        "False",
        "ContainersNotReady",
        "containers with unknown status: [a]",
    )


def test_init_status_list_alone_makes_statuses_non_nil():
    p = pod([container("a")], init=[], init_statuses=[])
    assert cond(pod_conditions(p, phase="Pending"), "ContainersReady")[1] == "ContainersNotReady"


def test_containers_ready_row_2_succeeded():
    p = pod([container("a")], statuses=[terminated("a", 0)], restart_policy="Never")
    assert cond(pod_conditions(p, phase="Succeeded"), "ContainersReady") == (
        "False",
        "PodCompleted",
        "",
    )


def test_containers_ready_row_2_needs_no_unknown_containers():
    p = pod([container("a"), container("b")], statuses=[terminated("a", 0)], restart_policy="Never")
    assert cond(pod_conditions(p, phase="Succeeded"), "ContainersReady") == (
        "False",
        "ContainersNotReady",
        "containers with unknown status: [b], containers with unready status: [a]",
    )


def test_containers_ready_row_3_failed_even_with_unknown():
    p = pod([container("a"), container("b")], statuses=[terminated("a", 1)], restart_policy="Never")
    assert cond(pod_conditions(p, phase="Failed"), "ContainersReady") == ("False", "PodFailed", "")
    assert cond(pod_conditions(p, phase="Failed"), "Ready") == ("False", "PodFailed", "")


def test_containers_ready_row_4_lists_sidecars_then_containers_and_skips_init():
    p = pod(
        [container("web"), container("log"), container("ok")],
        init=[container("setup"), sidecar("proxy"), sidecar("mesh")],
        init_statuses=[terminated("setup", 0), running("proxy", started=True)],
        statuses=[running("web"), running("ok", ready=True)],
    )
    conditions = pod_conditions(p, phase="Running")
    assert cond(conditions, "ContainersReady") == (
        "False",
        "ContainersNotReady",
        "containers with unknown status: [mesh log], containers with unready status: [proxy web]",
    )
    assert cond(conditions, "Ready") == cond(conditions, "ContainersReady")


def test_containers_ready_row_4_only_unready_part():
    p = pod([container("a"), container("b")], statuses=[running("a"), running("b")])
    assert cond(pod_conditions(p, phase="Running"), "ContainersReady")[2] == (
        "containers with unready status: [a b]"
    )


def test_containers_ready_row_5_true():
    p = pod(
        [container("a")],
        init=[sidecar("s")],
        init_statuses=[running("s", ready=True, started=True)],
        statuses=[running("a", ready=True)],
    )
    conditions = pod_conditions(p, phase="Running")
    assert cond(conditions, "ContainersReady") == ("True", "", "")
    assert cond(conditions, "Ready") == ("True", "", "")


# ---- 2.2 Ready and readiness gates


def test_readiness_gate_missing_and_not_true():
    p = pod(
        [container("a")],
        statuses=[running("a", ready=True)],
        readiness_gates=["example.com/lb", "example.com/dns", "example.com/ok"],
        conditions=[
            {"type": "example.com/dns", "status": "False"},
            {"type": "example.com/ok", "status": "True"},
        ],
    )
    assert cond(pod_conditions(p, phase="Running"), "Ready") == (
        "False",
        "ReadinessGatesNotReady",
        (
            'corresponding condition of pod readiness gate "example.com/lb" does not exist., '
            'the status of pod readiness gate "example.com/dns" is not "True", but False'
        ),
    )
    # ContainersReady is not affected by gates.
    assert cond(pod_conditions(p, phase="Running"), "ContainersReady") == ("True", "", "")


def test_readiness_gates_all_true():
    p = pod(
        [container("a")],
        statuses=[running("a", ready=True)],
        readiness_gates=["g"],
        conditions=[{"type": "g", "status": "True"}],
    )
    assert cond(pod_conditions(p, phase="Running"), "Ready") == ("True", "", "")


def test_readiness_gate_unknown_status_and_quoting():
    p = pod(
        [container("a")],
        statuses=[running("a", ready=True)],
        readiness_gates=['we"ird'],
        conditions=[{"type": 'we"ird', "status": "Unknown"}],
    )
    assert cond(pod_conditions(p, phase="Running"), "Ready")[2] == (
        'the status of pod readiness gate "we\\"ird" is not "True", but Unknown'
    )


def test_readiness_gate_ignores_stale_kubelet_owned_conditions_in_the_api():
    # A gate on a kubelet-owned type sees the freshly generated condition, not the API's old one.
    p = pod(
        [container("a")],
        init=[container("i")],
        statuses=[running("a", ready=True)],
        init_statuses=[terminated("i", 0)],
        readiness_gates=["Initialized"],
        conditions=[{"type": "Initialized", "status": "False"}],
    )
    assert cond(pod_conditions(p, phase="Running"), "Ready") == ("True", "", "")


# ---- 2.3 Initialized


def test_initialized_row_1_nil_statuses_with_init_containers():
    p = pod([container("a")], init=[container("i")])
    assert cond(pod_conditions(p, phase="Pending"), "Initialized") == (
        "False",
        "UnknownContainerStatuses",
        "",
    )


def test_initialized_nil_statuses_without_init_containers_is_true():
    assert cond(pod_conditions(pod([container("a")]), phase="Pending"), "Initialized") == (
        "True",
        "",
        "",
    )


def test_initialized_row_2_succeeded():
    p = pod(
        [container("a")],
        init=[container("i")],
        init_statuses=[terminated("i", 0)],
        statuses=[terminated("a", 0)],
        restart_policy="Never",
    )
    assert cond(pod_conditions(p, phase="Succeeded"), "Initialized") == ("True", "PodCompleted", "")


def test_initialized_row_3_regular_container_started():
    # A sidecar restarting after the pod initialized does not make it uninitialized.
    p = pod(
        [container("a")],
        init=[sidecar("s")],
        init_statuses=[waiting("s", last_exit=1)],
        statuses=[running("a")],
    )
    assert cond(pod_conditions(p, phase="Running"), "Initialized") == ("True", "", "")
    p = pod(
        [container("a")],
        init=[container("i")],
        init_statuses=[],
        statuses=[terminated("a", 1)],
        restart_policy="OnFailure",
    )
    assert cond(pod_conditions(p, phase="Running"), "Initialized") == ("True", "", "")


def test_initialized_row_4_lists():
    p = pod(
        [container("a")],
        init=[
            container("done"),
            container("busy"),
            sidecar("slow"),
            sidecar("up"),
            container("later"),
        ],
        init_statuses=[
            {**terminated("done", 0), "ready": True},
            running("busy"),
            running("slow", started=False),
            running("up", started=True),
        ],
        statuses=[waiting("a", reason="PodInitializing")],
    )
    assert cond(pod_conditions(p, phase="Pending"), "Initialized") == (
        "False",
        "ContainersNotInitialized",
        "containers with unknown status: [later], containers with incomplete status: [busy slow]",
    )


def test_initialized_row_4_rac_keeps_an_old_true():
    p = pod(
        [container("a")],
        init=[container("i")],
        init_statuses=[running("i")],
        statuses=[waiting("a")],
        conditions=[{"type": "Initialized", "status": "True"}],
    )
    assert cond(pod_conditions(p, phase="Pending"), "Initialized")[0] == "False"
    assert cond(pod_conditions(p, phase="Pending", feature_gates=RAC), "Initialized") == (
        "True",
        "",
        "",
    )


def test_initialized_row_5_all_complete():
    p = pod(
        [container("a")],
        init=[container("i"), sidecar("s")],
        init_statuses=[{**terminated("i", 0), "ready": True}, running("s", started=True)],
        statuses=[waiting("a")],
    )
    assert cond(pod_conditions(p, phase="Pending"), "Initialized") == ("True", "", "")


# ---- 2.4 other kubelet conditions


@pytest.mark.parametrize(
    ("status_fields", "host_network", "expected"),
    [
        ({"podIP": "10.0.0.5"}, False, "True"),
        ({}, False, "False"),
        ({"hostIP": "192.0.2.1"}, True, "True"),
        ({}, True, "False"),
    ],
)
def test_pod_ready_to_start_containers(status_fields, host_network, expected):
    p = pod([container("a")], statuses=[running("a")])
    p["status"].update(status_fields)
    p["spec"]["hostNetwork"] = host_network
    gates = {"PodReadyToStartContainersCondition": True}
    assert (
        cond(pod_conditions(p, phase="Running", feature_gates=gates), "PodReadyToStartContainers")[
            0
        ]
        == expected
    )


def rac_pod(status, phase_policy="Never"):
    c = container(
        "a",
        restartPolicy="Never",
        restartPolicyRules=[
            {"action": "RestartAllContainers", "exitCodes": {"operator": "In", "values": [42]}}
        ],
    )
    return pod([c, container("b")], statuses=status, restart_policy=phase_policy)


def test_all_containers_restarting_only_with_gate_and_rule():
    p = rac_pod([terminated("a", 42), running("b")])
    assert "AllContainersRestarting" not in by_type(pod_conditions(p, phase="Running"))
    plain = pod([container("a")], statuses=[running("a")])
    assert "AllContainersRestarting" not in by_type(
        pod_conditions(plain, phase="Running", feature_gates=RAC)
    )


@pytest.mark.parametrize(
    ("statuses", "phase", "expected"),
    [
        ([terminated("a", 42), running("b")], "Succeeded", ("False", "PodCompleted", "")),
        ([terminated("a", 42), running("b")], "Failed", ("False", "PodFailed", "")),
        ([terminated("a", 1), running("b")], "Running", ("False", "", "")),
        ([terminated("a", 42), terminated("b", 0)], "Running", ("False", "", "")),
        (
            [terminated("a", 42), running("b")],
            "Running",
            ("True", "RestartAllContainersStarted", "container exited with restart policy rule"),
        ),
    ],
)
def test_all_containers_restarting_rows(statuses, phase, expected):
    conditions = pod_conditions(rac_pod(statuses), phase=phase, feature_gates=RAC)
    assert conditions[-1]["type"] == "AllContainersRestarting"
    assert cond(conditions, "AllContainersRestarting") == expected


def test_phase_defaults_to_the_sticky_api_phase():
    p = pod([container("a")], statuses=[running("a", ready=True)], phase="Failed")
    assert cond(pod_conditions(p), "Ready") == ("False", "PodFailed", "")


# ---- 2.5 ownership and merging


def test_merge_keeps_foreign_conditions_and_replaces_owned_ones():
    old = {
        "phase": "Running",
        "conditions": [
            {"type": "Ready", "status": "False"},
            {"type": "example.com/gate", "status": "True"},
        ],
    }
    new = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    merged = merge_pod_status(old, new, could_have_running_containers=True)
    assert merged["conditions"] == [
        {"type": "example.com/gate", "status": "True"},
        {"type": "Ready", "status": "True"},
    ]


def test_merge_holds_back_terminal_phase_while_containers_could_run():
    old = {"phase": "Running", "reason": "", "conditions": []}
    new = {
        "phase": "Failed",
        "reason": "Evicted",
        "message": "node low on memory",
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet"},
        ],
    }
    held = merge_pod_status(old, new, could_have_running_containers=True)
    assert held["phase"] == "Running"
    assert "message" not in held
    assert [c["type"] for c in held["conditions"]] == ["Ready"]
    assert held["conditions"][0]["status"] == "True"

    done = merge_pod_status(old, new, could_have_running_containers=False)
    assert done["phase"] == "Failed"
    assert done["reason"] == "Evicted"
    types = by_type(done["conditions"])
    assert types["DisruptionTarget"]["reason"] == "TerminationByKubelet"
    assert (types["Ready"]["status"], types["Ready"]["reason"]) == ("False", "PodFailed")
    assert (types["ContainersReady"]["status"], types["ContainersReady"]["reason"]) == (
        "False",
        "PodFailed",
    )


def test_merge_terminal_succeeded_forces_ready_false_with_pod_completed():
    old = {"phase": "Succeeded", "conditions": []}
    new = {"phase": "Succeeded", "conditions": [{"type": "ContainersReady", "status": "True"}]}
    merged = merge_pod_status(old, new, could_have_running_containers=False)
    assert by_type(merged["conditions"])["ContainersReady"]["reason"] == "PodCompleted"
    assert by_type(merged["conditions"])["Ready"]["reason"] == "PodCompleted"


def test_merge_copies_resource_claim_statuses_from_old():
    old = {"phase": "Running", "resourceClaimStatuses": [{"name": "gpu"}]}
    new = {"phase": "Running", "resourceClaimStatuses": [{"name": "other"}]}
    assert merge_pod_status(old, new, could_have_running_containers=True)[
        "resourceClaimStatuses"
    ] == [{"name": "gpu"}]
    assert "resourceClaimStatuses" not in merge_pod_status(
        {}, new, could_have_running_containers=True
    )


@pytest.mark.parametrize(
    ("policy", "old", "new", "container_fields", "is_init", "gates", "allowed"),
    [
        ("Always", terminated("a", 0), running("a"), {}, False, None, True),
        ("Never", terminated("a", 0), running("a"), {}, False, None, False),
        ("Never", terminated("a", 1), waiting("a"), {}, False, None, False),
        ("OnFailure", terminated("a", 1), running("a"), {}, False, None, True),
        ("OnFailure", terminated("a", 0), running("a"), {}, False, None, False),
        ("Never", terminated("a", 1), running("a"), {"restartPolicy": "Always"}, True, None, True),
        ("Never", running("a"), terminated("a", 1), {}, False, None, True),
        ("Never", terminated("a", 0), terminated("a", 1), {}, False, None, True),
        (
            "Never",
            terminated("a", 5),
            running("a"),
            {"restartPolicy": "OnFailure"},
            False,
            {"ContainerRestartRules": True},
            True,
        ),
    ],
)
def test_container_state_transition_guard(
    policy, old, new, container_fields, is_init, gates, allowed
):
    result = container_state_transition_allowed(
        {"restartPolicy": policy},
        container("a", **container_fields),
        old,
        new,
        is_init_container=is_init,
        feature_gates=gates,
    )
    assert result is allowed
