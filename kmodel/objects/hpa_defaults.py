"""Re-exports of the HorizontalPodAutoscaler defaults, now in :mod:`kmodel.objects.defaults`."""

from __future__ import annotations

from kmodel.objects.defaults import (
    DEFAULT_CPU_UTILIZATION,
    DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW,
    generate_scale_down_rules,
    generate_scale_up_rules,
)
from kmodel.objects.defaults import set_defaults_horizontal_pod_autoscaler as set_defaults

__all__ = [
    "DEFAULT_CPU_UTILIZATION",
    "DEFAULT_SCALE_DOWN_STABILIZATION_WINDOW",
    "generate_scale_down_rules",
    "generate_scale_up_rules",
    "set_defaults",
]
