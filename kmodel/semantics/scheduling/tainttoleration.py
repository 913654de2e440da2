"""kube-scheduler TaintToleration, with taints and tolerations as the API evaluates them.

Mirrors ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`` (Filter and
Score), ``k8s.io/api/core/v1/toleration.go`` (``Toleration.ToleratesTaint``) and
``pkg/apis/core/v1/helper/helpers.go`` (``TolerationsTolerateTaint``,
``FindMatchingUntoleratedTaint``), at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kmodel.errors import InputError
from kmodel.objects.fields import (
    list_field,
    mapping_field,
    object_ref,
    require_manifest,
    str_field,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.helper import default_normalize_score
from kmodel.semantics.scheduling.objects import _nodes_by_name

__all__ = [
    "Taint",
    "find_matching_untolerated_taint",
    "node_taints",
    "pod_tolerations",
    "taint_toleration_failures",
    "taint_toleration_scores",
    "toleration_tolerates_taint",
    "tolerations_tolerate_taint",
]


def taint_toleration_scores(pod: Manifest, nodes: Sequence[Manifest]) -> dict[str, int]:
    """TaintToleration Score after NormalizeScore, per node name.

    Mirrors ``tainttoleration/taint_toleration.go``: the raw score counts the node's
    PreferNoSchedule taints that none of the pod's tolerations with an empty or
    PreferNoSchedule effect tolerates (``countIntolerableTaintsPreferNoSchedule``); NormalizeScore
    is ``DefaultNormalizeScore(MaxNodeScore, reverse=true)``, so fewer such taints score higher.

    Raises:
        InputError: a malformed manifest.
    """
    pod = require_manifest(pod, "pod")
    by_name = _nodes_by_name(nodes)
    tolerations = [
        t for t in pod_tolerations(pod) if (t.get("effect") or "") in {"", "PreferNoSchedule"}
    ]
    raw: dict[str, int] = {}
    for name, node in by_name.items():
        raw[name] = sum(
            1
            for taint in node_taints(node)
            if taint.effect == "PreferNoSchedule"
            and not tolerations_tolerate_taint(tolerations, taint)
        )
    return default_normalize_score(raw, reverse=True)


def taint_toleration_failures(pod: Manifest, node: Manifest) -> list[str]:
    """TaintToleration Filter.

    Mirrors ``tainttoleration/taint_toleration.go Filter``: the first NoSchedule or NoExecute
    taint (node order) that no toleration tolerates gives
    ``node(s) had untolerated taint {key: value}``; PreferNoSchedule taints are ignored.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    taint = find_matching_untolerated_taint(
        node_taints(node),
        pod_tolerations(pod),
        taint_filter=lambda t: t.effect in {"NoSchedule", "NoExecute"},
    )
    if taint is None:
        return []
    return [f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"]


@dataclass(frozen=True)
class Taint:
    """A node taint: ``key``, ``value`` and ``effect``."""

    key: str
    value: str
    effect: str


def node_taints(node: Manifest) -> list[Taint]:
    """``spec.taints`` of a node, in order.

    Raises:
        InputError: a taint is malformed.
    """
    spec = mapping_field(node, "spec", "spec", obj=node)
    taints: list[Taint] = []
    for i, raw in enumerate(list_field(spec, "taints", "spec.taints", obj=node)):
        path = f"spec.taints[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(node), path=path)
        taints.append(
            Taint(
                str_field(raw, "key", f"{path}.key", obj=node),
                str_field(raw, "value", f"{path}.value", obj=node),
                str_field(raw, "effect", f"{path}.effect", obj=node),
            )
        )
    return taints


def pod_tolerations(pod: Manifest) -> list[Mapping[str, Any]]:
    """``spec.tolerations`` of a pod, each checked to be a mapping of strings.

    Raises:
        InputError: a toleration is malformed.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    tolerations = list_field(spec, "tolerations", "spec.tolerations", obj=pod)
    for i, raw in enumerate(tolerations):
        path = f"spec.tolerations[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        for key in ("key", "operator", "value", "effect"):
            str_field(raw, key, f"{path}.{key}", obj=pod)
    return tolerations


def toleration_tolerates_taint(toleration: Mapping[str, Any], taint: Taint) -> bool:
    """Mirrors ``k8s.io/api/core/v1/toleration.go Toleration.ToleratesTaint``.

    An empty effect matches every effect, an empty key every key; operator ``Exists`` matches
    any value, ``Equal`` (or empty) needs the same value. Other operators (the alpha ``Gt``/``Lt``
    of TaintTolerationComparisonOperators, off by default) tolerate nothing.
    """
    effect = toleration.get("effect") or ""
    key = toleration.get("key") or ""
    if effect and effect != taint.effect:
        return False
    if key and key != taint.key:
        return False
    operator = toleration.get("operator") or ""
    if operator in {"", "Equal"}:
        return (toleration.get("value") or "") == taint.value
    return operator == "Exists"


def tolerations_tolerate_taint(tolerations: Sequence[Mapping[str, Any]], taint: Taint) -> bool:
    """Mirrors ``v1helper.TolerationsTolerateTaint``: some toleration tolerates the taint."""
    return any(toleration_tolerates_taint(t, taint) for t in tolerations)


def find_matching_untolerated_taint(
    taints: Sequence[Taint],
    tolerations: Sequence[Mapping[str, Any]],
    *,
    taint_filter: Callable[[Taint], bool] | None = None,
) -> Taint | None:
    """The first taint (in node order) that passes ``taint_filter`` and no toleration tolerates.

    Mirrors ``v1helper.FindMatchingUntoleratedTaint``.
    """
    for taint in taints:
        if taint_filter is not None and not taint_filter(taint):
            continue
        if not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None
