"""API-server defaulting: the SetDefaults_* functions for the kinds the model reads, in one place.

A manifest applied with ``kubectl apply`` is defaulted by the API server before anyone sees it
(``pkg/apis/<group>/<version>/defaults.go``); these functions do the same so the model sees what
the cluster would store. :func:`set_defaults` picks the kind's function, as the API server's
scheme does; each function returns a defaulted copy and leaves its input as it is. Only the
defaults that change what the model computes are filled in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn

from kmodel.errors import InputError
from kmodel.internal.gocompat import MAX_INT32
from kmodel.internal.values import describe_value
from kmodel.objects.types import Manifest

__all__ = [
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_MAX_SURGE",
    "DEFAULT_MAX_UNAVAILABLE",
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW",
    "generate_scale_down_rules",
    "generate_scale_up_rules",
    "set_defaults",
    "set_defaults_daemon_set",
    "set_defaults_deployment",
    "set_defaults_deployment_in_place",
    "set_defaults_horizontal_pod_autoscaler",
    "set_defaults_job",
    "set_defaults_node",
    "set_defaults_pod",
    "set_defaults_stateful_set",
]


# ---------------------------------------------------------------- core/v1


def set_defaults_pod(pod: Manifest) -> dict[str, Any]:
    """Return a copy of a Pod with the defaults the model relies on.

    Mirrors ``pkg/apis/core/v1/defaults.go SetDefaults_PodSpec`` for ``restartPolicy``
    (``Always`` when unset), and ``SetDefaults_Pod`` for ``metadata.namespace`` (``default``,
    the namespace ``kubectl`` fills in). Other defaults do not change what the model computes.
    """
    result: dict[str, Any] = copy.deepcopy(dict(pod))
    spec = result.setdefault("spec", {})
    if isinstance(spec, dict) and not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    metadata = result.setdefault("metadata", {})
    if isinstance(metadata, dict) and not metadata.get("namespace"):
        metadata["namespace"] = "default"
    return result


def set_defaults_node(node: Manifest) -> dict[str, Any]:
    """Return a copy of a Node whose ``status.allocatable`` defaults to its capacity.

    Mirrors ``pkg/apis/core/v1/defaults.go SetDefaults_NodeStatus``: an allocatable list that
    is absent (or null) while capacity is set becomes a copy of capacity. An empty list ``{}``
    is set, so it stays empty (Go decodes it to a non-nil map). A hand-written Node with only
    capacity so has room for what it lists, as it would once the API server stored it.
    """
    result: dict[str, Any] = copy.deepcopy(dict(node))
    status = result.get("status")
    if (
        isinstance(status, dict)
        and status.get("allocatable") is None
        and status.get("capacity") is not None
    ):
        status["allocatable"] = copy.deepcopy(status["capacity"])
    return result


# ---------------------------------------------------------------- apps/v1

DEFAULT_MAX_SURGE: Final = "25%"
DEFAULT_MAX_UNAVAILABLE: Final = "25%"
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600


def set_defaults_deployment(d: Manifest) -> dict[str, Any]:
    """Return a copy of a Deployment with the apps/v1 defaults filled in.

    Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment``: replicas 1, strategy type
    RollingUpdate, and for RollingUpdate maxUnavailable and maxSurge 25%;
    revisionHistoryLimit 10; progressDeadlineSeconds 600. (``minReadySeconds`` is a plain int
    whose zero value is 0.) A null ``spec``, ``spec.strategy`` or
    ``spec.strategy.rollingUpdate`` reads as empty, as Go decodes it into a zero value.

    Args:
        d: the Deployment manifest; it is not modified.

    Returns:
        A deep copy of ``d`` (mappings in it become dicts) with the defaults filled in.

    Raises:
        InputError: ``d``, ``spec``, ``spec.strategy`` or ``spec.strategy.rollingUpdate`` is
            not a mapping, or ``spec.strategy.type`` is not a string; the message is the one
            the manifest validator gives at load time.
    """
    if not isinstance(d, Mapping):
        raise InputError(f"a Deployment must be a mapping, not {describe_value(d)}")
    copied: dict[str, Any] = _plain_copy(d)
    return set_defaults_deployment_in_place(copied)


def set_defaults_deployment_in_place(result: dict[str, Any]) -> dict[str, Any]:
    """:func:`set_defaults_deployment` on ``result`` itself, which it returns.

    For a caller that has copied what the defaults touch (``spec``, ``spec.strategy`` and
    ``spec.strategy.rollingUpdate``) and shares the rest. Mirrors ``pkg/apis/apps/v1/defaults.go
    SetDefaults_Deployment``. A mapping on that path that is not a dict is replaced by a dict
    copy of it (it is filled in, so it must be mutable).

    Raises:
        InputError: as :func:`set_defaults_deployment` does (``result`` not a dict too).
    """
    if not isinstance(result, dict):
        raise InputError(
            f"a Deployment to default in place must be a dict, not {describe_value(result)}"
        )
    spec = _defaultable_mapping(result, "spec", "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _defaultable_mapping(spec, "strategy", "spec.strategy")
    strategy_type = strategy.get("type")
    # Go decodes the type into a string (an empty one is defaulted): anything else is refused,
    # as the validator does, rather than read as falsy or as an unknown strategy.
    if strategy_type is not None and not isinstance(strategy_type, str):
        raise InputError(
            f"must be a string, not {describe_value(strategy_type)}", path="spec.strategy.type"
        )
    if not strategy_type:
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _defaultable_mapping(strategy, "rollingUpdate", "spec.strategy.rollingUpdate")
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = DEFAULT_MAX_UNAVAILABLE
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = DEFAULT_MAX_SURGE
    else:
        # Left as it is, but Go could not have decoded a Deployment with anything but an
        # object (or null) here, and the validator refuses it whatever the type.
        rolling_update = strategy.get("rollingUpdate")
        if rolling_update is not None and not isinstance(rolling_update, Mapping):
            _raise_not_a_mapping(rolling_update, "spec.strategy.rollingUpdate")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEFAULT_PROGRESS_DEADLINE_SECONDS
    return result


def _defaultable_mapping(parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """``parent[key]`` as a dict the defaults may fill in: created when absent or null.

    A mapping that is not a dict is replaced by a dict copy; anything else is refused.
    """
    value = parent.get(key)
    if type(value) is dict:  # the common case, without the ABC isinstance check
        return value
    if value is None:
        value = parent[key] = {}
        return value
    if not isinstance(value, Mapping):
        _raise_not_a_mapping(value, path)
    copied = parent[key] = dict(value)
    return copied


def _raise_not_a_mapping(value: object, path: str) -> NoReturn:
    """The manifest validator's error for a field that must be an object (the same message)."""
    raise InputError(f"must be a mapping, not {describe_value(value)}", path=path)


def _plain_copy(value: Any) -> Any:  # noqa: ANN401  # a manifest value: any YAML type
    """A deep copy in which every mapping is a dict and every list a list (others deep-copied).

    ``copy.deepcopy`` alone keeps mapping types that may be read-only or not copyable.
    """
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return copy.deepcopy(value)


def set_defaults_daemon_set(ds: Manifest) -> dict[str, Any]:
    """A copy of the DaemonSet with the apps/v1 defaults filled in.

    Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_DaemonSet``: ``updateStrategy.type``
    RollingUpdate; for RollingUpdate, ``rollingUpdate.maxUnavailable`` 1 and ``maxSurge`` 0;
    ``revisionHistoryLimit`` 10. OnDelete gets no ``rollingUpdate``.
    """
    result: dict[str, Any] = copy.deepcopy(dict(ds))
    spec = _defaultable_mapping(result, "spec", "spec")
    strategy = _defaultable_mapping(spec, "updateStrategy", "spec.updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate") or {}
        strategy["rollingUpdate"] = rolling
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    return result


def set_defaults_stateful_set(sts: Manifest) -> dict[str, Any]:
    """A copy of ``sts`` with the apps/v1 defaults.

    Mirrors ``SetDefaults_StatefulSet``: ``podManagementPolicy: OrderedReady``,
    ``updateStrategy: RollingUpdate`` with ``partition: 0`` (and ``maxUnavailable: 1``, the
    ``MaxUnavailableStatefulSet`` gate being on), ``replicas: 1``, ``revisionHistoryLimit: 10``,
    and ``persistentVolumeClaimRetentionPolicy`` ``Retain``/``Retain``.
    """
    body = copy.deepcopy(dict(sts))
    spec = _defaultable_mapping(body, "spec", "spec")
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    # A null strategy is Go's zero value, defaulted like an absent one.
    strategy = _defaultable_mapping(spec, "updateStrategy", "spec.updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        rolling = {} if rolling is None else rolling
        strategy["rollingUpdate"] = rolling
        if rolling.get("partition") is None:
            rolling["partition"] = 0
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    policy = spec.get("persistentVolumeClaimRetentionPolicy")
    policy = {} if policy is None else policy
    spec["persistentVolumeClaimRetentionPolicy"] = policy
    for when in ("whenDeleted", "whenScaled"):
        if not policy.get(when):
            policy[when] = "Retain"
    return body


# ---------------------------------------------------------------- batch/v1


def set_defaults_job(job: Mapping[str, Any]) -> dict[str, Any]:
    """The Job with batch/v1 defaults (``SetDefaults_Job``); the input is left as it is.

    Both ``completions`` and ``parallelism`` unset: both 1. ``parallelism`` unset: 1.
    ``backoffLimit``: 6, or MaxInt32 with ``backoffLimitPerIndex``. ``completionMode``:
    NonIndexed. ``suspend``: false. ``podReplacementPolicy``: Failed with a
    ``podFailurePolicy``, TerminatingOrFailed otherwise. ``manualSelector`` false.
    """
    spec = dict(job.get("spec") or {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    spec.setdefault("completionMode", "NonIndexed")
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = (
            "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
        )
    return {**job, "spec": spec}


# ---------------------------------------------------------------- autoscaling/v2

#: ``autoscaling.DefaultCPUUtilization``.
DEFAULT_CPU_UTILIZATION: Final = 80
#: ``scaleDownStabilizationWindowSeconds`` in ``GenerateHPAScaleDownRules``.
DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW: Final = 300


def generate_scale_up_rules(rules: Mapping[str, Any] | None) -> dict[str, Any]:
    """``GenerateHPAScaleUpRules``: fill unset scale-up fields with the defaults.

    Defaults: no stabilization window, ``selectPolicy: Max``, and the larger of 4 pods or 100%
    per 15 s.
    """
    given = dict(rules or {})
    given.setdefault("stabilizationWindowSeconds", 0)
    given.setdefault("selectPolicy", "Max")
    if not given.get("policies"):
        given["policies"] = [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ]
    return given


def generate_scale_down_rules(rules: Mapping[str, Any] | None) -> dict[str, Any]:
    """``GenerateHPAScaleDownRules``: fill unset scale-down fields with the defaults.

    Defaults: a 300 s stabilization window, ``selectPolicy: Max``, 100% per 15 s.
    """
    given = dict(rules or {})
    given.setdefault("stabilizationWindowSeconds", DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW)
    given.setdefault("selectPolicy", "Max")
    if not given.get("policies"):
        given["policies"] = [{"type": "Percent", "value": 100, "periodSeconds": 15}]
    return given


def set_defaults_horizontal_pod_autoscaler(hpa: Mapping[str, Any]) -> dict[str, Any]:
    """``SetDefaults_HorizontalPodAutoscaler`` (autoscaling/v2) on a copy of ``hpa``.

    ``minReplicas`` 1; no metrics means CPU at 80% utilization; a given ``behavior`` gets its
    unset fields (``SetDefaults_HorizontalPodAutoscalerBehavior``), an absent one stays absent.
    """
    body = dict(hpa)
    spec = dict(body.get("spec") or {})
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {
                        "type": "Utilization",
                        "averageUtilization": DEFAULT_CPU_UTILIZATION,
                    },
                },
            }
        ]
    if spec.get("behavior") is not None:
        behavior = dict(spec["behavior"])
        behavior["scaleUp"] = generate_scale_up_rules(behavior.get("scaleUp"))
        behavior["scaleDown"] = generate_scale_down_rules(behavior.get("scaleDown"))
        spec["behavior"] = behavior
    body["spec"] = spec
    return body


# ---------------------------------------------------------------- by kind

#: The defaulting function of each kind that has one (``scheme.Default``).
_DEFAULTERS: Final[Mapping[str, Callable[[Manifest], dict[str, Any]]]] = {
    "Pod": set_defaults_pod,
    "Node": set_defaults_node,
    "Deployment": set_defaults_deployment,
    "DaemonSet": set_defaults_daemon_set,
    "StatefulSet": set_defaults_stateful_set,
    "Job": set_defaults_job,
    "HorizontalPodAutoscaler": set_defaults_horizontal_pod_autoscaler,
}


def set_defaults(body: Manifest) -> dict[str, Any]:
    """A copy of ``body`` with its kind's defaults, as the API server stores it.

    Mirrors ``runtime.Scheme.Default`` calling the kind's ``SetDefaults_*`` (see each
    ``set_defaults_*`` function); a kind without defaults the model needs is copied as it is.
    """
    defaulter = _DEFAULTERS.get(str(body.get("kind")))
    return copy.deepcopy(dict(body)) if defaulter is None else defaulter(body)
