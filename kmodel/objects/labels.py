"""Label selectors, exactly as the API machinery builds and matches them.

Mirrors ``k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` ``LabelSelectorAsSelector`` and
``k8s.io/apimachinery/pkg/labels/selector.go`` (``NewRequirement``, ``Requirement.Matches``,
``internalSelector.Matches``), with the key and value checks of
``k8s.io/apimachinery/pkg/util/validation/validation.go`` (``IsQualifiedName``,
``IsValidLabelValue``, in :mod:`kmodel.objects.names`). Manifest validation, the scheduler,
services and the workload controllers all use it.

A selector is given as the manifest gives it: a mapping with ``matchLabels`` and
``matchExpressions``. A missing (``None``) selector selects nothing; an empty one selects
everything, as upstream.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_parse_int
from kmodel.internal.gofmt import go_quote
from kmodel.objects.fields import list_at, mapping_at
from kmodel.objects.names import is_qualified_name, is_valid_label_value

__all__ = [
    "LABEL_SELECTOR_OPERATORS",
    "NODE_SELECTOR_OPERATORS",
    "LabelSelector",
    "Operator",
    "Requirement",
    "label_selector_as_selector",
    "labels_of",
    "new_requirement",
    "selector_matches",
]

#: The operators of ``labels.Requirement`` that kmodel uses, by their API names. ``Gt`` and
#: ``Lt`` (``selection.GreaterThan``/``LessThan``) only come from node selector terms.
Operator = Literal["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]

#: Operators a ``metav1.LabelSelectorRequirement`` accepts (``LabelSelectorAsSelector``).
LABEL_SELECTOR_OPERATORS: Final[frozenset[str]] = frozenset(
    {"In", "NotIn", "Exists", "DoesNotExist"}
)
#: Operators a ``v1.NodeSelectorRequirement`` accepts (``nodeSelectorRequirementsAsSelector``).
NODE_SELECTOR_OPERATORS: Final[frozenset[str]] = LABEL_SELECTOR_OPERATORS | {"Gt", "Lt"}


@dataclass(frozen=True)
class Requirement:
    """One requirement of a selector: ``key`` ``operator`` ``values``.

    ``matchLabels`` entries become ``In`` requirements with one value (upstream uses
    ``selection.Equals``, which matches identically). ``Gt``/``Lt`` hold exactly one value
    that parses as an int64 (checked by :func:`new_requirement`).
    """

    key: str
    operator: Operator
    values: tuple[str, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Mirrors labels/selector.go ``Requirement.Matches``."""
        if self.operator == "In":
            return self.key in labels and labels[self.key] in self.values
        if self.operator == "NotIn":
            return self.key not in labels or labels[self.key] not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        # Gt / Lt: the label must exist and parse as an int64; upstream logs and returns false
        # for a label value that does not parse.
        if self.key not in labels:
            return False
        have = go_parse_int(labels[self.key], 64)
        if have is None:
            return False
        want = int(self.values[0])
        return have > want if self.operator == "Gt" else have < want


@dataclass(frozen=True)
class LabelSelector:
    """A compiled label selector.

    Attributes:
        requirements: every requirement must hold (``internalSelector`` is a conjunction).
        nothing: true for the selector built from a nil ``*LabelSelector``: it matches no set.
    """

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Mirrors labels/selector.go ``internalSelector.Matches`` and ``nothingSelector``."""
        if self.nothing:
            return False
        return all(requirement.matches(labels) for requirement in self.requirements)

    @property
    def is_everything(self) -> bool:
        """True when the selector matches every label set (``labels.Everything()``).

        Mirrors ``Selector.Empty``: ``labels.Nothing()`` is not empty.
        """
        return not self.nothing and not self.requirements

    def with_labels(self, extra: Mapping[str, str]) -> LabelSelector:
        """Add one ``key In (value)`` requirement per entry, in key order.

        Mirrors the scheduler's ``mergeLabelSetWithSelector`` (used for ``matchLabelKeys``);
        ``labels.Nothing()`` stays nothing.
        """
        if self.nothing:
            return self
        added = tuple(Requirement(k, "In", (v,)) for k, v in sorted(extra.items()))
        return LabelSelector(self.requirements + added)


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"must be a string, got {value!r}", path=path)
    return value


def new_requirement(key: str, operator: Operator, values: Sequence[str], path: str) -> Requirement:
    """Build one requirement, checked as upstream checks it.

    Mirrors labels/selector.go ``NewRequirement``: the key must be a qualified name, ``In`` and
    ``NotIn`` need values, ``Exists`` and ``DoesNotExist`` take none, ``Gt`` and ``Lt`` take
    exactly one int64, and every value must be a valid label value.

    Args:
        key: the label key.
        operator: the operator, by its API name.
        values: the values.
        path: the field path of the requirement, for error messages.

    Returns:
        The requirement.

    Raises:
        InputError: the first error of upstream's field.ErrorList, at its field path.
    """
    problems: list[tuple[str, str]] = []
    key_errors = is_qualified_name(key)
    if key_errors:
        problems.append((f"{path}.key", f"Invalid value: {go_quote(key)}: {'; '.join(key_errors)}"))
    if operator in {"In", "NotIn"} and not values:
        problems.append(
            (
                f"{path}.values",
                "Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
            )
        )
    if operator in {"Exists", "DoesNotExist"} and values:
        problems.append(
            (
                f"{path}.values",
                (
                    f"Invalid value: [{' '.join(values)}]: "
                    "values set must be empty for exists and does not exist"
                ),
            )
        )
    if operator in {"Gt", "Lt"}:
        if len(values) != 1:
            problems.append(
                (
                    f"{path}.values",
                    (
                        f"Invalid value: [{' '.join(values)}]: "
                        "for 'Gt', 'Lt' operators, exactly one value is required"
                    ),
                )
            )
        problems.extend(
            (
                f"{path}.values[{index}]",
                (
                    f"Invalid value: {go_quote(value)}: "
                    "for 'Gt', 'Lt' operators, the value must be an integer"
                ),
            )
            for index, value in enumerate(values)
            if go_parse_int(value, 64) is None
        )
    for index, value in enumerate(values):
        value_errors = is_valid_label_value(value)
        if value_errors:
            problems.append(
                (
                    f"{path}.values[{index}]",
                    f"Invalid value: {go_quote(value)}: {'; '.join(value_errors)}",
                )
            )
    if problems:
        where, message = problems[0]
        raise InputError(message, path=where)
    return Requirement(key, operator, tuple(values))


def label_selector_as_selector(selector: object, *, path: str = "spec.selector") -> LabelSelector:
    """Compile a ``metav1.LabelSelector`` manifest into a selector.

    Mirrors ``k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go LabelSelectorAsSelector``: a nil
    selector selects nothing, an empty one everything; ``matchLabels`` come first (upstream then
    sorts requirements by key, which does not change the conjunction).

    Args:
        selector: the selector mapping, or ``None`` (anything else is an input error).
        path: the field path of the selector, for error messages.

    Returns:
        The compiled selector.

    Raises:
        InputError: for a malformed selector, an unknown operator, an invalid key or value, or
            a values list that does not fit the operator (the first error, with its field path).
    """
    if selector is None:
        return LabelSelector(nothing=True)
    if not isinstance(selector, Mapping):
        raise InputError(f"must be a mapping, got {selector!r}", path=path)
    match_labels = mapping_at(selector, "matchLabels")
    match_expressions = list_at(selector, "matchExpressions")
    if not isinstance(match_labels, Mapping):
        raise InputError("must be a mapping of label keys to values", path=f"{path}.matchLabels")
    if not isinstance(match_expressions, list):
        raise InputError("must be a list", path=f"{path}.matchExpressions")
    requirements: list[Requirement] = []
    for key, value in match_labels.items():
        where = f"{path}.matchLabels[{key}]"
        requirements.append(
            new_requirement(_string(key, where), "In", [_string(value, where)], where)
        )
    for index, expression in enumerate(match_expressions):
        where = f"{path}.matchExpressions[{index}]"
        if not isinstance(expression, Mapping):
            raise InputError("must be a mapping", path=where)
        operator = expression.get("operator")
        if operator not in LABEL_SELECTOR_OPERATORS:
            raise InputError(
                f"{go_quote(str(operator))} is not a valid label selector operator",
                path=f"{where}.operator",
            )
        raw_values = list_at(expression, "values")
        if not isinstance(raw_values, list):
            raise InputError("must be a list of strings", path=f"{where}.values")
        values = [_string(v, f"{where}.values[{i}]") for i, v in enumerate(raw_values)]
        key = _string(expression.get("key"), f"{where}.key")
        requirements.append(new_requirement(key, operator, values, where))
    return LabelSelector(tuple(requirements))


def labels_of(obj: Mapping[str, object], *, path: str = "metadata.labels") -> dict[str, str]:
    """Return the ``metadata.labels`` of an object as a dict (empty when absent).

    Raises:
        InputError: if the labels are not a mapping of strings to strings.
    """
    metadata = mapping_at(obj, "metadata")
    if not isinstance(metadata, Mapping):
        raise InputError("must be a mapping", path="metadata")
    labels = mapping_at(metadata, "labels")
    if not isinstance(labels, Mapping):
        raise InputError("must be a mapping", path=path)
    result: dict[str, str] = {}
    for key, value in labels.items():
        result[_string(key, path)] = _string(value, f"{path}[{key}]")
    return result


def selector_matches(
    selector: Mapping[str, object] | None,
    labels: Mapping[str, str],
    *,
    path: str = "spec.selector",
) -> bool:
    """Whether a selector manifest matches a label set.

    Mirrors ``LabelSelectorAsSelector(selector).Matches(labels.Set(labels))``.

    Raises:
        InputError: if the selector is invalid (see :func:`label_selector_as_selector`).
    """
    return label_selector_as_selector(selector, path=path).matches(labels)
