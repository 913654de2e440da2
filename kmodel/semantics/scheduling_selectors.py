"""Label selectors, node selectors and tolerations, as the scheduler plugins evaluate them.

Mirrors ``k8s.io/apimachinery/pkg/labels/selector.go`` (``NewRequirement``,
``Requirement.Matches``, ``Everything``, ``Nothing``), ``apimachinery/pkg/apis/meta/v1/helpers.go``
(``LabelSelectorAsSelector``), ``component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
(``LazyErrorNodeSelector``, ``GetRequiredNodeAffinity``, ``PreferredSchedulingTerms``) and
``k8s.io/api/core/v1/toleration.go`` (``Toleration.ToleratesTaint``) with
``pkg/apis/core/v1/helper/helpers.go`` (``TolerationsTolerateTaint``,
``FindMatchingUntoleratedTaint``), at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
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
    "LabelSelector",
    "Requirement",
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

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def _parse_int64(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: decimal, optional sign, no spaces or underscores."""
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.isdigit():
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


@dataclass(frozen=True)
class Requirement:
    """One ``labels.Requirement``: a key, an operator and its values.

    Operators are the selection names: ``=`` (matchLabels), ``in``, ``notin``, ``exists``,
    ``!`` (does not exist), ``gt``, ``lt``.
    """

    key: str
    operator: str
    values: tuple[str, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Mirrors ``labels.Requirement.Matches``."""
        present = self.key in labels
        if self.operator in {"=", "in"}:
            return present and labels[self.key] in self.values
        if self.operator == "notin":
            return not present or labels[self.key] not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        # gt / lt: the label must exist and parse as an int64 (values were checked at creation).
        if not present:
            return False
        have = _parse_int64(labels[self.key])
        if have is None:
            return False
        want = int(self.values[0])
        return have > want if self.operator == "gt" else have < want


def _new_requirement(key: str, operator: str, values: Sequence[str]) -> Requirement:
    """Mirrors ``labels.NewRequirement``'s value checks; raises ``ValueError`` with its message."""
    if operator in {"in", "notin"} and not values:
        raise ValueError("for 'in', 'notin' operators, values set can't be empty")
    if operator == "=" and len(values) != 1:
        raise ValueError("exact-match compatibility requires one single value")
    if operator in {"exists", "!"} and values:
        raise ValueError("values set must be empty for exists and does not exist")
    if operator in {"gt", "lt"}:
        if len(values) != 1:
            raise ValueError("for 'Gt', 'Lt' operators, exactly one value is required")
        if _parse_int64(values[0]) is None:
            raise ValueError("for 'Gt', 'Lt' operators, the value must be an integer")
    return Requirement(key, operator, tuple(values))


@dataclass(frozen=True)
class LabelSelector:
    """A parsed ``labels.Selector``.

    Attributes:
        requirements: ANDed requirements.
        nothing: the selector of a nil ``LabelSelector`` (``labels.Nothing()``), which matches
            no object.
    """

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Mirrors ``internalSelector.Matches`` / ``nothingSelector.Matches``."""
        if self.nothing:
            return False
        return all(r.matches(labels) for r in self.requirements)

    def empty(self) -> bool:
        """Mirrors ``Selector.Empty``: true only for a selector with no requirements.

        ``labels.Nothing()`` is not empty.
        """
        return not self.nothing and not self.requirements

    def with_labels(self, extra: Mapping[str, str]) -> LabelSelector:
        """Add ``key=value`` requirements (``mergeLabelSetWithSelector``)."""
        if self.nothing:
            return self
        added = tuple(Requirement(k, "=", (v,)) for k, v in sorted(extra.items()))
        return LabelSelector(self.requirements + added)


_LABEL_SELECTOR_OPERATORS: Final = {
    "In": "in",
    "NotIn": "notin",
    "Exists": "exists",
    "DoesNotExist": "!",
}
_NODE_SELECTOR_OPERATORS: Final = {**_LABEL_SELECTOR_OPERATORS, "Gt": "gt", "Lt": "lt"}


def _string_list(raw: object, path: str, obj: Manifest | None) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise InputError(
            "must be a list of strings", obj=object_ref(obj) if obj else None, path=path
        )
    return list(raw)


def label_selector(raw: object, path: str, obj: Manifest | None = None) -> LabelSelector:
    """Parse a ``metav1.LabelSelector``.

    Mirrors ``metav1.LabelSelectorAsSelector``: ``None`` selects nothing, ``{}`` selects
    everything, matchLabels and matchExpressions are ANDed.

    Raises:
        InputError: a malformed selector (the upstream error text, at ``path``).
    """
    where = object_ref(obj) if obj is not None else None
    if raw is None:
        return LabelSelector(nothing=True)
    if not isinstance(raw, Mapping):
        raise InputError(f"must be a mapping, not {type(raw).__name__}", obj=where, path=path)
    match_labels = string_map_field(raw, "matchLabels", f"{path}.matchLabels", obj)
    expressions = list_field(raw, "matchExpressions", f"{path}.matchExpressions", obj)
    requirements = [Requirement(k, "=", (v,)) for k, v in sorted(match_labels.items())]
    for i, expr in enumerate(expressions):
        expr_path = f"{path}.matchExpressions[{i}]"
        if not isinstance(expr, Mapping):
            raise InputError("must be a mapping", obj=where, path=expr_path)
        operator = str_field(expr, "operator", f"{expr_path}.operator", obj)
        if operator not in _LABEL_SELECTOR_OPERATORS:
            raise InputError(
                f'"{operator}" is not a valid label selector operator',
                obj=where,
                path=f"{expr_path}.operator",
            )
        key = str_field(expr, "key", f"{expr_path}.key", obj)
        values = _string_list(expr.get("values"), f"{expr_path}.values", obj)
        try:
            requirements.append(_new_requirement(key, _LABEL_SELECTOR_OPERATORS[operator], values))
        except ValueError as exc:
            raise InputError(str(exc), obj=where, path=f"{expr_path}.values") from None
    return LabelSelector(tuple(requirements))


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
        if operator not in _NODE_SELECTOR_OPERATORS:
            return None, True
        try:
            requirements.append(_new_requirement(key, _NODE_SELECTOR_OPERATORS[operator], values))
        except ValueError:
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
