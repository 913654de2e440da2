"""Searches in a child process while the solve goes on (isolated.BackgroundCall)."""

from __future__ import annotations

import time

from kmodel.placement import bin_packing_problem, check_placement
from kmodel.placement.engine.completion import BackgroundCompletion
from kmodel.placement.engine.isolated import BackgroundCall
from kmodel.placement.engine.schedule import Clock


def _slow_square(x: int, *, delay: float) -> int:
    time.sleep(delay)
    return x * x


def _fails() -> int:
    raise ValueError


def test_the_answer_comes_back_and_polling_waits_for_it():
    call = BackgroundCall(_slow_square, 7, delay=0.2)
    try:
        assert call.poll() == (False, None)  # not yet
        assert call.poll(timeout=10) == (True, 49)
        assert call.poll() == (True, 49)  # the answer stays
    finally:
        call.stop()


def test_a_failing_target_answers_none():
    call = BackgroundCall(_fails)
    try:
        assert call.poll(timeout=10) == (True, None)
    finally:
        call.stop()


def test_a_stopped_call_answers_none_and_ends_its_child():
    call = BackgroundCall(_slow_square, 3, delay=30)
    call.stop()
    assert call.poll(timeout=0.1) == (True, None)
    assert not call._process.is_alive()


def test_background_completion_finds_a_packing_at_the_bound_and_moves_with_it():
    # Twelve pods of 3, 4 and 5 on nodes of 12: four full nodes exist (3 + 4 + 5 each).
    problem = bin_packing_problem([12], [((3,), 4), ((4,), 4), ((5,), 4)])
    clock = Clock(20.0)
    search = BackgroundCompletion(problem, 3, clock=clock, seed=0)
    try:
        assert search.answer(timeout=10) is None  # three nodes cannot hold 48 units
        search.restart(4, seed=1)
        packed = search.answer(timeout=10)
        assert packed is not None
        assert check_placement(problem, packed) == []
        assert len(set(packed.values())) == 4
    finally:
        search.stop()
