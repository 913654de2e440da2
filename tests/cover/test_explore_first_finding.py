"""``ExploreOptions.every_invariant``: off, a search ends at its first finding."""

from __future__ import annotations

from kmodel.cluster.model import Cluster, Step
from kmodel.explore.run import Scenario
from kmodel.explore.search import ExploreOptions, explore
from kmodel.invariants import History, Invariant, Violation
from tests.helpers.cluster import node


class NoNodes(Invariant):
    """Broken from the start: the cluster has a node."""

    name = "no_nodes"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """One violation per node."""
        return [self.violation("a node") for _ in cluster.store.list_objects("Node")]


class NoNodesEither(NoNodes):
    """The same, under another name."""

    name = "no_nodes_either"


def _scenario() -> Scenario:
    return Scenario(objects=[node("n1")], invariants=(NoNodes(), NoNodesEither()))


def test_every_invariant_is_searched_for_by_default() -> None:
    findings = explore(_scenario(), options=ExploreOptions(examples=5, max_steps=2))
    assert [f.invariant for f in findings] == ["no_nodes", "no_nodes_either"]


def test_without_every_invariant_the_search_ends_at_its_first_finding() -> None:
    options = ExploreOptions(examples=5, max_steps=2, every_invariant=False)
    assert [f.invariant for f in explore(_scenario(), options=options)] == ["no_nodes"]
