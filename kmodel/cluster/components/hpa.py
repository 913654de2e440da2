"""The HorizontalPodAutoscaler controller and the load it reads (autoscaling/v2).

Mirrors ``pkg/controller/podautoscaler/horizontal.go`` ``reconcileAutoscaler`` and
``computeReplicasForMetrics``: every sync period (15 s of the logical clock) each HPA reads its
target's scale (a Deployment's ``spec.replicas`` and selector), asks the metrics for a replica
count per metric (:mod:`kmodel.semantics.hpa`), takes the highest, stabilizes and limits it,
writes ``spec.replicas`` back (the scale subresource: only that field, with optimistic
concurrency) and updates the HPA's status and conditions.

Metrics are the model's stand-in for metrics-server and the custom/external metrics APIs: a
:class:`Load` per HPA, given by the spec. A Running pod whose node is up and reachable reports a
sample; Ready pods share the load (or each report the per-pod value), unready ones report 0.
Object and External metrics read the total. The recent recommendations and scale events live in
the controller's memory, so a controller restart forgets them, as upstream's does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.model import Cluster
from kmodel.objects.defaults import set_defaults_horizontal_pod_autoscaler as set_defaults
from kmodel.objects.fields import int_at, list_at, mapping_at, read_path, str_at
from kmodel.objects.labels import labels_of, selector_matches
from kmodel.objects.quantity import milli_value, parse_quantity
from kmodel.semantics import hpa as sem
from kmodel.semantics.replicaset import is_pod_ready

__all__ = [
    "Load",
    "SyncHorizontalPodAutoscaler",
    "hpa_actions",
    "hpa_key",
    "load_value",
]

_COMPONENT: Final = "hpa"


@dataclass(frozen=True)
class Load:
    """What an HPA's metrics read over the logical clock (a spec input).

    Attributes:
        points: (from second, milli-value) steps, sorted; the last one at or before now holds.
        spread: the value is the total over the target's Ready pods (each gets an equal share,
            so per-pod load falls as the autoscaler scales out); otherwise each Ready pod reports
            the value itself.
    """

    points: tuple[tuple[int, int], ...]
    spread: bool = True

    def at(self, now: int) -> int:
        """The value in force at ``now`` (0 before the first point)."""
        current = 0
        for start, value in self.points:
            if start <= now:
                current = value
        return current


def hpa_key(namespace: str, name: str) -> str:
    """The key loads are given under: ``namespace/name``."""
    return f"{namespace}/{name}"


def load_value(cluster: Cluster, key: str) -> tuple[int, bool] | None:
    """The load now for an HPA, a user-chosen level overriding the spec's series."""
    chosen = cluster.memory.setdefault("load", {}).get(key)
    given = cluster.config.loads.get(key)
    spread = True if given is None else given.spread
    if chosen is not None:
        return int(chosen), spread
    if given is None:
        return None
    return given.at(cluster.now), spread


def _pod_samples(
    cluster: Cluster, pods: Sequence[Mapping[str, Any]], load: tuple[int, bool] | None
) -> dict[str, int]:
    """Per-pod metric samples: Running pods on up, reachable nodes; Ready ones share the load."""
    reporting = []
    for pod in pods:
        machine = cluster.machines.get(str_at(pod, "spec.nodeName"))
        if str_at(pod, "status.phase") != "Running" or machine is None:
            continue
        if not machine.up or machine.partitioned:
            continue
        reporting.append(pod)
    ready = [p for p in reporting if is_pod_ready(p)]
    value, spread = load if load is not None else (0, True)
    share = value // len(ready) if spread and ready else value
    return {p["metadata"]["name"]: (share if p in ready else 0) for p in reporting}


def _request(pod: Mapping[str, Any], resource: str) -> int | None:
    """``calculatePodRequests``: the sum of the containers' requests (None if one has none)."""
    total = 0
    for container in list_at(pod, "spec.containers"):
        requests = mapping_at(container, "resources.requests")
        if resource not in requests:
            return None
        total += milli_value(parse_quantity(requests[resource]))
    return total


def _sample(pod: Mapping[str, Any], resource: str) -> sem.PodSample:
    status = mapping_at(pod, "status")
    ready = next((c for c in list_at(status, "conditions") if c.get("type") == "Ready"), None)
    return sem.PodSample(
        name=pod["metadata"]["name"],
        phase=str(status.get("phase", "Pending")),
        deleting=pod["metadata"].get("deletionTimestamp") is not None,
        ready=None if ready is None else ready.get("status") == "True",
        ready_transition=int((ready or {}).get("lastTransitionTime") or 0),
        start_time=status.get("startTime"),
        request=_request(pod, resource) if resource else None,
    )


def _quantity(milli: int) -> str:
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


@dataclass
class _Metric:
    """One metric's proposal, or the condition its failure sets."""

    replicas: int = -1
    name: str = ""
    status: dict[str, Any] | None = None
    failure: tuple[str, str] | None = None


_FAILED_REASON: Final = {
    "Resource": "FailedGetResourceMetric",
    "Pods": "FailedGetPodsMetric",
    "Object": "FailedGetObjectMetric",
    "External": "FailedGetExternalMetric",
    "ContainerResource": "FailedGetContainerResourceMetric",
}


def _compute_for_metric(  # upstream's computeReplicasForMetric inputs
    cluster: Cluster,
    metric: Mapping[str, Any],
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Mapping[str, Any]],
    load: tuple[int, bool] | None,
) -> _Metric:
    """``computeReplicasForMetric`` for one metric spec."""
    kind = str(metric.get("type"))
    source = mapping_at(metric, {"Resource": "resource", "Pods": "pods"}.get(kind, kind.lower()))
    try:
        if kind == "ContainerResource":
            message = "kmodel does not model ContainerResource metrics"
            raise sem.ReplicaCalculationError(message)  # noqa: TRY301
        if load is None:
            message = "no load is given for this HPA"
            raise sem.ReplicaCalculationError(message)  # noqa: TRY301
        if kind in {"Resource", "Pods"}:
            return _pod_metric(
                cluster, kind, source, spec_replicas=spec_replicas, pods=pods, load=load
            )
        return _total_metric(
            kind,
            source,
            spec_replicas=spec_replicas,
            status_replicas=status_replicas,
            pods=pods,
            load=load,
        )
    except sem.ReplicaCalculationError as error:
        return _Metric(
            failure=(
                _FAILED_REASON.get(kind, "InvalidMetricSourceType"),
                f"the HPA was unable to compute the replica count: {error}",
            )
        )


def _pod_metric(
    cluster: Cluster,
    kind: str,
    source: Mapping[str, Any],
    *,
    spec_replicas: int,
    pods: Sequence[Mapping[str, Any]],
    load: tuple[int, bool],
) -> _Metric:
    """A Resource or Pods metric: ``GetResourceReplicas`` or ``GetMetricReplicas``."""
    target = mapping_at(source, "target")
    resource = str(source.get("name", "")) if kind == "Resource" else ""
    samples = _pod_samples(cluster, pods, load)
    pod_samples = [_sample(p, resource) for p in pods]
    if kind == "Resource" and target.get("type") == "Utilization":
        replicas, utilization, raw = sem.get_resource_replicas(
            spec_replicas,
            int(target["averageUtilization"]),
            pod_samples,
            samples,
            cpu=resource == "cpu",
            now=cluster.now,
        )
        current = {"averageUtilization": utilization, "averageValue": _quantity(raw)}
        name = f"{resource} resource utilization (percentage of request)"
    else:
        replicas, average = sem.calc_plain_metric_replicas(
            spec_replicas,
            milli_value(parse_quantity(target["averageValue"])),
            pod_samples,
            samples,
            cpu=resource == "cpu",
            now=cluster.now,
        )
        current = {"averageValue": _quantity(average)}
        metric_name = str_at(source, "metric.name")
        name = f"{resource} resource" if kind == "Resource" else f"pods metric {metric_name}"
    body = {"name": resource} if kind == "Resource" else {"metric": source.get("metric")}
    return _Metric(replicas, name, {"type": kind, kind.lower(): {**body, "current": current}})


def _total_metric(
    kind: str,
    source: Mapping[str, Any],
    *,
    spec_replicas: int,
    status_replicas: int,
    pods: Sequence[Mapping[str, Any]],
    load: tuple[int, bool],
) -> _Metric:
    """An Object or External metric: ``GetObjectPerPodMetricReplicas`` or the usage ratio."""
    target = mapping_at(source, "target")
    value, spread = load
    total = value if spread else value * sum(1 for p in pods if is_pod_ready(p))
    metric_name = str_at(source, "metric.name")
    if target.get("type") == "AverageValue":
        replicas, average = sem.get_object_per_pod_metric_replicas(
            status_replicas, milli_value(parse_quantity(target["averageValue"])), total
        )
        current = {"averageValue": _quantity(average)}
    else:
        wanted = milli_value(parse_quantity(target["value"]))
        ready = sum(1 for p in pods if str_at(p, "status.phase") == "Running" and is_pod_ready(p))
        replicas = sem.get_usage_ratio_replica_count(spec_replicas, total / wanted, ready)
        current = {"value": _quantity(total)}
    if kind == "Object":
        name = f"{mapping_at(source, 'describedObject').get('kind')} metric {metric_name}"
    else:
        name = f"external metric {metric_name}"
    status = {"type": kind, kind.lower(): {"metric": source.get("metric"), "current": current}}
    return _Metric(replicas, name, status)


def _set_condition(
    conditions: list[dict[str, Any]], kind: str, status: str, reason: str, message: str, *, now: int
) -> None:
    """``setCondition``: replace one condition, keeping its transition time if status holds."""
    for i, condition in enumerate(conditions):
        if condition["type"] == kind:
            since = condition["lastTransitionTime"] if condition["status"] == status else now
            conditions[i] = {
                "type": kind,
                "status": status,
                "lastTransitionTime": since,
                "reason": reason,
                "message": message,
            }
            return
    conditions.append(
        {
            "type": kind,
            "status": status,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
    )


def _longest_period(rules: sem.ScalingRules) -> int:
    """``getLongestPolicyPeriod``."""
    return max((period for _, _, period in rules.policies), default=0)


def _scaling_active(
    proposals: Sequence[_Metric], current: int, conditions: list[dict[str, Any]], *, now: int
) -> int | None:
    """The metrics' replica count (the highest valid proposal), with ScalingActive set.

    As ``computeReplicasForMetrics`` and ``reconcileAutoscaler``: when every metric failed, or
    one failed and the others propose fewer than ``current`` replicas, the first failure's
    condition is set and the answer is None (no rescale).
    """
    best = 0
    best_name = ""
    for proposal in proposals:
        if proposal.failure is None and (best == 0 or proposal.replicas > best):
            best, best_name = proposal.replicas, proposal.name
    failures = [p.failure for p in proposals if p.failure is not None]
    if len(failures) >= len(proposals) or (failures and best < current):
        reason, message = failures[0]
        _set_condition(conditions, "ScalingActive", "False", reason, message, now=now)
        return None
    _set_condition(
        conditions,
        "ScalingActive",
        "True",
        "ValidMetricFound",
        f"the HPA was able to successfully calculate a replica count from {best_name}",
        now=now,
    )
    return best


@register
@dataclass(frozen=True)
class SyncHorizontalPodAutoscaler(Action):
    """The HPA controller reconciles one HPA (``reconcileAutoscaler``)."""

    name: ClassVar[str] = "hpa-sync"
    namespace: str
    hpa: str

    def describe(self) -> str:
        """In words."""
        return f"HPA controller syncs {self.namespace}/{self.hpa}"

    def apply(self, cluster: Cluster) -> None:  # upstream's flow
        """Read the scale and metrics, decide, write the scale and the status."""
        stored = cluster.view(_COMPONENT).get(("HorizontalPodAutoscaler", self.namespace, self.hpa))
        if stored is None:
            return
        spec = set_defaults(stored)["spec"]
        memory = cluster.memory[_COMPONENT].setdefault(
            stored["metadata"]["uid"],
            {"recommendations": (), "up": (), "down": (), "synced": None},
        )
        memory["synced"] = cluster.now
        now = cluster.now
        conditions = [dict(c) for c in list_at(stored, "status.conditions")]
        status: dict[str, Any] = dict(mapping_at(stored, "status"))
        target = self._scale_target(cluster, spec, conditions)
        if target is None:
            status["conditions"] = conditions
            self._write_status(cluster, stored, status)
            return
        current = int_at(target, "spec.replicas", default=1)
        if not memory["recommendations"]:
            # recordInitialRecommendation
            memory["recommendations"] = (sem.Recommendation(current, now),)
        min_replicas = int(spec.get("minReplicas", 1))
        max_replicas = int(spec["maxReplicas"])
        metric_statuses: list[dict[str, Any]] = []
        rescale = True
        desired = 0
        if current == 0 and min_replicas != 0:
            desired, rescale = 0, False
            _set_condition(
                conditions,
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
                now=now,
            )
        elif current > max_replicas:
            desired = max_replicas
        elif current < min_replicas:
            desired = min_replicas
        else:
            proposals = self._proposals(cluster, spec, target, current)
            metric_statuses = [p.status for p in proposals if p.status is not None]
            best = _scaling_active(proposals, current, conditions, now=now)
            if best is None:
                status.update(currentReplicas=current, currentMetrics=metric_statuses or None)
                status["conditions"] = conditions
                self._write_status(cluster, stored, status)
                return
            desired = self._stabilized_and_limited(
                memory,
                spec.get("behavior"),
                conditions,
                current=current,
                desired=max(desired, best),
                bounds=(min_replicas, max_replicas),
                now=now,
            )
            rescale = desired != current
        if rescale:
            if not self._rescale(cluster, target, desired, conditions):
                status["conditions"] = conditions
                self._write_status(cluster, stored, status)
                return
            self._store_scale_event(memory, spec.get("behavior"), current, desired, now)
            status["lastScaleTime"] = now
        else:
            desired = current
        status.update(
            currentReplicas=current,
            desiredReplicas=desired,
            currentMetrics=metric_statuses or None,
            conditions=conditions,
        )
        self._write_status(cluster, stored, status)

    def _scale_target(
        self, cluster: Cluster, spec: Mapping[str, Any], conditions: list[dict[str, Any]]
    ) -> Mapping[str, Any] | None:
        """The target's scale (its Deployment), with the AbleToScale condition it sets."""
        ref = mapping_at(spec, "scaleTargetRef")
        target = (
            cluster.store.get(("Deployment", self.namespace, str(ref.get("name"))))
            if ref.get("kind") == "Deployment"
            else None
        )
        if target is None:
            _set_condition(
                conditions,
                "AbleToScale",
                "False",
                "FailedGetScale",
                "the HPA controller was unable to get the target's current scale: "
                f'{str(ref.get("kind", "")).lower()}s "{ref.get("name")}" not found',
                now=cluster.now,
            )
            return None
        _set_condition(
            conditions,
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
            now=cluster.now,
        )
        return target

    def _proposals(
        self,
        cluster: Cluster,
        spec: Mapping[str, Any],
        target: Mapping[str, Any],
        current: int,
    ) -> list[_Metric]:
        """``computeReplicasForMetrics``: each metric's proposal over the target's pods."""
        selector = read_path(target, "spec.selector")
        pods = [
            p
            for p in cluster.view(_COMPONENT).list_objects("Pod", namespace=self.namespace)
            if selector_matches(selector, labels_of(p))
        ]
        load = load_value(cluster, hpa_key(self.namespace, self.hpa))
        status_replicas = int_at(target, "status.replicas")
        return [
            _compute_for_metric(
                cluster,
                metric,
                spec_replicas=current,
                status_replicas=status_replicas,
                pods=pods,
                load=load,
            )
            for metric in spec["metrics"]
        ]

    @staticmethod
    def _stabilized_and_limited(
        memory: dict[str, Any],
        behavior: Mapping[str, Any] | None,
        conditions: list[dict[str, Any]],
        *,
        current: int,
        desired: int,
        bounds: tuple[int, int],
        now: int,
    ) -> int:
        """``normalizeDesiredReplicas[WithBehaviors]``: stabilize, then limit (bounds, rates).

        Sets the AbleToScale and ScalingLimited conditions; the recommendations are kept in
        ``memory``; ``bounds`` are minReplicas and maxReplicas.
        """
        min_replicas, max_replicas = bounds
        if behavior is None:
            stabilized, memory["recommendations"] = sem.stabilize_recommendation(
                memory["recommendations"], desired, now=now
            )
            able = sem.stabilized_reason(stabilized, desired)
            limited = sem.convert_desired_replicas_with_rules(
                current, stabilized, min_replicas, max_replicas
            )
        else:
            up = sem.ScalingRules.of(behavior["scaleUp"])
            down = sem.ScalingRules.of(behavior["scaleDown"])
            stabilized, memory["recommendations"] = sem.stabilize_recommendation_with_behaviors(
                memory["recommendations"],
                current=current,
                desired=desired,
                up=up,
                down=down,
                now=now,
            )
            able = sem.stabilized_reason(stabilized, desired)
            limited = sem.convert_desired_replicas_with_behavior_rate(
                current=current,
                desired=stabilized,
                min_replicas=min_replicas,
                max_replicas=max_replicas,
                up=up,
                down=down,
                up_events=memory["up"],
                down_events=memory["down"],
                now=now,
            )
        _set_condition(conditions, "AbleToScale", "True", able.reason, able.message, now=now)
        _set_condition(
            conditions,
            "ScalingLimited",
            "False" if limited.replicas == stabilized else "True",
            limited.reason,
            limited.message,
            now=now,
        )
        return limited.replicas

    @staticmethod
    def _rescale(
        cluster: Cluster,
        target: Mapping[str, Any],
        desired: int,
        conditions: list[dict[str, Any]],
    ) -> bool:
        """Write the target's ``spec.replicas`` (the scale subresource); whether it was written."""
        body = copy.deepcopy(dict(target))
        body["spec"]["replicas"] = desired
        if cluster.update(body) is None:
            _set_condition(
                conditions,
                "AbleToScale",
                "False",
                "FailedUpdateScale",
                "the HPA controller was unable to update the target scale",
                now=cluster.now,
            )
            return False
        _set_condition(
            conditions,
            "AbleToScale",
            "True",
            "SucceededRescale",
            f"the HPA controller was able to update the target scale to {desired}",
            now=cluster.now,
        )
        return True

    @staticmethod
    def _store_scale_event(
        memory: dict[str, Any],
        behavior: Mapping[str, Any] | None,
        previous: int,
        new: int,
        now: int,
    ) -> None:
        """``storeScaleEvent``: only HPAs with a ``behavior`` keep scale events."""
        if behavior is None:
            return
        if new > previous:
            rules = sem.ScalingRules.of(behavior["scaleUp"])
            memory["up"] = sem.store_scale_event(
                memory["up"], change=new - previous, longest_period=_longest_period(rules), now=now
            )
        else:
            rules = sem.ScalingRules.of(behavior["scaleDown"])
            memory["down"] = sem.store_scale_event(
                memory["down"],
                change=previous - new,
                longest_period=_longest_period(rules),
                now=now,
            )

    @staticmethod
    def _write_status(
        cluster: Cluster, stored: Mapping[str, Any], status: Mapping[str, Any]
    ) -> None:
        """``updateStatusIfNeeded``: write only a changed status."""
        clean = {k: v for k, v in status.items() if v is not None}
        current = cluster.store.get(("HorizontalPodAutoscaler", *_name(stored)))
        if current is None or current.get("status") == clean:
            return
        cluster.update({**current, "status": clean})


def _name(obj: Mapping[str, Any]) -> tuple[str, str]:
    return obj["metadata"]["namespace"], obj["metadata"]["name"]


def hpa_actions(cluster: Cluster) -> list[Action]:
    """HPA syncs that are due: each HPA once per sync period of the logical clock."""
    view = cluster.view(_COMPONENT)
    memory = cluster.memory[_COMPONENT]
    actions: list[Action] = []
    for hpa in view.list_objects("HorizontalPodAutoscaler"):
        synced = (memory.get(hpa["metadata"]["uid"]) or {}).get("synced")
        if synced is None or cluster.now - synced >= sem.SYNC_PERIOD:
            actions.append(SyncHorizontalPodAutoscaler(*_name(hpa)))
    return actions
