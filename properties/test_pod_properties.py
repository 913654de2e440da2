"""Cross-checks of the kubelet pod semantics over generated pods (k8s-semantics.md sections 1-3)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kmodel.semantics.containers import BackOffPolicy, restart_backoff
from kmodel.semantics.pods import api_pod_phase, pod_conditions, pod_phase

NAMES = ["a", "b", "c", "d", "e", "f"]


def status_for(name: str):
    running = st.builds(
        lambda ready, started: {
            "name": name,
            "state": {"running": {}},
            "ready": ready,
            **({} if started is None else {"started": started}),
        },
        st.booleans(),
        st.none() | st.booleans(),
    )
    terminated = st.builds(
        lambda code, ready: {
            "name": name,
            "state": {"terminated": {"exitCode": code}},
            "ready": ready,
        },
        st.sampled_from([0, 1, 137]),
        st.booleans(),
    )
    waiting = st.builds(
        lambda last: {
            "name": name,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "ready": False,
            **({} if last is None else {"lastState": {"terminated": {"exitCode": last}}}),
        },
        st.none() | st.sampled_from([0, 1]),
    )
    no_state = st.just({"name": name, "state": {}, "ready": False})
    return st.one_of(running, terminated, waiting, no_state)


@st.composite
def pods(draw):
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, min_size=0, max_size=5))
    split = draw(st.integers(0, len(names)))
    init_names, regular_names = names[:split], names[split:]
    init = [
        {"name": n, **({"restartPolicy": "Always"} if draw(st.booleans()) else {})}
        for n in init_names
    ]
    regular = [{"name": n} for n in regular_names]
    status = {}
    for key, group in (("initContainerStatuses", init_names), ("containerStatuses", regular_names)):
        if draw(st.booleans()):
            status[key] = [draw(status_for(n)) for n in group if draw(st.integers(0, 4))]
    gates = draw(st.lists(st.sampled_from(["g1", "g2"]), unique=True, max_size=2))
    conditions = [
        {"type": g, "status": draw(st.sampled_from(["True", "False"]))}
        for g in gates
        if draw(st.booleans())
    ]
    if conditions:
        status["conditions"] = conditions
    spec = {
        "containers": regular,
        "restartPolicy": draw(st.sampled_from(["Always", "OnFailure", "Never"])),
    }
    if init:
        spec["initContainers"] = init
    if gates:
        spec["readinessGates"] = [{"conditionType": g} for g in gates]
    return {"metadata": {"name": "p"}, "spec": spec, "status": status}


def regular_statuses(pod):
    statuses = pod["status"].get("containerStatuses", []) + pod["status"].get(
        "initContainerStatuses", []
    )
    return [
        next((s for s in statuses if s["name"] == c["name"]), None)
        for c in pod["spec"]["containers"]
    ]


def by_type(conditions):
    return {c["type"]: c for c in conditions}


@given(pods())
def test_phase_is_one_of_the_four_the_kubelet_computes(pod):
    assert pod_phase(pod) in {"Pending", "Running", "Succeeded", "Failed"}


@given(pods())
def test_succeeded_means_every_regular_container_exited_zero(pod):
    if pod_phase(pod) == "Succeeded":
        assert pod["spec"]["restartPolicy"] != "Always"
        for status in regular_statuses(pod):
            assert status is not None
            assert status["state"].get("terminated", {}).get("exitCode") == 0


@given(pods())
def test_failed_without_terminal_pod_needs_restart_policy_never(pod):
    if pod_phase(pod) == "Failed":
        assert pod["spec"]["restartPolicy"] == "Never"


def status_of(pod, name):
    statuses = pod["status"].get("containerStatuses", []) + pod["status"].get(
        "initContainerStatuses", []
    )
    return next((s for s in statuses if s["name"] == name), None)


@given(pods())
def test_a_terminal_pod_with_everything_stopped_is_succeeded_or_failed(pod):
    # Row 4a: once the pod worker is done, restart policy no longer matters.
    init_done = all(
        c.get("restartPolicy") == "Always"
        or (status_of(pod, c["name"]) or {}).get("state", {}).get("terminated", {}).get("exitCode")
        == 0
        for c in pod["spec"].get("initContainers", [])
    )
    # A sidecar counts only while running, waiting for its first start, or unknown.
    sidecars_quiet = all(
        (status := status_of(pod, c["name"])) is not None
        and ("terminated" in status["state"] or "lastState" in status)
        for c in pod["spec"].get("initContainers", [])
        if c.get("restartPolicy") == "Always"
    )
    statuses = regular_statuses(pod)
    all_terminated = bool(statuses) and all(
        s is not None and "terminated" in s["state"] for s in statuses
    )
    if init_done and sidecars_quiet and all_terminated:
        expected = (
            "Succeeded"
            if all(s["state"]["terminated"]["exitCode"] == 0 for s in statuses)
            else "Failed"
        )
        assert pod_phase(pod, pod_is_terminal=True) == expected


@given(pods(), st.sampled_from(["Pending", "Running", "Succeeded", "Failed"]))
def test_terminal_phase_never_has_ready_true(pod, phase):
    conditions = by_type(pod_conditions(pod, phase=phase))
    if phase in {"Succeeded", "Failed"}:
        assert conditions["Ready"]["status"] == "False"
        assert conditions["ContainersReady"]["status"] == "False"


@given(pods())
def test_ready_implies_containers_ready_and_gates(pod):
    conditions = by_type(pod_conditions(pod))
    if conditions["Ready"]["status"] == "True":
        assert conditions["ContainersReady"]["status"] == "True"
        present = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
        for gate in pod["spec"].get("readinessGates", []):
            assert present.get(gate["conditionType"]) == "True"
    if conditions["ContainersReady"]["status"] != "True":
        assert conditions["Ready"]["reason"] == conditions["ContainersReady"]["reason"]


@given(pods())
def test_every_condition_is_well_formed_and_in_kubelet_order(pod):
    conditions = pod_conditions(pod)
    assert [c["type"] for c in conditions] == [
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    for c in conditions:
        assert c["status"] in {"True", "False"}
        assert (c["status"] == "True") <= (c["message"] == "")


@given(pods(), st.sampled_from(["Succeeded", "Failed"]))
def test_terminal_api_phase_is_sticky(pod, terminal):
    pod["status"]["phase"] = terminal
    assert api_pod_phase(pod) == terminal


@given(st.lists(st.integers(0, 900), min_size=1, max_size=30))
def test_back_off_delays_stay_within_bounds_and_only_grow_until_reset(run_times):
    policy = BackOffPolicy()
    entry = None
    now = 0
    previous = 0
    for run_for in run_times:
        finished = now + run_for
        now = finished
        while True:
            decision = restart_backoff(entry, finished_at=finished, now=now, policy=policy)
            if decision.start:
                break
            assert decision.reason == "CrashLoopBackOff"
            now += 1
        entry = decision.entry
        assert entry is not None
        assert policy.initial <= entry.backoff <= policy.maximum
        assert entry.backoff >= previous or entry.backoff == policy.initial
        previous = entry.backoff
