"""Quality: deliberately broken controllers that exploration must catch, with short traces.

Each mutant is a one-line departure from upstream behaviour, injected from the test side: a
component of the table replaced by a broken variant (``tests/helpers/mutants.py``, through
``ClusterConfig.components``). The exploration that finds nothing wrong in the faithful model
must find each mutant's bug and shrink the counterexample to a handful of steps.
"""

from __future__ import annotations

import copy
from typing import Any

from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.explore.spec import load_spec
from kmodel.invariants import make_invariant
from kmodel.semantics.deployment import progress
from tests.helpers.mutants import MUTANTS
from tests.helpers.paths import ROOT
from tests.helpers.zones import NODES, web

ROLLOUT = UserAction(
    "rollout", {"deployment": "web", "container": "app", "images": ["registry.example.com/app:2"]}
)
OPTIONS = ExploreOptions(examples=60, max_steps=20, seed=0)


def scenario(objects, invariants, *, mutant: str | None = None, **kwargs) -> Scenario:
    config = kwargs.pop("config", ClusterConfig())
    config = ClusterConfig(
        programs=config.programs,
        components=None if mutant is None else MUTANTS[mutant],
        heartbeat_interval=config.heartbeat_interval,
    )
    return Scenario(
        objects=copy.deepcopy(objects),
        invariants=tuple(
            make_invariant(*i) if isinstance(i, tuple) else make_invariant(i) for i in invariants
        ),
        config=config,
        **kwargs,
    )


def only(findings, invariant):
    assert [f.invariant for f in findings] == [invariant]
    return findings[0]


def test_deployment_controller_that_ignores_max_unavailable_is_caught():
    objects = [*NODES, *web(3, 1, 0)]
    kwargs = {"user_actions": (ROLLOUT,)}
    assert explore(scenario(objects, ["rolling_update_bounds"], **kwargs), options=OPTIONS) == []
    broken = scenario(
        objects,
        ["rolling_update_bounds"],
        mutant="deployment-ignores-max-unavailable",
        **kwargs,
    )
    finding = only(explore(broken, options=OPTIONS), "rolling_update_bounds")
    assert len(finding.actions) <= 5
    assert "available pods" in finding.violation.message


def test_deployment_controller_that_scales_old_replicasets_by_name_is_caught():
    # app:3's ReplicaSet (web-7gwmwsf) is newer than app:1's (web-gsq82wl) but sorts first by
    # name. Rolled out to app:3 (maxSurge 0, maxUnavailable 1: app:1 goes 3 -> 2, app:3 gets
    # one pod), then to app:2 before that finished, the controller may take one more replica
    # from the old ReplicaSets: upstream from app:1's, the oldest; the broken one from app:3's.
    images = ["registry.example.com/app:3", "registry.example.com/app:2"]
    rollouts = UserAction("rollout", {"deployment": "web", "container": "app", "images": images}, 2)
    objects = [*NODES, *web(3, 0, 1)]
    kwargs = {"user_actions": (rollouts,), "ticks": (10,)}
    options = ExploreOptions(examples=60, max_steps=25, seed=0)
    invariants = ["old_replicasets_oldest_first"]
    assert explore(scenario(objects, invariants, **kwargs), options=options) == []
    broken = scenario(objects, invariants, mutant="deployment-scales-old-by-name", **kwargs)
    finding = only(explore(broken, options=options), "old_replicasets_oldest_first")
    assert len(finding.actions) <= 10
    assert "while the older default/web-gsq82wl kept 2 replicas" in finding.violation.message


def test_replicaset_controller_that_counts_terminating_pods_is_caught():
    objects = [*NODES, *web(2, 1, 0)]
    kwargs = {"faults": {"node_crash": 1}, "ticks": (10, 60)}
    assert explore(scenario(objects, ["eventually_stable"], **kwargs), options=OPTIONS) == []
    broken = scenario(objects, ["eventually_stable"], mutant="rs-counts-terminating", **kwargs)
    finding = only(explore(broken, options=OPTIONS), "eventually_stable")
    assert finding.at_fixpoint
    assert len(finding.actions) <= 3
    assert "wants 2" in finding.violation.message


def test_endpoints_controller_that_includes_unready_pods_is_caught():
    # New pods of a rollout pass their readiness probe 30 s after they start.
    slow = ClusterConfig(programs={"registry.example.com/app:2": Program(ready_after=30)})
    objects = [*NODES, *web(2, 1, 0, probe=True)]
    kwargs = {"user_actions": (ROLLOUT,), "config": slow}
    assert explore(scenario(objects, ["endpoints_ready_only"], **kwargs), options=OPTIONS) == []
    broken = scenario(
        objects, ["endpoints_ready_only"], mutant="endpoints-include-unready", **kwargs
    )
    finding = only(explore(broken, options=OPTIONS), "endpoints_ready_only")
    # rollout, deployment sync, replicaset sync, schedule, kubelet start, endpoints sync
    assert len(finding.actions) <= 6
    assert "not Ready" in finding.violation.message


def test_deployment_controller_that_misreports_a_missed_deadline_is_caught(monkeypatch):
    # The bundled rollout-deadline-exceeded spec: a stuck rollout past its 60 s deadline. The
    # broken controller reports the timeout as Progressing=True, the status of a rollout that
    # still progresses.
    stuck = load_spec(ROOT / "specs" / "rollout-deadline-exceeded.yaml").scenario
    options = ExploreOptions(examples=20, max_steps=6, seed=0)
    assert explore(stuck, options=options) == []
    condition = progress.new_deployment_condition

    def misreported(kind: str, status: str, reason: str, *rest: Any) -> dict[str, Any]:
        status = "True" if reason == "ProgressDeadlineExceeded" else status
        return condition(kind, status, reason, *rest)

    monkeypatch.setattr(progress, "new_deployment_condition", misreported)
    findings = explore(stuck, options=options)
    assert [f.invariant for f in findings] == ["deployment_conditions_consistent"]
    assert "ProgressDeadlineExceeded with status 'True'" in findings[0].violation.message
