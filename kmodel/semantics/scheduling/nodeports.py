"""kube-scheduler NodePorts.

Mirrors ``pkg/scheduler/framework/plugins/nodeports/node_ports.go`` (with
``HostPortInfo`` of ``framework/types.go``) at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from kmodel.errors import InputError
from kmodel.objects.fields import (
    int_field,
    list_field,
    mapping_field,
    object_ref,
    require_manifest,
    str_field,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.resources import pod_is_terminal

__all__ = ["ERR_REASON_NODE_PORTS", "node_ports_failures"]


ERR_REASON_NODE_PORTS: Final = "node(s) didn't have free ports for the requested pod ports"
_DEFAULT_BIND_ALL_HOST_IP: Final = "0.0.0.0"  # noqa: S104 - upstream's wildcard, not a bind


def _host_ports(pod: Manifest) -> list[tuple[str, str, int]]:
    """Mirrors ``schedutil.GetHostPorts``: sidecar then regular container host ports.

    Each as ``(hostIP, protocol, hostPort)`` sanitized as ``HostPortInfo.sanitize`` does.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    ports: list[tuple[str, str, int]] = []
    for key in ("initContainers", "containers"):
        for i, container in enumerate(list_field(spec, key, f"spec.{key}", obj=pod)):
            path = f"spec.{key}[{i}]"
            if not isinstance(container, Mapping):
                raise InputError("must be a mapping", obj=object_ref(pod), path=path)
            policy = str_field(container, "restartPolicy", f"{path}.restartPolicy", obj=pod)
            if key == "initContainers" and policy != "Always":
                continue
            for j, port in enumerate(list_field(container, "ports", f"{path}.ports", obj=pod)):
                port_path = f"{path}.ports[{j}]"
                if not isinstance(port, Mapping):
                    raise InputError("must be a mapping", obj=object_ref(pod), path=port_path)
                host_port = int_field(port, "hostPort", f"{port_path}.hostPort", obj=pod)
                if host_port <= 0:
                    continue
                ip = str_field(port, "hostIP", f"{port_path}.hostIP", obj=pod)
                protocol = str_field(port, "protocol", f"{port_path}.protocol", obj=pod)
                ports.append((ip or _DEFAULT_BIND_ALL_HOST_IP, protocol or "TCP", host_port))
    return ports


def node_ports_failures(pod: Manifest, pods_on_node: Sequence[Manifest]) -> list[str]:
    """NodePorts Filter.

    Mirrors ``nodeports/node_ports.go fitsPorts`` with ``HostPortInfo.CheckConflict``: a wanted
    ``(protocol, port)`` conflicts with a used one on the same IP, or on any IP when either side
    binds ``0.0.0.0``.
    """
    pod = require_manifest(pod, "pod")
    used: dict[str, set[tuple[str, int]]] = {}
    for existing in pods_on_node:
        if pod_is_terminal(existing):
            continue
        for ip, protocol, port in _host_ports(existing):
            used.setdefault(ip, set()).add((protocol, port))
    for ip, protocol, port in _host_ports(pod):
        wanted = (protocol, port)
        if ip == _DEFAULT_BIND_ALL_HOST_IP:
            conflict = any(wanted in pairs for pairs in used.values())
        else:
            conflict = any(wanted in used.get(k, set()) for k in (_DEFAULT_BIND_ALL_HOST_IP, ip))
        if conflict:
            return [ERR_REASON_NODE_PORTS]
    return []
