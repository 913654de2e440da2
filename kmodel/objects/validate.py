"""Validation of the Kubernetes objects kmodel models, as the API server validates them.

Mirrors ``pkg/apis/core/validation/validation.go`` (``ValidatePod``, ``ValidatePodSpec``,
``ValidateNode``, ``ValidateService``, ``ValidateConfigMap``, ``ValidateSecret``,
``ValidatePersistentVolume``, ``ValidatePersistentVolumeClaim``),
``pkg/apis/apps/validation/validation.go`` (``ValidateDeployment``, ``ValidateReplicaSet``,
``ValidateDaemonSet``),
``pkg/apis/policy/validation/validation.go`` (``ValidatePodDisruptionBudget``) and the
apimachinery helpers they call (``ValidateObjectMeta``, ``ValidateLabels``,
``ValidateLabelSelector``, ``IsDNS1123Label``, ``IsDNS1123Subdomain``, ``IsQualifiedName``...)
for the fields the model uses. Rules upstream has but the model does not need (what is inside
a volume source, probe handlers, security contexts, env values...) are not checked; a rule
upstream does not have is never added.

Conventions, which the whole loader shares:

* Messages are upstream's ``field.Error`` bodies (``Required value``, ``Invalid value: "x":
  detail``, ``Unsupported value: "x": supported values: "a", "b"``, ``Duplicate value: "x"``,
  ``Forbidden: detail``). Values are quoted as Go's ``%q`` does for strings and printed plainly
  for numbers; quantities are shown as written in the manifest (upstream prints the canonical
  form, e.g. ``0.5`` as ``500m``).
* Field paths are fully dotted and indexed, which is what a user needs to find the field:
  ``spec.containers[1].resources.requests.cpu``. Map keys are dotted when they are plain words
  (``requests.cpu``) and bracketed otherwise (``requests[nvidia.com/gpu]``, ``data[app.conf]``).
  Upstream brackets every map key and reports a few errors on the parent list; those two
  choices are the only differences from its paths.
* Type errors (``containers: {}``, ``replicas: "3"``) are what upstream's JSON decoder refuses;
  their messages are kmodel's own (``must be a list, not a mapping``). ``null`` is the same as an
  absent field, as in the Go decoder.
* Defaults the API server applies before validating (``restartPolicy: Always``,
  ``progressDeadlineSeconds: 600``, rolling update 25%/25%) are assumed where a rule depends on
  them; bodies are never modified.
* Only the first error is reported, in upstream's validation order where it matters.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final, NoReturn

from kmodel.errors import InputError, join_path
from kmodel.internal.gocompat import MAX_INT32
from kmodel.internal.values import describe_value, go_value
from kmodel.objects.cron import parse_schedule
from kmodel.objects.defaults import (
    DEFAULT_MAX_SURGE,
    DEFAULT_MAX_UNAVAILABLE,
    DEFAULT_PROGRESS_DEADLINE_SECONDS,
)
from kmodel.objects.field_check import map_entry_path
from kmodel.objects.known_fields import STRUCTS
from kmodel.objects.labels import selector_matches
from kmodel.objects.names import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    max_len_error,
    regex_error,
)
from kmodel.objects.quantity import milli_value, parse_quantity
from kmodel.objects.types import Manifest

__all__ = [
    "MODELLED_KINDS",
    "KindSpec",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "selector_matches",
    "validate_object",
    "validate_pod_spec",
]

# ---------------------------------------------------------------- field errors and paths

_key = map_entry_path


def _fail(path: str, message: str) -> NoReturn:
    raise InputError(message, path=path)


def _required(path: str, detail: str = "") -> NoReturn:
    """``field.Required``."""
    _fail(path, f"Required value: {detail}" if detail else "Required value")


def _invalid(path: str, value: object, detail: str) -> NoReturn:
    """``field.Invalid``."""
    _fail(path, f"Invalid value: {go_value(value)}: {detail}")


def _not_supported(path: str, value: object, supported: tuple[str, ...]) -> NoReturn:
    """``field.NotSupported``."""
    quoted = ", ".join(json.dumps(item) for item in supported)
    _fail(path, f"Unsupported value: {go_value(value)}: supported values: {quoted}")


def _duplicate(path: str, value: object, detail: str = "") -> NoReturn:
    """``field.Duplicate``."""
    message = f"Duplicate value: {go_value(value)}"
    _fail(path, f"{message}: {detail}" if detail else message)


def _forbidden(path: str, detail: str) -> NoReturn:
    """``field.Forbidden``."""
    _fail(path, f"Forbidden: {detail}")


# ---------------------------------------------------------------- typed access


def _type_error(path: str, expected: str, value: object) -> NoReturn:
    _fail(path, f"must be {expected}, not {describe_value(value)}")


def _mapping(obj: Manifest, key: str, path: str) -> Manifest:
    """The mapping at ``obj[key]``; absent or null reads as empty."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _type_error(join_path(path, key), "a mapping", value)
    return value


def _optional_mapping(obj: Manifest, key: str, path: str) -> Manifest | None:
    return _mapping(obj, key, path) if obj.get(key) is not None else None


def _list(obj: Manifest, key: str, path: str) -> list[Any]:
    """The list at ``obj[key]``; absent or null reads as empty."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _type_error(join_path(path, key), "a list", value)
    return value


def _item_mapping(value: object, path: str) -> Manifest:
    if not isinstance(value, Mapping):
        _type_error(path, "a mapping", value)
    return value


def _string(obj: Manifest, key: str, path: str) -> str:
    """The string at ``obj[key]``; absent or null reads as ``""`` as in Go."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        _type_error(join_path(path, key), "a string", value)
    return value


def _optional_int(obj: Manifest, key: str, path: str, *, bits: int = 32) -> int | None:
    """The integer at ``obj[key]`` (int32 or int64 as the Go field is), or None if absent."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _type_error(join_path(path, key), "an integer", value)
    limit = 2 ** (bits - 1)
    if not -limit <= value < limit:
        _invalid(join_path(path, key), value, f"must fit in a {bits}-bit integer")
    return value


def _optional_bool(obj: Manifest, key: str, path: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        _type_error(join_path(path, key), "a boolean", value)
    return value


def _string_map(obj: Manifest, key: str, path: str) -> dict[str, str]:
    """A ``map[string]string`` field such as labels or a nodeSelector."""
    mapping = _mapping(obj, key, path)
    result: dict[str, str] = {}
    for entry_key, entry_value in mapping.items():
        if not isinstance(entry_value, str):
            _type_error(_key(join_path(path, key), entry_key), "a string", entry_value)
        result[entry_key] = entry_value
    return result


def _int_or_string(obj: Manifest, key: str, path: str) -> int | str | None:
    """An ``intstr.IntOrString`` field, or None if absent."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        _type_error(join_path(path, key), "an integer or a string", value)
    return value


# ---------------------------------------------------------------- names, apimachinery rules

_CONFIG_MAP_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_MAP_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_PERCENT_FMT = "[0-9]+%"
_PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%'"

_CONFIG_MAP_KEY = re.compile(_CONFIG_MAP_KEY_FMT)
_PERCENT = re.compile(_PERCENT_FMT)
_PORT_NAME_CHARS = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER = re.compile("[a-z]")


def _is_config_map_key(value: str) -> list[str]:
    """Mirrors apimachinery ``validation.IsConfigMapKey``."""
    errors = []
    if len(value) > 253:
        errors.append(max_len_error(253))
    if not _CONFIG_MAP_KEY.fullmatch(value):
        errors.append(
            regex_error(
                _CONFIG_MAP_KEY_MSG, _CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME", "key-name"
            )
        )
    if value == ".":
        errors.append("must not be '.'")
    elif value == "..":
        errors.append("must not be '..'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _is_valid_port_num(port: int) -> list[str]:
    """Mirrors apimachinery ``validation.IsValidPortNum``."""
    return [] if 1 <= port <= 65535 else ["must be between 1 and 65535, inclusive"]


def _is_valid_port_name(name: str) -> list[str]:
    """Mirrors apimachinery ``validation.IsValidPortName`` (IANA_SVC_NAME)."""
    errors = []
    if len(name) > 15:
        errors.append(max_len_error(15))
    if not _PORT_NAME_CHARS.fullmatch(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def _check(path: str, value: object, messages: list[str]) -> None:
    """Raise ``field.Invalid`` with the first message, as ``for _, msg := range ...`` does."""
    if messages:
        _invalid(path, value, messages[0])


# ---------------------------------------------------------------- metadata

NameValidator = Callable[[str], list[str]]


def _validate_labels(labels: Mapping[str, str], path: str) -> None:
    """Mirrors apimachinery ``v1validation.ValidateLabels`` (errors on the map's path)."""
    for key, value in labels.items():
        _check(path, key, is_qualified_name(key))
        _check(path, value, is_valid_label_value(value))


_TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)


def _validate_annotations(annotations: Mapping[str, str], path: str) -> None:
    """Mirrors apimachinery ``ValidateAnnotations`` and ``ValidateAnnotationsSize``."""
    total = 0
    for key, value in annotations.items():
        _check(path, key, is_qualified_name(key.lower()))
        total += len(key.encode()) + len(value.encode())
    if total > _TOTAL_ANNOTATION_SIZE_LIMIT:
        _fail(path, f"Too long: must have at most {_TOTAL_ANNOTATION_SIZE_LIMIT} bytes")


def _validate_owner_references(metadata: Manifest, path: str) -> None:
    """Mirrors apimachinery ``ValidateOwnerReferences`` / ``validateOwnerReference``."""
    refs_path = join_path(path, "ownerReferences")
    first_controller = ""
    for index, raw in enumerate(_list(metadata, "ownerReferences", path)):
        ref_path = f"{refs_path}[{index}]"
        ref = _item_mapping(raw, ref_path)
        api_version = _string(ref, "apiVersion", ref_path)
        kind = _string(ref, "kind", ref_path)
        name = _string(ref, "name", ref_path)
        uid = _string(ref, "uid", ref_path)
        # schema.FromAPIVersionAndKind: the version is the part after the last "/".
        if not api_version.rsplit("/", 1)[-1]:
            _invalid(join_path(ref_path, "apiVersion"), api_version, "version must not be empty")
        if not kind:
            _invalid(join_path(ref_path, "kind"), kind, "must not be empty")
        if not name:
            _invalid(join_path(ref_path, "name"), name, "must not be empty")
        if not uid:
            _invalid(join_path(ref_path, "uid"), uid, "must not be empty")
        if _optional_bool(ref, "controller", ref_path):
            current = f"{kind}/{name}"
            if first_controller:
                _invalid(
                    refs_path,
                    metadata["ownerReferences"],
                    "Only one reference can have Controller set to true. Found "
                    f'"true" in references for {first_controller} and {current}',
                )
            first_controller = current
        _optional_bool(ref, "blockOwnerDeletion", ref_path)


def _mask_trailing_dash(name: str) -> str:
    """Mirrors apimachinery ``maskTrailingDash``: a prefix may end with ``-``."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def _validate_object_meta(
    body: Manifest, *, namespaced: bool, name_validator: NameValidator
) -> None:
    """Mirrors apimachinery ``ValidateObjectMetaAccessor`` for a top-level object.

    ``metadata.name`` is required. Upstream accepts ``generateName`` alone because the API
    server fills the name in before validating; kmodel does not invent names, so it asks for
    one (pod templates, validated elsewhere, need no name).
    """
    path = "metadata"
    metadata = _mapping(body, "metadata", "")
    generate_name = _string(metadata, "generateName", path)
    if generate_name:
        _check(
            join_path(path, "generateName"),
            generate_name,
            name_validator(_mask_trailing_dash(generate_name)),
        )
    name = _string(metadata, "name", path)
    if not name:
        detail = "name or generateName is required"
        if generate_name:
            detail = "kmodel needs metadata.name (generateName is resolved by the API server)"
        _required(join_path(path, "name"), detail)
    _check(join_path(path, "name"), name, name_validator(name))
    namespace = _string(metadata, "namespace", path)
    if namespaced and namespace:
        # ValidateNamespaceName is NameIsDNSLabel; cluster-scoped objects have theirs cleared.
        _check(join_path(path, "namespace"), namespace, is_dns1123_label(namespace))
    _validate_labels(_string_map(metadata, "labels", path), join_path(path, "labels"))
    _validate_annotations(
        _string_map(metadata, "annotations", path), join_path(path, "annotations")
    )
    _validate_owner_references(metadata, path)


# ---------------------------------------------------------------- resources and quantities

_STANDARD_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_STANDARD_RESOURCES = frozenset(
    {
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "persistentvolumeclaims",
        "configmaps",
        "storage",
        "requests.storage",
        "services.nodeports",
        "services.loadbalancers",
    }
)
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "resourcequotas",
        "services",
        "replicationcontrollers",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native_resource(name: str) -> bool:
    """Mirrors ``helper.IsNativeResource``."""
    return "/" not in name or "kubernetes.io/" in name


def _is_extended_resource(name: str) -> bool:
    """Mirrors ``helper.IsExtendedResourceName``."""
    if _is_native_resource(name) or name.startswith("requests."):
        return False
    return not is_qualified_name("requests." + name)


def _is_standard_resource(name: str) -> bool:
    """Mirrors ``helper.IsStandardResourceName``."""
    return (
        name in _STANDARD_RESOURCES or _is_hugepages(name) or name.startswith("requests.hugepages-")
    )


def _quantity_text(raw: object) -> str:
    return raw.strip() if isinstance(raw, str) else repr(raw)


def _quantity(raw: object, path: str) -> Fraction:
    try:
        return parse_quantity(raw)
    except InputError as exc:
        raise exc.located(path_prefix=path) from None


def _validate_resource_quantity_value(name: str, raw: object, path: str) -> Fraction:
    """Mirrors ``ValidateResourceQuantityValue`` (non-negative; whole for integer resources)."""
    amount = _quantity(raw, path)
    if amount < 0:
        _invalid(path, _quantity_text(raw), "must be greater than or equal to 0")
    if (name in _INTEGER_RESOURCES or _is_extended_resource(name)) and milli_value(amount) % 1000:
        _invalid(path, _quantity_text(raw), "must be an integer")
    return amount


def _validate_container_resource_name(name: str, path: str) -> None:
    """Mirrors ``validateContainerResourceName`` (with ``validateResourceName``)."""
    _check(path, name, is_qualified_name(name))
    if "/" not in name:
        if not _is_standard_resource(name):
            _invalid(path, name, "must be a standard resource type or fully qualified")
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            _invalid(path, name, "must be a standard resource for containers")
    elif not _is_native_resource(name) and not _is_extended_resource(name):
        _invalid(path, name, "doesn't follow extended resource name standard")


def _validate_resource_requirements(resources: Manifest, path: str) -> None:
    """Mirrors ``ValidateResourceRequirements`` for a container's ``resources``."""
    limits_path = join_path(path, "limits")
    requests_path = join_path(path, "requests")
    limits = _mapping(resources, "limits", path)
    requests = _mapping(resources, "requests", path)
    limit_amounts: dict[str, Fraction] = {}
    cpu_or_memory = False
    hugepages = False
    for name, raw in limits.items():
        entry = _key(limits_path, name)
        _validate_container_resource_name(name, entry)
        limit_amounts[name] = _validate_resource_quantity_value(name, raw, entry)
        cpu_or_memory = cpu_or_memory or name in {"cpu", "memory"}
        hugepages = hugepages or _is_hugepages(name)
    for name, raw in requests.items():
        entry = _key(requests_path, name)
        _validate_container_resource_name(name, entry)
        amount = _validate_resource_quantity_value(name, raw, entry)
        overcommit_allowed = _is_native_resource(name) and not _is_hugepages(name)
        if name in limit_amounts:
            limit_text = _quantity_text(limits[name])
            if amount != limit_amounts[name] and not overcommit_allowed:
                _invalid(
                    requests_path,
                    _quantity_text(raw),
                    f"must be equal to {name} limit of {limit_text}",
                )
            if amount > limit_amounts[name]:
                _invalid(
                    requests_path,
                    _quantity_text(raw),
                    f"must be less than or equal to {name} limit of {limit_text}",
                )
        elif not overcommit_allowed:
            _required(limits_path, "Limit must be set for non overcommitable resources")
        cpu_or_memory = cpu_or_memory or name in {"cpu", "memory"}
        hugepages = hugepages or _is_hugepages(name)
    if hugepages and not cpu_or_memory:
        _forbidden(path, "HugePages require cpu or memory")


# ---------------------------------------------------------------- pods


#: The volume sources a Volume may name (its fields but ``name``), from ``k8s.io/api``.
_VOLUME_SOURCES: Final = frozenset(STRUCTS["Volume"]) - {"name"}


def _validate_volumes(spec: Manifest, path: str) -> set[str]:
    """Mirrors ``ValidateVolumes`` for names and the need of a source; returns the names."""
    volumes_path = join_path(path, "volumes")
    names: set[str] = set()
    for index, raw in enumerate(_list(spec, "volumes", path)):
        item_path = f"{volumes_path}[{index}]"
        volume = _item_mapping(raw, item_path)
        if not any(volume.get(source) is not None for source in _VOLUME_SOURCES):
            _required(item_path, "must specify a volume type")
        name = _string(volume, "name", item_path)
        name_path = join_path(item_path, "name")
        if not name:
            _required(name_path)
        _check(name_path, name, is_dns1123_label(name))
        if name in names:
            _duplicate(name_path, name)
        names.add(name)
    return names


def _validate_env(container: Manifest, path: str) -> None:
    """Mirrors ``validateEnv`` (a name) and ``validateEnvFrom`` (exactly one source)."""
    env_path = join_path(path, "env")
    for index, raw in enumerate(_list(container, "env", path)):
        item_path = f"{env_path}[{index}]"
        if not _string(_item_mapping(raw, item_path), "name", item_path):
            _required(join_path(item_path, "name"))
    env_from_path = join_path(path, "envFrom")
    for index, raw in enumerate(_list(container, "envFrom", path)):
        item_path = f"{env_from_path}[{index}]"
        source = _item_mapping(raw, item_path)
        sources = [key for key in ("configMapRef", "secretRef") if source.get(key) is not None]
        if not sources:
            _invalid(item_path, "", "must specify one of: `configMapRef` or `secretRef`")
        if len(sources) > 1:
            _invalid(item_path, "", "may not have more than one field specified at a time")


def _validate_volume_mounts(container: Manifest, path: str, volumes: set[str]) -> None:
    """Mirrors ``ValidateVolumeMounts``: a name that is one of the pod's volumes, a path."""
    mounts_path = join_path(path, "volumeMounts")
    for index, raw in enumerate(_list(container, "volumeMounts", path)):
        item_path = f"{mounts_path}[{index}]"
        mount = _item_mapping(raw, item_path)
        name = _string(mount, "name", item_path)
        name_path = join_path(item_path, "name")
        if not name:
            _required(name_path)
        if name not in volumes:
            _fail(name_path, f"Not found: {go_value(name)}")
        if not _string(mount, "mountPath", item_path):
            _required(join_path(item_path, "mountPath"))


def _validate_container(
    container: Manifest, path: str, *, template: bool, init: bool, volumes: set[str]
) -> bool:
    """Mirrors ``validateContainerCommon`` plus the init-container restartPolicy check.

    Returns whether this is a restartable (sidecar) init container (``validateInitContainers``).
    """
    name = _string(container, "name", path)
    if not name:
        _required(join_path(path, "name"))
    _check(join_path(path, "name"), name, is_dns1123_label(name))
    image = _string(container, "image", path)
    if not image:
        _required(join_path(path, "image"))
    if not template and image != image.strip():
        # validateContainerOnlyForPod: templates may hold " " as a placeholder image.
        _invalid(join_path(path, "image"), image, "must not have leading or trailing whitespace")
    _validate_resource_requirements(
        _mapping(container, "resources", path), join_path(path, "resources")
    )
    for port_index, raw_port in enumerate(_list(container, "ports", path)):
        port_path = join_path(path, f"ports[{port_index}]")
        port = _item_mapping(raw_port, port_path)
        container_port = _optional_int(port, "containerPort", port_path)
        if not container_port:
            _required(join_path(port_path, "containerPort"))
        _check(
            join_path(port_path, "containerPort"),
            container_port,
            _is_valid_port_num(container_port),
        )
    _validate_env(container, path)
    _validate_volume_mounts(container, path, volumes)
    _optional_mapping(container, "lifecycle", path)
    for field in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = _optional_mapping(container, field, path)
        if probe is not None:
            _validate_probe(probe, field, join_path(path, field))
    restart_policy = container.get("restartPolicy")
    if restart_policy is None:
        return False
    restart_path = join_path(path, "restartPolicy")
    if not isinstance(restart_policy, str):
        _type_error(restart_path, "a string", restart_policy)
    if not init:
        _forbidden(restart_path, "may not be set for non-init containers")
    if restart_policy != "Always":
        # validateInitContainerRestartPolicy
        _not_supported(restart_path, restart_policy, ("Always",))
    return True


def _validate_probe(probe: Manifest, kind: str, path: str) -> None:
    """Mirrors ``validateProbe`` and the per-kind rules for the probe fields the model runs.

    ``validateLivenessProbe`` and ``validateStartupProbe``: ``successThreshold`` must be 1;
    ``validateReadinessProbe``: no ``terminationGracePeriodSeconds``. Handlers are not checked.
    Zero thresholds are defaulted to 1 and 3 before validation (``SetDefaults_Probe``).
    """
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        _validate_nonnegative(_optional_int(probe, key, path), join_path(path, key))
    grace_path = join_path(path, "terminationGracePeriodSeconds")
    grace = _optional_int(probe, "terminationGracePeriodSeconds", path, bits=64)
    if grace is not None and grace <= 0:
        _invalid(grace_path, grace, "must be greater than 0")
    if kind == "readinessProbe":
        if grace is not None:
            _invalid(grace_path, grace, "must not be set for readinessProbes")
        return
    success = _optional_int(probe, "successThreshold", path) or 1
    if success != 1:
        _invalid(join_path(path, "successThreshold"), success, "must be 1")


def _validate_containers(spec: Manifest, path: str, *, template: bool, volumes: set[str]) -> None:
    """Mirrors ``validateContainers`` then ``validateInitContainers`` (upstream's order)."""
    containers_path = join_path(path, "containers")
    containers = [
        _item_mapping(raw, f"{containers_path}[{index}]")
        for index, raw in enumerate(_list(spec, "containers", path))
    ]
    names: set[str] = set()
    for index, container in enumerate(containers):
        container_path = f"{containers_path}[{index}]"
        _validate_container(
            container, container_path, template=template, init=False, volumes=volumes
        )
        name = _string(container, "name", container_path)
        if name in names:
            _duplicate(join_path(container_path, "name"), name)
        names.add(name)
    if not containers:
        _required(containers_path)
    init_path = join_path(path, "initContainers")
    for index, raw in enumerate(_list(spec, "initContainers", path)):
        container_path = f"{init_path}[{index}]"
        container = _item_mapping(raw, container_path)
        sidecar = _validate_container(
            container, container_path, template=template, init=True, volumes=volumes
        )
        name = _string(container, "name", container_path)
        # Names are unique across regular and init containers; upstream reports the clash here.
        if name in names:
            _duplicate(join_path(container_path, "name"), name)
        if name:
            names.add(name)
        if not sidecar:
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if container.get(field) is not None:
                    _forbidden(
                        join_path(container_path, field),
                        "may not be set for init containers without restartPolicy=Always",
                    )


_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _validate_taint_effect(effect: str, path: str, *, allow_empty: bool) -> None:
    """Mirrors ``validateTaintEffect``."""
    if not effect:
        if allow_empty:
            return
        _required(path)
    if effect not in _TAINT_EFFECTS:
        _not_supported(path, effect, _TAINT_EFFECTS)


def _validate_tolerations(spec: Manifest, path: str) -> None:
    """Mirrors ``ValidateTolerations``."""
    tolerations_path = join_path(path, "tolerations")
    for index, raw in enumerate(_list(spec, "tolerations", path)):
        item_path = f"{tolerations_path}[{index}]"
        toleration = _item_mapping(raw, item_path)
        key = _string(toleration, "key", item_path)
        operator = _string(toleration, "operator", item_path)
        value = _string(toleration, "value", item_path)
        effect = _string(toleration, "effect", item_path)
        seconds = _optional_int(toleration, "tolerationSeconds", item_path, bits=64)
        if key:
            _check(join_path(item_path, "key"), key, is_qualified_name(key))
        if not key and operator != "Exists":
            _invalid(
                join_path(item_path, "operator"),
                operator,
                'operator must be Exists when `key` is empty, which means "match all values '
                'and all keys"',
            )
        if seconds is not None and effect != "NoExecute":
            _invalid(
                join_path(item_path, "effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            )
        if operator in {"", "Equal"}:
            _check(join_path(item_path, "value"), value, is_valid_label_value(value))
        elif operator == "Exists":
            if value:
                _invalid(
                    join_path(item_path, "operator"),
                    value,
                    "value must be empty when `operator` is 'Exists'",
                )
        else:
            _not_supported(join_path(item_path, "operator"), operator, ("Equal", "Exists"))
        _validate_taint_effect(effect, join_path(item_path, "effect"), allow_empty=True)


# ---------------------------------------------------------------- affinity and spreading

_IS_NOT_POSITIVE = "must be greater than zero"  # upstream's isNotPositiveErrorMsg


def _validate_node_selector_term(term: Manifest, path: str) -> None:
    """Mirrors ``ValidateNodeSelectorTerm``: its expressions and field requirements."""
    expressions_path = join_path(path, "matchExpressions")
    for index, raw in enumerate(_list(term, "matchExpressions", path)):
        item_path = f"{expressions_path}[{index}]"
        requirement = _item_mapping(raw, item_path)
        operator = _string(requirement, "operator", item_path)
        values = _list(requirement, "values", item_path)
        values_path = join_path(item_path, "values")
        if operator in {"In", "NotIn"}:
            if not values:
                _required(values_path, "must be specified when `operator` is 'In' or 'NotIn'")
        elif operator in {"Exists", "DoesNotExist"}:
            if values:
                _forbidden(
                    values_path,
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
        elif operator in {"Gt", "Lt"}:
            if len(values) != 1:
                _required(
                    values_path, "must be specified single value when `operator` is 'Lt' or 'Gt'"
                )
        else:
            _invalid(join_path(item_path, "operator"), operator, "not a valid selector operator")
        key = _string(requirement, "key", item_path)
        _check(join_path(item_path, "key"), key, is_qualified_name(key))
    fields_path = join_path(path, "matchFields")
    for index, raw in enumerate(_list(term, "matchFields", path)):
        # ValidateNodeFieldSelectorRequirement: only metadata.name, with exactly one value.
        item_path = f"{fields_path}[{index}]"
        requirement = _item_mapping(raw, item_path)
        operator = _string(requirement, "operator", item_path)
        values = _list(requirement, "values", item_path)
        if operator in {"In", "NotIn"}:
            if len(values) != 1:
                _required(
                    join_path(item_path, "values"),
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field "
                    "selector",
                )
        else:
            _invalid(join_path(item_path, "operator"), operator, "not a valid selector operator")
        key = _string(requirement, "key", item_path)
        if key != "metadata.name":
            _invalid(join_path(item_path, "key"), key, "not a valid field selector key")
        for value_index, value in enumerate(values):
            value_path = join_path(item_path, f"values[{value_index}]")
            if not isinstance(value, str):
                _type_error(value_path, "a string", value)
            _check(value_path, value, is_dns1123_subdomain(value))


def _validate_preferred_terms(
    affinity: Manifest, path: str, inner: str, validate_inner: Callable[[Manifest, str], None]
) -> None:
    """The weighted terms of ``preferredDuringSchedulingIgnoredDuringExecution``.

    Each has a ``weight`` in 1-100 and its term under ``inner`` (``preference`` of a node
    affinity, ``podAffinityTerm`` of a pod affinity), checked by ``validate_inner``.
    """
    preferred_path = join_path(path, "preferredDuringSchedulingIgnoredDuringExecution")
    for index, raw in enumerate(
        _list(affinity, "preferredDuringSchedulingIgnoredDuringExecution", path)
    ):
        term_path = f"{preferred_path}[{index}]"
        term = _item_mapping(raw, term_path)
        weight = _optional_int(term, "weight", term_path) or 0
        if not 1 <= weight <= 100:
            _invalid(join_path(term_path, "weight"), weight, "must be in the range 1-100")
        validate_inner(_mapping(term, inner, term_path), join_path(term_path, inner))


def _validate_node_affinity(affinity: Manifest, path: str) -> None:
    """Mirrors ``validateNodeAffinity`` (``ValidateNodeSelector``, preferred terms)."""
    required = _optional_mapping(affinity, "requiredDuringSchedulingIgnoredDuringExecution", path)
    if required is not None:
        required_path = join_path(path, "requiredDuringSchedulingIgnoredDuringExecution")
        terms_path = join_path(required_path, "nodeSelectorTerms")
        terms = _list(required, "nodeSelectorTerms", required_path)
        if not terms:
            _required(terms_path, "must have at least one node selector term")
        for index, raw in enumerate(terms):
            term_path = f"{terms_path}[{index}]"
            # A null term decodes to an empty one: valid, and it matches no node.
            term = {} if raw is None else _item_mapping(raw, term_path)
            _validate_node_selector_term(term, term_path)
    _validate_preferred_terms(affinity, path, "preference", _validate_node_selector_term)


def _validate_pod_affinity_term(term: Manifest, path: str) -> None:
    """Mirrors ``validatePodAffinityTerm`` (selectors, namespaces, ``topologyKey``)."""
    for selector_field in ("labelSelector", "namespaceSelector"):
        selector = _optional_mapping(term, selector_field, path)
        if selector is not None:
            _validate_label_selector(selector, join_path(path, selector_field))
    for index, name in enumerate(_list(term, "namespaces", path)):
        if not isinstance(name, str):
            _type_error(join_path(path, f"namespaces[{index}]"), "a string", name)
        # Upstream names the field "namespace" here.
        _check(join_path(path, "namespace"), name, is_dns1123_label(name))
    topology_key = _string(term, "topologyKey", path)
    if not topology_key:
        _required(join_path(path, "topologyKey"), "can not be empty")
    _check(join_path(path, "topologyKey"), topology_key, is_qualified_name(topology_key))


def _validate_pod_affinity(affinity: Manifest, path: str) -> None:
    """Mirrors ``validatePodAffinity`` and ``validatePodAntiAffinity`` (same rules)."""
    required_path = join_path(path, "requiredDuringSchedulingIgnoredDuringExecution")
    for index, raw in enumerate(
        _list(affinity, "requiredDuringSchedulingIgnoredDuringExecution", path)
    ):
        term_path = f"{required_path}[{index}]"
        _validate_pod_affinity_term(_item_mapping(raw, term_path), term_path)
    _validate_preferred_terms(affinity, path, "podAffinityTerm", _validate_pod_affinity_term)


def _validate_affinity(spec: Manifest, path: str) -> None:
    """Mirrors ``validateAffinity``: node affinity, pod affinity and pod anti-affinity."""
    affinity_path = join_path(path, "affinity")
    affinity = _mapping(spec, "affinity", path)
    node = _optional_mapping(affinity, "nodeAffinity", affinity_path)
    if node is not None:
        _validate_node_affinity(node, join_path(affinity_path, "nodeAffinity"))
    for field in ("podAffinity", "podAntiAffinity"):
        pod = _optional_mapping(affinity, field, affinity_path)
        if pod is not None:
            _validate_pod_affinity(pod, join_path(affinity_path, field))


_WHEN_UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
_NODE_INCLUSION_POLICIES = ("Honor", "Ignore")


def _validate_topology_spread_constraints(spec: Manifest, path: str) -> None:
    """Mirrors ``validateTopologySpreadConstraints`` (without ``matchLabelKeys``)."""
    constraints_path = join_path(path, "topologySpreadConstraints")
    constraints = [
        _item_mapping(raw, f"{constraints_path}[{index}]")
        for index, raw in enumerate(_list(spec, "topologySpreadConstraints", path))
    ]
    for index, constraint in enumerate(constraints):
        item_path = f"{constraints_path}[{index}]"
        max_skew = _optional_int(constraint, "maxSkew", item_path) or 0
        if max_skew <= 0:
            _invalid(join_path(item_path, "maxSkew"), max_skew, _IS_NOT_POSITIVE)
        topology_key = _string(constraint, "topologyKey", item_path)
        if not topology_key:
            _required(join_path(item_path, "topologyKey"), "can not be empty")
        action = _string(constraint, "whenUnsatisfiable", item_path)
        if action not in _WHEN_UNSATISFIABLE:
            _not_supported(join_path(item_path, "whenUnsatisfiable"), action, _WHEN_UNSATISFIABLE)
        for later in constraints[index + 1 :]:
            if (later.get("topologyKey") or "", later.get("whenUnsatisfiable") or "") == (
                topology_key,
                action,
            ):
                _duplicate(
                    join_path(item_path, "{topologyKey, whenUnsatisfiable}"),
                    f"{{{topology_key}, {action}}}",
                )
        min_domains = _optional_int(constraint, "minDomains", item_path)
        if min_domains is not None:
            if min_domains <= 0:
                _invalid(join_path(item_path, "minDomains"), min_domains, _IS_NOT_POSITIVE)
            if action != "DoNotSchedule":
                _invalid(
                    join_path(item_path, "minDomains"),
                    min_domains,
                    f"can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}",
                )
        for policy_field in ("nodeAffinityPolicy", "nodeTaintsPolicy"):
            if constraint.get(policy_field) is None:
                continue
            policy = _string(constraint, policy_field, item_path)
            if policy not in _NODE_INCLUSION_POLICIES:
                _not_supported(join_path(item_path, policy_field), policy, _NODE_INCLUSION_POLICIES)
        selector = _optional_mapping(constraint, "labelSelector", item_path)
        if selector is not None:
            _validate_label_selector(selector, join_path(item_path, "labelSelector"))


_RESTART_POLICIES = ("Always", "OnFailure", "Never")


def validate_pod_spec(
    spec: Manifest, path: str, *, template: bool = False, claims: frozenset[str] = frozenset()
) -> None:
    """Validate a pod spec; mirrors pkg/apis/core/validation/validation.go ``ValidatePodSpec``.

    Args:
        spec: the ``spec`` of a Pod, or ``spec.template.spec`` of a workload.
        path: the field path of ``spec`` (``"spec"`` or ``"spec.template.spec"``), used in errors.
        template: True inside a pod template, where upstream skips the Pod-only image check.
        claims: a StatefulSet's claim template names, which its containers may mount.

    Raises:
        InputError: the first violation, with its full field path.
    """
    if not isinstance(spec, Mapping):
        _type_error(path, "a mapping", spec)
    volumes = _validate_volumes(spec, path) | claims
    _validate_containers(spec, path, template=template, volumes=volumes)
    restart_policy = _string(spec, "restartPolicy", path)
    if restart_policy and restart_policy not in _RESTART_POLICIES:
        # "" is defaulted to Always before validation, so only a wrong value is refused.
        _not_supported(join_path(path, "restartPolicy"), restart_policy, _RESTART_POLICIES)
    _validate_labels(_string_map(spec, "nodeSelector", path), join_path(path, "nodeSelector"))
    _validate_affinity(spec, path)
    deadline = _optional_int(spec, "activeDeadlineSeconds", path, bits=64)
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        _invalid(
            join_path(path, "activeDeadlineSeconds"),
            deadline,
            f"must be between 1 and {MAX_INT32}, inclusive",
        )
    node_name = _string(spec, "nodeName", path)
    if node_name:
        _check(join_path(path, "nodeName"), node_name, is_dns1123_subdomain(node_name))
    _validate_tolerations(spec, path)
    _optional_int(spec, "priority", path)
    _optional_int(spec, "terminationGracePeriodSeconds", path, bits=64)
    _string(spec, "schedulerName", path)
    _string(spec, "priorityClassName", path)
    overhead_path = join_path(path, "overhead")
    for name, raw in _mapping(spec, "overhead", path).items():
        # validateOverhead reuses ValidateResourceRequirements with the overhead as limits.
        entry = _key(overhead_path, name)
        _validate_container_resource_name(name, entry)
        _validate_resource_quantity_value(name, raw, entry)
    for index, raw in enumerate(_list(spec, "readinessGates", path)):
        gate_path = join_path(path, f"readinessGates[{index}]")
        gate = _item_mapping(raw, gate_path)
        condition_type = _string(gate, "conditionType", gate_path)
        _check(
            join_path(gate_path, "conditionType"), condition_type, is_qualified_name(condition_type)
        )
    _validate_topology_spread_constraints(spec, path)


def _validate_pod_status(body: Manifest) -> None:
    """Type-check the status fields the model reads (``kmodel status``).

    Upstream does not validate status on create, so only the Go decoder's types are enforced.
    """
    status = _mapping(body, "status", "")
    _string(status, "phase", "status")
    for index, raw in enumerate(_list(status, "conditions", "status")):
        condition_path = f"status.conditions[{index}]"
        condition = _item_mapping(raw, condition_path)
        for field in ("type", "status", "reason", "message"):
            _string(condition, field, condition_path)
    for field in ("initContainerStatuses", "containerStatuses"):
        for index, raw in enumerate(_list(status, field, "status")):
            item_path = f"status.{field}[{index}]"
            container_status = _item_mapping(raw, item_path)
            _string(container_status, "name", item_path)
            _optional_bool(container_status, "ready", item_path)
            _optional_bool(container_status, "started", item_path)
            _optional_int(container_status, "restartCount", item_path)
            for state_field in ("state", "lastState"):
                state = _mapping(container_status, state_field, item_path)
                state_path = join_path(item_path, state_field)
                for phase in ("waiting", "running", "terminated"):
                    detail = _mapping(state, phase, state_path)
                    if phase == "terminated":
                        _optional_int(detail, "exitCode", join_path(state_path, phase))


def _validate_pod(body: Manifest) -> None:
    """Mirrors ``ValidatePodCreate`` / ``ValidatePod``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    validate_pod_spec(_mapping(body, "spec", ""), "spec")
    _validate_pod_status(body)


# ---------------------------------------------------------------- label selectors

_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _validate_label_selector(selector: Manifest, path: str) -> None:
    """Mirrors apimachinery ``ValidateLabelSelector`` / ``ValidateLabelSelectorRequirement``."""
    expressions_path = join_path(path, "matchExpressions")
    for index, raw in enumerate(_list(selector, "matchExpressions", path)):
        item_path = f"{expressions_path}[{index}]"
        requirement = _item_mapping(raw, item_path)
        operator = _string(requirement, "operator", item_path)
        values = _list(requirement, "values", item_path)
        for value_index, value in enumerate(values):
            if not isinstance(value, str):
                _type_error(join_path(item_path, f"values[{value_index}]"), "a string", value)
        if operator in {"In", "NotIn"}:
            if not values:
                _required(
                    join_path(item_path, "values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                )
        elif operator in {"Exists", "DoesNotExist"}:
            if values:
                _forbidden(
                    join_path(item_path, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
        else:
            _invalid(join_path(item_path, "operator"), operator, "not a valid selector operator")
        key = _string(requirement, "key", item_path)
        _check(join_path(item_path, "key"), key, is_qualified_name(key))
        for value in values:
            _check(join_path(item_path, "values"), value, is_valid_label_value(value))
    _validate_labels(_string_map(selector, "matchLabels", path), join_path(path, "matchLabels"))


# ---------------------------------------------------------------- apps: Deployment, ReplicaSet


def _validate_int_or_percent(value: int | str, path: str) -> None:
    """Mirrors apps ``ValidatePositiveIntOrPercent`` then ``IsNotMoreThan100Percent``."""
    if isinstance(value, str):
        if not _PERCENT.fullmatch(value):
            _invalid(path, value, regex_error(_PERCENT_MSG, _PERCENT_FMT, "1%", "93%"))
        if int(value[:-1]) > 100:
            _invalid(path, value, "must not be greater than 100%")
    elif value < 0:
        _invalid(path, value, "must be greater than or equal to 0")


def _int_or_percent_value(value: int | str) -> int:
    """Mirrors apps ``getIntOrPercentValue`` for a validated value."""
    return int(value[:-1]) if isinstance(value, str) else value


def _validate_nonnegative(value: int | None, path: str) -> None:
    """Mirrors ``ValidateNonnegativeField``."""
    if value is not None and value < 0:
        _invalid(path, value, "must be greater than or equal to 0")


def _validate_template_for_replica_set(
    spec: Manifest,
    selector: Manifest,
    path: str,
    *,
    kind: str = "ReplicaSet",
    claims: frozenset[str] = frozenset(),
) -> None:
    """Mirrors apps ``ValidatePodTemplateSpecForReplicaSet`` and ``ValidatePodTemplateSpec``.

    With ``kind="StatefulSet"``: ``ValidatePodTemplateSpecForStatefulSet`` and the template
    rules of ``ValidateStatefulSetSpec``, plus the pod spec. Upstream leaves a StatefulSet's
    pod spec unchecked on create (a TODO there) and refuses each member Pod the controller then
    creates; the model's controller has no failed creates, so the spec is refused here, with
    the claim templates as volumes its containers may mount.
    """
    template_path = join_path(path, "template")
    template = _mapping(spec, "template", path)
    metadata = _mapping(template, "metadata", template_path)
    metadata_path = join_path(template_path, "metadata")
    labels = _string_map(metadata, "labels", metadata_path)
    if (selector.get("matchLabels") or selector.get("matchExpressions")) and not selector_matches(
        selector, labels
    ):
        _invalid(
            join_path(metadata_path, "labels"),
            labels,
            "`selector` does not match template `labels`",
        )
    _validate_labels(labels, join_path(metadata_path, "labels"))
    _validate_annotations(
        _string_map(metadata, "annotations", metadata_path), join_path(metadata_path, "annotations")
    )
    pod_spec_path = join_path(template_path, "spec")
    pod_spec = _mapping(template, "spec", template_path)
    validate_pod_spec(pod_spec, pod_spec_path, template=True, claims=claims)
    restart_policy = _string(pod_spec, "restartPolicy", pod_spec_path) or "Always"
    if restart_policy != "Always":
        _not_supported(join_path(pod_spec_path, "restartPolicy"), restart_policy, ("Always",))
    deadline = pod_spec.get("activeDeadlineSeconds")
    if deadline is not None and kind == "DaemonSet":
        _invalid(
            join_path(pod_spec_path, "activeDeadlineSeconds"),
            deadline,
            "activeDeadlineSeconds in DaemonSet is not Supported",
        )
    if deadline is not None:
        _forbidden(
            join_path(pod_spec_path, "activeDeadlineSeconds"),
            f"activeDeadlineSeconds in {kind} is not Supported",
        )


def _validate_replicated_spec(spec: Manifest) -> None:
    """The part ``ValidateDeploymentSpec`` and ``ValidateReplicaSetSpec`` share."""
    _validate_nonnegative(_optional_int(spec, "replicas", "spec"), "spec.replicas")
    _validate_nonnegative(_optional_int(spec, "minReadySeconds", "spec"), "spec.minReadySeconds")
    if spec.get("selector") is None:
        _required("spec.selector")
    selector = _mapping(spec, "selector", "spec")
    _validate_label_selector(selector, "spec.selector")
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        # Upstream's ReplicaSet message also says "deployment".
        _invalid("spec.selector", dict(selector), "empty selector is invalid for deployment")
    _validate_template_for_replica_set(spec, selector, "spec")


def _validate_deployment_strategy(spec: Manifest) -> None:
    """Mirrors apps ``ValidateDeploymentStrategy`` and ``ValidateRollingUpdateDeployment``."""
    strategy = _mapping(spec, "strategy", "spec")
    strategy_type = _string(strategy, "type", "spec.strategy") or "RollingUpdate"
    rolling = _optional_mapping(strategy, "rollingUpdate", "spec.strategy")
    if strategy_type == "Recreate":
        if rolling is not None:
            _forbidden(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is 'Recreate'",
            )
    elif strategy_type == "RollingUpdate":
        rolling = rolling or {}
        path = "spec.strategy.rollingUpdate"
        # SetDefaults_Deployment fills both in with 25% before validation.
        max_unavailable = _int_or_string(rolling, "maxUnavailable", path)
        max_surge = _int_or_string(rolling, "maxSurge", path)
        max_unavailable = DEFAULT_MAX_UNAVAILABLE if max_unavailable is None else max_unavailable
        max_surge = DEFAULT_MAX_SURGE if max_surge is None else max_surge
        _validate_int_or_percent(max_unavailable, f"{path}.maxUnavailable")
        _validate_int_or_percent(max_surge, f"{path}.maxSurge")
        if _int_or_percent_value(max_unavailable) == 0 and _int_or_percent_value(max_surge) == 0:
            _invalid(f"{path}.maxUnavailable", max_unavailable, "may not be 0 when `maxSurge` is 0")
    else:
        # Upstream reports this on spec.strategy itself.
        _not_supported("spec.strategy", strategy_type, ("Recreate", "RollingUpdate"))


def _validate_deployment(body: Manifest) -> None:
    """Mirrors apps ``ValidateDeployment`` / ``ValidateDeploymentSpec``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    _validate_replicated_spec(spec)
    _validate_deployment_strategy(spec)
    history = _optional_int(spec, "revisionHistoryLimit", "spec")
    _validate_nonnegative(history, "spec.revisionHistoryLimit")
    _optional_bool(spec, "paused", "spec")
    deadline = _optional_int(spec, "progressDeadlineSeconds", "spec")
    min_ready = _optional_int(spec, "minReadySeconds", "spec") or 0
    deadline = DEFAULT_PROGRESS_DEADLINE_SECONDS if deadline is None else deadline
    _validate_nonnegative(deadline, "spec.progressDeadlineSeconds")
    if deadline <= min_ready:
        _invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds")


def _validate_replica_set(body: Manifest) -> None:
    """Mirrors apps ``ValidateReplicaSet`` / ``ValidateReplicaSetSpec``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    _validate_replicated_spec(_mapping(body, "spec", ""))


_POD_MANAGEMENT_POLICIES = ("OrderedReady", "Parallel")
_RETENTION_POLICIES = ("Retain", "Delete")


def _validate_stateful_set_update_strategy(spec: Manifest) -> None:
    """The ``updateStrategy`` rules of apps ``ValidateStatefulSetSpec``.

    With ``validateRollingUpdateStatefulSet`` (partition non-negative; ``maxUnavailable`` a
    positive int or a percentage, not 0, at most 100%).
    """
    strategy = _mapping(spec, "updateStrategy", "spec")
    strategy_type = _string(strategy, "type", "spec.updateStrategy") or "RollingUpdate"
    rolling = _optional_mapping(strategy, "rollingUpdate", "spec.updateStrategy")
    path = "spec.updateStrategy.rollingUpdate"
    if strategy_type == "OnDelete":
        if rolling is not None:
            _invalid(path, dict(rolling), "only allowed for updateStrategy 'RollingUpdate'")
    elif strategy_type == "RollingUpdate":
        rolling = rolling or {}
        _validate_nonnegative(_optional_int(rolling, "partition", path), f"{path}.partition")
        max_unavailable = _int_or_string(rolling, "maxUnavailable", path)
        if max_unavailable is not None:
            _validate_int_or_percent(max_unavailable, f"{path}.maxUnavailable")
            if _int_or_percent_value(max_unavailable) == 0:
                _invalid(f"{path}.maxUnavailable", max_unavailable, "cannot be 0")
    else:
        _invalid("spec.updateStrategy", strategy_type, "must be 'RollingUpdate' or 'OnDelete'")


def _validate_stateful_set(body: Manifest) -> None:
    """Mirrors apps ``ValidateStatefulSet`` / ``ValidateStatefulSetSpec`` for what kmodel runs.

    Pod management policy, update strategy, claim retention policy, ordinals, replicas,
    minReadySeconds, revisionHistoryLimit, the selector against the template, the template (as
    for a ReplicaSet: restartPolicy Always, no activeDeadlineSeconds) and each claim template
    as a PersistentVolumeClaim (``ValidatePersistentVolumeClaimSpec``), which needs a name.
    """
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    policy = _string(spec, "podManagementPolicy", "spec") or "OrderedReady"
    if policy not in _POD_MANAGEMENT_POLICIES:
        _invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'")
    _validate_stateful_set_update_strategy(spec)
    retention = _mapping(spec, "persistentVolumeClaimRetentionPolicy", "spec")
    for when in ("whenDeleted", "whenScaled"):
        value = _string(retention, when, "spec.persistentVolumeClaimRetentionPolicy")
        if value and value not in _RETENTION_POLICIES:
            _not_supported(
                f"spec.persistentVolumeClaimRetentionPolicy.{when}", value, _RETENTION_POLICIES
            )
    ordinals = _mapping(spec, "ordinals", "spec")
    _validate_nonnegative(_optional_int(ordinals, "start", "spec.ordinals"), "spec.ordinals.start")
    _validate_nonnegative(_optional_int(spec, "replicas", "spec"), "spec.replicas")
    _validate_nonnegative(_optional_int(spec, "minReadySeconds", "spec"), "spec.minReadySeconds")
    _validate_nonnegative(
        _optional_int(spec, "revisionHistoryLimit", "spec"), "spec.revisionHistoryLimit"
    )
    _string(spec, "serviceName", "spec")
    if spec.get("selector") is None:
        _required("spec.selector")
    selector = _mapping(spec, "selector", "spec")
    _validate_label_selector(selector, "spec.selector")
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        _invalid("spec.selector", dict(selector), "empty selector is invalid for statefulset")
    # Members mount their claims by template name, as volumes the template does not list.
    # (Malformed claim templates are refused below, after the template as upstream orders it.)
    claims = frozenset(
        name
        for claim in _list(spec, "volumeClaimTemplates", "spec")
        if isinstance(claim, Mapping)
        and isinstance(metadata := claim.get("metadata"), Mapping)
        and isinstance(name := metadata.get("name"), str)
    )
    _validate_template_for_replica_set(spec, selector, "spec", kind="StatefulSet", claims=claims)
    for index, raw in enumerate(_list(spec, "volumeClaimTemplates", "spec")):
        path = f"spec.volumeClaimTemplates[{index}]"
        claim = _item_mapping(raw, path)
        metadata = _mapping(claim, "metadata", path)
        if not _string(metadata, "name", join_path(path, "metadata")):
            _required(join_path(path, "metadata.name"), "name or generateName is required")
        try:
            _validate_persistent_volume_claim_spec(claim)
        except InputError as error:
            raise InputError(error.message, path=join_path(path, error.path or "")) from None


def _validate_daemon_set_update_strategy(spec: Manifest) -> None:
    """Mirrors apps ``ValidateDaemonSetUpdateStrategy`` and ``ValidateRollingUpdateDaemonSet``.

    After ``SetDefaults_DaemonSet``: type RollingUpdate, maxUnavailable 1, maxSurge 0.
    """
    strategy = _mapping(spec, "updateStrategy", "spec")
    strategy_type = _string(strategy, "type", "spec.updateStrategy") or "RollingUpdate"
    if strategy_type == "OnDelete":
        return
    if strategy_type != "RollingUpdate":
        _not_supported("spec.updateStrategy", strategy_type, ("OnDelete", "RollingUpdate"))
    path = "spec.updateStrategy.rollingUpdate"
    rolling = _optional_mapping(strategy, "rollingUpdate", "spec.updateStrategy") or {}
    max_unavailable = _int_or_string(rolling, "maxUnavailable", path)
    max_surge = _int_or_string(rolling, "maxSurge", path)
    max_unavailable = 1 if max_unavailable is None else max_unavailable
    max_surge = 0 if max_surge is None else max_surge
    _validate_int_or_percent(max_unavailable, f"{path}.maxUnavailable")
    _validate_int_or_percent(max_surge, f"{path}.maxSurge")
    has_unavailable = _int_or_percent_value(max_unavailable) != 0
    has_surge = _int_or_percent_value(max_surge) != 0
    if has_unavailable and has_surge:
        _invalid(f"{path}.maxSurge", max_surge, "may not be set when maxUnavailable is non-zero")
    if not has_unavailable and not has_surge:
        _required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0")


def _validate_daemon_set(body: Manifest) -> None:
    """Mirrors apps ``ValidateDaemonSet`` / ``ValidateDaemonSetSpec``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    if spec.get("selector") is None:
        _required("spec.selector")
    selector = _mapping(spec, "selector", "spec")
    _validate_label_selector(selector, "spec.selector")
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        _invalid("spec.selector", dict(selector), "empty selector is invalid for daemonset")
    _validate_template_for_replica_set(spec, selector, "spec", kind="DaemonSet")
    _validate_nonnegative(_optional_int(spec, "minReadySeconds", "spec"), "spec.minReadySeconds")
    _validate_nonnegative(
        _optional_int(spec, "revisionHistoryLimit", "spec"), "spec.revisionHistoryLimit"
    )
    _validate_daemon_set_update_strategy(spec)


# ---------------------------------------------------------------- Node


def _validate_node(body: Manifest) -> None:
    """Mirrors ``ValidateNode`` (taints, capacity and allocatable quantities)."""
    _validate_object_meta(body, namespaced=False, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    _optional_bool(spec, "unschedulable", "spec")
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(_list(spec, "taints", "spec")):
        taint_path = f"spec.taints[{index}]"
        taint = _item_mapping(raw, taint_path)
        key = _string(taint, "key", taint_path)
        value = _string(taint, "value", taint_path)
        effect = _string(taint, "effect", taint_path)
        _check(join_path(taint_path, "key"), key, is_qualified_name(key))
        _check(join_path(taint_path, "value"), value, is_valid_label_value(value))
        _validate_taint_effect(effect, join_path(taint_path, "effect"), allow_empty=False)
        if (key, effect) in seen:
            _duplicate(
                taint_path, f"{key}:{effect}", "taints must be unique by key and effect pair"
            )
        seen.add((key, effect))
    status = _mapping(body, "status", "")
    for field in ("capacity", "allocatable"):
        for name, raw in _mapping(status, field, "status").items():
            _validate_resource_quantity_value(name, raw, _key(f"status.{field}", name))
    for index, raw in enumerate(_list(status, "conditions", "status")):
        condition_path = f"status.conditions[{index}]"
        condition = _item_mapping(raw, condition_path)
        _string(condition, "type", condition_path)
        _string(condition, "status", condition_path)


# ---------------------------------------------------------------- Service

_SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
_PROTOCOLS = ("SCTP", "TCP", "UDP")


def _validate_service(body: Manifest) -> None:
    """Mirrors ``ValidateService`` (type, ports, selector)."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1035_label)
    spec = _mapping(body, "spec", "")
    service_type = _string(spec, "type", "spec") or "ClusterIP"
    if service_type not in _SERVICE_TYPES:
        _not_supported("spec.type", service_type, _SERVICE_TYPES)
    cluster_ip = _string(spec, "clusterIP", "spec")
    ports = _list(spec, "ports", "spec")
    if service_type == "ExternalName":
        if not _string(spec, "externalName", "spec"):
            _required("spec.externalName")
    elif not ports and cluster_ip != "None":
        _required("spec.ports")
    names: set[str] = set()
    for index, raw in enumerate(ports):
        port_path = f"spec.ports[{index}]"
        port = _item_mapping(raw, port_path)
        name = _string(port, "name", port_path)
        if len(ports) > 1 and not name:
            _required(join_path(port_path, "name"))
        if name:
            _check(join_path(port_path, "name"), name, is_dns1123_label(name))
            if name in names:
                _duplicate(join_path(port_path, "name"), name)
            names.add(name)
        number = _optional_int(port, "port", port_path)
        number = 0 if number is None else number
        _check(join_path(port_path, "port"), number, _is_valid_port_num(number))
        protocol = _string(port, "protocol", port_path) or "TCP"
        if protocol not in _PROTOCOLS:
            _not_supported(join_path(port_path, "protocol"), protocol, _PROTOCOLS)
        target = _int_or_string(port, "targetPort", port_path)
        target_path = join_path(port_path, "targetPort")
        if isinstance(target, str):
            _check(target_path, target, _is_valid_port_name(target))
        elif target is not None and target != 0:
            # A zero targetPort is defaulted to the port before validation.
            _check(target_path, target, _is_valid_port_num(target))
        _optional_int(port, "nodePort", port_path)
    _validate_labels(_string_map(spec, "selector", "spec"), "spec.selector")


# ---------------------------------------------------------------- ConfigMap, Secret


def _validate_data_keys(
    body: Manifest, fields: tuple[str, ...], *, base64_fields: frozenset[str]
) -> None:
    """Key and value checks of ``ValidateConfigMap`` / ``ValidateSecret``."""
    seen: set[str] = set()
    for field in fields:
        for key, value in _mapping(body, field, "").items():
            path = _key(field, key)
            _check(path, key, _is_config_map_key(key))
            if not isinstance(value, str):
                _type_error(path, "a string", value)
            if field in base64_fields:
                try:
                    base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError) as exc:
                    _invalid(path, value, f"must be base64-encoded ({exc})")
            if key in seen:
                _duplicate(path, key)
            seen.add(key)


def _validate_config_map(body: Manifest) -> None:
    """Mirrors ``ValidateConfigMap``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    _optional_bool(body, "immutable", "")
    _validate_data_keys(body, ("data", "binaryData"), base64_fields=frozenset({"binaryData"}))


def _validate_secret(body: Manifest) -> None:
    """Mirrors ``ValidateSecret`` (type-specific rules for TLS, docker config... not checked)."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    _optional_bool(body, "immutable", "")
    _string(body, "type", "")
    # stringData is merged over data by the API server, so the same key in both is allowed.
    _validate_data_keys(body, ("data",), base64_fields=frozenset({"data"}))
    _validate_data_keys(body, ("stringData",), base64_fields=frozenset())


# ---------------------------------------------------------------- persistent volumes and claims

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")


def _validate_access_modes(spec: Manifest, detail: str) -> None:
    modes = _list(spec, "accessModes", "spec")
    if not modes:
        _required("spec.accessModes", detail)
    for index, mode in enumerate(modes):
        if not isinstance(mode, str):
            _type_error(f"spec.accessModes[{index}]", "a string", mode)
        if mode not in _ACCESS_MODES:
            _not_supported("spec.accessModes", mode, _ACCESS_MODES)


def _validate_persistent_volume(body: Manifest) -> None:
    """Mirrors ``ValidatePersistentVolume`` / ``ValidatePersistentVolumeSpec``.

    Capacity, access modes and reclaim policy; the volume source is not modelled, not checked.
    """
    _validate_object_meta(body, namespaced=False, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    _validate_access_modes(spec, "")
    capacity = _mapping(spec, "capacity", "spec")
    if not capacity:
        _required("spec.capacity")
    if "storage" not in capacity or len(capacity) > 1:
        _not_supported("spec.capacity", sorted(capacity), ("storage",))
    _validate_resource_quantity_value("storage", capacity["storage"], "spec.capacity.storage")
    policy = _string(spec, "persistentVolumeReclaimPolicy", "spec")
    if policy and policy not in _RECLAIM_POLICIES:
        _not_supported("spec.persistentVolumeReclaimPolicy", policy, _RECLAIM_POLICIES)
    _string(spec, "storageClassName", "spec")


def _validate_persistent_volume_claim(body: Manifest) -> None:
    """Mirrors ``ValidatePersistentVolumeClaim`` / ``ValidatePersistentVolumeClaimSpec``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    _validate_persistent_volume_claim_spec(body)


def _validate_persistent_volume_claim_spec(body: Manifest) -> None:
    """Mirrors ``ValidatePersistentVolumeClaimSpec`` (paths relative to the claim)."""
    spec = _mapping(body, "spec", "")
    _validate_access_modes(spec, "at least 1 access mode is required")
    selector = _optional_mapping(spec, "selector", "spec")
    if selector is not None:
        _validate_label_selector(selector, "spec.selector")
    resources = _mapping(spec, "resources", "spec")
    requests = _mapping(resources, "requests", "spec.resources")
    path = "spec.resources.requests.storage"
    if requests.get("storage") is None:
        _required(path)
    amount = _quantity(requests["storage"], path)
    if amount <= 0:
        # ValidatePositiveQuantityValue
        _invalid(path, _quantity_text(requests["storage"]), "must be greater than zero")
    _validate_resource_quantity_value("storage", requests["storage"], path)
    _string(spec, "storageClassName", "spec")
    _string(spec, "volumeName", "spec")


# ---------------------------------------------------------------- PodDisruptionBudget

_UNHEALTHY_POD_EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def _validate_pod_disruption_budget(body: Manifest) -> None:
    """Mirrors policy ``ValidatePodDisruptionBudget`` / ``ValidatePodDisruptionBudgetSpec``."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    min_available = _int_or_string(spec, "minAvailable", "spec")
    max_unavailable = _int_or_string(spec, "maxUnavailable", "spec")
    if min_available is not None and max_unavailable is not None:
        _invalid("spec", dict(spec), "minAvailable and maxUnavailable cannot be both set")
    if min_available is not None:
        _validate_int_or_percent(min_available, "spec.minAvailable")
    if max_unavailable is not None:
        _validate_int_or_percent(max_unavailable, "spec.maxUnavailable")
    _validate_label_selector(_mapping(spec, "selector", "spec"), "spec.selector")
    policy = _string(spec, "unhealthyPodEvictionPolicy", "spec")
    if policy and policy not in _UNHEALTHY_POD_EVICTION_POLICIES:
        _not_supported("spec.unhealthyPodEvictionPolicy", policy, _UNHEALTHY_POD_EVICTION_POLICIES)


def _validate_horizontal_pod_autoscaler(body: Manifest) -> None:
    """See :mod:`kmodel.objects.validate_hpa` (imported late: it uses this module's helpers)."""
    from kmodel.objects.validate_hpa import validate_horizontal_pod_autoscaler  # noqa: PLC0415

    validate_horizontal_pod_autoscaler(body)


# ---------------------------------------------------------------- dispatch


@dataclass(frozen=True)
class KindSpec:
    """What kmodel knows about a modelled kind.

    Attributes:
        api_versions: the ``apiVersion`` values the API serves the kind under.
        namespaced: whether objects of the kind live in a namespace.
        validate: the validator; raises :class:`InputError` with a path inside the object.
    """

    api_versions: tuple[str, ...]
    namespaced: bool
    validate: Callable[[Manifest], None]


# ---------------------------------------------------------------- Job


def _validate_job_template(spec: Manifest) -> None:
    """Mirrors batch ``validateJobSpec``'s template checks (restart policy OnFailure or Never)."""
    template = _mapping(spec, "template", "spec")
    metadata = _mapping(template, "metadata", "spec.template")
    _validate_labels(
        _string_map(metadata, "labels", "spec.template.metadata"), "spec.template.metadata.labels"
    )
    _validate_annotations(
        _string_map(metadata, "annotations", "spec.template.metadata"),
        "spec.template.metadata.annotations",
    )
    pod_spec = _mapping(template, "spec", "spec.template")
    validate_pod_spec(pod_spec, "spec.template.spec", template=True)
    restart_policy = _string(pod_spec, "restartPolicy", "spec.template.spec") or "Always"
    if restart_policy not in {"OnFailure", "Never"}:
        _not_supported("spec.template.spec.restartPolicy", restart_policy, ("OnFailure", "Never"))


def _validate_pod_failure_policy(spec: Manifest, *, per_index: bool) -> None:
    """Mirrors batch ``validatePodFailurePolicy`` (rules, actions, exit codes, conditions)."""
    policy = _optional_mapping(spec, "podFailurePolicy", "spec")
    if policy is None:
        return
    actions = ("Count", "FailIndex", "FailJob", "Ignore")
    for index, raw in enumerate(_list(policy, "rules", "spec.podFailurePolicy")):
        path = f"spec.podFailurePolicy.rules[{index}]"
        rule = _item_mapping(raw, path)
        action = _string(rule, "action", path)
        if action not in actions:
            _not_supported(join_path(path, "action"), action, actions)
        if action == "FailIndex" and not per_index:
            _forbidden(
                join_path(path, "action"),
                "requires the backoffLimitPerIndex to be set",
            )
        exit_codes = _optional_mapping(rule, "onExitCodes", path)
        conditions = _list(rule, "onPodConditions", path)
        if (exit_codes is None) == (not conditions):
            _invalid(path, "specifying one of OnExitCodes and OnPodConditions is required", "")
        if exit_codes is not None:
            codes_path = join_path(path, "onExitCodes")
            operator = _string(exit_codes, "operator", codes_path)
            if operator not in {"In", "NotIn"}:
                _not_supported(join_path(codes_path, "operator"), operator, ("In", "NotIn"))
            values = _list(exit_codes, "values", codes_path)
            if not values:
                _required(join_path(codes_path, "values"), "at least one value is required")
            for i, value in enumerate(values):
                if isinstance(value, bool) or not isinstance(value, int):
                    _type_error(f"{codes_path}.values[{i}]", "an integer", value)
                if operator == "In" and value == 0:
                    _invalid(
                        f"{codes_path}.values[{i}]",
                        value,
                        "must not be 0 for the In operator",
                    )
        for i, raw_pattern in enumerate(conditions):
            pattern_path = f"{path}.onPodConditions[{i}]"
            pattern = _item_mapping(raw_pattern, pattern_path)
            if not _string(pattern, "type", pattern_path):
                _required(join_path(pattern_path, "type"))
            status = _string(pattern, "status", pattern_path) or "True"
            if status not in {"True", "False", "Unknown"}:
                _not_supported(
                    join_path(pattern_path, "status"), status, ("True", "False", "Unknown")
                )


def _validate_job(body: Manifest) -> None:
    """Mirrors batch ``ValidateJob`` / ``validateJobSpec`` for the fields the model runs."""
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    for name in ("parallelism", "completions", "backoffLimit", "maxFailedIndexes"):
        _validate_nonnegative(_optional_int(spec, name, "spec"), f"spec.{name}")
    _validate_nonnegative(
        _optional_int(spec, "activeDeadlineSeconds", "spec", bits=64), "spec.activeDeadlineSeconds"
    )
    _validate_nonnegative(
        _optional_int(spec, "ttlSecondsAfterFinished", "spec"), "spec.ttlSecondsAfterFinished"
    )
    _optional_bool(spec, "suspend", "spec")
    mode = _string(spec, "completionMode", "spec") or "NonIndexed"
    if mode not in {"NonIndexed", "Indexed"}:
        _not_supported("spec.completionMode", mode, ("NonIndexed", "Indexed"))
    indexed = mode == "Indexed"
    if indexed and spec.get("completions") is None:
        _required("spec.completions", "when completion mode is Indexed")
    per_index = _optional_int(spec, "backoffLimitPerIndex", "spec")
    if per_index is not None:
        _validate_nonnegative(per_index, "spec.backoffLimitPerIndex")
        if not indexed:
            _invalid("spec.backoffLimitPerIndex", per_index, "requires indexed completion mode")
    if spec.get("maxFailedIndexes") is not None and per_index is None:
        _required("spec.backoffLimitPerIndex", "when maxFailedIndexes is specified")
    replacement = _string(spec, "podReplacementPolicy", "spec")
    if replacement and replacement not in {"TerminatingOrFailed", "Failed"}:
        _not_supported("spec.podReplacementPolicy", replacement, ("Failed", "TerminatingOrFailed"))
    if spec.get("podFailurePolicy") is not None and replacement not in {"", "Failed"}:
        _not_supported("spec.podReplacementPolicy", replacement, ("Failed",))
    if spec.get("successPolicy") is not None and not indexed:
        _invalid(
            "spec.successPolicy", dict(spec["successPolicy"]), "requires indexed completion mode"
        )
    _validate_pod_failure_policy(spec, per_index=per_index is not None)
    _validate_job_template(spec)


def _validate_cron_job(body: Manifest) -> None:
    """Mirrors batch ``ValidateCronJobCreate`` / ``ValidateCronJobSpec``.

    The schedule must parse as ``cron.ParseStandard`` does (:mod:`kmodel.semantics.cronjob`)
    and the time zone must be a known IANA name; the job template is validated as a Job.
    """
    _validate_object_meta(body, namespaced=True, name_validator=is_dns1123_subdomain)
    spec = _mapping(body, "spec", "")
    schedule = _string(spec, "schedule", "spec")
    if not schedule:
        _required("spec.schedule")
    zone = _string(spec, "timeZone", "spec") or None
    if zone is not None and ("TZ=" in schedule):
        _invalid(
            "spec.schedule",
            schedule,
            "cannot use both timeZone field and TZ or CRON_TZ in schedule",
        )
    try:
        parse_schedule(schedule, zone=zone)
    except InputError as error:
        _invalid(
            error.path or "spec.schedule",
            zone if error.path == "spec.timeZone" else schedule,
            error.message,
        )
    policy = _string(spec, "concurrencyPolicy", "spec") or "Allow"
    if policy not in {"Allow", "Forbid", "Replace"}:
        _not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace"))
    _optional_bool(spec, "suspend", "spec")
    _validate_nonnegative(
        _optional_int(spec, "startingDeadlineSeconds", "spec", bits=64),
        "spec.startingDeadlineSeconds",
    )
    for name in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        _validate_nonnegative(_optional_int(spec, name, "spec"), f"spec.{name}")
    template = _mapping(spec, "jobTemplate", "spec")
    job = {
        "metadata": {"name": "template", "namespace": "default"},
        "spec": _mapping(template, "spec", "spec.jobTemplate"),
    }
    try:
        _validate_job(job)
    except InputError as error:
        raise InputError(error.message, path=f"spec.jobTemplate.{error.path}") from None


#: The kinds the model understands; any other kind is skipped by the loader with a warning.
MODELLED_KINDS: Mapping[str, KindSpec] = {
    "Pod": KindSpec(api_versions=("v1",), namespaced=True, validate=_validate_pod),
    "Node": KindSpec(api_versions=("v1",), namespaced=False, validate=_validate_node),
    "Deployment": KindSpec(
        api_versions=("apps/v1",), namespaced=True, validate=_validate_deployment
    ),
    "ReplicaSet": KindSpec(
        api_versions=("apps/v1",), namespaced=True, validate=_validate_replica_set
    ),
    "StatefulSet": KindSpec(
        api_versions=("apps/v1",), namespaced=True, validate=_validate_stateful_set
    ),
    "DaemonSet": KindSpec(
        api_versions=("apps/v1",), namespaced=True, validate=_validate_daemon_set
    ),
    "Service": KindSpec(api_versions=("v1",), namespaced=True, validate=_validate_service),
    "ConfigMap": KindSpec(api_versions=("v1",), namespaced=True, validate=_validate_config_map),
    "Secret": KindSpec(api_versions=("v1",), namespaced=True, validate=_validate_secret),
    "PersistentVolume": KindSpec(
        api_versions=("v1",), namespaced=False, validate=_validate_persistent_volume
    ),
    "PersistentVolumeClaim": KindSpec(
        api_versions=("v1",), namespaced=True, validate=_validate_persistent_volume_claim
    ),
    "PodDisruptionBudget": KindSpec(
        api_versions=("policy/v1",), namespaced=True, validate=_validate_pod_disruption_budget
    ),
    "Job": KindSpec(api_versions=("batch/v1",), namespaced=True, validate=_validate_job),
    "CronJob": KindSpec(api_versions=("batch/v1",), namespaced=True, validate=_validate_cron_job),
    "HorizontalPodAutoscaler": KindSpec(
        api_versions=("autoscaling/v2",),
        namespaced=True,
        validate=_validate_horizontal_pod_autoscaler,
    ),
}


def validate_object(kind: str, body: Manifest) -> None:
    """Validate one object of a modelled kind as the API server would on create.

    Args:
        kind: one of :data:`MODELLED_KINDS`.
        body: the object, as loaded from YAML or JSON.

    Raises:
        InputError: the first violation; ``path`` is the field path inside the object. The
            caller adds the file, document and object.
    """
    if kind not in MODELLED_KINDS:
        raise InputError(f"kind {kind!r} is not modelled", path="kind")
    if not isinstance(body, Mapping):
        _type_error("", "a mapping", body)
    MODELLED_KINDS[kind].validate(body)
