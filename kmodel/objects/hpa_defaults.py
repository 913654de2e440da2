"""API-server defaults for HorizontalPodAutoscaler (``pkg/apis/autoscaling/v2/defaults.go``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW",
    "generate_scale_down_rules",
    "generate_scale_up_rules",
    "set_defaults",
]

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


def set_defaults(hpa: Mapping[str, Any]) -> dict[str, Any]:
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
