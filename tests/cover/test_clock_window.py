"""Dry runs with a watched clock: the window of times an answer holds for, and its reuse."""

from __future__ import annotations

import random

import pytest

from benchmarks.model import choose, fresh_cluster
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.controllers import SyncDeployment
from kmodel.cluster.model import ClockRead, ClockWindow, ClusterConfig, Program, _WatchedClock
from kmodel.cluster.user_actions import SetImage
from kmodel.semantics.replicaset import time_ns
from tests.helpers.zones import NODES, web

NEW_IMAGE = "registry.example.com/app:2"


def watched(now: int = 100) -> tuple[_WatchedClock, ClockWindow]:
    window = ClockWindow()
    return _WatchedClock(window, now), window


def test_comparisons_give_the_real_answer_and_keep_the_times_that_give_it_too():
    clock, window = watched(100)
    assert clock - 40 > 50  # holds for now > 90
    assert not clock + 10 >= 300  # holds for now < 290
    assert clock != 7
    assert (window.low, window.high, window.excluded) == (91, 289, frozenset({7}))
    assert 91 in window
    assert 289 in window
    assert 90 not in window
    assert 7 not in ClockWindow(excluded=frozenset({7}))
    # Seconds to nanoseconds as time_ns does (the clock passes for an int, not a bool).
    nanos = time_ns(clock)
    assert nanos < 200 * 10**9
    assert window.high == 199
    assert (clock + 5) - clock == 5  # the clock cancels out: a plain integer, no constraint
    assert 20 - clock < 0
    assert window.low == 91


def test_equality_narrows_to_one_time_and_other_types_are_never_equal():
    clock, window = watched(100)
    assert {"lastUpdateTime": clock} == {"lastUpdateTime": 100}
    assert (window.low, window.high) == (100, 100)
    other, window = watched(100)
    assert other != "100"
    assert other is not None
    assert (window.low, window.high, window.excluded) == (None, None, frozenset())


@pytest.mark.parametrize(
    "use",
    [hash, str, repr, int, float, bool, lambda c: c / 2, lambda c: c == 1.0, lambda c: c.real],
)
def test_any_other_use_of_the_clock_is_a_read(use):
    clock, _ = watched()
    with pytest.raises(ClockRead):
        use(clock)


def test_a_stalled_rollout_answers_until_its_progress_deadline_then_times_out():
    # New pods never become ready: the rollout waits, and times out 600 s after it last moved.
    config = ClusterConfig(programs={NEW_IMAGE: Program(ready_after=None)})
    c = build_cluster([*NODES, *web(3, 1, 0, probe=True)], config=config)
    c.settle()
    c.step(SetImage("default", "web", "app", NEW_IMAGE))
    c.settle(advance=False)
    action = SyncDeployment("default", "web")
    outcome = c.would_change_within(action, components=("deployment",))
    assert outcome is not None
    answer, window = outcome
    assert answer is False
    assert c.now in window
    assert window.high is not None
    while c.now <= window.high:
        assert c.would_change(action, components=("deployment",)) is False
        c.step(Tick(10))
    assert c.now not in window
    assert c.would_change(action, components=("deployment",)) is True  # ProgressDeadlineExceeded


def test_answers_reused_within_their_window_agree_with_real_dry_runs_along_a_walk():
    c = fresh_cluster()
    rng = random.Random(7)  # noqa: S311 - a seeded walk, not cryptography
    answered = 0
    for _ in range(250):
        for d in c.store.list_objects("Deployment"):
            action = SyncDeployment(d["metadata"]["namespace"], d["metadata"]["name"])
            # What the production key stands for: the store and the controller's cache.
            key = ("test", action, c.store.revision, c.informers["deployment"].version)
            reused = c.memo_within(
                key, lambda a=action: c.would_change_within(a, components=("deployment",))
            )
            if reused is not None:
                answered += 1
                assert reused == c.would_change(action, components=("deployment",))
        c.step(choose(c, rng))
    assert answered > 250
