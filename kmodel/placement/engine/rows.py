"""Linear rows built one at a time, handed to ``scipy.optimize.milp`` as one sparse constraint."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse
from scipy.optimize import LinearConstraint

__all__ = ["SparseRows"]


class SparseRows:
    """``low <= sum(value * x[column]) <= high`` rows over ``n_vars`` variables, in COO form."""

    def __init__(self, n_vars: int) -> None:
        self.n_vars = n_vars
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._vals: list[float] = []
        self._low: list[float] = []
        self._high: list[float] = []

    def add(self, entries: Iterable[tuple[int, float]], low: float, high: float) -> None:
        """One row: ``entries`` are (column, coefficient) pairs."""
        r = len(self._low)
        for c, v in entries:
            self._rows.append(r)
            self._cols.append(c)
            self._vals.append(v)
        self._low.append(low)
        self._high.append(high)

    def __len__(self) -> int:
        return len(self._low)

    def constraints(self) -> list[LinearConstraint]:
        """The rows as ``milp``'s ``constraints`` argument (empty without rows)."""
        if not self._low:
            return []
        matrix = sparse.csr_array(
            (self._vals, (self._rows, self._cols)), shape=(len(self._low), self.n_vars)
        )
        return [LinearConstraint(matrix, np.array(self._low), np.array(self._high))]
