"""Hypothesis draws that depend on the seed alone, not on what the process imported before.

Used by every search (:mod:`kmodel.explore.search`) and by the property suite.

Hypothesis (6.131 on) sometimes answers an integer draw with a literal taken from the source of
the *local* modules imported so far: ``HypothesisProvider._local_constants``, filled by
``providers._get_local_constants`` whenever ``sys.modules`` has grown (files under ``tests/`` or
named ``test_*`` are left out, but ``kmodel``, ``benchmarks`` and ``properties`` are local in
this repository). So a derandomized run of the cluster state machine drew different choices in
a long pytest session, after other tests had imported ``kmodel.placement``, ``kmodel.verify``
and the rest, than in a fresh interpreter: the reach measurement lost
``lost_node_pods_not_ready`` and the finding benchmark missed its planted bug there. Within
:func:`seed_only_draws` every provider sees an empty local pool (Hypothesis' own global
constants stay), so the same seed gives the same examples in any process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

__all__ = ["seed_only_draws"]


@contextmanager
def seed_only_draws() -> Iterator[None]:
    """Hypothesis draws no constant of the imported modules' source inside this block."""
    provider = providers.HypothesisProvider
    saved = provider.__dict__["_local_constants"]
    # A plain class attribute: each provider (one per test case) reads it instead of the pool.
    # Hypothesis has no public switch for its constant pool; the lock pins the version this
    # was read from, and tests/cover/test_seed_only_draws.py fails if the pool moves.
    provider._local_constants = Constants()  # type: ignore[assignment]  # noqa: SLF001
    # Allowed constants are cached by draw constraints, pool included: start and end afresh.
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        provider._local_constants = saved  # type: ignore[method-assign]  # noqa: SLF001
        providers.CONSTANTS_CACHE.cache.clear()
