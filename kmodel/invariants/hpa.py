"""Invariants guarding HorizontalPodAutoscalers: bounds and scale-down stabilization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import History, Invariant, Violation, _name


def _hpa_rescales(
    cluster: Cluster, history: History, owner: str
) -> list[tuple[Mapping[str, Any], int, int]]:
    """HPAs whose status says they rescaled their target now: (hpa, from, to), once per owner.

    Each invariant (``owner``) keeps its own record in ``history.hpa_scales``.
    """
    found = []
    for hpa in cluster.store.list_objects("HorizontalPodAutoscaler"):
        status = hpa.get("status") or {}
        at = status.get("lastScaleTime")
        if at is None or at != cluster.now:
            continue
        seen = history.hpa_scales.setdefault(f"{owner}:{_name(hpa)}", [])
        record = (at, int(status.get("currentReplicas", 0)), int(status.get("desiredReplicas", 0)))
        if record not in seen:
            seen.append(record)
            found.append((hpa, record[1], record[2]))
    return found


class HpaWithinBounds(Invariant):
    """Every rescale by a HorizontalPodAutoscaler lands within its min and max replicas.

    ``reconcileAutoscaler`` clamps a target above ``maxReplicas`` or below ``minReplicas`` into
    the range and limits every metric-driven count to it; a target at zero is left alone.
    """

    name = "hpa_within_bounds"
    description = "an HPA never scales its target outside [minReplicas, maxReplicas]"
    precondition = "an HPA rescaled its target"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each new rescale in the HPAs' status with their spec."""
        violations = []
        for hpa, _, to in _hpa_rescales(cluster, history, self.name):
            history.met.add(self.name)
            spec = hpa.get("spec") or {}
            low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 0))
            if not low <= to <= high:
                violations.append(
                    self.violation(
                        f"HPA {_name(hpa)} scaled its target to {to}, outside [{low}, {high}]",
                        hpa=_name(hpa),
                        replicas=to,
                        min=low,
                        max=high,
                    )
                )
        return violations


class HpaNoFlapping(Invariant):
    """No HPA scale-down below a count it scaled up to within its scale-down stabilization window.

    A scale-up to N records a recommendation of at least N; while it is inside the window
    (``behavior.scaleDown.stabilizationWindowSeconds``, 300 s by default and without
    ``behavior``) the stabilized count never drops below N unless the target was already
    below N or above ``maxReplicas``.
    """

    name = "hpa_no_flapping"
    description = "no HPA scale-down within the stabilization window of a higher scale-up"
    precondition = "an HPA scaled its target down"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Each new scale-down against the scale-ups still inside the window."""
        violations = []
        for hpa, start, to in _hpa_rescales(cluster, history, self.name):
            if to >= start:
                continue
            history.met.add(self.name)
            spec = hpa.get("spec") or {}
            window = int(
                ((spec.get("behavior") or {}).get("scaleDown") or {}).get(
                    "stabilizationWindowSeconds", 300
                )
            )
            if start > int(spec.get("maxReplicas", start)):
                continue
            held = [
                (at, up)
                for at, before, up in history.hpa_scales[f"{self.name}:{_name(hpa)}"]
                if up > before and cluster.now - at < window and to < up <= start
            ]
            if held:
                at, up = held[-1]
                violations.append(
                    self.violation(
                        f"HPA {_name(hpa)} scaled down from {start} to {to} "
                        f"{cluster.now - at}s after scaling up to {up} (window {window}s)",
                        hpa=_name(hpa),
                        scaled_up_to=up,
                        scaled_down_to=to,
                        seconds=cluster.now - at,
                        window=window,
                    )
                )
        return violations


#: ScalingLimited's reasons (``horizontal.go convertDesiredReplicasWithRules`` and
#: ``convertDesiredReplicasWithBehaviorRate``).
_LIMIT_REASONS = frozenset(
    {"TooFewReplicas", "TooManyReplicas", "ScaleUpLimit", "ScaleDownLimit", "DesiredWithinRange"}
)


class HpaLimitsConsistent(Invariant):
    """An HPA's ScalingLimited condition says truly why its desired count is what it is.

    Upstream (``pkg/controller/podautoscaler/horizontal.go``: ``normalizeDesiredReplicas*``
    with ``convertDesiredReplicasWithRules`` / ``convertDesiredReplicasWithBehaviorRate``;
    the HPA walkthrough's ``kubectl describe hpa`` conditions) sets ScalingLimited on every
    reconcile that computed a recommendation: ``True`` with ``TooFewReplicas`` when the count
    was raised to ``minReplicas``, ``TooManyReplicas`` when it was cut to ``maxReplicas``,
    ``ScaleUpLimit`` / ``ScaleDownLimit`` when a rate limit held it; ``False`` with
    ``DesiredWithinRange`` otherwise. Judged from the HPA's own status while its metrics were
    computed (``ScalingActive`` True): the reason is one of those, agrees with the status, and
    the min/max reasons come with ``desiredReplicas`` at that bound.
    """

    name = "hpa_limits_consistent"
    description = "an HPA's ScalingLimited reason agrees with its desired count and bounds"
    precondition = "an HPA computed a recommendation"
    reads = frozenset({"HorizontalPodAutoscaler"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each active HPA's ScalingLimited condition."""
        return self.judge_each(
            history,
            cluster.store.list_objects("HorizontalPodAutoscaler"),
            _limit_problems,
            noun="hpa",
        )


class HpaUtilizationWhole(Invariant):
    """The resource utilization an HPA reports is a whole percentage.

    Upstream computes it in integers and truncates it (``metrics/utilization.go
    GetResourceUtilizationRatio``: ``int32((metricsTotal * 100) / requestsTotal)``), and the
    field is an ``int32`` (``autoscaling/v2 MetricValueStatus.averageUtilization``): the API
    server decodes nothing else. Judged on every ``status.currentMetrics`` entry that carries
    ``current.averageUtilization``.
    """

    name = "hpa_utilization_whole"
    description = "an HPA reports its resource utilization as a whole percentage"
    precondition = "an HPA reported a resource utilization"
    reads = frozenset({"HorizontalPodAutoscaler"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look at each reported utilization's type."""

        def judge(hpa: Mapping[str, Any]) -> tuple[list[str], bool]:
            reported = [
                ((metric.get(key) or {}).get("current") or {})["averageUtilization"]
                for metric in (hpa.get("status") or {}).get("currentMetrics") or []
                for key in ("resource", "containerResource")
                if "averageUtilization" in ((metric.get(key) or {}).get("current") or {})
            ]
            problems = [
                f"reports averageUtilization {value!r}, not a whole percentage"
                for value in reported
                if type(value) is not int or not -(2**31) <= value < 2**31
            ]
            return problems, bool(reported)

        return self.judge_each(
            history, cluster.store.list_objects("HorizontalPodAutoscaler"), judge, noun="hpa"
        )


def _limit_problems(hpa: Mapping[str, Any]) -> tuple[list[str], bool]:
    status = hpa.get("status") or {}
    conditions = {str(c.get("type")): c for c in status.get("conditions") or []}
    limited = conditions.get("ScalingLimited")
    if (conditions.get("ScalingActive") or {}).get("status") != "True" or limited is None:
        return [], False
    spec = hpa.get("spec") or {}
    reason, held = limited.get("reason"), limited.get("status")
    desired = status.get("desiredReplicas")
    bounds = {
        "TooFewReplicas": int(spec.get("minReplicas", 1)),
        "TooManyReplicas": int(spec.get("maxReplicas", 0)),
    }
    problems = []
    if reason not in _LIMIT_REASONS:
        problems.append(f"ScalingLimited has reason {reason!r}, none of upstream's")
    elif (held == "True") == (reason == "DesiredWithinRange"):
        problems.append(f"ScalingLimited is {held} with reason {reason}")
    elif held == "True" and reason in bounds and desired != bounds[str(reason)]:
        problems.append(f"ScalingLimited {reason} but desiredReplicas is {desired}")
    return problems, True


# ----------------------------------------------------------------- pods: kubelet, pod GC, volumes
# Stated from the pod's own status fields, never through kmodel.semantics.pods (the kubelet
# derives its status with it: a bug there must not move the check).
