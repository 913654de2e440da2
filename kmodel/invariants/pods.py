"""Invariants guarding pods on nodes: kubelet status, pod GC, volume zones, lost nodes, taints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kmodel.cluster.informer import kubelet_informer_name
from kmodel.cluster.model import Cluster, Program, Step
from kmodel.invariants.base import (
    CLOCK,
    History,
    Invariant,
    Violation,
    _acted_by,
    _conditions,
    _live,
    _name,
    _pods,
    _term_matches,
    _tolerates,
)
from kmodel.objects.labels import labels_of


def _is_sidecar(container: Mapping[str, Any]) -> bool:
    """An init container with ``restartPolicy: Always`` (a sidecar: it keeps running)."""
    return container.get("restartPolicy") == "Always"


def _statuses(pod: Mapping[str, Any], field_name: str) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("name")): s for s in (pod.get("status") or {}).get(field_name) or []}


def _terminated(status: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return ((status or {}).get("state") or {}).get("terminated")


class PodPhaseConsistent(Invariant):
    """A pod's phase agrees with its containers' exits and its restart policy.

    Upstream promises (``kubelet_pods.go getPhase``, ``kuberuntime_manager.go
    computePodActions`` with ``ShouldContainerBeRestarted``; the pod lifecycle documentation):
    a pod is Succeeded only when every regular container terminated with exit code 0; under
    ``restartPolicy: Never`` no container (regular or regular init) is ever restarted; under
    ``OnFailure`` (and for regular init containers under ``Always``) a container is restarted
    only after it failed, so a restarted one's last termination has a non-zero exit code.
    """

    name = "pod_phase_consistent"
    description = "phase and restarts follow container exits and the restart policy"
    precondition = "a pod Succeeded, or a container of a pod restarting only on failure exited"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every pod (once per stored version)."""
        return self.judge_each(
            history,
            _pods(cluster),
            lambda pod: cluster.derive("pod-phase-consistent", pod, _phase_problems),
            noun="pod",
        )


def _phase_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`PodPhaseConsistent` for one pod, and whether it was exercised."""
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy") or "Always"
    phase = (pod.get("status") or {}).get("phase")
    regular = _statuses(pod, "containerStatuses")
    init = _statuses(pod, "initContainerStatuses")
    problems: list[str] = []
    exercised = phase == "Succeeded"
    if phase == "Succeeded":
        for container in spec.get("containers") or []:
            terminated = _terminated(regular.get(container.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"Succeeded but container {container.get('name')} did not exit 0 "
                    f"(state {(regular.get(container.get('name')) or {}).get('state')})"
                )
    # getPhase: with no container left to run (Never, or OnFailure after exits 0) the phase the
    # kubelet writes with these statuses is terminal, in the same status update.
    ended = [_terminated(regular.get(c.get("name"))) for c in spec.get("containers") or []]
    done = bool(ended) and all(
        t is not None and (policy == "Never" or t.get("exitCode") == 0) for t in ended
    )
    if policy != "Always" and done and phase in {"Pending", "Running"}:
        problems.append(
            f"{phase} although every container has exited for good (restartPolicy {policy})"
        )
    checked = [(c, regular.get(c.get("name")), policy) for c in spec.get("containers") or []]
    checked += [
        (c, init.get(c.get("name")), "Never" if policy == "Never" else "OnFailure")
        for c in spec.get("initContainers") or []
        if not _is_sidecar(c)
    ]
    for container, status, effective in checked:
        if effective == "Always" or status is None:
            continue
        if _terminated(status) is not None or status.get("lastState"):
            exercised = True
        restarts = int(status.get("restartCount") or 0)
        if restarts and effective == "Never":
            problems.append(
                f"container {container.get('name')} restarted {restarts} times under "
                "restartPolicy Never"
            )
        last = _terminated(status.get("lastState"))
        if restarts and effective == "OnFailure" and last is not None and last.get("exitCode") == 0:
            problems.append(
                f"container {container.get('name')} restarted after exiting 0 "
                f"(restartPolicy {policy})"
            )
    return tuple(problems), exercised


class InitContainersFirst(Invariant):
    """Regular containers start only after every (non-sidecar) init container completed.

    Upstream promises it (``kuberuntime_manager.go computePodActions`` /
    ``computeInitContainerActions``; the init-containers documentation: "each init container
    must complete successfully before the next one starts", and app containers start after
    all of them): while a regular container runs, each regular init container's status shows
    it terminated with exit code 0; while an init container runs, so do those before it.
    """

    name = "init_containers_first"
    description = "regular containers start only after every init container completed"
    precondition = "a pod with init containers ran a regular container"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every pod with init containers."""
        return self.judge_each(
            history,
            _pods(cluster),
            lambda pod: cluster.derive("init-containers-first", pod, _init_problems),
            noun="pod",
        )


def _init_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`InitContainersFirst` for one pod, and whether it was exercised.

    Only containers running now are judged: after a sandbox is recreated (a rebooted node)
    the init containers run again while the regular ones keep the state of their last run.
    """
    spec = pod.get("spec") or {}
    inits = [c for c in spec.get("initContainers") or [] if not _is_sidecar(c)]
    if not inits:
        return (), False
    statuses = _statuses(pod, "initContainerStatuses")

    def running(status: Mapping[str, Any] | None) -> bool:
        return ((status or {}).get("state") or {}).get("running") is not None

    problems = []
    exercised = False
    for index, container in enumerate(inits):
        if not running(statuses.get(container.get("name"))):
            continue
        for before in inits[:index]:
            terminated = _terminated(statuses.get(before.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"init container {container.get('name')} runs before init container "
                    f"{before.get('name')} completed"
                )
    for name, status in _statuses(pod, "containerStatuses").items():
        if not running(status):
            continue
        exercised = True
        for container in inits:
            terminated = _terminated(statuses.get(container.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"container {name} runs before init container {container.get('name')} completed"
                )
    return tuple(problems), exercised


class PodReadyConsistent(Invariant):
    """A pod is Ready only when every container is ready and every readiness gate holds.

    Upstream promises it (``pkg/kubelet/status/generate.go GeneratePodReadyCondition`` and
    ``GenerateContainersReadyCondition``; the pod readiness-gate documentation): ``Ready=True``
    needs every regular container and every sidecar ready, and each ``readinessGates``
    condition present with status True; a terminal pod is never Ready.
    """

    name = "pod_ready_consistent"
    description = "Ready only when every container is ready and the readiness gates hold"
    precondition = "a pod was Ready"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every Ready pod."""
        return self.judge_each(
            history,
            _pods(cluster),
            lambda pod: cluster.derive("pod-ready-consistent", pod, _ready_problems),
            noun="pod",
        )


def _ready_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`PodReadyConsistent` for one pod, and whether it was exercised."""
    conditions = _conditions(pod)
    if conditions.get("Ready") != "True":
        return (), False
    spec = pod.get("spec") or {}
    problems = []
    phase = (pod.get("status") or {}).get("phase")
    if phase in {"Succeeded", "Failed"}:
        problems.append(f"Ready but its phase is {phase}")
    regular = _statuses(pod, "containerStatuses")
    init = _statuses(pod, "initContainerStatuses")
    wanted = [(c, regular) for c in spec.get("containers") or []]
    wanted += [(c, init) for c in spec.get("initContainers") or [] if _is_sidecar(c)]
    for container, statuses in wanted:
        status = statuses.get(container.get("name")) or {}
        if status.get("ready") is not True:
            problems.append(f"Ready but container {container.get('name')} is not ready")
    for gate in spec.get("readinessGates") or []:
        kind = gate.get("conditionType")
        if conditions.get(str(kind)) != "True":
            problems.append(
                f"Ready but readiness gate {kind} is {conditions.get(str(kind), 'absent')}"
            )
    return tuple(problems), True


class ContainerExitRecorded(Invariant):
    """A container whose status stops showing it running shows how that run ended.

    Upstream promises it (``pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses``): an
    exited run is shown as ``state.terminated``, moved to ``lastState`` while the container
    waits to start again; a container that was Running and that the runtime no longer reports
    (a rebooted node) is shown waiting with ``lastState.terminated`` reason
    ``ContainerStatusUnknown`` and exit code 137. So when a container status goes from running
    to waiting, its ``lastState.terminated`` is set.
    """

    name = "container_exit_recorded"
    description = "a container that stops running shows how its run ended (lastState)"
    precondition = "a container status went from running to waiting"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each pod's container states with those of its previous version.

        Idempotent (the monitor may judge the same versions twice): a pod's previous version
        moves on only when its resourceVersion does.
        """
        pods = _pods(cluster)
        seen = history.running_containers

        def judge(pod: Mapping[str, Any]) -> tuple[list[str], bool]:
            metadata = pod["metadata"]
            uid, version = str(metadata.get("uid")), str(metadata.get("resourceVersion"))
            judged, before, now = seen.get(uid, ("", frozenset(), frozenset()))
            if judged != version:  # a new version: the one judged last is now the one before
                before = now
            running: set[str] = set()
            problems: list[str] = []
            exercised = False
            for prefix, field_name in (
                ("init:", "initContainerStatuses"),
                ("", "containerStatuses"),
            ):
                for name, status in _statuses(pod, field_name).items():
                    state = status.get("state") or {}
                    if state.get("running") is not None:
                        running.add(prefix + name)
                    elif prefix + name in before and state.get("waiting") is not None:
                        exercised = True
                        if ((status.get("lastState") or {}).get("terminated")) is None:
                            problems.append(
                                f"container {name} went from running to waiting without "
                                "lastState.terminated"
                            )
            seen[uid] = (version, before, frozenset(running))
            return problems, exercised

        return self.judge_each(history, pods, judge, noun="pod")


class PodGcSafe(Invariant):
    """Pod GC never deletes a pod that may still run on a live node.

    Upstream promises it (``pkg/controller/podgc/gc_controller.go``): the collector deletes
    terminated pods (``gcTerminated``), pods whose node is gone (``gcOrphaned``, after
    confirming the Node is absent), terminating pods on a node tainted
    ``node.kubernetes.io/out-of-service`` (``gcTerminating``) and unscheduled terminating pods
    (``gcUnscheduledTerminating``). A pod it deletes is one of those: never a live pod bound
    to an existing Node without the out-of-service taint.
    """

    name = "pod_gc_safe"
    description = "pod GC never deletes a pod running on a live node"
    precondition = "pod GC deleted a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each pod the step's pod GC deleted by its last state."""
        if step is None or step.action.name != "podgc":
            return []
        deleted = {
            (c.namespace, c.name) for c in step.changes if c.kind == "Pod" and c.type == "DELETED"
        }
        violations: list[Violation] = []
        # The deleting write is among the step's last few events (podgc deletes one pod).
        for event in reversed(cluster.store.log[-8:]):
            namespace, name = event.key[1], event.key[2]
            if event.type != "DELETED" or event.key[0] != "Pod" or (namespace, name) not in deleted:
                continue
            deleted.discard((namespace, name))
            history.met.add(self.name)
            pod = event.object
            node_name = (pod.get("spec") or {}).get("nodeName")
            node = cluster.store.get(("Node", "", str(node_name))) if node_name else None
            if node is None or not _live(pod):
                continue
            out_of_service = any(
                t.get("key") == "node.kubernetes.io/out-of-service"
                for t in (node.get("spec") or {}).get("taints") or []
            )
            if pod["metadata"].get("deletionTimestamp") is not None and out_of_service:
                continue
            violations.append(
                self.violation(
                    f"pod GC deleted pod {namespace}/{name}, live on existing node {node_name}",
                    pod=f"{namespace}/{name}",
                    node=node_name,
                )
            )
        return violations


class OrphanedPodsCollected(Invariant):
    """At rest, no pod is bound to a node that no longer exists.

    Upstream promises it (``pkg/controller/podgc/gc_controller.go gcOrphaned``): the pod
    garbage collector deletes every pod whose ``spec.nodeName`` names a Node that is gone (once
    a quarantine confirms the Node is absent), whatever the pod's phase and whether it is
    terminating or not; nothing else would, as no kubelet is left to confirm its end.
    """

    name = "orphaned_pods_collected"
    kind = "eventual"
    description = "pod GC deletes the pods of nodes that are gone"
    precondition = "a Node was deleted"
    reads = frozenset({"Pod", "Node"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Every stored pod's node, if it names one, exists."""
        nodes = {n["metadata"]["name"] for n in cluster.store.list_objects("Node")}
        if any(e.type == "DELETED" and e.key[0] == "Node" for e in cluster.store.log):
            history.met.add(self.name)
        return [
            self.violation(
                f"pod {_name(pod)} is still bound to node {node_name}, which is gone",
                pod=_name(pod),
                node=node_name,
            )
            for pod in _pods(cluster)
            if (node_name := (pod.get("spec") or {}).get("nodeName")) and node_name not in nodes
        ]


class OrphansStopped(Invariant):
    """At rest, no kubelet runs the containers of a pod that is gone from the API.

    Upstream promises it (``kubelet_pods.go HandlePodCleanups``, run every housekeeping period,
    and ``HandlePodRemoves`` on its watch's delete): the kubelet kills the containers of every
    pod its API source no longer lists; static pods run from its own manifests and stay. Judged
    where the kubelet can know: on running machines that reach the API and whose pod watch
    neither lags nor lost an event since its last list (a dropped delete is only repaired by a
    relist).
    """

    name = "orphans_stopped"
    kind = "eventual"
    description = "kubelets stop the containers of pods gone from the API"
    precondition = "a bound pod left the API without a graceful deletion"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each judged machine's running pods with the API's pods bound to it."""
        if any(
            event.type == "DELETED"
            and event.key[0] == "Pod"
            and (event.object.get("spec") or {}).get("nodeName")
            and "deletionGracePeriodSeconds" not in event.object["metadata"]
            for event in cluster.store.log
        ):
            history.met.add(self.name)
        bound = {
            (str((p.get("spec") or {}).get("nodeName")), p["metadata"]["uid"])
            for p in _pods(cluster)
        }
        violations: list[Violation] = []
        for name in sorted(cluster.machines):
            machine = cluster.machines[name]
            informer = cluster.informers.get(kubelet_informer_name(name))
            if not machine.up or machine.partitioned or informer is None:
                continue
            if informer.lagging or informer.dropped:
                continue
            violations.extend(
                self.violation(
                    f"kubelet on {name} still runs {', '.join(runtime.running())} of pod "
                    f"{runtime.namespace}/{runtime.name} (UID {runtime.uid}), gone from the API",
                    node=name,
                    pod=f"{runtime.namespace}/{runtime.name}",
                    uid=runtime.uid,
                )
                for runtime in machine.pods.values()
                if not runtime.static and runtime.running() and (name, runtime.uid) not in bound
            )
        return violations


class RestartCountMonotonic(Invariant):
    """A regular container's ``restartCount`` never goes down for the same pod.

    Upstream promises it (``kuberuntime_container.go startContainer``: a container starts with
    its newest record's count + 1, or without a record the count its log directory gives,
    ``calcRestartCountByLogDir``; ``kubelet_pods.go convertToAPIContainerStatuses`` reports
    the newest record's count, or carries the previous status's count over, + 1 for a
    container that vanished while running). The container runtime keeps a pod's exited
    containers across a kubelet restart and a machine reboot, so the count of a pod's regular
    container only grows while the pod (its UID) lives. Init containers are left out: when the
    sandbox is recreated (``SyncPod``) ``purgeInitContainers`` removes them with their logs,
    and they count from 0 again. Stated from the pods' statuses over time.
    """

    name = "restart_count_monotonic"
    description = "a regular container's restartCount never decreases for the same pod UID"
    precondition = "a regular container restarted"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each regular container's count with the highest one its pod showed."""

        def judge(pod: Mapping[str, Any]) -> tuple[list[str], bool]:
            highest = history.restart_counts.setdefault(pod["metadata"]["uid"], {})
            problems: list[str] = []
            for container in (pod.get("spec") or {}).get("containers") or []:
                name = str(container.get("name"))
                status = _statuses(pod, "containerStatuses").get(name)
                if status is None:
                    continue
                count = int(status.get("restartCount") or 0)
                before = highest.get(name, 0)
                if count < before:
                    problems.append(
                        f"container {name}'s restartCount went down from {before} to {count}"
                    )
                highest[name] = max(before, count)
            return problems, any(highest.values())

        return self.judge_each(history, _pods(cluster), judge, noun="pod")


#: ``SetDefaults_Probe`` (pkg/apis/core/v1/defaults.go): a probe's period and failure threshold.
_PROBE_PERIOD_DEFAULT = 10
_PROBE_FAILURE_THRESHOLD_DEFAULT = 3


class ReadinessKeptUntilFailures(Invariant):
    """A Ready container turns unready only after ``failureThreshold`` failed readiness probes.

    Upstream promises it (``prober/worker.go doProbe``: a Failure replaces the worker's Success
    only once ``resultRun`` reaches ``failureThreshold``; probes run every ``periodSeconds`` and
    a result is known when the probe returns). So a container run that was Ready is reported
    unready, while it still runs, no sooner than ``failureThreshold - 1`` periods plus one
    probe's duration after its readiness endpoint began failing, and never while the endpoint
    still passes. Stated from the pods' statuses over time, the container's ``readinessProbe``
    and what its image's program answers (``unreadyAfter``, ``probeSeconds``).
    """

    name = "readiness_kept_until_failures"
    description = "a Ready container turns unready only after failureThreshold failed probes"
    precondition = "a Ready container turned unready while running"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each running container's readiness against when its probes began failing."""

        def judge(pod: Mapping[str, Any]) -> tuple[list[str], bool]:
            problems: list[str] = []
            exercised = False
            statuses = _statuses(pod, "containerStatuses")
            for container in (pod.get("spec") or {}).get("containers") or []:
                name = str(container.get("name"))
                status = statuses.get(name) or {}
                running = (status.get("state") or {}).get("running")
                probe = container.get("readinessProbe")
                if running is None or not probe:
                    continue
                run = (str(pod["metadata"]["uid"]), name, str(running.get("startedAt")))
                if status.get("ready"):
                    history.ready_runs.add(run)
                    continue
                if run not in history.ready_runs:
                    continue
                exercised = True
                seen = history.unready_since.setdefault(run, cluster.now)
                problem = _unready_too_soon(
                    probe, cluster.config.program(str(container.get("image", ""))), running, seen
                )
                if problem:
                    problems.append(f"container {name} {problem}")
            return problems, exercised

        return self.judge_each(history, _pods(cluster), judge, noun="pod")


def _unready_too_soon(
    probe: Mapping[str, Any], program: Program, running: Mapping[str, Any], seen: int
) -> str:
    """Why a run seen unready at ``seen`` turned so too soon ("" when it did not)."""
    if program.unready_after is None:
        return f"turned unready at {seen} s while its readiness endpoint passes"
    period = int(probe.get("periodSeconds") or _PROBE_PERIOD_DEFAULT)
    threshold = int(probe.get("failureThreshold") or _PROBE_FAILURE_THRESHOLD_DEFAULT)
    failing_from = int(running.get("startedAt") or 0) + program.unready_after
    earliest = failing_from + (threshold - 1) * period + program.probe_seconds
    if seen < earliest:
        return (
            f"turned unready at {seen} s: its readiness endpoint fails from {failing_from} s, "
            f"so {threshold} failed probes {period} s apart, each taking "
            f"{program.probe_seconds} s, end no sooner than {earliest} s"
        )
    return ""


_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


class PodMountsResolve(Invariant):
    """Every volume a pod's containers mount is one of the pod's volumes.

    Upstream's API server refuses any other pod (``pkg/apis/core/validation``
    ``ValidateVolumeMounts`` / ``ValidateVolumeDevices``: a ``volumeMounts`` or
    ``volumeDevices`` entry whose ``name`` is not in ``spec.volumes`` is "Not found"), so no
    stored pod has one, whoever created it: a controller's pods carry their template's volumes
    (``GetPodFromTemplate``; a StatefulSet's ``updateStorage`` adds a claim volume per
    claim template and keeps the template's other volumes).
    """

    name = "pod_mounts_resolve"
    description = "every volume a container mounts is one of its pod's volumes"
    precondition = "a pod's container mounted a volume"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every pod (once per stored version)."""
        return self.judge_each(
            history,
            _pods(cluster),
            lambda pod: cluster.derive("pod-mounts-resolve", pod, _mount_problems),
            noun="pod",
        )


def _mount_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    spec = pod.get("spec") or {}
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    problems: list[str] = []
    mounted = False
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(field) or []:
            for key in ("volumeMounts", "volumeDevices"):
                for mount in container.get(key) or []:
                    mounted = True
                    if mount.get("name") not in volumes:
                        problems.append(
                            f"container {container.get('name')} mounts volume "
                            f"{mount.get('name')!r}, which the pod does not have"
                        )
    return tuple(problems), mounted


class VolumeZoneMatches(Invariant):
    """A bound PV's zone and node affinity admit the node of every pod that uses it.

    Upstream promises it (``volumebinding`` and ``volumezone`` Filter plugins; the
    persistent-volumes documentation on node affinity): a pod using a claim bound to a volume
    runs only on a node that the volume's ``nodeAffinity`` required terms select and whose
    zone label is among the volume's zone labels (a ``__``-separated set).
    """

    name = "volume_zone_matches"
    description = "every pod using a bound PV runs on a node in the PV's zone"
    precondition = "a pod using a bound volume got a node"
    reads = frozenset({"Pod", "Node", "PersistentVolumeClaim", "PersistentVolume"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check each bound pod's claims."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            node_name = (pod.get("spec") or {}).get("nodeName")
            if not node_name or not _live(pod):
                continue
            claims = [
                (v.get("persistentVolumeClaim") or {}).get("claimName")
                for v in (pod.get("spec") or {}).get("volumes") or []
                if v.get("persistentVolumeClaim")
            ]
            node = cluster.store.get(("Node", "", str(node_name)))
            if not claims or node is None:
                continue
            labels = labels_of(node)
            for claim_name in claims:
                claim = cluster.store.get(
                    ("PersistentVolumeClaim", pod["metadata"]["namespace"], str(claim_name))
                )
                volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
                volume = cluster.store.get(("PersistentVolume", "", str(volume_name)))
                if volume is None:
                    continue
                history.met.add(self.name)
                problem = _volume_mismatch(volume, labels)
                if problem:
                    violations.append(
                        self.violation(
                            f"pod {_name(pod)} on node {node_name} uses volume "
                            f"{volume['metadata']['name']}: {problem}",
                            pod=_name(pod),
                            node=node_name,
                            volume=volume["metadata"]["name"],
                        )
                    )
        return violations


def _volume_mismatch(volume: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Why a node's labels are outside a volume's zone or node affinity ("" when inside)."""
    volume_labels = labels_of(volume)
    for key in _ZONE_LABELS:
        if key in volume_labels and labels.get(key) not in volume_labels[key].split("__"):
            return f"{key} {labels.get(key)!r} is not in {volume_labels[key]!r}"
    required = (((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")) or {}
    terms = required.get("nodeSelectorTerms") or []
    if terms and not any(_term_matches(term, labels) for term in terms):
        return "no nodeAffinity term selects the node"
    return ""


class LostNodePodsNotReady(Invariant):
    """Once the node lifecycle controller ran, a node without heartbeats and its pods are not Ready.

    Upstream promises it (``node_lifecycle_controller.go monitorNodeHealth`` with
    ``tryUpdateNodeHealth`` and ``MarkPodsNotReady``): a node whose last heartbeat is older
    than ``--node-monitor-grace-period`` gets ``Ready=Unknown``, and every pod bound to it gets
    ``Ready=False``. Judged right after the controller checked the node (later, a healed
    kubelet may report its pods before its node, as upstream).
    """

    name = "lost_node_pods_not_ready"
    description = "pods on a node without heartbeats are not Ready after node lifecycle ran"
    precondition = "the node lifecycle controller checked a node whose heartbeat was too old"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """After each node-health step, judge the node it checked."""
        if step is None or step.action.name != "node-health" or not step.changes:
            return []  # only a check whose writes went through (not one without quorum)
        node_name = str(getattr(step.action, "node", ""))
        node = cluster.store.get(("Node", "", node_name))
        if node is None:
            return []
        ready = next(
            (
                c
                for c in (node.get("status") or {}).get("conditions") or []
                if c.get("type") == "Ready"
            ),
            None,
        )
        if ready is None or ready.get("lastHeartbeatTime") is None:
            return []
        stale = (
            int(ready["lastHeartbeatTime"]) + cluster.config.node_monitor_grace_period < cluster.now
        )
        if not stale and ready.get("status") != "Unknown":
            return []
        history.met.add(self.name)
        violations = []
        if ready.get("status") == "True":
            violations.append(
                self.violation(
                    f"node {node_name} is Ready with its last heartbeat at "
                    f"{ready['lastHeartbeatTime']} (now {cluster.now})",
                    node=node_name,
                )
            )
        for pod in _pods(cluster):
            if (pod.get("spec") or {}).get("nodeName") != node_name or not _live(pod):
                continue
            if _conditions(pod).get("Ready") == "True":
                violations.append(
                    self.violation(
                        f"pod {_name(pod)} on node {node_name} (no heartbeat) is still Ready",
                        pod=_name(pod),
                        node=node_name,
                    )
                )
        return violations


def _toleration_seconds(
    tolerations: Sequence[Mapping[str, Any]], taint: Mapping[str, Any]
) -> int | None:
    """How long a pod may stay once the NoExecute ``taint`` is added; None: as long as it stays.

    Upstream's rule (``taint_eviction.go processPodOnNode``, ``getMinTolerationTime``): no
    matching toleration, 0 (evicted at once); a matching one without ``tolerationSeconds``,
    forever; else the smallest ``tolerationSeconds`` of those that match, a negative one as 0.
    """
    seconds = [t.get("tolerationSeconds") for t in tolerations if _tolerates(t, taint)]
    if any(s is None for s in seconds):
        return None
    return min((max(int(s), 0) for s in seconds if s is not None), default=0)


class TaintEvictionTiming(Invariant):
    """Taint eviction deletes a pod only once a NoExecute taint is no longer tolerated.

    Upstream promises it (``pkg/controller/tainteviction/taint_eviction.go``
    ``processPodOnNode`` and ``getMinTolerationTime``; the taints-and-tolerations
    documentation): a pod is deleted at once for a NoExecute taint it does not tolerate, after
    the smallest ``tolerationSeconds`` of the matching tolerations since the taint came, and
    never for a taint a toleration without ``tolerationSeconds`` matches. Upstream keeps a
    scheduled eviction while the node's NoExecute taints change (one swapped for another) and
    cancels it only once they are gone, which may race with the eviction itself: a taint counts
    from the earliest ``timeAdded`` of its key since the node last had no NoExecute taint, and
    the taints of that spell still count at the step they are removed. Judged on each eviction
    (the "never before" half; a pod left past its time shows in ``eventually_stable``).
    """

    name = "taint_eviction_timing"
    description = "NoExecute taints evict no pod before its tolerationSeconds"
    precondition = "taint eviction deleted a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Follow each node's NoExecute taints; judge the pod each taint-evict step deleted."""
        spells, ended = history.noexecute_taints, history.noexecute_ended
        for node in cluster.store.list_objects("Node"):
            name = node["metadata"]["name"]
            taints = [
                t
                for t in (node.get("spec") or {}).get("taints") or []
                if t.get("effect") == "NoExecute"
            ]
            if not taints:
                ended.add(name)  # the spell is kept: an eviction may race with its end
                continue
            if name in ended:
                ended.discard(name)
                spells.pop(name, None)
            spell = spells.setdefault(name, {})
            for taint in taints:
                added = int(taint.get("timeAdded") or 0)
                held = (str(taint.get("key") or ""), str(taint.get("value") or ""))
                spell[held] = min(spell.get(held, added), added)
        if step is None or step.action.name != "taint-evict":
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        name = str(getattr(step.action, "pod", ""))
        pod = cluster.store.get(("Pod", namespace, name))
        if pod is None or not any(c.kind == "Pod" and c.name == name for c in step.changes):
            return []
        history.met.add(self.name)
        spell = spells.get(str((pod.get("spec") or {}).get("nodeName")), {})
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        for (taint_key, value), added in spell.items():
            taint = {"key": taint_key, "value": value, "effect": "NoExecute"}
            seconds = _toleration_seconds(tolerations, taint)
            if seconds is not None and cluster.now >= added + seconds:
                return []
        return [
            self.violation(
                f"taint eviction deleted pod {namespace}/{name} before any NoExecute taint's "
                f"tolerationSeconds ran out (now {cluster.now})",
                pod=f"{namespace}/{name}",
            )
        ]


class TaintEvictionsDone(Invariant):
    """At rest, no pod stays on a node whose NoExecute taint it no longer tolerates.

    Upstream promises it (``pkg/controller/tainteviction/taint_eviction.go
    processPodOnNode``, ``getMinTolerationTime``; the taints-and-tolerations documentation):
    a pod bound to a node with a NoExecute taint that none of its tolerations matches is
    deleted at once, and one whose matching tolerations all carry ``tolerationSeconds`` is
    deleted once the smallest of them has passed since the taint came (``timeAdded``); only a
    matching toleration without ``tolerationSeconds`` keeps it there. The "not before" half is
    ``taint_eviction_timing``; this is the "and then it is gone" half, judged once the
    components settled (settling lets the clock run past the default 300 s tolerations), on
    the tolerations that ran out before settling's last clock tick.
    """

    name = "taint_evictions_done"
    kind = "eventual"
    description = "pods whose NoExecute taints ran out are evicted"
    precondition = "a node had a NoExecute taint at rest"
    reads = frozenset({"Pod", "Node", CLOCK})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge every pod not being deleted against its node's NoExecute taints."""
        tainted = {
            node["metadata"]["name"]: taints
            for node in cluster.store.list_objects("Node")
            if (
                taints := [
                    t
                    for t in (node.get("spec") or {}).get("taints") or []
                    if t.get("effect") == "NoExecute"
                ]
            )
        }
        if tainted:
            history.met.add(self.name)
        violations: list[Violation] = []
        for pod in _pods(cluster):
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name not in tainted or pod["metadata"].get("deletionTimestamp") is not None:
                continue
            tolerations = (pod.get("spec") or {}).get("tolerations") or []
            for taint in tainted[node_name]:
                seconds = _toleration_seconds(tolerations, taint)
                if seconds is None:
                    continue
                due = int(taint.get("timeAdded") or 0) + seconds
                if _acted_by(cluster) >= due:
                    violations.append(
                        self.violation(
                            f"pod {_name(pod)} is still on node {node_name}, whose NoExecute "
                            f"taint {taint.get('key')} it tolerates until {due} "
                            f"(now {cluster.now})"
                            if any(_tolerates(t, taint) for t in tolerations)
                            else f"pod {_name(pod)} is still on node {node_name}, whose "
                            f"NoExecute taint {taint.get('key')} it does not tolerate",
                            pod=_name(pod),
                            node=node_name,
                            taint=str(taint.get("key")),
                        )
                    )
                    break
        return violations


class RestartsAfterExit(Invariant):
    """A container is started again only after its previous instance terminated.

    Upstream promises it (``kuberuntime_manager.go computePodActions``: a container is
    restarted only once it exited, init containers one at a time after the one before exited
    0; ``kubelet_pods.go convertToAPIContainerStatuses``: ``lastState`` is the previous
    instance, which the kubelet ended before starting the next): a container status's
    ``lastState``, when set, is ``terminated``, never ``running`` or ``waiting``.
    """

    name = "restarts_after_exit"
    description = "a container restarts only after its previous instance terminated"
    precondition = "a container was restarted"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the last state of every container status of every pod."""

        def judge(pod: Mapping[str, Any]) -> tuple[list[str], bool]:
            statuses = [
                s
                for field_name in ("initContainerStatuses", "containerStatuses")
                for s in (pod.get("status") or {}).get(field_name) or []
            ]
            problems = [
                f"container {s.get('name')} was started again while its previous instance was "
                f"still {', '.join(sorted(s['lastState']))} (restartCount {s.get('restartCount')})"
                for s in statuses
                if s.get("lastState") and "terminated" not in s["lastState"]
            ]
            return problems, any(int(s.get("restartCount") or 0) > 0 for s in statuses)

        return self.judge_each(history, _pods(cluster), judge, noun="pod")
