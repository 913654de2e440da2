"""kube-scheduler NodeAffinity, with node selectors as the API evaluates them.

Mirrors ``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`` (Filter and Score) and
``component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`` (``LazyErrorNodeSelector``,
``GetRequiredNodeAffinity``, ``PreferredSchedulingTerms``), at kubernetes master after v1.35.
Label selectors themselves live in :mod:`kmodel.objects.labels`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from kmodel.errors import InputError
from kmodel.objects.fields import (
    int_field,
    list_field,
    mapping_field,
    object_name,
    object_ref,
    require_manifest,
    str_field,
    string_map_field,
)
from kmodel.objects.labels import (
    NODE_SELECTOR_OPERATORS,
    Operator,
    Requirement,
    new_requirement,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.helper import default_normalize_score
from kmodel.semantics.scheduling.objects import _nodes_by_name, _string_list, node_labels

__all__ = [
    "ERR_REASON_NODE_AFFINITY",
    "node_affinity_failures",
    "node_affinity_scores",
    "node_matches_node_selector",
    "node_selector_term_matches",
    "pod_matches_required_node_affinity",
    "preferred_node_affinity_score",
]


def node_affinity_scores(pod: Manifest, nodes: Sequence[Manifest]) -> dict[str, int]:
    """NodeAffinity Score after NormalizeScore, per node name.

    Mirrors ``nodeaffinity/node_affinity.go``: the raw score sums the weights of the preferred
    terms the node matches; NormalizeScore is ``DefaultNormalizeScore(MaxNodeScore,
    reverse=false)``. Returns ``{}`` when the pod has no preferred node affinity (PreScore
    returns Skip); no ``addedAffinity`` is configured in the default profile.

    Raises:
        InputError: a malformed manifest.
    """
    pod = require_manifest(pod, "pod")
    by_name = _nodes_by_name(nodes)
    raw: dict[str, int] = {}
    for name, node in by_name.items():
        score = preferred_node_affinity_score(pod, node)
        if score is None:
            return {}
        raw[name] = score
    return default_normalize_score(raw, reverse=False)


ERR_REASON_NODE_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"


def node_affinity_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeAffinity Filter.

    Mirrors ``nodeaffinity/node_affinity.go Filter`` (no ``addedAffinity`` configured):
    ``spec.nodeSelector`` and the required node affinity, via
    :func:`~kmodel.semantics.scheduling.pod_matches_required_node_affinity`.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    if pod_matches_required_node_affinity(pod, node):
        return []
    return [ERR_REASON_NODE_AFFINITY]


def _node_selector_requirements(
    raw: list[Any], path: str, obj: Manifest
) -> tuple[list[Requirement] | None, bool]:
    """Mirrors ``nodeSelectorRequirementsAsSelector``; returns (requirements, parse_error)."""
    requirements: list[Requirement] = []
    for i, expr in enumerate(raw):
        if not isinstance(expr, Mapping):
            raise InputError("must be a mapping", obj=object_ref(obj), path=f"{path}[{i}]")
        operator = str_field(expr, "operator", f"{path}[{i}].operator", obj=obj)
        key = str_field(expr, "key", f"{path}[{i}].key", obj=obj)
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
        operator = str_field(expr, "operator", f"{path}[{i}].operator", obj=obj)
        key = str_field(expr, "key", f"{path}[{i}].key", obj=obj)
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
    expressions = list_field(term, "matchExpressions", f"{path}.matchExpressions", obj=obj)
    match_fields = list_field(term, "matchFields", f"{path}.matchFields", obj=obj)
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
    terms = list_field(node_selector, "nodeSelectorTerms", f"{path}.nodeSelectorTerms", obj=obj)
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
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    affinity = mapping_field(spec, "affinity", "spec.affinity", obj=pod)
    return mapping_field(affinity, "nodeAffinity", "spec.affinity.nodeAffinity", obj=pod)


def pod_matches_required_node_affinity(pod: Manifest, node: Manifest) -> bool:
    """Whether the node satisfies the pod's ``nodeSelector`` and required node affinity.

    Mirrors ``nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)``: every nodeSelector
    label must be present with the same value, and, when
    ``requiredDuringSchedulingIgnoredDuringExecution`` is set, one of its terms must match.

    Raises:
        InputError: the pod or node is malformed.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    selector = string_map_field(spec, "nodeSelector", "spec.nodeSelector", obj=pod)
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
    terms = list_field(affinity, "preferredDuringSchedulingIgnoredDuringExecution", path, obj=pod)
    score = 0
    for i, term in enumerate(terms):
        if not isinstance(term, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=f"{path}[{i}]")
        weight = int_field(term, "weight", f"{path}[{i}].weight", obj=pod)
        preference = mapping_field(term, "preference", f"{path}[{i}].preference", obj=pod)
        if weight == 0:
            continue
        if node_selector_term_matches(preference, f"{path}[{i}].preference", pod, node):
            score += weight
    return score
