"""Rolling a Deployment back to an earlier revision.

Mirrors ``pkg/controller/deployment/rollback.go`` (``rollback``, ``rollbackToTemplate``,
``getRollbackTo``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from kmodel.internal.gocompat import GO_DECIMAL
from kmodel.internal.gofmt import go_quote
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _get
from kmodel.objects.quantity import parse_quantity
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.util import (
    _ANNOTATIONS_TO_SKIP,
    _POD_TEMPLATE_HASH_LABEL,
    REASON_ROLLBACK_DONE,
    REASON_ROLLBACK_NOT_FOUND,
    REASON_ROLLBACK_UNCHANGED,
    ROLLBACK_TO_ANNOTATION,
    _annotations,
    _name,
    _revision_or_error,
    last_revision,
)

__all__ = ["RollbackDecision", "rollback"]


@dataclass(frozen=True)
class RollbackDecision:
    """What ``rollback`` does.

    Attributes:
        revision: the revision rolled back to (0 when no last revision exists).
        event_type: ``Normal`` or ``Warning``.
        reason: the event reason.
        message: the event message.
        template: the Deployment's new pod template when it was rolled back, else ``None``.
        annotations: the Deployment's annotations afterwards (the rollback annotation is
            always cleared).
    """

    revision: int
    event_type: Literal["Normal", "Warning"]
    reason: str
    message: str
    template: dict[str, Any] | None
    annotations: dict[str, Any]


def _semantic(value: object) -> object:
    """Normalise a manifest fragment for ``apiequality.Semantic.DeepEqual``.

    Null, empty maps and empty lists compare equal to absent fields (upstream treats nil and
    empty maps and slices as equal) and resource quantities compare by amount. This is an
    approximation: without the Go schema, a pointer field set to its zero value is not told
    apart from an absent one.
    """
    if isinstance(value, Mapping):
        normal: dict[str, object] = {}
        for key, item in value.items():
            if key in {"requests", "limits"} and isinstance(item, Mapping):
                normal[key] = {k: parse_quantity(v) for k, v in item.items()}
                continue
            inner = _semantic(item)
            if inner is None or inner in ({}, []):
                continue
            normal[key] = inner
        return normal
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _template_without_hash(template: object) -> object:
    """The template as deployment_util.go ``EqualIgnoreHash`` compares it (no template hash)."""
    normal = _semantic(template)
    if isinstance(normal, dict):
        metadata = normal.get("metadata")
        if isinstance(metadata, dict):
            labels = metadata.get("labels")
            if isinstance(labels, dict):
                labels.pop(_POD_TEMPLATE_HASH_LABEL, None)
                if not labels:
                    metadata.pop("labels")
            if not metadata:
                normal.pop("metadata")
    return normal


def _rollback_to(d: Manifest) -> int | None:
    """Mirrors rollback.go ``getRollbackTo``: the annotation as int64, else ``None``."""
    value = _annotations(d).get(ROLLBACK_TO_ANNOTATION)
    if not isinstance(value, str) or not value or not GO_DECIMAL.fullmatch(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def rollback(d: Manifest, all_rss: Sequence[Manifest | None]) -> RollbackDecision | None:
    """Decide a legacy rollback (the ``deprecated.deployment.rollback.to`` annotation).

    Mirrors rollback.go ``rollback`` and ``rollbackToTemplate`` (k8s-semantics.md 5.5):
    revision 0 means :func:`last_revision`, and none gives the Warning
    ``DeploymentRollbackRevisionNotFound`` "Unable to find last revision."; the first RS with
    the revision whose template differs (ignoring pod-template-hash) is copied into the
    Deployment together with its annotations (Normal ``DeploymentRollback``); an equal
    template gives the Warning ``DeploymentRollbackTemplateUnchanged``; no such RS gives the
    Warning ``DeploymentRollbackRevisionNotFound`` "Unable to find the revision to rollback
    to.". The annotation is always cleared.

    ``all_rss`` are the old RSs followed by the new RS, as ``getAllReplicaSetsAndSyncRevision``
    returns them (the caller syncs the new RS's revision first).

    Returns:
        The decision, or ``None`` when the annotation is absent or not an integer (upstream
        then does not roll back and leaves the annotation alone).
    """
    target = _rollback_to(d)
    if target is None:
        return None
    annotations = dict(_annotations(d))
    annotations.pop(ROLLBACK_TO_ANNOTATION, None)
    name = _name(d)
    if target == 0:
        target = last_revision(all_rss)
        if target == 0:
            return RollbackDecision(
                0,
                "Warning",
                REASON_ROLLBACK_NOT_FOUND,
                "Unable to find last revision.",
                None,
                annotations,
            )
    for rs in all_rss:
        if rs is None or _revision_or_error(rs) != target:
            continue
        rs_template = _mapping(_get(rs, "spec.template"), "spec.template")
        if _template_without_hash(_get(d, "spec.template")) == _template_without_hash(rs_template):
            return RollbackDecision(
                target,
                "Warning",
                REASON_ROLLBACK_UNCHANGED,
                "The rollback revision contains the same template as current deployment "
                f"{go_quote(name)}",
                None,
                annotations,
            )
        # SetFromReplicaSetTemplate: the template without the pod-template-hash label.
        template = copy.deepcopy(dict(rs_template))
        metadata = dict(_mapping(template.get("metadata"), "spec.template.metadata"))
        labels = dict(_mapping(metadata.get("labels"), "spec.template.metadata.labels"))
        labels.pop(_POD_TEMPLATE_HASH_LABEL, None)
        metadata["labels"] = labels
        template["metadata"] = metadata
        # SetDeploymentAnnotationsTo: keep the skipped keys, take the RS's others.
        new_annotations = {k: v for k, v in annotations.items() if k in _ANNOTATIONS_TO_SKIP}
        new_annotations.update(
            {k: v for k, v in _annotations(rs).items() if k not in _ANNOTATIONS_TO_SKIP}
        )
        return RollbackDecision(
            target,
            "Normal",
            REASON_ROLLBACK_DONE,
            f"Rolled back deployment {go_quote(name)} to revision {target}",
            template,
            new_annotations,
        )
    return RollbackDecision(
        target,
        "Warning",
        REASON_ROLLBACK_NOT_FOUND,
        "Unable to find the revision to rollback to.",
        None,
        annotations,
    )
