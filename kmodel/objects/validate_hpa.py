"""API-server validation of HorizontalPodAutoscaler (autoscaling/v2), as far as kmodel models it.

Mirrors ``pkg/apis/autoscaling/validation/validation.go`` (``ValidateHorizontalPodAutoscaler``,
``validateHorizontalPodAutoscalerSpec``, ``ValidateCrossVersionObjectReference``,
``validateMetrics``, ``validateMetricTarget``, ``validateBehavior``), run after
``SetDefaults_HorizontalPodAutoscaler`` as the API server does (so empty policies are filled).
"""

from __future__ import annotations

from typing import Final

from kmodel.errors import join_path
from kmodel.objects.defaults import set_defaults_horizontal_pod_autoscaler
from kmodel.objects.names import is_dns1123_subdomain
from kmodel.objects.quantity import parse_quantity
from kmodel.objects.types import Manifest
from kmodel.objects.validate import (  # the shared field-error helpers
    _invalid,
    _item_mapping,
    _list,
    _mapping,
    _not_supported,
    _optional_int,
    _required,
    _string,
    _validate_label_selector,
    _validate_object_meta,
)

__all__ = ["validate_horizontal_pod_autoscaler"]

_METRIC_TYPES: Final = ("Object", "Pods", "Resource", "ContainerResource", "External")
_SOURCE_FIELD: Final = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "External": "external",
}
_POLICY_TYPES: Final = ("Pods", "Percent")
_SELECT_POLICIES: Final = ("Max", "Min", "Disabled")
_MAX_STABILIZATION_WINDOW: Final = 3600
_MAX_PERIOD_SECONDS: Final = 1800


def validate_horizontal_pod_autoscaler(body: Manifest) -> None:
    """``ValidateHorizontalPodAutoscaler``: name, scale target, min/max, metrics, behavior.

    Raises:
        InputError: the first violation, with its field path.
    """
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(set_defaults_horizontal_pod_autoscaler(body), "spec", "")
    reference = _mapping(spec, "scaleTargetRef", "spec")
    if not _string(reference, "kind", "spec.scaleTargetRef"):
        _required("spec.scaleTargetRef.kind")
    if not _string(reference, "name", "spec.scaleTargetRef"):
        _required("spec.scaleTargetRef.name")
    minimum = _optional_int(spec, "minReplicas", "spec")
    if minimum is not None and minimum < 1:
        _invalid("spec.minReplicas", minimum, "must be greater than or equal to 1")
    maximum = _optional_int(spec, "maxReplicas", "spec")
    if maximum is None or maximum < 1:
        _invalid("spec.maxReplicas", maximum or 0, "must be greater than 0")
    if minimum is not None and maximum < minimum:
        _invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`")
    for index, raw in enumerate(_list(spec, "metrics", "spec")):
        _validate_metric(_item_mapping(raw, f"spec.metrics[{index}]"), f"spec.metrics[{index}]")
    behavior = _mapping(spec, "behavior", "spec")
    for direction in ("scaleUp", "scaleDown"):
        if behavior.get(direction) is not None:
            _validate_rules(
                _mapping(behavior, direction, "spec.behavior"), f"spec.behavior.{direction}"
            )


def _validate_metric(metric: Manifest, path: str) -> None:
    """``validateMetricSpec``: a known type with its one source populated."""
    kind = _string(metric, "type", path)
    if not kind:
        _required(join_path(path, "type"), "must specify a metric source type")
    if kind not in _METRIC_TYPES:
        _not_supported(join_path(path, "type"), kind, _METRIC_TYPES)
    field = _SOURCE_FIELD[kind]
    for other in _SOURCE_FIELD.values():
        if other != field and metric.get(other) is not None:
            _invalid(
                join_path(path, other),
                "",
                "must populate the given metric source only",
            )
    if metric.get(field) is None:
        _required(join_path(path, field), "must populate information for the given metric source")
    source = _mapping(metric, field, path)
    source_path = join_path(path, field)
    if kind in {"Resource", "ContainerResource"}:
        if not _string(source, "name", source_path):
            _required(join_path(source_path, "name"), "must specify a resource name")
    else:
        identifier = _mapping(source, "metric", source_path)
        if not _string(identifier, "name", join_path(source_path, "metric")):
            _required(join_path(source_path, "metric.name"), "must specify a metric name")
        selector = identifier.get("selector")
        if selector is not None:
            _validate_label_selector(
                _mapping(identifier, "selector", ""), join_path(source_path, "metric.selector")
            )
    if kind == "Object":
        described = _mapping(source, "describedObject", source_path)
        if not _string(described, "kind", join_path(source_path, "describedObject")):
            _required(join_path(source_path, "describedObject.kind"))
        if not _string(described, "name", join_path(source_path, "describedObject")):
            _required(join_path(source_path, "describedObject.name"))
    _validate_target(_mapping(source, "target", source_path), join_path(source_path, "target"))
    target = _mapping(source, "target", source_path)
    target_path = join_path(source_path, "target")
    if kind in {"Resource", "ContainerResource"}:
        if target.get("averageUtilization") is None and target.get("averageValue") is None:
            _required(
                join_path(target_path, "averageUtilization"),
                "must set either a target raw value or a target utilization",
            )
        if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
            _invalid(
                join_path(target_path, "averageValue"),
                target["averageValue"],
                "may not set both a target raw value and a target utilization",
            )
    elif kind == "Pods" and target.get("averageValue") is None:
        _required(
            join_path(target_path, "averageValue"), "must specify a positive target averageValue"
        )
    elif (
        kind in {"Object", "External"}
        and target.get("value") is None
        and target.get("averageValue") is None
    ):
        _required(
            join_path(target_path, "value"),
            "must set either a target value or averageValue",
        )


def _validate_target(target: Manifest, path: str) -> None:
    """``validateMetricTarget``."""
    kind = _string(target, "type", path)
    if not kind:
        _required(join_path(path, "type"), "must specify a metric target type")
    if kind not in {"Utilization", "Value", "AverageValue"}:
        _invalid(
            join_path(path, "type"), kind, "must be either Utilization, Value, or AverageValue"
        )
    utilization = _optional_int(target, "averageUtilization", path)
    if utilization is not None and utilization <= 0:
        _invalid(join_path(path, "averageUtilization"), utilization, "must be greater than 0")
    for field in ("value", "averageValue"):
        raw = target.get(field)
        if raw is not None and parse_quantity(raw) <= 0:
            _invalid(join_path(path, field), raw, "must be positive")


def _validate_rules(rules: Manifest, path: str) -> None:
    """``validateScalingRules``: window, selectPolicy and each policy."""
    window = _optional_int(rules, "stabilizationWindowSeconds", path)
    if window is not None and window < 0:
        _invalid(
            join_path(path, "stabilizationWindowSeconds"),
            window,
            "must be greater than or equal to zero",
        )
    if window is not None and window > _MAX_STABILIZATION_WINDOW:
        _invalid(
            join_path(path, "stabilizationWindowSeconds"),
            window,
            f"must be less than or equal to {_MAX_STABILIZATION_WINDOW}",
        )
    select = _string(rules, "selectPolicy", path)
    if select and select not in _SELECT_POLICIES:
        _not_supported(join_path(path, "selectPolicy"), select, _SELECT_POLICIES)
    policies = _list(rules, "policies", path)
    if not policies:
        _required(join_path(path, "policies"), "must specify at least one Policy")
    for index, raw in enumerate(policies):
        item_path = f"{join_path(path, 'policies')}[{index}]"
        policy = _item_mapping(raw, item_path)
        kind = _string(policy, "type", item_path)
        if kind not in _POLICY_TYPES:
            _not_supported(join_path(item_path, "type"), kind, _POLICY_TYPES)
        value = _optional_int(policy, "value", item_path)
        if value is None or value <= 0:
            _invalid(join_path(item_path, "value"), value or 0, "must be greater than zero")
        period = _optional_int(policy, "periodSeconds", item_path)
        if period is None or period <= 0:
            _invalid(
                join_path(item_path, "periodSeconds"), period or 0, "must be greater than zero"
            )
        if period > _MAX_PERIOD_SECONDS:
            _invalid(
                join_path(item_path, "periodSeconds"),
                period,
                f"must be less than or equal to {_MAX_PERIOD_SECONDS}",
            )
