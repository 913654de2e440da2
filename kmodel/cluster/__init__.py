"""The deterministic state machine of a cluster (see :mod:`kmodel.cluster.model`)."""

from kmodel.cluster.actions import Action, action_from_json
from kmodel.cluster.model import Cluster, ClusterConfig, Machine, Program, Step
from kmodel.cluster.store import APIStore

__all__ = [
    "APIStore",
    "Action",
    "Cluster",
    "ClusterConfig",
    "Machine",
    "Program",
    "Step",
    "action_from_json",
]
