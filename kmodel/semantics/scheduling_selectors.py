"""Label selectors, node selectors and tolerations, as the scheduler plugins evaluate them.

Label selectors themselves live in :mod:`kmodel.objects.labels` (one implementation of
``labels.Requirement`` and ``LabelSelectorAsSelector``). This module mirrors
``component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
(``LazyErrorNodeSelector``, ``GetRequiredNodeAffinity``, ``PreferredSchedulingTerms``) and
``k8s.io/api/core/v1/toleration.go`` (``Toleration.ToleratesTaint``) with
``pkg/apis/core/v1/helper/helpers.go`` (``TolerationsTolerateTaint``,
``FindMatchingUntoleratedTaint``), at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from kmodel.errors import InputError
from kmodel.objects.labels import (
    NODE_SELECTOR_OPERATORS,
    LabelSelector,
    Operator,
    Requirement,
    label_selector_as_selector,
    new_requirement,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling_fields import (
    int_field,
    list_field,
    mapping_field,
    object_name,
    object_ref,
    str_field,
    string_map_field,
)

__all__ = [
    "Taint",
    "find_matching_untolerated_taint",
    "label_selector",
    "node_labels",
    "node_matches_node_selector",
    "node_selector_term_matches",
    "node_taints",
    "pod_matches_required_node_affinity",
    "pod_tolerations",
    "preferred_node_affinity_score",
    "toleration_tolerates_taint",
    "tolerations_tolerate_taint",
]


def _string_list(raw: object, path: str, obj: Manifest | None) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise InputError(
            "must be a list of strings", obj=object_ref(obj) if obj else None, path=path
        )
    return list(raw)


def label_selector(raw: object, path: str, obj: Manifest | None = None) -> LabelSelector:
    """Compile a ``metav1.LabelSelector`` of ``obj``, naming ``obj`` in any error.

    The compilation itself is :func:`kmodel.objects.labels.label_selector_as_selector`
    (``metav1.LabelSelectorAsSelector``): ``None`` selects nothing, ``{}`` everything.

    Raises:
        InputError: a malformed selector (the upstream error text, at its field path).
    """
    try:
        return label_selector_as_selector(raw, path)
    except InputError as exc:
        raise exc.located(obj=object_ref(obj) if obj is not None else None) from None


def node_labels(node: Manifest) -> dict[str, str]:
    """``metadata.labels`` of a node (or any object)."""
    metadata = mapping_field(node, "metadata", "metadata", node)
    return string_map_field(metadata, "labels", "metadata.labels", node)


# ----------------------------------------------------------------- node selectors


def _node_selector_requirements(
    raw: list[Any], path: str, obj: Manifest
) -> tuple[list[Requirement] | None, bool]:
    """Mirrors ``nodeSelectorRequirementsAsSelector``; returns (requirements, parse_error)."""
    requirements: list[Requirement] = []
    for i, expr in enumerate(raw):
        if not isinstance(expr, Mapping):
            raise InputError("must be a mapping", obj=object_ref(obj), path=f"{path}[{i}]")
        operator = str_field(expr, "operator", f"{path}[{i}].operator", obj)
        key = str_field(expr, "key", f"{path}[{i}].key", obj)
        values = _string_list(expr.get("values"), f"{path}[{i}].values", obj)
        if operator not in NODE_SELECTOR_OPERATORS:
            return None, True
        try:
            requirements.append(
                new_requirement(key, cast("Operator", operator), values, f"{path}[{i}]")
            )
        except InputError:
            # The scheduler ignores the parse error "for backwards compatibility": the term
            # then matches nothing.
            return None, True
    return requirements, False


def _field_requirements_match(
    raw: list[Any], path: str, obj: Manifest, fields: Mapping[str, str]
) -> bool | None:
    """Mirrors ``nodeSelectorRequirementsAsFieldSelector`` + ``Matches``; None on parse error.

    Only ``In`` and ``NotIn`` with exactly one value parse; a field the node lacks reads as "".
    """
    results: list[bool] = []
    for i, expr in enumerate(raw):
        if not isinstance(expr, Mapping):
            raise InputError("must be a mapping", obj=object_ref(obj), path=f"{path}[{i}]")
        operator = str_field(expr, "operator", f"{path}[{i}].operator", obj)
        key = str_field(expr, "key", f"{path}[{i}].key", obj)
        values = _string_list(expr.get("values"), f"{path}[{i}].values", obj)
        if operator not in {"In", "NotIn"} or len(values) != 1:
            return None
        equal = fields.get(key, "") == values[0]
        results.append(equal if operator == "In" else not equal)
    return all(results)


def node_selector_term_matches(
    term: Mapping[str, Any], path: str, obj: Manifest, node: Manifest
) -> bool:
    """Whether one ``NodeSelectorTerm`` matches the node (ANDed expressions and fields).

    Mirrors ``nodeSelectorTerm.match``. A term that fails to parse (an unknown operator, wrong
    value count, a non-integer Gt/Lt value) matches nothing, as the scheduler ignores the parse
    error "for backwards compatibility". An empty term also matches nothing (it is dropped by
    ``NewLazyErrorNodeSelector``). ``matchFields`` is ignored for a node with no name.

    Raises:
        InputError: the term is not shaped like a NodeSelectorTerm.
    """
    expressions = list_field(term, "matchExpressions", f"{path}.matchExpressions", obj)
    match_fields = list_field(term, "matchFields", f"{path}.matchFields", obj)
    if not expressions and not match_fields:
        return False
    if expressions:
        requirements, failed = _node_selector_requirements(
            expressions, f"{path}.matchExpressions", obj
        )
        if failed or requirements is None:
            return False
        labels = node_labels(node)
        if not all(r.matches(labels) for r in requirements):
            return False
    if match_fields:
        name = object_name(node)
        fields = {"metadata.name": name} if name else {}
        matched = _field_requirements_match(match_fields, f"{path}.matchFields", obj, fields)
        if matched is None:
            return False
        if fields and not matched:
            return False
    return True


def node_matches_node_selector(
    node_selector: Mapping[str, Any], path: str, obj: Manifest, node: Manifest
) -> bool:
    """Whether a ``v1.NodeSelector`` matches: its ``nodeSelectorTerms`` are ORed.

    Mirrors ``LazyErrorNodeSelector.Match``; no terms match nothing.
    """
    terms = list_field(node_selector, "nodeSelectorTerms", f"{path}.nodeSelectorTerms", obj)
    for i, term in enumerate(terms):
        term_path = f"{path}.nodeSelectorTerms[{i}]"
        if term is None:
            continue
        if not isinstance(term, Mapping):
            raise InputError("must be a mapping", obj=object_ref(obj), path=term_path)
        if node_selector_term_matches(term, term_path, obj, node):
            return True
    return False


def _node_affinity(pod: Manifest) -> Mapping[str, Any]:
    spec = mapping_field(pod, "spec", "spec", pod)
    affinity = mapping_field(spec, "affinity", "spec.affinity", pod)
    return mapping_field(affinity, "nodeAffinity", "spec.affinity.nodeAffinity", pod)


def pod_matches_required_node_affinity(pod: Manifest, node: Manifest) -> bool:
    """Whether the node satisfies the pod's ``nodeSelector`` and required node affinity.

    Mirrors ``nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)``: every nodeSelector
    label must be present with the same value, and, when
    ``requiredDuringSchedulingIgnoredDuringExecution`` is set, one of its terms must match.

    Raises:
        InputError: the pod or node is malformed.
    """
    spec = mapping_field(pod, "spec", "spec", pod)
    selector = string_map_field(spec, "nodeSelector", "spec.nodeSelector", pod)
    labels = node_labels(node)
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    affinity = _node_affinity(pod)
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    path = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    if not isinstance(required, Mapping):
        raise InputError("must be a mapping", obj=object_ref(pod), path=path)
    return node_matches_node_selector(required, path, pod, node)


def preferred_node_affinity_score(pod: Manifest, node: Manifest) -> int | None:
    """Sum of the weights of the pod's preferred node-affinity terms that match the node.

    Mirrors ``PreferredSchedulingTerms.Score`` (terms with weight 0 or an empty preference are
    dropped by ``NewPreferredSchedulingTerms``). Returns None when the pod has no
    ``preferredDuringSchedulingIgnoredDuringExecution`` (NodeAffinity ``PreScore`` returns Skip).

    Raises:
        InputError: the pod or node is malformed.
    """
    affinity = _node_affinity(pod)
    path = "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"
    if affinity.get("preferredDuringSchedulingIgnoredDuringExecution") is None:
        return None
    terms = list_field(affinity, "preferredDuringSchedulingIgnoredDuringExecution", path, pod)
    score = 0
    for i, term in enumerate(terms):
        if not isinstance(term, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=f"{path}[{i}]")
        weight = int_field(term, "weight", f"{path}[{i}].weight", pod)
        preference = mapping_field(term, "preference", f"{path}[{i}].preference", pod)
        if weight == 0:
            continue
        if node_selector_term_matches(preference, f"{path}[{i}].preference", pod, node):
            score += weight
    return score


# ----------------------------------------------------------------- taints and tolerations


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
    spec = mapping_field(node, "spec", "spec", node)
    taints: list[Taint] = []
    for i, raw in enumerate(list_field(spec, "taints", "spec.taints", node)):
        path = f"spec.taints[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(node), path=path)
        taints.append(
            Taint(
                str_field(raw, "key", f"{path}.key", node),
                str_field(raw, "value", f"{path}.value", node),
                str_field(raw, "effect", f"{path}.effect", node),
            )
        )
    return taints


def pod_tolerations(pod: Manifest) -> list[Mapping[str, Any]]:
    """``spec.tolerations`` of a pod, each checked to be a mapping of strings.

    Raises:
        InputError: a toleration is malformed.
    """
    spec = mapping_field(pod, "spec", "spec", pod)
    tolerations = list_field(spec, "tolerations", "spec.tolerations", pod)
    for i, raw in enumerate(tolerations):
        path = f"spec.tolerations[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        for key in ("key", "operator", "value", "effect"):
            str_field(raw, key, f"{path}.{key}", pod)
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
