"""The cluster graph: regions, zones, racks and nodes as a networkx tree.

Built from Node manifests (``topology.kubernetes.io/region`` and ``/zone`` labels, and a rack
label) so that topology spread, anti-affinity domains and zone outages all read one structure.
Vertices are ``("region", name)``, ``("zone", name)``, ``("rack", name)`` and ``("node", name)``;
each carries ``kind`` and, for nodes, ``labels``, ``taints``, ``allocatable`` and ``capacity``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

import networkx as nx

__all__ = [
    "RACK_LABEL",
    "REGION_LABEL",
    "ZONE_LABEL",
    "build_topology",
    "nodes_in",
    "zone_of",
    "zones",
]

REGION_LABEL: Final = "topology.kubernetes.io/region"
ZONE_LABEL: Final = "topology.kubernetes.io/zone"
#: Kubernetes has no well-known rack label; kmodel reads this one.
RACK_LABEL: Final = "topology.kubernetes.io/rack"
_NONE: Final = ""


def build_topology(nodes: Iterable[Mapping[str, Any]]) -> nx.DiGraph:
    """Build the region/zone/rack/node tree from Node manifests.

    Nodes without a label hang under a vertex named ``""`` at that level, so every node has a
    region, a zone and a rack vertex above it.
    """
    graph = nx.DiGraph()
    for node in nodes:
        metadata = node.get("metadata") or {}
        labels = dict(metadata.get("labels") or {})
        status = node.get("status") or {}
        region = ("region", labels.get(REGION_LABEL, _NONE))
        zone = ("zone", labels.get(ZONE_LABEL, _NONE))
        rack = ("rack", labels.get(RACK_LABEL, _NONE))
        vertex = ("node", str(metadata.get("name", "")))
        graph.add_node(region, kind="region")
        graph.add_node(zone, kind="zone")
        graph.add_node(rack, kind="rack")
        graph.add_node(
            vertex,
            kind="node",
            labels=labels,
            taints=list((node.get("spec") or {}).get("taints") or []),
            allocatable=dict(status.get("allocatable") or {}),
            capacity=dict(status.get("capacity") or {}),
        )
        graph.add_edge(region, zone)
        graph.add_edge(zone, rack)
        graph.add_edge(rack, vertex)
    return graph


def zone_of(graph: nx.DiGraph, node: str) -> str:
    """The zone name of a node ("" when unlabelled)."""
    for level, name in nx.ancestors(graph, ("node", node)):
        if level == "zone":
            return str(name)
    return _NONE


def zones(graph: nx.DiGraph) -> list[str]:
    """All zone names, sorted."""
    return sorted(str(name) for level, name in graph.nodes if level == "zone")


def nodes_in(graph: nx.DiGraph, level: str, name: str) -> list[str]:
    """Names of the nodes under a region, zone or rack, sorted."""
    return sorted(str(n) for kind, n in nx.descendants(graph, (level, name)) if kind == "node")
