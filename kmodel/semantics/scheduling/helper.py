"""The plugins' shared score helpers.

Mirrors ``pkg/scheduler/framework/plugins/helper/`` (``shape_score.go BuildBrokenLinearFunction``,
``normalize_score.go DefaultNormalizeScore``) and ``framework.MaxNodeScore``, at kubernetes
master after v1.35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_div

__all__ = ["MAX_NODE_SCORE", "broken_linear_function", "default_normalize_score"]


#: ``framework.MaxNodeScore``.
MAX_NODE_SCORE: Final = 100


def broken_linear_function(shape: Sequence[tuple[int, int]], utilization: int) -> int:
    """Evaluate the piecewise-linear scoring shape at ``utilization``.

    Mirrors ``pkg/scheduler/framework/plugins/helper/shape_score.go BuildBrokenLinearFunction``:
    the first point's score at or below the first utilization, the last point's above the last,
    and in between ``y0 + (y1 - y0) * (p - x0) / (x1 - x0)`` with Go's truncating division.

    Raises:
        InputError: the shape is empty.
    """
    if not shape:
        raise InputError("at least one point must be specified", path="shape")
    for i, (x, y) in enumerate(shape):
        if utilization <= x:
            if i == 0:
                return y
            x0, y0 = shape[i - 1]
            return y0 + go_div((y - y0) * (utilization - x0), x - x0)
    return shape[-1][1]


def default_normalize_score(scores: Mapping[str, int], *, reverse: bool) -> dict[str, int]:
    """Scale scores to 0..100 by the maximum, optionally reversed.

    Mirrors ``pkg/scheduler/framework/plugins/helper/normalize_score.go DefaultNormalizeScore``
    with ``maxPriority = MaxNodeScore``: all zero stays zero (or becomes 100 when reversed).
    """
    top = max([0, *scores.values()])
    if top == 0:
        return {name: MAX_NODE_SCORE if reverse else score for name, score in scores.items()}
    result: dict[str, int] = {}
    for name, score in scores.items():
        scaled = MAX_NODE_SCORE * score // top
        result[name] = MAX_NODE_SCORE - scaled if reverse else scaled
    return result
